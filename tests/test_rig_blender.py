# SPDX-License-Identifier: GPL-3.0-or-later
"""Rigging inside Blender (the bpy module) on the real ICT head: split objects, object transforms, a user's own
shape keys and modifiers, artist-edited landmarks, and refusals that leave the scene as it was."""

import bpy
import numpy as np
import pytest
from blender_fixtures import shape_key_co

from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES
from facemotion.core.errors import FacemotionError, NoFaceError
from facemotion.core.io.assets import asset_path
from facemotion.core.io.mesh_io import read_obj
from facemotion.core.rig.template import ICT_PARTS, load_ict_template
from facemotion.facemotion_addon import rigging, shading
from facemotion.operators.base import JobRunner
from facemotion.operators.rig import DetectLandmarksJob

SKIN_END = ICT_PARTS["head_and_neck"][1]


def _object(name, vertices, triangles, matrix=None):
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(vertices.tolist(), [], triangles.tolist())
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    if matrix is not None:
        obj.matrix_world = matrix
    return obj


@pytest.fixture(scope="module")
def ict():
    return read_obj(asset_path("ict-facekit/FaceXModel/generic_neutral_mesh.obj"))


@pytest.fixture()
def scene():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    yield bpy.context.scene
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_head_split_into_objects_with_transforms_user_keys_and_modifiers(scene, ict):
    """Skin and inner parts as two objects, each with its own transform (cm model scaled to metres and turned);
    the skin has a user's shape key, the inner parts a Subdivision modifier. Both get the 52 ARKit keys, the
    user's key and the modifier are untouched, and the skin's jawOpen matches ICT's own in local space."""
    from mathutils import Matrix

    tris = ict.triangles
    skin_tris = tris[(tris < SKIN_END).all(axis=1)]
    inner_tris = tris[(tris >= SKIN_END).all(axis=1)] - SKIN_END
    to_metres = Matrix.Rotation(np.radians(90), 4, "X") @ Matrix.Scale(0.01, 4)
    skin = _object("skin", ict.vertices[:SKIN_END], skin_tris, Matrix.Translation((0.4, 0, 1.6)) @ to_metres)
    inner = _object("inner", ict.vertices[SKIN_END:], inner_tris, Matrix.Translation((0.4, 0, 1.6)) @ to_metres)
    skin.shape_key_add(name="Basis")
    user_key = skin.shape_key_add(name="MyCorrective", from_mix=False)
    user_key.data[0].co = (1.0, 2.0, 3.0)
    before = shape_key_co(skin, "MyCorrective").copy()
    inner.modifiers.new("subsurf", "SUBSURF")

    result, objects = rigging.rig_objects([skin, inner])
    assert [o.name for o in objects] == ["skin", "inner"]
    for obj in objects:
        names = [k.name for k in obj.data.shape_keys.key_blocks]
        assert set(ARKIT_NAMES) <= set(names)
    assert np.array_equal(shape_key_co(skin, "MyCorrective"), before)
    assert [m.type for m in inner.modifiers] == ["SUBSURF"]

    truth = load_ict_template().deltas[ARKIT_INDEX["jawOpen"], :SKIN_END] * 100.0  # metres -> file cm (local)
    got = shape_key_co(skin, "jawOpen") - shape_key_co(skin, "Basis")
    moving = np.linalg.norm(truth, axis=1) > 0.1 * np.linalg.norm(truth, axis=1).max()
    rel = np.linalg.norm(got[moving] - truth[moving], axis=1).mean() / np.linalg.norm(truth[moving], axis=1).mean()
    assert rel < 0.1, rel
    # The lower teeth (inner object) open with the jaw too.
    teeth = slice(ICT_PARTS["teeth"][0] - SKIN_END, ICT_PARTS["teeth"][1] - SKIN_END)
    inner_jaw = shape_key_co(inner, "jawOpen") - shape_key_co(inner, "Basis")
    assert np.linalg.norm(inner_jaw[teeth], axis=1).max() > 0.5  # centimetres, local

    # Rigging again is refused (facemotion keys exist) and changes nothing; with replace it goes through.
    jaw_before = shape_key_co(skin, "jawOpen").copy()
    with pytest.raises(FacemotionError, match="jawOpen|replace"):
        rigging.rig_objects([skin, inner])
    assert np.array_equal(shape_key_co(skin, "jawOpen"), jaw_before)
    rigging.rig_objects([skin, inner], replace=True)
    assert np.array_equal(shape_key_co(skin, "MyCorrective"), before)


def test_artist_edited_landmarks_drive_the_rig_and_the_flat_ict_obj_is_smoothed(scene):
    """The ICT OBJ through Blender's importer (no normals: flat-shaded, one object holding skin, eyes, teeth...)."""
    bpy.ops.wm.obj_import(filepath=str(asset_path("ict-facekit/FaceXModel/generic_neutral_mesh.obj")))
    (head,) = bpy.context.selected_objects
    assert shading.needs_smoothing(head)
    job = DetectLandmarksJob([head])  # what Detect Landmarks runs (modal from the UI), here in this thread
    JobRunner(job).run_to_end(bpy.context)
    landmark_obj, found = job.landmark_object, job.found
    assert len(landmark_obj.data.vertices) == 478
    assert found.score > 0.5
    assert np.allclose(rigging.read_landmark_object(landmark_obj), found.points, atol=1e-4)
    # The artist drags the chin landmark 1 cm down; the rig must use the edited position.
    landmark_obj.data.vertices[152].co.z -= 1.0
    edited = rigging.read_landmark_object(landmark_obj)
    result, _ = rigging.rig_objects([head])
    assert np.allclose(result.landmarks, edited)
    assert "landmarks" not in result.timings  # nothing was re-detected
    # One object, several parts: the summary the Rig panel shows.
    (text,) = rigging.describe_parts(rigging.read_selection([head]).combined, result.parts).values()
    assert text.startswith("skin + 2 eyes + ") and "teeth" in text, text
    smooth = np.empty(len(head.data.polygons), dtype=bool)
    head.data.polygons.foreach_get("use_smooth", smooth)
    assert smooth.all() and not shading.needs_smoothing(head)


def test_a_cube_is_refused_and_the_scene_is_unchanged(scene):
    bpy.ops.mesh.primitive_cube_add(size=2.0)
    cube = bpy.context.active_object
    objects_before = set(bpy.data.objects)
    with pytest.raises(NoFaceError, match="no face"):
        rigging.rig_objects([cube])
    assert cube.data.shape_keys is None
    assert set(bpy.data.objects) == objects_before  # no landmark object left behind


def test_no_mesh_selected_is_refused(scene):
    bpy.ops.object.empty_add()
    with pytest.raises(FacemotionError, match="select"):
        rigging.rig_objects([bpy.context.active_object])


def test_objects_set_to_ignore_are_left_out_and_forced_roles_reach_the_core(scene):
    import facemotion
    from facemotion.core.errors import InputError
    from facemotion.core.rig.parts import ROLE_AUTO, ROLE_EYE

    facemotion.register()
    try:
        bpy.ops.mesh.primitive_cube_add(size=2.0)
        cube = bpy.context.active_object
        cube.facemotion_part = "ignore"
        with pytest.raises(InputError, match="Ignore"):
            rigging.rig_objects([cube])
        assert cube.data.shape_keys is None
        bpy.ops.mesh.primitive_uv_sphere_add(radius=0.012, location=(0.03, 0.0, 0.0))
        eye = bpy.context.active_object
        eye.facemotion_part = "eyes"
        bpy.ops.mesh.primitive_monkey_add()
        face = bpy.context.active_object
        selection = rigging.read_selection([cube, eye, face])
        assert selection.objects == [cube, eye, face] and selection.ignored == [cube]
        assert selection.combined.objects == [eye, face]
        (start, stop), (start2, stop2) = selection.combined.slices
        assert (selection.roles[start:stop] == ROLE_EYE).all() and (selection.roles[start2:stop2] == ROLE_AUTO).all()
    finally:
        facemotion.unregister()
