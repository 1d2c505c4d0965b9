# SPDX-License-Identifier: GPL-3.0-or-later
"""The Timeline panel: the emotion keys, blink and noise settings of the active rigged face
(:func:`facemotion.facemotion_addon.settings.properties.timeline_object`) and Bake Timeline."""

import bpy

from ..facemotion_addon.settings import presets
from ..facemotion_addon.settings.properties import object_settings, timeline_object
from .base import FacemotionPanel

__all__ = ["FACEMOTION_PT_timeline", "FACEMOTION_UL_timeline_keys", "classes", "draw_presets", "draw_timeline"]


class FACEMOTION_UL_timeline_keys(bpy.types.UIList):
    """One row per timeline key: time, emotion, intensity"""

    bl_idname = "FACEMOTION_UL_timeline_keys"

    def draw_item(self, context, layout, data, item, icon, active_data, active_property, index=0, flt_flag=0):
        row = layout.row(align=True)
        row.label(text=f"{item.time:.2f} s", icon="KEYFRAME")
        if item.wheel_emotion:  # a wheel name or pair: its preset field only carries the dominant primary
            row.label(text=item.wheel_emotion)
        else:
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


def draw_timeline(layout, obj):
    """The list, key, blink and noise settings and presets of ``obj``'s own timeline."""
    props = object_settings(obj)
    layout.label(text=f"Timeline of {obj.name}", icon="OBJECT_DATA")
    row = layout.row()
    row.template_list("FACEMOTION_UL_timeline_keys", "", props, "timeline_keys", props, "active_key_index", rows=4)
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
        # A wheel key (the Emotion Wheel's Add to Timeline, Apply Text): its name, mix and blend method.
        col.prop(item, "wheel_emotion")
        if item.wheel_emotion:
            col.prop(item, "mix")
            col.prop(item, "blend")

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


class FACEMOTION_PT_timeline(FacemotionPanel, bpy.types.Panel):
    """Emotion keys over time, per rigged face, baked onto the selected rigged faces as keyframes"""

    bl_label = "Timeline"

    def draw(self, context):
        layout = self.layout
        obj = timeline_object(context)
        if obj is None:
            layout.label(text="Select a rigged face to edit its timeline", icon="INFO")
        else:
            draw_timeline(layout, obj)

        layout.operator("facemotion.bake_timeline", icon="REC")
        # Export: its own panel (panels/export.py), with the engine options.


classes = (FACEMOTION_UL_timeline_keys, FACEMOTION_PT_timeline)
