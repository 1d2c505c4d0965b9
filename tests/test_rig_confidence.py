"""Doubts said out loud (core/rig/confidence.py) on real data: MediaPipe's canonical face model, whose lips are one
surface (a mask), and the same mesh with its mouth slit opened (the 18 triangles between the inner-lip landmarks
removed). Its vertices are the landmarks 0-467, so no detection is needed."""

import numpy as np
import pytest
import synthetic_heads

from facemotion.core.rig.confidence import LOW_SCORE, has_mouth_opening, rig_warnings

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


def test_the_warnings_name_what_looked_wrong(mask):
    vertices, sealed, opened, landmarks = mask
    low, no_mouth = rig_warnings(vertices, sealed, landmarks, 0.59)
    assert "low confidence (detector score 0.59" in low and f"below {LOW_SCORE:g}" in low
    assert no_mouth.startswith("no mouth opening found")
    assert rig_warnings(vertices, opened, landmarks, 0.95) == []
    assert rig_warnings(vertices, opened, landmarks, None) == []  # the artist's landmarks: no score
