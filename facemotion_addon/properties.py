# SPDX-License-Identifier: GPL-3.0-or-later
"""The add-on's scene settings (``Scene.facemotion``) and their conversion to a timeline bake.

Everything the sidebar shows lives in one :class:`FacemotionSceneSettings` per scene, so it is saved with the
.blend, undone with the scene, and settable from scripts exactly as the UI sets it
(``bpy.context.scene.facemotion.emotion = "happy"``).

Enum items are built from the core tables (:data:`facemotion.core.emotion.presets.EMOTIONS`,
:data:`facemotion.core.animation.timeline.EASINGS`) with explicit numbers, because Blender stores an enum's number in the
.blend: numbering by table position keeps saved files valid when a later version appends items.
"""
import bpy
from bpy.props import (BoolProperty, CollectionProperty, EnumProperty, FloatProperty, FloatVectorProperty,
                       IntProperty, PointerProperty, StringProperty)

from ..core.emotion.presets import CATEGORIES, EMOTIONS, preset_aus
from ..core.animation.timeline import EASINGS, EmotionKey

__all__ = ["EMOTION_ITEMS", "EASING_ITEMS", "EXPORT_FORMATS", "FacemotionSceneSettings", "FacemotionTimelineKey",
           "classes", "frame_to_time", "recognized_probabilities", "register_scene_properties", "scene_fps",
           "settings", "timeline_settings", "unregister_scene_properties"]


def _emotion_description(name):
    aus = preset_aus(name)
    if not aus:
        return "Neutral: all 52 ARKit weights at 0"
    return f"{name.capitalize()}: FACS action units {'+'.join(aus)} (see core/emotion/presets.py)"


def _emotion_items():
    """The 8 classification categories, a separator, then the Plutchik primaries that are not categories."""
    items = []
    for number, name in enumerate(EMOTIONS):
        if name not in CATEGORIES and items and items[-1] is not None and items[-1][0] in CATEGORIES:
            items.append(None)  # a separator line in the drop-down menu
        items.append((name, name.capitalize(), _emotion_description(name), "NONE", number))
    return items


#: ``EnumProperty`` items of the emotion presets: ``(identifier, label, description, icon, number)`` or None.
EMOTION_ITEMS = _emotion_items()

_EASING_LABELS = {"ease_in_out": "Ease In-Out (smoothstep)", "cubic": "Cubic (smootherstep)",
                  "back": "Back (overshoot)"}
#: ``EnumProperty`` items of the transition easings (core/animation/timeline.py documents the formulas).
EASING_ITEMS = [(name, _EASING_LABELS.get(name, name.replace("_", " ").title()), f"Easing '{name}'", "NONE", number)
                for number, name in enumerate(EASINGS)]

#: Export formats: identifier -> (file suffix, label).
EXPORT_FORMATS = {"GLB": (".glb", "glTF Binary (.glb)"), "GLTF": (".gltf", "glTF Separate (.gltf + .bin)"),
                  "FBX": (".fbx", "FBX (.fbx)")}
_FORMAT_ITEMS = [(key, label, f"Write {label}", "NONE", number)
                 for number, (key, (_, label)) in enumerate(EXPORT_FORMATS.items())]


class FacemotionTimelineKey(bpy.types.PropertyGroup):
    """One emotion key of the scene's timeline (a :class:`facemotion.core.animation.timeline.EmotionKey` in the UI)."""

    time: FloatProperty(name="Time", description="Seconds from the timeline's start (scene frame 1) at which the "
                        "emotion is fully reached", min=0.0, soft_max=600.0, default=0.0, subtype="TIME_ABSOLUTE",
                        precision=3)
    emotion: EnumProperty(name="Emotion", description="Emotion preset of this key", items=EMOTION_ITEMS,
                          default="neutral")
    intensity: FloatProperty(name="Intensity", description="How strongly the preset is shown (0 neutral, 1 full)",
                             min=0.0, max=1.0, default=1.0, subtype="FACTOR")
    transition: FloatProperty(name="Transition", description="Seconds of blending from the previous key, ending at "
                              "this key's time (at most the gap to the previous key)", min=0.0, soft_max=5.0,
                              default=0.5, subtype="TIME_ABSOLUTE", precision=3)
    easing: EnumProperty(name="Easing", description="How the transition accelerates", items=EASING_ITEMS,
                         default="ease_in_out")


class FacemotionSceneSettings(bpy.types.PropertyGroup):
    """Per-scene facemotion settings: the pose preset, rig options, the emotion timeline and export options."""

    # Pose / rig
    emotion: EnumProperty(name="Emotion", description="Emotion preset to apply to the selected rigged faces",
                          items=EMOTION_ITEMS, default="happy")
    intensity: FloatProperty(name="Intensity", description="How strongly the preset is shown (0 neutral, 1 full)",
                             min=0.0, max=1.0, default=1.0, subtype="FACTOR")
    replace_keys: BoolProperty(name="Replace Existing Keys", description="Rigging overwrites ARKit shape keys "
                               "facemotion made before; shape keys you made yourself are never overwritten",
                               default=False)

    # Timeline
    timeline_keys: CollectionProperty(type=FacemotionTimelineKey, name="Timeline Keys")
    active_key_index: IntProperty(name="Active Key", default=0, min=0)
    blinks: BoolProperty(name="Blinks", description="Add seeded spontaneous blinks (17 per minute by default)",
                         default=True)
    blink_seed: IntProperty(name="Blink Seed", description="Random seed of the blink times (same seed, same blinks)",
                            default=0, min=0)
    blink_rate: FloatProperty(name="Blink Rate", description="Blinks per minute (about 17 at rest, 26 talking, "
                              "4.5 reading)", min=0.0, max=60.0, default=17.0)
    noise_amplitude: FloatProperty(name="Idle Noise", description="Amplitude of subtle random brow and mouth-corner "
                                   "motion (0 off; 0.01-0.05 is subtle)", min=0.0, max=1.0, soft_max=0.1,
                                   default=0.0, precision=3)
    noise_seed: IntProperty(name="Noise Seed", description="Random seed of the idle noise", default=0, min=0)

    # Export
    export_path: StringProperty(name="Export Path", description="File the Export button suggests (the last export)",
                                default="", subtype="FILE_PATH")
    export_format: EnumProperty(name="Format", description="File format of the export", items=_FORMAT_ITEMS,
                                default="GLB")

    # Recognize: inputs
    recognize_image: PointerProperty(type=bpy.types.Image, name="Image",
                                     description="Blender image to recognise the emotion in (Recognize > Blender "
                                                 "Image)")
    recognize_every_n: IntProperty(name="Every Nth Frame", description="Classify every Nth frame of the video "
                                   "(1: every frame; larger is faster)", min=1, soft_max=60, default=5)
    recognize_min_hold: FloatProperty(name="Min Hold", description="Emotions shown for less than this many seconds "
                                      "are treated as flicker and merged into their neighbours", min=0.0,
                                      soft_max=5.0, default=0.5, subtype="TIME_ABSOLUTE", precision=2)
    recognize_replace_keys: BoolProperty(name="Replace Keys", description="The video's emotion track replaces the "
                                         "timeline's keys; otherwise it is appended after the last key",
                                         default=False)

    # Recognize: the last result (read by the Recognize panel; written by the facemotion.detect_emotion_* operators)
    recognized_label: StringProperty(name="Emotion", description="Top class of the last recognition ('' before "
                                     "any)", default="")
    recognized_intensity: FloatProperty(name="Intensity", description="How strongly the recognised emotion shows "
                                        "(0..1)", min=0.0, max=1.0, default=0.0, subtype="FACTOR")
    recognized_probabilities: FloatVectorProperty(name="Probabilities", description="Probability of each class, in "
                                                  "the order " + ", ".join(CATEGORIES), size=len(CATEGORIES),
                                                  min=0.0, max=1.0, default=(0.0,) * len(CATEGORIES))
    recognized_source: StringProperty(name="Source", description="What the last recognition looked at", default="")
    recognized_faces: IntProperty(name="Faces", description="Faces found by the last recognition", default=0, min=0)

    # Status
    last_report: StringProperty(name="Last Result", description="Result of the last facemotion operation",
                                default="")


classes = (FacemotionTimelineKey, FacemotionSceneSettings)


def settings(scene):
    """The scene's :class:`FacemotionSceneSettings` (``scene.facemotion``); the add-on must be registered."""
    return scene.facemotion


def scene_fps(scene):
    """The scene's frame rate in frames per second (``render.fps / render.fps_base``, e.g. 29.97)."""
    return scene.render.fps / scene.render.fps_base


def frame_to_time(scene, frame):
    """Seconds of scene frame ``frame`` on a facemotion timeline: the scene's start frame is 0 s, as Bake Timeline
    keys it by default (its Start Frame option); frames before the start give 0."""
    return max(0.0, (frame - scene.frame_start) / scene_fps(scene))


def _snap_to_frame(time, fps):
    # FloatProperty stores float32: 1/3 s comes back as 0.33333334. Snapping a time within 1e-5 s of a frame onto
    # that frame's exact time keeps a key added at a frame landing exactly on it in the bake.
    frame = round(time * fps)
    exact = frame / fps
    return exact if abs(exact - time) < 1e-5 else time


def timeline_settings(scene):
    """The scene's timeline as :func:`facemotion.core.animation.timeline.bake_timeline` keyword arguments.

    Keys are sorted by time (the list in the UI may be in any order); each becomes an
    :class:`~facemotion.core.animation.timeline.EmotionKey`. Returns a dict with ``keys`` (list of EmotionKey), ``fps`` (the
    scene's frame rate), ``duration`` (None: the last key's time), ``blinks``, ``blink_seed``,
    ``blink_rate_per_minute``, ``noise_amplitude`` and ``noise_seed``. Validation (empty timeline, overlapping
    transitions...) is left to the bake, which raises :class:`~facemotion.core.errors.TimelineError` naming the key
    by its index in time order, its time and its emotion.
    """
    props = settings(scene)
    fps = scene_fps(scene)
    items = sorted(props.timeline_keys, key=lambda item: item.time)
    keys = [EmotionKey(time=_snap_to_frame(float(item.time), fps), emotion=item.emotion,
                       intensity=float(item.intensity), transition=float(item.transition), easing=item.easing)
            for item in items]
    return {
        "keys": keys,
        "fps": fps,
        "duration": None,
        "blinks": bool(props.blinks),
        "blink_seed": int(props.blink_seed),
        "blink_rate_per_minute": float(props.blink_rate),
        "noise_amplitude": float(props.noise_amplitude),
        "noise_seed": int(props.noise_seed),
    }


def recognized_probabilities(scene):
    """The last recognition's probabilities as ``{category: p}`` in :data:`CATEGORIES` order (all 0 before any)."""
    return dict(zip(CATEGORIES, (float(p) for p in settings(scene).recognized_probabilities)))


def register_scene_properties():
    """Attach ``Scene.facemotion``; the property-group classes must be registered first."""
    bpy.types.Scene.facemotion = PointerProperty(type=FacemotionSceneSettings, name="Facemotion")


def unregister_scene_properties():
    """Remove ``Scene.facemotion`` (before its classes are unregistered)."""
    if hasattr(bpy.types.Scene, "facemotion"):
        del bpy.types.Scene.facemotion

