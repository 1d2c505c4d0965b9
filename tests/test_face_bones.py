"""Jaw and eye bones driven by jawOpen and eyeLook* (Rig Face > Drive Jaw / Eye Bones, ``--drive-bones``), in
Blender (the bpy module, real ICT geometry, no mocks), and the bone finding of core/rig/face_bones.py.

The character of tests/test_skinned_character.py (the ICT head's parts skinned to ``neck`` / ``head`` / ``jaw``, posed
before the rig) with eye bones too: MakeHuman's ``eye.L`` / ``eye.R`` at the eyeballs' centres, each eyeball
weighted to its bone. Rigged with the bones driven, the same character rigged without them (plain objects, same
landmarks) is the reference: with the head still posed, jawOpen at 1 puts the lower teeth and eyeLookOutLeft at 1
the left eyeball exactly where the plain rig's shape keys put them (moved by the head's pose), now by the bones (their
keys have lost the rotation), the skin's keys are unchanged, and the drivers are simple expressions (no Python).
A glTF animation carries the bones' turn (baked frame by frame), ``facemotion rig --drive-bones`` drives them from
a .glb of the character, and a face no armature deforms is refused in one line (command line and Rig panel).
"""

import json
import struct

import bpy
import numpy as np
import pytest
import synthetic_heads
from blender_fixtures import shape_key_co
from mathutils import Euler
from test_cli import _assert_ok, run_cli
from test_skinned_character import _evaluated, _object

import facemotion
from facemotion.core.rig.face_bones import EYE_LEFT, EYE_RIGHT, JAW, find_face_bones, named_face_bones
from facemotion.core.rig.parts import classify_parts, fit_sphere
from facemotion.core.rig.template import ICT_UNIT_M
from facemotion.facemotion_addon import pipeline, rigging
from facemotion.facemotion_addon.bone_drivers import BONE_PROP
from facemotion.facemotion_addon.bridge import armature_rest

BONES = {
    "neck": ((0.0, -0.12, -0.02), (0.0, -0.06, -0.02), None),
    "head": ((0.0, -0.06, -0.02), (0.0, 0.12, -0.02), "neck"),
    "jaw": ((0.0, -0.02, -0.01), (0.0, -0.07, 0.06), "head"),
}


def _armature(bones):
    data = bpy.data.armatures.new("rig")
    arm = bpy.data.objects.new("rig", data)
    bpy.context.scene.collection.objects.link(arm)
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="EDIT")
    for name, (head, tail, _) in bones.items():
        bone = data.edit_bones.new(name)
        bone.head, bone.tail = head, tail
    for name, (_, _, parent) in bones.items():
        if parent:
            data.edit_bones[name].parent = data.edit_bones[parent]
    bpy.ops.object.mode_set(mode="OBJECT")
    return arm


def _skin(obj, arm, bone_of):
    for name in sorted(set(bone_of)):
        obj.vertex_groups.new(name=name).add([i for i, b in enumerate(bone_of) if b == name], 1.0, "REPLACE")
    obj.modifiers.new("Armature", "ARMATURE").object = arm
    obj.parent = arm


def _set(objects, name, value):
    for obj in objects:
        keys = obj.data.shape_keys
        if keys is not None and name in keys.key_blocks:
            keys.key_blocks[name].value = value


@pytest.fixture(scope="module")
def character(tmp_path_factory):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    parts = synthetic_heads.ict_parts(tongue=True)
    bones, eyes = dict(BONES), {}
    for part in parts:
        if part.name.startswith("eyeball"):
            centre = fit_sphere(part.vertices * ICT_UNIT_M)[0]
            eyes[part.name] = "eye.L" if centre[0] > 0 else "eye.R"  # +X: the subject's left
            bones[eyes[part.name]] = (tuple(centre), tuple(centre + [0.0, 0.0, 0.02]), "head")
    arm = _armature(bones)
    jaw_line = float(np.percentile(parts[0].vertices[:, 1], 12)) * ICT_UNIT_M
    driven, plain = [], []
    for part in parts:
        obj = _object(part, "")
        bone = {"lower_teeth": "jaw", "tongue": "jaw"}.get(part.name) or eyes.get(part.name)
        heights = part.vertices[:, 1] * ICT_UNIT_M
        _skin(obj, arm, [bone or ("neck" if y < jaw_line else "head") for y in heights])
        driven.append(obj)
        plain.append(_object(part, "_plain"))
    bpy.context.view_layer.objects.active = arm
    bpy.ops.object.mode_set(mode="POSE")
    for name, angles in {"neck": (0.2, 0.0, 0.1), "head": (0.0, 0.4, 0.25)}.items():
        arm.pose.bones[name].rotation_mode = "XYZ"
        arm.pose.bones[name].rotation_euler = Euler(angles)
    bpy.ops.object.mode_set(mode="OBJECT")
    unrigged = tmp_path_factory.mktemp("bones") / "character.glb"
    pipeline.export([arm] + driven, unrigged, animations=False)  # for the command line
    landmarks = rigging.find_face(rigging.read_selection(driven))[0].points
    rigging.write_landmark_object(driven, landmarks)
    plan = rigging.plan_rig(driven, drive_bones=True)
    result = plan.compute()
    rigging.write_rig(plan, result)
    report = rigging.rig_report(plan, result)
    rigging.write_landmark_object(plain, landmarks)
    rigging.rig_objects(plain)
    yield {
        "arm": arm,
        "driven": driven,
        "plain": plain,
        "plan": plan,
        "report": report,
        "landmarks": landmarks,
        "unrigged": unrigged,
    }
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _by_name(objects, name):
    return next(o for o in objects if o.name.removesuffix("_plain") == name)


def _posed(arm, obj, points):
    """``points`` of ``obj`` moved by the pose of each vertex's bone (weight 1), the driven bones (children of
    ``head``) by the head's: where the plain rig's shape puts them on the posed character."""
    out = np.empty_like(points, dtype=np.float64)
    for group in obj.vertex_groups:
        members = [v.index for v in obj.data.vertices if any(g.group == group.index for g in v.groups)]
        bone = arm.pose.bones["head" if group.name in ("jaw", "eye.L", "eye.R") else group.name]
        m = np.array(bone.matrix @ bone.bone.matrix_local.inverted())
        out[members] = points[members] @ m[:3, :3].T + m[:3, 3]
    return out


def test_the_jaw_and_eye_bones_are_found_and_driven_by_simple_expressions(character):
    arm, plan = character["arm"], character["plan"]
    assert plan.driven == {
        "jaw": ["jawOpen"],
        "eye.L": ["eyeLookOutLeft", "eyeLookInLeft", "eyeLookUpLeft", "eyeLookDownLeft"],
        "eye.R": ["eyeLookOutRight", "eyeLookInRight", "eyeLookUpRight", "eyeLookDownRight"],
    }
    assert "bones driven: jaw by jawOpen" in character["report"]
    drivers = arm.animation_data.drivers
    assert len(drivers) == 12 and all(d.driver.is_simple_expression for d in drivers)
    assert {arm.pose.bones[name].rotation_mode for name in plan.driven} == {"QUATERNION"}
    assert arm.pose.bones["jaw"][BONE_PROP] == "jawOpen"
    skin = character["driven"][0]
    assert all(v.targets[0].id == skin.data.shape_keys for d in drivers for v in d.driver.variables)


def test_jaw_open_turns_the_jaw_bone_and_lands_where_the_shape_keys_did(character):
    arm, driven, plain = character["arm"], character["driven"], character["plain"]
    rest = {obj.name: _evaluated(obj) for obj in driven}
    _set(driven, "jawOpen", 1.0)
    try:
        opened = {obj.name: _evaluated(obj) for obj in driven}
        jaw = arm.pose.bones["jaw"].matrix_basis.to_quaternion()
        assert jaw.angle > np.radians(5)  # the bone turned
        teeth = _by_name(driven, "lower_teeth")
        target = shape_key_co(_by_name(plain, "lower_teeth"), "jawOpen")
        np.testing.assert_allclose(opened[teeth.name], _posed(arm, teeth, target), atol=2e-5)
        # The lower teeth's key holds no turn any more (the bone does it), only a shift: the rig's hinge is not
        # exactly at the bone's head.
        own = shape_key_co(teeth, "jawOpen") - shape_key_co(teeth, "Basis")
        assert np.abs(own - own.mean(axis=0)).max() < 1e-5
        skin = driven[0]
        np.testing.assert_allclose(shape_key_co(skin, "jawOpen"), shape_key_co(plain[0], "jawOpen"), atol=1e-6)
        np.testing.assert_allclose(opened[skin.name], _posed(arm, skin, shape_key_co(plain[0], "jawOpen")), atol=2e-5)
    finally:
        _set(driven, "jawOpen", 0.0)
    for obj in driven:  # back at 0: the bone is at rest again
        np.testing.assert_allclose(_evaluated(obj), rest[obj.name], atol=1e-6)


def test_eye_look_turns_the_eye_bone_and_the_keys_keep_the_lids(character):
    arm, driven, plain = character["arm"], character["driven"], character["plain"]
    left = next(o for o in driven if o.name.startswith("eyeball") and o.vertex_groups[0].name == "eye.L")
    # The eyeball's keys lost their turn to the bone: what is left (the bone's head is not exactly at the centre of
    # the rig's sphere fit) is a small shift.
    for name in ("eyeLookOutLeft", "eyeLookUpLeft"):
        own = shape_key_co(left, name) - shape_key_co(left, "Basis")
        plain_own = shape_key_co(_by_name(plain, left.name), name) - shape_key_co(_by_name(plain, left.name), "Basis")
        assert np.linalg.norm(own, axis=1).max() < 0.05 * np.linalg.norm(plain_own, axis=1).max(), name
    _set(driven, "eyeLookOutLeft", 1.0)
    try:
        target = shape_key_co(_by_name(plain, left.name), "eyeLookOutLeft")
        np.testing.assert_allclose(_evaluated(left), _posed(arm, left, target), atol=2e-5)
        skin = driven[0]  # the lids follow as before
        np.testing.assert_allclose(
            shape_key_co(skin, "eyeLookOutLeft"), shape_key_co(plain[0], "eyeLookOutLeft"), atol=1e-6
        )
    finally:
        _set(driven, "eyeLookOutLeft", 0.0)


def test_bones_are_found_by_name_in_every_scheme_and_checked_by_geometry(character):
    schemes = [
        ("jaw", "eye.L", "eye.R"),
        ("CC_Base_JawRoot", "CC_Base_L_Eye", "CC_Base_R_Eye"),
        ("lowerJaw", "lEye", "rEye"),
        ("FACIAL_C_Jaw", "FACIAL_L_Eye", "FACIAL_R_Eye"),
        ("mixamorig:Jaw", "mixamorig:LeftEye", "mixamorig:RightEye"),
        ("Jaw", "J_Adj_L_FaceEye", "J_Adj_R_FaceEye"),
    ]
    for names in schemes:
        assert named_face_bones(["Hips", "head", *names]) == {JAW: 2, EYE_LEFT: 3, EYE_RIGHT: 4}, names
    assert named_face_bones(["Hips", "jawline_helper", "eyebrow.L"]) == {}
    rest = armature_rest(character["arm"])
    skinned = rigging.read_selection(character["driven"]).combined
    parts = classify_parts(skinned.vertices, skinned.triangles, character["landmarks"])
    found = find_face_bones(rest.names, rest.heads, character["landmarks"], parts)
    assert {role: rest.names[i] for role, i in found.bones.items()} == {
        JAW: "jaw",
        EYE_LEFT: "eye.L",
        EYE_RIGHT: "eye.R",
    }
    # Left and right swapped, and a jaw bone in the forehead: named right, placed wrong, not driven.
    swapped = ["jaw", "eye.R", "eye.L"]
    heads = rest.heads[[rest.names.index(n) for n in ("jaw", "eye.L", "eye.R")]] + [
        (0.0, 0.12, 0.0),
        (0, 0, 0),
        (0, 0, 0),
    ]
    wrong = find_face_bones(swapped, heads, character["landmarks"], parts)
    assert wrong.bones == {} and set(wrong.rejected) == {JAW, EYE_LEFT, EYE_RIGHT}
    assert "jaw's hinge" in wrong.rejected[JAW] and "eyeball radii" in wrong.rejected[EYE_LEFT]


def _glb(path):
    """``(json, binary chunk)`` of a .glb file."""
    data = path.read_bytes()
    length = struct.unpack_from("<I", data, 12)[0]
    return json.loads(data[20 : 20 + length]), data[20 + length + 8 :]


def _accessor(gltf, binary, index):
    accessor = gltf["accessors"][index]
    view = gltf["bufferViews"][accessor["bufferView"]]
    width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[accessor["type"]]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    return np.frombuffer(binary, np.float32, accessor["count"] * width, start).reshape(accessor["count"], width)


def test_a_gltf_animation_carries_the_driven_bones_turn_and_the_scene_is_left_as_it_was(character, tmp_path):
    """glTF has no drivers: the export bakes the jaw's turn into the armature's animation, frame by frame, beside
    the morph weights; afterwards the armature has no action again and the scene is at its frame."""
    arm, driven = character["arm"], character["driven"]
    scene = bpy.context.scene
    _set(driven, "jawOpen", 1.0)
    bpy.context.view_layer.update()
    opened = arm.pose.bones["jaw"].rotation_quaternion.copy()
    actions = set(bpy.data.actions)
    try:
        for frame, value in ((1, 0.0), (11, 1.0), (21, 0.0)):
            _set(driven, "jawOpen", value)
            for obj in driven:
                if obj.data.shape_keys is not None:
                    obj.data.shape_keys.key_blocks["jawOpen"].keyframe_insert("value", frame=frame)
        scene.frame_set(5)
        path = tmp_path / "animated.glb"
        pipeline.export([arm] + driven, path, animations=True)
        assert arm.animation_data is None or arm.animation_data.action is None
        assert scene.frame_current == 5
        gltf, binary = _glb(path)
        (animation,) = gltf["animations"]
        nodes = gltf["nodes"]
        channels = {(nodes[c["target"]["node"]]["name"], c["target"]["path"]): c for c in animation["channels"]}
        assert ("jaw", "rotation") in channels and ("eye.L", "rotation") in channels
        assert ("head_skin", "weights") in channels
        sampler = animation["samplers"][channels[("jaw", "rotation")]["sampler"]]
        times = _accessor(gltf, binary, sampler["input"])[:, 0]
        turns = _accessor(gltf, binary, sampler["output"])  # the joint's whole local rotation (rest and turn)
        fps = scene.render.fps / scene.render.fps_base
        np.testing.assert_allclose(times, np.arange(21) / fps, atol=1e-4)  # from time 0, a key per frame
        angles = 2 * np.degrees(np.arccos(np.clip(np.abs(turns @ turns[0]), 0, 1)))  # turned from the rest
        assert angles[0] == pytest.approx(0.0, abs=1e-3) and angles[-1] == pytest.approx(0.0, abs=1e-3)
        assert angles[10] == pytest.approx(np.degrees(opened.angle), abs=0.05)  # jawOpen 1 at frame 11
    finally:
        for obj in driven:
            if obj.data.shape_keys is not None and obj.data.shape_keys.animation_data is not None:
                obj.data.shape_keys.animation_data_clear()
        for action in set(bpy.data.actions) - actions:
            bpy.data.actions.remove(action)
        _set(driven, "jawOpen", 0.0)
    assert set(bpy.data.actions) == actions


def test_the_command_line_drives_the_bones_and_refuses_a_face_without_an_armature(character, tmp_path):
    out = tmp_path / "rigged.glb"
    proc = run_cli("rig", character["unrigged"], "--drive-bones", "--out", out)
    _assert_ok(proc)
    text = proc.stdout + proc.stderr
    assert "bone jaw driven by jawOpen" in text and "bone eye.L driven by eyeLookOutLeft" in text, text
    gltf, _ = _glb(out)
    assert {"jaw", "eye.L", "eye.R"} <= {node["name"] for node in gltf["nodes"]}
    synthetic_heads.write_obj(tmp_path / "face.obj", synthetic_heads.canonical_face())
    proc = run_cli("rig", tmp_path / "face.obj", "--drive-bones", "--out", tmp_path / "face.glb")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "no armature deforms the face" in proc.stderr and not (tmp_path / "face.glb").exists()


def test_rig_face_with_the_rig_panels_checkbox_refuses_a_face_without_an_armature(character):
    """The Rig panel's Drive Jaw / Eye Bones (the scene setting the operator reads) on meshes no armature deforms:
    one clear error, and the meshes' keys are as they were."""
    plain = character["plain"]
    facemotion.register()
    try:
        for obj in bpy.context.view_layer.objects:
            obj.select_set(False)
        for obj in plain:
            obj.select_set(True)
        bpy.context.view_layer.objects.active = plain[0]
        before = shape_key_co(plain[0], "jawOpen").copy()
        bpy.context.scene.facemotion.drive_bones = True
        with pytest.raises(RuntimeError, match="no armature deforms the face"):
            bpy.ops.facemotion.rig_face(replace_keys=True)
        np.testing.assert_array_equal(shape_key_co(plain[0], "jawOpen"), before)
    finally:
        facemotion.unregister()


def test_rigging_again_without_drive_bones_releases_the_bones(character):
    """Last (it re-rigs the character): a rig without Drive Bones removes facemotion's drivers, puts the bones back
    at rest, and the keys turn the eyeballs and teeth again."""
    arm, driven, plain = character["arm"], character["driven"], character["plain"]
    plan = rigging.plan_rig(driven, replace=True)
    result = plan.compute()
    rigging.write_rig(plan, result)
    assert sorted(plan.released) == ["eye.L", "eye.R", "jaw"]
    assert "bones no longer driven (back at rest): " in rigging.rig_report(plan, result)
    assert not arm.animation_data.drivers and not any(BONE_PROP in b for b in arm.pose.bones)
    teeth = _by_name(driven, "lower_teeth")
    np.testing.assert_allclose(
        shape_key_co(teeth, "jawOpen"), shape_key_co(_by_name(plain, "lower_teeth"), "jawOpen"), atol=1e-6
    )
