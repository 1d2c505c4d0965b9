# SPDX-License-Identifier: GPL-3.0-or-later
"""User presets of wheel expressions (the Emotion panel's Save Expression): JSON files ``expression_<name>.json`` in
the user presets folder of :mod:`.presets`, written atomically.

Format: ``{"kind": "expression", "name", "mode", "emotion" (wheel name or pair), "mix" (or null), "blend",
"intensity", "weights": {ARKit name: value}}``, the weights being what the expression poses (for other tools;
:func:`facemotion.core.emotion.vocabulary.emotion_pose`, the face a timeline key of that name poses too).
"""

import json

from ...core.arkit import ARKIT_NAMES
from ...core.emotion.vocabulary import emotion_pose, resolve_wheel_name
from ...core.errors import InputError
from ...core.io.atomic_io import atomic_write_text
from ..emotion_names import WHEEL_PAIR_ITEMS, wheel_choice
from . import presets
from .properties import settings

__all__ = ["KIND", "list_expression_presets", "load_expression_preset", "save_expression_preset"]

KIND = "expression"


def list_expression_presets():
    """Sorted names of the saved expression presets."""
    return presets.list_presets(KIND)


def save_expression_preset(scene, name):
    """Save the scene's wheel choice (:func:`.emotion_names.wheel_choice`) as preset ``name``; returns the Path.
    Raises InputError: bad name or choice."""
    props = settings(scene)
    emotion, mix, blend, intensity = wheel_choice(props)
    weights = emotion_pose(emotion, intensity, mix=mix, blend=blend)
    doc = {
        "kind": KIND,
        "name": str(name).strip(),
        "mode": props.wheel_mode,
        "emotion": emotion,
        "mix": mix,
        "blend": blend,
        "intensity": intensity,
        "weights": {n: float(w) for n, w in zip(ARKIT_NAMES, weights)},
    }
    return atomic_write_text(presets._path(KIND, name), json.dumps(doc, indent=1))


def load_expression_preset(scene, name):
    """Set the scene's wheel choice from preset ``name``; returns the expression's name.
    Raises InputError: missing or malformed preset (the settings are unchanged then)."""
    doc = presets._read(KIND, name)
    emotion, mix, blend, intensity = (doc.get(k) for k in ("emotion", "mix", "blend", "intensity"))
    try:
        wheel = resolve_wheel_name(emotion, mix)
        emotion_pose(emotion, float(intensity), mix=mix, blend=blend)
    except (InputError, TypeError, ValueError) as exc:
        raise InputError(f"expression preset {name!r} is malformed: {exc}") from None
    props = settings(scene)
    pair = [c for c, _ in wheel.components] if wheel.kind == "pair" else []
    if any(c not in {item[0] for item in WHEEL_PAIR_ITEMS} for c in pair):
        raise InputError(
            f"expression preset {name!r}: the panel's pairs take Plutchik primaries (or contempt), not {emotion!r}"
        )
    if wheel.kind == "primary":
        primary = wheel.components[0][0]
        props.wheel_mode, props.wheel_primary, props.wheel_level = "PRIMARY", primary, str(wheel.level)
    elif wheel.kind == "dyad":
        props.wheel_mode, props.wheel_dyad, props.wheel_mix = "DYAD", wheel.name, wheel.mix
    elif wheel.kind == "pair":
        (first, w1), (second, _) = wheel.components
        props.wheel_mode, props.wheel_first, props.wheel_second, props.wheel_mix = "PAIR", first, second, w1
    else:
        raise InputError(f"expression preset {name!r}: {emotion!r} is not a wheel expression")
    props.wheel_blend, props.wheel_intensity = blend, float(intensity)
    return wheel.name
