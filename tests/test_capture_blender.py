"""Performance capture on the Blender side, with the real bpy module: a take keyed onto a rigged face as its own
action (the operator, from a script and as a cancellable job), any facemotion bake written as a Live Link Face CSV
and read back, and the Capture panel. The rigged face is test_addon_ui's small grid with 52 ARKit shape keys."""

import json
from pathlib import Path

import bpy
import capture_round_trip
import cv2
import numpy as np
import pytest
from test_addon_ui import context_for, draw_panel, operators_in, registered, rigged_face

from facemotion.core.animation.timeline import timeline_from_json
from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.capture import live_link
from facemotion.core.capture.take import Take
from facemotion.facemotion_addon import compat, pipeline
from facemotion.facemotion_addon.keyframes import shape_key_data_path
from facemotion.facemotion_addon.takes import take_from_shape_keys
from facemotion.operators.base import JobRunner
from facemotion.operators.capture import CaptureJob
from facemotion.panels.capture import FACEMOTION_PT_capture

EXAMPLE_TIMELINE = Path(__file__).resolve().parent.parent / "examples" / "timeline_demo.json"
__all__ = ["registered", "rigged_face"]  # the fixtures, imported for the tests below


def _curves(obj):
    key = obj.data.shape_keys
    return {fc.data_path: fc for fc in compat.action_fcurves(key.animation_data.action, key)}


def test_any_bake_round_trips_through_a_live_link_csv(rigged_face, tmp_path):
    timeline = timeline_from_json(json.loads(EXAMPLE_TIMELINE.read_text()))
    weights = pipeline.bake([rigged_face], timeline)
    take = take_from_shape_keys(rigged_face)
    assert len(take) == len(weights) and take.fps == timeline["fps"]
    np.testing.assert_allclose(take.weights, np.clip(weights, 0, 1), atol=1e-6)
    path = tmp_path / "bake.csv"
    assert bpy.ops.facemotion.export_live_link(filepath=str(path)) == {"FINISHED"}
    back = live_link.read_live_link_csv(path, fps=timeline["fps"])
    assert len(back) == len(weights)
    assert np.abs(back.weights - np.clip(weights, 0, 1)).max() < 1e-4
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="exists"):
        bpy.ops.facemotion.export_live_link(filepath=str(path))
    assert path.read_bytes() == before


def test_capture_operator_keys_its_own_action_and_keeps_the_bake(rigged_face, tmp_path):
    timeline = timeline_from_json(json.loads(EXAMPLE_TIMELINE.read_text()))
    pipeline.bake([rigged_face], timeline)
    bake_action = rigged_face.data.shape_keys.animation_data.action
    rng = np.random.default_rng(3)
    source = Take(fps=30.0, weights=rng.uniform(0, 1, (61, 52)))  # 2 s at 30 fps
    path = tmp_path / "take.csv"
    live_link.write_live_link_csv(path, source)
    bpy.context.scene.render.fps, bpy.context.scene.render.fps_base = 24, 1.0
    assert bpy.ops.facemotion.capture_performance(filepath=str(path)) == {"FINISHED"}
    action = rigged_face.data.shape_keys.animation_data.action
    assert action.name == "facemotion_capture_Face" and action != bake_action
    assert bake_action.name in bpy.data.actions and bake_action.use_fake_user  # the bake is kept, not overwritten
    curves = _curves(rigged_face)
    jaw = curves[shape_key_data_path("jawOpen")]
    assert len(jaw.keyframe_points) == 49  # 2 s at 24 fps
    frames = np.arange(bpy.context.scene.frame_start, bpy.context.scene.frame_start + 49)
    keyed = np.array([[curves[shape_key_data_path(n)].evaluate(f) for n in ARKIT_NAMES] for f in frames[::8]])
    expected = np.array(
        [
            [np.interp(t, source.times, source.weights[:, k]) for k in range(52)]
            for t in (frames[::8] - frames[0]) / 24.0
        ]
    )
    assert np.abs(keyed - expected).max() < 1e-4


def test_capture_refuses_a_users_action_and_changes_nothing(rigged_face, tmp_path):
    key = rigged_face.data.shape_keys
    mine = bpy.data.actions.new("my_animation")
    compat.assign_action(key, mine)
    path = tmp_path / "take.csv"
    live_link.write_live_link_csv(path, Take(fps=30.0, weights=np.zeros((10, 52))))
    with pytest.raises(RuntimeError, match="my_animation"):
        bpy.ops.facemotion.capture_performance(filepath=str(path))
    assert key.animation_data.action == mine and len(bpy.data.actions) == 1


def test_video_capture_job_cancels_without_writing(rigged_face, tmp_path):
    frames, _, _ = capture_round_trip.render_clip(size=192, seconds=3.0)
    path = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (192, 192))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    runner = JobRunner(CaptureJob(str(path), [rigged_face]))
    runner.start(bpy.context)
    runner.cancel()
    while runner.step(bpy.context, wait=0.5) == "running":
        pass
    assert runner.state == "cancelled"
    assert rigged_face.data.shape_keys.animation_data is None and len(bpy.data.actions) == 0


def test_capture_panel_draws_its_operators(rigged_face):
    log = draw_panel(FACEMOTION_PT_capture, context_for(rigged_face, [rigged_face]))
    expected = ["facemotion.capture_performance", "facemotion.capture_webcam", "facemotion.export_live_link"]
    assert operators_in(log) == expected
    log = draw_panel(FACEMOTION_PT_capture, context_for(None, []))
    assert operators_in(log) == expected


def test_webcam_capture_needs_the_window(rigged_face):
    """In the background (scripts, CI: no camera, no window) the webcam operator says so and changes nothing."""
    with pytest.raises(RuntimeError, match="Blender's window"):
        bpy.ops.facemotion.capture_webcam("INVOKE_DEFAULT")
    assert rigged_face.data.shape_keys.animation_data is None
