#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rebuild the shipped blend statistics ``core/emotion/blend_stats.json`` ([Ma 2025], see core/emotion/blending.py).

The data are the synthetic training set's ARKit weights and labels without rendering anything: face ``i`` of
``tools/emotion_data.py synth --seed S`` is labelled ``CATEGORIES[i % 8]`` and its weights are the first draw of
its generator, ``sample_expression(SeedSequence(S, spawn_key=(i,)), label)`` (``sample_face`` draws the expression
before anything else), so faces ``0 .. N-1`` here are exactly the ``weights`` array of that dataset (faces the
detector missed included). The training set has no trust or anticipation faces; the wheel's dyads need them, so
the same sampler draws ``N / 8`` faces of each of :data:`EXTRA_LABELS` as well, from faces ``N, N + 1, ...`` of
the same seed (labels alternating). Runs in a few seconds; the same arguments write the same bytes.

Usage::

    .venv/bin/python tools/build_blend_stats.py                       # N=8000, seed 0, k=16, ARKit space
    .venv/bin/python tools/build_blend_stats.py --n 8000 --seed 0 --k 16 --out core/emotion/blend_stats.json
    .venv/bin/python tools/build_blend_stats.py --space pca --components 16 --k 6 --out /tmp/pca_stats.json

Exit code 2 with one line on stderr on a FacemotionError.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
import emotion_data  # noqa: E402

from facemotion.core.emotion.blending import DEFAULT_K, STATS_PATH, compute_stats, save_stats  # noqa: E402
from facemotion.core.emotion.presets import CATEGORIES  # noqa: E402
from facemotion.core.errors import FacemotionError, InputError  # noqa: E402

#: Plutchik primaries that are presets but not classifier categories, sampled on top of the training set's labels.
EXTRA_LABELS = ("trust", "anticipation")


def sample_labelled_weights(n, seed=0, extra_labels=EXTRA_LABELS):
    """``(weights (M, 52) float32, labels (M,) str)``: the training set's first ``n`` faces' ARKit weights and
    labels (see the module docstring), then ``n // 8`` faces per extra label. Raises InputError: n < 8."""
    if n < len(CATEGORIES):
        raise InputError(f"--n must be at least {len(CATEGORIES)} (one face per label), got {n}")
    weights, labels = [], []
    for index in range(n):
        label = CATEGORIES[index % len(CATEGORIES)]
        weights.append(emotion_data.sample_expression(emotion_data._face_rng(seed, index), label)[0])
        labels.append(label)
    per_extra = n // len(CATEGORIES)
    for j in range(per_extra * len(extra_labels)):
        label = extra_labels[j % len(extra_labels)]
        weights.append(emotion_data.sample_expression(emotion_data._face_rng(seed, n + j), label)[0])
        labels.append(label)
    return np.stack(weights).astype(np.float32), np.array(labels)


def build(n=8000, seed=0, k=DEFAULT_K, space="arkit", components=16, rank="absolute"):
    """The :class:`~facemotion.core.emotion.blending.BlendStats` for these arguments (deterministic)."""
    weights, labels = sample_labelled_weights(n, seed)
    source = {
        "data": "tools/emotion_data.py sample_expression (synthetic training set, no rendering)",
        "generator_version": emotion_data.GENERATOR_VERSION,
        "seed": int(seed),
        "n_training": int(n),
        "extra_labels": list(EXTRA_LABELS),
        "n_total": int(len(labels)),
        "counts": {str(v): int(c) for v, c in zip(*np.unique(labels, return_counts=True))},
        "command": f"tools/build_blend_stats.py --n {n} --seed {seed} --k {k} --space {space} "
        f"--components {components} --rank {rank}",
    }
    return compute_stats(weights, labels, k=k, space=space, n_components=components, rank=rank, source=source)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=8000, help="training-set faces (default 8000, as shipped)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--k", type=int, default=DEFAULT_K, help="indices per emotion (default 16)")
    parser.add_argument("--space", choices=("arkit", "pca"), default="arkit")
    parser.add_argument("--components", type=int, default=16, help="PCA components (space pca)")
    parser.add_argument("--rank", choices=("absolute", "positive"), default="absolute")
    parser.add_argument("--out", type=Path, default=STATS_PATH)
    args = parser.parse_args(argv)
    try:
        stats = build(args.n, args.seed, args.k, args.space, args.components, args.rank)
        path = save_stats(stats, args.out)
    except FacemotionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"wrote {path} ({path.stat().st_size} bytes): {len(stats.labels)} labels, k={stats.k}, "
        f"space={stats.space}, {stats.source['n_total']} samples"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
