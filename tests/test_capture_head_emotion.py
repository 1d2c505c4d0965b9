"""core.capture's head pose in Blender's axes (core/capture/head_pose.py) and a take's emotion keys: the signs the
rig is keyed with, the inverse used to write a Live Link CSV back, and which emotion samples are keyed (never an
uncertain one). Arrays only; the video and bpy side is in test_capture_blender.py and test_capture_cli.py."""

import numpy as np
import pytest

from facemotion.core.capture.capture import capture
from facemotion.core.capture.head_pose import take_angles, world_offsets, world_rotations
from facemotion.core.capture.sources import ArraySource
from facemotion.core.capture.take import Take
from facemotion.core.emotion.recognition import TrackSample
from facemotion.core.errors import InputError


def _axis_angle(matrix):
    """(unit axis, angle) of a rotation matrix."""
    angle = np.arccos(np.clip((np.trace(matrix) - 1.0) / 2.0, -1.0, 1.0))
    axis = np.array([matrix[2, 1] - matrix[1, 2], matrix[0, 2] - matrix[2, 0], matrix[1, 0] - matrix[0, 1]])
    return axis / np.linalg.norm(axis), angle


@pytest.mark.parametrize(
    ("angles", "axis"),
    [
        ((0.3, 0.0, 0.0), (0, 0, 1)),  # yaw to the subject's left: about +Z (the face looks along -Y)
        ((0.0, 0.3, 0.0), (1, 0, 0)),  # pitch down: about +X
        ((0.0, 0.0, 0.3), (0, -1, 0)),  # roll toward the right shoulder: about -Y
    ],
)
def test_world_rotations_turn_the_face_the_right_way(angles, axis):
    (rotation,) = world_rotations([angles])
    found_axis, angle = _axis_angle(rotation)
    np.testing.assert_allclose(found_axis, axis, atol=1e-9)
    assert angle == pytest.approx(0.3)
    # The face's forward (-Y) turns toward its left (+X) for a positive yaw, down (-Z) for a positive pitch.
    forward = rotation @ np.array([0.0, -1.0, 0.0])
    if angles[0]:
        assert forward[0] > 0
    if angles[1]:
        assert forward[2] < 0


def test_take_angles_inverts_world_rotations():
    rng = np.random.default_rng(4)
    angles = rng.uniform(-0.8, 0.8, (50, 2, 3))
    np.testing.assert_allclose(take_angles(world_rotations(angles)), angles, atol=1e-9)
    np.testing.assert_allclose(take_angles(2.0 * world_rotations(angles[:, 0])), angles[:, 0], atol=1e-9)


def test_world_offsets_are_from_the_median_in_world_axes():
    translation = np.array([[0.0, 0.0, -0.5], [0.01, 0.02, -0.45], [0.0, 0.0, -0.5], [9.0, 9.0, 9.0]])
    found = np.array([True, True, True, False])
    offsets = world_offsets(translation, found)
    np.testing.assert_allclose(offsets[0], 0.0)
    np.testing.assert_allclose(offsets[1], [0.01, -0.05, 0.02])  # right -> +X, toward the camera -> -Y, up -> +Z
    assert not np.any(world_offsets(np.zeros((3, 3))))


def _sample(time, label, uncertain=False):
    probabilities = None if label is None else {label: 1.0}
    return TrackSample(time, label, None if label is None else 0.8, probabilities, round(time * 30), False, uncertain)


def test_emotion_keys_skip_uncertain_and_faceless_samples():
    track = [
        _sample(0.0, "neutral"),
        _sample(0.1, "happy", uncertain=True),
        _sample(0.2, None),
        _sample(0.3, "happy"),
        _sample(0.4, "happy"),
        _sample(0.5, "anger", uncertain=True),
        _sample(0.6, "neutral"),
    ]
    take = Take(fps=30.0, weights=np.zeros((20, 52)), emotion=track)
    assert take.emotion_keys() == [(0.0, "neutral"), (0.3, "happy"), (0.4, "happy"), (0.6, "neutral")]
    assert take.emotion_changes() == [(0.0, "neutral"), (0.3, "happy"), (0.6, "neutral")]
    assert Take(fps=30.0, weights=np.zeros((2, 52))).emotion_keys() == []


@pytest.mark.parametrize("every", [0, -3, 1.5, True])
def test_capture_refuses_a_bad_emotion_step(every):
    with pytest.raises(InputError, match="every N frames"):
        capture(ArraySource(np.zeros((2, 8, 8, 3), np.uint8), 30.0), emotion_every=every)
