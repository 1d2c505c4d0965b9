# SPDX-License-Identifier: GPL-3.0-or-later
"""The landmark solve's expression basis measured the way capture sees faces: each ARKit shape performed in a video
clip and tracked in VIDEO mode, then the round trip (``tools/capture_round_trip.py``) with it against the shipped one.

The shipped basis (:mod:`facemotion.core.capture.landmark_basis`) detects each shape on still images: the Face
Landmarker's region of interest then comes from its face detector, and one framing is one draw of MediaPipe's
sub-pixel noise (half a pixel moves the pucker's column by 27 % of its length, ``tools/capture_basis_variants.py``).
Capture tracks video (:class:`facemotion.core.capture.tracking.FaceTracker`, VIDEO mode, clock
:data:`~facemotion.core.capture.tracking.CLOCK_SCALE`), where the region of interest follows the previous frame's
landmarks and MediaPipe's own landmark smoothing acts. Here the template (or any identity) is rendered as the round
trip renders a performer (frontal, coloured by ``face_colours``, the framing moved by a sub-pixel shift, sensor noise
:data:`capture_round_trip.NOISE_SIGMA`) in one clip at :data:`capture_round_trip.FPS`: :data:`LEAD_FRAMES` neutral
frames, then for every shape a raised-cosine ramp 0 -> 1 -> 0 over :data:`RAMP_FRAMES` frames followed by
:data:`HOLD_FRAMES` neutral ones. The clip is tracked with the capture's tracker, each frame aligned as the solve
aligns (``LandmarkSolver.locate``), and each shape's column is the least-squares slope through its neutral of the
aligned landmarks against the known weight over all frames of its ramp (``sum w (x - rest) / sum w^2``, ``rest`` the
median of the neutral holds on either side): noise averages over the ramp's frames, and the smoothing's lag, which
reads a rising ramp low and a falling one high, cancels over a symmetric one. A column whose ramp loses the face
keeps zero. The head-turn columns (``pose``, ``modes``) stay the shipped ones.

Compared (Pearson r per channel and performance, ``capture_round_trip.compare``; tracking cached by
``capture_solve_search.tracked_clip``) at the solve's shipped settings: the shipped basis, the video basis (mean over
``--framings`` sub-pixel framings of :data:`FRAMINGS`), and with ``--own`` each performer's own head measured in video
mode (a diagnostic: a capture never has the performer's mesh), with what each basis reads at those performances'
funnel and pucker peaks (:func:`mouth_peaks`). ``--priors`` re-checks ``solve.PRIOR_WEIGHT`` with the video basis. Each
basis clip's tracking (872 frames, 1-1.5 min on two shared cores) is cached under ``build/capture_round_trip/``.
Findings (not taken; figures in docs/capture.md): the video columns are steadier than the stills' but read the round
trip worse (16 channel-performances under 0.9 instead of 6), and the performer's own head in video mode does not read
performance 3's pucker or 7's funnel either.

Usage::

    python tools/capture_video_basis.py [--performances 1,2,3,4,5,6,7] [--framings 1] [--size 384] [--own 3]
        [--priors 3e-8,3e-7]
"""

import argparse
import dataclasses
import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import capture_round_trip as round_trip  # noqa: E402
import capture_solve_search as search  # noqa: E402

from facemotion.core.capture import landmark_basis, solve  # noqa: E402
from facemotion.core.capture.capture import CaptureSettings, solve_take  # noqa: E402
from facemotion.core.capture.tracking import FaceTracker  # noqa: E402
from facemotion.core.detect.rasterize import OrthoCamera, render  # noqa: E402
from facemotion.core.io import assets  # noqa: E402
from facemotion.core.rig.autorig import template_landmarks  # noqa: E402
from facemotion.core.rig.template import load_ict_template  # noqa: E402

#: Neutral frames before the first shape (the tracker finds the face and settles).
LEAD_FRAMES = 12
#: Frames of one shape's ramp 0 -> 1 -> 0 (raised cosine; 0.53 s at 30 fps, about the round trip's events' widths).
RAMP_FRAMES = 16
#: Neutral frames after each ramp (the shape's rest is measured on them and the previous shape's).
HOLD_FRAMES = 5
#: Side of the square renders, pixels: the shipped basis's :data:`landmark_basis.RENDER_SIZE` (``--size`` 256: the
#: round trip's clips').
SIZE = landmark_basis.RENDER_SIZE
#: Sub-pixel framings (x, y pixels, scale), taken in order by ``--framings``: centred, then half-pixel offsets.
FRAMINGS = ((0.0, 0.0, 1.0), (0.5, 0.5, 1.0), (0.5, 0.0, 1.0), (0.0, 0.5, 1.0))
#: Seed of the sensor noise of the basis clips.
NOISE_SEED = 2026


def schedule(shapes):
    """``(F, 2)`` per frame the shape index (-1: neutral) and its weight, and ``[(shape, ramp frames, rest frames)]``
    with frame index arrays; ``shapes``: the indices to perform."""
    ramp = 0.5 * (1.0 - np.cos(2.0 * np.pi * np.arange(1, RAMP_FRAMES) / RAMP_FRAMES))
    rows = [(-1, 0.0)] * LEAD_FRAMES
    segments = []
    for k in shapes:
        start = len(rows)
        rows += [(k, w) for w in ramp] + [(-1, 0.0)] * HOLD_FRAMES
        before = np.arange(start - HOLD_FRAMES, start)
        after = np.arange(start + len(ramp), start + len(ramp) + HOLD_FRAMES)
        segments.append((k, np.arange(start, start + len(ramp)), np.concatenate([before, after])))
    return np.array(rows), segments


def video_face(template, landmarks, locate, coefficients, shift=(0.0, 0.0, 1.0)):
    """``(rest (478, 3), motion (478, 52, 3))`` float64 (template units) of the face with identity ``coefficients``
    measured in video mode (the module docstring), cached under ``round_trip.CACHE``."""
    key = hashlib.sha256(np.asarray(coefficients, np.float64).tobytes() + np.asarray(shift, np.float64).tobytes())
    key.update(f"{LEAD_FRAMES}:{RAMP_FRAMES}:{HOLD_FRAMES}:{SIZE}:{NOISE_SEED}:{round_trip.NOISE_SIGMA}".encode())
    key.update(landmark_basis.observed_basis_file(template).encode())
    key.update(assets.asset_info("mediapipe/face_landmarker.task").sha256.encode())
    key.update((round_trip.ROOT / "core/capture/tracking.py").read_bytes())
    path = round_trip.CACHE / f"video_face_{key.hexdigest()[:16]}.npz"
    if path.exists():
        with np.load(path) as data:
            return data["rest"], data["motion"]
    started = time.perf_counter()
    vertices = template.with_identity(coefficients) if np.any(coefficients) else template.vertices
    colours, shown = landmark_basis.face_colours(template, vertices, landmarks)
    triangles = template.triangles[shown[template.triangles].all(axis=1)]
    face = vertices[slice(*template.parts["face"])]
    camera = OrthoCamera.framing(face, view_dir=(0.0, 0.0, -1.0), up=(0.0, 1.0, 0.0), size=(SIZE, SIZE), margin=1.3)
    pixel = 2.0 * camera.half_width / SIZE
    moved = camera.centre + pixel * (shift[0] * camera.rotation[0] + shift[1] * camera.rotation[1])
    camera = dataclasses.replace(camera, centre=moved, half_width=camera.half_width * shift[2])
    unsolved = [round_trip.ARKIT_INDEX[name] for name in solve.UNSOLVED_CHANNELS]
    shapes = [k for k in range(len(template.deltas)) if np.any(template.deltas[k]) and k not in unsolved]
    rows, segments = schedule(shapes)
    noise = np.random.default_rng(NOISE_SEED)
    points = np.full((len(rows), 478, 3), np.nan)
    tracker = FaceTracker()
    try:
        for i, (k, w) in enumerate(rows):
            posed = vertices if k < 0 else vertices + w * template.deltas[int(k)]
            image = render(posed, triangles, camera, vertex_colors=colours, background=(0.15, 0.15, 0.17)).image
            frame = np.clip(image + noise.normal(0.0, round_trip.NOISE_SIGMA, image.shape), 0, 255).astype(np.uint8)
            tracked = tracker.track(frame, i / round_trip.FPS)
            if tracked is not None:
                points[i] = locate(tracked)
    finally:
        tracker.close()
    motion = np.zeros((478, len(template.deltas), 3))
    for k, ramp, neutral in segments:
        if np.isnan(points[ramp]).any() or np.isnan(points[neutral]).any():
            continue
        rest = np.median(points[neutral], axis=0)
        weights = rows[ramp, 1]
        motion[:, k] = np.tensordot(weights, points[ramp] - rest, axes=1) / (weights @ weights)
    neutral = np.concatenate([s[2] for s in segments])
    rest = np.nanmedian(points[neutral], axis=0)
    print(
        f"video basis {shift} of {np.round(coefficients, 2).tolist()}: {len(rows)} frames, "
        f"{int(np.isnan(points[:, 0, 0]).sum())} without a face, {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    round_trip.CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, rest=rest, motion=motion)
    return rest, motion


def scores(template, landmarks, basis, clips, prior=None):
    """``{performance: {channel: r}}`` of the round trip solved against ``basis`` at the shipped settings (the prior
    weight ``prior`` when given)."""
    shipped = solve.PRIOR_WEIGHT
    solve.PRIOR_WEIGHT = shipped if prior is None else prior
    try:
        out = {}
        for p, (tracked, weights, yaw) in clips.items():
            solver = solve.LandmarkSolver(template, landmarks, basis=basis)
            take = solve_take(tracked, CaptureSettings(), solver=solver)
            out[p] = {name: r for name, (r, _) in round_trip.compare(take, weights, yaw).items()}
        return out
    finally:
        solve.PRIOR_WEIGHT = shipped


def mouth_peaks(template, landmarks, bases, clip, performance):
    """Print, at each funnel and pucker peak of ``performance`` (``capture_round_trip.EVENTS``), the head's yaw, the
    true funnel / pucker and, for each of ``bases`` (``{name: basis}``), what the capture reads there, what an
    unbounded least-squares fit of the lip landmarks alone (their aligned motion from the calm neutral) on the basis's
    funnel, pucker and head-turn columns reads, and the share of the lips' motion (norm) that those columns leave over
    at the true funnel and pucker with the turn columns fitted: how well the basis describes the performance's lips."""
    tracked, weights, yaw = clip
    funnel, pucker = round_trip.ARKIT_INDEX["mouthFunnel"], round_trip.ARKIT_INDEX["mouthPucker"]
    lips = np.zeros(478, bool)
    lips[list(landmark_basis._LIPS)] = True
    reads = {}
    for name, basis in bases.items():
        solver = solve.LandmarkSolver(template, landmarks, basis=basis)
        reads[name] = (solve_take(tracked, CaptureSettings(), solver=solver).weights, solver, basis)
    print(f"\nperformance {performance}: funnel / pucker at their peaks; true, then per basis the capture's, the lips'")
    print(f"least-squares fit's, and the lips' motion left over at the true weights ({', '.join(bases)})")
    for name, centre, _, _ in sorted(round_trip.EVENTS[performance], key=lambda event: event[1]):
        if name not in ("mouthFunnel", "mouthPucker"):
            continue
        i = round(centre * round_trip.FPS)
        row = f"{name:12s} {centre:4.2f} s yaw {np.degrees(yaw[i]):5.1f}: "
        row += f"{weights[i, funnel]:.2f} / {weights[i, pucker]:.2f}"
        for captured, solver, basis in reads.values():
            motion = (solver.align(tracked.points[i]) - solver.neutral)[lips].ravel()
            shapes = np.stack([basis[1][lips, funnel].ravel(), basis[1][lips, pucker].ravel()], axis=1)
            turns = basis[2][lips].transpose(0, 2, 1).reshape(-1, basis[2].shape[1])
            fit = np.linalg.lstsq(np.concatenate([shapes, turns], axis=1), motion, rcond=None)[0]
            rest = motion - shapes @ weights[i, [funnel, pucker]]
            left = rest - turns @ np.linalg.lstsq(turns, rest, rcond=None)[0]
            row += (
                f" | {captured[i, funnel]:.2f} / {captured[i, pucker]:.2f}, {fit[0]:.2f} / {fit[1]:.2f},"
                f" {100 * np.linalg.norm(left) / np.linalg.norm(motion):3.0f} %"
            )
        print(row)


def table(title, results, performances):
    print(f"\n{title}\n{'channel':16s} " + " ".join(f"{p:>6d}" for p in performances))
    for name in round_trip.CHECKED:
        print(f"{name:16s} " + " ".join(f"{results[p][name]:6.3f}" for p in performances))
    rs = np.array([[results[p][name] for p in performances] for name in round_trip.CHECKED])
    print(f"least {rs.min():.3f} mean {rs.mean():.3f}, below 0.9: {int((rs < 0.9).sum())}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--performances", default=",".join(str(p) for p in round_trip.PERFORMANCES))
    parser.add_argument("--framings", type=int, default=1, choices=range(1, len(FRAMINGS) + 1))
    parser.add_argument(
        "--size", type=int, default=landmark_basis.RENDER_SIZE, help="side of the basis clips' frames, pixels"
    )
    parser.add_argument("--own", default="", help="performances (e.g. 3) also solved with their own head's basis")
    parser.add_argument("--priors", default="", help="prior weights to re-check with the video basis, e.g. 3e-8,3e-7")
    args = parser.parse_args(argv)
    global SIZE
    SIZE = args.size
    performances = [int(p) for p in args.performances.split(",")]
    template = load_ict_template()
    landmarks = template_landmarks(template)
    shipped = solve.LandmarkSolver(template, landmarks)
    basis = landmark_basis.observed_basis(template, landmarks, shipped.locate)
    observed = [video_face(template, landmarks, shipped.locate, np.zeros(0), s) for s in FRAMINGS[: args.framings]]
    video = (basis[0], np.mean([m for _, m in observed], axis=0), basis[2], basis[3])
    used = shipped.used
    print("per column (landmarks the solve uses): shipped - video in % of the video column's length, their cosine,")
    print("length shipped / video; one framing's distance from the framings' mean in % of the length")
    for name in round_trip.CHECKED:
        k = round_trip.ARKIT_INDEX[name]
        ours, theirs = video[1][used, k].ravel(), basis[1][used, k].ravel()
        length = np.linalg.norm(ours)
        one = np.mean([np.linalg.norm(m[used, k].ravel() - ours) for _, m in observed])
        cosine = ours @ theirs / length / np.linalg.norm(theirs)
        print(
            f"{name:16s} {100 * np.linalg.norm(theirs - ours) / length:5.1f} {cosine:6.3f}"
            f" {np.linalg.norm(theirs) / length:5.2f} {100 * one / length:5.1f}"
        )
    clips = {p: search.tracked_clip(p)[:3] for p in performances}
    table("shipped basis", scores(template, landmarks, basis, clips), performances)
    table(f"video basis ({args.framings} framings)", scores(template, landmarks, video, clips), performances)
    for prior in (float(v) for v in args.priors.split(",") if v):
        table(f"video basis, prior weight {prior:g}", scores(template, landmarks, video, clips, prior), performances)
    if args.own:
        own = {}
        for p in (int(p) for p in args.own.split(",")):
            identity = np.asarray(round_trip.PERFORMANCES[p]["identity"], np.float64)
            motion = video_face(template, landmarks, shipped.locate, identity)[1]
            bases = {"shipped": basis, "video": video, "own": (basis[0], motion, basis[2], basis[3])}
            clip = clips[p] if p in clips else search.tracked_clip(p)
            own[p] = scores(template, landmarks, bases["own"], {p: clip})[p]
            mouth_peaks(template, landmarks, bases, clip, p)
        table("own head, video mode", own, sorted(own))
    return 0


if __name__ == "__main__":
    sys.exit(main())
