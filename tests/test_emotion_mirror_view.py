# SPDX-License-Identifier: GPL-3.0-or-later
"""The fused classifier's geometric channel takes two looks at each face, the face and the face landmarked again on
the mirrored image (issue 17: photos the landmark model only half sees). On faces/astronaut.png the mirror view
agrees with the face; where the upper face is hidden MediaPipe makes landmarks up, the single look reads contempt
with certainty, and the two looks together let the smile through."""

import face_composites as composites
import numpy as np
import pytest

from facemotion.core.detect.landmarks import FaceLandmarkDetector, box_iou
from facemotion.core.emotion import classifier as ec
from facemotion.core.emotion.presets import CATEGORIES


@pytest.fixture(scope="module")
def detector():
    with FaceLandmarkDetector(max_faces=None) as detector:
        yield detector


@pytest.fixture(scope="module")
def photo():
    return composites.astronaut()


def test_the_mirror_view_of_a_face_is_the_same_face_mirrored(detector, photo):
    (face,) = detector.detect(photo)
    (view,) = detector.mirror_views(photo, [face])
    assert view is not None and view.image_size == face.image_size
    w = photo.shape[1]
    x0, y0, x1, y1 = face.bbox
    assert box_iou(view.bbox, (w - x1, y0, w - x0, y1)) > 0.85
    # The subject's left and right trade places: the smile's two corners swap.
    left, right = (face.blendshapes[f"mouthSmile{side}"] for side in ("Left", "Right"))
    assert view.blendshapes["mouthSmileLeft"] == pytest.approx(right, abs=0.15)
    assert view.blendshapes["mouthSmileRight"] == pytest.approx(left, abs=0.15)
    (again,) = detector.mirror_views(photo, [face])
    assert np.array_equal(again.landmarks, view.landmarks)  # deterministic
    # Where there is no face to see, there is no mirror view.
    assert detector.mirror_views(np.full_like(photo, 128), [face]) == [None]
    assert detector.mirror_views(photo, []) == []


def test_mirror_mean():
    p = np.array([[0.9, 0.1, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]], np.float32)
    mirror = np.array([[0.1, 0.9, 0.0, 0.0], [0.3, 0.3, 0.2, 0.2]], np.float32)
    out = ec.mirror_mean(p, mirror, np.array([True, False]))
    assert out.dtype == np.float32 and out.shape == (2, 4)
    assert np.allclose(out[0], [0.5, 0.5, 0.0, 0.0])  # two confident looks that disagree: no confidence left
    assert np.allclose(out[1], [0.125, 0.625, 0.125, 0.125])  # no mirror view: the uniform stands in for it
    assert np.allclose(out.sum(axis=1), 1.0)


def test_made_up_landmarks_are_outvoted_by_the_mirror_view(detector, photo):
    hidden = np.repeat(composites.hidden_upper_face(photo, hidden=0.45)[..., None], 3, axis=2)
    faces = detector.detect(hidden)
    assert len(faces) == 1  # found, though brows and eyes are behind the bar: their landmarks are made up
    classifier = ec.default_fused_classifier()
    single = classifier.geometry.predict_faces(hidden, faces)[0]
    assert CATEGORIES[int(single.argmax())] != "happy" and single.max() > 0.9  # one look: wrong and sure of it
    views = classifier.mirror_views(hidden, faces)
    assert views[0] is not None
    two_looks = classifier.geometry_probabilities(hidden, faces, views)[0]
    assert two_looks.max() < 0.75  # the looks disagree
    (result,) = classifier.classify_faces(hidden, faces)
    assert result.label == "happy"
    # The worker thread that makes the mirror views changes nothing.
    threaded = classifier.channel_probabilities(hidden, faces)
    given = classifier.channel_probabilities(hidden, faces, views)
    assert all(np.array_equal(a, b) for a, b in zip(threaded, given))
