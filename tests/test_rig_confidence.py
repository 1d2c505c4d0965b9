"""Doubts said out loud (core/rig/confidence.py) on real data: MediaPipe's canonical face model, whose lips are one
surface and which has no eyeballs (a mask), and the same mesh with its mouth slit opened (the 18 triangles between the
inner-lip landmarks removed). Its vertices are the landmarks 0-467, so no detection is needed; one rig (~7 s) shows
the shapes that would tear it left empty."""

import numpy as np
import pytest
import synthetic_heads

from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES
from facemotion.core.rig.autorig import rig_mesh
from facemotion.core.rig.confidence import (
    LOW_SCORE,
    NEEDS_MOUTH_OPENING,
    TURNS_EYEBALLS,
    has_mouth_opening,
    rig_doubts,
)

#: MediaPipe's inner-lip landmarks (upper and lower chains, corner to corner).
INNER_LIPS = [78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308, 95, 88, 178, 87, 14, 317, 402, 318, 324]


@pytest.fixture(scope="module")
def mask():
    face = synthetic_heads.canonical_face()[0]
    landmarks = np.vstack([face.vertices, np.repeat(face.vertices[:1], 10, axis=0)])  # irises: unused here
    slit = np.isin(face.triangles, INNER_LIPS).all(axis=1)
    return face.vertices, face.triangles, face.triangles[~slit], landmarks


def test_joined_lips_are_found_and_a_slit_between_them_is_an_opening(mask):
    vertices, sealed, opened, landmarks = mask
    assert len(sealed) - len(opened) == 18
    assert not has_mouth_opening(vertices, sealed, landmarks)
    assert has_mouth_opening(vertices, opened, landmarks)


def test_the_warnings_name_what_looked_wrong_and_what_was_skipped(mask):
    vertices, sealed, opened, landmarks = mask
    (low, no_mouth), skipped = rig_doubts(vertices, sealed, landmarks, 0.59)
    assert "low confidence (detector score 0.59" in low and f"below {LOW_SCORE:g}" in low
    assert no_mouth.startswith("no mouth opening found") and "jawOpen, mouthClose, tongueOut left empty" in no_mouth
    assert skipped == NEEDS_MOUTH_OPENING == ("jawOpen", "mouthClose", "tongueOut")
    assert rig_doubts(vertices, opened, landmarks, 0.95) == ([], ())
    assert rig_doubts(vertices, opened, landmarks, None) == ([], ())  # the artist's landmarks: no score
    # No eyeballs: eyeLook* would drag the eye surface, unless the gaze moves the lids only.
    (no_eyes,), skipped = rig_doubts(vertices, opened, landmarks, None, eyeballs=False)
    assert no_eyes.startswith("no eyeballs found: eyeLook* left empty") and skipped == TURNS_EYEBALLS
    assert len(TURNS_EYEBALLS) == 8 and all(n.startswith("eyeLook") for n in TURNS_EYEBALLS)
    assert rig_doubts(vertices, opened, landmarks, None, eyeballs=False, gaze_turns_eyes=False) == ([], ())


def _largest_stretch(vertices, triangles, delta):
    """The largest ratio of an edge's length with ``delta`` applied to its rest length: how far a shape tears."""
    edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    rest = np.linalg.norm(vertices[edges[:, 0]] - vertices[edges[:, 1]], axis=1)
    moved = vertices + delta
    return float((np.linalg.norm(moved[edges[:, 0]] - moved[edges[:, 1]], axis=1) / rest).max())


def test_a_mask_gets_no_shape_that_would_tear_it(mask):
    """Rigged, the sealed mask leaves jawOpen, mouthClose (7x edge stretch on joined lips) and eyeLook* (no
    eyeballs to turn) empty, says so, and every shape it keeps stretches no edge past 3.5x."""
    vertices, sealed, _, landmarks = mask
    result = rig_mesh(vertices, sealed, landmarks=landmarks)
    assert result.skipped == tuple(n for n in ARKIT_NAMES if n in {"jawOpen", "mouthClose"} | set(TURNS_EYEBALLS))
    assert result.empty == ("tongueOut",)  # no template data: reported apart from the skipped shapes
    for name in result.skipped:
        assert not result.deltas[ARKIT_INDEX[name]].any(), name
    joined = " ".join(result.warnings)
    assert "no mouth opening found" in joined and "jawOpen" in joined and "no eyeballs found" in joined
    kept = [n for n in ARKIT_NAMES if n not in result.skipped + result.empty]
    stretch = {n: _largest_stretch(vertices, sealed, result.deltas[ARKIT_INDEX[n]]) for n in kept}
    assert max(stretch.values()) < 3.5, sorted(stretch.items(), key=lambda item: -item[1])[:3]
    assert result.deltas[ARKIT_INDEX["mouthSmileLeft"]].any() and result.deltas[ARKIT_INDEX["eyeBlinkLeft"]].any()
