# SPDX-License-Identifier: GPL-3.0-or-later
"""Common key times for many curves (core.animation.common_keys): tolerance, exactness, cheapest form, refusals."""

import numpy as np
import pytest
from linear_keys import sparse_key_indices

from facemotion.core.animation.common_keys import cheapest_common_keys, common_keys, sampled_keys
from facemotion.core.animation.keys import bezier_keys, evaluate_bezier
from facemotion.core.errors import InputError


def _eased_curves(n=121):
    """Two smoothstep transitions at different frames (two curves that share no key but the ends)."""
    x = np.arange(n, dtype=np.float64)

    def step(a, b):
        s = np.clip((x - a) / (b - a), 0.0, 1.0)
        return s * s * (3 - 2 * s)

    return np.column_stack([step(10, 50), 0.8 * step(40, 100) - 0.3 * step(100, 120)])


def test_cubic_keys_at_the_transitions_reproduce_smoothstep_exactly():
    samples = _eased_curves()
    keys = common_keys(samples, [10, 50, 40, 100], tolerance=1e-3)
    assert keys.interpolation == "CUBICSPLINE" and list(keys.frames) == [0, 10, 40, 50, 100, 120]
    np.testing.assert_allclose(keys.evaluate(np.arange(len(samples))), samples, atol=1e-6)  # ridge: ~4e-7
    assert keys.byte_size() == 4 * 6 * (1 + 3 * 2)


@pytest.mark.parametrize("interpolation", ["LINEAR", "CUBICSPLINE"])
def test_refinement_meets_the_tolerance_on_noisy_curves(interpolation):
    rng = np.random.default_rng(3)
    samples = np.cumsum(rng.normal(0, 0.01, (200, 5)), axis=0)  # a random walk: keys almost everywhere
    keys = common_keys(samples, tolerance=1e-3, interpolation=interpolation)
    assert np.abs(keys.evaluate(np.arange(200)) - samples).max() <= 1e-3
    assert keys.frames[0] == 0 and keys.frames[-1] == 199 and np.all(np.diff(keys.frames) > 0)


def test_cheapest_is_never_larger_than_a_key_per_frame_and_matches_linear_refinement():
    samples = _eased_curves()
    best = cheapest_common_keys(samples, [10, 40, 50, 100])
    assert best.byte_size() <= sampled_keys(samples).byte_size()
    assert best.interpolation == "CUBICSPLINE"
    # piecewise-linear input: linear keys at the corners, like the per-curve linear keys of core.animation.keys
    corners = np.column_stack(
        [np.interp(np.arange(60), [0, 20, 59], [0, 1, 0.5]), np.interp(np.arange(60), [0, 35, 59], [0.2, 0.9, 0.9])]
    )
    linear = cheapest_common_keys(corners, [20, 35])
    assert linear.interpolation == "LINEAR" and list(linear.frames) == [0, 20, 35, 59]
    union = sorted(set(sparse_key_indices(corners[:, 0])) | set(sparse_key_indices(corners[:, 1])))
    assert list(linear.frames) == union


def test_sparse_bezier_bake_curves_share_keys_within_tolerance():
    # per-curve Bezier keys (what a sparse bake writes) seed the common keys; the result meets 1e-3 on every frame
    x = np.arange(97, dtype=np.float64)
    dense = np.column_stack([0.5 + 0.4 * np.sin(x / 9.0), np.clip((x - 30) / 20, 0, 1) ** 2])
    seeds = np.unique(np.concatenate([bezier_keys(dense[:, c]).frames for c in range(2)]))
    per_frame = np.column_stack([evaluate_bezier(bezier_keys(dense[:, c]), x) for c in range(2)])
    keys = cheapest_common_keys(per_frame, seeds)
    assert np.abs(keys.evaluate(x) - per_frame).max() <= 1e-3
    assert len(keys) < len(x)


def test_bad_samples_are_refused():
    with pytest.raises(InputError, match="NaN"):
        common_keys(np.array([[0.0], [np.nan]]))
    with pytest.raises(InputError, match="shape"):
        common_keys(np.zeros(5))
    with pytest.raises(InputError, match="interpolation"):
        common_keys(np.zeros((3, 1)), interpolation="STEP")
    assert len(common_keys(np.zeros((1, 2)))) == 1  # a single frame: one key
