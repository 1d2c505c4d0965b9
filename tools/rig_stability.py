#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Stability of the auto-rig: the same head under another BLAS thread count, a perturbation far below modelling
precision, or another vertex order must give the same rig.

A case is a synthetic head (:mod:`synthetic_heads`): ``ict`` (the ICT head's parts), ``character`` (the ICT head on
a body, with clothes, hair and a cube), ``warp-KIND`` (a warped ICT head, :data:`synthetic_heads.WARP_KINDS`) or
``soup`` (the ICT head as an unwelded triangle soup: every triangle its own three vertices). A variant of a case is
``plain``, ``perturb`` (every point of the surface moved by N(0, 1e-6 of the head's size) per coordinate; vertices
the rig welds into one point (:func:`facemotion.core.geometry.weld_vertices`: a split seam, the soup's corners)
move together: moved apart by as much as the weld's tolerance they would be a tear, not the same head) or
``shuffle`` (vertex order permuted, triangles renumbered); ``perturb:S`` and ``shuffle:S`` draw with seed ``S``
(``perturb`` is ``perturb:0``): one draw may miss a knife edge that another finds. Deltas are saved in the plain
case's vertex order, so any two runs compare.

The difference of two rigs is, per ARKit shape, the largest vertex difference as a fraction of the shape's peak
motion (:func:`shape_differences`). BLAS threads are set by the environment of the process that rigs
(``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``), so thread counts are compared across processes:

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python tools/rig_stability.py rig ict plain,perturb,shuffle t1.npz
    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 python tools/rig_stability.py rig ict plain t2.npz
    python tools/rig_stability.py compare t1.npz:plain t2.npz:plain
    python tools/rig_stability.py rig warp-wide plain,perturb:0,perturb:1,perturb:2,perturb:3 w.npz
    python tools/rig_stability.py compare w.npz:plain w.npz:perturb:3

``rig --fixed-landmarks`` finds the landmarks once, on the plain head, and rigs every variant with them (the
template fit and the transfer alone, without the landmark search).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import synthetic_heads  # noqa: E402
from package_path import import_facemotion  # noqa: E402

#: Size of the perturbation, as a fraction of the head's size (its skin's largest extent).
PERTURBATION = 1e-6
VARIANTS = ("plain", "perturb", "shuffle")


def case_mesh(case):
    """``(vertices (N, 3) float64, triangles (M, 3) int64, head size)`` of a case (see the module docstring); the
    ``soup`` case gives the welded ICT head (:func:`rig_variants` unwelds it).

    Raises:
        ValueError: unknown case.
    """
    if case in ("ict", "soup"):
        parts = synthetic_heads.ict_parts(0)
    elif case == "character":
        parts = synthetic_heads.full_character()
    elif case.startswith("warp-"):
        parts = synthetic_heads.warped_ict(case[len("warp-") :])
    else:
        raise ValueError(f"unknown case {case!r}: ict, character, warp-KIND or soup")
    vertices, triangles, _ = synthetic_heads.joined(parts)
    return vertices, triangles, float(np.ptp(parts[0].vertices, axis=0).max())


def variant_mesh(vertices, triangles, size, variant, seed=0):
    """``(vertices, triangles, order)``: the ``variant`` of a mesh; ``order[i]`` is the plain index of vertex i. A
    ``variant`` ``NAME:S`` is ``NAME`` drawn with seed ``S`` in place of ``seed``.

    Raises:
        ValueError: unknown variant or a seed that is not an integer.
    """
    variant, _, drawn = variant.partition(":")
    if drawn:
        try:
            seed = int(drawn)
        except ValueError:
            raise ValueError(f"variant seed {drawn!r} is not an integer (e.g. perturb:3)") from None
    rng = np.random.default_rng(seed)
    order = np.arange(len(vertices))
    if variant == "perturb":
        from facemotion.core.geometry import weld_vertices

        points, _, at = weld_vertices(vertices, triangles)
        vertices = vertices + (rng.normal(size=points.shape) * PERTURBATION * size)[at]
    elif variant == "shuffle":
        order = rng.permutation(len(vertices))
        vertices, triangles = vertices[order], np.argsort(order)[triangles]
    elif variant != "plain":
        raise ValueError(f"unknown variant {variant!r}: {', '.join(VARIANTS)}")
    return vertices, triangles, order


def soup(vertices, triangles):
    """The mesh unwelded: every triangle its own three vertices ``(3 M, 3)``, triangles ``(M, 3)``."""
    return vertices[triangles].reshape(-1, 3), np.arange(3 * len(triangles)).reshape(-1, 3)


def rig_variants(case, variants, fixed_landmarks=False):
    """``{variant: (52, N, 3) float32 deltas in the plain vertex order}`` of ``case``, rigged in this process;
    ``fixed_landmarks``: every variant with the plain head's landmarks."""
    from facemotion.core.detect.mesh_landmarks import detect_mesh_landmarks
    from facemotion.core.rig.autorig import rig_mesh

    vertices, triangles, size = case_mesh(case)
    if case == "soup":
        vertices, triangles = soup(vertices, triangles)
    landmarks = detect_mesh_landmarks(vertices, triangles).points if fixed_landmarks else None
    out = {}
    for variant in variants:
        v, t, order = variant_mesh(vertices, triangles, size, variant)
        deltas = rig_mesh(v, t, landmarks=landmarks).deltas
        out[variant] = np.empty_like(deltas)
        out[variant][:, order] = deltas
    return out


def rig_in_subprocess(case, variants, threads, out, fixed_landmarks=False, timeout=900):
    """:func:`rig_variants` in a fresh interpreter (this tool's ``rig`` command) with ``threads`` BLAS threads (a
    BLAS library reads its thread count when it loads), saved to ``out`` (.npz) and returned as ``{variant: (52, N,
    3) float32 deltas}``. The interpreter imports no bpy: the result depends on the code, the Python stack, the
    assets and these arguments alone.

    Raises:
        RuntimeError: the tool failed (its stderr's end in the message).
    """
    env = dict(
        os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads)
    )
    command = [sys.executable, __file__, "rig", case, ",".join(variants), str(out)]
    run = subprocess.run(
        [*command, "--fixed-landmarks"] if fixed_landmarks else command,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if run.returncode != 0:
        raise RuntimeError(f"rig_stability.py rig {case} failed (exit {run.returncode}): {run.stderr[-3000:]}")
    with np.load(out) as data:
        return {name: data[name] for name in data.files}


def shape_differences(a, b):
    """``(52,) float64``: per shape, ``max_i |a_i - b_i| / max_i |a_i|`` for ``(52, N, 3)`` deltas (0 for a shape
    that ``a`` leaves still and ``b`` too; inf if only ``b`` moves it)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    peak = np.linalg.norm(a, axis=2).max(axis=1)
    diff = np.linalg.norm(a - b, axis=2).max(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peak > 0, diff / np.where(peak > 0, peak, 1.0), np.where(diff > 0, np.inf, 0.0))


def worst(a, b, names, count=4):
    """Text of the ``count`` largest :func:`shape_differences` with their shape names."""
    rel = shape_differences(a, b)
    top = np.argsort(-rel)[:count]
    return ", ".join(f"{names[k]} {rel[k]:.2e}" for k in top)


def main(argv):
    import_facemotion()
    from facemotion.core.arkit import ARKIT_NAMES

    fixed = "--fixed-landmarks" in argv
    argv = [a for a in argv if a != "--fixed-landmarks"]
    if len(argv) == 4 and argv[0] == "rig":
        deltas = rig_variants(argv[1], argv[2].split(","), fixed_landmarks=fixed)
        np.savez(argv[3], **deltas)
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        loaded = []
        for spec in argv[1:]:
            path, _, variant = spec.partition(":")
            with np.load(path) as data:
                loaded.append(data[variant or "plain"])
        print(worst(*loaded, ARKIT_NAMES))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
