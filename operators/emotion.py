# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that pose a rigged face: apply an emotion preset, reset to neutral; and the Emotion panel's wheel:
apply a wheel expression (primary ring, dyad or pair), save / load it as a user preset, add it to the timeline, and
turn a direction sentence into timeline keys (Apply Text)."""

import bpy
import numpy as np

from ..core.animation.text_direction import read_direction, to_emotion_keys
from ..core.arkit import ARKIT_NAMES
from ..core.emotion.presets import preset_weights
from ..core.emotion.vocabulary import emotion_pose
from ..core.errors import InputError
from ..facemotion_addon import pipeline
from ..facemotion_addon.emotion_names import wheel_choice
from ..facemotion_addon.selection import face_meshes, rigged_meshes
from ..facemotion_addon.settings import wheel_presets
from ..facemotion_addon.settings.properties import (
    EMOTION_ITEMS,
    add_timeline_key,
    frame_to_time,
    object_settings,
    scene_fps,
    settings,
    timeline_object,
)
from .base import FacemotionOperator

__all__ = [
    "FACEMOTION_OT_apply_emotion",
    "FACEMOTION_OT_apply_text",
    "FACEMOTION_OT_reset_pose",
    "FACEMOTION_OT_wheel_add_key",
    "FACEMOTION_OT_wheel_apply",
    "FACEMOTION_OT_wheel_load_preset",
    "FACEMOTION_OT_wheel_save_preset",
    "EmotionChoice",
    "classes",
    "wheel_description",
]


class EmotionChoice:
    """Mixin for operators that apply an emotion: ``emotion`` and ``intensity`` properties; where a caller left them
    unset (the panels' buttons) the Emotion panel's values are used (:meth:`chosen_emotion`)."""

    emotion: bpy.props.EnumProperty(
        name="Emotion", description="Emotion preset (unset: the Emotion panel's)", items=EMOTION_ITEMS, default="happy"
    )
    intensity: bpy.props.FloatProperty(
        name="Intensity",
        description="How strongly the emotion is shown",
        min=0.0,
        max=1.0,
        default=1.0,
        subtype="FACTOR",
    )

    def chosen_emotion(self, context):
        """``(emotion, intensity)``: the operator's own values where they were set (a script, F9 redo), else the
        Emotion panel's; written back to the operator so F9 redo shows (and changes) what was applied."""
        props = settings(context.scene)
        emotion = self.emotion if self.properties.is_property_set("emotion") else props.emotion
        intensity = self.intensity if self.properties.is_property_set("intensity") else props.intensity
        self.emotion, self.intensity = emotion, float(intensity)
        return emotion, float(intensity)


def _is_animated(obj):
    anim = obj.data.shape_keys.animation_data
    return anim is not None and anim.action is not None


def _pose(context, weights, what):
    objects = rigged_meshes(context)
    skipped = [obj.name for obj in face_meshes(context) if obj not in objects]
    pipeline.pose(objects, weights)
    message = f"{what} on {', '.join(obj.name for obj in objects)}"
    animated = any(_is_animated(obj) for obj in objects)
    if animated:
        message += " (the shape keys are animated: the pose lasts until the frame changes)"
    if skipped:
        message += f" (skipped {', '.join(skipped)}: no ARKit shape keys)"
    return ("WARNING" if skipped or animated else "INFO"), message


class FACEMOTION_OT_apply_emotion(EmotionChoice, FacemotionOperator, bpy.types.Operator):
    """Set the ARKit shape keys of the selected rigged faces to the chosen emotion preset and intensity"""

    bl_idname = "facemotion.apply_emotion"
    bl_label = "Apply Emotion"
    requires = "rigged"

    def run(self, context):
        emotion, intensity = self.chosen_emotion(context)
        return _pose(context, preset_weights(emotion, intensity), f"Applied {emotion} at {intensity:.0%}")


class FACEMOTION_OT_reset_pose(FacemotionOperator, bpy.types.Operator):
    """Set all 52 ARKit shape keys of the selected rigged faces to 0 (neutral face)"""

    bl_idname = "facemotion.reset_pose"
    bl_label = "Reset Pose"
    requires = "rigged"

    def run(self, context):
        return _pose(context, np.zeros(len(ARKIT_NAMES), np.float32), "Reset the pose")


def wheel_description(name, mix, blend):
    """How reports name a wheel choice: ``"ecstasy"``, ``"love (joy 60 % dominant, correlation)"``."""
    if mix is None:
        return name
    first = name.split("+")[0] if "+" in name else None
    if first is None:
        from ..core.emotion.wheel import DYADS

        first = DYADS[name][0]
    return f"{name} ({first} {mix:.0%} dominant, {blend})"


class FACEMOTION_OT_wheel_apply(FacemotionOperator, bpy.types.Operator):
    """Pose the selected rigged faces with the Emotion panel's wheel choice (a primary at its ring, a dyad, or a pair
    with its mix and blend method)"""

    bl_idname = "facemotion.wheel_apply"
    bl_label = "Apply Wheel Emotion"
    requires = "rigged"

    def run(self, context):
        name, mix, blend, intensity = wheel_choice(settings(context.scene))
        weights = emotion_pose(name, intensity, mix=mix, blend=blend)
        return _pose(context, weights, f"Applied {wheel_description(name, mix, blend)} at {intensity:.0%}")


class FACEMOTION_OT_wheel_save_preset(FacemotionOperator, bpy.types.Operator):
    """Save the wheel choice as a named expression preset (JSON in the user presets folder)"""

    bl_idname = "facemotion.wheel_save_preset"
    bl_label = "Save Expression"
    bl_options = {"REGISTER"}

    name: bpy.props.StringProperty(name="Name", description="Preset name (letters, digits, spaces, - and _)")

    def run(self, context):
        props = settings(context.scene)
        name = self.name if self.properties.is_property_set("name") else props.wheel_preset_name
        path = wheel_presets.save_expression_preset(context.scene, name)
        return f"Saved expression preset '{name.strip()}' ({path.name})"


class FACEMOTION_OT_wheel_load_preset(FacemotionOperator, bpy.types.Operator):
    """Set the wheel choice from a saved expression preset"""

    bl_idname = "facemotion.wheel_load_preset"
    bl_label = "Load Expression"

    name: bpy.props.StringProperty(name="Name", description="Name of the saved expression preset")

    def run(self, context):
        what = wheel_presets.load_expression_preset(context.scene, self.name)
        return f"Loaded expression preset '{self.name}': {what}"


def _timeline_target(context):
    obj = timeline_object(context)
    if obj is None:
        raise InputError("no rigged face to add keys to: select (or make active) a mesh with the ARKit shape keys")
    return obj


class FACEMOTION_OT_wheel_add_key(FacemotionOperator, bpy.types.Operator):
    """Add the wheel choice as a key at the current frame of the active rigged face's timeline (a key already at
    that frame is updated)"""

    bl_idname = "facemotion.wheel_add_key"
    bl_label = "Add to Timeline"

    def run(self, context):
        scene = context.scene
        obj = _timeline_target(context)
        name, mix, blend, intensity = wheel_choice(settings(scene))
        time = frame_to_time(scene, scene.frame_current)
        # A name means the same on the wheel and on the timeline (core/emotion/vocabulary.py): intensity as it is.
        edit = add_timeline_key(obj, time, name, intensity, mix=mix, blend=blend, same_within=0.5 / scene_fps(scene))
        verb = "Added" if edit.added else "Updated"
        return f"{verb} {wheel_description(name, mix, blend)} at {time:.2f} s on {obj.name}'s timeline"


class FACEMOTION_OT_apply_text(FacemotionOperator, bpy.types.Operator):
    """Turn the direction sentence into keys of the active rigged face's timeline, starting at the current frame
    (words it does not understand are skipped and reported; a sentence without any emotion changes nothing)"""

    bl_idname = "facemotion.apply_text"
    bl_label = "Apply Text"

    text: bpy.props.StringProperty(name="Text", description="Direction sentence (default: the panel's)")
    replace: bpy.props.BoolProperty(
        name="Replace Keys",
        description="Remove the timeline's keys first (otherwise the new keys are added from the current frame on)",
        default=False,
    )

    def run(self, context):
        scene = context.scene
        props = settings(scene)
        text = self.text if self.properties.is_property_set("text") else props.direction_text
        direction = read_direction(text)  # InputError (nothing changed): no emotion in the sentence
        keys, duration = to_emotion_keys(direction.keys), direction.duration
        obj = _timeline_target(context)
        start = frame_to_time(scene, scene.frame_current)
        timeline = object_settings(obj).timeline_keys
        if self.replace:
            timeline.clear()
        half_frame = 0.5 / scene_fps(scene)
        for key in keys:
            add_timeline_key(
                obj,
                start + key.time,
                key.emotion,
                key.intensity,
                transition=key.transition,
                easing=key.easing,
                same_within=half_frame,
            )
        names = " -> ".join(f"{key.emotion} {key.intensity:g}" for key in keys)
        message = (
            f"Added {len(keys)} keys to {obj.name}'s timeline from {start:.2f} s to {start + key.time:.2f} s "
            f"(holds to {start + duration:.2f} s): {names}"
        )
        if direction.notes:  # the words it skipped, so the user can rephrase them
            return "WARNING", f"{message}; skipped: {'; '.join(direction.notes)}"
        return message


classes = (
    FACEMOTION_OT_apply_emotion,
    FACEMOTION_OT_reset_pose,
    FACEMOTION_OT_wheel_apply,
    FACEMOTION_OT_wheel_save_preset,
    FACEMOTION_OT_wheel_load_preset,
    FACEMOTION_OT_wheel_add_key,
    FACEMOTION_OT_apply_text,
)
