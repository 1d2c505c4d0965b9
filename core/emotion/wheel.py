# SPDX-License-Identifier: GPL-3.0-or-later
"""Plutchik's Emotion Wheel as data: primaries with three intensity levels, opposites and the named dyads.

Sources
-------
* R. Plutchik, *Emotion: A Psychoevolutionary Synthesis*, Harper & Row, 1980, and R. Plutchik, "The Nature of
  Emotions", *American Scientist* 89(4):344-350, 2001 (the wheel figure: eight primaries in the order joy, trust,
  fear, surprise, sadness, disgust, anger, anticipation; the milder emotion outside each primary and the more
  intense one inside it; the primary dyads between neighbours; opposites across the wheel).
* The names of the secondary dyads (primaries two apart) and tertiary dyads (three apart) follow Plutchik's table of
  dyads (Plutchik 1980, and *The Emotions*, University Press of America, revised ed. 1991), the table reproduced in
  the Wikipedia article "Robert Plutchik" / "Plutchik's wheel of emotions". Primaries four apart are opposites and
  get no dyad name here (Plutchik treats them as conflicting, not blending).
* [Ma 2025] uses the same eight primaries and dyads for its correlation-driven blends (RESEARCH.md); the
  intensity levels 1-3 are also [ECAvatar 2024]'s levels.

Name clash
----------
Plutchik's primary dyad *contempt* (anger + disgust) is not the EMFACS ``contempt`` preset of
:mod:`.presets` (the unilateral R12A+R14A smirk, one of the classifier's categories). Both are kept:

* ``"contempt"`` (and ``"contemptuous"``) resolves to the EMFACS preset (:data:`PRESET_NAMES`), as it always did;
* Plutchik's dyad is ``"plutchik_contempt"``, also accepted as ``"scorn"`` (Plutchik's own gloss of the dyad).

Mapping onto the presets
------------------------
Each primary uses the preset of the same name in :mod:`.presets` (``joy`` shares ``happy``'s prototype, ``sadness``
``sad``'s). Its three levels follow from the preset (:data:`LEVEL_INTENSITY`, our choice; [ECAvatar 2024] gives no
numbers for its levels): the mild ring is the preset at 0.5, the basic ring (the primary's own name) the preset at
1.0, the intense ring the preset's stronger EMFACS variant (:data:`.presets.INTENSE_FACS`). A named dyad is its two
primaries' presets (no level applies; the key's intensity scales both), the first, dominant, one weighted
:data:`DYAD_MIX` (E1 of [Ma 2025]'s rule, see :mod:`.blending`); the first constituent is the one listed first in
Plutchik's table. Names become weights in :mod:`.vocabulary` (why a basic name is the preset at 1.0: see there).
"""

import difflib
from dataclasses import dataclass

from ..errors import InputError
from .presets import ALIASES as PRESET_ALIASES
from .presets import EMOTIONS as PRESET_EMOTIONS

__all__ = [
    "DYAD_MIX",
    "DYADS",
    "LEVEL_INTENSITY",
    "OPPOSITES",
    "PRESET_NAMES",
    "PRIMARIES",
    "PRIMARY_LEVELS",
    "WHEEL_ALIASES",
    "WheelEmotion",
    "all_names",
    "resolve_wheel_name",
]

#: Plutchik's eight primaries in wheel order (neighbours are adjacent; index i and i + 4 are opposites).
PRIMARIES = ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation")

#: Primary -> (level 1 mild, level 2 basic, level 3 intense) names (Plutchik 1980/2001).
PRIMARY_LEVELS = {
    "joy": ("serenity", "joy", "ecstasy"),
    "trust": ("acceptance", "trust", "admiration"),
    "fear": ("apprehension", "fear", "terror"),
    "surprise": ("distraction", "surprise", "amazement"),
    "sadness": ("pensiveness", "sadness", "grief"),
    "disgust": ("boredom", "disgust", "loathing"),
    "anger": ("annoyance", "anger", "rage"),
    "anticipation": ("interest", "anticipation", "vigilance"),
}

#: Level (1, 2, 3) -> the intensity its prototype is posed at (our choice, see the module docstring): levels 1 and 2
#: pose the primary's preset, level 3 its intense prototype (:func:`.presets.intense_weights`).
LEVEL_INTENSITY = {1: 0.5, 2: 1.0, 3: 1.0}

#: Weight w1 of a named dyad's first (dominant) constituent; w2 = 1 - w1. Our choice: with the [Ma 2025] rule,
#: w1 = 0.5 would make the correlation blend identical to the linear one (both index sets get 0.5/0.5), so a dyad
#: leans on its first constituent (linearly: everywhere; by the correlation rule: outside both index sets, see
#: :mod:`.blending`); explicit pairs ("joy+trust") take any mix.
DYAD_MIX = 0.6

#: Opposite primaries (symmetric: each primary appears once as a key and once as a value).
OPPOSITES = {
    "joy": "sadness",
    "sadness": "joy",
    "trust": "disgust",
    "disgust": "trust",
    "fear": "anger",
    "anger": "fear",
    "surprise": "anticipation",
    "anticipation": "surprise",
}

#: Dyad name -> (first primary, second primary, kind). Kind: "primary" (neighbours), "secondary" (two apart),
#: "tertiary" (three apart). Plutchik's table (see the module docstring).
DYADS = {
    # primary dyads
    "love": ("joy", "trust", "primary"),
    "submission": ("trust", "fear", "primary"),
    "awe": ("fear", "surprise", "primary"),
    "disapproval": ("surprise", "sadness", "primary"),
    "remorse": ("sadness", "disgust", "primary"),
    "plutchik_contempt": ("disgust", "anger", "primary"),  # Plutchik's "contempt"; see the name clash above
    "aggressiveness": ("anger", "anticipation", "primary"),
    "optimism": ("anticipation", "joy", "primary"),
    # secondary dyads
    "guilt": ("joy", "fear", "secondary"),
    "curiosity": ("trust", "surprise", "secondary"),
    "despair": ("fear", "sadness", "secondary"),
    "unbelief": ("surprise", "disgust", "secondary"),
    "envy": ("sadness", "anger", "secondary"),
    "cynicism": ("disgust", "anticipation", "secondary"),
    "pride": ("anger", "joy", "secondary"),
    "hope": ("anticipation", "trust", "secondary"),
    # tertiary dyads
    "delight": ("joy", "surprise", "tertiary"),
    "sentimentality": ("trust", "sadness", "tertiary"),
    "shame": ("fear", "disgust", "tertiary"),
    "outrage": ("surprise", "anger", "tertiary"),
    "pessimism": ("sadness", "anticipation", "tertiary"),
    "morbidness": ("disgust", "joy", "tertiary"),
    "dominance": ("anger", "trust", "tertiary"),
    "anxiety": ("anticipation", "fear", "tertiary"),
}

#: Names of :mod:`.presets` that are not wheel names but are accepted as they are (the EMFACS categories).
PRESET_NAMES = ("neutral", "happy", "sad", "contempt")

#: Other spellings -> wheel or preset name (lower case). The presets' aliases are accepted too.
WHEEL_ALIASES = {
    "scorn": "plutchik_contempt",
    "aggression": "aggressiveness",
    "optimistic": "optimism",
    "hopeful": "hope",
    "loving": "love",
    "proud": "pride",
    "envious": "envy",
    "guilty": "guilt",
    "ashamed": "shame",
    "anxious": "anxiety",
    "curious": "curiosity",
    "cynical": "cynicism",
    "outraged": "outrage",
    "delighted": "delight",
    "pessimistic": "pessimism",
    "remorseful": "remorse",
    "submissive": "submission",
    "dominant": "dominance",
    "sentimental": "sentimentality",
    "awed": "awe",
    "amazed": "amazement",
    "terrified": "terror",
    "enraged": "rage",
    "furious": "rage",
    "annoyed": "annoyance",
    "grieving": "grief",
    "pensive": "pensiveness",
    "bored": "boredom",
    "serene": "serenity",
    "ecstatic": "ecstasy",
    "vigilant": "vigilance",
    "interested": "interest",
    "apprehensive": "apprehension",
    "distracted": "distraction",
    "trusting": "trust",
    "joyful": "joy",
}

_LEVEL_OF = {
    name: (primary, level) for primary, names in PRIMARY_LEVELS.items() for level, name in enumerate(names, start=1)
}


@dataclass(frozen=True)
class WheelEmotion:
    """What a wheel name resolves to.

    ``name``: the canonical name (e.g. ``"ecstasy"``, ``"love"``, ``"joy+trust"``, ``"contempt"``).
    ``kind``: ``"primary"`` (one primary at a level), ``"dyad"`` (a named dyad), ``"pair"`` (an explicit
    ``"a+b"``) or ``"preset"`` (a :mod:`.presets` name that is not on the wheel: neutral, happy, sad, contempt).
    ``components``: ``((preset name, weight), ...)`` with weights summing to 1; for a dyad or pair the first is
    E1, the dominant emotion of [Ma 2025]'s blend, and the second E2. ``intensity``: the preset intensity the
    components are posed at before the key's own intensity multiplies it (a primary's :data:`LEVEL_INTENSITY`;
    1.0 otherwise). ``level``: 1-3 for a primary (3: posed by its intense prototype), else None. ``dyad_kind``:
    "primary"/"secondary"/"tertiary" for a dyad, else None.
    """

    name: str
    kind: str
    components: tuple
    intensity: float = 1.0
    level: int = None
    dyad_kind: str = None

    @property
    def mix(self):
        """w1, the weight of the first component (1.0 for a single one)."""
        return self.components[0][1]

    def describe(self):
        """One line: e.g. ``"love = joy 0.6 + trust 0.4 (primary dyad)"`` or
        ``"serenity = joy level 1 (intensity 0.5)"``."""
        if self.kind == "primary":
            return f"{self.name} = {self.components[0][0]} level {self.level} (intensity {self.intensity:g})"
        if self.kind == "preset":
            return f"{self.name} = preset {self.components[0][0]}"
        parts = " + ".join(f"{name} {weight:g}" for name, weight in self.components)
        what = f"{self.dyad_kind} dyad" if self.kind == "dyad" else "explicit pair"
        return f"{self.name} = {parts} ({what})"


def all_names():
    """Every name :func:`resolve_wheel_name` accepts as a single emotion (canonical names first, then aliases),
    a sorted-by-group tuple of str. Explicit pairs ``"a+b"`` are accepted on top of these."""
    canonical = [name for names in PRIMARY_LEVELS.values() for name in names] + list(DYADS) + list(PRESET_NAMES)
    aliases = [a for a in list(WHEEL_ALIASES) + list(PRESET_ALIASES) if a not in canonical]
    return tuple(dict.fromkeys(canonical + aliases))


def _unknown(name, key):
    close = difflib.get_close_matches(key, all_names(), n=5, cutoff=0.6)
    if any(c.startswith("contempt") for c in close) and "plutchik_contempt" not in close:
        close.append("plutchik_contempt")  # the clash: point at Plutchik's dyad too
    hint = f"; nearest known: {', '.join(close)}" if close else "; see `facemotion emotions` for every name"
    return InputError(f"unknown emotion {name!r}{hint}")


def _single(key, name):
    key = WHEEL_ALIASES.get(key, key)
    if key in _LEVEL_OF:
        primary, level = _LEVEL_OF[key]
        return WheelEmotion(key, "primary", ((primary, 1.0),), LEVEL_INTENSITY[level], level)
    if key in DYADS:
        first, second, kind = DYADS[key]
        return WheelEmotion(key, "dyad", ((first, DYAD_MIX), (second, round(1.0 - DYAD_MIX, 10))), 1.0, dyad_kind=kind)
    preset = PRESET_ALIASES.get(key, key)
    if preset in PRESET_EMOTIONS:
        if preset in _LEVEL_OF:  # an alias of a primary (e.g. "afraid" -> fear)
            return _single(preset, name)
        return WheelEmotion(preset, "preset", ((preset, 1.0),), 1.0)
    raise _unknown(name, key)


def _component(part, name):
    """A pair's component: a primary (any of its level names or aliases) or a preset -> preset name."""
    emotion = _single(part, name)
    if emotion.kind not in ("primary", "preset"):
        raise InputError(
            f"{name!r}: a pair joins two primaries (or presets), and {part!r} is a {emotion.kind}; "
            f"use the dyad's own name or its primaries"
        )
    return emotion.components[0][0]


def resolve_wheel_name(name, mix=None):
    """Resolve an emotion name on the wheel.

    ``name`` (str, case-insensitive, spaces around ignored): a primary at any level (``"serenity"``, ``"joy"``,
    ``"ecstasy"``...), a dyad (``"love"``, ``"plutchik_contempt"``/``"scorn"``, ``"guilt"``...), a preset that is
    not on the wheel (``"neutral"``, ``"contempt"`` = EMFACS's, ``"happy"``, ``"sad"``), an alias
    (:data:`WHEEL_ALIASES`, the presets' aliases), or an explicit pair ``"a+b"`` of two primaries/presets, E1 = a.
    ``mix``: w1 in [0, 1] for a pair or a dyad (default 0.5 for a pair, :data:`DYAD_MIX` for a dyad); not allowed
    for a single emotion.

    Returns :class:`WheelEmotion`. Raises InputError: not a str; unknown name (lists the nearest known names,
    ``difflib.get_close_matches``); a pair of the same emotion twice, with a dyad inside, or of more than two parts;
    ``mix`` outside [0, 1] or given for a single emotion.
    """
    if not isinstance(name, str):
        raise InputError(f"emotion must be a name (str), got {type(name).__name__}")
    key = name.strip().lower().replace(" ", "")
    if mix is not None:
        try:
            mix = float(mix)
        except (TypeError, ValueError):
            raise InputError(f"mix must be a number in [0, 1], got {mix!r}") from None
        if not 0.0 <= mix <= 1.0:
            raise InputError(f"mix {mix!r} for {name!r} is outside [0, 1] (the weight of the first emotion)")
    if "+" in key:
        parts = key.split("+")
        if len(parts) != 2 or not all(parts):
            raise InputError(f"{name!r}: an explicit pair is two names joined by '+', e.g. 'joy+trust'")
        first, second = (_component(part, name) for part in parts)
        if first == second:
            raise InputError(f"{name!r} names the same emotion twice; a pair needs two different emotions")
        w1 = 0.5 if mix is None else mix
        return WheelEmotion(f"{first}+{second}", "pair", ((first, w1), (second, round(1.0 - w1, 10))), 1.0)
    emotion = _single(key, name)
    if mix is not None:
        if emotion.kind != "dyad":
            raise InputError(f"mix is for a dyad or a pair ('a+b'); {name!r} is a single emotion")
        (first, _), (second, _) = emotion.components
        emotion = WheelEmotion(
            emotion.name, "dyad", ((first, mix), (second, round(1.0 - mix, 10))), 1.0, dyad_kind=emotion.dyad_kind
        )
    return emotion
