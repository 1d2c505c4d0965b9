# SPDX-License-Identifier: GPL-3.0-or-later
"""The emotion vocabulary: every emotion name facemotion accepts -> ARKit weights, one meaning per name.

This is the one route from a name to a face. Timelines (:mod:`facemotion.core.animation.timeline`), text directions,
the CLI (``facemotion emotions``, ``--clips``), the batch and the Emotion panel all call :func:`emotion_pose` and
:func:`emotion_label`; nothing else turns a name into weights.

Names
-----
* the presets and their aliases (:mod:`.presets`: ``neutral``, ``happy``/``happiness``, ``sad``/``sorrow``,
  ``surprise``, ``fear``, ``disgust``, ``anger``/``angry``, ``contempt``, ``joy``, ``trust``, ``sadness``,
  ``anticipation``);
* Plutchik's rings (:mod:`.wheel`): each primary's mild, basic and intense names (``serenity`` / ``joy`` /
  ``ecstasy``, ``annoyance`` / ``anger`` / ``rage``...);
* the named dyads (``love``, ``awe``, ``plutchik_contempt``/``scorn``...) and explicit pairs ``"a+b"`` of two
  primaries or presets, E1 = a, blended by :mod:`.blending` (``"correlation"`` [Ma 2025], ``"linear"``,
  ``"correlation_weighted"``) with E1 weighted ``mix``.

What a basic name means
-----------------------
A primary's basic name is its preset at the key's intensity: ``"joy"`` at 1.0 is joy's full EMFACS prototype on a
timeline, on the wheel, in the panel and in a text direction alike (before, the wheel posed the basic ring at 0.7
while a timeline posed it at 1.0). We chose 1.0 because (1) the presets at 1.0 are the prototypes built to read on a
single frame of any head (:mod:`.presets`); a basic emotion posed at 0.7 of them is the weaker face a viewer misreads
(issue 17); (2) "intensity means what it says": a text direction's "sad" and a timeline's ``"sadness"`` at 1.0 are
the full preset, 0.5 is half of it; (3) every timeline written before the wheel keeps its meaning.

The rings follow from the presets (:data:`.wheel.LEVEL_INTENSITY`): the mild ring is the preset at 0.5, the basic
ring the preset at 1.0, and the intense ring the preset's stronger EMFACS variant (:data:`.presets.INTENSE_FACS`,
e.g. ``rage`` = anger with bared teeth and open mouth, ``ecstasy`` = joy with a laugh), so ``ecstasy`` is more
than ``joy`` rather than the same face. A dyad or pair poses both constituents' presets at the key's intensity.
"""

from ..errors import InputError
from . import blending
from .blending import METHODS as BLEND_METHODS
from .presets import check_intensity, intense_weights, preset_weights
from .wheel import WheelEmotion, resolve_wheel_name

__all__ = ["BLEND_METHODS", "DEFAULT_BLEND", "emotion_label", "emotion_pose", "resolve_wheel_name"]

#: Blend method of a dyad or pair when none is named ([Ma 2025]'s correlation-driven rule).
DEFAULT_BLEND = "correlation"


def emotion_pose(name, intensity=1.0, *, mix=None, blend=DEFAULT_BLEND, stats=None):
    """ARKit weights of emotion ``name`` at ``intensity`` (the module docstring's names and meanings).

    ``name``: a preset, wheel name, alias or pair ``"a+b"`` (case-insensitive), or a resolved
    :class:`~.wheel.WheelEmotion`. ``intensity``: 0 (the neutral face) to 1 (the name's full face); the result is
    linear in it. ``mix``: w1 of a dyad or pair (None: its default). ``blend``: a name of :data:`BLEND_METHODS`,
    used by dyads and pairs. ``stats``: the blend statistics (default: the shipped ones).

    Returns a new ``np.ndarray (52,) float32`` in ARKit order, values in [0, 1].
    Raises InputError: unknown name (with the nearest known names), mix for a single emotion or outside [0, 1],
    intensity outside [0, 1], unknown blend method.
    """
    emotion = name if isinstance(name, WheelEmotion) else resolve_wheel_name(name, mix)
    if blend not in BLEND_METHODS:
        raise InputError(f"unknown blend method {blend!r}; use one of: {', '.join(BLEND_METHODS)}")
    scale = emotion.intensity * check_intensity(intensity, emotion.name)
    if len(emotion.components) == 1:
        preset = emotion.components[0][0]
        return intense_weights(preset, scale) if emotion.level == 3 else preset_weights(preset, scale)
    (first, w1), (second, _) = emotion.components
    return blending.blend(
        preset_weights(first, scale), preset_weights(second, scale), first, second, w1, method=blend, stats=stats
    )


def emotion_label(name):
    """The canonical name of emotion ``name`` for metadata and tracks: presets keep their own name, aliases resolve
    (``"angry"`` -> ``"anger"``, ``"furious"`` -> ``"rage"``), pairs are normalised (``"Joy + Trust"`` ->
    ``"joy+trust"``). Returns str. Raises InputError: unknown name."""
    return resolve_wheel_name(name).name
