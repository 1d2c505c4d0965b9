"""A whole character in Blender (the bpy module, the add-on registered, its operators run as the UI runs them):
an ICT identity head on a primitive body with clothes and hair, one OBJ object per part (tools/synthetic_heads.py),
imported with Blender's OBJ importer, rotated and moved off the origin, with the default scene's Cube selected too.

One shared rig (module fixture): Detect Landmarks (finds the head on the whole character and each object's part),
the artist sets the eyelashes to Ignore in the Rig panel, Rig Face. Then: the face's objects carry the 52 ARKit
keys, everything else is exactly still (no keys on the cube, the clothes, the hair; the body still far from the
face), the report and the panel say what each object was treated as, flat meshes are smooth-shaded and meshes with
custom normals or smooth faces keep their shading, and a cancelled rig changes nothing.
"""

import bpy
import numpy as np
import pytest
import synthetic_heads
from blender_fixtures import shape_key_co
from mathutils import Matrix

import facemotion
from facemotion.core.arkit import ARKIT_NAMES
from facemotion.facemotion_addon.settings.properties import settings
from facemotion.operators.base import JobRunner
from facemotion.operators.rig import RigJob

FACE = ("head_skin", "eyeball_left", "eyeball_right", "lower_teeth")
STILL = ("shirt", "Cube", "Cube.001")  # Cube: the default scene's; Cube.001: the OBJ's, 3 m away


def _sharp_faces(obj):
    """``(F,) bool`` flat-shaded flag per polygon."""
    flags = np.empty(len(obj.data.polygons), dtype=bool)
    obj.data.polygons.foreach_get("use_smooth", flags)
    return ~flags


def _local_vertices(obj):
    co = np.empty(len(obj.data.vertices) * 3, dtype=np.float32)
    obj.data.vertices.foreach_get("co", co)
    return co.reshape(-1, 3)


def _world_vertices(obj):
    co = np.empty(len(obj.data.vertices) * 3, dtype=np.float32)
    obj.data.vertices.foreach_get("co", co)
    m = np.array(obj.matrix_world)
    return co.reshape(-1, 3) @ m[:3, :3].T + m[:3, 3]


def _deltas(obj, name):
    """``(V, 3) float32`` local displacement of shape key ``name`` from the Basis."""
    return shape_key_co(obj, name) - shape_key_co(obj, "Basis")


@pytest.fixture(scope="module")
def character(tmp_path_factory):
    bpy.ops.wm.read_factory_settings(use_empty=False)  # Camera, Light and the selected default Cube
    facemotion.register()
    path = tmp_path_factory.mktemp("character") / "full_character.obj"
    synthetic_heads.write_obj(path, synthetic_heads.full_character())
    before = set(bpy.data.objects)
    bpy.ops.wm.obj_import(filepath=str(path))
    imported = {obj.name: obj for obj in set(bpy.data.objects) - before}
    # A further object-level turn and offset on top of the file's own (25 degrees about the character's up axis).
    turn = Matrix.Translation((1.5, -0.8, 0.3)) @ Matrix.Rotation(np.radians(-35.0), 4, "Z")
    for obj in imported.values():
        obj.matrix_world = turn @ obj.matrix_world
    objects = dict(imported, Cube=bpy.data.objects["Cube"])
    for obj in objects.values():
        obj.select_set(True)
    bpy.context.view_layer.objects.active = objects["head_skin"]
    # The artist's own shading: custom normals on the lower teeth, one smooth face on the right eyeball.
    teeth = objects["lower_teeth"].data
    teeth.normals_split_custom_set_from_vertices([(0.0, 0.0, 1.0)] * len(teeth.vertices))
    objects["eyeball_right"].data.polygons[0].use_smooth = True
    shading_before = {name: _sharp_faces(obj).copy() for name, obj in objects.items()}
    local_before = {name: _local_vertices(obj) for name, obj in objects.items()}

    assert bpy.ops.facemotion.detect_landmarks() == {"FINISHED"}
    detected = {name: obj.facemotion_detected_part for name, obj in objects.items()}
    detect_report = settings(bpy.context.scene).last_report

    # The artist leaves the eyelashes out of the rig (Rig panel > Face Part).
    objects["eyelashes"].facemotion_part = "ignore"

    # Esc right after the start: nothing is written, the shading stays as it was.
    runner = JobRunner(RigJob(list(bpy.context.selected_objects), replace=False))
    runner.start(bpy.context)
    runner.cancel()
    while runner.step(bpy.context, wait=0.5) == "running":
        pass
    cancelled = {
        "state": runner.state,
        "keys": [n for n, o in objects.items() if o.data.shape_keys is not None],
        "shading": all(np.array_equal(_sharp_faces(o), shading_before[n]) for n, o in objects.items()),
    }

    assert bpy.ops.facemotion.rig_face() == {"FINISHED"}
    yield {
        "objects": objects,
        "detected": detected,
        "detect_report": detect_report,
        "cancelled": cancelled,
        "report": settings(bpy.context.scene).last_report,
        "shading_before": shading_before,
        "local_before": local_before,
    }
    facemotion.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_detect_landmarks_finds_each_objects_part(character):
    detected = character["detected"]
    assert detected["head_skin"].startswith("skin"), detected
    assert detected["eyeball_left"] == "eye" and detected["eyeball_right"] == "eye", detected
    assert "upper teeth" in detected["upper_teeth"] and "lower teeth" in detected["lower_teeth"], detected
    assert detected["eyelashes"] != "ignored", detected  # auto takes them, the artist did not
    for name in ("Cube", "Cube.001", "shirt"):
        assert detected[name] == "ignored", (name, detected)
    assert "Cube: ignored" in character["detect_report"]


def test_the_face_is_rigged_and_everything_else_is_still(character):
    objects = character["objects"]
    for name in FACE + ("gums_and_tongue",):
        keys = objects[name].data.shape_keys
        assert keys is not None and set(ARKIT_NAMES) <= set(keys.key_blocks.keys()), name
    jaw = np.linalg.norm(_deltas(objects["head_skin"], "jawOpen"), axis=1)
    assert jaw.max() > 0.005  # metres-sized OBJ: the chin drops > 5 mm
    # Not part of the face: no shape keys at all, geometry untouched (the forced Ignore included).
    for name in STILL + ("eyelashes",):
        assert objects[name].data.shape_keys is None, name
        assert np.array_equal(_local_vertices(objects[name]), character["local_before"][name]), name
    # The hair cap lies on the scalp, off the template's face (core/rig/transfer.py FACE_SHARE): exactly still.
    hair = objects["hair"]
    if hair.data.shape_keys is not None:
        assert max(np.abs(_deltas(hair, name)).max() for name in ARKIT_NAMES) == 0.0
    assert np.array_equal(_local_vertices(hair), character["local_before"]["hair"])
    # The body joins the neck: whatever it got, its vertices away from the head never move.
    body = objects["body"]
    if body.data.shape_keys is not None:
        below_neck = _world_vertices(objects["head_skin"])[:, 2].min() - 0.1  # 10 cm below the neck's rim
        far = _world_vertices(body)[:, 2] < below_neck
        assert far.sum() > 0.5 * len(far)
        moved = max(np.abs(_deltas(body, name)[far]).max() for name in ARKIT_NAMES)
        assert moved == 0.0


def test_eyeballs_stay_rigid_in_a_blink_and_the_lower_teeth_turn_with_the_jaw(character):
    objects = character["objects"]
    for name in ("eyeball_left", "eyeball_right"):
        assert np.abs(_deltas(objects[name], "eyeBlinkLeft")).max() < 1e-6, name
        assert np.abs(_deltas(objects[name], "eyeBlinkRight")).max() < 1e-6, name
    teeth = objects["lower_teeth"]
    rest = shape_key_co(teeth, "Basis").astype(np.float64)
    opened = shape_key_co(teeth, "jawOpen").astype(np.float64)
    assert np.linalg.norm(opened - rest, axis=1).max() > 0.003
    pick = np.random.default_rng(0).choice(len(rest), 200, replace=False)
    d_rest = np.linalg.norm(rest[pick, None] - rest[None, pick], axis=-1)
    d_open = np.linalg.norm(opened[pick, None] - opened[None, pick], axis=-1)
    # A rigid turn keeps every distance; the amplitude gain (core/rig/amplitude.py) scales the key like a weight,
    # which puts the teeth on the turn's chord: g (1 - g) (1 - cos angle) of their size, ~1e-3 at most. Teeth moved
    # as skin stretch by far more (ICT's own gums: 30x).
    stretch = np.abs(d_open - d_rest).max() / np.ptp(rest, axis=0).max()
    assert stretch < 2e-3, f"lower teeth stretched by {stretch:.1e} of their size in jawOpen"


def test_the_report_says_what_each_object_was_treated_as(character):
    report = character["report"]
    assert report.startswith("Rigged ") and "head_skin (skin)" in report, report
    assert "eyeball_left (eye)" in report and "lower_teeth (lower teeth)" in report, report
    still = report.split("left still (not part of the face): ")[1].split(";")[0].split(", ")
    assert set(STILL) | {"eyelashes", "hair"} <= set(still), report  # hair: found off the face at rig time
    objects = character["objects"]
    assert objects["Cube"].facemotion_detected_part == "ignored"
    assert objects["eyelashes"].facemotion_detected_part == "ignored (set to Ignore)"


def test_rig_panel_lists_each_object_with_its_part(character):
    from test_addon_ui import context_for, draw_panel, labels_in

    objects = character["objects"]
    context = context_for(objects["head_skin"], list(objects.values()))
    log = draw_panel(bpy.types.FACEMOTION_PT_rig, context)
    drawn = [entry[1:3] for entry in log if entry[0] == "prop"]
    parts = [data.name for data, name in drawn if name == "facemotion_part"]
    assert sorted(parts) == sorted(objects)
    labels = labels_in(log)
    assert "head_skin: 52/52 ARKit keys" in labels and "Cube: 0/52 ARKit keys" in labels
    assert "Found: eye" in labels and "Found: ignored" in labels


def test_flat_meshes_are_smoothed_and_chosen_shading_is_kept(character):
    objects, before = character["objects"], character["shading_before"]
    assert before["head_skin"].all()  # the OBJ has no normals: flat on import
    assert not _sharp_faces(objects["head_skin"]).any()  # smoothed by angle at rig time
    assert not _sharp_faces(objects["eyeball_left"]).any()
    assert objects["lower_teeth"].data.has_custom_normals  # custom normals: shading kept
    assert np.array_equal(_sharp_faces(objects["lower_teeth"]), before["lower_teeth"])
    assert np.array_equal(_sharp_faces(objects["eyeball_right"]), before["eyeball_right"])  # had a smooth face
    for name in STILL + ("eyelashes",):  # not rigged: not touched
        assert np.array_equal(_sharp_faces(objects[name]), before[name]), name
    assert "smooth-shaded" in character["report"] and "head_skin" in character["report"].split("smooth-shaded")[1]


def test_a_cancelled_rig_changes_nothing(character):
    cancelled = character["cancelled"]
    assert cancelled["state"] == "cancelled"
    assert cancelled["keys"] == [] and cancelled["shading"]
