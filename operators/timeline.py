# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that edit a rigged face's emotion timeline, bake the timelines onto the selected rigged faces as
keyframes, and save / load user presets (:mod:`facemotion.facemotion_addon.settings.presets`).

Each rigged object has its own timeline (``Object.facemotion``); Add Key, Remove Key, Demo Keys and the presets act
on :func:`facemotion.facemotion_addon.settings.properties.timeline_object` (the active rigged face, else the first
selected one). Bake Timeline bakes every selected rigged face with its own timeline, each into its own action; faces
whose timeline has no keys are skipped with a note.

Bake Timeline (F9 options): Start Frame (default the scene's start frame), Set Frame Range (off: the scene's range
is kept), Sparse Keys (on: eased Bezier keys at the emotion keys and blinks, within 1e-3 of the per-frame curve),
Push to NLA (off), Replace User Action (off).

Times are seconds from the bake's start frame (Bake Timeline's ``frame_start``, default the scene's start frame).
The key list is kept in time order, so the list in the sidebar reads like the timeline.
"""

import bpy

from ..core.animation.demo_timeline import demo_timeline
from ..core.errors import InputError
from ..facemotion_addon import pipeline
from ..facemotion_addon.selection import rigged_meshes
from ..facemotion_addon.settings import presets
from ..facemotion_addon.settings.properties import (
    add_timeline_key,
    frame_to_time,
    object_settings,
    scene_fps,
    timeline_object,
    timeline_settings,
)
from .base import NO_TIMELINE, FacemotionOperator, Job, JobOperator, poll_rigged_meshes, poll_timeline_object
from .emotion import EmotionChoice

__all__ = [
    "DEMO_PHOTO_EMOTION",
    "FACEMOTION_OT_bake_timeline",
    "FACEMOTION_OT_preset_load",
    "FACEMOTION_OT_preset_save",
    "FACEMOTION_OT_timeline_add_key",
    "FACEMOTION_OT_timeline_demo_keys",
    "FACEMOTION_OT_timeline_remove_key",
    "classes",
    "demo_keys",
]

#: The demo's second key is a photo's expression; without a photo the timeline shows this preset there.
DEMO_PHOTO_EMOTION = "happy"


def _require_timeline_object(context):
    """The timeline object, or InputError (scripts that bypass the poll)."""
    obj = timeline_object(context)
    if obj is None:
        raise InputError(NO_TIMELINE.lower())
    return obj


def demo_keys():
    """The demo's emotion keys (:func:`facemotion.core.animation.demo_timeline.demo_timeline`), photo key as
    :data:`DEMO_PHOTO_EMOTION`: neutral -> happy -> surprise -> sadness -> anger -> neutral over 6 s.
    Returns a list of :class:`facemotion.core.animation.timeline.EmotionKey`."""
    keys = demo_timeline(None)["keys"]
    for key in keys:
        if key.emotion is None:
            key.emotion, key.weights, key.label = DEMO_PHOTO_EMOTION, None, None
    return keys


class FACEMOTION_OT_timeline_add_key(EmotionChoice, FacemotionOperator, bpy.types.Operator):
    """Add a key to the active rigged face's timeline at the current frame with the chosen emotion and intensity
    (updates the key already there)"""

    bl_idname = "facemotion.timeline_add_key"
    bl_label = "Add Key"
    requires = "timeline"

    def run(self, context):
        scene = context.scene
        obj = _require_timeline_object(context)
        emotion, intensity = self.chosen_emotion(context)
        time = frame_to_time(scene, scene.frame_current)
        # A key within half a frame of the current frame is the key "at" this frame: update it.
        edit = add_timeline_key(obj, time, emotion, intensity, same_within=0.5 / scene_fps(scene))
        item = object_settings(obj).timeline_keys[edit.index]
        if not edit.added:
            return f"Updated {obj.name}'s key at {item.time:.2f} s: {item.emotion} {item.intensity:.0%}"
        message = (
            f"Added {item.emotion} {item.intensity:.0%} at {item.time:.2f} s (frame {scene.frame_current}) "
            f"to {obj.name}'s timeline"
        )
        if edit.shortened is not None:
            message += f"; shortened the next key's transition to {edit.shortened:.2f} s"
        return message


class FACEMOTION_OT_timeline_remove_key(FacemotionOperator, bpy.types.Operator):
    """Remove the selected key of the active rigged face's timeline"""

    bl_idname = "facemotion.timeline_remove_key"
    bl_label = "Remove Key"

    @classmethod
    def poll(cls, context):
        if not poll_timeline_object(cls, context):
            return False
        props = object_settings(timeline_object(context))
        if not 0 <= props.active_key_index < len(props.timeline_keys):
            cls.poll_message_set("Select a timeline key first")
            return False
        return True

    def run(self, context):
        props = object_settings(_require_timeline_object(context))
        index = props.active_key_index
        if not 0 <= index < len(props.timeline_keys):
            raise InputError("select a timeline key first")
        props.timeline_keys.remove(index)
        props.active_key_index = max(0, min(index, len(props.timeline_keys) - 1))
        return {"FINISHED"}


class FACEMOTION_OT_timeline_demo_keys(FacemotionOperator, bpy.types.Operator):
    """Replace the active rigged face's timeline keys with the demo sequence: neutral, happy, surprise, sadness,
    anger, neutral (6 s)"""

    bl_idname = "facemotion.timeline_demo_keys"
    bl_label = "Demo Keys"
    requires = "timeline"

    def run(self, context):
        obj = _require_timeline_object(context)
        props = object_settings(obj)
        props.timeline_keys.clear()
        for key in demo_keys():
            item = props.timeline_keys.add()
            item.time, item.emotion, item.intensity = key.time, key.emotion, key.intensity
            item.transition, item.easing = key.transition, key.easing
        props.active_key_index = 0
        return f"{obj.name}'s timeline set to the demo's {len(props.timeline_keys)} keys"


class BakeJob(Job):
    """Sample each rigged face's own timeline (worker thread) and key it onto that face (main thread).

    A face whose timeline has no keys follows the active face's timeline (a head's eye and teeth objects), or is
    skipped with a note when that has none either; so is a face sharing its shape keys (a linked duplicate) with
    one baked before it. All skipped: InputError before anything is computed.
    """

    title = "Baking the timelines"

    def __init__(self, objects, *, frame_start=None, set_frame_range=False, sparse=True, push_nla=False, replace=False):
        self.objects = objects
        self.options = dict(
            frame_start=frame_start, set_frame_range=set_frame_range, sparse=sparse, push_nla=push_nla, replace=replace
        )

    def prepare(self, context):
        self.scene = context.scene
        self.fps = scene_fps(self.scene)
        self.targets, self.notes, seen = [], [], {}
        # A head's parts (eyes, teeth as their own objects) have no keys of their own: they follow the active
        # face's timeline, so lids and eyeballs blink on the same frames (same keys, same blink seed).
        lead = timeline_object(context)
        if lead is not None and not len(object_settings(lead).timeline_keys):
            lead = None
        for obj in self.objects:
            key = obj.data.shape_keys.as_pointer()
            source = obj if len(object_settings(obj).timeline_keys) else lead
            if source is None:
                self.notes.append(f"skipped {obj.name}: its timeline has no keys")
            elif key in seen:
                self.notes.append(f"skipped {obj.name}: it shares its shape keys with {seen[key]}")
            else:
                seen[key] = obj.name
                if source is not obj:
                    self.notes.append(f"{obj.name} follows {source.name}'s timeline (it has no keys of its own)")
                self.targets.append((obj, timeline_settings(source, self.scene)))
        if not self.targets:
            names = ", ".join(obj.name for obj in self.objects)
            raise InputError(
                f"the timeline of {names} has no keys; select the face and add keys (Add Key or Demo Keys) first"
            )

    def compute(self, progress):
        self.weights, self.curves = [], []
        count = len(self.targets)
        for index, (_obj, timeline) in enumerate(self.targets):

            def part(fraction, message="", index=index):
                progress((index + fraction) / count, message)

            weights, self.rate, curves = pipeline.compute_bake(
                timeline, fps=self.fps, sparse=self.options["sparse"], progress=part
            )
            self.weights.append(weights)
            self.curves.append(curves)

    def apply(self, context):
        options = dict(self.options)
        if options["frame_start"] is None:
            options["frame_start"] = self.scene.frame_start
        objects = [obj for obj, _timeline in self.targets]
        results = pipeline.write_bake(
            objects,
            self.weights,
            self.rate,
            scene=self.scene,
            curves=self.curves if options["sparse"] else None,
            **options,
        )
        start = options["frame_start"]
        baked = ", ".join(
            f"{obj.name} ({len(w)} frames, {(len(w) - 1) / self.fps:.2f} s)" for obj, w in zip(objects, self.weights)
        )
        kind = "Bezier keys" if options["sparse"] else "keys (one per frame)"
        where = " (pushed to the NLA)" if options["push_nla"] else ""
        message = (
            f"Baked {baked} at {self.fps:g} fps from frame {start}: "
            f"{sum(result.keys for result in results)} {kind}{where}"
        )
        if self.notes:
            return "WARNING", message + "; " + "; ".join(self.notes)
        return message


class FACEMOTION_OT_bake_timeline(JobOperator, bpy.types.Operator):
    """Bake each selected rigged face's own emotion timeline, with blinks and idle noise, onto its shape keys as
    keyframes"""

    bl_idname = "facemotion.bake_timeline"
    bl_label = "Bake Timeline"

    frame_start: bpy.props.IntProperty(
        name="Start Frame",
        description="Scene frame of the timeline's time 0 (default: the scene's start frame)",
        default=1,
    )
    set_frame_range: bpy.props.BoolProperty(
        name="Set Frame Range", description="Also set the scene's frame range to the baked frames", default=False
    )
    sparse: bpy.props.BoolProperty(
        name="Sparse Keys",
        description="Eased Bezier keys at the emotion keys and blinks, plus extra keys only "
        "where the curve would leave the per-frame bake by more than 0.001 (off: one key per frame)",
        default=True,
    )
    push_nla: bpy.props.BoolProperty(
        name="Push to NLA",
        description="Push the baked action to a strip on the 'facemotion' NLA track and "
        "unassign it (the next bake makes a new action)",
        default=False,
    )
    replace: bpy.props.BoolProperty(
        name="Replace User Action",
        description="Replace an action on the shape keys that facemotion did not make (yours is kept with a fake user)",
        default=False,
    )

    @classmethod
    def poll(cls, context):
        if not poll_rigged_meshes(cls, context):
            return False
        if not any(len(object_settings(obj).timeline_keys) for obj in rigged_meshes(context)):
            cls.poll_message_set("The selected faces' timelines have no keys: add keys first (Add Key or Demo Keys)")
            return False
        return True

    def make_job(self, context):
        if not self.properties.is_property_set("frame_start"):
            self.frame_start = context.scene.frame_start
        return BakeJob(
            rigged_meshes(context),
            frame_start=self.frame_start,
            set_frame_range=self.set_frame_range,
            sparse=self.sparse,
            push_nla=self.push_nla,
            replace=self.replace,
        )


_PRESET_KINDS = [
    ("emotion", "Emotion", "The Emotion panel's emotion and intensity (with its 52 weights)"),
    ("timeline", "Timeline", "The active rigged face's timeline keys and blink/noise settings"),
]


class FACEMOTION_OT_preset_save(FacemotionOperator, bpy.types.Operator):
    """Save the current emotion or timeline as a user preset (JSON in the extension's user folder)"""

    bl_idname = "facemotion.preset_save"
    bl_label = "Save Preset"
    bl_options = {"REGISTER"}  # writes a file, changes nothing in the scene

    kind: bpy.props.EnumProperty(name="Kind", items=_PRESET_KINDS, default="emotion")
    name: bpy.props.StringProperty(
        name="Name", description="Preset name (letters, digits, spaces, - and _)", default="My Preset"
    )

    def invoke(self, context, event):
        return context.window_manager.invoke_props_dialog(self)

    def run(self, context):
        if self.kind == "emotion":
            path = presets.save_emotion_preset(context.scene, self.name)
        else:
            obj = _require_timeline_object(context)
            if not len(object_settings(obj).timeline_keys):
                raise InputError(f"the timeline of {obj.name} has no keys to save; add keys first")
            path = presets.save_timeline_preset(obj, context.scene, self.name)
        return f"Saved {self.kind} preset '{self.name}' to {path}"


class FACEMOTION_OT_preset_load(FacemotionOperator, bpy.types.Operator):
    """Apply a saved user preset: set the Emotion panel's emotion, or replace the active rigged face's timeline"""

    bl_idname = "facemotion.preset_load"
    bl_label = "Load Preset"

    kind: bpy.props.EnumProperty(name="Kind", items=_PRESET_KINDS, default="emotion")
    name: bpy.props.StringProperty(name="Name", description="Name of the saved preset", default="")

    def run(self, context):
        if self.kind == "emotion":
            emotion, intensity = presets.load_emotion_preset(context.scene, self.name)
            return f"Emotion set to preset '{self.name}': {emotion} {intensity:.0%}"
        obj = _require_timeline_object(context)
        n = presets.load_timeline_preset(obj, self.name)
        return f"{obj.name}'s timeline set to preset '{self.name}' ({n} keys)"


classes = (
    FACEMOTION_OT_timeline_add_key,
    FACEMOTION_OT_timeline_remove_key,
    FACEMOTION_OT_timeline_demo_keys,
    FACEMOTION_OT_bake_timeline,
    FACEMOTION_OT_preset_save,
    FACEMOTION_OT_preset_load,
)
