# SPDX-License-Identifier: GPL-3.0-or-later
"""The Emotion panel: pose the selected rigged faces with a preset, and the active face's ARKit sliders; its
Emotion Wheel sub-panel: a primary at its ring, a named dyad or a pair with mix and blend, a picture of the wheel
with the choice highlighted, expression presets, Add to Timeline, and text direction (Apply Text)."""

import bpy

from ..core.arkit import ARKIT_NAMES
from ..core.emotion.wheel import DYADS, PRIMARY_LEVELS
from ..core.errors import FacemotionError
from ..facemotion_addon import wheel_preview
from ..facemotion_addon.emotion_names import wheel_choice
from ..facemotion_addon.settings import wheel_presets
from .base import FacemotionPanel
from .timeline import draw_presets

__all__ = ["FACEMOTION_PT_arkit_keys", "FACEMOTION_PT_emotion", "FACEMOTION_PT_emotion_wheel", "classes"]


class FACEMOTION_PT_emotion(FacemotionPanel, bpy.types.Panel):
    """Emotion presets for the selected rigged faces"""

    bl_label = "Emotion"

    def draw_settings(self, layout, props, context):
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
            layout.label(
                text=f"{len(missing)} of {len(ARKIT_NAMES)} ARKit keys missing, e.g. {missing[0]}", icon="ERROR"
            )
        col = layout.column(align=True)
        for name in ARKIT_NAMES:
            block = blocks.get(name)
            if block is not None:
                col.prop(block, "value", text=name, slider=True)


class FACEMOTION_PT_emotion_wheel(FacemotionPanel, bpy.types.Panel):
    """Plutchik's wheel: primaries with their intensity rings, dyads, pairs with a mix, and text direction"""

    bl_label = "Emotion Wheel"
    bl_parent_id = "FACEMOTION_PT_emotion"

    @classmethod
    def unregister(cls):
        wheel_preview.clear()  # the wheel picture's preview collection

    def draw_settings(self, layout, props, context):
        layout.row().prop(props, "wheel_mode", expand=True)
        col = layout.column(align=True)
        if props.wheel_mode == "PRIMARY":
            col.prop(props, "wheel_primary")
            row = col.row(align=True)
            for level, ring in enumerate(PRIMARY_LEVELS[props.wheel_primary], start=1):
                row.prop_enum(props, "wheel_level", str(level), text=ring.capitalize())
        elif props.wheel_mode == "DYAD":
            col.prop(props, "wheel_dyad")
            first, second, kind = DYADS[props.wheel_dyad]
            col.label(text=f"{kind.capitalize()} dyad: {first} (dominant) + {second}")
        else:
            col.prop(props, "wheel_first")
            col.prop(props, "wheel_second")
        if props.wheel_mode != "PRIMARY":
            col.prop(props, "wheel_mix", slider=True)
            col.row().prop(props, "wheel_blend", expand=True)
        col.prop(props, "wheel_intensity", slider=True)
        try:
            name, mix, blend, _ = wheel_choice(props)
            preview = wheel_preview.wheel_preview(name, mix)
            layout.template_icon(icon_value=preview.icon_id, scale=7.0)
            if mix is not None:
                first = name.split("+")[0] if "+" in name else DYADS[name][0]
                second = name.split("+")[1] if "+" in name else DYADS[name][1]
                layout.label(text=f"{name}: dominant {first} {mix:.0%}, second {second} {1 - mix:.0%}")
        except FacemotionError as exc:
            layout.label(text=str(exc), icon="ERROR")
        row = layout.row(align=True)
        row.operator("facemotion.wheel_apply", text="Apply", icon="CHECKMARK")
        row.operator("facemotion.wheel_add_key", icon="KEYFRAME")

        box = layout.box()
        row = box.row(align=True)
        row.prop(props, "wheel_preset_name", text="")
        row.operator("facemotion.wheel_save_preset", text="", icon="ADD")
        try:
            names = wheel_presets.list_expression_presets()
        except OSError:  # an unreadable presets folder hides the list, never the panel
            names = []
        for saved in names:
            box.operator("facemotion.wheel_load_preset", text=saved, icon="PRESET").name = saved

        box = layout.box()
        box.label(text="Text Direction", icon="TEXT")
        box.prop(props, "direction_text", text="")
        box.operator("facemotion.apply_text", icon="PLAY")


classes = (FACEMOTION_PT_emotion, FACEMOTION_PT_arkit_keys, FACEMOTION_PT_emotion_wheel)
