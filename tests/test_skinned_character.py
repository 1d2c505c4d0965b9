"""A skinned character (armature + weights, posed) rigged, posed and exported, in Blender (the bpy module, real ICT
geometry, no mocks).

The ICT head's parts as separate objects (metres), each parented to an armature with ``neck`` / ``head`` / ``jaw``
bones and deformed by its Armature modifier: the skin below the jaw line weighted to the neck, the rest to the
head, the lower teeth to the jaw. The armature is posed (head turned and tilted) before the rig. The rig must read
the rest mesh, not the posed one: its shape keys are those of the same head rigged without an armature (same
landmarks), the Armature modifier stays in place after the shape keys (Blender evaluates shape keys first), so the
posed jawOpen is the pose applied to the rest jawOpen; the glTF export holds the skin (joints, weights, the rest
positions) and the 52 morph targets, the FBX export the armature, the weights and the shape keys (read back with
Blender's FBX importer). Jaw and eye bones are not driven by the rig: jawOpen and eyeLook* stay shape keys.
"""

import json
import struct

import bpy
import numpy as np
import pytest
import synthetic_heads
from blender_fixtures import shape_key_co
from mathutils import Euler

from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.rig.template import ICT_UNIT_M
from facemotion.facemotion_addon import pipeline, rigging

BONES = {
    "neck": ((0.0, -0.12, -0.02), (0.0, -0.06, -0.02)),
    "head": ((0.0, -0.06, -0.02), (0.0, 0.12, -0.02)),
    "jaw": ((0.0, -0.02, -0.01), (0.0, -0.07, 0.06)),
}


def _object(part, suffix):
    mesh = bpy.data.meshes.new(part.name + suffix)
    mesh.from_pydata((part.vertices * ICT_UNIT_M).tolist(), [], part.triangles.tolist())
    obj = bpy.data.objects.new(part.name + suffix, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj


def _armature():
    data = bpy.data.armatures.new("rig")
    arm = bpy.data.objects.new("rig", data)
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    for name, (head, tail) in BONES.items():
        bone = data.edit_bones.new(name)
        bone.head, bone.tail = head, tail
    data.edit_bones["head"].parent = data.edit_bones["neck"]
    data.edit_bones["jaw"].parent = data.edit_bones["head"]
    bpy.ops.object.mode_set(mode="OBJECT")
    return arm


def _skin(obj, arm, bone_of):
    """Parent ``obj`` to ``arm`` with an Armature modifier; ``bone_of (V,) list[str]`` each vertex's bone (weight 1)."""
    for name in BONES:
        group = obj.vertex_groups.new(name=name)
        members = [i for i, b in enumerate(bone_of) if b == name]
        if members:
            group.add(members, 1.0, "REPLACE")
    modifier = obj.modifiers.new("Armature", "ARMATURE")
    modifier.object = arm
    obj.parent = arm


def _evaluated(obj):
    depsgraph = bpy.context.evaluated_depsgraph_get()
    mesh = obj.evaluated_get(depsgraph).to_mesh()
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    obj.evaluated_get(depsgraph).to_mesh_clear()
    return co.reshape(-1, 3).astype(np.float64)


def _local(obj):
    co = np.empty(len(obj.data.vertices) * 3, dtype=np.float32)
    obj.data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def _glb_json(path):
    data = path.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    return json.loads(data[20 : 20 + length])


@pytest.fixture(scope="module")
def skinned(tmp_path_factory):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    parts = synthetic_heads.ict_parts(tongue=True)
    arm = _armature()
    jaw_line = float(np.percentile(parts[0].vertices[:, 1], 12)) * ICT_UNIT_M
    skinned_objects, plain_objects = [], []
    for part in parts:
        obj = _object(part, "")
        y = part.vertices[:, 1] * ICT_UNIT_M
        bone = {"lower_teeth": "jaw", "tongue": "jaw"}.get(part.name)
        _skin(obj, arm, [bone or ("neck" if height < jaw_line else "head") for height in y])
        skinned_objects.append(obj)
        plain_objects.append(_object(part, "_plain"))
    rest = {obj.name: _local(obj).copy() for obj in skinned_objects}
    # Posed before the rig: the head turned and tilted, the jaw a little open.
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="POSE")
    arm.pose.bones["neck"].rotation_mode = arm.pose.bones["head"].rotation_mode = "XYZ"
    arm.pose.bones["neck"].rotation_euler = Euler((0.2, 0.0, 0.1))
    arm.pose.bones["head"].rotation_euler = Euler((0.0, 0.4, 0.25))
    arm.pose.bones["jaw"].rotation_mode = "XYZ"
    arm.pose.bones["jaw"].rotation_euler = Euler((0.15, 0.0, 0.0))
    bpy.ops.object.mode_set(mode="OBJECT")
    posed_before = {obj.name: _evaluated(obj) for obj in skinned_objects}

    landmarks = rigging.find_face(rigging.read_selection(skinned_objects))[0].points
    rigging.write_landmark_object(skinned_objects, landmarks)
    skinned_result, _ = rigging.rig_objects(skinned_objects)
    rigging.write_landmark_object(plain_objects, landmarks)
    plain_result, _ = rigging.rig_objects(plain_objects)
    folder = tmp_path_factory.mktemp("skinned")
    path, fbx = folder / "skinned.glb", folder / "skinned.fbx"
    pipeline.export([arm] + skinned_objects, path, animations=False)
    pipeline.export([arm] + skinned_objects, fbx, animations=False)
    yield {
        "arm": arm,
        "skinned": skinned_objects,
        "plain": plain_objects,
        "rest": rest,
        "path": path,
        "fbx": fbx,
        "posed_before": posed_before,
        "results": (skinned_result, plain_result),
    }
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_a_posed_character_is_rigged_in_its_rest_shape(skinned):
    skin = skinned["skinned"][0]
    assert np.abs(skinned["posed_before"][skin.name] - skinned["rest"][skin.name]).max() > 0.02  # really posed
    for obj, plain in zip(skinned["skinned"], skinned["plain"]):
        assert np.array_equal(_local(obj), skinned["rest"][obj.name]), obj.name  # the rest mesh is kept
        keys, plain_keys = obj.data.shape_keys, plain.data.shape_keys
        assert (keys is None) == (plain_keys is None), obj.name
        if keys is None:
            continue
        assert np.array_equal(shape_key_co(obj, "Basis"), skinned["rest"][obj.name]), obj.name
        for name in ARKIT_NAMES:
            # The same shapes as the head rigged without an armature: the pose never reached the rig.
            np.testing.assert_allclose(
                shape_key_co(obj, name), shape_key_co(plain, name), atol=1e-6, err_msg=f"{obj.name} {name}"
            )
    jaw = shape_key_co(skinned["skinned"][0], "jawOpen") - shape_key_co(skinned["skinned"][0], "Basis")
    assert np.linalg.norm(jaw, axis=1).max() > 0.003


def test_the_armature_still_deforms_after_the_shape_keys(skinned):
    skin = skinned["skinned"][0]
    assert [m.type for m in skin.modifiers] == ["ARMATURE"] and skin.modifiers[0].object == skinned["arm"]
    # Shape keys at rest: the posed mesh is what it was before the rig.
    np.testing.assert_allclose(_evaluated(skin), skinned["posed_before"][skin.name], atol=1e-6)
    # jawOpen at 1 under the pose: each vertex is moved by its bone's pose (weight 1) from the rest jawOpen.
    skin.data.shape_keys.key_blocks["jawOpen"].value = 1.0
    posed = _evaluated(skin)
    skin.data.shape_keys.key_blocks["jawOpen"].value = 0.0
    opened = shape_key_co(skin, "jawOpen").astype(np.float64)
    arm = skinned["arm"]
    expected = np.empty_like(opened)
    for group in skin.vertex_groups:
        members = [v.index for v in skin.data.vertices if any(g.group == group.index for g in v.groups)]
        if not members:
            continue
        bone = arm.pose.bones[group.name]
        m = np.array(bone.matrix @ bone.bone.matrix_local.inverted())
        expected[members] = opened[members] @ m[:3, :3].T + m[:3, 3]
    np.testing.assert_allclose(posed, expected, atol=1e-5)
    assert np.abs(posed - skinned["posed_before"][skin.name]).max() > 0.003  # and the mouth did open


def test_the_export_holds_the_skin_and_the_morph_targets(skinned):
    gltf = _glb_json(skinned["path"])
    assert len(gltf.get("skins", [])) >= 1
    joints = {gltf["nodes"][j]["name"] for j in gltf["skins"][0]["joints"]}
    assert {"neck", "head", "jaw"} <= joints
    by_name = {mesh["name"]: mesh for mesh in gltf["meshes"]}
    skin = by_name[skinned["skinned"][0].data.name]
    primitive = skin["primitives"][0]
    assert "JOINTS_0" in primitive["attributes"] and "WEIGHTS_0" in primitive["attributes"]
    assert len(primitive["targets"]) == len(ARKIT_NAMES)
    assert set(skin["extras"]["targetNames"]) == set(ARKIT_NAMES)
    # The rest positions are exported (glTF skins them at load time), not the posed ones.
    position = gltf["accessors"][primitive["attributes"]["POSITION"]]
    rest = skinned["rest"][skinned["skinned"][0].name]
    gltf_rest = rest[:, [0, 2, 1]] * [1, 1, -1]  # Blender Z-up -> glTF Y-up
    np.testing.assert_allclose(position["min"], gltf_rest.min(axis=0), atol=1e-4)
    np.testing.assert_allclose(position["max"], gltf_rest.max(axis=0), atol=1e-4)


def test_the_fbx_export_holds_the_armature_and_the_shape_keys(skinned):
    before = set(bpy.data.objects)
    bpy.ops.import_scene.fbx(filepath=str(skinned["fbx"]))
    imported = set(bpy.data.objects) - before
    armatures = [o for o in imported if o.type == "ARMATURE"]
    assert len(armatures) == 1 and {"neck", "head", "jaw"} <= set(armatures[0].data.bones.keys())
    skin = next(
        o
        for o in imported
        if o.type == "MESH"
        and o.data.shape_keys is not None
        and len(o.data.vertices) == len(skinned["skinned"][0].data.vertices)
    )
    assert set(ARKIT_NAMES) <= set(skin.data.shape_keys.key_blocks.keys())
    assert any(m.type == "ARMATURE" and m.object == armatures[0] for m in skin.modifiers)
    assert {"neck", "head"} <= {g.name for g in skin.vertex_groups}
