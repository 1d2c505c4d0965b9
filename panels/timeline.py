# SPDX-License-Identifier: GPL-3.0-or-later
"""The Timeline panel: the emotion keys, blink and noise settings, bake, and export."""
import bpy

from ..facemotion_addon import presets
from ..facemotion_addon.properties import settings
from .base import FacemotionPanel

__all__ = ["FACEMOTION_PT_timeline", "FACEMOTION_UL_timeline_keys", "classes", "draw_presets"]


class FACEMOTION_UL_timeline_keys(bpy.types.UIList):
    """One row per timeline key: time, emotion, intensity"""

    bl_idname = "FACEMOTION_UL_timeline_keys"

    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        row = layout.row(align=True)
        row.label(text=f"{item.time:.2f} s", icon="KEYFRAME")
        row.prop(item, "emotion", text="", emboss=False)
        row.prop(item, "intensity", text="", emboss=False, slider=True)


def draw_presets(layout, kind):
    """A row with Save Preset for ``kind`` ('emotion' / 'timeline') and one button per saved preset, applying it."""
    col = layout.column(align=True)
    row = col.row(align=True)
    row.label(text=f"{kind.capitalize()} Presets", icon="PRESET")
    op = row.operator("facemotion.preset_save", text="", icon="ADD")
    op.kind = kind
    try:
        names = presets.list_presets(kind)
    except OSError:  # an unreadable presets folder hides the list, never the panel
        names = []
    for name in names:
        op = col.operator("facemotion.preset_load", text=name)
        op.kind, op.name = kind, name


class FACEMOTION_PT_timeline(FacemotionPanel, bpy.types.Panel):
    """Emotion keys over time, baked onto the selected rigged faces as keyframes"""

    bl_label = "Timeline"
    bl_idname = "FACEMOTION_PT_timeline"

    def draw(self, context):
        layout = self.layout
        props = settings(context.scene)

        row = layout.row()
        row.template_list("FACEMOTION_UL_timeline_keys", "", props, "timeline_keys", props, "active_key_index",
                          rows=4)
        side = row.column(align=True)
        side.operator("facemotion.timeline_add_key", icon="ADD", text="")
        side.operator("facemotion.timeline_remove_key", icon="REMOVE", text="")
        layout.operator("facemotion.timeline_demo_keys", icon="PRESET")

        if 0 <= props.active_key_index < len(props.timeline_keys):
            item = props.timeline_keys[props.active_key_index]
            col = layout.column(align=True)
            col.use_property_split = True
            col.use_property_decorate = False
            for name in ("time", "emotion", "intensity", "transition", "easing"):
                col.prop(item, name)

        col = layout.column(heading="Blinks")
        col.use_property_split = True
        col.use_property_decorate = False
        col.prop(props, "blinks", text="")
        sub = col.column(align=True)
        sub.active = props.blinks
        sub.prop(props, "blink_rate")
        sub.prop(props, "blink_seed")
        col.prop(props, "noise_amplitude")
        sub = col.column()
        sub.active = props.noise_amplitude > 0
        sub.prop(props, "noise_seed")

        draw_presets(layout, "timeline")

        layout.operator("facemotion.bake_timeline", icon="REC")

        box = layout.box()
        box.label(text="Export", icon="EXPORT")
        box.prop(props, "export_format")
        op = box.operator("facemotion.export", text="Export...")
        op.export_format = props.export_format
        if props.export_path:
            box.label(text=f"Last: {bpy.path.basename(props.export_path)}")


classes = (FACEMOTION_UL_timeline_keys, FACEMOTION_PT_timeline)
