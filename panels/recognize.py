# SPDX-License-Identifier: GPL-3.0-or-later
"""The Recognize panel: recognise the emotion in an image, a video (into the active rigged face's timeline) or the
rig's pose, and show the
last result as one probability bar per class with the top class and its intensity."""

import bpy

from ..core.emotion.presets import CATEGORIES
from ..facemotion_addon.settings.properties import timeline_object
from .base import FacemotionPanel

__all__ = ["FACEMOTION_PT_recognize", "classes"]


class FACEMOTION_PT_recognize(FacemotionPanel, bpy.types.Panel):
    """Emotion recognition on images, videos and the rigged face's pose"""

    bl_label = "Recognize"
    bl_options = {"DEFAULT_CLOSED"}

    def draw_settings(self, layout, props, context):

        col = layout.column(align=True)
        col.label(text="Image", icon="IMAGE_DATA")
        col.operator("facemotion.detect_emotion_image", text="Image File...", icon="FILEBROWSER").source = "FILE"
        row = col.row(align=True)
        row.prop(props, "recognize_image", text="")
        sub = row.row(align=True)
        sub.enabled = props.recognize_image is not None
        sub.operator("facemotion.detect_emotion_image", text="Recognize", icon="VIEWZOOM").source = "IMAGE"

        col = layout.column(align=True)
        col.label(text="Video to Timeline", icon="FILE_MOVIE")
        target = timeline_object(context)
        col.label(
            text=f"Into the timeline of {target.name}"
            if target is not None
            else "Select a rigged face to receive the keys",
            icon="NONE" if target is not None else "INFO",
        )
        col.prop(props, "recognize_every_n")
        col.prop(props, "recognize_min_hold")
        col.prop(props, "recognize_reference")
        if props.recognize_reference == "RANGE":
            row = col.row(align=True)
            row.prop(props, "recognize_reference_first")
            row.prop(props, "recognize_reference_last")
        col.prop(props, "recognize_replace_keys")
        col.operator("facemotion.detect_emotion_video", text="Video File...", icon="FILEBROWSER")

        layout.operator("facemotion.detect_emotion_pose", text="Recognize Rig Pose", icon="SHAPEKEY_DATA")

        box = layout.box()
        if not props.recognized_label:
            box.label(text="No result yet", icon="INFO")
            return
        uncertain = ", uncertain" if props.recognized_uncertain else ""
        box.label(
            text=f"{props.recognized_label.capitalize()}  (intensity {props.recognized_intensity:.2f}{uncertain})",
            icon="QUESTION" if props.recognized_uncertain else "CHECKMARK",
        )
        faces = f", {props.recognized_faces} faces (largest)" if props.recognized_faces > 1 else ""
        box.label(text=f"{props.recognized_source}{faces}")
        col = box.column(align=True)
        for name, p in zip(CATEGORIES, props.recognized_probabilities):
            # UILayout.progress (Blender 4.0+): a read-only bar, so results cannot be mistaken for settings.
            col.progress(factor=float(p), type="BAR", text=f"{name.capitalize()}  {p:.0%}")


classes = (FACEMOTION_PT_recognize,)
