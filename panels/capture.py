# SPDX-License-Identifier: GPL-3.0-or-later
"""The Capture panel: a filmed performance (a video or a Live Link Face CSV take) onto the selected rigged faces, and
their animation written out as a Live Link Face CSV."""

import bpy

from ..facemotion_addon.selection import armature_of, rigged_meshes
from ..facemotion_addon.settings.properties import settings
from .base import FacemotionPanel

__all__ = ["FACEMOTION_PT_capture", "classes"]


class FACEMOTION_PT_capture(FacemotionPanel, bpy.types.Panel):
    """Performance capture from a video or a Live Link Face take, and Live Link export"""

    bl_label = "Capture"
    bl_options = {"DEFAULT_CLOSED"}

    def draw(self, context):
        layout = self.layout
        faces = rigged_meshes(context)
        col = layout.column(align=True)
        if faces:
            col.label(text=f"Onto {', '.join(obj.name for obj in faces)}", icon="SHAPEKEY_DATA")
        else:
            col.label(text="Select a rigged face to animate", icon="INFO")
        render = context.scene.render
        col.label(text=f"Resampled to the scene's {render.fps / render.fps_base:g} fps")
        options = settings(context.scene)
        col.prop(options, "capture_head")
        armature = next((arm for arm in map(armature_of, faces) if arm is not None), None)
        for name in ("capture_head_bone", "capture_eye_bone_left", "capture_eye_bone_right"):
            row = col.row()
            row.enabled = options.capture_head or name != "capture_head_bone"
            if armature is not None:
                row.prop_search(options, name, armature.pose, "bones")
            else:
                row.prop(options, name)
        col.prop(options, "capture_eye_objects")
        col.prop(options, "capture_emotion")
        col.prop(options, "capture_background")
        col.operator("facemotion.capture_performance", text="Video or Live Link Take...", icon="FILE_MOVIE")
        col.operator("facemotion.capture_webcam", text="Webcam (Esc Stops)", icon="OUTLINER_OB_CAMERA")
        layout.operator("facemotion.export_live_link", text="Export Live Link CSV...", icon="EXPORT")


classes = (FACEMOTION_PT_capture,)
