# SPDX-License-Identifier: GPL-3.0-or-later
"""A character's strength (core/animation/strength.py, facemotion_addon/settings/strength_properties.py) and the
shading of flat meshes (facemotion_addon/shading.py), on MediaPipe's canonical face in real bpy.

The strength is applied where shape-key values are written (``shape_keys.set_weights``: presets, the wheel, live
capture; ``keyframes.bake_shape_key_weights``: timeline bakes, text directions, speech, captured takes), so each path
is checked on what Blender then holds. The command line runs in a subprocess, as a user runs it: ``rig`` and
``animate`` of a Blender-exported FBX whose custom normals are flat (what Blender's FBX export of a flat OBJ gives),
with and without ``--no-smooth``, read back with the standard library's glTF reader of tests/test_cli.py.
"""

import json

import bpy
import numpy as np
import pytest
from test_addon_ui import add_arkit_keys, context_for, draw_panel, props_in
from test_cli import accessor, read_gltf, run_cli

import facemotion
from facemotion.core.animation.strength import REGIONS, Strength, parse_region_strength
from facemotion.core.animation.timeline import bake_timeline, timeline_from_json
from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES, ARKIT_REGION, ARKIT_REGIONS
from facemotion.core.capture.take import Take
from facemotion.core.emotion.presets import preset_weights
from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path
from facemotion.facemotion_addon import bridge, compat, pipeline, shading
from facemotion.facemotion_addon.keyframes import shape_key_data_path
from facemotion.facemotion_addon.settings.strength_properties import object_strength, store_strength
from facemotion.facemotion_addon.takes import write_take

CANONICAL_FACE = "mediapipe/face_geometry/canonical_face_model.obj"
TIMELINE = {"fps": 24, "duration": 1.0, "keys": [{"time": 0.0, "emotion": "neutral"}, {"time": 0.5, "emotion": "joy"}]}

# ------------------------------------------------------------------------------------------------------------ core


def test_every_arkit_name_is_in_exactly_one_region():
    assert tuple(ARKIT_REGIONS) == REGIONS == ("brows", "eyes", "cheeks", "mouth", "jaw")
    assert sorted(n for names in ARKIT_REGIONS.values() for n in names) == sorted(ARKIT_NAMES)
    assert ARKIT_REGION["noseSneerLeft"] == "cheeks" and ARKIT_REGION["tongueOut"] == "mouth"
    assert ARKIT_REGIONS["jaw"] == ("jawForward", "jawLeft", "jawRight", "jawOpen")


def test_gains_multiply_by_region_and_clamp_to_0_1():
    strength = Strength(1.5, {"mouth": 0.5, "brows": 2.0})
    weights = np.full((2, 52), 0.4)
    shown = strength.apply(weights, ARKIT_NAMES)
    assert shown.shape == (2, 52)
    assert shown[0, ARKIT_INDEX["mouthSmileLeft"]] == pytest.approx(0.4 * 1.5 * 0.5)
    assert shown[0, ARKIT_INDEX["browInnerUp"]] == 1.0  # 0.4 * 3 = 1.2: clamped, never past the sculpted extreme
    assert shown[0, ARKIT_INDEX["eyeBlinkLeft"]] == pytest.approx(0.6)  # the overall gain alone
    assert shown.min() >= 0.0 and shown.max() <= 1.0
    # Names outside the ARKit 52 (visemes) get the overall gain; a neutral strength changes nothing, not even a
    # user's out-of-range value.
    assert strength.apply([0.2, 0.2], ["viseme_aa", "jawOpen"]).tolist() == pytest.approx([0.3, 0.3])
    assert Strength().apply([1.7], ["jawOpen"]).tolist() == [1.7]
    assert Strength(0.0).apply(weights, ARKIT_NAMES).max() == 0.0
    assert strength.text() == "1.5; brows=2, mouth=0.5"


@pytest.mark.parametrize(
    "text, message",
    [
        ("brows", "write REGION=GAIN"),
        ("nose=1.2", "unknown face region 'nose'"),
        ("mouth=1,mouth=2", "gives mouth twice"),
        ("jaw=-1", "the jaw strength must be 0..5"),
        ("eyes=nan", "the eyes strength must be 0..5"),
        ("eyes=lots", "the eyes strength must be a number"),
    ],
)
def test_bad_region_strengths_are_refused(text, message):
    with pytest.raises(InputError, match=message):
        parse_region_strength(text)


def test_region_strength_parses():
    assert parse_region_strength(" brows=1.2, MOUTH=0.8 ,") == {"brows": 1.2, "mouth": 0.8}
    with pytest.raises(InputError, match="the strength must be 0..5"):
        Strength(6)


# ----------------------------------------------------------------------------------------------------------- bpy


@pytest.fixture
def face():
    """The canonical face with 52 hand-made ARKit keys and a strength, facemotion registered (the Rig panel)."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    facemotion.register()
    (obj,) = pipeline.load_mesh(asset_path(CANONICAL_FACE))
    add_arkit_keys(obj)
    store_strength(obj, Strength(0.5, {"mouth": 3.0}))
    yield obj
    facemotion.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _values(obj):
    blocks = obj.data.shape_keys.key_blocks
    return np.array([blocks[name].value for name in ARKIT_NAMES])


def _keyed(obj, frames):
    action = obj.data.shape_keys.animation_data.action
    curves = {fc.data_path: fc for fc in compat.action_fcurves(action, obj.data.shape_keys)}
    return bridge.fcurve_values([curves.get(shape_key_data_path(n)) for n in ARKIT_NAMES], frames)


def test_the_strength_is_stored_on_the_object_and_drawn_in_the_rig_panel(face):
    assert face["facemotion_strength"] == 0.5 and face["facemotion_strength_mouth"] == 3.0
    assert face["facemotion_strength_brows"] == 1.0  # every region is written, 1 included
    ui = face.id_properties_ui("facemotion_strength_brows").as_dict()
    assert (ui["min"], ui["max"], ui["default"]) == (0.0, 5.0, 1.0)
    face["facemotion_strength_brows"] = 1.25  # the Rig panel's slider
    assert object_strength(face) == Strength(0.5, {"brows": 1.25, "mouth": 3.0, "eyes": 1, "cheeks": 1, "jaw": 1})
    drawn = [name for _, name in props_in(draw_panel(bpy.types.FACEMOTION_PT_rig, context_for(face, [face])))]
    assert drawn[-6:] == ['["facemotion_strength"]', *(f'["facemotion_strength_{r}"]' for r in REGIONS)]
    face["facemotion_strength"] = 50.0  # typed by hand in the custom properties
    with pytest.raises(InputError, match="the strength must be 0..5"):
        object_strength(face)


def test_presets_bakes_and_captures_show_the_characters_strength(face):
    strength = object_strength(face)
    # An emotion preset through the operator (the Emotion panel's Apply: pipeline.pose, shape_keys.set_weights).
    bpy.context.view_layer.objects.active = face
    face.select_set(True)
    assert bpy.ops.facemotion.apply_emotion(emotion="joy", intensity=0.8) == {"FINISHED"}
    joy = preset_weights("joy", 0.8)
    np.testing.assert_allclose(_values(face), strength.apply(joy, ARKIT_NAMES), atol=1e-6)
    smile = ARKIT_INDEX["mouthSmileLeft"]
    assert joy[smile] * 0.5 * 3.0 > 1.0 and _values(face)[smile] == 1.0  # clamped at the sculpted extreme
    # A timeline bake with sparse Bezier keys (the curves fitted before the gain are refitted to what is shown).
    timeline = timeline_from_json(TIMELINE)
    weights = pipeline.bake([face], timeline, sparse=True)
    np.testing.assert_allclose(weights, bake_timeline(**timeline))  # the timeline's own weights are returned
    frames = 1 + np.arange(len(weights))
    np.testing.assert_allclose(_keyed(face, frames), strength.apply(weights, ARKIT_NAMES), atol=2e-3)
    # A captured take.
    rng = np.random.default_rng(0)
    take = Take(fps=30.0, weights=rng.uniform(0, 1, (12, 52)).astype(np.float32))
    write_take([face], take)
    np.testing.assert_allclose(_keyed(face, 1 + np.arange(12)), strength.apply(take.weights, ARKIT_NAMES), atol=1e-6)


# ------------------------------------------------------------------------------------------------------- shading


def _fbx_with_flat_custom_normals(path):
    """The canonical face (a flat OBJ) through Blender's FBX export: the importer gives it custom normals, each its
    face's normal."""
    bpy.ops.wm.read_homefile(use_empty=True)
    (obj,) = pipeline.load_mesh(asset_path(CANONICAL_FACE))
    obj.select_set(True)
    bpy.ops.export_scene.fbx(filepath=str(path), use_selection=True)
    return path


def test_flat_custom_normals_count_as_flat_and_come_back_after_an_export(tmp_path):
    fbx = _fbx_with_flat_custom_normals(tmp_path / "flat.fbx")
    bpy.ops.wm.read_homefile(use_empty=True)
    (obj,) = pipeline.load_mesh(fbx)
    assert compat.mesh_has_custom_normals(obj.data) and shading.has_flat_custom_normals(obj)
    assert shading.needs_smoothing(obj)
    before = bridge.corner_normals(obj.data)[0]
    with shading.smoothed_for_export([obj]) as smoothed:
        assert smoothed == [obj] and not compat.mesh_has_custom_normals(obj.data)
    assert compat.mesh_has_custom_normals(obj.data)  # the user's mesh as it was
    # Custom normals are stored quantised: written back, they are within 2e-4 of what they were (bpy 4.2).
    np.testing.assert_allclose(bridge.corner_normals(obj.data)[0], before, atol=1e-3)
    # Smooth custom normals were chosen by someone: left alone.
    shading.shade_smooth_by_angle(obj, 180.0)
    bridge.set_custom_normals(obj.data, bridge.corner_normals(obj.data)[0])
    assert compat.mesh_has_custom_normals(obj.data) and not shading.needs_smoothing(obj)
    bpy.ops.wm.read_homefile(use_empty=True)


# --------------------------------------------------------------------------------------------------- command line


def _glb_vertices_and_strength(path):
    doc, buffers = read_gltf(path)
    (node,) = [n for n in doc["nodes"] if "mesh" in n]
    positions = [accessor(doc, buffers, p["attributes"]["POSITION"]) for p in doc["meshes"][0]["primitives"]]
    return sum(len(p) for p in positions), node.get("extras", {}), doc


@pytest.fixture(scope="module")
def flat_fbx(tmp_path_factory):
    return _fbx_with_flat_custom_normals(tmp_path_factory.mktemp("strength") / "flat.fbx")


def test_rig_smooths_flat_custom_normals_and_says_so(flat_fbx):
    out = flat_fbx.with_name("smooth.glb")
    proc = run_cli("rig", flat_fbx, "--out", out, "--strength", "1.2", "--region-strength", "brows=0.5")
    assert proc.returncode == 0, proc.stderr
    assert "custom normals of canonical_face_model are all flat (faceted): treated as flat and smooth-shaded" in (
        proc.stdout
    )
    assert "strength 1.2; brows=0.5 on canonical_face_model" in proc.stdout
    vertices, extras, _ = _glb_vertices_and_strength(out)
    assert vertices < 600  # smooth: one vertex per mesh vertex (468) plus UV seams; flat: one per corner (2,582)
    assert extras["facemotion_strength"] == pytest.approx(1.2)
    assert extras["facemotion_strength_brows"] == pytest.approx(0.5)
    assert extras["facemotion_strength_mouth"] == pytest.approx(1.0)


def test_no_smooth_keeps_the_mesh_flat_and_the_bake_carries_the_strength(flat_fbx):
    out = flat_fbx.with_name("flat.glb")
    proc = run_cli(
        "animate",
        flat_fbx,
        "--text",
        "happy",
        "--no-smooth",
        "--region-strength",
        "mouth=0.5",
        "--out",
        out,
    )
    assert proc.returncode == 0, proc.stderr
    assert "kept as they are (--no-smooth)" in proc.stdout
    vertices, extras, doc = _glb_vertices_and_strength(out)
    assert vertices > 2500  # flat, as asked: every corner its own vertex
    assert extras["facemotion_strength"] == 1.0 and extras["facemotion_strength_mouth"] == 0.5
    # The baked weights carry the gain: no mouth weight above 0.5 in the animation.
    (animation,) = doc["animations"]
    buffers = read_gltf(out)[1]
    (channel,) = [c for c in animation["channels"] if c["target"]["path"] == "weights"]
    values = accessor(doc, buffers, animation["samplers"][channel["sampler"]]["output"]).reshape(-1, 52)
    mouth = [ARKIT_INDEX[n] for n in ARKIT_REGIONS["mouth"]]
    assert 0.2 < values[:, mouth].max() <= 0.5 + 1e-6, values[:, mouth].max()
    assert values[:, ARKIT_INDEX["cheekSquintLeft"]].max() > 0.5  # other regions at full strength
    assert json.dumps(extras)  # plain JSON numbers
