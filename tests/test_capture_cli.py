"""``facemotion capture`` end to end, run as a user runs it (a subprocess): a rendered video with known curves into a
Live Link Face CSV, that CSV onto the ICT head (a different face from the rendered one) as a .glb (weights and the
head's rotation as node animation) and an .fbx, the video into a .blend (head, emotion track, markers, the video
behind the camera), and bad input (one line, exit 2, nothing written)."""

from pathlib import Path

import bpy
import capture_round_trip
import cv2
import numpy as np
import pytest
from scipy.spatial.transform import Rotation
from test_cli import _assert_ok, _describe, _listing, accessor, read_gltf, run_cli

from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.capture import live_link
from facemotion.core.capture.timing import resample
from facemotion.core.io.assets import asset_path
from facemotion.facemotion_addon import compat
from facemotion.facemotion_addon.takes import EMOTION_PROPERTY, MOTION_ACTION

ICT = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """The round trip's 3 s clip (192 px, 30 fps) as an .mp4, with its true curves."""
    frames, weights, yaw = capture_round_trip.render_clip(size=192, seconds=3.0)
    path = tmp_path_factory.mktemp("capture") / "performance.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), capture_round_trip.FPS, (192, 192))
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path, weights, yaw


@pytest.fixture(scope="module")
def captured_csv(clip):
    path, _, _ = clip
    out = path.with_name("take.csv")
    return run_cli("capture", path, "--out", out), out


def test_video_to_live_link_csv(captured_csv, clip):
    proc, out = captured_csv
    _assert_ok(proc)
    assert "90 frames at 30 fps" in proc.stdout
    take = live_link.read_live_link_csv(out)
    _, weights, yaw = clip
    assert take.fps == 30.0 and len(take) == len(weights)
    jaw = ARKIT_INDEX["jawOpen"]
    # The same bound as tests/test_capture.py's round trip (the mp4's compression adds little).
    assert np.corrcoef(take.weights[:, jaw], weights[:, jaw])[0, 1] > 0.9
    assert np.degrees(np.abs(take.head_rotation[:, 0] - yaw).mean()) < 3.0


def test_live_link_csv_onto_a_rig_as_glb(captured_csv, tmp_path):
    _, csv = captured_csv
    out = tmp_path / "captured.glb"
    proc = run_cli(
        "capture",
        csv,
        "--rig",
        asset_path("ict-facekit/FaceXModel/generic_neutral_mesh.obj"),
        "--out",
        out,
        "--fps",
        24,
    )
    _assert_ok(proc)
    doc, buffers = read_gltf(out)
    (animation,) = doc["animations"]
    channels = {channel["target"]["path"]: channel for channel in animation["channels"]}
    assert set(channels) == {"weights", "rotation"}  # a Live Link take has no head position
    sampler = animation["samplers"][channels["weights"]["sampler"]]
    times = accessor(doc, buffers, sampler["input"])[:, 0]
    keyed = accessor(doc, buffers, sampler["output"])[:, 0].reshape(len(times), 52)
    expected = live_link.read_live_link_csv(csv)
    assert len(times) == 72  # 2.97 s resampled from 30 to 24 fps
    np.testing.assert_allclose(np.diff(times), 1 / 24, atol=1e-5)
    truth = resample(expected.times, expected.weights, 24.0)
    np.testing.assert_allclose(keyed, truth, atol=1e-4)  # morph targets in ARKit order, as the rig writes them
    # The head as node rotation on the same clock; glTF's axes are the take's camera axes (x right, y up, z toward
    # the viewer), so the turn since the first key is the take's, whatever the node's rest (the OBJ's Y-up turn).
    sampler = animation["samplers"][channels["rotation"]["sampler"]]
    np.testing.assert_allclose(accessor(doc, buffers, sampler["input"])[:, 0], times, atol=1e-5)
    node = Rotation.from_quat(accessor(doc, buffers, sampler["output"]))
    head = Rotation.from_euler("YXZ", resample(expected.times, expected.head_rotation, 24.0))
    assert np.degrees((node * node[0].inv() * (head * head[0].inv()).inv()).magnitude()).max() < 0.1


def test_live_link_csv_onto_a_rig_as_fbx_with_a_head_turn(captured_csv, tmp_path):
    """The .fbx carries the head's rotation as the object's animation (read back with Blender's FBX importer)."""
    _, csv = captured_csv
    out = tmp_path / "captured.fbx"
    _assert_ok(run_cli("capture", csv, "--rig", asset_path(ICT), "--out", out))
    bpy.ops.wm.read_factory_settings(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=str(out))
    (mesh,) = [obj for obj in bpy.data.objects if obj.type == "MESH"]
    action = mesh.animation_data.action
    rotation = [fc for fc in compat.action_fcurves(action, mesh) if fc.data_path == "rotation_euler"]
    assert len(rotation) == 3 and len(rotation[2].keyframe_points) >= 10
    expected = live_link.read_live_link_csv(csv)
    values = np.array([[fc.evaluate(f) for fc in rotation] for f in (1, 1 + len(expected) // 2)])
    assert np.abs(values[1] - values[0]).max() > np.radians(1.0)  # the head turns
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_video_into_a_blend_with_head_emotion_and_background(clip, tmp_path):
    path, _, _ = clip
    out = tmp_path / "captured.blend"
    _assert_ok(run_cli("capture", path, "--rig", asset_path(ICT), "--out", out, "--background"))
    bpy.ops.wm.open_mainfile(filepath=str(out))
    try:
        (mesh,) = [obj for obj in bpy.data.objects if obj.type == "MESH"]
        action = mesh.animation_data.action
        assert action.name == MOTION_ACTION.format(object=mesh.name)
        curves = {(fc.data_path, fc.array_index): fc for fc in compat.action_fcurves(action, mesh)}
        assert {("rotation_euler", 0), ("location", 0), (f'["{EMOTION_PROPERTY}"]', 0)} <= set(curves)
        markers = [marker.name for marker in bpy.context.scene.timeline_markers]
        assert markers and all(name.startswith("emotion: ") for name in markers)
        camera = bpy.context.scene.camera
        assert camera.data.show_background_images
        assert Path(bpy.path.abspath(camera.data.background_images[0].clip.filepath)).resolve() == path.resolve()
    finally:
        bpy.ops.wm.read_factory_settings(use_empty=True)


BAD = {
    "missing-input": ("capture {d}/missing.mp4 --out {d}/out.csv", ["missing.mp4"]),
    "not-a-video": ("capture {d}/notes.txt --out {d}/out.csv", ["notes.txt", "not a video"]),
    "broken-video": ("capture {d}/broken.mp4 --out {d}/out.csv", ["broken.mp4"]),
    "csv-missing-column": ("capture {d}/bad_take.csv --out {d}/out.csv", ["bad_take.csv", "JawOpen"]),
    "rig-needed": ("capture {d}/take.csv --out {d}/out.glb", ["--rig"]),
    "unknown-gain": ("capture {d}/take.csv --out {d}/out.csv --gain jaw_open=2", ["jaw_open", "ARKit"]),
    "malformed-gain": ("capture {d}/take.csv --out {d}/out.csv --gain jawOpen", ["--gain", "NAME=VALUE"]),
    "bad-cutoff": ("capture {d}/take.csv --out {d}/out.csv --filter on --min-cutoff 0", ["min_cutoff"]),
    "bad-fps": ("capture {d}/take.csv --out {d}/out.csv --fps -1", ["--fps"]),
    "existing-output": ("capture {d}/take.csv --out {d}/existing.csv", ["existing.csv", "--overwrite"]),
    "wrong-output": ("capture {d}/take.csv --out {d}/out.mp4", ["out.mp4", ".csv"]),
    "background-needs-blend": ("capture {d}/take.csv --out {d}/out.csv --background", ["--background", ".blend"]),
    "bad-emotion-every": ("capture {d}/take.csv --out {d}/out.csv --emotion-every 0", ["--emotion-every"]),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, captured_csv):
    _, csv = captured_csv
    (tmp_path / "notes.txt").write_text("not a video\n")
    (tmp_path / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 truncated")
    (tmp_path / "take.csv").write_text(csv.read_text())
    (tmp_path / "bad_take.csv").write_text(csv.read_text().replace("JawOpen", "Jaw"))
    (tmp_path / "existing.csv").write_text("precious")
    before = _listing(tmp_path)
    command, words = BAD[case]
    proc = run_cli(*command.format(d=tmp_path).split())
    assert proc.returncode == 2, _describe(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("facemotion: error: "), _describe(proc)
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert _listing(tmp_path) == before
