# SPDX-License-Identifier: GPL-3.0-or-later
"""A video's emotion track (:func:`facemotion.core.emotion.recognition.video_emotion_track`) -> timeline keys.

Consecutive samples with the same label form a run; runs shorter than ``min_hold`` seconds are flicker and are
absorbed by their neighbours (the shortest first, so an alternating sequence keeps its longer runs; a dropped run's
time goes to the run before it, or for the first run to the run after it); each remaining run becomes one key at the
run's start with the run's mean intensity; transitions are the default (0.5 s) or the gap since the previous key when
that is shorter, so they never overlap (:func:`facemotion.core.animation.timeline.validate_keys` accepts the result).
This is [ECAvatar 2024]'s "dominant emotion per window, cross-fade between windows" with the windows found from the
data instead of fixed.
"""

import math

import numpy as np

from ..emotion.presets import CATEGORIES, resolve_emotion
from ..errors import FacemotionError, InputError
from .timeline import EmotionKey

__all__ = ["APPEND_GAP", "DEFAULT_TRANSITION", "keys_after", "track_to_timeline_keys"]

#: Seconds of blending into each key made from an emotion track (the timeline's own default).
DEFAULT_TRANSITION = 0.5
#: Seconds between the last existing timeline key and the first key of an appended track.
APPEND_GAP = 0.5


def _check_number(name, value, minimum=0.0):
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number of seconds, got {value!r}") from None
    if not math.isfinite(number) or number < minimum:
        raise InputError(f"{name} must be a finite number of seconds >= {minimum:g}, got {value!r}")
    return number


def _runs(samples):
    """Consecutive samples of one label -> ``[label, start_time, [intensities]]`` runs."""
    runs = []
    for time, label, intensity in samples:
        if runs and runs[-1][0] == label:
            runs[-1][2].append(intensity)
        else:
            runs.append([label, time, [intensity]])
    return runs


def _merge_equal_neighbours(runs):
    merged = []
    for run in runs:
        if merged and merged[-1][0] == run[0]:
            merged[-1][2].extend(run[2])
        else:
            merged.append(run)
    return merged


def track_to_timeline_keys(track, min_hold=0.5, *, transition=DEFAULT_TRANSITION, easing="ease_in_out"):
    """Turn an emotion track into timeline keys (method in the module docstring).

    Args:
        track: :class:`facemotion.core.emotion.recognition.TrackSample` items or plain
            ``(time_s, label, intensity, probabilities)`` tuples, in increasing time; samples whose label is None
            (no face) or that are ``uncertain`` are skipped (the emotion before holds: an uncertain frame keys no
            emotion).
        min_hold: runs of one label lasting less than this many seconds (from their first sample to the next run's
            first sample; the last run until one sampling step after the last sample) are absorbed by the previous
            run (the next one for the first run). 0 keeps every change.
        transition: seconds of blending into each key, shortened to the gap since the previous key.
        easing: the keys' easing (:data:`facemotion.core.animation.timeline.EASINGS`).

    Returns:
        list of :class:`facemotion.core.animation.timeline.EmotionKey` at the runs' start times (seconds of the video),
        ``emotion`` the label, ``intensity`` the run's mean intensity clipped to [0, 1].

    Raises:
        InputError: no sample has a face; times not increasing or not finite; a label that is no emotion preset;
        bad ``min_hold`` / ``transition``.
    """
    min_hold = _check_number("min_hold", min_hold)
    transition = _check_number("transition", transition)
    times = []
    samples = []
    uncertain = 0
    for index, item in enumerate(track):
        time, label, intensity = item[0], item[1], item[2]
        time = _check_number(f"track sample {index} time", time)
        if times and time <= times[-1]:
            raise InputError(
                f"track sample {index} at {time:g} s is not later than the one before "
                f"({times[-1]:g} s); give the track in increasing time"
            )
        times.append(time)
        if label is None:
            continue
        if getattr(item, "uncertain", False):
            uncertain += 1
            continue
        try:
            emotion = resolve_emotion(label)
        except FacemotionError:
            raise InputError(
                f"track sample {index} ({time:g} s) has label {label!r}, which is no emotion preset; "
                f"expected one of {', '.join(CATEGORIES)}"
            ) from None
        value = float(intensity) if intensity is not None else 1.0
        samples.append((time, emotion, min(max(value if math.isfinite(value) else 1.0, 0.0), 1.0)))
    if not samples:
        if uncertain:
            raise InputError(
                f"every sampled frame with a face ({uncertain}) was uncertain (no emotion clearly ahead), "
                f"so there is no emotion to key; sample more frames (a smaller every-N) or use a clearer "
                f"video"
            )
        raise InputError("no face was found in any sampled frame of the track, so there is no emotion to key")
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    end = times[-1] + step

    runs = _runs(samples)
    while len(runs) > 1:
        starts = [run[1] for run in runs] + [end]
        durations = np.diff(starts)
        short = [i for i in range(len(runs)) if durations[i] < min_hold]
        if not short:
            break
        # The shortest goes first (durations rounded so float noise does not decide ties); on a tie a later run
        # before the first, since dropping the first moves the next key back to the track's start.
        drop = min(short, key=lambda i: (round(float(durations[i]), 9), i == 0, i))
        if drop == 0:
            runs[1][1] = runs[0][1]  # the next emotion holds from the track's first face
        del runs[drop]
        runs = _merge_equal_neighbours(runs)

    keys = []
    for i, (label, start, intensities) in enumerate(runs):
        fit = transition if i == 0 else min(transition, start - runs[i - 1][1])
        keys.append(
            EmotionKey(
                time=float(start),
                emotion=label,
                intensity=float(np.mean(intensities)),
                transition=float(fit),
                easing=easing,
            )
        )
    return keys


def keys_after(keys, last_time, gap=APPEND_GAP):
    """``keys`` moved later so the first lands ``gap`` seconds after ``last_time`` (to append a track after a
    timeline's last key), spacing kept; the first key's transition fits in the gap. Returns new
    :class:`~facemotion.core.animation.timeline.EmotionKey` objects. Raises InputError: ``gap`` not > 0, bad
    ``last_time``."""
    gap = _check_number("gap", gap)
    if gap <= 0.0:
        raise InputError(f"gap must be > 0 seconds (keys must be later than the last one), got {gap!r}")
    last_time = _check_number("last_time", last_time)
    if not keys:
        return []
    shift = last_time + gap - keys[0].time
    out = []
    for i, key in enumerate(keys):
        out.append(
            EmotionKey(
                time=key.time + shift,
                emotion=key.emotion,
                intensity=key.intensity,
                transition=min(key.transition, gap) if i == 0 else key.transition,
                easing=key.easing,
                weights=key.weights,
                label=key.label,
            )
        )
    return out
