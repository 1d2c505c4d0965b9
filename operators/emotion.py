# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that pose a rigged face: apply an emotion preset, reset to neutral."""
import bpy
import numpy as np

from ..core.arkit import ARKIT_NAMES
from ..core.emotion.presets import preset_weights
from ..core.errors import FacemotionError
from ..facemotion_addon import pipeline
from ..facemotion_addon.properties import settings
from .rig import face_meshes, rigged_meshes

__all__ = ["FACEMOTION_OT_apply_emotion", "FACEMOTION_OT_reset_pose", "classes", "poll_rigged_meshes"]


def poll_rigged_meshes(cls, context):
    """Shared poll: Object Mode and at least one selected mesh with all 52 ARKit shape keys; else says why."""
    if getattr(context, "mode", "OBJECT") != "OBJECT":
        cls.poll_message_set("Switch to Object Mode first")
        return False
    if not face_meshes(context):
        cls.poll_message_set("Select a rigged face mesh first")
        return False
    if not rigged_meshes(context):
        cls.poll_message_set("The selected mesh has no ARKit shape keys: rig it first (Facemotion > Rig > Rig Face)")
        return False
    return True


def _is_animated(obj):
    anim = obj.data.shape_keys.animation_data
    return anim is not None and anim.action is not None


def _pose(operator, context, weights, what):
    objects = rigged_meshes(context)
    skipped = [obj.name for obj in face_meshes(context) if obj not in objects]
    try:
        pipeline.pose(objects, weights)
    except FacemotionError as exc:
        operator.report({"ERROR"}, str(exc))
        return {"CANCELLED"}
    message = f"{what} on {', '.join(obj.name for obj in objects)}"
    animated = any(_is_animated(obj) for obj in objects)
    if animated:
        message += " (the shape keys are animated: the pose lasts until the frame changes)"
    if skipped:
        message += f" (skipped {', '.join(skipped)}: no ARKit shape keys)"
    settings(context.scene).last_report = message
    operator.report({"WARNING"} if skipped or animated else {"INFO"}, message)
    return {"FINISHED"}


class FACEMOTION_OT_apply_emotion(bpy.types.Operator):
    """Set the ARKit shape keys of the selected rigged faces to the chosen emotion preset and intensity"""

    bl_idname = "facemotion.apply_emotion"
    bl_label = "Apply Emotion"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return poll_rigged_meshes(cls, context)

    def execute(self, context):
        props = settings(context.scene)
        try:
            weights = preset_weights(props.emotion, props.intensity)
        except FacemotionError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        return _pose(self, context, weights, f"Applied {props.emotion} at {props.intensity:.0%}")


class FACEMOTION_OT_reset_pose(bpy.types.Operator):
    """Set all 52 ARKit shape keys of the selected rigged faces to 0 (neutral face)"""

    bl_idname = "facemotion.reset_pose"
    bl_label = "Reset Pose"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return poll_rigged_meshes(cls, context)

    def execute(self, context):
        return _pose(self, context, np.zeros(len(ARKIT_NAMES), np.float32), "Reset the pose")


classes = (FACEMOTION_OT_apply_emotion, FACEMOTION_OT_reset_pose)
