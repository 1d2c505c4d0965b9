# SPDX-License-Identifier: GPL-3.0-or-later
"""FACS action units and their mapping onto the 52 Apple ARKit blendshapes.

Sources
-------
* Action unit numbers and names: Ekman, Friesen & Hager, *Facial Action Coding System* (2002 manual), the FACS list in
  RESEARCH.md ("Field standards we use").
* AU -> shape table: ICT-FaceKit's README, "Our expression shapes closest relation to FACS units" (ICT uses ARKit names
  with ``_L``/``_R``), checked against the one-line descriptions of Apple's ``ARFaceAnchor.BlendShapeLocation``
  (e.g. ``mouthUpperUpLeft``: "upward movement of the upper lip on the left side"). Where the two disagree or ICT
  has no row, the choice and its reason are written beside the entry in :data:`AU_TO_ARKIT`.

Sides
-----
ARKit's ``...Left``/``...Right`` are the subject's own sides (Apple: ``eyeLookInLeft`` is "movement of the left
eyelids consistent with a rightward gaze", i.e. the left eye turning towards the nose); ICT's ``_L``/``_R`` follow
the same convention, and so do FACS's ``L``/``R`` unilateral prefixes. So ``"R12"`` (right lip corner puller) drives
``mouthSmileRight`` only. A unilateral AU on a channel that ARKit does not split (``browInnerUp``, ``jawOpen``,
``mouthShrugLower``, ``mouthPucker``...) contributes half its weight: one side of a bilateral muscle moves about half
the tissue the single shape was sculpted for.

Intensity
---------
FACS scores intensity with the letters A (trace), B (slight), C (marked or pronounced), D (severe or extreme) and
E (maximum). The manual's letter ranges are not evenly wide (C spans the most), but a rig needs one number per
letter: we use evenly spaced values A=0.2, B=0.4, C=0.6, D=0.8, E=1.0 (:data:`INTENSITY_LETTERS`), so an AU
without a letter is at E.

AU codes
--------
An AU is written like the FACS literature: ``"12"``, ``"AU12"``, ``"R12"``, ``"L14A"``, ``"5B"`` (case-insensitive;
spaces ignored), or as an ``int``. A whole prototype is written ``"1+2+5B+26"`` (:func:`parse_facs_code`).
The canonical key form (what :func:`parse_facs_code` and :func:`canonical_au_key` return) is the number with an
optional side prefix and no letter: ``"12"``, ``"R12"``.
"""

import re

import numpy as np

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..errors import InputError

__all__ = [
    "AU_NAMES",
    "AU_TO_ARKIT",
    "INTENSITY_LETTERS",
    "au_vector",
    "aus_to_arkit",
    "canonical_au_key",
    "parse_au",
    "parse_facs_code",
]

#: FACS intensity letters -> weight in [0, 1] (evenly spaced; see the module docstring).
INTENSITY_LETTERS = {"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.8, "E": 1.0}

#: FACS action units (and the eye-position codes 61-64) this module can map, number -> FACS name.
AU_NAMES = {
    1: "Inner brow raiser",
    2: "Outer brow raiser",
    4: "Brow lowerer",
    5: "Upper lid raiser",
    6: "Cheek raiser",
    7: "Lid tightener",
    9: "Nose wrinkler",
    10: "Upper lip raiser",
    11: "Nasolabial deepener",
    12: "Lip corner puller",
    14: "Dimpler",
    15: "Lip corner depressor",
    16: "Lower lip depressor",
    17: "Chin raiser",
    18: "Lip pucker",
    20: "Lip stretcher",
    22: "Lip funneler",
    23: "Lip tightener",
    24: "Lip pressor",
    25: "Lips part",
    26: "Jaw drop",
    27: "Mouth stretch",
    28: "Lip suck",
    29: "Jaw thrust",
    33: "Cheek blow",
    34: "Cheek puff",
    41: "Lid droop",
    42: "Slit",
    43: "Eyes closed",
    45: "Blink",
    61: "Eyes turn left",
    62: "Eyes turn right",
    63: "Eyes up",
    64: "Eyes down",
}


def _both(base, weight=1.0):
    """``{baseLeft: weight, baseRight: weight}``: a bilateral AU on a left/right pair of ARKit shapes."""
    return {base + "Left": weight, base + "Right": weight}


#: AU number -> {ARKit name: weight at full intensity (E)}. Several AUs on one channel add up (linear blendshapes),
#: and :func:`aus_to_arkit` clips the sum to [0, 1].
AU_TO_ARKIT = {
    1: {"browInnerUp": 1.0},  # ICT: browInnerUp_L + _R (ARKit has one shape)
    2: _both("browOuterUp"),  # ICT
    4: _both("browDown"),  # ICT
    5: _both("eyeWide"),  # ICT
    # ICT maps AU6 to cheekSquint alone; the cheek raiser (orbicularis oculi, pars orbitalis) also pushes the lower
    # lid up, which ARKit models with eyeSquint, so a little of it makes the Duchenne "smiling eyes" read.
    6: {**_both("cheekSquint"), **_both("eyeSquint", 0.3)},
    7: _both("eyeSquint"),  # ICT
    # AU9's levator labii alaeque nasi also lifts the upper lip (FACS manual), hence a little mouthUpperUp.
    9: {**_both("noseSneer"), **_both("mouthUpperUp", 0.3)},
    # ICT maps AU10 to mouthShrugUpper and AU11 to mouthUpperUp; Apple describes mouthUpperUp as the upward movement
    # of the upper lip, which is AU10's definition. We follow Apple and blend in ICT's shape at 0.3.
    10: {**_both("mouthUpperUp"), "mouthShrugUpper": 0.3},
    11: _both("mouthUpperUp", 0.5),  # ICT's shape; a nasolabial deepener moves the lip less than AU10
    12: _both("mouthSmile"),  # ICT
    14: _both("mouthDimple"),  # ICT
    15: _both("mouthFrown"),  # ICT
    16: _both("mouthLowerDown"),  # ICT
    17: {"mouthShrugLower": 1.0},  # ICT
    18: {"mouthPucker": 1.0},  # ICT
    20: _both("mouthStretch"),  # ICT
    22: {"mouthFunnel": 1.0},  # ICT
    # No ICT row. AU23 tightens and narrows the lips and thins their red parts: lip press (tension), a little pucker
    # (narrowing) and a little roll-in of both lips (thinner red).
    23: {**_both("mouthPress", 0.5), "mouthPucker": 0.2, "mouthRollUpper": 0.25, "mouthRollLower": 0.25},
    24: _both("mouthPress"),  # ICT
    # No ICT row. Lips apart without a jaw drop: lower lip down, upper lip up a little, jaw barely open (ARKit's
    # mouthClose, lips closed over an open jaw, stays 0).
    25: {**_both("mouthLowerDown", 0.3), **_both("mouthUpperUp", 0.1), "jawOpen": 0.1},
    # ICT maps AU27 (mouth stretch, the jaw pulled wide) to jawOpen; AU26 is the relaxed jaw drop, a smaller
    # opening: 0.75 of the same shape.
    26: {"jawOpen": 0.75},
    27: {"jawOpen": 1.0, **_both("mouthStretch", 0.3)},
    28: {"mouthRollLower": 1.0, "mouthRollUpper": 1.0},  # ICT
    29: {"jawForward": 1.0},  # ICT
    33: {"cheekPuff": 1.0},  # ICT
    34: {"cheekPuff": 1.0},  # cheek puff: same ARKit shape as AU33
    # Lid droop / slit / closed are increasing degrees of the same lid closure (FACS 41 < 42 < 43).
    41: _both("eyeBlink", 0.3),
    42: _both("eyeBlink", 0.6),
    43: _both("eyeBlink"),
    45: _both("eyeBlink"),  # ICT
    61: {"eyeLookOutLeft": 1.0, "eyeLookInRight": 1.0},  # ICT
    62: {"eyeLookOutRight": 1.0, "eyeLookInLeft": 1.0},  # ICT
    63: _both("eyeLookUp"),  # ICT
    64: _both("eyeLookDown"),  # ICT
}

_AU_RE = re.compile(r"^([LR])?(?:AU)?(\d{1,2})([A-E])?$")


def parse_au(code):
    """Parse one AU code into ``(au: int, side: 'L' | 'R' | None, letter_intensity: float | None)``.

    ``code``: ``"12"``, ``"AU12"``, ``"R12"``, ``"L14A"``, ``"5B"`` (case-insensitive, spaces ignored) or an ``int``.
    Raises InputError: malformed code, or an AU this module does not map (the message lists the supported ones).
    """
    if isinstance(code, (int, np.integer)) and not isinstance(code, bool):
        au, side, letter = int(code), None, None
    elif isinstance(code, str):
        match = _AU_RE.match(code.replace(" ", "").upper())
        if match is None:
            raise InputError(
                f"malformed FACS action unit {code!r}; write it like '12', 'AU12', 'R12' or '5B' "
                f"(optional L/R side, AU number, optional intensity letter A-E)"
            )
        side, au, letter = match.group(1), int(match.group(2)), match.group(3)
    else:
        raise InputError(f"FACS action unit must be a string like 'AU12' or an int, got {type(code).__name__}")
    if au not in AU_TO_ARKIT:
        raise InputError(
            f"unsupported FACS action unit {code!r}; supported AUs: {', '.join(str(n) for n in AU_TO_ARKIT)}"
        )
    return au, side, (INTENSITY_LETTERS[letter] if letter else None)


def canonical_au_key(au, side=None):
    """The canonical key of an AU: ``"12"`` (bilateral) or ``"R12"`` / ``"L12"`` (unilateral). Returns str."""
    return f"{side or ''}{int(au)}"


def _intensity_value(value, code):
    if isinstance(value, str):
        letter = value.strip().upper()
        if letter not in INTENSITY_LETTERS:
            raise InputError(f"AU {code!r}: intensity {value!r} is not a FACS letter A-E nor a number in [0, 1]")
        return INTENSITY_LETTERS[letter]
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"AU {code!r}: intensity {value!r} is not a number in [0, 1]") from None
    if not np.isfinite(number) or not 0.0 <= number <= 1.0:
        raise InputError(f"AU {code!r}: intensity {value!r} is outside [0, 1]; use 0 (off) to 1 (FACS E, maximum)")
    return number


def parse_facs_code(code):
    """Parse a FACS expression code such as ``"1+2+5B+26"`` or ``"R12A+R14A"``.

    Returns ``dict[str, float]``: canonical AU key (``"5"``, ``"R12"``) -> intensity in [0, 1] (the letter's value,
    1.0 without a letter). An empty string (or ``"0"``, FACS for a neutral face) gives ``{}``.
    Raises InputError: a malformed or unsupported AU, or the same AU twice.
    """
    result = {}
    text = code.strip()
    if text in ("", "0"):
        return result
    for part in text.split("+"):
        au, side, letter = parse_au(part)
        key = canonical_au_key(au, side)
        if key in result:
            raise InputError(f"FACS code {code!r} lists AU {key} twice; give each AU once")
        result[key] = 1.0 if letter is None else letter
    return result


def au_vector(au, side=None):
    """The ARKit weights of one AU at full intensity: ``np.ndarray (52,) float32`` in ARKit order.

    ``side``: None (bilateral), ``'L'`` or ``'R'`` (only that side's channels; unsplit channels at half weight).
    Raises InputError: unsupported AU or side.
    """
    if side not in (None, "L", "R"):
        raise InputError(f"AU side must be 'L', 'R' or None, got {side!r}")
    au, _, _ = parse_au(int(au))
    out = np.zeros(len(ARKIT_NAMES), np.float32)
    drop = {"L": "Right", "R": "Left"}.get(side)
    for name, weight in AU_TO_ARKIT[au].items():
        if side is not None:
            if name.endswith(drop):
                continue
            if not name.endswith(("Left", "Right")):
                weight = 0.5 * weight  # unsplit ARKit shape: one side of the muscle moves about half of it
        out[ARKIT_INDEX[name]] += weight
    return out


def aus_to_arkit(aus):
    """ARKit blendshape weights for a set of FACS action units.

    ``aus``: mapping AU code -> intensity, e.g. ``{"6": 0.7, "12": 0.9}``, ``{"R12A": 1, "R14A": 1}`` or
    ``{"AU5": "B"}``. Codes as in :func:`parse_au`; an intensity is a number in [0, 1] or a letter A-E; a letter in
    the code and the value multiply (``{"5B": 0.5}`` is 0.2). A FACS code string (``"1+2+5B+26"``) is accepted too.

    Each AU adds ``intensity * AU_TO_ARKIT[au]`` (unilateral AUs per :func:`au_vector`); the sum is clipped to [0, 1].
    Returns ``np.ndarray (52,) float32`` in :data:`~facemotion.core.arkit.ARKIT_NAMES` order.
    Raises InputError: malformed or unsupported AU, intensity not a number/letter in [0, 1].
    """
    if isinstance(aus, str):
        aus = parse_facs_code(aus)
    if not hasattr(aus, "items"):
        raise InputError(
            f"FACS action units must be a dict like {{'12': 0.8}} or a code like '6+12', got {type(aus).__name__}"
        )
    out = np.zeros(len(ARKIT_NAMES), np.float64)
    for code, value in aus.items():
        au, side, letter = parse_au(code)
        intensity = _intensity_value(value, code) * (1.0 if letter is None else letter)
        out += intensity * au_vector(au, side)
    return np.clip(out, 0.0, 1.0).astype(np.float32)
