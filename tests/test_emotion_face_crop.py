# SPDX-License-Identifier: GPL-3.0-or-later
"""A small face crop in which MediaPipe finds no face is read whole by the appearance channel (issue 17: "every face
found"; FER2013's and CK+48's 48 px crops): the astronaut's smile under a bar that hides brows and eyes, read through
``classify_image``, ``recognize_file`` and ``facemotion emotion``; what is not read whole (large or elongated images,
the geometric model alone) keeps giving no result."""

import json

import cv2
import face_composites as composites
import numpy as np
import pytest
from test_emotion_cli import _describe, run_cli

from facemotion.core.detect.landmarks import FaceLandmarkDetector
from facemotion.core.emotion import classifier as ec
from facemotion.core.emotion.recognition import recognize_file


@pytest.fixture(scope="module")
def hidden():
    return composites.hidden_upper_face(composites.astronaut())


@pytest.fixture(scope="module")
def detector():
    with FaceLandmarkDetector(max_faces=None) as detector:
        yield detector


def test_the_detector_misses_the_hidden_upper_face(hidden, detector):
    # The case this path exists for: without it the image would give no reading at all.
    assert detector.detect(hidden) == []
    assert detector.detect(composites.small_grey_crop(composites.astronaut()))  # the same crop uncovered is found


def test_a_face_crop_without_landmarks_is_read_whole_and_uncertain(hidden, detector):
    (result,) = ec.classify_image(hidden, detector=detector)
    assert result.label == "happy"  # the smile, read by the appearance channel alone
    assert result.uncertain  # one channel, no landmarks: always
    assert isinstance(result.face, ec.WholeImageFace) and result.face.landmarks is None
    assert result.face.bbox == (0.0, 0.0, 48.0, 48.0)
    assert result.probabilities["contempt"] == 0.0  # only the geometric channel sees contempt
    assert sum(result.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    (again,) = ec.classify_image(hidden, detector=detector)
    assert again.probabilities == result.probabilities  # deterministic


def test_what_is_not_read_whole(hidden, detector):
    assert not ec.reads_as_face_crop((300, 300)) and not ec.reads_as_face_crop((48, 120))
    assert ec.reads_as_face_crop((48, 48)) and ec.reads_as_face_crop((128, 100))
    # A large image without a face, and a strip too elongated to be a face crop: no result.
    assert ec.classify_image(np.full((300, 300, 3), 128, np.uint8), detector=detector) == []
    assert ec.classify_image(np.full((48, 120, 3), 128, np.uint8), detector=detector) == []
    # The geometric model alone needs landmarks: no result either.
    assert ec.classify_image(hidden, detector=detector, classifier=ec.default_classifier()) == []


def test_cli_and_recognize_file_mark_the_whole_image(hidden, tmp_path):
    cv2.imwrite(str(tmp_path / "a_hidden.png"), hidden)
    cv2.imwrite(str(tmp_path / "b_crop.png"), composites.small_grey_crop(composites.astronaut()))
    (result,) = recognize_file(tmp_path / "a_hidden.png")
    assert result.label == "happy" and result.face.landmarks is None
    proc = run_cli("emotion", tmp_path, "--json")
    assert proc.returncode == 0, _describe(proc)
    whole, found = (json.loads(line) for line in proc.stdout.splitlines())
    assert whole["label"] == "happy" and whole["uncertain"] and whole["whole_image"]
    assert whole["bbox"] == [0.0, 0.0, 48.0, 48.0]
    assert found["label"] == "happy" and not found["whole_image"]
    text = run_cli("emotion", tmp_path / "a_hidden.png")
    assert text.returncode == 0, _describe(text)
    assert "happy, uncertain, no face found: the whole image read as a face crop" in text.stdout
