# SPDX-License-Identifier: GPL-3.0-or-later
"""The capture's round trip (``tools/capture_round_trip.py``) with other observed landmark bases: how much the basis's
face, and its measurement noise, move the issue's channels.

The landmark solve (:mod:`facemotion.core.capture.solve`) reads expressions against the template's ARKit shapes as
MediaPipe sees them (:mod:`facemotion.core.capture.landmark_basis`). Variants of the expression columns (the head-turn
columns stay the shipped ones), each solved on every performance (Pearson r per channel, ``capture_round_trip.
compare``):

- ``template``: the shipped basis.
- ``mean``: the expression columns averaged over the template and :data:`IDENTITIES` ICT-FaceKit identities.
- ``weighted``: the same faces weighted per performer, the basis that follows the performer's face: non-negative
  weights summing to 1 (``scipy.optimize.nnls`` with the sum as a heavily weighted row) whose combination of the faces'
  aligned neutral landmarks is nearest, in least squares, to the performer's calibrated neutral (the solve's
  ``neutral``, the same alignment); the same weights combine the faces' expression columns.
- ``nearest``: the one face whose neutral is nearest.
- ``own``: the performer's own identity rendered and detected as the template is (an upper bound: a capture never has
  the performer's mesh).
- ``framing<K>``: the template's basis rendered with its framing moved by :data:`FRAMINGS` ``[K]`` (sub-pixel shifts,
  a per cent of scale), and ``framings``: the mean over the shipped basis and all of them. MediaPipe's landmarks on a
  still image move with such a change, so this measures the basis's own noise.

The identities are drawn once (``numpy.random.default_rng(IDENTITY_SEED).normal(0, 1.5)`` on :data:`IDENTITY_MODES`
modes, the spread of :data:`facemotion.core.capture.landmark_basis.POSE_IDENTITY_SPREAD`); none is a performer's head
(``capture_round_trip.PERFORMANCES``): the nearest coefficient distance is printed. Each face's observation (~10 s on
two cores) is cached under ``build/capture_round_trip/``.

Usage::

    python tools/capture_basis_variants.py [--performances 1,2,3,4,5,6,7] [--variants template,mean,weighted,...]
"""

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

sys.path.insert(0, str(Path(__file__).resolve().parent))
import capture_round_trip as round_trip  # noqa: E402

from facemotion.core.capture import landmark_basis  # noqa: E402
from facemotion.core.capture.capture import CaptureSettings, solve_take, track  # noqa: E402
from facemotion.core.capture.solve import LandmarkSolver  # noqa: E402
from facemotion.core.capture.sources import ArraySource  # noqa: E402
from facemotion.core.rig.autorig import template_landmarks  # noqa: E402
from facemotion.core.rig.template import load_ict_template  # noqa: E402

#: ICT-FaceKit identities the ``mean``, ``weighted`` and ``nearest`` bases are over, besides the template.
IDENTITIES = 16
IDENTITY_MODES = 8
IDENTITY_SEED = 2020
#: Framings of the ``framing<K>`` bases: (x, y) pixels of the 384 px render and a scale of the framed width.
FRAMINGS = (
    (0.5, 0.25, 0.97),
    (-0.25, 0.5, 1.03),
    (-0.5, -0.5, 1.0),
    (0.25, -0.25, 1.015),
    (0.0, 0.5, 0.985),
    (0.4, 0.0, 1.0),
)
VARIANTS = ("template", "mean", "weighted", "nearest", "own", "framings")


def identities():
    """``(IDENTITIES, IDENTITY_MODES) float64`` identity coefficients of the bases' faces."""
    rng = np.random.default_rng(IDENTITY_SEED)
    return rng.normal(0.0, landmark_basis.POSE_IDENTITY_SPREAD, (IDENTITIES, IDENTITY_MODES))


def observed_face(template, landmarks, locate, coefficients, shift=(0.0, 0.0, 1.0)):
    """``(rest (478, 3), motion (478, 52, 3))`` of the face with identity ``coefficients`` framed with ``shift``
    (:func:`facemotion.core.capture.landmark_basis.face_observer`), cached under ``round_trip.CACHE``."""
    key = hashlib.sha256(np.asarray(coefficients, np.float64).tobytes() + np.asarray(shift, np.float64).tobytes())
    basis = landmark_basis.observed_basis_file(template)  # the sources that make a basis
    path = round_trip.CACHE / f"face_{Path(basis).stem[-16:]}_{key.hexdigest()[:16]}.npz"
    if path.exists():
        with np.load(path) as data:
            return data["rest"], data["motion"]
    observe = landmark_basis.face_observer(template, landmarks, locate, shift=shift)
    rest, motion, _ = observe(template.with_identity(coefficients))
    round_trip.CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, rest=rest, motion=motion)
    return rest, motion


def simplex_weights(rests, neutral):
    """Non-negative weights ``(F,)`` summing to 1 whose combination of ``rests`` ``(F, L, 3)`` is nearest to
    ``neutral`` ``(L, 3)`` in least squares (the sum held by a row weighted 1e3 times the largest coordinate)."""
    a = rests.reshape(len(rests), -1).T
    heavy = 1e3 * np.abs(a).max()
    weights, _ = nnls(np.vstack([a, np.full(len(rests), heavy)]), np.concatenate([neutral.reshape(-1), [heavy]]))
    return weights / weights.sum()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--performances", default=",".join(str(p) for p in round_trip.PERFORMANCES))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    args = parser.parse_args(argv)
    performances = [int(p) for p in args.performances.split(",")]
    variants = args.variants.split(",")
    known = VARIANTS + tuple(f"framing{k}" for k in range(len(FRAMINGS)))
    if not set(variants) <= set(known):
        parser.error(f"unknown variant(s) {sorted(set(variants) - set(known))}; choose from {', '.join(known)}")
    template = load_ict_template()
    landmarks = template_landmarks(template)
    locate = LandmarkSolver(template, landmarks).locate
    rest, motion, pose, modes = landmark_basis.observed_basis(template, landmarks, locate)
    faces = identities()
    padded = np.zeros((len(faces), 20))
    padded[:, :IDENTITY_MODES] = faces
    for p, performance in round_trip.PERFORMANCES.items():
        own = np.zeros(20)
        own[: len(performance["identity"])] = performance["identity"]
        nearest = np.linalg.norm(padded - own, axis=1).min()
        print(f"performance {p}: the nearest basis identity is {nearest:.2f} away in identity coefficients")
    observed = [(rest, motion)] + [observed_face(template, landmarks, locate, c) for c in faces]
    rests, motions = np.stack([r for r, _ in observed]), np.stack([m for _, m in observed])
    framed = [motion] + [observed_face(template, landmarks, locate, np.zeros(1), shift)[1] for shift in FRAMINGS]

    def solver_for(expressions):
        return LandmarkSolver(template, landmarks, basis=(rest, expressions, pose, modes))

    results = {}
    for p in performances:
        frames, weights, yaw = round_trip.render_clip(256, 6.0, p)
        tracked = track(ArraySource(frames, round_trip.FPS))
        solver = solver_for(motion)
        results["template", p] = round_trip.compare(solve_take(tracked, CaptureSettings(), solver=solver), weights, yaw)
        used = solver.used
        mix = simplex_weights(rests[:, used], solver.neutral[used])
        nearest = np.argmin(np.linalg.norm((rests - solver.neutral)[:, used].reshape(len(rests), -1), axis=1))
        print(f"performance {p}: face weights {np.round(mix, 2).tolist()}")
        for variant in variants:
            if variant == "template":
                continue
            if variant == "own":
                identity = round_trip.PERFORMANCES[p]["identity"]
                expressions = observed_face(template, landmarks, locate, identity)[1]
            else:
                expressions = {
                    "mean": motions.mean(axis=0),
                    "weighted": np.tensordot(mix, motions, axes=1),
                    "nearest": motions[nearest],
                    "framings": np.mean(framed, axis=0),
                    **{f"framing{k}": framed[k + 1] for k in range(len(FRAMINGS))},
                }[variant]
            take = solve_take(tracked, CaptureSettings(), solver=solver_for(expressions))
            results[variant, p] = round_trip.compare(take, weights, yaw)
    print(f"{'':10s} {'channel':16s} " + " ".join(f"{p:>6d}" for p in performances))
    for variant in variants:
        for name in round_trip.CHECKED:
            print(f"{variant:10s} {name:16s} " + " ".join(f"{results[variant, p][name][0]:6.3f}" for p in performances))
    return 0


if __name__ == "__main__":
    sys.exit(main())
