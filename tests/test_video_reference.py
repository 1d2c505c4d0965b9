"""core.emotion.recognition's video track judged against the actor's own calm frames (relative model), on a video
written with OpenCV from faces/astronaut.png: smiling, then calmer (tools/face_composites.calmer: mouth corners
pulled in and down, lips closed), then smiling again."""

import cv2
import face_composites as composites
import numpy as np
import pytest

from facemotion.core.animation.track_keys import track_to_timeline_keys
from facemotion.core.detect.landmarks import FaceLandmarkDetector
from facemotion.core.emotion.classifier import default_classifier
from facemotion.core.emotion.recognition import (
    calm_window,
    expression_activity,
    summarize_track,
    video_emotion_track,
)
from facemotion.core.errors import InputError

FPS = 10.0
CALM_FRAMES = range(10, 20)


@pytest.fixture(scope="module")
def detector():
    with FaceLandmarkDetector() as det:
        yield det


@pytest.fixture(scope="module")
def smile_calm_smile(tmp_path_factory, detector):
    """30 frames at 10 fps (256 px, MJPG): smiling 0-9, calm 10-19, smiling 20-29."""
    photo = composites.astronaut()
    calm = composites.calmer(photo, detector.detect(photo)[0])
    smile, calm = (cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA) for image in (photo, calm))
    path = tmp_path_factory.mktemp("video") / "smile_calm_smile.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (256, 256))
    for frame in [smile] * 10 + [calm] * 10 + [smile] * 10:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def test_calm_frames_are_found_and_the_smile_reads_against_them(smile_calm_smile, detector):
    track = video_emotion_track(smile_calm_smile, every_n=2, detector=detector)
    assert [s.frame for s in track] == list(range(0, 30, 2))
    assert [s.time for s in track] == pytest.approx([i / FPS for i in range(0, 30, 2)])
    # CALM_WINDOW (1 s) of samples every 0.2 s: five frames, exactly the calm ones.
    assert [s.frame for s in track if s.reference] == [10, 12, 14, 16, 18]
    for sample in track:
        expected = "neutral" if sample.frame in CALM_FRAMES else "happy"
        assert sample.label == expected, sample
    # Judged alone, the calm face still reads happy (the photo's own smile lines): what the reference is for.
    alone = video_emotion_track(smile_calm_smile, every_n=2, detector=detector, reference=None)
    assert not any(s.reference for s in alone)
    assert alone[5].label == "happy" and alone[5].probabilities != track[5].probabilities
    keys = track_to_timeline_keys(track, min_hold=0.0)
    assert [(k.time, k.emotion) for k in keys] == [(0.0, "happy"), (1.0, "neutral"), (2.0, "happy")]


def test_a_chosen_frame_range_overrides_the_calm_frames(smile_calm_smile, detector):
    track = video_emotion_track(smile_calm_smile, every_n=2, detector=detector, reference=(0, 9))
    assert [s.frame for s in track if s.reference] == [0, 2, 4, 6, 8]
    # The smile is the reference now: the smiling frames add no smile to it (the relative model, trained on rest
    # poses as references, reads them as disgust at 0.85: a reference that is not calm is the user's choice) ...
    smiling = [s for s in track if s.frame not in CALM_FRAMES]
    assert all(s.label != "happy" for s in smiling)
    # ... and the smile going away reads as sadness (measured 0.85).
    assert all(s.label == "sad" for s in track if s.frame in CALM_FRAMES)
    assert summarize_track(track).face_frames == 15


def test_reference_errors_are_one_clear_line(smile_calm_smile, detector):
    for bad, words in (
        ((40, 50), "no face was found in the chosen reference frames 40-50"),
        ((9, 3), "empty or negative"),
        ("first", "reference must be"),
    ):
        with pytest.raises(InputError, match=words):
            video_emotion_track(smile_calm_smile, every_n=10, detector=detector, reference=bad)
    with pytest.raises(InputError, match="judges each frame alone"):
        video_emotion_track(
            smile_calm_smile, every_n=10, detector=detector, classifier=default_classifier(), reference=(0, 9)
        )


def test_calm_window_and_activity(detector):
    assert calm_window([3.0, 1.0, 1.0, 2.0, 0.5], 2) == (1, 3)  # the earliest of the lowest means
    assert calm_window([3.0, 1.0], 5) == (0, 2)
    with pytest.raises(InputError):
        calm_window([], 3)
    photo = composites.astronaut()
    smiling = detector.detect(photo)[0]
    calm = detector.detect(composites.calmer(photo, smiling))[0]
    assert expression_activity(calm) < 0.6 * expression_activity(smiling)
    assert np.isfinite(expression_activity(calm))
