# SPDX-License-Identifier: GPL-3.0-or-later
"""The Emotion panel: pose the selected rigged faces with a preset, and the active face's ARKit sliders."""
import bpy

from ..core.arkit import ARKIT_NAMES
from ..facemotion_addon.properties import settings
from .base import FacemotionPanel
from .timeline import draw_presets

__all__ = ["FACEMOTION_PT_arkit_keys", "FACEMOTION_PT_emotion", "classes"]


class FACEMOTION_PT_emotion(FacemotionPanel, bpy.types.Panel):
    """Emotion presets for the selected rigged faces"""

    bl_label = "Emotion"
    bl_idname = "FACEMOTION_PT_emotion"

    def draw(self, context):
        layout = self.layout
        props = settings(context.scene)
        layout.prop(props, "emotion")
        layout.prop(props, "intensity", slider=True)
        row = layout.row(align=True)
        row.operator("facemotion.apply_emotion", icon="CHECKMARK")
        row.operator("facemotion.reset_pose", icon="LOOP_BACK")
        draw_presets(layout, "emotion")


def _shape_keys(obj):
    return obj.data.shape_keys if obj is not None and obj.type == "MESH" else None


class FACEMOTION_PT_arkit_keys(FacemotionPanel, bpy.types.Panel):
    """The active object's 52 ARKit shape-key values as sliders"""

    bl_label = "ARKit Shape Keys"
    bl_idname = "FACEMOTION_PT_arkit_keys"
    bl_parent_id = "FACEMOTION_PT_emotion"
    bl_options = {"DEFAULT_CLOSED"}

    @classmethod
    def poll(cls, context):
        return _shape_keys(getattr(context, "active_object", None)) is not None

    def draw(self, context):
        layout = self.layout
        key = _shape_keys(context.active_object)
        blocks = key.key_blocks
        missing = [name for name in ARKIT_NAMES if name not in blocks]
        if missing:
            layout.label(text=f"{len(missing)} of {len(ARKIT_NAMES)} ARKit keys missing, e.g. {missing[0]}",
                         icon="ERROR")
        col = layout.column(align=True)
        for name in ARKIT_NAMES:
            block = blocks.get(name)
            if block is not None:
                col.prop(block, "value", text=name, slider=True)


classes = (FACEMOTION_PT_emotion, FACEMOTION_PT_arkit_keys)
