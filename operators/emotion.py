# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that pose a rigged face: apply an emotion preset, reset to neutral."""
import bpy
import numpy as np

from ..core.arkit import ARKIT_NAMES
from ..core.emotion.presets import preset_weights
from ..facemotion_addon import pipeline
from ..facemotion_addon.properties import EMOTION_ITEMS, settings
from ..facemotion_addon.selection import face_meshes, rigged_meshes
from .base import FacemotionOperator

__all__ = ["FACEMOTION_OT_apply_emotion", "FACEMOTION_OT_reset_pose", "classes", "emotion_choice"]


def emotion_choice(operator, context):
    """``(emotion, intensity)`` of an operator with ``emotion``/``intensity`` properties: the operator's own values
    where they were set (a script, F9 redo), else the Emotion panel's."""
    props = settings(context.scene)
    emotion = operator.emotion if operator.properties.is_property_set("emotion") else props.emotion
    intensity = operator.intensity if operator.properties.is_property_set("intensity") else props.intensity
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


class FACEMOTION_OT_apply_emotion(FacemotionOperator, bpy.types.Operator):
    """Set the ARKit shape keys of the selected rigged faces to the chosen emotion preset and intensity"""

    bl_idname = "facemotion.apply_emotion"
    bl_label = "Apply Emotion"
    bl_options = {"REGISTER", "UNDO"}
    requires = "rigged"

    emotion: bpy.props.EnumProperty(name="Emotion", description="Emotion preset to apply", items=EMOTION_ITEMS,
                                    default="happy")
    intensity: bpy.props.FloatProperty(name="Intensity", description="How strongly the preset is shown",
                                       min=0.0, max=1.0, default=1.0, subtype="FACTOR")

    def run(self, context):
        emotion, intensity = emotion_choice(self, context)
        # Written back so F9 redo shows (and changes) what was applied.
        self.emotion, self.intensity = emotion, intensity
        return _pose(context, preset_weights(emotion, intensity), f"Applied {emotion} at {intensity:.0%}")


class FACEMOTION_OT_reset_pose(FacemotionOperator, bpy.types.Operator):
    """Set all 52 ARKit shape keys of the selected rigged faces to 0 (neutral face)"""

    bl_idname = "facemotion.reset_pose"
    bl_label = "Reset Pose"
    bl_options = {"REGISTER", "UNDO"}
    requires = "rigged"

    def run(self, context):
        return _pose(context, np.zeros(len(ARKIT_NAMES), np.float32), "Reset the pose")


classes = (FACEMOTION_OT_apply_emotion, FACEMOTION_OT_reset_pose)
