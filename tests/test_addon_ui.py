"""The add-on's Blender side: registration, the CLI command, preferences, operator polls and runs, panel drawing.

Runs the real bpy module (Blender 5.0 here) on real scenes. Panels cannot be drawn without Blender's UI, so their
``draw`` runs against :class:`RecordingLayout`, which checks every call against ``bpy.types.UILayout``'s own RNA
description (function names, keyword names, icon names), every ``prop(data, name)`` against ``data``'s properties and
every ``operator(idname)`` against the registered operators. Rigging a real head end to end is tested elsewhere;
here the rigged face is a small grid with 52 hand-made ARKit shape keys.
"""

import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace

import bpy
import numpy as np
import pytest

import facemotion
import facemotion as addon
from facemotion.core.animation.timeline import EASINGS
from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES
from facemotion.core.emotion.presets import EMOTIONS, preset_weights
from facemotion.core.io import assets
from facemotion.facemotion_addon import compat, shape_keys
from facemotion.facemotion_addon.cli.entry import cli_command
from facemotion.facemotion_addon.settings import preferences, properties

OPERATOR_IDS = (
    "detect_landmarks",
    "rig_face",
    "preview_sheet",
    "apply_emotion",
    "reset_pose",
    "timeline_add_key",
    "timeline_remove_key",
    "timeline_demo_keys",
    "bake_timeline",
    "export",
    "detect_emotion_image",
    "detect_emotion_video",
    "detect_emotion_pose",
    "download_assets",
    "preset_save",
    "preset_load",
    "wheel_apply",
    "wheel_add_key",
    "wheel_save_preset",
    "wheel_load_preset",
    "apply_text",
    "capture_performance",
    "capture_webcam",
    "export_live_link",
    "speak",
)

_UI = bpy.types.UILayout.bl_rna
_ICONS = set(_UI.functions["prop"].parameters["icon"].enum_items.keys())


# ------------------------------------------------------------------------------------------------ recording layout


def operator_rna(idname):
    """The RNA of a registered operator ``"facemotion.x"``; raises KeyError when no such operator is registered."""
    module, _, name = idname.partition(".")
    return getattr(getattr(bpy.ops, module), name).get_rna_type()


class OperatorProperties:
    """Stand-in for what ``layout.operator()`` returns: only the operator's own properties may be set."""

    def __init__(self, idname, log):
        object.__setattr__(self, "_rna", operator_rna(idname))
        object.__setattr__(self, "_log", log)

    def __setattr__(self, name, value):
        assert name in self._rna.properties, f"operator {self._rna.identifier} has no property {name!r}"
        prop = self._rna.properties[name]
        if prop.type == "ENUM":
            assert value in prop.enum_items.keys(), f"{value!r} is not an item of {name!r}"
        self._log.append(("operator_property", name, value))


class RecordingLayout:
    """A ``UILayout`` stand-in that records calls and checks them against the real UILayout API."""

    def __init__(self, log):
        object.__setattr__(self, "log", log)

    def __setattr__(self, name, value):
        assert name in _UI.properties and not _UI.properties[name].is_readonly, f"UILayout has no settable {name!r}"
        self.log.append(("set", name, value))

    def _check(self, function, args, kwargs):
        assert function in _UI.functions, f"UILayout has no function {function!r}"
        params = [p for p in _UI.functions[function].parameters if not p.is_output]
        names = [p.identifier for p in params]
        assert len(args) <= len(names), f"{function}: too many positional arguments"
        given = dict(zip(names, args))
        for key, value in kwargs.items():
            assert key in names, f"UILayout.{function} has no argument {key!r}"
            assert key not in given, f"UILayout.{function}: {key!r} given twice"
            given[key] = value
        for p in params:
            if p.is_required and p.identifier != "properties":
                assert p.identifier in given, f"UILayout.{function} needs {p.identifier!r}"
        if "icon" in given:
            assert given["icon"] in _ICONS, f"unknown icon {given['icon']!r}"
        return given

    def _child(self, function, args, kwargs):
        self.log.append((function, self._check(function, args, kwargs)))
        return RecordingLayout(self.log)

    def row(self, *args, **kwargs):
        return self._child("row", args, kwargs)

    def column(self, *args, **kwargs):
        return self._child("column", args, kwargs)

    def box(self, *args, **kwargs):
        return self._child("box", args, kwargs)

    def split(self, *args, **kwargs):
        return self._child("split", args, kwargs)

    def separator(self, *args, **kwargs):
        self.log.append(("separator", self._check("separator", args, kwargs)))

    def label(self, *args, **kwargs):
        given = self._check("label", args, kwargs)
        self.log.append(("label", given.get("text", "")))

    def prop(self, *args, **kwargs):
        given = self._check("prop", args, kwargs)
        data, name = given["data"], given["property"]
        if name.startswith('["') and name.endswith('"]'):  # a custom property, drawn by its path
            assert name[2:-2] in data.keys(), f"{data.name} has no custom property {name!r}"
        else:
            assert name in data.bl_rna.properties, f"{data.bl_rna.identifier} has no property {name!r}"
        self.log.append(("prop", data, name, given))

    def prop_search(self, *args, **kwargs):
        given = self._check("prop_search", args, kwargs)
        data, name = given["data"], given["property"]
        assert name in data.bl_rna.properties, f"{data.bl_rna.identifier} has no property {name!r}"
        search, collection = given["search_data"], given["search_property"]
        assert search.bl_rna.properties[collection].type == "COLLECTION", collection
        self.log.append(("prop", data, name, given))

    def operator(self, *args, **kwargs):
        given = self._check("operator", args, kwargs)
        idname = given["operator"]
        try:
            props = OperatorProperties(idname, self.log)
        except KeyError:
            raise AssertionError(f"operator {idname!r} is not registered") from None
        self.log.append(("operator", idname, given))
        return props

    def template_list(self, *args, **kwargs):
        given = self._check("template_list", args, kwargs)
        list_cls = getattr(bpy.types, given["listtype_name"], None)
        assert list_cls is not None and issubclass(list_cls, bpy.types.UIList), given["listtype_name"]
        data, active = given["dataptr"], given["active_dataptr"]
        assert data.bl_rna.properties[given["propname"]].type == "COLLECTION"
        assert active.bl_rna.properties[given["active_propname"]].type == "INT"
        self.log.append(("template_list", given))
        # Draw every row with the list's own draw_item, as Blender would.
        items = getattr(data, given["propname"])
        for index, item in enumerate(items):
            list_cls.draw_item(
                SimpleNamespace(),
                None,
                RecordingLayout(self.log),
                data,
                item,
                0,
                active,
                given["active_propname"],
                index,
                0,
            )


def draw_panel(panel_cls, context, layout_cls=None):
    """Run a panel's poll and draw with a recording layout (``layout_cls(log)``, default :class:`RecordingLayout`);
    returns the log, or None when poll says no."""
    if "poll" in panel_cls.__dict__ and not panel_cls.poll(context):
        return None
    log = []
    panel = SimpleNamespace(layout=(layout_cls or RecordingLayout)(log))
    panel.draw_settings = panel_cls.draw_settings.__get__(panel)  # the panel mixin's step, bound to the stand-in
    panel_cls.draw(panel, context)
    return log


def context_for(active=None, selected=()):
    """A context stand-in holding the real scene and objects, as a sidebar panel sees them."""
    return SimpleNamespace(
        scene=bpy.context.scene,
        view_layer=bpy.context.view_layer,
        active_object=active,
        object=active,
        selected_objects=list(selected),
        mode="OBJECT",
        window_manager=bpy.context.window_manager,
        preferences=bpy.context.preferences,
    )


def operators_in(log):
    return [entry[1] for entry in log if entry[0] == "operator"]


def props_in(log):
    return [(entry[1], entry[2]) for entry in log if entry[0] == "prop"]


def labels_in(log):
    return [entry[1] for entry in log if entry[0] == "label"]


# ---------------------------------------------------------------------------------------------------------- scenes


@pytest.fixture
def registered():
    """Empty factory scene with facemotion registered; unregistered afterwards."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    facemotion.register()
    yield
    facemotion.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


def grid_object(name="Face", size=3):
    """A flat ``size`` x ``size`` vertex grid mesh object (quads), linked to the scene."""
    xs = np.linspace(-0.1, 0.1, size)
    verts = [(x, y, 0.0) for y in xs for x in xs]
    faces = [
        (r * size + c, r * size + c + 1, (r + 1) * size + c + 1, (r + 1) * size + c)
        for r in range(size - 1)
        for c in range(size - 1)
    ]
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(verts, [], faces)
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def arkit_deltas(n_vertices):
    """(52, n, 3) float32: ARKit key k moves vertex k % n by 1 cm along z, scaled by (k + 1) / 52 so keys differ."""
    deltas = np.zeros((len(ARKIT_NAMES), n_vertices, 3), np.float32)
    for k in range(len(ARKIT_NAMES)):
        deltas[k, k % n_vertices, 2] = 0.01 * (k + 1) / len(ARKIT_NAMES)
    return deltas


def add_arkit_keys(obj, names=ARKIT_NAMES):
    """Hand-made relative ARKit shape keys (Basis + one per name), marked as facemotion's like shape_keys does."""
    deltas = arkit_deltas(len(obj.data.vertices))
    basis = obj.shape_key_add(name="Basis", from_mix=False)
    co = np.empty(len(obj.data.vertices) * 3, np.float32)
    basis.data.foreach_get("co", co)
    for name in names:
        block = obj.shape_key_add(name=name, from_mix=False)
        block.value = 0.0  # a new key block starts at 1.0 in the module; a fresh rig is neutral
        block.data.foreach_set("co", (co.reshape(-1, 3) + deltas[ARKIT_INDEX[name]]).ravel())
    key = obj.data.shape_keys
    key[shape_keys.KEY_NAMES_PROP] = list(names)
    key[shape_keys.BASIS_PROP] = True
    return deltas


def select_only(*objects):
    for obj in bpy.context.scene.objects:
        obj.select_set(False)
    for obj in objects:
        obj.select_set(True)
    bpy.context.view_layer.objects.active = objects[0] if objects else None


@pytest.fixture
def rigged_face(registered):
    obj = grid_object()
    add_arkit_keys(obj)
    select_only(obj)
    return obj


def evaluated_coords(obj):
    depsgraph = bpy.context.evaluated_depsgraph_get()
    mesh = obj.evaluated_get(depsgraph).data
    co = np.empty(len(mesh.vertices) * 3, np.float32)
    mesh.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def values(obj):
    blocks = obj.data.shape_keys.key_blocks
    return np.array([blocks[name].value for name in ARKIT_NAMES], np.float32)


# ---------------------------------------------------------------------------------------------------- registration


def test_register_unregister_register_unregister():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    expected = {
        "FacemotionTimelineKey",
        "FacemotionObjectSettings",
        "FacemotionSceneSettings",
        "FacemotionPreferences",
        "FACEMOTION_UL_timeline_keys",
        "FACEMOTION_PT_rig",
        "FACEMOTION_PT_emotion",
        "FACEMOTION_PT_arkit_keys",
        "FACEMOTION_PT_timeline",
        "FACEMOTION_PT_recognize",
        "FACEMOTION_PT_emotion_wheel",
        "FACEMOTION_PT_export",
        "FacemotionExportSettings",
        "FACEMOTION_PT_capture",
        "FACEMOTION_PT_speech",
    } | {f"FACEMOTION_OT_{name}" for name in OPERATOR_IDS}
    for _ in range(2):
        facemotion.register()
        try:
            classes = addon.registered_classes()
            assert {cls.__name__ for cls in classes} == expected
            assert all(cls.is_registered for cls in classes)
            for name in OPERATOR_IDS:
                assert operator_rna(f"facemotion.{name}").identifier == f"FACEMOTION_OT_{name}"
                # Every operator that changes the scene is one undo step (downloading assets changes no scene).
                no_scene_change = (
                    "download_assets",
                    "preset_save",
                    "wheel_save_preset",
                    "export_live_link",
                    "preview_sheet",
                )
                assert ("UNDO" in getattr(bpy.types, f"FACEMOTION_OT_{name}").bl_options) == (
                    name not in no_scene_change
                )
            settings = bpy.context.scene.facemotion
            assert isinstance(settings, properties.FacemotionSceneSettings)
            assert settings.emotion == "happy" and settings.intensity == 1.0
            assert not hasattr(settings, "timeline_keys")  # the timeline is per object
            assert bpy.context.scene.bl_rna.properties["facemotion"].fixed_type.identifier == "FacemotionSceneSettings"
            assert bpy.types.Object.bl_rna.properties["facemotion"].fixed_type.identifier == "FacemotionObjectSettings"
        finally:
            facemotion.unregister()
        assert addon.registered_classes() == ()
        assert not any(cls.is_registered for cls in classes)
        assert not hasattr(bpy.types.Scene, "facemotion") and not hasattr(bpy.types.Object, "facemotion")
        with pytest.raises(KeyError):
            operator_rna("facemotion.rig_face")
    facemotion.unregister()  # a second unregister is harmless


def test_panels_live_in_the_facemotion_sidebar_tab():
    from facemotion import panels

    for cls in panels.classes:
        if issubclass(cls, bpy.types.Panel):
            assert (cls.bl_space_type, cls.bl_region_type, cls.bl_category) == ("VIEW_3D", "UI", "Facemotion")


def test_preferences_id_is_the_root_package_and_checkout_keeps_default_cache():
    assert preferences.ROOT_PACKAGE == "facemotion"
    assert preferences.FacemotionPreferences.bl_idname == "facemotion"
    before = assets.cache_dir("derived", create=False)
    facemotion.register()
    try:
        # Not an extension (the package is not bl_ext.*): the asset cache stays where it was.
        assert assets.cache_dir("derived", create=False) == before
    finally:
        facemotion.unregister()


def test_cli_command_is_registered_and_removed(capfd):
    facemotion.register()
    try:
        capfd.readouterr()
        probe = bpy.utils.register_cli_command(addon.CLI_COMMAND, lambda argv: 0)
        bpy.utils.unregister_cli_command(probe)
        # Blender warns when an id is taken: proof that "facemotion" is registered.
        assert 'duplicate command "facemotion"' in "".join(capfd.readouterr())
        handle = addon._cli_handle
        assert handle is not None
    finally:
        facemotion.unregister()
    with pytest.raises(ValueError, match="already been removed"):
        bpy.utils.unregister_cli_command(handle)
    probe = bpy.utils.register_cli_command(addon.CLI_COMMAND, lambda argv: 0)
    bpy.utils.unregister_cli_command(probe)
    assert "duplicate" not in "".join(capfd.readouterr())
    # register -> unregister -> register: the command is free again, so no warning either.
    facemotion.register()
    facemotion.unregister()
    assert "duplicate" not in "".join(capfd.readouterr())


def test_cli_handler_runs_the_cli(capfd):
    assert cli_command(["rig"]) == 2
    assert "facemotion: error:" in capfd.readouterr().err
    assert cli_command(["--help"]) == 0
    assert "rig" in capfd.readouterr().out


def test_preferences_map_to_the_asset_environment(monkeypatch, tmp_path):
    monkeypatch.delenv(assets.ENV_ASSETS, raising=False)
    monkeypatch.setenv(assets.ENV_ALLOW_DOWNLOAD, "yes")  # an explicit choice from the command line
    prefs = SimpleNamespace(asset_folder=str(tmp_path), allow_download=True)
    try:
        # Blender's online access off: never download, whatever the checkbox or the environment says.
        assert preferences.apply_preferences(prefs, online_access=False) == (str(tmp_path), False)
        assert assets.asset_roots() == [tmp_path]
        assert preferences.apply_preferences(prefs, online_access=True) == (str(tmp_path), True)
        assert os.environ[assets.ENV_ALLOW_DOWNLOAD] == "1"
        prefs = SimpleNamespace(asset_folder="", allow_download=False)
        # Unchecked: the command line's choice stands; no folder: FACEMOTION_ASSETS is as it was (unset).
        assert preferences.apply_preferences(prefs, online_access=True) == (None, True)
        assert os.environ[assets.ENV_ALLOW_DOWNLOAD] == "yes"
    finally:
        preferences.restore_environment()
    assert os.environ[assets.ENV_ALLOW_DOWNLOAD] == "yes" and assets.ENV_ASSETS not in os.environ

    # Registered in the bpy module (online access off, no preferences entry): downloads are off until unregister.
    assert bpy.app.online_access is False
    facemotion.register()
    try:
        assert preferences.get_preferences() is None
        assert assets.download_allowed() is False
    finally:
        facemotion.unregister()
    assert assets.download_allowed() is True


INSTALL_SCRIPT = """
import json, os, sys
import bpy  # BLENDER_USER_RESOURCES is set by the caller, before this import
import addon_utils
name = "bl_ext.user_default.facemotion"
out = {"install": sorted(bpy.ops.extensions.package_install_files(filepath=sys.argv[1], repo="user_default",
                                                                   enable_on_install=True))}
assets = sys.modules[name + ".core.io.assets"]
prefs = bpy.context.preferences.addons[name].preferences
out["prefs"] = type(prefs).__name__
out["cache"] = str(assets.cache_dir("derived", create=False))
out["user_dir"] = bpy.utils.extension_path_user(name)
out["scene"] = bpy.context.scene.facemotion.emotion
out["download_offline"] = os.environ.get("FACEMOTION_ALLOW_DOWNLOAD")
prefs.asset_folder = sys.argv[2]
out["assets_env"] = os.environ.get("FACEMOTION_ASSETS")
probe = bpy.utils.register_cli_command("facemotion", lambda argv: 0)
bpy.utils.unregister_cli_command(probe)
sys.stderr.flush()
addon_utils.disable(name)
out["after_disable"] = [hasattr(bpy.types.Scene, "facemotion"), os.environ.get("FACEMOTION_ASSETS"),
                        str(assets.cache_dir("derived", create=False)) == out["cache"]]
addon_utils.enable(name)
out["re_enabled"] = hasattr(bpy.types.Scene, "facemotion")
addon_utils.disable(name)
print("RESULT " + json.dumps(out), flush=True)
"""


def test_installs_and_registers_as_an_extension(tmp_path):
    """Installed as Blender installs it (``bl_ext.user_default.facemotion``): preferences under that id, caches in
    the extension's user folder, the asset folder preference applied, and all of it undone on disable."""
    root = Path(facemotion.__file__).parent
    archive = tmp_path / "facemotion.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for name in ("__init__.py", "blender_manifest.toml"):
            zf.write(root / name, name)
        for folder in ("core", "facemotion_addon", "operators", "panels"):
            for path in sorted((root / folder).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    zf.write(path, path.relative_to(root).as_posix())
    script = tmp_path / "install.py"
    script.write_text(INSTALL_SCRIPT)
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp_path / "user"))
    env.pop(assets.ENV_ASSETS, None)
    env.pop(assets.ENV_CACHE, None)
    run = subprocess.run(
        [sys.executable, str(script), str(archive), str(tmp_path / "my_assets")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stderr[-2000:]
    out = json.loads(lines[-1][len("RESULT ") :])
    assert out["install"] == ["FINISHED"] and out["prefs"] == "FacemotionPreferences"
    assert out["cache"] == str(Path(out["user_dir"]) / "derived")
    assert str(tmp_path / "user") in out["user_dir"]
    assert out["scene"] == "happy"
    assert out["download_offline"] == "0"  # online access is off in the module: no downloads
    assert out["assets_env"] == str(tmp_path / "my_assets")
    assert 'duplicate command "facemotion"' in run.stderr
    assert out["after_disable"] == [False, None, False] and out["re_enabled"] is True


# ------------------------------------------------------------------------------------------------------ properties


def test_enum_items_follow_the_core_tables(registered):
    settings = bpy.context.scene.facemotion
    emotion_items = settings.bl_rna.properties["emotion"].enum_items
    assert tuple(emotion_items.keys()) == EMOTIONS
    assert [item.value for item in emotion_items] == list(range(len(EMOTIONS)))
    key = grid_object().facemotion.timeline_keys.add()
    assert tuple(key.bl_rna.properties["easing"].enum_items.keys()) == EASINGS
    assert tuple(settings.bl_rna.properties["export_format"].enum_items.keys()) == ("GLB", "GLTF", "FBX")
    assert settings.bl_rna.properties["intensity"].subtype == "FACTOR"
    assert settings.bl_rna.properties["export_path"].subtype == "FILE_PATH"


def test_timeline_settings_sorts_keys_and_snaps_float32_times(registered):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    face = grid_object()
    settings = face.facemotion
    for time, emotion, intensity, transition, easing in (
        (1.5, "happy", 0.8, 0.6, "cubic"),
        (0.0, "neutral", 1.0, 0.5, "ease_in_out"),
        (1 / 3, "anger", 0.5, 0.25, "linear"),
    ):
        item = settings.timeline_keys.add()
        item.time, item.emotion, item.intensity, item.transition, item.easing = (
            time,
            emotion,
            intensity,
            transition,
            easing,
        )
    settings.blinks, settings.blink_seed, settings.blink_rate = False, 7, 20.0
    settings.noise_amplitude, settings.noise_seed = 0.02, 3
    out = properties.timeline_settings(face, scene)
    assert [(k.time, k.emotion, k.easing) for k in out["keys"]] == [
        (0.0, "neutral", "ease_in_out"),
        (8 / 24, "anger", "linear"),
        (1.5, "happy", "cubic"),
    ]
    assert out["keys"][1].time == 8 / 24  # float32 0.33333334 snapped onto frame 8 exactly
    assert out["keys"][2].intensity == pytest.approx(0.8) and out["keys"][2].transition == pytest.approx(0.6)
    assert out["fps"] == 24.0 and out["duration"] is None
    assert (out["blinks"], out["blink_seed"], out["blink_rate_per_minute"]) == (False, 7, 20.0)
    assert out["noise_amplitude"] == pytest.approx(0.02) and out["noise_seed"] == 3


# ----------------------------------------------------------------------------------------------------------- polls


def test_polls_follow_the_selection(registered):
    ops = bpy.ops.facemotion
    select_only()
    for name in ("detect_landmarks", "rig_face", "apply_emotion", "reset_pose", "bake_timeline", "export"):
        assert not getattr(ops, name).poll(), name
    plain = grid_object("Plain")
    select_only(plain)
    assert ops.rig_face.poll() and ops.detect_landmarks.poll() and ops.export.poll()
    assert not ops.apply_emotion.poll() and not ops.reset_pose.poll()
    # 51 of 52 ARKit keys is not a rig either.
    partial = grid_object("Partial")
    add_arkit_keys(partial, ARKIT_NAMES[:-1])
    select_only(partial)
    assert not ops.apply_emotion.poll()
    # A landmark object is not a face: selecting only it enables nothing.
    landmarks = grid_object("Landmarks")
    landmarks["facemotion_landmarks"] = True
    select_only(landmarks)
    assert not ops.rig_face.poll()
    rigged = grid_object("Rigged")
    add_arkit_keys(rigged)
    select_only(rigged)
    assert ops.apply_emotion.poll() and ops.reset_pose.poll()
    assert not ops.bake_timeline.poll()  # no timeline keys yet
    ops.timeline_add_key()
    assert ops.bake_timeline.poll()


# --------------------------------------------------------------------------------------------------------- emotion


def test_apply_emotion_sets_the_preset_on_the_shape_keys(rigged_face):
    settings = bpy.context.scene.facemotion
    settings.emotion, settings.intensity = "surprise", 0.5
    basis = evaluated_coords(rigged_face)
    assert bpy.ops.facemotion.apply_emotion() == {"FINISHED"}
    expected = preset_weights("surprise", 0.5)
    assert expected[ARKIT_INDEX["jawOpen"]] > 0.3
    np.testing.assert_allclose(values(rigged_face), expected, atol=1e-6)
    # The evaluated mesh is the Basis plus the weighted hand-made deltas.
    deltas = arkit_deltas(len(basis))
    np.testing.assert_allclose(evaluated_coords(rigged_face), basis + np.tensordot(expected, deltas, axes=1), atol=1e-6)
    assert "surprise" in settings.last_report

    assert bpy.ops.facemotion.reset_pose() == {"FINISHED"}
    assert not values(rigged_face).any()
    np.testing.assert_allclose(evaluated_coords(rigged_face), basis, atol=1e-7)


def test_apply_emotion_is_refused_clearly_on_an_unrigged_mesh(registered):
    plain = grid_object("Plain")
    select_only(plain)
    with pytest.raises(RuntimeError, match="no ARKit shape keys: rig it first"):
        bpy.ops.facemotion.apply_emotion()
    assert plain.data.shape_keys is None


def test_apply_emotion_poses_every_selected_rigged_object(rigged_face):
    eyes = grid_object("Eyes")
    add_arkit_keys(eyes)
    plain = grid_object("Plain")
    select_only(rigged_face, eyes, plain)
    bpy.context.scene.facemotion.emotion = "happy"
    assert bpy.ops.facemotion.apply_emotion() == {"FINISHED"}
    np.testing.assert_allclose(values(rigged_face), preset_weights("happy"), atol=1e-6)
    np.testing.assert_allclose(values(eyes), preset_weights("happy"), atol=1e-6)
    assert "skipped Plain" in bpy.context.scene.facemotion.last_report


# -------------------------------------------------------------------------------------------------------- timeline


def test_timeline_keys_are_added_in_order_and_baked_to_keyframes(rigged_face):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    settings = scene.facemotion
    timeline = rigged_face.facemotion
    timeline.blinks = False
    ops = bpy.ops.facemotion
    for frame, emotion in ((1, "neutral"), (25, "happy"), (19, "surprise")):
        scene.frame_set(frame)
        settings.emotion, settings.intensity = emotion, 1.0
        assert ops.timeline_add_key() == {"FINISHED"}
    keys = timeline.timeline_keys
    assert [(round(k.time, 4), k.emotion) for k in keys] == [(0.0, "neutral"), (0.75, "surprise"), (1.0, "happy")]
    assert timeline.active_key_index == 1
    assert keys[1].transition == pytest.approx(0.5)
    assert keys[2].transition == pytest.approx(0.25)  # shortened to the gap left by the key inserted before it

    # Adding at a frame that already has a key updates it instead of adding a second one.
    scene.frame_set(25)
    settings.emotion, settings.intensity = "happy", 0.6
    assert ops.timeline_add_key() == {"FINISHED"}
    assert len(keys) == 3 and keys[2].intensity == pytest.approx(0.6)

    scene.frame_start, scene.frame_end = 1, 250
    assert ops.bake_timeline() == {"FINISHED"}  # defaults: from the scene's start frame, range kept, sparse keys
    assert (scene.frame_start, scene.frame_end) == (1, 250)
    key = rigged_face.data.shape_keys
    action = key.animation_data.action
    curves = {fc.data_path: fc for fc in compat.action_fcurves(action, key)}
    assert len(curves) == len(ARKIT_NAMES)
    smile = curves['key_blocks["mouthSmileLeft"].value']
    jaw = curves['key_blocks["jawOpen"].value']
    assert smile.keyframe_points[0].co[0] == 1 and smile.keyframe_points[-1].co[0] == 25
    assert 2 <= len(smile.keyframe_points) < 25  # sparse: within 1e-3 of the per-frame samples, not a key per frame
    assert smile.evaluate(1) == pytest.approx(0.0)
    assert jaw.evaluate(19) == pytest.approx(preset_weights("surprise")[ARKIT_INDEX["jawOpen"]], abs=1e-6)
    assert smile.evaluate(25) == pytest.approx(preset_weights("happy", 0.6)[ARKIT_INDEX["mouthSmileLeft"]], abs=1e-6)
    scene.frame_set(25)
    np.testing.assert_allclose(values(rigged_face), preset_weights("happy", 0.6), atol=1e-6)

    timeline.active_key_index = 1
    assert ops.timeline_remove_key() == {"FINISHED"}
    assert [k.emotion for k in keys] == ["neutral", "happy"] and timeline.active_key_index == 1


def test_demo_keys_bake_the_six_second_sequence(rigged_face):
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 24, 1.0
    assert bpy.ops.facemotion.timeline_demo_keys() == {"FINISHED"}
    keys = rigged_face.facemotion.timeline_keys
    assert [k.emotion for k in keys] == ["neutral", "happy", "surprise", "sadness", "anger", "neutral"]
    assert keys[-1].time == pytest.approx(6.0)
    assert bpy.ops.facemotion.bake_timeline(set_frame_range=True) == {"FINISHED"}
    assert (scene.frame_start, scene.frame_end) == (1, 6 * 24 + 1)
    blink = rigged_face.data.shape_keys.key_blocks["eyeBlinkLeft"]
    curve = next(
        fc
        for fc in compat.action_fcurves(rigged_face.data.shape_keys.animation_data.action, rigged_face.data.shape_keys)
        if fc.data_path == 'key_blocks["eyeBlinkLeft"].value'
    )
    assert blink.name == "eyeBlinkLeft" and max(p.co[1] for p in curve.keyframe_points) == pytest.approx(1.0)


def test_invalid_timeline_is_reported_and_leaves_the_scene_unchanged(rigged_face):
    scene = bpy.context.scene
    settings = rigged_face.facemotion
    for time, transition in ((0.0, 0.5), (0.5, 2.0)):
        item = settings.timeline_keys.add()
        item.time, item.emotion, item.transition = time, "happy", transition
    frame_end = scene.frame_end
    with pytest.raises(RuntimeError, match="transitions would overlap"):
        bpy.ops.facemotion.bake_timeline()
    assert rigged_face.data.shape_keys.animation_data is None
    assert scene.frame_end == frame_end


# ---------------------------------------------------------------------------------------------------------- export


def test_export_writes_a_glb_and_refuses_to_overwrite_from_scripts(rigged_face, tmp_path):
    scene = bpy.context.scene
    bpy.ops.facemotion.timeline_demo_keys()
    bpy.ops.facemotion.bake_timeline()
    path = tmp_path / "face"
    assert bpy.ops.facemotion.export(filepath=str(path), export_format="GLB") == {"FINISHED"}
    out = tmp_path / "face.glb"  # the format's suffix was added
    data = out.read_bytes()
    assert data[:4] == b"glTF"
    length, kind = struct.unpack_from("<II", data, 12)
    doc = json.loads(data[20 : 20 + length])
    assert kind == 0x4E4F534A and doc["meshes"][0]["extras"]["targetNames"] == list(ARKIT_NAMES)
    assert any(channel["target"]["path"] == "weights" for channel in doc["animations"][0]["channels"])
    assert bpy.path.abspath(scene.facemotion.export_path) == str(out) and scene.facemotion.export_format == "GLB"

    before = out.stat().st_mtime_ns
    with pytest.raises(RuntimeError, match="already exists"):
        bpy.ops.facemotion.export(filepath=str(out))
    assert out.stat().st_mtime_ns == before
    assert bpy.ops.facemotion.export(filepath=str(out), overwrite=True) == {"FINISHED"}


# ------------------------------------------------------------------------------------------------------------- rig


def test_rig_refuses_a_mesh_without_a_face_and_changes_nothing(registered):
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.active_object
    objects_before = set(bpy.data.objects.keys())
    with pytest.raises(RuntimeError, match="no face found"):
        bpy.ops.facemotion.rig_face()
    assert cube.data.shape_keys is None
    assert set(bpy.data.objects.keys()) == objects_before  # no landmark object either


# ---------------------------------------------------------------------------------------------------------- panels


def _panel(name):
    return getattr(bpy.types, name)


def test_panels_draw_with_nothing_selected(registered, monkeypatch, tmp_path):
    monkeypatch.setenv("FACEMOTION_PRESETS", str(tmp_path))  # no saved presets: no preset buttons
    context = context_for()
    log = draw_panel(_panel("FACEMOTION_PT_rig"), context)
    assert operators_in(log) == ["facemotion.detect_landmarks", "facemotion.rig_face", "facemotion.preview_sheet"]
    assert any("Select the face mesh" in text for text in labels_in(log))
    log = draw_panel(_panel("FACEMOTION_PT_emotion"), context)
    assert operators_in(log) == ["facemotion.apply_emotion", "facemotion.reset_pose", "facemotion.preset_save"]
    assert [name for _, name in props_in(log)] == ["emotion", "intensity"]
    assert draw_panel(_panel("FACEMOTION_PT_arkit_keys"), context) is None  # nothing to show sliders for
    log = draw_panel(_panel("FACEMOTION_PT_timeline"), context)
    # No rigged face: no timeline to show (each face has its own), only what acts on the selection.
    assert set(operators_in(log)) == {"facemotion.bake_timeline"}
    assert "Select a rigged face to edit its timeline" in labels_in(log)


def test_panels_draw_a_rigged_face_with_timeline_keys(rigged_face):
    landmarks = grid_object("Face_landmarks")
    landmarks["facemotion_landmarks"] = True
    landmarks["facemotion_targets"] = rigged_face.name
    bpy.ops.facemotion.timeline_demo_keys()
    bpy.context.scene.facemotion.last_report = "Rigged Face"
    context = context_for(rigged_face, [rigged_face])

    log = draw_panel(_panel("FACEMOTION_PT_rig"), context)
    labels = labels_in(log)
    assert "Landmarks: Face_landmarks" in labels and "Face: 52/52 ARKit keys" in labels and "Rigged Face" in labels

    log = draw_panel(_panel("FACEMOTION_PT_arkit_keys"), context)
    sliders = [entry[1:] for entry in log if entry[0] == "prop"]
    assert [given["text"] for _, _, given in sliders] == list(ARKIT_NAMES)
    assert all(
        name == "value" and given["slider"] and isinstance(data, bpy.types.ShapeKey) for data, name, given in sliders
    )

    log = draw_panel(_panel("FACEMOTION_PT_timeline"), context)
    assert "Timeline of Face" in labels_in(log)
    assert {
        "facemotion.timeline_add_key",
        "facemotion.timeline_remove_key",
        "facemotion.timeline_demo_keys",
        "facemotion.preset_save",
    } <= set(operators_in(log))
    (template,) = [entry[1] for entry in log if entry[0] == "template_list"]
    assert template["listtype_name"] == "FACEMOTION_UL_timeline_keys"
    drawn = props_in(log)
    # Each of the 6 list rows shows its emotion and intensity; the active key's five fields follow.
    assert sum(1 for _, name in drawn if name == "emotion") == 6 + 1
    assert {"time", "transition", "easing", "blinks", "blink_rate", "noise_amplitude"} <= {name for _, name in drawn}


def test_panels_show_a_partial_rig_and_the_landmark_object(registered):
    partial = grid_object("Partial")
    add_arkit_keys(partial, ARKIT_NAMES[:10])
    log = draw_panel(_panel("FACEMOTION_PT_rig"), context_for(partial, [partial]))
    assert "Partial: 10/52 ARKit keys" in labels_in(log)
    assert "Landmarks: none yet (Rig Face detects them)" in labels_in(log)
    log = draw_panel(_panel("FACEMOTION_PT_arkit_keys"), context_for(partial, [partial]))
    assert len(props_in(log)) == 10 and any("42 of 52 ARKit keys missing" in t for t in labels_in(log))
    landmarks = grid_object("Marks")
    landmarks["facemotion_landmarks"] = True
    log = draw_panel(_panel("FACEMOTION_PT_rig"), context_for(landmarks, [landmarks]))
    assert any("Marks: landmarks" in text for text in labels_in(log))


def test_recording_layout_catches_mistakes(registered):
    """The stand-in must fail on the errors a real UILayout would raise, or the panel tests prove nothing."""
    settings = bpy.context.scene.facemotion
    layout = RecordingLayout([])
    with pytest.raises(AssertionError, match="no property 'emotions'"):
        layout.prop(settings, "emotions")
    with pytest.raises(AssertionError, match="not registered"):
        layout.operator("facemotion.no_such_operator")
    with pytest.raises(AssertionError, match="no argument 'txt'"):
        layout.label(txt="typo")
    with pytest.raises(AssertionError, match="unknown icon"):
        layout.label(text="x", icon="NO_SUCH_ICON")
    with pytest.raises(AssertionError, match="no property 'format'"):
        layout.operator("facemotion.export").format = "GLB"
    with pytest.raises(AssertionError, match="settable"):
        layout.use_split = True


def test_speech_panel_draws_each_voice_and_emotion_source(rigged_face, tmp_path):
    import speech_samples

    from facemotion.facemotion_addon import compat

    props = bpy.context.scene.facemotion
    context = context_for(rigged_face, [rigged_face])
    log = draw_panel(_panel("FACEMOTION_PT_speech"), context)
    assert operators_in(log) == ["facemotion.speak"]
    assert [name for _, name in props_in(log)] == [
        "speech_input",
        "speech_audio",
        "speech_transcript",
        "speech_source",
        "speech_window",
        "speech_transition",
        "speech_visemes",
    ]
    props.speech_input, props.speech_source = "STRIP", "emotion"
    log = draw_panel(_panel("FACEMOTION_PT_speech"), context)
    assert "The scene has no sound strips" in labels_in(log)
    assert {"emotion", "speech_level"} <= {name for _, name in props_in(log)}
    wav = speech_samples.speak_to_wav("Hello.", tmp_path / "v.wav") if speech_samples.espeak_available() else None
    strip = compat.add_sound_strip(bpy.context.scene, "voice", wav, 1) if wav else None
    if strip is None:  # no espeak-ng, or a Blender without audio (bpy 4.2's module): no strip to pick
        return
    props.speech_source = "text"
    log = draw_panel(_panel("FACEMOTION_PT_speech"), context)
    names = [name for _, name in props_in(log)]
    assert "speech_strip" in names and "direction_text" in names and "speech_window" not in names
