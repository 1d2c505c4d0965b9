"""The Rig panel's *Preview Sheet...* (``facemotion.preview_sheet``) in Blender (the bpy module, no mocks): MediaPipe's
canonical face (468 vertices: a fast rig) rigged, posed and keyed, then previewed. The sheet is the one
``facemotion preview`` draws (same layout, the rig's shapes in it), drawn from the shape keys as they are in the
scene, and the scene stays exactly as it was: frame, shape-key values, render settings, objects and data. From a
script an existing file is refused without ``overwrite``; a cancelled run writes no file."""

import bpy
import cv2
import numpy as np
import pytest
from test_modal_operators import assert_same, snapshot
from test_preview import SIZE, _cell

import facemotion
from facemotion.core.io.assets import asset_path
from facemotion.core.io.mesh_io import read_obj
from facemotion.core.rig.preview import KEY_SHAPE_COLUMNS
from facemotion.facemotion_addon import rigging
from facemotion.operators.base import JobRunner
from facemotion.operators.rig import PreviewSheetJob

CANONICAL_FACE = "mediapipe/face_geometry/canonical_face_model.obj"


def _render_settings(scene):
    render = scene.render
    return (render.engine, render.resolution_x, render.resolution_y, render.filepath, scene.camera, scene.world)


@pytest.fixture(scope="module")
def face():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    facemotion.register()
    mesh = read_obj(asset_path(CANONICAL_FACE))
    data = bpy.data.meshes.new("Canonical")
    data.from_pydata((mesh.vertices * 0.01).tolist(), [], mesh.triangles.tolist())
    obj = bpy.data.objects.new("Canonical", data)
    bpy.context.scene.collection.objects.link(obj)
    rigging.rig_objects([obj])
    # A posed, keyed scene at another frame: none of it may change.
    keys = obj.data.shape_keys
    keys.key_blocks["jawOpen"].value = 0.4
    keys.key_blocks["jawOpen"].keyframe_insert("value", frame=1)
    bpy.context.scene.frame_set(7)
    keys.key_blocks["mouthSmileLeft"].value = 0.7
    bpy.context.scene.render.resolution_x = 333
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj
    yield obj
    facemotion.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_preview_sheet_draws_the_rig_and_leaves_the_scene_as_it_was(face, tmp_path):
    scene = bpy.context.scene
    before, settings_before = snapshot(), _render_settings(scene)
    out = tmp_path / "sheet.png"
    assert bpy.ops.facemotion.preview_sheet(filepath=str(out), size=SIZE) == {"FINISHED"}
    image = cv2.imread(str(out))
    assert image.shape == (22 + 4 * (SIZE + 40), len(KEY_SHAPE_COLUMNS) * SIZE, 3)  # the CLI's layout
    rest = _cell(image, 0, 0)
    assert (np.abs(rest - rest[0, 0]).sum(axis=2) > 30).mean() > 0.2  # a face
    for column, title in enumerate(c.title for c in KEY_SHAPE_COLUMNS):
        if title in ("smile", "mouthFunnel"):
            assert np.abs(_cell(image, 0, column) - rest).max() > 40, title
    for column in range(7):  # the emotion presets
        assert np.abs(_cell(image, 2, column) - rest).max() > 40, column
    after = snapshot()
    assert after["facemotion"]["last_report"] == f"Preview sheet of Canonical written to {out}"
    after["facemotion"]["last_report"] = before["facemotion"]["last_report"]
    assert_same(before, after)
    assert _render_settings(scene) == settings_before and scene.frame_current == 7
    assert face.data.shape_keys.key_blocks["mouthSmileLeft"].value == pytest.approx(0.7)


def test_preview_sheet_shows_the_shape_keys_as_edited(face, tmp_path):
    """An artist's edit of jawOpen is what the sheet shows (it is read from the scene, not rigged again)."""
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    assert bpy.ops.facemotion.preview_sheet(filepath=str(first), size=SIZE) == {"FINISHED"}
    block = face.data.shape_keys.key_blocks["jawOpen"]
    co = np.empty(len(block.data) * 3, np.float32)
    block.data.foreach_get("co", co)
    try:
        block.data.foreach_set("co", (co.reshape(-1, 3) + [0.0, 0.0, 0.02]).ravel())  # the whole face forward
        assert bpy.ops.facemotion.preview_sheet(filepath=str(second), size=SIZE) == {"FINISHED"}
    finally:
        block.data.foreach_set("co", co)
    jaw = KEY_SHAPE_COLUMNS.index(next(c for c in KEY_SHAPE_COLUMNS if c.title == "jawOpen"))
    a, b = cv2.imread(str(first)).astype(np.int16), cv2.imread(str(second)).astype(np.int16)
    assert np.abs(_cell(a, 0, jaw) - _cell(b, 0, jaw)).max() > 40
    assert np.array_equal(_cell(a, 0, 0), _cell(b, 0, 0))  # the rest is the same


def test_preview_sheet_refuses_an_existing_file_and_a_cancelled_run_writes_none(face, tmp_path):
    out = tmp_path / "mine.png"
    out.write_bytes(b"mine")
    with pytest.raises(RuntimeError, match="overwrite"):
        bpy.ops.facemotion.preview_sheet(filepath=str(out), size=SIZE)
    assert out.read_bytes() == b"mine"
    assert bpy.ops.facemotion.preview_sheet(filepath=str(out), size=SIZE, overwrite=True) == {"FINISHED"}
    assert cv2.imread(str(out)) is not None
    fresh = tmp_path / "cancelled.png"
    runner = JobRunner(PreviewSheetJob([face], str(fresh), False, SIZE))
    runner.start(bpy.context)
    runner.cancel()
    while runner.step(bpy.context, wait=0.5) == "running":
        pass
    assert runner.state == "cancelled" and not fresh.exists()
