# SPDX-License-Identifier: GPL-3.0-or-later
"""The Speech panel: a voice (sound file or sound strip), its transcript and the emotion source, then Speak."""

import bpy

from ..facemotion_addon import compat
from .base import FacemotionPanel

__all__ = ["FACEMOTION_PT_speech", "classes"]


class FACEMOTION_PT_speech(FacemotionPanel, bpy.types.Panel):
    """Lip sync and emotion from a voice recording"""

    bl_label = "Speech"
    bl_options = {"DEFAULT_CLOSED"}

    def draw_settings(self, layout, props, context):
        col = layout.column()
        col.use_property_split = True
        col.use_property_decorate = False
        col.prop(props, "speech_input", expand=True)
        if props.speech_input == "FILE":
            col.prop(props, "speech_audio")
        elif compat.sound_strips(context.scene):
            col.prop_search(props, "speech_strip", context.scene.sequence_editor, compat.ALL_STRIPS, icon="SOUND")
        else:
            col.label(text="The scene has no sound strips", icon="INFO")
        col.prop(props, "speech_transcript")
        col.prop(props, "speech_source")
        if props.speech_source in ("emotion", "prosody"):
            col.prop(props, "emotion")
            col.prop(props, "speech_level")
        elif props.speech_source == "text":
            col.prop(props, "direction_text")
        if props.speech_source in ("transcript", "prosody"):
            col.prop(props, "speech_window")
            col.prop(props, "speech_transition")
        col.prop(props, "speech_visemes")
        layout.operator("facemotion.speak", icon="SPEAKER")


classes = (FACEMOTION_PT_speech,)
