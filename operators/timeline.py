# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that edit the scene's emotion timeline, bake it onto the selected rigged faces as keyframes, and
save / load user presets (:mod:`facemotion.facemotion_addon.presets`).

Bake Timeline (F9 options): Start Frame (default the scene's start frame), Set Frame Range (off: the scene's range
is kept), Sparse Keys (on: only the keys that reproduce each curve within 1e-3), Push to NLA (off), Replace User
Action (off). The scene's one timeline is baked onto every selected rigged face, each with its own action.

Times are seconds from the bake's start frame (Bake Timeline's ``frame_start``, default the scene's start frame).
The key list is kept in time order, so the list in the sidebar reads like the timeline.
"""
import bpy

from ..core.errors import InputError
from ..facemotion_addon import pipeline, presets
from ..facemotion_addon.demo import demo_timeline
from ..facemotion_addon.properties import EMOTION_ITEMS, frame_to_time, scene_fps, settings, timeline_settings
from ..facemotion_addon.selection import rigged_meshes
from .base import FacemotionOperator, Job, JobOperator, poll_rigged_meshes
from .emotion import emotion_choice

__all__ = ["DEMO_PHOTO_EMOTION", "FACEMOTION_OT_bake_timeline", "FACEMOTION_OT_preset_load",
           "FACEMOTION_OT_preset_save", "FACEMOTION_OT_timeline_add_key",
           "FACEMOTION_OT_timeline_demo_keys", "FACEMOTION_OT_timeline_remove_key", "classes", "demo_keys"]

#: The demo's second key is a photo's expression; without a photo the timeline shows this preset there.
DEMO_PHOTO_EMOTION = "happy"

_DEFAULT_TRANSITION = 0.5  # seconds, the timeline's default (core.timeline.EmotionKey)


def _move_into_order(keys, index):
    """Move ``keys[index]`` to its place by time; returns its new index."""
    time = keys[index].time
    target = sum(1 for i, item in enumerate(keys) if i != index and item.time < time)
    if target != index:
        keys.move(index, target)
    return target


def demo_keys():
    """The demo's emotion keys (:func:`facemotion.facemotion_addon.demo.demo_timeline`), photo key as
    :data:`DEMO_PHOTO_EMOTION`: neutral -> happy -> surprise -> sadness -> anger -> neutral over 6 s.
    Returns a list of :class:`facemotion.core.animation.timeline.EmotionKey`."""
    keys = demo_timeline(None)["keys"]
    for key in keys:
        if key.emotion is None:
            key.emotion, key.weights, key.label = DEMO_PHOTO_EMOTION, None, None
    return keys


class FACEMOTION_OT_timeline_add_key(FacemotionOperator, bpy.types.Operator):
    """Add a key at the current frame with the chosen emotion and intensity (updates the key already there)"""

    bl_idname = "facemotion.timeline_add_key"
    bl_label = "Add Key"
    bl_options = {"REGISTER", "UNDO"}

    emotion: bpy.props.EnumProperty(name="Emotion", description="Emotion of the key", items=EMOTION_ITEMS,
                                    default="happy")
    intensity: bpy.props.FloatProperty(name="Intensity", description="How strongly the emotion is shown",
                                       min=0.0, max=1.0, default=1.0, subtype="FACTOR")

    def run(self, context):
        scene = context.scene
        props = settings(scene)
        emotion, intensity = emotion_choice(self, context)
        self.emotion, self.intensity = emotion, intensity
        keys = props.timeline_keys
        time = frame_to_time(scene, scene.frame_current)
        half_frame = 0.5 / scene_fps(scene)
        existing = next((i for i, item in enumerate(keys) if abs(item.time - time) < half_frame), None)
        if existing is not None:
            item = keys[existing]
            item.emotion, item.intensity = emotion, intensity
            props.active_key_index = existing
            return f"Updated the key at {item.time:.2f} s: {item.emotion} {item.intensity:.0%}"

        item = keys.add()
        item.time, item.emotion, item.intensity = time, emotion, intensity
        index = _move_into_order(keys, len(keys) - 1)
        item = keys[index]
        # Transitions may not overlap (a key blends in over at most the gap since the previous key): fit the new
        # key's transition into its gap, and shorten the next key's if the new key now sits inside it.
        previous_time = keys[index - 1].time if index > 0 else None
        item.transition = _DEFAULT_TRANSITION if previous_time is None else min(_DEFAULT_TRANSITION,
                                                                                 time - previous_time)
        message = f"Added {item.emotion} {item.intensity:.0%} at {item.time:.2f} s (frame {scene.frame_current})"
        if index + 1 < len(keys):
            following = keys[index + 1]
            gap = following.time - item.time
            if following.transition > gap:
                following.transition = gap
                message += f"; shortened the next key's transition to {gap:.2f} s"
        props.active_key_index = index
        return message


class FACEMOTION_OT_timeline_remove_key(FacemotionOperator, bpy.types.Operator):
    """Remove the selected timeline key"""

    bl_idname = "facemotion.timeline_remove_key"
    bl_label = "Remove Key"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        props = settings(context.scene)
        if not 0 <= props.active_key_index < len(props.timeline_keys):
            cls.poll_message_set("Select a timeline key first")
            return False
        return True

    def run(self, context):
        props = settings(context.scene)
        index = props.active_key_index
        props.timeline_keys.remove(index)
        props.active_key_index = max(0, min(index, len(props.timeline_keys) - 1))
        return {"FINISHED"}


class FACEMOTION_OT_timeline_demo_keys(FacemotionOperator, bpy.types.Operator):
    """Replace the timeline's keys with the demo sequence: neutral, happy, surprise, sadness, anger, neutral (6 s)"""

    bl_idname = "facemotion.timeline_demo_keys"
    bl_label = "Demo Keys"
    bl_options = {"REGISTER", "UNDO"}

    def run(self, context):
        props = settings(context.scene)
        props.timeline_keys.clear()
        for key in demo_keys():
            item = props.timeline_keys.add()
            item.time, item.emotion, item.intensity = key.time, key.emotion, key.intensity
            item.transition, item.easing = key.transition, key.easing
        props.active_key_index = 0
        return f"Timeline set to the demo's {len(props.timeline_keys)} keys"


class BakeJob(Job):
    """Sample the timeline (worker thread) and key it onto the rigged faces (main thread)."""

    title = "Baking the timeline"

    def __init__(self, objects, *, frame_start=None, set_frame_range=False, sparse=True, push_nla=False,
                 replace=False):
        self.objects = objects
        self.options = dict(frame_start=frame_start, set_frame_range=set_frame_range, sparse=sparse,
                            push_nla=push_nla, replace=replace)

    def prepare(self, context):
        self.scene = context.scene
        self.timeline = timeline_settings(self.scene)
        self.fps = scene_fps(self.scene)

    def compute(self, progress):
        self.weights, self.rate = pipeline.bake_weights(self.timeline, fps=self.fps, progress=progress)

    def apply(self, context):
        options = dict(self.options)
        if options["frame_start"] is None:
            options["frame_start"] = self.scene.frame_start
        pipeline.write_bake(self.objects, self.weights, self.rate, scene=self.scene, **options)
        n = len(self.weights)
        start = options["frame_start"]
        where = " (pushed to the NLA)" if options["push_nla"] else ""
        return (f"Baked {n} frames ({(n - 1) / self.fps:.2f} s at {self.fps:g} fps), frames {start}-{start + n - 1}, "
                f"onto {', '.join(obj.name for obj in self.objects)}{where}")


class FACEMOTION_OT_bake_timeline(JobOperator, bpy.types.Operator):
    """Bake the emotion timeline with blinks and idle noise onto the selected rigged faces as shape-key keyframes"""

    bl_idname = "facemotion.bake_timeline"
    bl_label = "Bake Timeline"
    bl_options = {"REGISTER", "UNDO"}

    frame_start: bpy.props.IntProperty(
        name="Start Frame", description="Scene frame of the timeline's time 0 (default: the scene's start frame)",
        default=1)
    set_frame_range: bpy.props.BoolProperty(
        name="Set Frame Range", description="Also set the scene's frame range to the baked frames", default=False)
    sparse: bpy.props.BoolProperty(
        name="Sparse Keys", description="Key only the frames needed to reproduce each curve within 0.001 "
        "(off: one key per frame)", default=True)
    push_nla: bpy.props.BoolProperty(
        name="Push to NLA", description="Push the baked action to a strip on the 'facemotion' NLA track and "
        "unassign it (the next bake makes a new action)", default=False)
    replace: bpy.props.BoolProperty(
        name="Replace User Action", description="Replace an action on the shape keys that facemotion did not "
        "make (yours is kept with a fake user)", default=False)

    @classmethod
    def poll(cls, context):
        if not settings(context.scene).timeline_keys:
            cls.poll_message_set("Add timeline keys first (Add Key or Demo Keys)")
            return False
        return poll_rigged_meshes(cls, context)

    def make_job(self, context):
        if not self.properties.is_property_set("frame_start"):
            self.frame_start = context.scene.frame_start
        return BakeJob(rigged_meshes(context), frame_start=self.frame_start, set_frame_range=self.set_frame_range,
                       sparse=self.sparse, push_nla=self.push_nla, replace=self.replace)


_PRESET_KINDS = [("emotion", "Emotion", "The Emotion panel's emotion and intensity (with its 52 weights)"),
                 ("timeline", "Timeline", "The timeline's keys and blink/noise settings")]


class FACEMOTION_OT_preset_save(FacemotionOperator, bpy.types.Operator):
    """Save the current emotion or timeline as a user preset (JSON in the extension's user folder)"""

    bl_idname = "facemotion.preset_save"
    bl_label = "Save Preset"
    bl_options = {"REGISTER"}  # writes a file, changes nothing in the scene

    kind: bpy.props.EnumProperty(name="Kind", items=_PRESET_KINDS, default="emotion")
    name: bpy.props.StringProperty(name="Name", description="Preset name (letters, digits, spaces, - and _)",
                                   default="My Preset")

    def invoke(self, context, event):
        return context.window_manager.invoke_props_dialog(self)

    def run(self, context):
        if self.kind == "timeline" and not settings(context.scene).timeline_keys:
            raise InputError("the timeline has no keys to save; add keys first")
        save = presets.save_emotion_preset if self.kind == "emotion" else presets.save_timeline_preset
        path = save(context.scene, self.name)
        return f"Saved {self.kind} preset '{self.name}' to {path}"


class FACEMOTION_OT_preset_load(FacemotionOperator, bpy.types.Operator):
    """Apply a saved user preset: set the Emotion panel's emotion, or replace the timeline's keys"""

    bl_idname = "facemotion.preset_load"
    bl_label = "Load Preset"
    bl_options = {"REGISTER", "UNDO"}

    kind: bpy.props.EnumProperty(name="Kind", items=_PRESET_KINDS, default="emotion")
    name: bpy.props.StringProperty(name="Name", description="Name of the saved preset", default="")

    def run(self, context):
        if self.kind == "emotion":
            emotion, intensity = presets.load_emotion_preset(context.scene, self.name)
            return f"Emotion set to preset '{self.name}': {emotion} {intensity:.0%}"
        n = presets.load_timeline_preset(context.scene, self.name)
        return f"Timeline set to preset '{self.name}' ({n} keys)"


classes = (FACEMOTION_OT_timeline_add_key, FACEMOTION_OT_timeline_remove_key, FACEMOTION_OT_timeline_demo_keys,
           FACEMOTION_OT_bake_timeline, FACEMOTION_OT_preset_save, FACEMOTION_OT_preset_load)
