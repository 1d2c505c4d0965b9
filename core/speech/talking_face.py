# SPDX-License-Identifier: GPL-3.0-or-later
"""A voice becomes an emotional talking face: lips from speech, upper face from emotion [ECAvatar 2024].

:func:`talking_face` runs the whole path on 16 kHz samples: phones (:mod:`.phones`: forced alignment with a
transcript, phone recognition without), lip sync with coarticulation (:mod:`.lipsync`), the emotion as timeline
keys (:func:`emotion_keys_for`), baked by the project's timeline (:func:`facemotion.core.animation.timeline.
bake_timeline`, blinks included), and the two joined by region (:func:`compose_face`), as [ECAvatar 2024] fuses
lip sync with an emotional face region by region:

* upper face (eyes, brows, cheek squint, nose): the emotion alone;
* the speech channels (:data:`~facemotion.core.speech.visemes.LIP_CHANNELS`: jaw, lip closure, funnel, pucker,
  stretch, roll, press, shrug, tongue): speech, plus the emotion's own value scaled by ``1 - speaking`` (a
  surprised open jaw comes back in pauses, never fights a closure);
* the rest of the mouth (smile, frown, dimple, upper/lower lip, mouth left/right, jaw sideways, cheek puff): the
  emotion damped while speaking, ``emotion * (1 - mouth_damping * speaking)`` (people keep part of a smile while
  talking), back in full in pauses.
"""

from dataclasses import dataclass, field

import numpy as np

from ..animation.text_direction import parse_direction, to_emotion_keys
from ..animation.timeline import EmotionKey, bake_timeline, frame_count
from ..arkit import ARKIT_NAMES
from ..errors import InputError
from .audio import SPEECH_RATE
from .emotion_windows import (
    DEFAULT_TRANSITION_S,
    DEFAULT_WINDOW_S,
    category_level,
    emotion_windows,
    level_key,
    transcript_events,
    window_keys,
)
from .lipsync import lip_sync
from .phones import align_transcript, recognize_phones
from .prosody import prosody_events
from .visemes import LIP_CHANNELS, VISEME_KEY_NAMES

__all__ = [
    "DEFAULT_MOUTH_DAMPING",
    "EMOTION_SOURCES",
    "MAX_SPEECH_S",
    "SPEECH_TARGETS",
    "UPPER_FACE",
    "SpeechFace",
    "compose_face",
    "emotion_keys_for",
    "speech_channels",
    "talking_face",
]

#: Where the emotion comes from (see :func:`emotion_keys_for`).
EMOTION_SOURCES = ("transcript", "emotion", "text", "timeline", "prosody", "none")

#: Longest recording processed in one go (s): PocketSphinx decodes it as one utterance, whose search memory and time
#: grow with its length; a scene's dialogue is cut into lines far shorter than this.
MAX_SPEECH_S = 600.0

#: Which shape keys speech is written onto: the ARKit lip channels, or the 15 viseme keys.
SPEECH_TARGETS = ("arkit", "visemes")

#: Share of the emotion's mouth shape (smile, frown...) taken away while speaking.
DEFAULT_MOUTH_DAMPING = 0.5

#: The channels driven by the emotion alone.
UPPER_FACE = tuple(name for name in ARKIT_NAMES if name.startswith(("eye", "brow", "cheekSquint", "noseSneer")))
_UPPER = np.isin(ARKIT_NAMES, UPPER_FACE)
_LIPS = np.isin(ARKIT_NAMES, LIP_CHANNELS)


@dataclass
class SpeechFace:
    """The result of :func:`talking_face`, frame f at ``f / fps`` s.

    ``weights``: ``(n_frames, 52) float32`` ARKit weights in [0, 1] (lips + emotion); ``expression``: the same
    without the lips (the emotion by region, for a rig whose speech goes on viseme keys); ``visemes``: ``(n_frames, 15)
    float32`` viseme weights (lips only, for a rig with viseme shape keys); ``speaking``: ``(n_frames,) float32``;
    ``labels``: the dominant emotion per frame ([ECAvatar 2024]'s category: a Plutchik primary such as ``joy``, or
    the key's own name); ``levels``: its intensity level (1-3) per frame, 0 when the source gives no level;
    ``keys``: the emotion's timeline keys; ``alignment``: the :class:`~facemotion.core.speech.phones.SpeechAlignment`;
    ``source``: the emotion source used; ``fps``; ``duration`` seconds of audio; ``notes``: warnings for the user."""

    weights: np.ndarray
    expression: np.ndarray
    visemes: np.ndarray
    speaking: np.ndarray
    labels: list
    levels: np.ndarray
    keys: list
    alignment: object
    source: str
    fps: float
    duration: float
    notes: list = field(default_factory=list)


def _pick_source(source, transcript, emotion, text, timeline):
    given = [name for name, value in (("emotion", emotion), ("text", text), ("timeline", timeline)) if value]
    if source is None:
        if len(given) > 1:
            raise InputError(f"give one emotion source, not {' and '.join(given)}")
        return given[0] if given else ("transcript" if transcript else "none")
    if source not in EMOTION_SOURCES:
        raise InputError(f"unknown emotion source {source!r}; use one of: {', '.join(EMOTION_SOURCES)}")
    needs = {"transcript": transcript, "emotion": emotion, "text": text, "timeline": timeline, "prosody": emotion}
    if source in needs and not needs[source]:
        what = {"prosody": "an emotion name (prosody gives the intensity level, not which emotion)"}.get(
            source, f"a {source}"
        )
        raise InputError(f"emotion source {source!r} needs {what}")
    return source


def emotion_keys_for(
    source,
    alignment,
    samples,
    *,
    transcript=None,
    emotion=None,
    level=2,
    text=None,
    timeline=None,
    window=DEFAULT_WINDOW_S,
    transition=DEFAULT_TRANSITION_S,
):
    """The emotion of an utterance as timeline keys.

    ``source``: one of :data:`EMOTION_SOURCES`: ``transcript`` (its own words, [ECAvatar 2024] windows),
    ``prosody`` (arousal -> the level of ``emotion``, windows), ``emotion`` (one wheel name at ``level`` 1-3 from
    0 s), ``text`` (a text direction, its own timing), ``timeline`` (a list of
    :class:`~facemotion.core.animation.timeline.EmotionKey`, used as given), ``none`` (neutral).
    ``window``/``transition``: [ECAvatar 2024]'s t and t_trans in seconds (0 <= transition <= window).
    Returns ``(keys list[EmotionKey], labels list[(category, level)] one per key (level 0 where the source gives
    none), notes list[str])``. Raises InputError: bad level, window or transition, unknown emotion; TimelineError /
    InputError from the text direction.
    """
    if level not in (1, 2, 3):
        raise InputError(f"intensity level must be 1, 2 or 3, got {level!r}")
    if not window or window <= 0 or transition is None or not 0 <= transition <= window:
        raise InputError(
            f"need window > 0 s and 0 <= transition <= window, got window {window!r}, transition {transition!r}"
        )
    notes = []
    if source in ("timeline", "text", "none"):
        keys = (
            list(timeline)
            if source == "timeline"
            else to_emotion_keys(parse_direction(text))
            if source == "text"
            else [EmotionKey(0.0, "neutral")]
        )
        return keys, [(key.emotion or key.label or "custom", 0) for key in keys], notes
    if source == "emotion":
        category = category_level(emotion)[0]
        return [level_key(category, level, 0.0, 0.0)], [(category, level)], notes
    if source == "prosody":
        events = prosody_events(samples, alignment, emotion, window)
    else:
        events = transcript_events(transcript, alignment.words)
        if not events:
            notes.append(
                "no word of the transcript names an emotion; the face stays neutral (give --emotion, "
                "--text or --timeline)"
            )
    windows = emotion_windows(events, alignment.duration, window)
    return window_keys(windows, transition), [(category, level) for _, category, level in windows], notes


def _dominant(keys, times):
    """Per frame time, the index of the key that dominates: the incoming key once half its cross-fade is done."""
    halfway = np.asarray([float(k.time) - 0.5 * float(k.transition) if i else -np.inf for i, k in enumerate(keys)])
    return np.maximum(np.searchsorted(halfway, times, side="right") - 1, 0)


def compose_face(lips, speaking, emotion, mouth_damping=DEFAULT_MOUTH_DAMPING):
    """Join speech and emotion by region (module docstring).

    ``lips``: ``(n, 52)`` lip-sync ARKit weights; ``speaking``: ``(n,)`` in [0, 1]; ``emotion``: ``(n, 52)`` emotion
    weights; ``mouth_damping`` in [0, 1]. Returns ``(n, 52) float32`` in [0, 1]. Raises InputError: shapes differ,
    damping outside [0, 1]."""
    lips, emotion = np.asarray(lips, np.float64), np.asarray(emotion, np.float64)
    speaking = np.clip(np.asarray(speaking, np.float64), 0.0, 1.0)[:, None]
    if lips.shape != emotion.shape or lips.shape[:1] != speaking.shape[:1] or lips.shape[1:] != (len(ARKIT_NAMES),):
        raise InputError(
            f"lips {lips.shape}, speaking {speaking.shape[:1]} and emotion {emotion.shape} must be "
            f"(n, 52), (n,) and (n, 52)"
        )
    if not 0.0 <= mouth_damping <= 1.0:
        raise InputError(f"mouth damping must be in [0, 1], got {mouth_damping!r}")
    out = emotion * (1.0 - mouth_damping * speaking)
    out[:, _UPPER] = emotion[:, _UPPER]
    out[:, _LIPS] = lips[:, _LIPS] + emotion[:, _LIPS] * (1.0 - speaking)
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def talking_face(
    samples,
    fps,
    *,
    transcript=None,
    source=None,
    emotion=None,
    level=2,
    text=None,
    timeline=None,
    window=DEFAULT_WINDOW_S,
    transition=DEFAULT_TRANSITION_S,
    mouth_damping=DEFAULT_MOUTH_DAMPING,
    blinks=True,
    model=None,
):
    """Speech (16 kHz mono ``(n,)`` float32 samples) -> an emotional talking face at ``fps`` (module docstring).

    ``transcript``: the spoken words (str) for forced alignment, or None to recognise phones; ``source``: the
    emotion source (:data:`EMOTION_SOURCES`; None picks the one given, else ``transcript`` when there is one, else
    ``none``); ``emotion``/``level``/``text``/``timeline``/``window``/``transition``: as
    :func:`emotion_keys_for`; ``mouth_damping``: :func:`compose_face`; ``blinks``: the timeline's spontaneous
    blinks; ``model``: a :class:`~facemotion.core.speech.phones.SpeechModel` (None: pocketsphinx's en-US).
    Returns :class:`SpeechFace` with ``round(duration * fps) + 1`` frames. Raises InputError / TimelineError with
    what to change (a recording longer than :data:`MAX_SPEECH_S` included).
    """
    source = _pick_source(source, transcript, emotion, text, timeline)
    samples = np.asarray(samples, np.float32)
    duration = samples.size / SPEECH_RATE
    if duration > MAX_SPEECH_S:
        raise InputError(
            f"the recording is {duration:.0f} s long; speech is processed up to {MAX_SPEECH_S:.0f} s at "
            "a time: cut it into lines (e.g. at pauses) and speak each"
        )
    n_frames = frame_count(fps, duration)
    alignment = align_transcript(samples, transcript, model) if transcript else recognize_phones(samples, model)
    lips = lip_sync(alignment, samples, fps, n_frames, extra=model.phone_visemes if model else None)
    keys, key_labels, notes = emotion_keys_for(
        source,
        alignment,
        samples,
        transcript=transcript,
        emotion=emotion,
        level=level,
        text=text,
        timeline=timeline,
        window=window,
        transition=transition,
    )
    span = (n_frames - 1) / float(fps)
    emotion_weights = bake_timeline(keys, fps, span, blinks=blinks)
    dominant = _dominant(keys, np.arange(n_frames) / float(fps))
    labels = [key_labels[i][0] for i in dominant]
    levels = np.asarray([key_labels[i][1] for i in dominant], np.int8)
    weights = compose_face(lips.arkit, lips.speaking, emotion_weights, mouth_damping)
    expression = compose_face(np.zeros_like(lips.arkit), lips.speaking, emotion_weights, mouth_damping)
    return SpeechFace(
        weights,
        expression,
        lips.visemes,
        lips.speaking,
        labels,
        levels,
        keys,
        alignment,
        source,
        float(fps),
        duration,
        alignment.notes + lips.notes + notes,
    )


def speech_channels(face, target="arkit"):
    """The curves to key for ``target`` (:data:`SPEECH_TARGETS`): ``"arkit"`` -> ``(face.weights, ARKIT_NAMES)``;
    ``"visemes"`` -> the emotion on the 52 ARKit keys (lip channels only in pauses) plus the speech on the 15
    viseme keys, ``((n, 67) float32, ARKIT_NAMES + VISEME_KEY_NAMES)``. Raises InputError: unknown target."""
    if target == "arkit":
        return face.weights, ARKIT_NAMES
    if target == "visemes":
        return np.hstack([face.expression, face.visemes]), ARKIT_NAMES + VISEME_KEY_NAMES
    raise InputError(f"unknown speech target {target!r}; use one of: {', '.join(SPEECH_TARGETS)}")
