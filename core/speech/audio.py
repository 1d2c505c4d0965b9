# SPDX-License-Identifier: GPL-3.0-or-later
"""Audio in: WAV/FLAC (and whatever else libsndfile reads) to 16 kHz mono float32, and its loudness envelope.

Reading uses ``soundfile`` (libsndfile, bundled in its wheels); resampling uses scipy's polyphase filter
(:func:`scipy.signal.resample_poly`), which needs no FFT of the whole file and is exact for rational rate ratios.
16 kHz is the rate of pocketsphinx's en-US acoustic model (and of most speech models).
"""

from fractions import Fraction
from pathlib import Path

import numpy as np

from ..errors import InputError

__all__ = ["SPEECH_RATE", "read_audio", "rms_envelope", "to_speech_rate"]

#: Sample rate (Hz) every speech function works at.
SPEECH_RATE = 16000
#: A 10 ms frame is silent when its RMS is this many dB below the recording's loud speech (95th percentile of the
#: frames' RMS): well under the quietest speech sounds (~-30 dB: voiceless fricatives), above a usual noise floor.
SILENCE_DB = -35.0


def to_speech_rate(samples, rate):
    """Mix ``samples`` to mono and resample to :data:`SPEECH_RATE`.

    ``samples``: ``(n,)`` or ``(n, channels)`` array, any float or int dtype (ints are scaled to [-1, 1]);
    ``rate``: its sample rate in Hz (int > 0). Returns ``(m,) float32`` at 16 kHz, ``m = ceil(n * 16000 / rate)``.
    Raises InputError: empty audio, a rate that is not a positive whole number, non-finite samples.
    """
    samples = np.asarray(samples)
    if isinstance(rate, bool) or not float(rate).is_integer() or rate <= 0:
        raise InputError(f"sample rate must be a positive whole number of Hz, got {rate!r}")
    if samples.ndim not in (1, 2) or samples.shape[0] == 0:
        raise InputError(
            f"audio must be (samples,) or (samples, channels) with at least one sample, got shape {samples.shape}"
        )
    if np.issubdtype(samples.dtype, np.integer):
        samples = samples.astype(np.float64) / float(np.iinfo(samples.dtype).max)
    mono = samples.astype(np.float64) if samples.ndim == 1 else samples.astype(np.float64).mean(axis=1)
    if not np.isfinite(mono).all():
        raise InputError("audio has NaN or infinite samples; re-export it as 16-bit PCM WAV")
    ratio = Fraction(SPEECH_RATE, int(rate))
    if ratio != 1:
        from scipy.signal import resample_poly

        mono = resample_poly(mono, ratio.numerator, ratio.denominator)
    return mono.astype(np.float32)


def read_audio(path):
    """Read an audio file (WAV, FLAC, OGG... anything libsndfile reads) as 16 kHz mono.

    ``path``: str or Path. Returns ``(samples (m,) float32 in [-1, 1] at 16 kHz, duration seconds float)``.
    Raises InputError: missing file, a format libsndfile cannot read (with how to convert it), empty audio.
    """
    import soundfile

    path = Path(path)
    if not path.is_file():
        raise InputError(f"audio file {str(path)!r} does not exist; give a WAV or FLAC file")
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, TypeError) as exc:
        raise InputError(
            f"cannot read audio {str(path)!r} ({exc}); convert it to WAV or FLAC, e.g. "
            f"ffmpeg -i IN -ar 16000 -ac 1 OUT.wav"
        ) from None
    if data.shape[0] == 0:
        raise InputError(f"audio file {str(path)!r} has no samples")
    return to_speech_rate(data, rate), data.shape[0] / float(rate)


def rms_envelope(samples, fps, n_frames, *, rate=SPEECH_RATE):
    """Loudness per animation frame: the RMS of the samples in a window of one frame centred on each frame time.

    ``samples``: ``(m,)`` float at ``rate`` Hz; ``fps`` > 0; ``n_frames``: frames to return (frame f at f / fps s).
    Returns ``(n_frames,) float64`` RMS in the samples' units (0 past the end of the audio). Cumulative sums make it
    O(m + n_frames) for any fps.
    """
    samples = np.asarray(samples, np.float64)
    energy = np.concatenate([[0.0], np.cumsum(samples * samples)])
    half = 0.5 * rate / float(fps)
    centres = np.arange(n_frames) * (rate / float(fps))
    lo = np.clip(np.round(centres - half).astype(np.int64), 0, samples.size)
    hi = np.clip(np.round(centres + half).astype(np.int64), 0, samples.size)
    count = np.maximum(hi - lo, 1)
    return np.sqrt(np.maximum(energy[hi] - energy[lo], 0.0) / count) * (hi > lo)


def silent_stretches(samples, min_duration, *, rate=SPEECH_RATE):
    """Stretches of silence at least ``min_duration`` seconds long, by energy (10 ms frames, :data:`SILENCE_DB`).

    ``samples``: ``(n,)`` float. Returns ``list[(start s, end s)]`` in time order (empty for all-silent audio: no
    speech level to compare with).
    """
    hop = rate // 100
    samples = np.asarray(samples, np.float64)
    n = samples.size // hop
    if n == 0:
        return []
    rms = np.sqrt(np.mean(samples[: n * hop].reshape(n, hop) ** 2, axis=1))
    loud = np.percentile(rms, 95)
    if loud <= 0:
        return []
    silent = np.concatenate([[False], rms < loud * 10.0 ** (SILENCE_DB / 20.0), [False]])
    edges = np.flatnonzero(np.diff(silent.astype(np.int8)))
    out = []
    for start, end in zip(edges[::2], edges[1::2]):
        if (end - start) * hop >= min_duration * rate:
            out.append((start * hop / rate, (samples.size / rate) if end == n else end * hop / rate))
    return out
