# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender's own File > Import > glTF 2.0 gives facemotion's shape keys their ARKit names back (issue 18).

A rig animated and exported by the CLI with ``--names unreal`` (PascalCase targets) is imported with
``bpy.ops.import_scene.gltf`` while facemotion is an enabled add-on (registered and listed in the preferences, as
Blender enables it): io_scene_gltf2 finds ``glTF2ImportUserExtension`` on facemotion's module and the imported mesh
carries the 52 ARKit names, driven by the file's animation. The same file imported without the add-on keeps
PascalCase (so the hook is what renames), and another tool's glTF with PascalCase-looking targets is left alone.
"""

import bpy
import pytest
from test_batch import run_cli, write_small_head
from test_blender_io import empty_scene

import facemotion
from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.io.export_options import export_name
from facemotion.facemotion_addon import compat

UNREAL_NAMES = {export_name(name, "unreal") for name in ARKIT_NAMES}
__all__ = ["empty_scene"]  # the factory-settings fixture (autouse), imported for the tests below


@pytest.fixture(scope="module")
def unreal_glb(tmp_path_factory):
    """facemotion's ICT head, rigged and animated (a smile) by the CLI, written with Unreal's target names."""
    folder = tmp_path_factory.mktemp("unreal")
    head, rigged, animated = folder / "head.obj", folder / "rigged.glb", folder / "animated.glb"
    write_small_head(head)
    for command in (
        ("rig", head, "--out", rigged, "-q"),
        ("animate", rigged, "--text", "smile", "--out", animated, "--names", "unreal", "-q"),
    ):
        done = run_cli(*command)
        assert done.returncode == 0, done.stderr
    return animated


@pytest.fixture
def enabled_addon():
    """facemotion enabled as Blender enables an add-on: registered and listed in the preferences' add-ons (where
    io_scene_gltf2 looks for import user extensions)."""
    facemotion.register()
    entry = bpy.context.preferences.addons.new()
    entry.module = facemotion.__name__
    yield
    if facemotion.__name__ in bpy.context.preferences.addons:
        bpy.context.preferences.addons.remove(entry)
    facemotion.unregister()


def _shape_key_names(obj):
    key = obj.data.shape_keys
    return {block.name for block in key.key_blocks if block != key.reference_key}


def _imported_meshes(path):
    assert bpy.ops.import_scene.gltf(filepath=str(path)) == {"FINISHED"}
    return [obj for obj in bpy.context.scene.objects if obj.type == "MESH" and obj.data.shape_keys is not None]


def test_blenders_gltf_import_restores_arkit_names_and_the_animation_follows(unreal_glb, enabled_addon):
    (head,) = _imported_meshes(unreal_glb)
    assert _shape_key_names(head) == set(ARKIT_NAMES)  # 52, none PascalCase: a re-rig replaces them, no second set
    key = head.data.shape_keys
    action = key.animation_data.action
    paths = {curve.data_path for curve in compat.action_fcurves(action, key)}
    assert paths and paths <= {f'key_blocks["{name}"].value' for name in ARKIT_NAMES}, sorted(paths)[:5]
    peak = {}
    for frame in range(int(action.frame_range[0]), int(action.frame_range[1]) + 1):
        bpy.context.scene.frame_set(frame)
        peak = {name: max(peak.get(name, 0.0), key.key_blocks[name].value) for name in ("mouthSmileLeft", "jawOpen")}
    assert peak["mouthSmileLeft"] > 0.3, peak  # the file's smile drives the renamed keys


def test_without_the_addon_blenders_import_keeps_pascal_case(unreal_glb):
    (head,) = _imported_meshes(unreal_glb)
    assert _shape_key_names(head) == UNREAL_NAMES


def test_another_tools_gltf_with_pascal_case_targets_is_left_alone(tmp_path, enabled_addon):
    bpy.ops.mesh.primitive_cube_add()
    cube = bpy.context.object
    cube.shape_key_add(name="Basis")
    for name in ("EyeBlinkLeft", "JawOpen", "MouthSmileLeft"):
        cube.shape_key_add(name=name).data[0].co.z += 0.5
    path = tmp_path / "other.glb"
    assert bpy.ops.export_scene.gltf(filepath=str(path), export_format="GLB") == {"FINISHED"}
    bpy.data.objects.remove(cube)  # (factory settings would also drop the add-on from the preferences)
    assert facemotion.__name__ in bpy.context.preferences.addons
    (imported,) = _imported_meshes(path)
    assert _shape_key_names(imported) == {"EyeBlinkLeft", "JawOpen", "MouthSmileLeft"}
