# SPDX-License-Identifier: GPL-3.0-or-later
"""Emotion presets: one ARKit weight prototype per emotion, built from FACS action units through :mod:`.facs`.

Where the prototypes come from
------------------------------
* The eight classification categories are ECAvatar's ([ECAvatar 2024]: neutral, happy, angry, sad, fear, surprise,
  disgust, contempt; we spell "angry" as the preset ``anger``). Their action units are the EMFACS prototypes listed
  in RESEARCH.md: happiness 6+12, sadness 1+4+15(+17), surprise 1+2+5B+26 (we pose its 1+2+5B+25+27 variant),
  fear 1+2+4+5+7+20+26, anger 4+5+7+23(+24), disgust 9+15+16(+10), contempt
  R12A+R14A (unilateral).
* Plutchik's eight primaries ([Ma 2025]: joy, trust, fear, surprise, sadness, disgust, anger, anticipation). Joy and
  sadness are the basic emotions happiness and sadness: ``joy`` shares ``happy``'s prototype, ``sadness`` shares
  ``sad``'s (both names are presets). Fear, surprise, disgust and anger are the same presets. Trust and anticipation
  have no EMFACS prototype; [Ma 2025] curates its per-primary database "with FACS" without listing the AUs, so ours
  are chosen here (reasons in :data:`PRESET_FACS`'s comments).

Strength: a prototype reads on one frame
----------------------------------------
The AUs follow the EMFACS codes, optional AUs in brackets included; the intensity of each AU is ours, chosen so the
preset at intensity 1.0 reads on a *single* plain render of any head, judged alone (issue 17): a viewer who sees one
frame of an angry face must see brows down and drawn together (AU4 at E), tight lids (AU7 at E) and pressed lips
(AU23 + AU24) under glaring lids (AU5 at D); of a sad face the inner brows up (AU1 at E), the corners down (AU15 at
E) and the chin raised (AU17 at E); of a surprised face the jaw dropped wide (AU27, lips parted: AU25); of a fearful
face brows raised *and* drawn together (AU1+2 with AU4 at E) over stretched lips (AU20). Weaker prototypes read only
against the head's own rest pose. The values were chosen by measuring: ``tools/evaluate_emotion.py readability``
(six heads that are not ICT identities, each preset at 1.0 and 0.6, each render judged alone) read 68 of 84 poses
with the previous prototypes (sad AU17 0.6, surprise 1+2+5B+26, fear AU4 0.55, anger AU5 0.35 and AU24 0.7, contempt
R12 0.6 + R14 0.8) and 80 of 84 with these; the four left are MediaPipe's canonical face, a mask without eyeballs or
a mouth opening (its rig leaves jawOpen empty), whose surprise and fear cannot show. The ceilings are the mesh's: no
channel is pushed past 1 (the shapes are sculpted for 0..1) and mouth-closing AUs (23, 24) stay off prototypes that
open the jaw, so lips never press through the teeth. Letters in the EMFACS codes are kept where they carry meaning:
surprise's ``5B`` (lids raised only slightly, 0.4) against fear's strong 5 (1.0) is one of the cues that tell the
two apart. Contempt's EMFACS R12A+R14A is a trace (0.2) that does not show on a rendered head, so the preset raises
both (R12 at E, R14 at C) and stays unilateral: more dimpler than corner puller reads as a smile on wide heads.

Intensity means what it says: ``preset_weights(name, i)`` is ``i`` times the prototype, so 0.5 is half the face.

Plutchik's intense ring (:data:`INTENSE_FACS`, :func:`intense_weights`) is each primary's prototype with the
stronger EMFACS variant's AUs added or raised (e.g. rage: anger 4+5+7+10+22+23+25+26, the bared-teeth variant).

Names are case-insensitive, and a few common aliases are accepted (:data:`ALIASES`: ``happiness``, ``angry``,
``surprised``, ``afraid``...).
"""

import numpy as np

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..errors import InputError
from .facs import aus_to_arkit

__all__ = [
    "ALIASES",
    "CATEGORIES",
    "EMOTIONS",
    "INTENSE_FACS",
    "PLUTCHIK_PRIMARIES",
    "PRESET_FACS",
    "check_intensity",
    "intense_weights",
    "preset_aus",
    "preset_weights",
    "resolve_emotion",
    "weights_from_blendshape_scores",
]

_HAPPY = {"6": 0.8, "12": 1.0}
_SAD = {"1": 1.0, "4": 0.25, "15": 1.0, "17": 1.0}

#: Preset name -> FACS action units (canonical key -> intensity in [0, 1]) at the preset's full intensity.
PRESET_FACS = {
    "neutral": {},
    "happy": _HAPPY,  # EMFACS 6+12
    # EMFACS 1+4+15+17 (AU4 at A-B: a knit, not a low brow; AU17 at E: the raised, wrinkled chin that tells sadness
    # from the anger a knit brow alone suggests at 0.6)
    "sad": _SAD,
    # EMFACS 1+2+5B+25+27: the open-mouthed variant (AU27's jaw pulled wide open, the lips parted), so that the jaw
    # still reads at 0.6 (AU26 alone, jawOpen 0.75, fell to 0.45: read as a neutral face)
    "surprise": {"1": 1.0, "2": 1.0, "5": 0.4, "25": 1.0, "27": 1.0},
    # EMFACS 1+2+4+5+7+20+26, AU4 at E: the brows drawn together while raised, the cue that tells fear from surprise
    "fear": {"1": 1.0, "2": 0.6, "4": 1.0, "5": 1.0, "7": 0.3, "20": 1.0, "26": 0.5},
    "disgust": {"9": 1.0, "10": 0.5, "15": 0.6, "16": 0.4},  # EMFACS 9+15+16 (+10)
    # EMFACS 4+5+7+23+24: AU5 at D, the glare of raised upper lids over tightened lower lids (with AU5 at 0.35 the
    # stylised head's anger read as happy); AU24 at E. No AU17 (the 4+5+7+17+23 variant): the shipped models read a
    # raised chin as sadness on ICT heads.
    "anger": {"4": 1.0, "5": 0.8, "7": 1.0, "23": 1.0, "24": 1.0},
    # EMFACS R12A+R14A, raised to be visible: R12 at E, R14 at C (more R14 than R12 reads as a smile on wide heads)
    "contempt": {"R12": 1.0, "R14": 0.6},
    "joy": _HAPPY,  # Plutchik's joy = happiness
    # Trust: Plutchik's affiliative primary next to joy (joy + trust = love) and opposite disgust. We give it a
    # soft, closed-lip smile: AU6+AU12 low (the warmth of joy without its intensity) plus AU24 lip press, the mark
    # of the affiliative smile in Rychlowska et al., "Functional smiles: tools for love, sympathy, and war",
    # Psychological Science 28(9), 2017. Nothing tense: no AU4, AU7 or AU23.
    "trust": {"6": 0.3, "12": 0.45, "24": 0.3},
    "sadness": _SAD,  # Plutchik's sadness = sad
    # Anticipation: Plutchik places it opposite surprise and between anger and joy (anger + anticipation =
    # aggressiveness, anticipation + joy = optimism). So we mirror surprise's AUs: brows drawn slightly down in focus
    # (AU4 low, the brow lowering of concentration) instead of raised (1+2); eyes alert but not startled (AU5 low);
    # mouth held shut and pressed (AU24 + AU17, readiness) instead of the jaw drop (26). Lower intensities than
    # anger's 4+5+7+23, and no AU7/AU23 tension, keep it from reading as anger.
    "anticipation": {"4": 0.35, "5": 0.35, "24": 0.4, "17": 0.25},
}

#: Plutchik's primary -> its intense ring's AUs: the preset's AUs with the stronger EMFACS variant's added or raised
#: (Ekman & Friesen's EMFACS variants; trust and anticipation, which have none, are their presets at E-ward values).
INTENSE_FACS = {
    "joy": {**_HAPPY, "6": 1.0, "25": 1.0, "26": 0.4},  # ecstasy: 6+12+25+26, a laugh
    "trust": {**PRESET_FACS["trust"], "6": 0.5, "12": 0.7, "24": 0.45},  # admiration: a fuller warm smile
    "fear": {"1": 1.0, "2": 0.8, "4": 1.0, "5": 1.0, "7": 0.3, "20": 1.0, "27": 0.7},  # terror: 1+2+4+5+7+20+27
    "surprise": {**PRESET_FACS["surprise"], "5": 0.8},  # amazement: 1+2+5D+25+27, the lids raised high
    # grief: 1+4+15+17 at E with AU6 and a lid droop (AU41), the narrowed eyes of crying
    "sadness": {**_SAD, "4": 0.7, "6": 0.5, "41": 1.0},
    "disgust": {**PRESET_FACS["disgust"], "10": 0.9, "15": 0.8, "16": 0.6, "4": 0.4},  # loathing: 4+9+10+15+16
    # rage: EMFACS anger 4+5+7+10+22+23+25+26, the bared teeth of a shout; AU24 dropped (it would close the lips
    # through the open jaw).
    "anger": {"4": 1.0, "5": 0.8, "7": 1.0, "10": 0.8, "22": 0.3, "23": 0.4, "25": 1.0, "26": 0.5},
    "anticipation": {**PRESET_FACS["anticipation"], "4": 0.5, "5": 0.6, "24": 0.6, "17": 0.35},  # vigilance
}

#: Every preset name, in a stable order: the 8 categories, then the Plutchik primaries not already listed.
EMOTIONS = (
    "neutral",
    "happy",
    "sad",
    "surprise",
    "fear",
    "disgust",
    "anger",
    "contempt",
    "joy",
    "trust",
    "sadness",
    "anticipation",
)

#: The 8 classification categories of [ECAvatar 2024] (its "angry" is the preset ``anger``).
CATEGORIES = ("neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt")

#: Plutchik's eight primary emotions, in wheel order [Ma 2025].
PLUTCHIK_PRIMARIES = ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation")

#: Other accepted spellings (lower case) -> preset name.
ALIASES = {
    "happiness": "happy",
    "angry": "anger",
    "sorrow": "sad",
    "surprised": "surprise",
    "fearful": "fear",
    "afraid": "fear",
    "scared": "fear",
    "disgusted": "disgust",
    "contemptuous": "contempt",
}

_PROTOTYPES = {name: aus_to_arkit(aus) for name, aus in PRESET_FACS.items()}
_INTENSE = {name: aus_to_arkit(aus) for name, aus in INTENSE_FACS.items()}
for _weights in (*_PROTOTYPES.values(), *_INTENSE.values()):
    _weights.setflags(write=False)


def resolve_emotion(name):
    """The preset name for ``name`` (case-insensitive, surrounding spaces ignored, :data:`ALIASES` applied).

    Returns str (one of :data:`EMOTIONS`). Raises InputError naming the unknown emotion and listing the valid names.
    """
    if not isinstance(name, str):
        raise InputError(f"emotion must be a name (str), got {type(name).__name__}; valid: {', '.join(EMOTIONS)}")
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in _PROTOTYPES:
        raise InputError(f"unknown emotion {name!r}; valid emotions: {', '.join(EMOTIONS)}")
    return key


def preset_aus(name):
    """The FACS action units of a preset at full intensity: a new ``dict[str, float]`` (canonical AU key, e.g.
    ``"12"`` or ``"R12"``, -> intensity in [0, 1]); ``{}`` for neutral. Raises InputError: unknown emotion."""
    return dict(PRESET_FACS[resolve_emotion(name)])


def check_intensity(intensity, name):
    """An emotion's intensity as a float in [0, 1]. Raises InputError (naming emotion ``name``): not a finite number
    in [0, 1]."""
    try:
        value = float(intensity)
    except (TypeError, ValueError):
        raise InputError(f"emotion intensity must be a number in [0, 1], got {intensity!r}") from None
    if not np.isfinite(value) or not 0.0 <= value <= 1.0:
        raise InputError(f"emotion intensity {intensity!r} for {name!r} is outside [0, 1]; use 0 (neutral) to 1 (full)")
    return value


def _scaled(table, key, intensity):
    return (table[key] * np.float32(check_intensity(intensity, key))).astype(np.float32)


def preset_weights(name, intensity=1.0):
    """ARKit weights of an emotion preset: ``intensity * prototype``.

    ``name``: preset or alias (case-insensitive). ``intensity``: 0 (neutral face) to 1 (the full prototype);
    the result is linear in it. Returns a new ``np.ndarray (52,) float32`` in ARKit order, values in [0, 1].
    Raises InputError: unknown emotion (lists the valid names); intensity not a finite number in [0, 1].
    """
    return _scaled(_PROTOTYPES, resolve_emotion(name), intensity)


def intense_weights(primary, intensity=1.0):
    """ARKit weights of Plutchik's intense ring of ``primary`` (``"joy"`` -> ecstasy, ``"anger"`` -> rage...):
    ``intensity *`` the AUs of :data:`INTENSE_FACS`. ``primary``: one of :data:`PLUTCHIK_PRIMARIES` or an alias of
    one. Returns a new ``np.ndarray (52,) float32`` in ARKit order, values in [0, 1].
    Raises InputError: not a Plutchik primary; intensity not a finite number in [0, 1]."""
    key = resolve_emotion(primary)
    if key not in _INTENSE:
        raise InputError(f"{primary!r} has no intense ring; Plutchik's primaries are {', '.join(PLUTCHIK_PRIMARIES)}")
    return _scaled(_INTENSE, key, intensity)


def weights_from_blendshape_scores(scores):
    """MediaPipe Face Landmarker blendshape scores -> ARKit weights (to pose a rig like a photo).

    ``scores``: mapping name -> score, MediaPipe's 52 categories (``_neutral`` + 51 ARKit names; names are ARKit's,
    so they are taken as they are). ``_neutral`` is ignored; ``tongueOut``, which MediaPipe does not output, is 0
    unless given. Scores are clipped to [0, 1] (the model's outputs can stray a hair outside).
    Returns ``np.ndarray (52,) float32`` in ARKit order.
    Raises InputError: an unknown name, a missing ARKit name (other than tongueOut), or a non-finite score.
    """
    if not hasattr(scores, "items"):
        raise InputError(f"blendshape scores must be a dict of name -> score, got {type(scores).__name__}")
    out = np.zeros(len(ARKIT_NAMES), np.float32)
    seen = set()
    for name, score in scores.items():
        if name == "_neutral":
            continue
        if name not in ARKIT_INDEX:
            raise InputError(f"unknown blendshape name {name!r}; expected MediaPipe's ARKit names (e.g. 'jawOpen')")
        value = float(score)
        if not np.isfinite(value):
            raise InputError(f"blendshape score for {name!r} is {score!r}; scores must be finite numbers")
        out[ARKIT_INDEX[name]] = min(max(value, 0.0), 1.0)
        seen.add(name)
    missing = [n for n in ARKIT_NAMES if n not in seen and n != "tongueOut"]
    if missing:
        raise InputError(
            f"blendshape scores lack {len(missing)} ARKit name(s): {', '.join(missing[:6])}"
            f"{'...' if len(missing) > 6 else ''}; pass all of MediaPipe's 52 scores"
        )
    return out
