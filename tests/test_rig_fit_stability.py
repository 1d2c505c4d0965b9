# SPDX-License-Identifier: GPL-3.0-or-later
"""The template fit and the expression transfer are continuous functions of their input (issue 18): with the
landmarks held fixed, another vertex order or a perturbation far below modelling precision (1e-6 of the head's
size) changes no ARKit shape by more than 1 % of its peak motion (tools/rig_stability.py measures the whole chain,
landmark search included). Before, a vertex of the ICT head's lashes, about as far from two sides of the eye
corner's fold, moved cheekSquintRight by 1.5 % of its peak when its closest template point jumped across the fold.
"""

from types import SimpleNamespace

import numpy as np
import pytest
import rig_stability

from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.rig.registration import _follow_skin
from facemotion.core.rig.transfer import _blended_closest_points, _FittedSurface

#: Largest per-shape difference, as a fraction of the shape's peak motion (the issue's limit).
LIMIT = 0.01


@pytest.fixture(scope="module")
def ict_rigs():
    """``{variant: (52, N, 3) deltas in the plain vertex order}`` of the ICT head, each rigged with the plain
    head's landmarks (found once on the surface; the shuffled head's surface is the same, the perturbed one's moved
    by 1e-6 of the head's size)."""
    return rig_stability.rig_variants("ict", rig_stability.VARIANTS, fixed_landmarks=True)


@pytest.mark.parametrize("variant", ["shuffle", "perturb"])
def test_fit_and_transfer_do_not_amplify_a_tiny_change(ict_rigs, variant):
    differences = rig_stability.shape_differences(ict_rigs["plain"], ict_rigs[variant])
    assert (np.linalg.norm(ict_rigs["plain"], axis=2).max(axis=1) > 0).sum() >= 50  # a rig that moves
    k = int(np.argmax(differences))
    assert differences[k] <= LIMIT, f"{ARKIT_NAMES[k]} differs by {differences[k]:.2e} of its peak ({variant})"


def test_inner_parts_follow_the_skin_continuously():
    # Seven skin vertices around the point and two farther ones on either side: whichever of the two a rounding
    # error makes the 8th nearest, the point moves the same (plain k-nearest weights jumped by 1/64 of the
    # moving one's motion here).
    angles = np.linspace(0.0, 2 * np.pi, 7, endpoint=False) + 0.3
    skin = np.concatenate([np.stack([np.cos(angles), np.sin(angles), np.zeros(7)], axis=1), [[3, 0, 0], [-3, 0, 0]]])
    moved = np.zeros((9, 3))
    moved[7, 2] = 1.0  # only the one at +x moves
    nearer = _follow_skin(skin, moved, np.array([[1e-9, 0.0, 0.0]]))[0, 2]
    farther = _follow_skin(skin, moved, np.array([[-1e-9, 0.0, 0.0]]))[0, 2]
    assert farther == 0.0 and nearer < 1e-12
    # ... and a point on a skin vertex takes its motion.
    assert _follow_skin(skin, moved, skin[7:8])[0, 2] == pytest.approx(1.0)


def _two_sheets():
    """A fitted surface of two parallel unit squares, z = 0 (vertices 0..3) and z = 1 (4..7)."""
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    vertices = np.concatenate([np.c_[square, np.zeros(4)], np.c_[square, np.ones(4)]])
    triangles = np.array([[0, 1, 2], [0, 2, 3], [4, 6, 5], [4, 7, 6]])
    return _FittedSurface(SimpleNamespace(vertices=vertices), SimpleNamespace(triangles=triangles))


def _correspondence(surface, points):
    """``(N, 8)`` dense blended correspondence of ``points`` on ``surface`` (no labels, every triangle allowed)."""
    n = len(points)
    hit = surface.proximity.query(points)
    matrix = _blended_closest_points(
        surface,
        points,
        np.zeros(n, dtype=np.int8),
        np.zeros((4, 3), dtype=np.int8),
        np.ones(4, dtype=bool),
        (hit.triangle, hit.barycentric, hit.distance),
        np.inf,
    )
    return matrix.toarray()


def test_closest_points_blend_across_equally_far_sheets():
    surface = _two_sheets()
    # Halfway between the sheets a rounding error picks the closest one; the blend takes both, half each.
    below, above = _correspondence(surface, np.array([[0.3, 0.4, 0.5 - 1e-12], [0.3, 0.4, 0.5 + 1e-12]]))
    assert np.abs(below - above).max() < 1e-9
    assert below[:4].sum() == pytest.approx(0.5) and below[4:].sum() == pytest.approx(0.5)
    # Nearer one sheet than the band: that sheet alone, at the closest point's barycentric weights.
    near = _correspondence(surface, np.array([[0.25, 0.5, 0.2]]))[0]
    assert near[4:].sum() == 0.0 and near.sum() == pytest.approx(1.0)
    assert near[:4] @ surface.vertices[:4] == pytest.approx([0.25, 0.5, 0.0])
    # On the surface: the closest point itself, exactly.
    on = _correspondence(surface, np.array([[0.25, 0.5, 0.0]]))[0]
    assert on[:4] @ surface.vertices[:4] == pytest.approx([0.25, 0.5, 0.0]) and on[4:].sum() == 0.0
