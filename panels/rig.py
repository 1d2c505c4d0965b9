# SPDX-License-Identifier: GPL-3.0-or-later
"""The Rig panel: detect landmarks, rig, and the rig status of the selection."""
import bpy

from ..core.arkit import ARKIT_NAMES
from ..facemotion_addon.properties import settings
from ..facemotion_addon.rigging import landmark_object_for
from ..facemotion_addon.selection import arkit_key_count, face_meshes, is_landmark_object
from .base import FacemotionPanel, draw_last_report

__all__ = ["FACEMOTION_PT_rig", "classes"]


class FACEMOTION_PT_rig(FacemotionPanel, bpy.types.Panel):
    """Landmarks and auto-rig of the selected face mesh(es)"""

    bl_label = "Rig"
    bl_idname = "FACEMOTION_PT_rig"

    def draw(self, context):
        layout = self.layout
        props = settings(context.scene)
        col = layout.column(align=True)
        col.operator("facemotion.detect_landmarks", icon="SHADERFX")
        col.operator("facemotion.rig_face", icon="SHAPEKEY_DATA")
        layout.prop(props, "replace_keys")

        box = layout.box()
        faces = face_meshes(context)
        active = getattr(context, "active_object", None)
        if active is not None and is_landmark_object(active):
            box.label(text=f"{active.name}: landmarks (edit in Edit Mode)", icon="VERTEXSEL")
        elif not faces:
            box.label(text="Select the face mesh(es) to rig", icon="INFO")
        else:
            landmarks = landmark_object_for(faces)
            if landmarks is not None:
                box.label(text=f"Landmarks: {landmarks.name}", icon="CHECKMARK")
            else:
                box.label(text="Landmarks: none yet (Rig Face detects them)", icon="DOT")
            for obj in faces:
                count = arkit_key_count(obj)
                icon = "CHECKMARK" if count == len(ARKIT_NAMES) else "DOT"
                box.label(text=f"{obj.name}: {count}/{len(ARKIT_NAMES)} ARKit keys", icon=icon)
        draw_last_report(layout, props)


classes = (FACEMOTION_PT_rig,)
