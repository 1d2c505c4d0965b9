# SPDX-License-Identifier: GPL-3.0-or-later
"""The capture's round trip (``tools/capture_round_trip.py``) over a coarse grid of the landmark solve's settings:
the measured choices of :mod:`facemotion.core.capture.solve` measured again against a basis.

Searched (each value the shipped one and one step either side, a factor of about 3 or 2): :data:`PRIORS`
(``solve.PRIOR_WEIGHT``), :data:`POWERS` (``solve.FORESHORTENING_POWER``), and the solve's shares
(``CaptureSettings.solve_share``) of the blinks (:data:`BLINK_SHARES`) and of browInnerUp (:data:`BROW_SHARES`). Each
performance is tracked once (cached under ``build/capture_round_trip/``); a solve is made once per prior and power
and combined with the scores at every share. Printed: per setting, the least and the mean Pearson r over the issue's
channels (``capture_round_trip.CHECKED``) and the performances, and the r of every channel at the best setting (the
greatest least r, then the greatest mean) and at the shipped one. The tuning performances are 1-4; 5-7 are checks
and are scored with ``--performances 1,2,3,4,5,6,7 --only PRIOR,POWER,BLINK,BROW`` once a setting is chosen.

The basis is the shipped one (:func:`facemotion.core.capture.landmark_basis.observed_basis`), or with ``--framings``
its expression columns averaged over :data:`FRAMINGS` (the template rendered with its framing moved over a 4 x 4 grid
of one pixel's phase, ``capture_basis_variants.observed_face``, cached; the head-turn columns stay the shipped ones):
a still image's landmarks move with a sub-pixel change of where the face falls on the pixels, so one framing's columns
are one draw of that noise and the grid's mean estimates MediaPipe's expected response. With ``--framings`` the
stability of that mean is printed first: for the issue's channels, how far the means over two disjoint halves of the
grid (a checkerboard, 8 and 8) are apart, and how far one framing (on average) and the shipped basis are from the
grid's mean, each in per cent of the mean column's length (landmarks the solve uses).

Usage::

    python tools/capture_solve_search.py [--performances 1,2,3,4] [--framings] [--only PRIOR,POWER,BLINK,BROW]
"""

import argparse
import hashlib
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import capture_basis_variants as variants  # noqa: E402
import capture_round_trip as round_trip  # noqa: E402

from facemotion.core.capture import landmark_basis, solve  # noqa: E402
from facemotion.core.capture.capture import CaptureSettings, Tracked, solve_take, track  # noqa: E402
from facemotion.core.capture.sources import ArraySource  # noqa: E402
from facemotion.core.io import assets  # noqa: E402
from facemotion.core.rig.autorig import template_landmarks  # noqa: E402
from facemotion.core.rig.template import load_ict_template  # noqa: E402

PRIORS = (3e-8, 1e-7, 3e-7)
POWERS = (1.0, 2.0, 4.0)
BLINK_SHARES = (0.25, 0.5, 0.75)
BROW_SHARES = (0.25, 0.5, 0.75)
#: ``--framings``: (x, y) pixels of the 384 px render and a scale, a 4 x 4 grid over one pixel's phase, centred.
FRAMINGS = tuple((x, y, 1.0) for y in (-0.375, -0.125, 0.125, 0.375) for x in (-0.375, -0.125, 0.125, 0.375))


def framings_basis(template, landmarks, basis, used):
    """``basis`` with its expression columns (and neutral) the mean over :data:`FRAMINGS`; prints its stability."""
    locate = solve.LandmarkSolver(template, landmarks, basis=basis).locate
    observed = [variants.observed_face(template, landmarks, locate, np.zeros(1), shift) for shift in FRAMINGS]
    rests, motions = np.stack([r for r, _ in observed]), np.stack([m for _, m in observed])
    mean = motions.mean(axis=0)
    checker = np.array([(i + i // 4) % 2 == 0 for i in range(len(FRAMINGS))])
    print("column change, % of the mean column: halves 8 vs 8 / one framing / the shipped basis")
    for name in round_trip.CHECKED:
        k = round_trip.ARKIT_INDEX[name]
        length = np.linalg.norm(mean[used, k])
        halves = np.linalg.norm(motions[checker][:, used, k].mean(axis=0) - motions[~checker][:, used, k].mean(axis=0))
        one = np.linalg.norm(motions[:, used, k] - mean[used, k], axis=(1, 2)).mean()
        shipped = np.linalg.norm(basis[1][used, k] - mean[used, k])
        print(f"{name:16s} {100 * halves / length:5.1f} {100 * one / length:5.1f} {100 * shipped / length:5.1f}")
    return rests.mean(axis=0), mean, basis[2], basis[3]


def tracked_clip(performance):
    """The round trip's clip of ``performance`` rendered and tracked, ``(Tracked, truth weights, truth yaw)``; the
    tracking is cached under ``build/capture_round_trip/``, keyed by the clip's frames (a clip rendered again, e.g.
    coloured by re-placed template landmarks, tracks again), the sources that track (so a changed tracker tracks
    again) and MediaPipe's model."""
    frames, weights, yaw = round_trip.render_clip(256, 6.0, performance)
    digest = hashlib.sha256(assets.asset_info("mediapipe/face_landmarker.task").sha256.encode())
    digest.update(frames.tobytes())
    for source in ("core/capture/capture.py", "core/capture/tracking.py", "core/detect/landmarks.py"):
        digest.update((round_trip.ROOT / source).read_bytes())
    path = round_trip.CACHE / f"tracked_{performance}_256_6_{digest.hexdigest()[:16]}.npz"
    if path.exists():
        with np.load(path) as data:
            fields = {name: data[name] for name in ("times", "points", "scores", "matrices", "found")}
        return Tracked(fps=round_trip.FPS, **fields), weights, yaw
    tracked = track(ArraySource(frames, round_trip.FPS))
    fields = ("times", "points", "scores", "matrices", "found")
    np.savez(path, **{name: getattr(tracked, name) for name in fields})
    return tracked, weights, yaw


class _SolvedOnce(solve.LandmarkSolver):
    """A solver for one take: its first solve, returned again (the shares only change how it is combined)."""

    def solve(self, aligned, prior=None, yaw=None):
        if not hasattr(self, "_solved"):
            self._solved = super().solve(aligned, prior, yaw)
        return self._solved


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--performances", default="1,2,3,4")
    parser.add_argument("--framings", action="store_true", help="the expression columns averaged over FRAMINGS")
    parser.add_argument("--only", help="one setting PRIOR,POWER,BLINK_SHARE,BROW_SHARE instead of the grid")
    args = parser.parse_args(argv)
    performances = [int(p) for p in args.performances.split(",")]
    template = load_ict_template()
    landmarks = template_landmarks(template)
    shipped = solve.LandmarkSolver(template, landmarks)
    basis = landmark_basis.observed_basis(template, landmarks, shipped.locate)
    if args.framings:
        basis = framings_basis(template, landmarks, basis, shipped.used)
    grid = [tuple(float(v) for v in args.only.split(","))] if args.only else None
    grid = grid or list(itertools.product(PRIORS, POWERS, BLINK_SHARES, BROW_SHARES))
    clips = {p: tracked_clip(p) for p in performances}
    results = {}
    for prior, power in sorted({(g[0], g[1]) for g in grid}):
        solve.PRIOR_WEIGHT, solve.FORESHORTENING_POWER = prior, power
        for p, (tracked, weights, yaw) in clips.items():
            solver = _SolvedOnce(template, landmarks, basis=basis)
            for setting in (g for g in grid if g[:2] == (prior, power)):
                shares = {"eyeBlinkLeft": setting[2], "eyeBlinkRight": setting[2], "browInnerUp": setting[3]}
                take = solve_take(tracked, CaptureSettings(solve_share=shares), solver=solver)
                results[setting, p] = {name: r for name, (r, _) in round_trip.compare(take, weights, yaw).items()}
        print(f"prior {prior:g} power {power:g} done", flush=True)
    rows = []
    for setting in grid:
        rs = np.array([[results[setting, p][name] for p in performances] for name in round_trip.CHECKED])
        rows.append((rs.min(), rs.mean(), setting, rs))
    rows.sort(key=lambda row: (-row[0], -row[1]))
    print("least r  mean r  prior  power  blink share  brow share")
    for least, mean, setting, _ in rows:
        print(f"{least:7.3f} {mean:7.3f}  {setting[0]:5g}  {setting[1]:5g}  {setting[2]:11g}  {setting[3]:10g}")
    shown = [rows[0]] + [row for row in rows if row[2] == (1e-7, 2.0, 0.5, 0.5) and row is not rows[0]]
    for least, mean, setting, rs in shown:
        print(f"\nsetting {setting} (least {least:.3f}, mean {mean:.3f})")
        print(f"{'channel':16s} " + " ".join(f"{p:>6d}" for p in performances))
        for name, row in zip(round_trip.CHECKED, rs):
            print(f"{name:16s} " + " ".join(f"{r:6.3f}" for r in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
