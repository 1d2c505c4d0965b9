# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender I/O on real data with the real bpy module: mesh import, shape keys, keyframes, exports.

Every test starts from Blender's empty factory scene. Written files are read back independently: GLB with the
standard library (json + struct), FBX and .blend with Blender's own importers.
"""

import json
import struct
from pathlib import Path

import bpy
import numpy as np
import pytest
from blender_fixtures import CUBE_OBJ, shape_key_co

from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.errors import FacemotionError, InputError
from facemotion.core.io import export_options
from facemotion.core.io.assets import asset_path
from facemotion.core.io.mesh_io import read_obj
from facemotion.facemotion_addon import bridge, compat, export, keyframes, mesh_import, shape_keys

ICT_NEUTRAL = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"


@pytest.fixture(autouse=True)
def empty_scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    yield
    bpy.ops.wm.read_factory_settings(use_empty=True)


@pytest.fixture
def cube(tmp_path):
    """A cube mesh object imported from an OBJ the test writes (8 vertices, 6 quads)."""
    path = tmp_path / "cube.obj"
    path.write_text(CUBE_OBJ)
    (obj,) = mesh_import.import_mesh_file(path)
    return obj


def _cube(tmp_path, name):
    path = tmp_path / f"{name}.obj"
    path.write_text(CUBE_OBJ)
    (obj,) = mesh_import.import_mesh_file(path)
    obj.name = name
    return obj


def _evaluated_vertices(obj):
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    mesh = evaluated.to_mesh()
    co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
    mesh.vertices.foreach_get("co", co)
    evaluated.to_mesh_clear()
    return co.reshape(-1, 3)


def _keys_on(obj, names, seed=0, scale=0.01):
    """Write facemotion keys with random deltas on ``obj``; returns the deltas."""
    rng = np.random.default_rng(seed)
    deltas = rng.normal(0.0, scale, (len(names), len(obj.data.vertices), 3)).astype(np.float32)
    shape_keys.write_shape_keys(obj, deltas, names)
    return deltas


def _curve_points(action, key):
    out = {}
    for fcurve in compat.action_fcurves(action, key):
        co = np.empty(len(fcurve.keyframe_points) * 2, dtype=np.float32)
        fcurve.keyframe_points.foreach_get("co", co)
        out[fcurve.data_path] = (
            co.reshape(-1, 2),
            [p.interpolation for p in fcurve.keyframe_points],
            fcurve.group.name if fcurve.group else None,
        )
    return out


def _values_at(obj, names, frames):
    scene = bpy.context.scene
    blocks = obj.data.shape_keys.key_blocks
    rows = []
    for frame in frames:
        scene.frame_set(int(frame))
        rows.append([blocks[n].value for n in names])
    return np.array(rows)


def _read_glb(path):
    """``(json dict, bin bytes)`` of a GLB file, parsed per the glTF 2.0 binary container spec."""
    data = Path(path).read_bytes()
    magic, version, length = struct.unpack_from("<4sII", data, 0)
    assert magic == b"glTF" and version == 2 and length == len(data)
    json_len, json_type = struct.unpack_from("<I4s", data, 12)
    assert json_type == b"JSON"
    doc = json.loads(data[20 : 20 + json_len])
    offset = 20 + json_len
    bin_len, bin_type = struct.unpack_from("<I4s", data, offset)
    assert bin_type == b"BIN\x00"
    return doc, data[offset + 8 : offset + 8 + bin_len]


def _accessor(doc, blob, index):
    accessor = doc["accessors"][index]
    assert accessor["componentType"] == 5126  # FLOAT
    view = doc["bufferViews"][accessor["bufferView"]]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[accessor["type"]]
    start = view.get("byteOffset", 0) + accessor.get("byteOffset", 0)
    values = np.frombuffer(blob, dtype="<f4", count=accessor["count"] * width, offset=start)
    return values.reshape(accessor["count"], width) if width > 1 else values


# --------------------------------------------------------------------------------------------------------------- import


def test_import_ict_obj_keeps_vertex_order_and_turns_y_up_into_z_up():
    path = asset_path(ICT_NEUTRAL)
    objects = mesh_import.import_mesh_file(path)
    assert len(objects) == 1
    local, triangles, polygons = bridge.mesh_arrays(objects[0], world=False)
    world = bridge.mesh_arrays(objects[0], world=True)[0]
    reference = read_obj(path)
    assert local.shape == reference.vertices.shape == (26719, 3)
    # Blender's OBJ importer keeps the file's coordinates and order in the mesh and puts the axis change (forward
    # -Z, up Y -> Blender's Z up) in the object's rotation: file (x, y, z) is (x, -z, y) in the world.
    np.testing.assert_allclose(local, reference.vertices, atol=1e-5)
    x, y, z = reference.vertices.T
    np.testing.assert_allclose(world, np.stack([x, -z, y], axis=1), atol=1e-5)
    assert triangles.dtype == np.int64 and triangles.shape[1] == 3
    assert len(triangles) == len(reference.triangles)
    assert polygons.max() == len(objects[0].data.polygons) - 1


def test_mesh_arrays_world_applies_the_object_transform(cube):
    cube.location = (1.0, 2.0, 3.0)
    cube.rotation_euler = (0.0, 0.0, np.pi / 2)
    cube.scale = (2.0, 2.0, 2.0)
    bpy.context.view_layer.update()
    local, tris, polys = bridge.mesh_arrays(cube, world=False)
    world = bridge.mesh_arrays(cube, world=True)[0]
    expected = np.stack([-2 * local[:, 1], 2 * local[:, 0], 2 * local[:, 2]], axis=1) + [1.0, 2.0, 3.0]
    np.testing.assert_allclose(world, expected, atol=1e-6)
    assert tris.shape == (12, 3) and sorted(set(polys.tolist())) == list(range(6))


def test_import_errors_are_one_line_input_errors(tmp_path):
    with pytest.raises(InputError, match="not found"):
        mesh_import.import_mesh_file(tmp_path / "missing.obj")
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(InputError, match="unsupported"):
        mesh_import.import_mesh_file(text)
    garbage = tmp_path / "garbage.obj"
    garbage.write_text("this is not an OBJ file\n\x00\x01 random words 12 ab\n")
    with pytest.raises(InputError, match="no mesh with faces"):
        mesh_import.import_mesh_file(garbage)
    points = tmp_path / "points.obj"
    points.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\n")
    with pytest.raises(InputError, match="has vertices but no faces"):
        mesh_import.import_mesh_file(points)
    bad_glb = tmp_path / "bad.glb"
    bad_glb.write_bytes(b"glTF not really")
    with pytest.raises(InputError, match="could not be imported"):
        mesh_import.import_mesh_file(bad_glb)
    bad_blend = tmp_path / "bad.blend"
    bad_blend.write_bytes(b"BLENDER? no")
    with pytest.raises(InputError, match="could not be imported"):
        mesh_import.import_mesh_file(bad_blend)
    with pytest.raises(InputError) as info:
        mesh_import.import_mesh_file(bad_glb)
    assert "\n" not in str(info.value)
    # Failed imports leave nothing behind.
    assert len(bpy.data.objects) == 0


def test_cube_obj_written_by_the_test_is_a_mesh(cube):
    assert cube.type == "MESH"
    assert len(cube.data.vertices) == 8 and len(cube.data.polygons) == 6


def test_blend_import_appends_mesh_objects(tmp_path, cube):
    _keys_on(cube, ["jawOpen"])
    saved = export.save_blend(tmp_path / "face.blend")
    bpy.ops.wm.read_factory_settings(use_empty=True)
    objects = mesh_import.import_mesh_file(saved)
    assert [o.name for o in objects] == ["cube"]
    assert objects[0].name in bpy.context.scene.collection.all_objects
    assert [b.name for b in objects[0].data.shape_keys.key_blocks] == ["Basis", "jawOpen"]


# ----------------------------------------------------------------------------------------------------------- shape keys


def test_write_shape_keys_on_the_ict_head_round_trips_local_deltas():
    (head,) = mesh_import.import_mesh_file(asset_path(ICT_NEUTRAL))
    # A transform on the object must not matter: deltas are in local space.
    head.scale = (0.5, 0.5, 0.5)
    head.rotation_euler = (0.3, 0.0, 0.0)
    n = len(head.data.vertices)
    base = bridge.mesh_arrays(head, world=False)[0].astype(np.float32)
    names = ["jawOpen", "mouthSmileLeft", "browInnerUp"]
    deltas = np.zeros((3, n, 3), dtype=np.float32)
    deltas[0, :, 2] = -0.5  # everything down 0.5
    deltas[1, ::2, 0] = 0.25  # every other vertex +x
    deltas[2] = 0.01 * base  # 1 % radial growth
    assert shape_keys.write_shape_keys(head, deltas, names) == names

    key = head.data.shape_keys
    assert [b.name for b in key.key_blocks] == ["Basis"] + names
    basis = shape_key_co(head, "Basis")
    np.testing.assert_allclose(basis, base, atol=0)
    for name, delta in zip(names, deltas):
        block = key.key_blocks[name]
        assert block.relative_key == key.reference_key and block.value == 0.0
        np.testing.assert_allclose(shape_key_co(head, name) - basis, delta, atol=1e-5)
    assert shape_keys.facemotion_key_names(head) == names

    # The evaluated mesh follows the weights: 0.5 jawOpen + 1.0 smile.
    assert shape_keys.set_weights(head, [0.5, 1.0, 0.0, 0.3], names + ["tongueOut"]) == ["tongueOut"]
    np.testing.assert_allclose(_evaluated_vertices(head), base + 0.5 * deltas[0] + deltas[1], atol=1e-5)


def test_clash_with_a_users_key_is_refused_and_user_keys_are_untouched(cube):
    cube.shape_key_add(name="Basis", from_mix=False)
    mine = cube.shape_key_add(name="jawOpen", from_mix=False)
    mine.data[0].co = (5.0, 5.0, 5.0)
    mine.value = 0.7
    other = cube.shape_key_add(name="myWink", from_mix=False)
    other.data[1].co = (-4.0, 0.0, 0.0)
    before = {n: shape_key_co(cube, n).copy() for n in ("Basis", "jawOpen", "myWink")}
    deltas = np.ones((2, 8, 3), dtype=np.float32)

    for replace in (False, True):
        with pytest.raises(FacemotionError, match="'jawOpen'.*not made by facemotion"):
            shape_keys.write_shape_keys(cube, deltas, ["eyeBlinkLeft", "jawOpen"], replace=replace)
    with pytest.raises(FacemotionError, match="Basis"):
        shape_keys.write_shape_keys(cube, deltas[:1], ["Basis"])
    # Nothing was written by the refused calls (clashes are checked before any write).
    assert [b.name for b in cube.data.shape_keys.key_blocks] == ["Basis", "jawOpen", "myWink"]

    shape_keys.write_shape_keys(cube, deltas, ["eyeBlinkLeft", "eyeBlinkRight"])
    for name, co in before.items():
        np.testing.assert_array_equal(shape_key_co(cube, name), co)
    assert cube.data.shape_keys.key_blocks["jawOpen"].value == pytest.approx(0.7)
    assert shape_keys.facemotion_key_names(cube) == ["eyeBlinkLeft", "eyeBlinkRight"]


def test_own_keys_are_replaced_only_with_replace(cube):
    first = _keys_on(cube, ["jawOpen", "cheekPuff"], seed=1)
    second = -first
    with pytest.raises(FacemotionError, match=r"enable replace to overwrite it \(--replace-keys"):
        shape_keys.write_shape_keys(cube, second, ["jawOpen", "cheekPuff"])
    np.testing.assert_allclose(shape_key_co(cube, "jawOpen") - shape_key_co(cube, "Basis"), first[0], atol=1e-6)
    shape_keys.write_shape_keys(cube, second, ["jawOpen", "cheekPuff"], replace=True)
    assert [b.name for b in cube.data.shape_keys.key_blocks] == ["Basis", "jawOpen", "cheekPuff"]
    np.testing.assert_allclose(shape_key_co(cube, "cheekPuff") - shape_key_co(cube, "Basis"), second[1], atol=1e-6)


def test_write_shape_keys_rejects_bad_input(cube):
    with pytest.raises(InputError, match=r"\(1, 8, 3\)"):
        shape_keys.write_shape_keys(cube, np.zeros((1, 7, 3)), ["jawOpen"])
    with pytest.raises(InputError, match="NaN"):
        shape_keys.write_shape_keys(cube, np.full((1, 8, 3), np.nan), ["jawOpen"])
    with pytest.raises(InputError, match="unique"):
        shape_keys.write_shape_keys(cube, np.zeros((2, 8, 3)), ["jawOpen", "jawOpen"])
    assert cube.data.shape_keys is None


# ------------------------------------------------------------------------------------------------------------ keyframes


def test_bulk_keyframes_equal_keyframe_insert(tmp_path):
    bulk, slow = _cube(tmp_path, "bulk"), _cube(tmp_path, "slow")
    names = [n for n in ARKIT_NAMES if n != "tongueOut"]  # one name without a key: skipped and reported
    for obj in (bulk, slow):
        _keys_on(obj, names)
    weights = np.random.default_rng(3).random((40, 52))
    weights[5, 0] = 1.4  # beyond the slider range: both paths clip it to 1
    fast = keyframes.bake_shape_key_weights(bulk, weights, ARKIT_NAMES, frame_start=10)
    ref = keyframes.bake_with_keyframe_insert(slow, weights, ARKIT_NAMES, frame_start=10)
    assert fast.skipped == ref.skipped == ("tongueOut",)
    assert keyframes.is_facemotion_action(fast.action) and keyframes.is_facemotion_action(ref.action)

    a = _curve_points(fast.action, bulk.data.shape_keys)
    b = _curve_points(ref.action, slow.data.shape_keys)
    assert sorted(a) == sorted(b) and len(a) == 51
    for path in a:
        np.testing.assert_allclose(a[path][0], b[path][0], atol=1e-6)
        assert a[path][1] == b[path][1] == ["LINEAR"] * 40
        assert a[path][2] == b[path][2] == keyframes.CURVE_GROUP
    frames = [10, 15, 33, 49]
    expected = np.clip(weights[[0, 5, 23, 39]][:, :51], 0, 1)
    np.testing.assert_allclose(_values_at(bulk, names, frames), expected, atol=1e-6)
    np.testing.assert_allclose(_values_at(slow, names, frames), expected, atol=1e-6)


def test_an_existing_user_action_is_never_overwritten(cube):
    _keys_on(cube, ["jawOpen", "eyeBlinkLeft"])
    key = cube.data.shape_keys
    block = key.key_blocks["jawOpen"]
    for frame, value in ((1, 0.0), (20, 1.0)):
        block.value = value
        block.keyframe_insert("value", frame=frame)
    user_action = key.animation_data.action
    user_curves = {fc.data_path: len(fc.keyframe_points) for fc in compat.action_fcurves(user_action, key)}
    weights = np.full((5, 2), 0.25)

    with pytest.raises(FacemotionError, match=f"'{user_action.name}'.*enable replace \\(--replace-action"):
        keyframes.bake_shape_key_weights(cube, weights, ["jawOpen", "eyeBlinkLeft"])
    assert key.animation_data.action == user_action

    result = keyframes.bake_shape_key_weights(cube, weights, ["jawOpen", "eyeBlinkLeft"], replace=True)
    assert key.animation_data.action == result.action != user_action
    # The user's action still exists, unchanged, and survives saving (fake user).
    assert user_action.name in bpy.data.actions and user_action.use_fake_user
    assert {fc.data_path: len(fc.keyframe_points) for fc in compat.action_fcurves(user_action, key)} == user_curves

    # Baking again reuses facemotion's own action without asking.
    n_actions = len(bpy.data.actions)
    again = keyframes.bake_shape_key_weights(cube, weights[:3] * 2, ["jawOpen", "eyeBlinkLeft"])
    assert again.action == result.action and len(bpy.data.actions) == n_actions
    assert [len(fc.keyframe_points) for fc in compat.action_fcurves(again.action, key)] == [3, 3]


def test_several_meshes_share_one_timeline(tmp_path):
    face, teeth = _cube(tmp_path, "face"), _cube(tmp_path, "teeth")
    _keys_on(face, ["jawOpen", "mouthSmileLeft"])
    _keys_on(teeth, ["jawOpen"])
    weights = np.linspace(0, 1, 30)[:, None] * [1.0, 0.5]
    results = keyframes.bake_objects([face, teeth], weights, ["jawOpen", "mouthSmileLeft"], frame_start=1)
    assert [r.skipped for r in results] == [(), ("mouthSmileLeft",)]
    assert results[0].action != results[1].action
    np.testing.assert_allclose(
        _values_at(face, ["jawOpen", "mouthSmileLeft"], [1, 16, 30]), weights[[0, 15, 29]], atol=1e-6
    )
    np.testing.assert_allclose(_values_at(teeth, ["jawOpen"], [1, 16, 30]), weights[[0, 15, 29], :1], atol=1e-6)

    # A user's action on one mesh refuses the whole bake before anything is written.
    other = _cube(tmp_path, "other")
    _keys_on(other, ["jawOpen"])
    other.data.shape_keys.key_blocks["jawOpen"].keyframe_insert("value", frame=1)
    fresh = _cube(tmp_path, "fresh")
    _keys_on(fresh, ["jawOpen"])
    with pytest.raises(FacemotionError, match="'other'"):
        keyframes.bake_objects([fresh, other], weights, ["jawOpen", "mouthSmileLeft"])
    assert fresh.data.shape_keys.animation_data is None


def test_bake_rejects_bad_input(cube):
    with pytest.raises(InputError, match="no shape keys"):
        keyframes.bake_shape_key_weights(cube, np.zeros((3, 52)), ARKIT_NAMES)
    _keys_on(cube, ["jawOpen"])
    with pytest.raises(InputError, match=r"\(n_frames, 52\)"):
        keyframes.bake_shape_key_weights(cube, np.zeros((3, 51)), ARKIT_NAMES)
    with pytest.raises(InputError, match="none of the"):
        keyframes.bake_shape_key_weights(cube, np.zeros((3, 1)), ["cheekPuff"])
    assert cube.data.shape_keys.animation_data is None


# -------------------------------------------------------------------------------------------------------------- exports


def _animated_face(tmp_path, n_frames=12):
    face = _cube(tmp_path, "face")
    names = ["jawOpen", "mouthSmileLeft", "browInnerUp"]
    _keys_on(face, names)
    weights = np.random.default_rng(7).random((n_frames, 3)).astype(np.float32)
    keyframes.bake_shape_key_weights(face, weights, names, frame_start=1)
    return face, names, weights


def test_gltf_export_has_morph_targets_and_a_weights_animation(tmp_path):
    face, names, weights = _animated_face(tmp_path)
    path = export.export_gltf(tmp_path / "out" / "face.glb", [face])
    doc, blob = _read_glb(path)
    (mesh,) = doc["meshes"]
    assert mesh["extras"]["targetNames"] == names
    assert len(mesh["primitives"][0]["targets"]) == 3
    (animation,) = doc["animations"]
    assert animation["name"] == export_options.ExportOptions().clip_name
    (channel,) = [c for c in animation["channels"] if c["target"]["path"] == "weights"]
    sampler = animation["samplers"][channel["sampler"]]
    times = _accessor(doc, blob, sampler["input"])
    values = _accessor(doc, blob, sampler["output"]).reshape(len(times), 3)
    assert len(times) == len(weights)
    np.testing.assert_allclose(np.diff(times), 1 / bpy.context.scene.render.fps, atol=1e-5)
    np.testing.assert_allclose(values, weights, atol=1e-5)
    assert sorted(p.name for p in path.parent.iterdir()) == ["face.glb"]  # no temporary left over


def test_gltf_separate_export_writes_json_and_bin(tmp_path):
    face, names, _ = _animated_face(tmp_path)
    out = tmp_path / "sep"
    path = export.export_gltf(out / "face.gltf", [face], animations=False)
    assert sorted(p.name for p in out.iterdir()) == ["face.bin", "face.gltf"]
    doc = json.loads(path.read_text())
    assert doc["buffers"][0]["uri"] == "face.bin"
    assert doc["meshes"][0]["extras"]["targetNames"] == names
    assert "animations" not in doc
    with pytest.raises(FacemotionError, match="already exists"):
        export.export_gltf(out / "face.gltf", [face])
    assert sorted(p.name for p in out.iterdir()) == ["face.bin", "face.gltf"]


def test_fbx_export_reimports_with_shape_keys(tmp_path):
    face, names, _ = _animated_face(tmp_path)
    deltas = {n: shape_key_co(face, n) - shape_key_co(face, "Basis") for n in names}
    path = export.export_fbx(tmp_path / "face.fbx", [face])
    assert path.is_file() and path.stat().st_size > 0
    bpy.ops.wm.read_factory_settings(use_empty=True)
    (back,) = mesh_import.import_mesh_file(path)
    blocks = back.data.shape_keys.key_blocks
    assert [b.name for b in blocks][1:] == names
    # FBX stores the cube in its own units and axes; the shape deltas keep their size relative to the mesh.
    size = np.ptp(shape_key_co(back, blocks[0].name), axis=0).max() / 2.0
    for name in names:
        moved = np.linalg.norm(shape_key_co(back, name) - shape_key_co(back, blocks[0].name), axis=1) / size
        np.testing.assert_allclose(np.sort(moved), np.sort(np.linalg.norm(deltas[name], axis=1)), atol=1e-4)


def test_exports_refuse_to_overwrite_and_are_atomic(tmp_path, cube):
    _keys_on(cube, ["jawOpen"])
    target = tmp_path / "face.glb"
    target.write_bytes(b"precious")
    with pytest.raises(FacemotionError, match="already exists"):
        export.export_gltf(target, [cube])
    with pytest.raises(InputError, match=r"unsupported output type '\.glb'; use \.fbx"):
        export.export_fbx(target, [cube], overwrite=True)
    assert target.read_bytes() == b"precious"
    export.export_gltf(target, [cube], overwrite=True)
    assert _read_glb(target)[0]["meshes"][0]["extras"]["targetNames"] == ["jawOpen"]

    blend = export.save_blend(tmp_path / "scene.blend")
    with pytest.raises(FacemotionError, match="already exists"):
        export.save_blend(blend)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cube.obj", "face.glb", "scene.blend"]

    # A failure leaves no file: a path longer than Blender's file operators take (they would silently truncate it
    # and write another file) is refused, and nothing appears anywhere below the folder.
    deep = tmp_path.joinpath(*["d" * 200] * 5)
    deep.mkdir(parents=True)
    for call in (
        lambda: export.export_gltf(deep / "face.glb", [cube]),
        lambda: export.export_fbx(deep / "face.fbx", [cube]),
        lambda: export.save_blend(deep / "face.blend"),
    ):
        with pytest.raises(InputError, match="Blender handles at most"):
            call()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["cube.obj", "face.glb", "scene.blend"]


def test_export_only_the_given_objects_and_restore_the_selection(tmp_path):
    face, names, _ = _animated_face(tmp_path)
    extra = _cube(tmp_path, "extra")
    extra.select_set(True)
    face.select_set(False)
    path = export.export_gltf(tmp_path / "only.glb", [face])
    doc = _read_glb(path)[0]
    assert [n["name"] for n in doc["nodes"]] == ["face"]
    assert extra.select_get() and not face.select_get()
    with pytest.raises(InputError, match="nothing to export"):
        export.export_gltf(tmp_path / "none.glb", [])
