# SPDX-License-Identifier: GPL-3.0-or-later
"""The mixin every facemotion panel shares: where it lives (3D Viewport > Sidebar > Facemotion), its id (the class
name, Blender's default) and the scene settings it draws; and the status line. Each panel states only its label,
options and ``draw_settings`` (or its own ``draw``)."""

from ..facemotion_addon.settings.properties import settings

__all__ = ["FacemotionPanel", "draw_last_report"]


class FacemotionPanel:
    """Mixin for ``bpy.types.Panel``: the Facemotion tab of the 3D Viewport's sidebar (N)."""

    bl_space_type = "VIEW_3D"
    bl_region_type = "UI"
    bl_category = "Facemotion"

    def draw(self, context):
        """Draw :meth:`draw_settings` with the scene's facemotion settings (``Scene.facemotion``)."""
        self.draw_settings(self.layout, settings(context.scene), context)

    def draw_settings(self, layout, props, context):
        """Draw the panel into ``layout`` from ``props`` (the scene's settings); panels that draw from other data
        override :meth:`draw` instead."""
        raise NotImplementedError


def draw_last_report(layout, props):
    """The *Last Result* line (what the last facemotion operator reported), when there is one."""
    if props.last_report:
        layout.label(text=props.last_report, icon="INFO")
