# SPDX-License-Identifier: GPL-3.0-or-later
"""Lip sync: aligned phones + loudness -> per-frame viseme weights and ARKit lower-face curves.

Coarticulation
--------------
Lips do not jump from one phone's shape to the next: each phone's gesture starts before it is heard and lingers
after it (the "t" of "two" is already rounded). We use the dominance model of Cohen & Massaro ("Modeling
coarticulation in synthetic visual speech", Models and Techniques in Computer Animation, 1993): every phone
segment s has a viseme target T_s and a dominance D_s(t) = a_s exp(-d_s(t) / tau), where a_s is the viseme's
dominance (:data:`~facemotion.core.speech.visemes.VISEME_DOMINANCE`), d_s(t) the time from t to the segment (0
inside it) and tau the viseme's :data:`ANTICIPATION_S` before the segment (look-ahead) and :data:`CARRYOVER_S` after
it (look-behind). Look-ahead is longest for lip rounding, which starts several phones before a rounded vowel
(Benguerel & Cowan, "Coarticulation of upper lip protrusion in French", Phonetica 30, 1974), and shortest for the
quick closure of p/b/m and f/v, which would otherwise eat the vowel before it. The viseme weights at t are the
dominance-weighted mean ``sum_s D_s(t) onehot(T_s) / sum_s D_s(t)``; ARKit weights are the visemes times
:func:`~facemotion.core.speech.visemes.viseme_matrix`.

Rules on top of the blend, because the eye checks them first:

* **bilabials always close**: every frame inside a p/b/m segment, and the frame nearest its middle even when the
  segment is shorter than a frame, is the PP viseme alone (lips sealed: ``mouthClose`` = ``jawOpen``, lips
  pressed), whatever the neighbours;
* **silences of :data:`CLOSE_SILENCE_S` (0.3 s) or more close the mouth**: their frames, but for
  :data:`SILENCE_RAMP_S` at either end (so the mouth eases shut and opens ahead of the next word), are the
  ``sil`` viseme alone; shorter pauses between words keep the blend;
* **loudness opens the jaw**: ``jawOpen`` (and ``mouthClose`` with it, so a closure stays sealed) is scaled by
  ``JAW_FLOOR + (1 - JAW_FLOOR) * loud``, with ``loud`` the frame's RMS
  (:func:`~facemotion.core.speech.audio.rms_envelope`) over the 95th percentile of the speaking frames' RMS,
  clipped to [0, :data:`MAX_LOUD`]: a shout opens wider than a murmur of the same words.
"""

from dataclasses import dataclass, field

import numpy as np

from ..arkit import ARKIT_INDEX
from ..errors import InputError
from .audio import SPEECH_RATE, rms_envelope
from .visemes import VISEME_DOMINANCE, VISEME_INDEX, VISEMES, viseme_matrix, viseme_of

__all__ = [
    "ANTICIPATION_S",
    "CARRYOVER_S",
    "CLOSE_SILENCE_S",
    "JAW_FLOOR",
    "MAX_LOUD",
    "SILENCE_RAMP_S",
    "LipSync",
    "lip_sync",
    "viseme_segments",
]

#: Look-ahead time constant per viseme (s): rounding (U, O, CH, RR) 0.12, closures (PP, FF) 0.04, others 0.08.
ANTICIPATION_S = {
    name: 0.12 if name in ("U", "O", "CH", "RR") else 0.04 if name in ("PP", "FF") else 0.08 for name in VISEMES
}
CARRYOVER_S = 0.05
CLOSE_SILENCE_S = 0.3
SILENCE_RAMP_S = 0.06
JAW_FLOOR = 0.35
MAX_LOUD = 1.3
_REACH = 6.0  # dominance tails are cut at 6 tau (exp(-6) = 0.25 %)
_SIL = VISEME_INDEX["sil"]
_PP = VISEME_INDEX["PP"]


@dataclass
class LipSync:
    """Lip sync of one utterance, frame f at ``f / fps`` s.

    ``visemes``: ``(n_frames, 15) float32`` in [0, 1], :data:`~facemotion.core.speech.visemes.VISEMES` order
    (loudness applied); ``arkit``: ``(n_frames, 52) float32`` in [0, 1], only the lip channels non-zero;
    ``speaking``: ``(n_frames,) float32`` in [0, 1], 1 while speaking, 0 in silence (the blend's non-silence
    share); ``loudness``: ``(n_frames,) float32`` RMS envelope; ``fps``; ``notes``: warnings (unknown phones)."""

    visemes: np.ndarray
    arkit: np.ndarray
    speaking: np.ndarray
    loudness: np.ndarray
    fps: float
    notes: list = field(default_factory=list)


def viseme_segments(alignment, extra=None):
    """The alignment's phones as viseme segments, gaps filled with silence.

    ``alignment``: :class:`~facemotion.core.speech.phones.SpeechAlignment`; ``extra``: a model's own
    ``{phone: viseme}``. Returns ``(visemes (S,) int, starts (S,) float64 s, ends (S,) float64 s, notes list[str])``
    in time order; fillers (``+NSN+``, ``[NOISE]``) are silence, other unknown phones too (named in the notes).
    """
    rows, unknown = [], []
    cursor = 0.0
    for seg in sorted(alignment.phones, key=lambda s: s.start):
        if seg.end <= seg.start:
            continue
        if seg.start > cursor + 1e-9:
            rows.append((_SIL, cursor, seg.start))
        name = viseme_of(seg.phone, dict(extra or ()))
        if name is None:
            if not seg.phone.startswith(("+", "[", "<")):
                unknown.append(seg.phone)
            name = "sil"
        rows.append((VISEME_INDEX[name], max(seg.start, cursor), seg.end))
        cursor = max(cursor, seg.end)
    if alignment.duration > cursor + 1e-9:
        rows.append((_SIL, cursor, alignment.duration))
    notes = [f"phones with no viseme, shown as silence: {', '.join(dict.fromkeys(unknown))}"] if unknown else []
    if not rows:
        rows.append((_SIL, 0.0, max(alignment.duration, 0.0)))
    kinds, starts, ends = (np.asarray(column) for column in zip(*rows))
    return kinds.astype(np.int64), starts.astype(np.float64), ends.astype(np.float64), notes


def _blend(kinds, starts, ends, times):
    """Cohen-Massaro dominance blend: (n_frames, 15) float64 viseme weights summing to 1."""
    weights = np.zeros((times.size, len(VISEMES)))
    total = np.zeros(times.size)
    dominance = np.asarray([VISEME_DOMINANCE[name] for name in VISEMES])
    ahead = np.asarray([ANTICIPATION_S[name] for name in VISEMES])
    for kind, start, end in zip(kinds, starts, ends):
        lo = np.searchsorted(times, start - _REACH * ahead[kind])
        hi = np.searchsorted(times, end + _REACH * CARRYOVER_S, side="right")
        t = times[lo:hi]
        before = np.maximum(start - t, 0.0) / ahead[kind]
        after = np.maximum(t - end, 0.0) / CARRYOVER_S
        d = dominance[kind] * np.exp(-(before + after))
        weights[lo:hi, kind] += d
        total[lo:hi] += d
    empty = total <= 0.0
    weights[empty, _SIL], total[empty] = 1.0, 1.0
    return weights / total[:, None]


def _force(weights, times, fps, kinds, starts, ends):
    """The bilabial and long-silence rules (module docstring), in place."""
    n = times.size
    for kind, start, end in zip(kinds, starts, ends):
        if kind == _SIL and end - start >= CLOSE_SILENCE_S:
            lo = start + SILENCE_RAMP_S if start > 0 else start
            hi = end - SILENCE_RAMP_S
            inside = slice(np.searchsorted(times, lo), np.searchsorted(times, hi, side="right"))
        elif kind == _PP:
            first = np.searchsorted(times, start)
            last = max(np.searchsorted(times, end, side="left"), first)
            middle = min(int(np.floor(0.5 * (start + end) * fps + 0.5)), n - 1)
            inside = slice(min(first, middle), max(last, middle + 1))
        else:
            continue
        weights[inside] = 0.0
        weights[inside, kind] = 1.0


def lip_sync(alignment, samples, fps, n_frames, *, extra=None):
    """Per-frame lip sync of an aligned utterance (coarticulation, rules and loudness: module docstring).

    ``alignment``: :class:`~facemotion.core.speech.phones.SpeechAlignment` of ``samples`` (``(n,)`` float32 at
    16 kHz); ``fps`` > 0; ``n_frames``: frames to produce (frame f at f / fps s; frames past the audio are
    silence); ``extra``: a model's own ``{phone: viseme}`` pairs. Returns :class:`LipSync`.
    Raises InputError: fps not > 0, n_frames < 1.
    """
    if not fps or fps <= 0:
        raise InputError(f"fps must be > 0, got {fps!r}")
    if n_frames < 1:
        raise InputError(f"need at least one frame, got {n_frames}")
    kinds, starts, ends, notes = viseme_segments(alignment, extra)
    times = np.arange(n_frames) / float(fps)
    weights = _blend(kinds, starts, ends, times)
    _force(weights, times, fps, kinds, starts, ends)
    speaking = 1.0 - weights[:, _SIL]

    loudness = rms_envelope(samples, fps, n_frames, rate=SPEECH_RATE)
    voiced = loudness[speaking > 0.5]
    reference = np.percentile(voiced, 95) if voiced.size else 0.0
    loud = np.clip(loudness / reference, 0.0, MAX_LOUD) if reference > 0 else np.zeros(n_frames)
    gain = JAW_FLOOR + (1.0 - JAW_FLOOR) * loud

    arkit = weights @ viseme_matrix().astype(np.float64)
    for channel in ("jawOpen", "mouthClose"):
        arkit[:, ARKIT_INDEX[channel]] *= gain
    visemes = weights.copy()
    opened = np.ones(len(VISEMES), bool)
    opened[[_SIL, _PP]] = False  # silence and closures are not louder or softer
    visemes[:, opened] *= np.minimum(gain, 1.0)[:, None]
    return LipSync(
        np.clip(visemes, 0, 1).astype(np.float32),
        np.clip(arkit, 0, 1).astype(np.float32),
        speaking.astype(np.float32),
        loudness.astype(np.float32),
        float(fps),
        notes,
    )
