# SPDX-License-Identifier: GPL-3.0-or-later
"""Text direction: a sentence as a user types it, such as "annoyed at first, then absolutely enraged" or "she
smiles, gets scared, and then bursts into tears" -> emotion keys (time, emotion, intensity, transition, easing), in
the spirit of [Vo 2026]'s instruction-driven transitions ("from sad to happy"; RESEARCH.md) but with a small
rule-based grammar instead of a learned model, so the result is predictable and every word is accounted for: what
it does not understand is skipped and named in a note, never a reason to refuse the sentence.

Reading a sentence (:func:`read_direction`), step by step
--------------------------------------------------------
1. **Words.** The text is put in Unicode NFC form, lower-cased and split on Unicode word boundaries (``\\w``, so
   "glücklich", "fâchée" and "sonríe" stay whole words); English contractions lose their apostrophe ("isn't" ->
   isnt), other apostrophes split ("n'est" -> n est). Idioms and phrases of
   :data:`~.direction_lexicon.IDIOMS` become single words ("bursts into tears" -> burst in_tears, "loses her temper"
   -> burst loses_temper, "a bit" -> a_bit), then German, French and Spanish words are translated
   (:data:`~.direction_lexicon.TRANSLATIONS`).
2. **Word kinds.** Each word is an emotion (:data:`~.direction_lexicon.EMOTION_WORDS`, every wheel name, or an
   explicit pair ``joy+trust``), an intensity adverb, a tempo word or verb of change, a negation, a duration ("for
   2 s" holds, "over 4 s" / "in 1 s" ramps), a sequence word or punctuation, or filler (pronouns, articles,
   auxiliaries: skipped silently). Any other word is skipped and listed in :attr:`Direction.skipped` with the
   nearest known words.
3. **Clauses.** Sequence words (then, and, but, before, finally, ``,`` ...) cut the sentence into clauses, except
   "into"/"to" after a verb of change ("melt into love"); a clause "after X" is played before the clause it
   follows ("happy after sad" = sad, then happy).
4. **Emotions.** Each emotion word of a clause makes one key (the same face twice in a row is one key, held
   longer: "smiles happily", "ashamed and blushing"). Adverbs and negations before an emotion word apply to it;
   words after the last emotion of a clause apply to that one ("smile slowly", "happy no more"); a duration
   applies to the emotion before it, or in a clause without an emotion to the previous key ("happy, then hold it
   for 2 s"). A negated emotion ("no longer happy", "not angry anymore", "stops smiling") ends: the key is
   ``neutral``. A clause holding only a negation ("happy, then not anymore") ends the previous emotion. A modifier
   with no emotion to apply to is skipped with a note.
5. **Intensity means what it says.** An emotion word alone is its emotion at intensity 1.0
   (:data:`DEFAULT_INTENSITY`): "sad" is the sad preset at full strength. Softeners lower it (barely 0.25,
   slightly 0.3, a bit 0.4, kind of 0.5, somewhat 0.6, rather 0.7, quite 0.8); strong boosters ("extremely",
   "absolutely", "utterly"...) also move a primary one ring inwards ("extremely annoyed" -> anger, "absolutely
   angry" -> rage).
6. **Tempo.** Tempo words set the transition and its easing (suddenly 0.2 s ... gradually 3 s; "grow" is gradual,
   "burst" sudden; "very" before a tempo word stretches a slow one x1.5 and halves a fast one; an adverb beats a
   verb in the same clause: "steadily grow" is steady).

Only a sentence in which nothing places an emotion is refused (:class:`InputError`, which lists the words it did
not understand).

Timing
------
Key 0 is at t = 0; key i is reached at ``t_i = t_{i-1} + hold_{i-1} + transition_i`` (the timeline's
convention: a key's transition ends at its time). If the first emotion has an explicit transition ("slowly become
sad") a ``neutral`` key is put first at t = 0 so that the ramp from a resting face is seen. Defaults:
:data:`DEFAULT_TRANSITION` s with easing ``ease_in_out``, :data:`DEFAULT_HOLD` s hold.

:func:`read_direction` returns a :class:`Direction` (plain :class:`TextKey` dataclasses and the skipped words);
``emotion`` is a canonical wheel name for :func:`facemotion.core.emotion.wheel.resolve_wheel_name`.
:func:`to_emotion_keys` turns them into the timeline's :class:`~facemotion.core.animation.timeline.EmotionKey`
that bake directly, and :attr:`Direction.duration` is the duration that holds the last emotion. A name means the
same here as on the timeline and the wheel (:mod:`facemotion.core.emotion.vocabulary`): "sad" at 1.0 bakes the full
sad prototype, "grief" the intense ring (sadness's stronger EMFACS variant).
"""

import difflib
import re
import unicodedata
from dataclasses import dataclass

from ..emotion.wheel import PRIMARY_LEVELS, all_names, resolve_wheel_name
from ..errors import InputError
from . import direction_lexicon as lex
from .timeline import EmotionKey

__all__ = [
    "DEFAULT_HOLD",
    "DEFAULT_INTENSITY",
    "DEFAULT_TRANSITION",
    "LEXICON",
    "Direction",
    "TextKey",
    "parse_direction",
    "read_direction",
    "to_emotion_keys",
]

DEFAULT_INTENSITY = 1.0
DEFAULT_TRANSITION = 1.0
DEFAULT_HOLD = 1.0
DEFAULT_EASING = "ease_in_out"


def _build_lexicon():
    lexicon = {name: resolve_wheel_name(name).name for name in all_names()}
    for target, words in lex.EMOTION_WORDS.items():
        canonical = resolve_wheel_name(target).name
        for word in words:
            lexicon[word] = canonical  # the table wins over the wheel's aliases: "happy" -> joy, "sad" -> sadness
    return lexicon


#: Word -> canonical wheel name.
LEXICON = _build_lexicon()


def _compile_idiom(pattern):
    """An idiom pattern of :data:`~.direction_lexicon.IDIOMS` -> a tuple of frozensets (the words each slot takes)."""
    slots = []
    for slot in pattern.split():
        if slot.startswith("{"):
            slot = lex.PATTERN_CLASSES[slot.strip("{}")]
        slots.append(frozenset(slot.split("|")))
    return tuple(slots)


#: Compiled idioms, longest first (so "breaks down in tears" wins over "breaks down").
_IDIOMS = sorted(((_compile_idiom(p), tuple(r.split())) for p, r in lex.IDIOMS), key=lambda i: -len(i[0]))
_TOKEN = re.compile(r"\d+(?:\.\d+)?|\w+(?:\+\w+)+|\w+|[,;.!?:—–]")
_CONTRACTION = re.compile(r"(?<=\w)['’](?=(?:t|s|re|ll|ve|d|m)\b)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SHORTEST = 0.001  # seconds: key times are rounded to 1 us, and a shorter duration could make two keys coincide


@dataclass(frozen=True)
class TextKey:
    """One key made from text. ``time``: seconds at which the emotion is fully reached (float >= 0).
    ``emotion``: canonical wheel name (str). ``intensity``: [0, 1]. ``transition``: seconds of the ramp from the
    previous key, ending at ``time`` (0 on a first key without one). ``easing``: one of the timeline's easings
    (``linear``, ``ease_out``, ``ease_in_out``). ``hold``: seconds the emotion is held after ``time``."""

    time: float
    emotion: str
    intensity: float
    transition: float
    easing: str
    hold: float = DEFAULT_HOLD


@dataclass(frozen=True)
class Direction:
    """What :func:`read_direction` understood. ``keys``: tuple of :class:`TextKey`, times strictly increasing.
    ``skipped``: the words it did not understand, in order of first use (tuple of str). ``notes``: one line per
    skipped word or phrase saying why (tuple of str; nearest known words where there are some)."""

    keys: tuple
    skipped: tuple
    notes: tuple

    @property
    def duration(self):
        """Seconds from 0 to the end of the last key's hold (float)."""
        return round(self.keys[-1].time + self.keys[-1].hold, 6)


def _words(text):
    """Step 1: the sentence -> lower-case words and punctuation (list of str) after idioms and translations."""
    norm = unicodedata.normalize("NFC", text).lower()
    norm = _CONTRACTION.sub("", norm).replace("'", " ").replace("’", " ")
    raw = _TOKEN.findall(norm)
    words, i = [], 0
    while i < len(raw):
        for slots, replacement in _IDIOMS:
            if len(raw) - i >= len(slots) and all(word in slot for word, slot in zip(raw[i:], slots)):
                words.extend(replacement)
                i += len(slots)
                break
        else:
            words.append(lex.TRANSLATIONS.get(raw[i], raw[i]))
            i += 1
    return words


def _known_words():
    """Words to suggest for a word not understood: what a user types (an idiom's token such as ``blows_up`` is
    not; a wheel name such as ``plutchik_contempt`` is)."""
    words = (
        list(LEXICON)
        + list(lex.INTENSITY_WORDS)
        + list(lex.TEMPO_WORDS)
        + sorted(lex.NEGATIONS)
        + [w for w in sorted(lex.SEQUENCE_WORDS) if w.isalpha()]
        + list(lex.UNITS)
    )
    names = set(all_names())
    return [w for w in words if "_" not in w or w in names]


def _nearest(word):
    close = difflib.get_close_matches(word, _known_words(), n=4, cutoff=0.6)
    return f"{word!r} (nearest known: {', '.join(close)})" if close else repr(word)


def _number(words, i):
    """A number at words[i] -> (value, next index) or (None, i)."""
    if i < len(words) and _NUMBER.fullmatch(words[i]):
        return float(words[i]), i + 1
    if i < len(words) and words[i] in lex.NUMBER_WORDS:
        return lex.NUMBER_WORDS[words[i]], i + 1
    return None, i


def _is_filler(word):
    """Whether ``word`` is known but says nothing alone (filler, "anymore", a number or duration word)."""
    return (
        word in lex.FILLER_WORDS
        or word in lex.NEGATION_ENDINGS
        or word in lex.NUMBER_WORDS
        or word in lex.DURATION_HOLD
        or word in lex.DURATION_TRANSITION
        or bool(_NUMBER.fullmatch(word))
    )


def _items(words):
    """Step 2: words -> ``(items, skipped, notes)``; an item is ``(kind, value, word)`` with kind one of emotion,
    intensity, tempo, very_tempo, negation, hold, over, sequence."""
    items, skipped, notes = [], [], []
    i = 0
    while i < len(words):
        word = words[i]
        if word in lex.DURATION_HOLD or word in lex.DURATION_TRANSITION:
            value, j = _number(words, i + 1)
            if value is not None and j < len(words) and words[j] in lex.UNITS:
                seconds = value * lex.UNITS[words[j]]
                phrase = " ".join(words[i : j + 1])
                if seconds >= _SHORTEST:
                    items.append(("hold" if word in lex.DURATION_HOLD else "over", seconds, phrase))
                else:
                    notes.append(f"{phrase!r}: a duration must be at least 1 ms")
                i = j + 1
                continue
            if value is not None and words[i + 1] not in ("a", "an"):
                notes.append(f"'{word} {words[i + 1]}' needs a unit, e.g. '{word} {words[i + 1]} seconds'")
                i += 2
                continue
        if word in ("into", "to") and i and words[i - 1] in lex.TEMPO_VERBS:
            pass  # "melt into love", "snap to rage": the verb's own preposition, not a new clause
        elif word in lex.SEQUENCE_WORDS or word == "after":
            items.append(("sequence", word, word))
        elif "+" in word:
            try:
                items.append(("emotion", resolve_wheel_name(word).name, word))
            except InputError as exc:
                notes.append(str(exc))
        elif word in LEXICON:
            items.append(("emotion", LEXICON[word], word))
        elif word == "very" and i + 1 < len(words) and words[i + 1] in lex.TEMPO_WORDS:
            items.append(("very_tempo", None, word))
        elif word in lex.INTENSITY_WORDS:
            items.append(("intensity", word, word))
        elif word in lex.TEMPO_WORDS:
            items.append(("tempo", word, word))
        elif word in lex.NEGATIONS:
            items.append(("negation", word, word))
        elif word not in skipped and not _is_filler(word):
            skipped.append(word)
            notes.append(f"{_nearest(word)} is not in the vocabulary")
        i += 1
    return items, skipped, notes


def _clauses(items):
    """Step 3: items -> list of clauses (lists of items without sequence words); "X after Y" -> Y, X."""
    clauses, current, after = [], [], []
    for item in items:
        if item[0] != "sequence":
            current.append(item)
            continue
        if current:
            clauses.append(current)
        current = []
        if item[1] == "after" and clauses:
            after.append(len(clauses))  # the clause that starts here goes before the previous one
    if current:
        clauses.append(current)
    for index in after:
        if index < len(clauses):
            clauses[index - 1], clauses[index] = clauses[index], clauses[index - 1]
    return clauses


def _groups(clause):
    """Step 4a: one clause -> ``(groups, rest)``: each group ``[emotion item, modifier items...]``; ``rest`` the
    modifiers of a clause without an emotion."""
    groups, pending = [], []
    for item in clause:
        if item[0] == "emotion":
            if groups and groups[-1][0][1] == item[1] and not pending:
                continue  # "smiles happily": one key
            groups.append([item] + pending)
            pending = []
        elif item[0] in ("hold", "over") and groups:
            groups[-1].append(item)
        else:
            pending.append(item)
    if groups:
        groups[-1].extend(pending)
        return groups, []
    return groups, pending


def _entry(group):
    """Step 4b: a group -> a key entry (dict: emotion, intensity, transition, easing, hold, explicit,
    hold_explicit), with intensity, ring, tempo, negation and durations applied."""
    entry = {
        "emotion": group[0][1],
        "intensity": DEFAULT_INTENSITY,
        "transition": DEFAULT_TRANSITION,
        "easing": DEFAULT_EASING,
        "hold": DEFAULT_HOLD,
        "explicit": False,
        "hold_explicit": False,
    }
    adverb = any(kind == "tempo" and value not in lex.TEMPO_VERBS for kind, value, _ in group)
    stretch = False
    negations = 0
    for kind, value, _ in group[1:]:
        if kind == "intensity":
            entry["intensity"], level_up = lex.INTENSITY_WORDS[value]
            if level_up:
                entry["emotion"] = _level_up(entry["emotion"])
        elif kind == "very_tempo":
            stretch = True  # applied to the next tempo word
        elif kind == "tempo" and not (adverb and value in lex.TEMPO_VERBS):
            seconds, easing = lex.TEMPO_WORDS[value]
            if stretch:
                seconds, stretch = (seconds * 1.5 if seconds >= 1.0 else seconds * 0.5), False
            entry["transition"], entry["easing"], entry["explicit"] = seconds, easing, True
        elif kind == "negation":
            negations += 1
        elif kind == "hold":
            entry["hold"], entry["hold_explicit"] = value, True
        elif kind == "over":
            entry["transition"], entry["explicit"] = value, True
    if negations % 2:
        entry["emotion"], entry["intensity"] = "neutral", 1.0  # the emotion ends
    return entry


def _level_up(name):
    for names in PRIMARY_LEVELS.values():
        if name in names and names.index(name) < 2:
            return names[names.index(name) + 1]
    return name


def _append_entry(entries, entry):
    """Step 4c: add ``entry`` to ``entries``; the same face as the previous key ("ashamed and blushing") prolongs
    that key's hold by the new one's transition and hold instead of making a second key."""
    previous = entries[-1] if entries else None
    if previous and (previous["emotion"], previous["intensity"]) == (entry["emotion"], entry["intensity"]):
        previous["hold"] += entry["transition"] + entry["hold"]
        previous["hold_explicit"] = True
    else:
        entries.append(entry)


def _apply_to_previous(entries, rest, notes):
    """Step 4d: the modifiers of a clause without an emotion: durations and a negation act on the previous key
    ("happy, hold it for 2 s"; "happy, then not anymore"); anything else is skipped with a note."""
    for kind, value, word in rest:
        if kind in ("hold", "over", "negation") and entries:
            if kind == "over":
                entries[-1]["transition"], entries[-1]["explicit"] = value, True
            elif kind == "negation":
                _append_entry(entries, _entry([("emotion", entries[-1]["emotion"], word), ("negation", value, word)]))
            elif entries[-1]["hold_explicit"]:  # "happy for 2 s, then hold it for 1 s": 3 s in all
                entries[-1]["hold"] += value
            else:
                entries[-1]["hold"], entries[-1]["hold_explicit"] = value, True
        else:
            notes.append(f"{word!r} has no emotion to apply to (put an emotion word next to it)")


def _timed_keys(entries):
    """Step 5: entries -> :class:`TextKey` list with times (module docstring, *Timing*)."""
    if entries[0]["explicit"] and entries[0]["emotion"] != "neutral":
        entries.insert(
            0, {"emotion": "neutral", "intensity": 1.0, "transition": 0.0, "easing": DEFAULT_EASING, "hold": 0.0}
        )
    else:
        entries[0]["transition"] = 0.0
    keys, time = [], 0.0
    for index, entry in enumerate(entries):
        if index:
            time = time + entries[index - 1]["hold"] + entry["transition"]
        keys.append(
            TextKey(
                round(time, 6),
                entry["emotion"],
                float(entry["intensity"]),
                round(float(entry["transition"]), 6),
                entry["easing"],
                round(float(entry["hold"]), 6),
            )
        )
    return keys


def read_direction(text):
    """Read a direction sentence (steps and timing in the module docstring).

    ``text``: str. Returns :class:`Direction` (keys, skipped words, notes). Raises InputError (nothing is
    returned) only when ``text`` is not a str, is empty, or has no word that places an emotion; the message lists
    the words it did not understand with the nearest known ones.
    """
    if not isinstance(text, str):
        raise InputError(f"direction text must be a str, got {type(text).__name__}")
    if not text.strip():
        raise InputError("direction text is empty; write e.g. 'start calm, then slowly become happy'")
    items, skipped, notes = _items(_words(text))
    entries = []
    for clause in _clauses(items):
        groups, rest = _groups(clause)
        for group in groups:
            _append_entry(entries, _entry(group))
        _apply_to_previous(entries, rest, notes)
    if not entries:
        detail = f" ({'; '.join(notes)})" if notes else ""
        raise InputError(
            f"no emotion found in {text!r}{detail}; use words such as happy, sad, angry, scared, "
            f"calm, 'bursts into tears' or 'loses her temper'"
        )
    return Direction(tuple(_timed_keys(entries)), tuple(skipped), tuple(notes))


def parse_direction(text):
    """The keys of :func:`read_direction` (``list[TextKey]``), for callers that do not show the notes. Raises
    InputError as :func:`read_direction`."""
    return list(read_direction(text).keys)


def to_emotion_keys(text_keys):
    """:class:`TextKey` list -> timeline :class:`~facemotion.core.animation.timeline.EmotionKey` list (same times,
    emotions, intensities, transitions, easings; the ``label`` is None): "sad" at 1.0 is the sad preset at 1.0.
    Returns ``list[EmotionKey]``."""
    return [
        EmotionKey(
            time=key.time, emotion=key.emotion, intensity=key.intensity, transition=key.transition, easing=key.easing
        )
        for key in text_keys
    ]
