# SPDX-License-Identifier: GPL-3.0-or-later
"""Prosody -> arousal: how excited the voice sounds, window by window, from pitch, energy and speaking rate.

What it can tell: *relative* arousal within one recording. Louder, higher-pitched and faster speech goes with
higher arousal (Scherer, "Vocal communication of emotion: a review of research paradigms", Speech Communication
40, 2003; Juslin & Laukka, Psychological Bulletin 129(5), 2003), so the windows where the voice rises get a higher
intensity level. What it cannot tell: *which* emotion (valence: joy and anger are both loud and high; sadness and
calm both quiet and low), nor arousal in absolute terms (recording gain, microphone distance and each speaker's
own pitch range are unknown), so each feature is compared with its own median over the recording. The user names
the emotion; prosody only sets its intensity level.

Features per window (pitch by normalised autocorrelation on 40 ms frames every 10 ms, 70-400 Hz, a frame voiced
when its peak correlation is >= :data:`VOICING`): log RMS energy, median log F0 of the voiced frames, and phones
per second (from the alignment). Each is turned into a robust z-score (median / 1.4826 MAD over the windows); the
arousal is their mean, and the level is 1 below -:data:`LEVEL_Z`, 3 above +LEVEL_Z, else 2.
"""

import numpy as np

from ..errors import InputError
from .audio import SPEECH_RATE
from .emotion_windows import EmotionEvent, category_level

__all__ = ["LEVEL_Z", "VOICING", "pitch_track", "prosody_events", "window_arousal"]

VOICING = 0.5
LEVEL_Z = 0.5
_FRAME, _HOP = 640, 160  # 40 ms frames every 10 ms at 16 kHz
_F0_MIN, _F0_MAX = 70.0, 400.0


def pitch_track(samples, rate=SPEECH_RATE):
    """F0 every 10 ms by normalised autocorrelation (FFT). ``samples``: ``(n,)`` float at ``rate`` Hz.
    Returns ``(f0 (m,) float64 Hz, 0 where unvoiced; energy (m,) float64 RMS)``, frame i centred at
    ``(i * 160 + 320) / 16000`` s."""
    x = np.asarray(samples, np.float64)
    if x.size < _FRAME:
        return np.zeros(0), np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(x, _FRAME)[::_HOP]
    frames = frames - frames.mean(axis=1, keepdims=True)
    spectrum = np.fft.rfft(frames * np.hanning(_FRAME), n=2 * _FRAME, axis=1)
    corr = np.fft.irfft(np.abs(spectrum) ** 2, axis=1)[:, :_FRAME]
    energy = np.sqrt(np.mean(frames * frames, axis=1))
    lo, hi = int(rate / _F0_MAX), int(rate / _F0_MIN)
    lags = np.argmax(corr[:, lo:hi], axis=1) + lo
    peak = corr[np.arange(len(corr)), lags] / np.maximum(corr[:, 0], 1e-12)
    f0 = np.where((peak >= VOICING) & (energy > 1e-4), rate / lags, 0.0)
    return f0, energy


def _robust_z(values):
    values = np.asarray(values, np.float64)
    finite = np.isfinite(values)
    if finite.sum() < 2:
        return np.zeros_like(values)
    median = np.median(values[finite])
    spread = 1.4826 * np.median(np.abs(values[finite] - median))
    z = (values - median) / spread if spread > 0 else np.zeros_like(values)
    return np.where(finite, z, 0.0)


def window_arousal(samples, alignment, window):
    """Relative arousal per window (module docstring). ``samples``: ``(n,)`` float32 at 16 kHz; ``alignment``:
    its :class:`~facemotion.core.speech.phones.SpeechAlignment`; ``window`` seconds > 0.
    Returns ``(n_windows,) float64`` z-score means (0 = the recording's typical arousal).
    Raises InputError: window not > 0."""
    if not window or window <= 0:
        raise InputError(f"the prosody window must be > 0 s, got {window!r}")
    f0, energy = pitch_track(samples)
    centres = (np.arange(f0.size) * _HOP + _FRAME / 2) / SPEECH_RATE
    n = max(int(np.ceil(alignment.duration / window - 1e-9)), 1)
    which = np.minimum((centres / window).astype(int), n - 1)
    speech = [p for p in alignment.phones if p.phone.upper() != "SIL" and not p.phone.startswith(("+", "["))]
    loud, pitch, rate = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n)
    for w in range(n):
        mine = which == w
        voiced = mine & (f0 > 0)
        if mine.any():
            loud[w] = np.log(np.mean(energy[mine]) + 1e-6)
        if voiced.any():
            pitch[w] = np.median(np.log(f0[voiced]))
    for p in speech:
        rate[min(int(0.5 * (p.start + p.end) / window), n - 1)] += 1.0 / window
    features = [_robust_z(loud), _robust_z(pitch), _robust_z(np.where(rate > 0, rate, np.nan))]
    return np.mean(features, axis=0)


def prosody_events(samples, alignment, emotion, window):
    """One :class:`~facemotion.core.speech.emotion_windows.EmotionEvent` per window: the category of ``emotion`` (a
    wheel name the user chose; a primary's ring names all mean the primary) at the level the window's arousal gives
    (module docstring). Returns ``list[EmotionEvent]``. Raises InputError: unknown emotion name."""
    arousal = window_arousal(samples, alignment, window)
    levels = np.where(arousal < -LEVEL_Z, 1, np.where(arousal > LEVEL_Z, 3, 2))
    category = category_level(emotion)[0]
    return [EmotionEvent(w * window, category, int(level)) for w, level in enumerate(levels)]
