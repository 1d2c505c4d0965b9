# SPDX-License-Identifier: GPL-3.0-or-later
"""The Export panel: file format, engine preset and options (``Scene.facemotion_export``), and Export...

The options are the export operator's own (:class:`facemotion.facemotion_addon.settings.export_settings.
ExportOptionProperties`); the button passes the panel's values to the operator, whose file browser shows them again.
"""

import bpy

from ..facemotion_addon.settings.export_settings import copy_options
from ..operators.export import draw_export_options
from .base import FacemotionPanel

__all__ = ["FACEMOTION_PT_export", "classes"]


class FACEMOTION_PT_export(FacemotionPanel, bpy.types.Panel):
    """Write the selected faces with their shape keys and animation for a game engine (glTF / FBX)"""

    bl_label = "Export"
    bl_options = {"DEFAULT_CLOSED"}

    def draw_settings(self, layout, props, context):
        options = getattr(context.scene, "facemotion_export", None)
        layout.prop(props, "export_format")
        if options is not None:
            draw_export_options(layout, options, glb=props.export_format != "FBX")
        op = layout.operator("facemotion.export", text="Export...", icon="EXPORT")
        op.export_format = props.export_format
        if options is not None:
            copy_options(options, op)
        if props.export_path:
            layout.label(text=f"Last: {bpy.path.basename(props.export_path)}")


classes = (FACEMOTION_PT_export,)
