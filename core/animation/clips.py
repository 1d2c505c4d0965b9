# SPDX-License-Identifier: GPL-3.0-or-later
"""Emotion clips of a batch run (``facemotion batch --clips happy,sad,shot.json``): each one a timeline document baked
as its own action (its own glTF animation), read and checked before any head is loaded.
"""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FacemotionError, InputError
from ..io.assets import file_sha256
from .timeline import bake_timeline, timeline_from_json

__all__ = ["CLIP_SECONDS", "Clip", "emotion_clip_timeline", "parse_clips"]

#: Length of one emotion clip made from a preset/wheel name (seconds): 0.5 s in, 1 s held, 0.5 s out.
CLIP_SECONDS = 2.0


@dataclass(frozen=True)
class Clip:
    """One emotion clip baked as its own action (its own glTF animation).

    Attributes:
        name: the action/animation name (a preset or wheel name, or the timeline file's stem).
        timeline: the timeline document (a dict in the README's timeline format).
        source: the timeline file for clips read from a file, else None.
        digest: SHA-256 of the clip's definition (the file's bytes, or the generated document).
    """

    name: str
    timeline: dict = field(hash=False, compare=False)
    source: Path = None
    digest: str = ""


def emotion_clip_timeline(emotion, fps=24.0):
    """The timeline document of a named emotion's clip: neutral, eased into ``emotion`` over 0.5 s, held 1 s, eased
    back to neutral over 0.5 s (:data:`CLIP_SECONDS`); no blinks or noise, so a clip is the emotion alone and loops
    cleanly (an engine layers blinks itself)."""
    return {
        "fps": float(fps),
        "duration": CLIP_SECONDS,
        "keys": [
            {"time": 0.0, "emotion": "neutral"},
            {"time": 0.5, "emotion": emotion, "transition": 0.5, "easing": "ease_in_out"},
            {"time": 1.5, "emotion": emotion, "transition": 0.0},
            {"time": CLIP_SECONDS, "emotion": "neutral", "transition": 0.5, "easing": "ease_in_out"},
        ],
        "blinks": {"enabled": False},
    }


def parse_clips(text, *, read_timeline, fps=None):
    """The clips of ``--clips happy,sad,shot.json``: each item a timeline file (ends with ``.json``) or an emotion
    name (a preset, or any name the timeline accepts, e.g. a Plutchik wheel name).

    Args:
        text: the comma-separated list (None or empty: no clips).
        read_timeline: ``read_timeline(Path) -> dict``, the CLI's strict timeline reader (raises InputError).
        fps: frame rate of every clip (default: a timeline file's own, 24 for names).

    Every clip is checked now with :func:`facemotion.core.animation.timeline.timeline_from_json` and a trial bake,
    so a bad name or file fails before any head is loaded. Returns a tuple of :class:`Clip`.

    Raises: InputError / TimelineError naming the clip.
    """
    clips = []
    for item in (text or "").split(","):
        item = item.strip()
        if not item:
            continue
        if item.lower().endswith(".json"):
            path = Path(item)
            if not path.is_file():
                raise InputError(f"--clips: timeline file {item} not found")
            doc, name, source = read_timeline(path), path.stem, path.resolve()
            digest = file_sha256(path)
        else:
            doc, name, source = emotion_clip_timeline(item, fps or 24.0), item, None
            digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()
        try:
            timeline = timeline_from_json(doc)
            bake_timeline(**{**timeline, **({"fps": float(fps)} if fps and source is not None else {})})
        except FacemotionError as exc:
            raise type(exc)(f"--clips {item}: {exc}") from None
        if any(clip.name == name for clip in clips):
            raise InputError(f"--clips: two clips are named '{name}'; each clip becomes an animation of that name")
        if not name or "@" in name or "/" in name or "\\" in name:
            raise InputError(f"--clips: '{name}' cannot name a clip (no '@', '/' or '\\')")
        clips.append(Clip(name, doc, source, digest))
    return tuple(clips)
