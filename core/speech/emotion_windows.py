# SPDX-License-Identifier: GPL-3.0-or-later
"""The emotion of a spoken utterance as [ECAvatar 2024]'s windows: each window of ``t`` seconds has one dominant
emotion (a category and an intensity level 1-3), and neighbouring windows cross-fade linearly over ``t_trans``
seconds (``M = (1 - j/n) M1 + (j/n) M2``).

Sources of the emotion (each gives :class:`EmotionEvent`; the windows pick, per window, the event that covers most
of it):

* the transcript's own words (:func:`transcript_events`): the transcript is cut into clauses at punctuation and at
  contrast words ("but", "then", "yet", ...), each clause read by the project's text-direction parser
  (:func:`facemotion.core.animation.text_direction.parse_direction`), so "I was so happy to see you, but now I am
  furious" is joy from the first word, then rage from "but". A clause without an emotion
  word keeps the emotion before it;
* the voice's prosody (:mod:`facemotion.core.speech.prosody`): arousal per window -> the intensity level of a named
  emotion;
* a fixed emotion name or a timeline/text direction: these are already keys and are used as they are (see
  :func:`facemotion.core.speech.talking_face.emotion_keys_for`).

Levels: [ECAvatar 2024] labels each window with a category and an intensity level 1-3. A Plutchik primary's
category is the primary and its level the ring the parser gave (``serenity`` 1, ``joy`` 2, ``ecstasy`` 3; the parser
moves a ring in for words such as "extremely"), one ring out for a softened intensity (<= :data:`SOFTENED`:
"slightly happy" is joy at level 1); a window's key is that ring's name at intensity 1, posed by the project's
vocabulary.
Other names (neutral, contempt, dyads) keep their name, and their level is the nearest of :data:`LEVEL_SCALE`
(our choice; ECAvatar gives no numbers), which also scales their key.
"""

import re
from dataclasses import dataclass

import numpy as np

from ..animation.text_direction import LEXICON, parse_direction
from ..animation.timeline import EmotionKey
from ..emotion.wheel import PRIMARY_LEVELS, resolve_wheel_name
from ..errors import InputError

__all__ = [
    "CLAUSE_WORDS",
    "DEFAULT_TRANSITION_S",
    "DEFAULT_WINDOW_S",
    "LEVEL_SCALE",
    "SOFTENED",
    "EmotionEvent",
    "category_level",
    "emotion_windows",
    "level_key",
    "transcript_events",
    "window_keys",
]

#: [ECAvatar 2024]'s t and t_trans (our defaults; the paper leaves them configurable): half a second is about two
#: syllables, short enough to follow a change of emotion within a sentence.
DEFAULT_WINDOW_S = 0.5
DEFAULT_TRANSITION_S = 0.25

#: Words that start a new clause of a transcript (besides punctuation): contrast and sequence.
CLAUSE_WORDS = frozenset(("but", "then", "yet", "however", "although", "though", "until", "suddenly"))
_NEGATIONS = re.compile(r"\b(not|no|never|nor|\w+n't)\b")


#: Intensity of each level for names that are not a Plutchik primary's ring (neutral, contempt, dyads, pairs).
LEVEL_SCALE = {1: 0.4, 2: 0.7, 3: 1.0}
#: An event intensity at or below this ("slightly", "a bit") moves a primary one ring out.
SOFTENED = 0.45


@dataclass(frozen=True)
class EmotionEvent:
    """An emotion from ``time`` (s) on, until the next event: ``category`` (a Plutchik primary, or another
    emotion name), ``level`` 1-3 ([ECAvatar 2024]'s label pair; module docstring)."""

    time: float
    category: str
    level: int


def category_level(name, intensity=1.0):
    """[ECAvatar 2024]'s ``(category, level)`` of an emotion name at ``intensity`` (module docstring).
    Raises InputError: unknown name."""
    resolved = resolve_wheel_name(name).name
    for primary, rings in PRIMARY_LEVELS.items():
        if resolved in rings:
            return primary, max(rings.index(resolved) + (0 if intensity <= SOFTENED else 1), 1)
    return resolved, min(LEVEL_SCALE, key=lambda level: (abs(LEVEL_SCALE[level] - float(intensity)), level))


def level_key(category, level, time, transition):
    """The timeline key that poses ``category`` at ``level``: a primary's ring name at intensity 1, else the name at
    :data:`LEVEL_SCALE`; reached at ``time`` (s) after a linear cross-fade of ``transition`` s. Returns
    :class:`~facemotion.core.animation.timeline.EmotionKey`."""
    if category in PRIMARY_LEVELS:
        return EmotionKey(
            time=time,
            emotion=PRIMARY_LEVELS[category][level - 1],
            intensity=1.0,
            transition=transition,
            easing="linear",
        )
    return EmotionKey(time=time, emotion=category, intensity=LEVEL_SCALE[level], transition=transition, easing="linear")


def _clauses(text):
    """A transcript -> list of (first word index, clause text); word indices count the words of
    :func:`facemotion.core.speech.phones.transcript_words`."""
    clauses, current, first, index = [], [], 0, 0
    for token in re.findall(r"[\w']+|[,;:.!?\u2014\u2013]", text.replace("\u2019", "'").lower()):
        boundary = not re.match(r"[\w']", token)
        if boundary or token in CLAUSE_WORDS:
            if current:
                clauses.append((first, " ".join(current)))
            current, first = [], index
        if not boundary:
            current.append(token)
            index += 1
    if current:
        clauses.append((first, " ".join(current)))
    return clauses


def _clause_keys(clause):
    """The text-direction keys of one clause; a clause the parser refuses (a parser that refuses unknown words) is
    read again from its emotion words alone (unless it has a negation, which only the parser may interpret); none
    found -> []."""
    for text in (clause, None):
        if text is None:
            if _NEGATIONS.search(clause):
                return []
            text = " ".join(w for w in clause.split() if w in LEXICON)
            if not text:
                return []
        try:
            result = parse_direction(text)
        except InputError:
            continue
        return list(result[0] if isinstance(result, tuple) else result)
    return []


def transcript_events(transcript, words):
    """Emotion events from the transcript's own words.

    ``transcript``: str; ``words``: the alignment's :class:`~facemotion.core.speech.phones.WordSegment` list (word
    ``index`` into the transcript's words, ``start`` s). A clause's emotions start at its first aligned word (the
    first emotional clause at 0 s when it is the transcript's first clause); several emotions in one clause share
    its words in order. Returns ``list[EmotionEvent]`` in time order (empty when no word carries an emotion).
    """
    starts = sorted((w.index, w.start) for w in words)
    if not starts:
        return []
    indices = np.asarray([i for i, _ in starts])
    times = np.asarray([t for _, t in starts])
    events = []
    for clause_no, (first, text) in enumerate(_clauses(transcript)):
        keys = _clause_keys(text)
        n_words = len(text.split())
        for k, key in enumerate(keys):
            word = first + (k * n_words) // len(keys)
            at = min(np.searchsorted(indices, word), len(times) - 1)
            time = 0.0 if clause_no == 0 and k == 0 else float(times[at])
            if events and time <= events[-1].time:
                time = events[-1].time + 1e-3
            events.append(EmotionEvent(time, *category_level(key.emotion, float(key.intensity))))
    return events


def emotion_windows(events, duration, window=DEFAULT_WINDOW_S):
    """[ECAvatar 2024]'s windows: per window of ``window`` seconds, the (category, level) covering most of it.

    ``events``: :class:`EmotionEvent` list in time order (before the first: ``neutral``); ``duration``: seconds
    (> 0); ``window``: seconds (> 0). Returns ``list[(start s, emotion, level)]``, one entry per change (equal
    neighbouring windows merged), the first at 0. Raises InputError: window or duration not > 0.
    """
    if not window or window <= 0 or not duration or duration <= 0:
        raise InputError(f"emotion windows need a window and a duration > 0 s, got {window!r} and {duration!r}")
    bounds = [0.0] + [e.time for e in events] + [float(duration)]
    labels = [("neutral", 2)] + [(e.category, e.level) for e in events]
    out = []
    for w in range(int(np.ceil(duration / window - 1e-9))):
        lo, hi = w * window, min((w + 1) * window, duration)
        cover = {}
        for label, a, b in zip(labels, bounds[:-1], bounds[1:]):
            overlap = min(b, hi) - max(a, lo)
            if overlap > 0:
                cover[label] = cover.get(label, 0.0) + overlap
        best = max(cover, key=lambda label: (cover[label], -labels.index(label))) if cover else labels[-1]
        if not out or out[-1][1:] != best:
            out.append((lo, *best))
    return out


def window_keys(windows, transition=DEFAULT_TRANSITION_S):
    """Windows -> timeline keys with [ECAvatar 2024]'s linear cross-fade of ``transition`` seconds centred on each
    window boundary (:func:`level_key`). ``windows``: :func:`emotion_windows`' list; ``transition``: seconds in
    [0, window]. Returns ``list[EmotionKey]``. Raises InputError: transition negative."""
    if transition is None or transition < 0:
        raise InputError(f"the emotion transition must be >= 0 s, got {transition!r}")
    return [
        level_key(category, level, round(start + 0.5 * transition, 6) if index else 0.0, transition if index else 0.0)
        for index, (start, category, level) in enumerate(windows)
    ]
