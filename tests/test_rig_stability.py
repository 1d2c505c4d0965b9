# SPDX-License-Identifier: GPL-3.0-or-later
"""The same rig on every machine: another BLAS thread count, another vertex order or a perturbation far below
modelling precision (1e-6 of the head's size) must not change the rig (tools/rig_stability.py).

Each head is rigged in subprocesses, because a BLAS library reads its thread count when it loads: with one thread
(the plain head, its perturbed copy and its shuffled copy) and with two (the plain head), two processes at a time.
Limits, per ARKit shape, on the largest vertex difference as a fraction of the shape's peak motion: 1e-4 across
thread counts, 1 % under the perturbation and the shuffle. Before the fix (issue 18) the thread count moved the ICT
head's blinks by 18 %, the perturbation its jaw shapes by 81 %, the shuffle its blinks by 19 %.

The rigs are memoised (tests/memo.py): Blender 4.2 and 5.0 share one Python stack, so the second of them in a clone
loads what the first computed (keyed by the code, the stack, the assets, the case, the variants and the thread
count: the 1- and 2-thread rigs are two computations); Blender 5.2 (Python 3.13, numpy 2) computes its own.
"""

from concurrent.futures import ThreadPoolExecutor

import memo
import numpy as np
import pytest
import rig_stability

from facemotion.core.arkit import ARKIT_NAMES

#: Largest per-shape difference across BLAS thread counts, as a fraction of the shape's peak motion.
THREAD_LIMIT = 1e-4
#: ... under the perturbation and the vertex shuffle.
VARIANT_LIMIT = 0.01

#: ICT and the soup in every run; the whole character and the warped head (a minute each) with the slow tests.
CASES = (
    "ict",
    "soup",
    pytest.param("character", marks=pytest.mark.slow),
    pytest.param("warp-wide", marks=pytest.mark.slow),
)


def _rig(case, variants, threads, out):
    """``{variant: (52, N, 3) deltas}`` of ``case`` rigged by tools/rig_stability.py in a subprocess with
    ``threads`` BLAS threads; memoised (tests/memo.py: pure, keyed by the code, the Python stack, the assets, the
    case, the variants and the thread count), so Blender 4.2 reuses what 5.0 computed in the same clone."""
    return memo.memoized_arrays(
        "rig_stability",
        {"case": case, "variants": list(variants), "threads": threads, "fixed_landmarks": False},
        lambda: rig_stability.rig_in_subprocess(case, variants, threads, out),
    )


@pytest.fixture(scope="module", params=CASES)
def rigs(request, tmp_path_factory):
    """``{"plain", "perturb", "shuffle": one thread; "two_threads": the plain head with two}`` for one case."""
    case, folder = request.param, tmp_path_factory.mktemp(request.param)

    def shuffled_and_two_threads():
        rigs = _rig(case, ("shuffle",), 1, folder / "shuffle.npz")
        rigs["two_threads"] = _rig(case, ("plain",), 2, folder / "two.npz")["plain"]
        return rigs

    # Independent subprocesses, two at a time, two rigs each: the second core is not left idle (each process's BLAS
    # thread count is its own, and a variant's rig does not depend on what its process rigged before it).
    with ThreadPoolExecutor(max_workers=2) as pool:
        first = pool.submit(_rig, case, ("plain", "perturb"), 1, folder / "one.npz")
        second = pool.submit(shuffled_and_two_threads)
        return {**first.result(), **second.result()}


def _worst(a, b):
    """Largest per-shape difference (fraction of the peak) and its shape's name."""
    differences = rig_stability.shape_differences(a, b)
    k = int(np.argmax(differences))
    return float(differences[k]), ARKIT_NAMES[k]


def test_the_rig_moves_something(rigs):
    # The comparisons below mean nothing on an empty rig.
    peaks = np.linalg.norm(rigs["plain"], axis=2).max(axis=1)
    assert (peaks > 0).sum() >= 50


def test_blas_thread_count_does_not_change_the_rig(rigs):
    worst, name = _worst(rigs["plain"], rigs["two_threads"])
    assert worst <= THREAD_LIMIT, f"{name} differs by {worst:.2e} of its peak between 1 and 2 BLAS threads"


def test_vertex_order_does_not_change_the_rig(rigs):
    worst, name = _worst(rigs["plain"], rigs["shuffle"])
    assert worst <= VARIANT_LIMIT, f"{name} differs by {worst:.2e} of its peak after a vertex shuffle"


# Measured, worst shape (fraction of its peak): ICT 0.13 % jawForward, soup 0.35 % jawForward, warp-wide 0.69 %
# jawForward, character 0.18 % cheekSquintLeft, since a landmark is the detection's blend rather than where it lands on
# the surface and the transfer's lid and lip lines take untrusted landmarks from the fitted template (0.55 / 0.68 /
# 0.69 / 0.41 % before; 1.2-1.8 % before the last landmark round averaged a stencil of cameras; 1.4-3.3 %, 2-22 % and
# 11-50 % before the knife edges were removed). Over three more perturbations of each head (rig_stability.variant_mesh's
# seeds 1-3) the worst is 0.55 % (warp-wide eyeBlinkLeft, seed 3; it was 1.56 %, eyeLookDownRight).
def test_tiny_perturbation_does_not_change_the_rig(rigs):
    worst, name = _worst(rigs["plain"], rigs["perturb"])
    assert worst <= VARIANT_LIMIT, f"{name} differs by {worst:.2e} of its peak after a 1e-6 perturbation"


def test_shape_differences_see_one_vertex():
    a = np.zeros((52, 100, 3), np.float32)
    a[:, :, 0] = 1.0
    b = a.copy()
    assert rig_stability.shape_differences(a, b).max() == 0.0
    b[3, 17, 1] = 0.5  # one vertex of one shape, half the peak
    differences = rig_stability.shape_differences(a, b)
    assert differences[3] == pytest.approx(0.5) and np.delete(differences, 3).max() == 0.0


def test_a_variant_names_its_draw():
    """``perturb:S`` / ``shuffle:S`` are the draws of seed ``S`` (``perturb`` is ``perturb:0``), so another draw of
    the same perturbation can be rigged and compared from the command line."""
    vertices = np.random.default_rng(1).normal(size=(9, 3))
    triangles = np.arange(9).reshape(3, 3)

    def variant(name, **seed):
        return rig_stability.variant_mesh(vertices, triangles, 1.0, name, **seed)

    assert np.array_equal(variant("perturb")[0], variant("perturb:0")[0])
    assert np.array_equal(variant("perturb:3")[0], variant("perturb", seed=3)[0])
    assert not np.array_equal(variant("perturb:3")[0], variant("perturb")[0])
    assert np.array_equal(variant("shuffle:2")[2], variant("shuffle", seed=2)[2])
    with pytest.raises(ValueError, match="not an integer"):
        variant("perturb:x")
