# SPDX-License-Identifier: GPL-3.0-or-later
"""Text direction: a sentence such as "start calm, grow annoyed, then burst into laughter and end hopeful" ->
emotion keys (time, emotion, intensity, transition, easing), in the spirit of [Vo 2026]'s instruction-driven
transitions ("from sad to happy"; RESEARCH.md) but with a small rule-based grammar instead of a learned model, so
the result is predictable and every word is accounted for.

Grammar
-------
The sentence is split into *clauses* at sequence words (:data:`SEQUENCE_WORDS`: then, and then, and, before,
finally, turning into, into, to (as in "from X to Y"), next, later, eventually, after that, and the punctuation
``, ; . !``). Each clause holds at most one emotion word (:data:`LEXICON`: every wheel name of
:mod:`facemotion.core.emotion.wheel`, their adjectives and common synonyms; or an explicit pair ``joy+trust``)
and any of:

* intensity adverbs (:data:`INTENSITY_WORDS`: slightly 0.3 ... very 1.0; :data:`LEVEL_UP_WORDS` such as
  "extremely" also move a primary one ring inwards, e.g. "extremely angry" -> rage); default
  :data:`DEFAULT_INTENSITY`;
* tempo words and verbs (:data:`TEMPO_WORDS`: suddenly 0.2 s ... gradually 3 s; "grow" is gradual, "burst" sudden;
  "very" before a tempo word stretches a slow one x1.5 and halves a fast one; an adverb beats a verb in the same
  clause: "steadily grow" is steady) -> the transition and its easing;
* durations: "for 2 seconds" / "for a second" / "during 3 s" -> how long the emotion holds; "over 4 s" /
  "in 1.5 s" / "within 2 seconds" -> its transition. A clause with only a duration ("hold it for 2 seconds")
  applies to the previous emotion (added to a hold already given: "happy for 2 s, then hold it for 1 s" = 3 s).

Other known filler words (:data:`FILLER_WORDS`: start, become, look, end, the, ...) are skipped. Any other word
is reported with the nearest known words (``difflib``), and nothing is produced: :class:`InputError`. So is a
negation ("not happy": the grammar cannot express it), a clause with two emotions, a modifier with no emotion to
apply to, or a sentence with no emotion at all.

Timing
------
Key 0 is at t = 0; key i is reached at ``t_i = t_{i-1} + hold_{i-1} + transition_i`` (the timeline's
convention: a key's transition ends at its time). If the first emotion has an explicit transition ("slowly become
sad") a ``neutral`` key is put first at t = 0 so that the ramp from a resting face is seen. Defaults:
:data:`DEFAULT_TRANSITION` s with easing ``ease_in_out``, :data:`DEFAULT_HOLD` s hold.

:func:`parse_direction` returns plain :class:`TextKey` dataclasses; ``emotion`` is a canonical wheel name for
:func:`facemotion.core.emotion.wheel.resolve_wheel_name`. :func:`direction_keys` (and :func:`to_emotion_keys`) turn
them into the timeline's :class:`~facemotion.core.animation.timeline.EmotionKey` that bake directly, with the
duration that holds the last emotion. A name means the same on the timeline as here
(:mod:`facemotion.core.emotion.vocabulary`), so the keys keep the parsed intensity: "happy" (joy at 0.8) is
``"joy"`` at 0.8, and the rings keep their order (serenity < joy < ecstasy) because the vocabulary poses them so.
"""
import difflib
import re
from dataclasses import dataclass

from ..emotion.wheel import PRIMARY_LEVELS, all_names, resolve_wheel_name
from ..errors import InputError
from .timeline import EmotionKey

__all__ = [
    "DEFAULT_HOLD", "DEFAULT_INTENSITY", "DEFAULT_TRANSITION", "FILLER_WORDS", "INTENSITY_WORDS", "LEVEL_UP_WORDS",
    "LEXICON", "SEQUENCE_WORDS", "TEMPO_WORDS", "TextKey", "direction_keys", "parse_direction", "to_emotion_keys",
]

DEFAULT_INTENSITY = 0.8
DEFAULT_TRANSITION = 1.0
DEFAULT_HOLD = 1.0
DEFAULT_EASING = "ease_in_out"

#: Synonyms and word forms -> wheel name (on top of every name :func:`all_names` lists).
_SYNONYMS = {
    "neutral": ("calm", "relaxed", "blank", "expressionless", "composed", "resting"),
    "serenity": ("content", "peaceful", "placid", "serene", "relieved"),
    "joy": ("happy", "cheerful", "joyful", "glad", "pleased", "smiling", "smile", "smiles", "jolly", "merry"),
    "ecstasy": ("laughter", "laugh", "laughs", "laughing", "elated", "euphoric", "thrilled", "overjoyed"),
    "acceptance": ("accepting",),
    "trust": ("trusting", "confident", "reassured", "warm"),
    "admiration": ("admiring", "adoring"),
    "apprehension": ("nervous", "worried", "uneasy", "wary", "tense"),
    "fear": ("scared", "afraid", "frightened", "fearful"),
    "terror": ("terrified", "horrified", "panicked", "petrified", "panicking"),
    "distraction": ("distracted", "puzzled"),
    "surprise": ("surprised", "startled", "shocked"),
    "amazement": ("amazed", "astonished", "astounded", "stunned"),
    "pensiveness": ("pensive", "gloomy", "melancholy", "melancholic", "wistful", "glum"),
    "sadness": ("sad", "unhappy", "sorrowful", "downcast", "blue"),
    "grief": ("grieving", "heartbroken", "devastated", "crying", "sobbing", "tearful", "weeping"),
    "boredom": ("bored", "weary", "uninterested"),
    "disgust": ("disgusted", "repulsed", "grossed"),
    "loathing": ("revolted", "loathing", "sickened"),
    "annoyance": ("annoyed", "irritated", "irked", "grumpy", "bothered", "peeved"),
    "anger": ("angry", "mad", "cross", "hostile"),
    "rage": ("furious", "enraged", "livid", "raging", "fuming", "rage"),
    "interest": ("interested", "attentive", "intrigued"),
    "anticipation": ("expectant", "eager", "anticipating"),
    "vigilance": ("vigilant", "alert", "watchful"),
    "love": ("loving", "affectionate", "tender"),
    "submission": ("submissive", "meek", "obedient"),
    "awe": ("awed", "awestruck"),
    "disapproval": ("disapproving",),
    "remorse": ("remorseful", "regretful", "sorry"),
    "contempt": ("contemptuous", "smirking", "smirk", "smug"),
    "plutchik_contempt": ("scornful", "scorn", "disdainful"),
    "aggressiveness": ("aggressive", "belligerent"),
    "optimism": ("optimistic",),
    "guilt": ("guilty",),
    "curiosity": ("curious", "inquisitive"),
    "despair": ("despairing", "hopeless", "desperate"),
    "unbelief": ("unbelieving", "incredulous", "disbelieving", "disbelief"),
    "envy": ("envious", "jealous"),
    "cynicism": ("cynical",),
    "pride": ("proud",),
    "hope": ("hopeful",),
    "delight": ("delighted",),
    "sentimentality": ("sentimental", "nostalgic"),
    "shame": ("ashamed", "embarrassed", "humiliated"),
    "outrage": ("outraged", "indignant"),
    "pessimism": ("pessimistic",),
    "morbidness": ("morbid",),
    "dominance": ("dominant", "domineering", "bossy"),
    "anxiety": ("anxious",),
}


def _build_lexicon():
    lexicon = {}
    for name in all_names():
        lexicon[name] = resolve_wheel_name(name).name
    for target, words in _SYNONYMS.items():
        canonical = resolve_wheel_name(target).name
        for word in words:
            lexicon[word] = canonical  # synonyms win: "happy" -> joy, "sad" -> sadness
    return lexicon


#: Word -> canonical wheel name.
LEXICON = _build_lexicon()

#: Intensity adverbs -> key intensity. ("alittle"/"abit" are "a little"/"a bit" after phrase joining.)
INTENSITY_WORDS = {
    "slightly": 0.3, "faintly": 0.3, "barely": 0.25, "alittle": 0.4, "abit": 0.4, "mildly": 0.4, "somewhat": 0.6,
    "fairly": 0.6, "moderately": 0.6, "rather": 0.7, "quite": 0.8, "pretty": 0.8, "very": 1.0, "really": 1.0,
    "deeply": 1.0, "so": 1.0, "truly": 1.0, "extremely": 1.0, "utterly": 1.0, "incredibly": 1.0, "totally": 1.0,
    "completely": 1.0, "intensely": 1.0,
}
#: Intensity adverbs that also move a primary one intensity ring inwards (annoyance -> anger -> rage).
LEVEL_UP_WORDS = ("extremely", "utterly", "incredibly", "totally", "completely", "intensely")

#: Tempo word -> (transition seconds, easing). Verbs of change count too ("grow": gradual, "burst": sudden).
TEMPO_WORDS = {
    "suddenly": (0.2, "ease_out"), "abruptly": (0.2, "ease_out"), "instantly": (0.2, "ease_out"),
    "immediately": (0.2, "ease_out"), "burst": (0.2, "ease_out"), "bursts": (0.2, "ease_out"),
    "bursting": (0.2, "ease_out"), "snap": (0.2, "ease_out"), "snaps": (0.2, "ease_out"),
    "flash": (0.2, "ease_out"), "flashes": (0.2, "ease_out"),
    "quickly": (0.5, "ease_out"), "fast": (0.5, "ease_out"), "rapidly": (0.5, "ease_out"),
    "briskly": (0.5, "ease_out"),
    "slowly": (2.0, "ease_in_out"), "gently": (2.0, "ease_in_out"), "softly": (2.0, "ease_in_out"),
    "steadily": (2.0, "linear"), "grow": (2.0, "ease_in_out"), "grows": (2.0, "ease_in_out"),
    "growing": (2.0, "ease_in_out"), "melt": (2.0, "ease_in_out"), "melts": (2.0, "ease_in_out"),
    "melting": (2.0, "ease_in_out"), "fade": (2.0, "ease_in_out"), "fades": (2.0, "ease_in_out"),
    "fading": (2.0, "ease_in_out"), "drift": (2.0, "ease_in_out"), "drifts": (2.0, "ease_in_out"),
    "drifting": (2.0, "ease_in_out"),
    "gradually": (3.0, "ease_in_out"), "progressively": (3.0, "ease_in_out"),
}

#: Tempo words that are verbs of change: an adverb in the same clause ("steadily grow") overrides them.
TEMPO_VERBS = frozenset(("burst", "bursts", "bursting", "snap", "snaps", "flash", "flashes", "grow", "grows",
                         "growing", "melt", "melts", "melting", "fade", "fades", "fading", "drift", "drifts",
                         "drifting"))

#: Words that end a clause (phrases such as "and then", "after that", "turning into" are joined to "then" first).
SEQUENCE_WORDS = ("then", "and", "before", "finally", "into", "to", "next", "later", "eventually", "afterwards",
                  ",", ";", ".", "!")

#: Words that carry no direction and are skipped.
FILLER_WORDS = frozenset("""
a an the it its is are be being been was were am i you he she they we them him her his their our my your face
character expression look looks looking looked seem seems seeming appear appears appearing feel feels feeling
start starts starting begin begins beginning first at end ends ending become becomes becoming get gets getting
turn turns turning go goes going come comes coming stay stays staying remain remains remaining hold holds holding
keep keeps keeping show shows showing up out with from of more then than all bit little little-bit again still
very much something someone little while moment pose break breaks change changes changing move moves moving
""".split())

_NEGATIONS = ("not", "no", "never", "isnt", "arent", "dont", "doesnt", "without", "nor", "neither")
_DURATION_HOLD = ("for", "during")
_DURATION_TRANSITION = ("over", "in", "within")
_NUMBER_WORDS = {"a": 1.0, "an": 1.0, "one": 1.0, "two": 2.0, "three": 3.0, "four": 4.0, "five": 5.0, "six": 6.0,
                 "seven": 7.0, "eight": 8.0, "nine": 9.0, "ten": 10.0, "half": 0.5}
_UNITS = {"s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "ms": 0.001, "millisecond": 0.001,
          "milliseconds": 0.001, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0}
_PHRASES = (
    (r"\b(burst|bursts|bursting) (into|out) (laughter|laughing)\b", r"\1 laughter"),
    (r"\b(burst|bursts|bursting|fade|fades|fading|melt|melts|melting|drift|drifts|drifting|snap|snaps|flash|flashes"
     r"|grow|grows|growing) (into|to)\b", r"\1"),
    (r"\bin love\b", "love"),
    (r"\ba little bit\b|\ba little\b", "alittle"),
    (r"\ba bit\b", "abit"),
    (r"\band then\b|\bafter that\b|\b(turning|turns|turn|turned) into\b|\bchanging into\b|\bshifting to\b", "then"),
    (r"\bhalf an? (second|sec|s)\b", r"0.5 \1"),
    (r"(\d+(?:\.\d+)?)(ms|s|sec|secs)\b", r"\1 \2"),
    (r"[’']", ""),
)
_TOKEN = re.compile(r"[a-z_]+\+[a-z_]+|\d+(?:\.\d+)?|[a-z_]+|[,;.!]")


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


def _known_words():
    return (list(LEXICON) + list(INTENSITY_WORDS) + list(TEMPO_WORDS) + [w for w in SEQUENCE_WORDS if w.isalpha()]
            + sorted(FILLER_WORDS) + list(_DURATION_HOLD) + list(_DURATION_TRANSITION) + list(_UNITS))


def _nearest(word):
    close = difflib.get_close_matches(word, _known_words(), n=4, cutoff=0.6)
    return f"{word!r} (nearest known: {', '.join(close)})" if close else repr(word)


def _number(tokens, i):
    """A number at tokens[i] -> (value, next index) or (None, i)."""
    if i < len(tokens) and re.fullmatch(r"\d+(?:\.\d+)?", tokens[i]):
        return float(tokens[i]), i + 1
    if i < len(tokens) and tokens[i] in _NUMBER_WORDS:
        return _NUMBER_WORDS[tokens[i]], i + 1
    return None, i


def _level_up(name):
    for names in PRIMARY_LEVELS.values():
        if name in names and names.index(name) < 2:
            return names[names.index(name) + 1]
    return name


def parse_direction(text):
    """Parse a direction sentence into keys (grammar and timing in the module docstring).

    ``text``: str. Returns ``list[TextKey]``, times strictly increasing. Raises InputError (nothing is returned):
    not a str or empty; words it cannot place (each listed with the nearest known words); a negation; two
    emotions in one clause; an intensity or tempo word with no emotion; a duration without a number or a unit
    (seconds, ms, minutes) or not positive; a pair that does not resolve; no emotion at all.
    """
    if not isinstance(text, str):
        raise InputError(f"direction text must be a str, got {type(text).__name__}")
    norm = " ".join(text.lower().split())
    if not norm:
        raise InputError("direction text is empty; write e.g. 'start calm, then slowly become happy'")
    for pattern, repl in _PHRASES:
        norm = re.sub(pattern, repl, norm)
    tokens = _TOKEN.findall(norm)
    leftovers = re.sub(_TOKEN, " ", norm).split()
    unknown = [w for w in leftovers if any(c.isalnum() for c in w)]
    negations = [t for t in tokens if t in _NEGATIONS]
    if negations:
        raise InputError(f"direction text uses a negation ({negations[0]!r}); say what the face shows instead, "
                         f"e.g. 'calm' or 'sad' rather than 'not happy'")

    clauses, current = [], []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _DURATION_HOLD or tok in _DURATION_TRANSITION:
            value, j = _number(tokens, i + 1)
            if value is not None and j < len(tokens) and tokens[j] in _UNITS:
                seconds = value * _UNITS[tokens[j]]
                if seconds <= 0:
                    raise InputError(f"duration '{tok} {tokens[i + 1]} {tokens[j]}' must be positive")
                current.append(("hold" if tok in _DURATION_HOLD else "over", seconds, tok))
                i = j + 1
                continue
            if value is not None:
                raise InputError(f"'{tok} {tokens[i + 1]}' needs a unit: seconds (s), ms or minutes")
            unknown.append(tok)  # "for"/"over"/"in" outside a duration: cannot be placed
            i += 1
            continue
        if tok in SEQUENCE_WORDS:
            clauses.append(current)
            current = []
        elif "+" in tok:
            current.append(("emotion", resolve_wheel_name(tok).name, tok))
        elif tok in LEXICON:
            current.append(("emotion", LEXICON[tok], tok))
        elif tok in INTENSITY_WORDS and not (tok == "very" and i + 1 < len(tokens) and tokens[i + 1] in TEMPO_WORDS):
            current.append(("intensity", tok, tok))
        elif tok == "very":
            current.append(("very_tempo", None, tok))
        elif tok in TEMPO_WORDS:
            current.append(("tempo", tok, tok))
        elif tok in FILLER_WORDS or tok in _NUMBER_WORDS:
            pass
        else:
            unknown.append(tok)
        i += 1
    clauses.append(current)
    if unknown:
        raise InputError(f"cannot place {len(unknown)} word(s) of the direction: "
                         f"{'; '.join(_nearest(w) for w in dict.fromkeys(unknown))}")

    entries = []  # dicts: emotion, intensity, transition, easing, hold, explicit
    for clause in clauses:
        emotions = [item for item in clause if item[0] == "emotion"]
        if len(emotions) > 1:
            raise InputError(f"two emotions in one clause ({emotions[0][2]!r}, {emotions[1][2]!r}); join them with "
                             f"'then' to play one after the other, or write a pair such as 'joy+trust'")
        if not emotions:
            modifiers = [item[2] for item in clause if item[0] in ("intensity", "tempo", "very_tempo")]
            if modifiers:
                raise InputError(f"{modifiers[0]!r} does not say which emotion it applies to; put an emotion word "
                                 f"in the same clause (e.g. '{modifiers[0]} happy')")
            durations = [item for item in clause if item[0] in ("hold", "over")]
            if durations:
                if not entries:
                    raise InputError(f"duration '{durations[0][2]} ...' comes before any emotion")
                for kind, seconds, _ in durations:
                    if kind == "over":
                        entries[-1]["transition"], entries[-1]["explicit"] = seconds, True
                    elif entries[-1]["hold_explicit"]:   # "happy for 2 s, then hold it for 1 s": 3 s in all
                        entries[-1]["hold"] += seconds
                    else:
                        entries[-1]["hold"], entries[-1]["hold_explicit"] = seconds, True
            continue
        entry = {"emotion": emotions[0][1], "intensity": DEFAULT_INTENSITY, "transition": DEFAULT_TRANSITION,
                 "easing": DEFAULT_EASING, "hold": DEFAULT_HOLD, "explicit": False, "hold_explicit": False}
        stretch = 1.0
        adverb = any(kind == "tempo" and value not in TEMPO_VERBS for kind, value, _ in clause)
        for kind, value, word in clause:
            if kind == "intensity":
                entry["intensity"] = INTENSITY_WORDS[value]
                if value in LEVEL_UP_WORDS:
                    entry["emotion"] = _level_up(entry["emotion"])
            elif kind == "very_tempo":
                stretch = None  # applied to the next tempo word
            elif kind == "tempo" and not (adverb and value in TEMPO_VERBS):
                seconds, easing = TEMPO_WORDS[value]
                if stretch is None:
                    seconds = seconds * 1.5 if seconds >= 1.0 else seconds * 0.5
                    stretch = 1.0
                entry["transition"], entry["easing"], entry["explicit"] = seconds, easing, True
        for kind, value, word in clause:
            if kind == "hold":
                entry["hold"], entry["hold_explicit"] = value, True
            elif kind == "over":
                entry["transition"], entry["explicit"] = value, True
        entries.append(entry)
    if not entries:
        raise InputError(f"no emotion found in {text!r}; use wheel words such as happy, sad, angry, calm, hopeful")

    if entries[0]["explicit"]:
        entries.insert(0, {"emotion": "neutral", "intensity": 1.0, "transition": 0.0, "easing": DEFAULT_EASING,
                           "hold": 0.0, "explicit": False, "hold_explicit": False})
    else:
        entries[0]["transition"] = 0.0
    keys, time = [], 0.0
    for index, entry in enumerate(entries):
        if index:
            time = time + entries[index - 1]["hold"] + entry["transition"]
        keys.append(TextKey(round(time, 6), entry["emotion"], float(entry["intensity"]),
                            round(float(entry["transition"]), 6), entry["easing"], round(float(entry["hold"]), 6)))
    return keys


def to_emotion_keys(text_keys):
    """:class:`TextKey` list -> timeline :class:`~facemotion.core.animation.timeline.EmotionKey` list (same times,
    transitions, intensities, easings; the ``label`` is None). Returns ``list[EmotionKey]``."""
    return [EmotionKey(time=key.time, emotion=key.emotion, intensity=key.intensity, transition=key.transition,
                       easing=key.easing) for key in text_keys]


def direction_keys(text):
    """A direction sentence -> ``(keys: list[EmotionKey], duration: float seconds)`` ready for
    :func:`~facemotion.core.animation.timeline.bake_timeline` (``duration`` = the last key's time + its hold).
    Raises InputError as :func:`parse_direction` (nothing is returned for words it cannot place)."""
    text_keys = parse_direction(text)
    return to_emotion_keys(text_keys), round(text_keys[-1].time + text_keys[-1].hold, 6)
