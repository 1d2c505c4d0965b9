# SPDX-License-Identifier: GPL-3.0-or-later
"""The Rig panel: detect landmarks, rig, the rig status of the selection with each object's face part, and the
active face's strength (:mod:`..facemotion_addon.settings.strength_properties`)."""

import bpy

from ..core.arkit import ARKIT_NAMES
from ..facemotion_addon.rigging import landmark_object_for
from ..facemotion_addon.selection import arkit_key_count, face_meshes, is_landmark_object
from ..facemotion_addon.settings.part_properties import detected_part
from ..facemotion_addon.settings.strength_properties import OVERALL_PROP, REGION_PROPS, has_strength
from .base import FacemotionPanel, draw_last_report

__all__ = ["FACEMOTION_PT_rig", "classes"]


class FACEMOTION_PT_rig(FacemotionPanel, bpy.types.Panel):
    """Landmarks and auto-rig of the selected face mesh(es); what each selected object is to the face"""

    bl_label = "Rig"

    def draw_settings(self, layout, props, context):
        col = layout.column(align=True)
        col.operator("facemotion.detect_landmarks", icon="SHADERFX")
        col.operator("facemotion.rig_face", icon="SHAPEKEY_DATA")
        col.operator("facemotion.preview_sheet", icon="RENDER_STILL")
        layout.prop(props, "replace_keys")
        layout.prop(props, "drive_bones")

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
                _draw_object(box, obj)
            _draw_strength(layout, active if active in faces else faces[0])
        draw_last_report(layout, props)


def _draw_object(box, obj):
    """One selected mesh: its ARKit keys, its Face Part drop-down, and what detection found on it."""
    count = arkit_key_count(obj)
    icon = "CHECKMARK" if count == len(ARKIT_NAMES) else "DOT"
    row = box.row()
    row.label(text=f"{obj.name}: {count}/{len(ARKIT_NAMES)} ARKit keys", icon=icon)
    row.prop(obj, "facemotion_part", text="")
    found = detected_part(obj)
    if found:
        box.label(text=f"Found: {found}", icon="BLANK1")
    elif len(obj.material_slots) > 1:
        # Several materials usually mean several parts in one object (the ICT OBJ: skin, eyes, teeth...).
        box.label(text=f"{len(obj.material_slots)} materials: Detect Landmarks finds its parts", icon="BLANK1")


def _draw_strength(layout, obj):
    """The character's strength (overall and per region) on ``obj``: every pose, bake and capture applies it."""
    col = layout.column(align=True)
    if not has_strength(obj):  # every rig stores it; a face rigged by an older version has none
        col.label(text=f"Strength of {obj.name}: as designed (Rig Face to set it)", icon="MODIFIER")
        return
    col.label(text=f"Strength of {obj.name} (weights clamped to 0..1)", icon="MODIFIER")
    col.prop(obj, f'["{OVERALL_PROP}"]', text="Strength")
    for region, prop in REGION_PROPS.items():
        col.prop(obj, f'["{prop}"]', text=region.capitalize())


classes = (FACEMOTION_PT_rig,)
