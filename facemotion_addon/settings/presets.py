# SPDX-License-Identifier: GPL-3.0-or-later
"""User presets: the current emotion (name, intensity and its 52 ARKit weights) and a rigged object's timeline, as
JSON.

Folder (:func:`presets_dir`): ``$FACEMOTION_PRESETS`` when set (tests point it at a temporary folder); else, installed
as an extension, ``bpy.utils.extension_path_user(<package>, path="presets", create=True)``; else (a checkout, the
module) ``facemotion.core.io.assets.cache_dir("presets")``. One file per preset: ``emotion_<name>.json`` or
``timeline_<name>.json``, written atomically (:mod:`facemotion.core.io.atomic_io`).

Formats: emotion ``{"kind": "emotion", "name", "emotion", "intensity", "weights": {ARKit name: value}}``;
timeline ``{"kind": "timeline", "name", ...}`` plus the timeline JSON of
:func:`facemotion.core.animation.timeline.keys_to_json` (``fps``, ``keys``, ``blinks``, ``noise``).
"""

import json
import os
import re
from pathlib import Path

import bpy

from ...core.animation.timeline import keys_from_json, keys_to_json
from ...core.arkit import ARKIT_NAMES
from ...core.emotion.presets import EMOTIONS, preset_weights
from ...core.errors import InputError
from ...core.io import assets
from ...core.io.atomic_io import atomic_write_text
from ..emotion_names import wheel_key_fields
from .preferences import ROOT_PACKAGE
from .properties import object_settings, settings, timeline_settings

#: Environment variable overriding the presets folder.
ENV_PRESETS = "FACEMOTION_PRESETS"
KINDS = ("emotion", "timeline", "expression")  # expression: wheel_presets.py (the Emotion panel's wheel)
_NAME = re.compile(r"^[\w\- ]{1,64}$")


def presets_dir():
    """The folder user presets are read from and saved to (created); see the module docstring. Returns a Path."""
    override = os.environ.get(ENV_PRESETS)
    if override:
        path = Path(override)
        path.mkdir(parents=True, exist_ok=True)
        return path
    if ROOT_PACKAGE.startswith("bl_ext."):
        return Path(bpy.utils.extension_path_user(ROOT_PACKAGE, path="presets", create=True))
    return assets.cache_dir("presets")


def _path(kind, name):
    if kind not in KINDS:
        raise InputError(f"unknown preset kind {kind!r}; use one of {', '.join(KINDS)}")
    name = str(name).strip()
    if not _NAME.match(name):
        raise InputError(f"preset name {name!r}: use 1-64 letters, digits, spaces, '-' or '_'")
    return presets_dir() / f"{kind}_{name}.json"


def list_presets(kind):
    """Sorted names of the saved presets of ``kind`` (``'emotion'`` or ``'timeline'``)."""
    if kind not in KINDS:
        raise InputError(f"unknown preset kind {kind!r}; use one of {', '.join(KINDS)}")
    prefix = f"{kind}_"
    return sorted(p.stem[len(prefix) :] for p in presets_dir().glob(f"{prefix}*.json"))


def _read(kind, name):
    path = _path(kind, name)
    if not path.is_file():
        raise InputError(f"no {kind} preset named {name!r} in {path.parent}")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{kind} preset {path} is not readable JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("kind") != kind:
        raise InputError(f"{path} is not a facemotion {kind} preset")
    return doc


def save_emotion_preset(scene, name):
    """Save the scene's emotion and intensity (with the 52 weights they give) as preset ``name``; returns the Path."""
    props = settings(scene)
    weights = preset_weights(props.emotion, float(props.intensity))
    doc = {
        "kind": "emotion",
        "name": name,
        "emotion": props.emotion,
        "intensity": float(props.intensity),
        "weights": {n: float(w) for n, w in zip(ARKIT_NAMES, weights)},
    }
    return atomic_write_text(_path("emotion", name), json.dumps(doc, indent=1))


def load_emotion_preset(scene, name):
    """Set the scene's emotion and intensity from preset ``name``; returns ``(emotion, intensity)``.
    Raises InputError: missing / malformed preset or an unknown emotion."""
    doc = _read("emotion", name)
    emotion, intensity = doc.get("emotion"), doc.get("intensity")
    if emotion not in EMOTIONS or not isinstance(intensity, (int, float)) or not 0.0 <= intensity <= 1.0:
        raise InputError(f"emotion preset {name!r}: needs a known 'emotion' and an 'intensity' in [0, 1]")
    props = settings(scene)
    props.emotion, props.intensity = emotion, float(intensity)
    return emotion, float(intensity)


def save_timeline_preset(obj, scene, name):
    """Save ``obj``'s timeline keys and blink/noise settings (at ``scene``'s frame rate) as preset ``name``; returns
    the Path."""
    timeline = timeline_settings(obj, scene)
    doc = {"kind": "timeline", "name": name}
    doc.update(
        keys_to_json(
            timeline["keys"],
            fps=timeline["fps"],
            blinks={
                "enabled": timeline["blinks"],
                "seed": timeline["blink_seed"],
                "rate_per_minute": timeline["blink_rate_per_minute"],
            },
            noise={"amplitude": timeline["noise_amplitude"], "seed": timeline["noise_seed"]},
        )
    )
    return atomic_write_text(_path("timeline", name), json.dumps(doc, indent=1))


def load_timeline_preset(obj, name):
    """Replace ``obj``'s timeline keys and blink/noise settings with preset ``name``; returns the key count.
    Raises InputError / TimelineError: missing or malformed preset; the timeline is unchanged then."""
    doc = _read("timeline", name)
    keys = keys_from_json({"keys": doc.get("keys", [])})
    if any(key.emotion is None for key in keys):
        raise InputError(
            f"timeline preset {name!r}: the sidebar timeline takes named emotions only (no raw 'weights' keys)"
        )
    # Resolve every name first (wheel names and pairs included), so a bad preset leaves the timeline unchanged.
    fields = [
        None if key.emotion in EMOTIONS and key.mix is None else wheel_key_fields(key.emotion, key.mix) for key in keys
    ]
    blinks, noise = doc.get("blinks", {}), doc.get("noise", {})
    props = object_settings(obj)
    props.timeline_keys.clear()
    for key, wheel in zip(keys, fields):
        item = props.timeline_keys.add()
        item.time, item.intensity = key.time, key.intensity
        item.emotion = key.emotion if wheel is None else wheel["preset"]
        item.wheel_emotion = "" if wheel is None else wheel["name"]
        if wheel is not None and wheel["mix"] is not None:
            item.mix = wheel["mix"]
        item.blend = key.blend
        item.transition, item.easing = key.transition, key.easing
    props.blinks = bool(blinks.get("enabled", props.blinks))
    props.blink_seed = int(blinks.get("seed", props.blink_seed))
    props.blink_rate = float(blinks.get("rate_per_minute", props.blink_rate))
    props.noise_amplitude = float(noise.get("amplitude", props.noise_amplitude))
    props.noise_seed = int(noise.get("seed", props.noise_seed))
    props.active_key_index = 0
    return len(keys)
