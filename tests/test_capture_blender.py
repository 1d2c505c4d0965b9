"""Performance capture on the Blender side, with the real bpy module: a take keyed onto a rigged face as its own
action (the operator, from a script and as a cancellable job), its head turn as object or bone rotation keys, its
emotion track as property keys and markers, the video behind the camera, any facemotion bake written as a Live Link
Face CSV and read back, and the Capture panel. The rigged face is test_addon_ui's small grid with 52 ARKit shape
keys; the video is tools/capture_round_trip.py's rendered 3 s clip with a known head yaw (+-15 degrees)."""

import json
from pathlib import Path

import bpy
import numpy as np
import pytest
from test_addon_ui import context_for, draw_panel, operators_in, registered, rigged_face
from test_capture_cli import clip

from facemotion.core.animation.timeline import timeline_from_json
from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.capture import live_link
from facemotion.core.capture.take import Take
from facemotion.core.emotion.classifier import CATEGORIES
from facemotion.facemotion_addon import compat, pipeline
from facemotion.facemotion_addon.keyframes import shape_key_data_path
from facemotion.facemotion_addon.takes import EMOTION_PROPERTY, MOTION_ACTION, take_from_shape_keys, write_take
from facemotion.operators.base import JobRunner
from facemotion.operators.capture import CaptureJob
from facemotion.panels.capture import FACEMOTION_PT_capture

EXAMPLE_TIMELINE = Path(__file__).resolve().parent.parent / "examples" / "timeline_demo.json"
__all__ = ["clip", "registered", "rigged_face"]  # the fixtures, imported for the tests below


def _motion_curves(owner):
    action = owner.animation_data.action
    assert action.name == MOTION_ACTION.format(object=owner.name)
    return {(fc.data_path, fc.array_index): fc for fc in compat.action_fcurves(action, owner)}


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


def test_video_capture_job_cancels_without_writing(rigged_face, clip):
    path, _, _ = clip
    runner = JobRunner(CaptureJob(str(path), [rigged_face]))
    runner.start(bpy.context)
    runner.cancel()
    while runner.step(bpy.context, wait=0.5) == "running":
        pass
    assert runner.state == "cancelled"
    assert rigged_face.data.shape_keys.animation_data is None and len(bpy.data.actions) == 0
    assert rigged_face.animation_data is None and EMOTION_PROPERTY not in rigged_face
    assert len(bpy.context.scene.timeline_markers) == 0


_TAKES = {}  # the video's take, captured once by the first test below and reused by the bone test


def test_video_head_turn_emotion_and_background(rigged_face, clip):
    """The job on the rendered clip: the head's yaw as the face's Z rotation (a turn to the subject's left is a
    positive turn about +Z: the face looks along -Y), within 3 degrees; the emotion track keyed from the certain
    samples only, a marker where it changes; the video as the camera's background."""
    path, _, yaw = clip
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    scene.facemotion.capture_background = True
    runner = JobRunner(CaptureJob(str(path), [rigged_face]))
    runner.start(bpy.context)
    while runner.step(bpy.context, wait=0.5) == "running":
        pass
    assert runner.state == "finished", runner.message
    take = _TAKES["video"] = runner.job.take
    curves = _motion_curves(rigged_face)
    frames = scene.frame_start + np.arange(len(yaw))
    keyed = np.array([curves["rotation_euler", 2].evaluate(f) for f in frames])
    assert np.degrees(np.abs(keyed - yaw).mean()) < 3.0
    peak = int(np.argmax(np.abs(yaw)))
    assert np.sign(keyed[peak]) == np.sign(yaw[peak]) and abs(np.degrees(keyed[peak] - yaw[peak])) < 3.0
    # Emotion: keys at the certain samples only (the clip has uncertain ones), markers where the label changes.
    certain = take.emotion_keys()
    uncertain = [s for s in take.emotion if s.uncertain]
    assert certain and uncertain and len(take.emotion) == 30  # every 3rd of 90 frames
    emotion = curves[f'["{EMOTION_PROPERTY}"]', 0]
    points = [(round(p.co[0]), CATEGORIES[round(p.co[1])]) for p in emotion.keyframe_points]
    assert points == [(scene.frame_start + round(t * take.fps), label) for t, label in certain]
    assert {p.interpolation for p in emotion.keyframe_points} == {"CONSTANT"}
    markers = sorted((m.frame, m.name) for m in scene.timeline_markers)
    changes = take.emotion_changes()
    assert 1 <= len(changes) < len(certain)
    assert markers == [(scene.frame_start + round(t * take.fps), f"emotion: {label}") for t, label in changes]
    # The video behind the (new) camera.
    background = scene.camera.data.background_images[0]
    assert scene.camera.data.show_background_images and background.show_background_image
    assert background.source == "MOVIE_CLIP" and Path(bpy.path.abspath(background.clip.filepath)) == path
    assert background.clip.frame_start == scene.frame_start


def test_head_turn_on_a_chosen_bone(rigged_face):
    """The same take with a head bone: its rotation about the bone's own axis along world +Z (a bone pointing up:
    its Y axis), relative to the bone's rest; the face object itself is not rotated."""
    take = _TAKES.get("video")
    if take is None:
        pytest.skip("needs the video take of test_video_head_turn_emotion_and_background")
    armature = _armature({"head": ((0.0, 0.0, 0.0), (0.0, 0.0, 0.2))})
    rigged_face.parent = armature
    write_take([rigged_face], take, head_bone="head", emotion=False)
    curves = _motion_curves(armature)
    frames = np.arange(len(take)) + 1
    keyed = np.array([curves['pose.bones["head"].rotation_euler', 1].evaluate(f) for f in frames])
    assert np.degrees(np.abs(keyed - take.head_rotation[:, 0]).max()) < 1.0
    assert rigged_face.animation_data is None or rigged_face.animation_data.action is None
    back = take_from_shape_keys(rigged_face)
    np.testing.assert_allclose(back.head_rotation[: len(take)], take.head_rotation, atol=1e-4)


def _armature(bones):
    """An armature "Rig" with ``bones`` ``{name: (head, tail)}``, Euler XYZ pose rotation."""
    armature = bpy.data.objects.new("Rig", bpy.data.armatures.new("Rig"))
    bpy.context.scene.collection.objects.link(armature)
    bpy.context.view_layer.objects.active = armature
    bpy.ops.object.mode_set(mode="EDIT")
    for name, (head, tail) in bones.items():
        bone = armature.data.edit_bones.new(name)
        bone.head, bone.tail = head, tail
    bpy.ops.object.mode_set(mode="OBJECT")
    for bone in armature.pose.bones:
        bone.rotation_mode = "XYZ"
    return armature


def test_eyes_on_bones_and_from_the_eye_look_keys(rigged_face, tmp_path):
    """Eye bones pointing forward (-Y) turn about world +Z by the take's eye yaw; without eye bones the exported
    eye angles come from the eyeLook* weights (the rig's 30 degrees at weight 1)."""
    n = 20
    eyes = np.zeros((n, 2, 3))
    eyes[:, 0, 0] = np.linspace(0.0, 0.3, n)  # left eye looks to the subject's left
    eyes[:, 1, 1] = np.linspace(0.0, 0.2, n)  # right eye looks down
    take = Take(fps=24.0, weights=np.zeros((n, 52)), eye_rotation=eyes)
    forward = ((0.0, 0.0, 0.0), (0.0, -0.02, 0.0))
    armature = _armature({"eye.L": forward, "eye.R": forward})
    rigged_face.parent = armature
    write_take([rigged_face], take, eye_bones=("eye.L", "eye.R"))
    curves = _motion_curves(armature)
    # The bone's turn in the armature's (= the world's) axes: posed matrix times the rest's inverse, about +Z.
    frames = np.arange(n) + 1
    matrices = []
    for f in frames:
        bpy.context.scene.frame_set(int(f))
        matrices.append(
            np.array(armature.pose.bones["eye.L"].matrix.to_3x3())
            @ np.array(armature.data.bones["eye.L"].matrix_local.to_3x3()).T
        )
    yaw = np.array([np.arctan2(m[1, 0], m[0, 0]) for m in matrices])
    np.testing.assert_allclose(yaw, eyes[:, 0, 0], atol=1e-4)
    assert 'pose.bones["eye.R"].rotation_euler' in {path for path, _ in curves}
    np.testing.assert_allclose(take_from_shape_keys(rigged_face).eye_rotation, eyes, atol=1e-4)
    # The operator takes the eye bones from the Capture panel: both or neither.
    csv = tmp_path / "eyes.csv"
    live_link.write_live_link_csv(csv, take)
    bpy.context.scene.facemotion.capture_eye_bone_left = "eye.L"
    with pytest.raises(RuntimeError, match="both eye bones"):
        bpy.ops.facemotion.capture_performance(filepath=str(csv))
    bpy.context.scene.facemotion.capture_eye_bone_right = "eye.R"
    assert bpy.ops.facemotion.capture_performance(filepath=str(csv)) == {"FINISHED"}
    np.testing.assert_allclose(take_from_shape_keys(rigged_face).eye_rotation, eyes, atol=1e-3)
    # No eye bones: the gaze is in the eyeLook* keys and comes back out of them.
    rigged_face.parent = None
    weights = np.zeros((n, 52))
    weights[:, ARKIT_NAMES.index("eyeLookOutLeft")] = 0.5
    weights[:, ARKIT_NAMES.index("eyeLookInRight")] = 0.5
    write_take([rigged_face], Take(fps=24.0, weights=weights))
    path = tmp_path / "gaze.csv"
    assert bpy.ops.facemotion.export_live_link(filepath=str(path)) == {"FINISHED"}
    back = live_link.read_live_link_csv(path, fps=24.0)
    np.testing.assert_allclose(back.eye_rotation[:, :, 0], np.radians(15.0), atol=1e-4)


def test_live_link_head_yaw_round_trips(rigged_face, tmp_path):
    """A Live Link take's HeadYaw/Pitch/Roll become the face's rotation keys and come back out in the CSV the
    face's animation is exported to."""
    t = np.arange(60) / 30.0
    head = np.stack([0.4 * np.sin(2 * t), 0.1 * np.sin(3 * t), -0.05 * np.sin(t)], axis=1)
    source = Take(fps=30.0, weights=np.full((60, 52), 0.2), head_rotation=head)
    path = tmp_path / "take.csv"
    live_link.write_live_link_csv(path, source)
    bpy.context.scene.render.fps, bpy.context.scene.render.fps_base = 30, 1.0
    assert bpy.ops.facemotion.capture_performance(filepath=str(path)) == {"FINISHED"}
    curves = _motion_curves(rigged_face)
    yaw = np.array([curves["rotation_euler", 2].evaluate(f) for f in np.arange(60) + 1])
    np.testing.assert_allclose(yaw, head[:, 0], atol=0.02)  # pitch and roll move the Euler Z a little
    out = tmp_path / "out.csv"
    assert bpy.ops.facemotion.export_live_link(filepath=str(out)) == {"FINISHED"}
    back = live_link.read_live_link_csv(out, fps=30.0)
    np.testing.assert_allclose(back.head_rotation, head, atol=1e-4)


def test_a_new_capture_replaces_the_head_motion_and_a_users_object_action_is_refused(rigged_face, tmp_path):
    path = tmp_path / "take.csv"
    head = np.zeros((30, 3))
    head[:, 0] = 0.5
    live_link.write_live_link_csv(path, Take(fps=30.0, weights=np.zeros((30, 52)), head_rotation=head))
    rigged_face.rotation_euler = (0.1, 0.0, 0.0)  # the rest the head turns from
    assert bpy.ops.facemotion.capture_performance(filepath=str(path)) == {"FINISHED"}
    bpy.context.scene.frame_set(5)
    assert rigged_face.rotation_euler[2] == pytest.approx(0.5, abs=1e-4)
    bpy.context.scene.facemotion.capture_head = False
    assert bpy.ops.facemotion.capture_performance(filepath=str(path)) == {"FINISHED"}
    assert not _motion_curves(rigged_face)  # the earlier head turn is gone, the face back at its rest
    np.testing.assert_allclose(rigged_face.rotation_euler, (0.1, 0.0, 0.0), atol=1e-6)
    bpy.context.scene.facemotion.capture_head = True
    mine = bpy.data.actions.new("my_object_animation")
    compat.assign_action(rigged_face, mine)
    actions = set(bpy.data.actions)
    key_action = rigged_face.data.shape_keys.animation_data.action
    with pytest.raises(RuntimeError, match="my_object_animation"):
        bpy.ops.facemotion.capture_performance(filepath=str(path))
    assert rigged_face.animation_data.action == mine and set(bpy.data.actions) == actions
    assert rigged_face.data.shape_keys.animation_data.action == key_action and not key_action.use_fake_user


def test_capture_panel_draws_its_operators(rigged_face):
    log = draw_panel(FACEMOTION_PT_capture, context_for(rigged_face, [rigged_face]))
    expected = ["facemotion.capture_performance", "facemotion.capture_webcam", "facemotion.export_live_link"]
    assert operators_in(log) == expected
    settings = [entry[2] for entry in log if entry[0] == "prop"]
    assert settings == [
        "capture_head",
        "capture_head_bone",
        "capture_eye_bone_left",
        "capture_eye_bone_right",
        "capture_eye_objects",
        "capture_emotion",
        "capture_background",
    ]
    log = draw_panel(FACEMOTION_PT_capture, context_for(None, []))
    assert operators_in(log) == expected
    # A face with an armature: the head bone is searched among its bones.
    rigged_face.parent = _armature({"head": ((0.0, 0.0, 0.0), (0.0, 0.0, 0.2))})
    log = draw_panel(FACEMOTION_PT_capture, context_for(rigged_face, [rigged_face]))
    (search,) = [entry[3] for entry in log if entry[0] == "prop" and entry[2] == "capture_head_bone"]
    assert search["search_data"] == rigged_face.parent.pose and search["search_property"] == "bones"


def test_webcam_capture_needs_the_window(rigged_face):
    """In the background (scripts, CI: no camera, no window) the webcam operator says so and changes nothing."""
    with pytest.raises(RuntimeError, match="Blender's window"):
        bpy.ops.facemotion.capture_webcam("INVOKE_DEFAULT")
    assert rigged_face.data.shape_keys.animation_data is None
