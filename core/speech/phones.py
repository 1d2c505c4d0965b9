# SPDX-License-Identifier: GPL-3.0-or-later
"""Phones from speech, offline, with CMU PocketSphinx (``pocketsphinx`` 5.1.1 on PyPI, BSD licence).

Two modes, both on 16 kHz mono audio (:func:`facemotion.core.speech.audio.read_audio`):

* :func:`align_transcript`: forced alignment of a known transcript: the words, each with its ARPAbet phones and
  their times. A finite-state grammar of the transcript is searched first (``set_align_text``), then the phones
  inside the found words (``set_alignment``). ``bestpath=False`` is required: the lattice best-path pass drops the
  last words of an aligned utterance. Pauses are found by energy (:func:`~facemotion.core.speech.audio.
  silent_stretches`, at least :data:`MIN_CARVED_SILENCE_S`) and made ``SIL`` phones, in both modes.
* :func:`recognize_phones`: without a transcript, phone recognition with the model's phone n-gram language model
  (``allphone`` search). Fewer phones are right than with a transcript (typical phone error rates of such
  recognisers are 30-40 %), but the mouth shapes it gives are mostly plausible because confusions stay within
  similar phones.

Model (:func:`speech_model`): by default the US-English acoustic model, CMU dictionary and phone language model that
ship inside the pocketsphinx wheel (nothing is downloaded). Other languages: pass a folder holding a PocketSphinx
acoustic model (a sub-folder with ``mdef``, ``means``, ``variances``, ``transition_matrices`` ...), a pronunciation
dictionary ``*.dict`` and a phone language model ``*phone*.lm.bin`` (or ``.lm``), e.g. a CMU Sphinx model
downloaded and unpacked by the user. If its phone names are not ARPAbet, add ``phone_visemes.json``
(``{"phone": "viseme", ...}`` with the 15 viseme names) to map them; phones still unknown are treated as silence
and listed in the result's notes.

Decoders are built once per model and search mode (loading the 130,000-word dictionary takes ~0.2 s, longer than
aligning 5 s of speech) and reused under a lock. Reuse does not change results: cepstral mean normalisation is
per utterance (``cmn=batch``, pocketsphinx 5's default) and each search restarts from its grammar, so the same
audio gives the same phones whatever was decoded before (tested).
"""

import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import InputError
from .audio import SPEECH_RATE, silent_stretches

__all__ = [
    "PhoneSegment",
    "SpeechAlignment",
    "SpeechModel",
    "WordSegment",
    "align_transcript",
    "recognize_phones",
    "speech_model",
    "transcript_words",
]

#: PocketSphinx frames per second (its default 10 ms frame shift).
_FRAME_RATE = 100.0
_SILENCE_WORDS = ("<s>", "</s>", "<sil>")
_DECODERS = {}
_DECODERS_LOCK = threading.Lock()


@dataclass(frozen=True)
class PhoneSegment:
    """One phone: ``phone`` (ARPAbet, upper case; ``SIL`` for silence, ``+NSN+``-style fillers as given),
    ``start``/``end`` seconds (end exclusive), ``word``: the transcript word it belongs to (None when recognised
    without a transcript, or silence)."""

    phone: str
    start: float
    end: float
    word: str | None = None


@dataclass(frozen=True)
class WordSegment:
    """One aligned transcript word: ``word`` (lower case, as in the transcript), ``index``: its position among the
    transcript's words (0-based), ``start``/``end`` seconds."""

    word: str
    index: int
    start: float
    end: float


@dataclass
class SpeechAlignment:
    """What the recogniser found: ``phones`` (time-ordered :class:`PhoneSegment`, silences included),
    ``words`` (:class:`WordSegment`; empty without a transcript), ``duration`` seconds of audio, ``notes``:
    human-readable warnings (skipped words, unknown phones)."""

    phones: list
    words: list
    duration: float
    notes: list = field(default_factory=list)


@dataclass(frozen=True)
class SpeechModel:
    """A PocketSphinx model: ``hmm`` acoustic model folder, ``dictionary`` file, ``phone_lm`` phone language model
    file, ``phone_visemes``: extra phone -> viseme names (empty for ARPAbet models), ``name`` for messages."""

    hmm: str
    dictionary: str
    phone_lm: str
    phone_visemes: tuple = ()
    name: str = "en-US"


def speech_model(folder=None):
    """The model to decode with: pocketsphinx's bundled en-US model (``folder=None``) or a user-supplied one (module
    docstring). Returns :class:`SpeechModel`. Raises InputError: the folder or one of its parts is missing (the
    message says which files are expected)."""
    if folder is None:
        from pocketsphinx import get_model_path

        return SpeechModel(
            get_model_path("en-us/en-us"),
            get_model_path("en-us/cmudict-en-us.dict"),
            get_model_path("en-us/en-us-phone.lm.bin"),
        )
    root = Path(folder)
    expected = (
        "expected an acoustic model folder (with mdef), a *.dict dictionary and a *phone*.lm.bin or "
        "*phone*.lm language model"
    )
    if not root.is_dir():
        raise InputError(f"speech model folder {str(root)!r} does not exist; {expected}")
    hmm = sorted(p.parent for p in root.rglob("mdef"))
    dictionary = sorted(root.rglob("*.dict"))
    phone_lm = sorted(p for p in root.rglob("*phone*.lm*") if p.suffix in (".bin", ".lm"))
    if not (hmm and dictionary and phone_lm):
        missing = [
            what
            for what, found in (
                ("acoustic model (mdef)", hmm),
                ("dictionary (*.dict)", dictionary),
                ("phone language model", phone_lm),
            )
            if not found
        ]
        raise InputError(f"speech model folder {str(root)!r} lacks: {', '.join(missing)}; {expected}")
    extra = ()
    mapping = root / "phone_visemes.json"
    if mapping.is_file():
        try:
            extra = tuple(sorted(json.loads(mapping.read_text(encoding="utf-8")).items()))
        except (ValueError, AttributeError) as exc:
            raise InputError(f'{str(mapping)!r} must be a JSON object {{"phone": "viseme"}}: {exc}') from None
    return SpeechModel(str(hmm[0]), str(dictionary[0]), str(phone_lm[0]), extra, root.name)


def _pcm16(samples):
    samples = np.asarray(samples, np.float32)
    if samples.ndim != 1 or samples.size == 0:
        raise InputError(f"speech samples must be a non-empty (n,) array at 16 kHz, got shape {samples.shape}")
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


#: Decoder settings by mode. Forced alignment runs without pocketsphinx's optional silence/filler words between
#: the words: measured on 7 espeak-ng sentences, 7 align that way and only 3 with them (5 with beams widened to
#: 1e-80), in ~35x real time of CPU; pauses are then found by energy instead (:func:`_carve_silences`). If it still
#: finds no path, fillers and wide beams are tried once more.
_MODES = {
    "align": {"bestpath": False, "fsgusefiller": False},
    "align_wide": {"bestpath": False, "beam": 1e-80, "pbeam": 1e-80, "wbeam": 1e-60},
    "phones": {},
}
#: Silences shorter than this are left to the aligner (a stop's closure is silent too, ~50-150 ms).
MIN_CARVED_SILENCE_S = 0.15


def _decoder(model, mode):
    """The cached decoder of ``model`` for ``mode`` (a key of _MODES); call with _DECODERS_LOCK held."""
    key = (model, mode)
    if key not in _DECODERS:
        from pocketsphinx import Decoder

        options = dict(_MODES[mode], **({"allphone": model.phone_lm} if mode == "phones" else {}))
        _DECODERS[key] = Decoder(
            hmm=model.hmm, dict=model.dictionary, samprate=SPEECH_RATE, loglevel="FATAL", lm=None, **options
        )
    return _DECODERS[key]


def _carve_silences(phones, words, stretches):
    """Make every silent stretch (by energy) a ``SIL`` phone: phones are cut back to what lies outside the stretches
    (pieces under 10 ms dropped), words' ends trimmed. Returns (phones, words)."""
    if not stretches:
        return phones, words

    def outside(start, end):
        pieces, cursor = [], start
        for a, b in stretches:
            if b <= cursor or a >= end:
                continue
            if a > cursor:
                pieces.append((cursor, a))
            cursor = max(cursor, b)
        if cursor < end:
            pieces.append((cursor, end))
        return [(a, b) for a, b in pieces if b - a >= 0.01]

    out = [PhoneSegment("SIL", a, b) for a, b in stretches]
    for phone in phones:
        if phone.phone != "SIL":
            out += [PhoneSegment(phone.phone, a, b, phone.word) for a, b in outside(phone.start, phone.end)]
    out.sort(key=lambda p: p.start)
    merged = []
    for phone in out:  # silences the aligner found and those carved are one silence
        if merged and phone.phone == "SIL" == merged[-1].phone and phone.start <= merged[-1].end + 1e-9:
            merged[-1] = PhoneSegment("SIL", merged[-1].start, max(merged[-1].end, phone.end))
        elif merged and phone.phone == "SIL" and phone.start < merged[-1].end:
            continue
        else:
            merged.append(phone)
    trimmed = []
    for word in words:
        pieces = outside(word.start, word.end)
        if pieces:
            trimmed.append(WordSegment(word.word, word.index, pieces[0][0], pieces[-1][1]))
    gaps = []
    for phone in merged:  # keep time order without overlaps: uncovered time becomes silence in the lip sync
        if gaps and phone.start < gaps[-1].end:
            if phone.phone == "SIL":
                continue
            phone = PhoneSegment(phone.phone, gaps[-1].end, phone.end, phone.word)
            if phone.end <= phone.start:
                continue
        gaps.append(phone)
    return gaps, trimmed


def transcript_words(text):
    """The words of a transcript as the dictionary spells them: lower case, letters, digits and apostrophes
    (curly apostrophes straightened); everything else separates words. Returns ``list[str]``."""
    return re.findall(r"[\w']+", text.replace("\u2019", "'").lower())


def _run(decoder, pcm):
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def align_transcript(samples, transcript, model=None):
    """Forced alignment of ``transcript`` (str) to ``samples`` (``(n,)`` float32, 16 kHz mono).

    Words the dictionary does not know are skipped (listed in ``notes``; the audio they cover goes to the
    neighbouring words or silence). Returns :class:`SpeechAlignment` with phones and words in seconds.
    Raises InputError: empty samples or transcript, no known word, or the aligner finding no path (the audio does
    not match the transcript; the message suggests running without a transcript).
    """
    model = model or speech_model()
    pcm = _pcm16(samples)
    if not isinstance(transcript, str) or not transcript.strip():
        raise InputError("the transcript is empty; give the spoken words, or none to recognise phones")
    duration = len(pcm) / (2.0 * SPEECH_RATE)
    with _DECODERS_LOCK:
        for mode in ("align", "align_wide"):
            try:
                alignment = _align(_decoder(model, mode), model, pcm, transcript, duration)
                break
            except InputError:
                if mode == "align_wide":
                    raise
    stretches = silent_stretches(np.frombuffer(pcm, "<i2") / 32767.0, MIN_CARVED_SILENCE_S)
    alignment.phones, alignment.words = _carve_silences(alignment.phones, alignment.words, stretches)
    return alignment


def _align(decoder, model, pcm, transcript, duration):
    words = transcript_words(transcript)
    known = [(index, word) for index, word in enumerate(words) if decoder.lookup_word(word) is not None]
    notes = []
    skipped = [word for word in words if decoder.lookup_word(word) is None]
    if skipped:
        notes.append(
            f"{len(skipped)} transcript word(s) not in the {model.name} dictionary, skipped: "
            f"{', '.join(dict.fromkeys(skipped))}"
        )
    if not known:
        raise InputError(
            f"no word of the transcript is in the {model.name} pronunciation dictionary; check the "
            f"language, or leave the transcript out to recognise phones"
        )
    try:
        decoder.set_align_text(" ".join(word for _, word in known))
        _run(decoder, pcm)
        decoder.set_alignment()
        _run(decoder, pcm)
        alignment = decoder.get_alignment()
    except RuntimeError as exc:
        raise InputError(
            f"the transcript could not be aligned to the audio ({exc}); check that it is what is "
            f"said, or leave it out to recognise phones"
        ) from None
    if alignment is None:
        raise InputError(
            "the transcript could not be aligned to the audio; check that it is what is said, or "
            "leave it out to recognise phones"
        )
    phones, aligned = [], []
    cursor = 0
    for entry in alignment:
        name = re.sub(r"\(\d+\)$", "", entry.name)
        start, end = entry.start / _FRAME_RATE, (entry.start + entry.duration) / _FRAME_RATE
        is_word = name not in _SILENCE_WORDS and not name.startswith("[")
        if is_word:
            while cursor < len(known) and known[cursor][1] != name:
                cursor += 1
            index = known[cursor][0] if cursor < len(known) else len(words)
            cursor += 1
            aligned.append(WordSegment(name, index, start, end))
        for phone in entry:
            phones.append(
                PhoneSegment(
                    phone.name,
                    phone.start / _FRAME_RATE,
                    (phone.start + phone.duration) / _FRAME_RATE,
                    name if is_word else None,
                )
            )
    return SpeechAlignment(phones, aligned, duration, notes)


def recognize_phones(samples, model=None):
    """Phone recognition without a transcript on ``samples`` (``(n,)`` float32, 16 kHz mono).

    Returns :class:`SpeechAlignment` (``words`` empty). Raises InputError: empty samples.
    """
    model = model or speech_model()
    pcm = _pcm16(samples)
    with _DECODERS_LOCK:
        decoder = _decoder(model, "phones")
        _run(decoder, pcm)
        phones = [
            PhoneSegment(seg.word, seg.start_frame / _FRAME_RATE, (seg.end_frame + 1) / _FRAME_RATE)
            for seg in decoder.seg()
        ]
    stretches = silent_stretches(np.frombuffer(pcm, "<i2") / 32767.0, MIN_CARVED_SILENCE_S)
    phones, _ = _carve_silences(phones, [], stretches)
    return SpeechAlignment(phones, [], len(pcm) / (2.0 * SPEECH_RATE), [])
