# SPDX-License-Identifier: GPL-3.0-or-later
"""Performance capture from frames: track, solve, bridge, calibrate, filter, adjust, resample -> a :class:`.take.Take`.

Two stages, so that a user can re-run the cheap second one with other settings:

1. :func:`track`: MediaPipe's Face Landmarker in VIDEO mode on every frame (:class:`.tracking.FaceTracker`), forward
   and backward in time for a recorded take: landmarks, blendshape scores and the facial transformation matrix
   (:class:`Tracked`);
2. :func:`solve_take`: the landmark solve (:mod:`.solve`) with the performer's neutral from a calm span, combined
   with the scores per channel; frames without a face bridged (:func:`.timing.bridge_gaps`); the blinks' drift with
   the head's yaw removed, neutral calibration and rescale (:mod:`.calibration`); then :func:`clean_take` (also used
   on Live Link takes): the One Euro filter per channel (:mod:`.one_euro`); gain, offset and clamp; resampled from
   the source's rate to the target's (:func:`.timing.resample`).

With ``emotion_every`` (:func:`capture`), the faces of every Nth frame are also kept while tracking and classified
afterwards by the ``emotion`` command's relative classifier against the video's calm frames (:func:`emotion_track`):
the take's per-frame emotion, keyed on the rig by :mod:`facemotion.facemotion_addon.takes`.
"""

from dataclasses import dataclass, field

import numpy as np

from ..arkit import ARKIT_NAMES
from ..errors import InputError
from .calibration import adjust, calibrate, find_calm_span, remove_yaw_drift
from .one_euro import DEFAULT_BETA, DEFAULT_D_CUTOFF, DEFAULT_MIN_CUTOFF, one_euro
from .solve import LandmarkSolver, combine, head_rotation, head_translation, metric_landmarks, solve_share
from .take import Take
from .timing import bridge_gaps, resample


@dataclass
class Tracked:
    """What the tracker saw, one row per source frame.

    ``fps``: the source's rate; ``times``: ``(N,) float64`` seconds; ``points``: ``(N, 478, 3) float32``
    :func:`.solve.metric_landmarks` (zeros where no face); ``scores``: ``(N, 52) float32`` MediaPipe's blendshape
    scores in ARKit order; ``matrices``: ``(N, 4, 4) float32`` facial transformation matrices; ``found``: ``(N,)``
    bool; ``emotion_frames``: ``[(index, seconds, (FaceLandmarks, None) or None), ...]`` of every Nth frame kept for
    :func:`emotion_track` (empty unless :func:`track` was asked for them).
    """

    fps: float
    times: np.ndarray
    points: np.ndarray
    scores: np.ndarray
    matrices: np.ndarray
    found: np.ndarray
    emotion_frames: list = field(default_factory=list)


def track(source, *, tracker=None, progress=None, emotion_every=None):
    """Track the face through ``source`` (a :class:`.sources.Source`). ``tracker``: a
    :class:`.tracking.FaceTracker` to use (default: one made and closed here, on the clock that suits the source; a
    tracker keeps the previous frame's face, so never share one between sources). ``progress(fraction, message)``:
    called per frame (a cancel point). ``emotion_every``: keep the face of frames 0, N, 2N, ... for
    :func:`emotion_track` (int >= 1; None: none).

    A recorded source is tracked forward and backward in time and each frame is the mean of the two passes where both
    found the face (:func:`.tracking.track_both_ways`: no smoothing lag); a live one (``source.live``) forward only.
    Returns :class:`Tracked`. Raises InputError when the source yields no frame."""
    from .tracking import CLOCK_SCALE, TWO_WAY_CLOCK_SCALE, FaceTracker, track_both_ways

    own = tracker is None
    tracker = tracker or FaceTracker(clock_scale=CLOCK_SCALE if source.live else TWO_WAY_CLOCK_SCALE)
    times, observed, emotion_frames = [], [], []
    total, passes, done = source.frame_count, 1 if source.live else 2, 0

    def tick():
        nonlocal done
        done += 1  # frames tracked, both passes
        if progress is not None:
            fraction = min(1.0, done / (passes * total)) if total else 0.0
            progress(fraction, f"tracking: {done} of {passes * total} frames" if total else f"tracking frame {done}")

    if source.live:
        frames = ((i, seconds, tracker.track(rgb, seconds), None) for i, (seconds, rgb) in enumerate(source))
    else:
        frames = track_both_ways(source, tracker, tick=tick)
    try:
        for i, seconds, face, behind in frames:
            times.append(seconds)
            passes_found = [_observed(seen) for seen in (face, behind) if seen is not None]
            observed.append(tuple(np.mean(parts, axis=0) for parts in zip(*passes_found)) if passes_found else None)
            if emotion_every and i % emotion_every == 0:  # the relative classifier needs no image: faces only
                emotion_frames.append((i, float(seconds), None if face is None else (face, None)))
            if source.live:
                tick()
    finally:
        if own:
            tracker.close()
    if not times:
        raise InputError("the video has no frames that could be decoded")
    n = len(times)
    points, scores = np.zeros((n, 478, 3), np.float32), np.zeros((n, len(ARKIT_NAMES)), np.float32)
    matrices, found = np.tile(np.eye(4, dtype=np.float32), (n, 1, 1)), np.zeros(n, bool)
    for i, row in enumerate(observed):
        if row is not None:  # the mean of two close rotations is one to within their gap; head_rotation re-fits it
            found[i] = True
            points[i], scores[i], matrices[i] = row
    return Tracked(
        fps=float(source.fps),
        times=np.asarray(times, np.float64),
        points=points,
        scores=scores,
        matrices=matrices,
        found=found,
        emotion_frames=emotion_frames,
    )


def _observed(face):
    """What :class:`Tracked` keeps of a face: ``(points (478, 3), scores (52,), matrix (4, 4))`` float32, or None."""
    if face is None:
        return None
    return (
        metric_landmarks(face).astype(np.float32),
        np.asarray(face.blendshape_array, np.float32),
        np.asarray(face.head_pose, np.float32),
    )


#: Default of ``emotion_every``: classify every 3rd frame (10 a second at 30 fps, several samples in the shortest
#: expression a viewer reads, about half a second), which keeps the classifier's share of a capture small.
EMOTION_EVERY = 3


def emotion_track(tracked, *, classifier=None, progress=None):
    """The per-frame emotion of the faces :func:`track` kept (``emotion_every``): the classifier of the
    ``emotion`` command with the video's calm frames as its reference
    (:func:`facemotion.core.emotion.recognition.faces_emotion_track`). ``classifier``: a relative
    ``EmotionClassifier`` (default: the shared one). ``progress(fraction, message)``: per face (a cancel point).
    Returns a list of :class:`facemotion.core.emotion.recognition.TrackSample` (empty when none was kept)."""
    from ..emotion.classifier import default_relative_classifier
    from ..emotion.recognition import faces_emotion_track

    if not tracked.emotion_frames:
        return []
    classifier = classifier or default_relative_classifier()
    return faces_emotion_track(tracked.emotion_frames, classifier, "calm", progress=progress)


@dataclass
class CaptureSettings:
    """Clean-up settings of :func:`solve_take` (all optional).

    ``fps``: target frame rate (None: the source's); ``neutral``: ``(start, stop)`` seconds of a neutral face
    (None: found, :func:`.calibration.find_calm_span`; a chosen span also zeroes the head's rotation there, a found one
    leaves it relative to the camera); ``rescale``: rescale each channel to reach 1.0;
    ``solve_share``: the landmark solve's share per channel, the rest from MediaPipe's scores (None: measured defaults;
    a number or a dict by ARKit name, see :func:`.solve.solve_share`);
    ``filter``: apply the One Euro filter with ``min_cutoff`` (Hz), ``beta``, ``d_cutoff`` (Hz);
    ``gain``, ``offset``: per channel (:func:`.calibration.channel_array`); ``clamp``: ``(low, high)`` or None.
    """

    fps: float = None
    neutral: tuple = None
    rescale: bool = True
    solve_share: object = None
    filter: bool = True
    min_cutoff: float = DEFAULT_MIN_CUTOFF
    beta: float = DEFAULT_BETA
    d_cutoff: float = DEFAULT_D_CUTOFF
    gain: object = None
    offset: object = None
    clamp: tuple = (0.0, 1.0)


def solve_take(tracked, settings=None, *, solver=None, progress=None):
    """Turn :class:`Tracked` frames into a clean :class:`.take.Take` (see the module docstring for the order).

    ``settings``: :class:`CaptureSettings`; ``solver``: a :class:`.solve.LandmarkSolver` (default: on the ICT
    template; reuse one across takes to save loading it). ``progress(fraction, message)`` is called per
    stage. The take's ``notes`` say which frames were bridged and which channels were left unscaled.
    Raises InputError: no face in any frame, a neutral span outside the video or without a face, bad settings.
    """
    settings = settings or CaptureSettings()
    report = progress or (lambda fraction, message: None)
    fps = tracked.fps
    n = len(tracked.times)
    notes = []
    if not tracked.found.any():
        raise InputError("no face was found in any frame; film a well-lit, roughly frontal face")
    scores, gaps = bridge_gaps(tracked.scores, tracked.found)
    if settings.neutral is None:
        span = find_calm_span(scores, fps)
    else:
        span = (round(settings.neutral[0] * fps), round(settings.neutral[1] * fps))
        if not 0 <= span[0] < span[1] <= n:
            raise InputError(
                f"neutral span {settings.neutral[0]}..{settings.neutral[1]} s is outside the video (0..{n / fps:.2f} s)"
            )
    calm = np.arange(*span)[tracked.found[span[0] : span[1]]]
    if len(calm) == 0:
        raise InputError("no face in the neutral span; choose a span where the face is visible")
    solver = solver or LandmarkSolver()
    aligned = {}
    for i in np.flatnonzero(tracked.found):
        aligned[i] = solver.align(tracked.points[i])
    solver.set_neutral(np.stack([aligned[i] for i in calm]))
    # The solve's prior: the scores with their own neutral subtracted and rescaled (clamped to 0..1 by the solve).
    prior = calibrate(scores, fps, span=span, rescale=settings.rescale).apply(scores)
    report(0.0, f"solving {len(aligned)} frames")
    rows = np.array(list(aligned))
    solved = np.zeros((n, len(ARKIT_NAMES)))
    head = np.array([head_rotation(m) for m in tracked.matrices])
    solved[rows] = solver.solve(np.stack(list(aligned.values())), prior[rows], yaw=head[rows, 0])
    eyes = np.zeros((n, 2, 3))
    for i, points in aligned.items():
        eyes[i] = solver.eye_rotation(points)
    solved, _ = bridge_gaps(solved, tracked.found)
    eyes, _ = bridge_gaps(eyes, tracked.found)
    head, _ = bridge_gaps(head, tracked.found)
    position = np.array([head_translation(m) for m in tracked.matrices])
    position, _ = bridge_gaps(position, tracked.found)
    weights = combine(prior, solved, solve_share(settings.solve_share))
    weights = remove_yaw_drift(weights, head[:, 0])
    # The head's neutral only from a span the user chose: a calm span found automatically may fall in a held turn.
    calibration = calibrate(
        weights, fps, span=span, head_rotation=None if settings.neutral is None else head, rescale=settings.rescale
    )
    weights, head = calibration.apply(weights, head)
    if gaps:
        missing = sum(last - first + 1 for first, last in gaps)
        notes.append(
            f"no face in {missing} of {n} frames ({len(gaps)} gap(s), first at "
            f"{gaps[0][0] / fps:.2f} s): bridged by interpolation"
        )
    if calibration.unscaled:
        notes.append(
            f"{len(calibration.unscaled)} channel(s) barely moved and were not rescaled: "
            f"{', '.join(calibration.unscaled[:6])}{' ...' if len(calibration.unscaled) > 6 else ''}"
        )
    report(1.0, "solved")
    take = Take(
        fps=fps,
        weights=weights,
        head_rotation=head,
        eye_rotation=eyes,
        head_translation=position,
        found=tracked.found,
        notes=notes,
    )
    return clean_take(take, settings)


def clean_take(take, settings=None):
    """The end of the clean-up on any take (a solved video, a Live Link Face CSV): the One Euro filter on the
    weights, head and eye rotation (when ``settings.filter``), per-channel gain, offset and clamp, then resampling
    to ``settings.fps``. Returns a new :class:`.take.Take`. Raises InputError for bad settings."""
    settings = settings or CaptureSettings()
    weights, head, eyes = take.weights, take.head_rotation, take.eye_rotation
    if settings.filter:
        parameters = {"min_cutoff": settings.min_cutoff, "beta": settings.beta, "d_cutoff": settings.d_cutoff}
        weights = one_euro(weights, take.fps, **parameters)
        head = one_euro(head, take.fps, **parameters)
        eyes = one_euro(eyes, take.fps, **parameters)
    weights = adjust(weights, gain=settings.gain, offset=settings.offset, clamp=settings.clamp)
    n = len(take)
    target = float(settings.fps or take.fps)
    curves = np.concatenate([weights, head, eyes.reshape(n, 6), take.head_translation, take.found[:, None]], axis=1)
    curves = resample(take.times, curves, target)
    return Take(
        fps=target,
        weights=curves[:, :52],
        head_rotation=curves[:, 52:55],
        eye_rotation=curves[:, 55:61].reshape(-1, 2, 3),
        head_translation=curves[:, 61:64],
        found=curves[:, 64] > 0.5,
        start_seconds=take.start_seconds,
        notes=list(take.notes),
        emotion=take.emotion,
    )


def capture(source, settings=None, *, emotion_every=None, progress=None):
    """:func:`track` then :func:`solve_take` on ``source``, and with ``emotion_every`` (int >= 1, e.g.
    :data:`EMOTION_EVERY`) :func:`emotion_track` of every Nth frame as the take's ``emotion`` (progress: tracking
    0..0.9, solving 0.9..0.95, the emotion 0.95..1). Returns a :class:`.take.Take`. Raises InputError as
    :func:`track` and :func:`solve_take`, and for an ``emotion_every`` that is not a whole number >= 1."""
    whole = isinstance(emotion_every, int) and not isinstance(emotion_every, bool)
    if emotion_every is not None and not (whole and emotion_every >= 1):
        raise InputError(f"the emotion is classified every N frames, N a whole number >= 1; got {emotion_every!r}")
    report = progress or (lambda fraction, message: None)
    tracked = track(source, progress=lambda f, m: report(0.9 * f, m), emotion_every=emotion_every)
    take = solve_take(tracked, settings, progress=lambda f, m: report(0.9 + 0.05 * f, m))
    if emotion_every is not None:
        take.emotion = emotion_track(tracked, progress=lambda f, m: report(0.95 + 0.05 * f, m))
        faced = [sample for sample in take.emotion if sample.label is not None]
        take.notes.append(
            f"emotion of every {emotion_every} frame(s) against the calm frames: {len(take.emotion_keys())} "
            f"keyed, {sum(sample.uncertain for sample in faced)} uncertain left out"
        )
    return take
