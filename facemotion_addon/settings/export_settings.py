# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender properties for the engine export options, made from the table in
:mod:`facemotion.core.io.export_options`, shared by the export operator's dialog and the Export panel
(``Scene.facemotion_export``).

:class:`ExportOptionProperties` is a mixin of annotations, one property per
:class:`~facemotion.core.io.export_options.ExportOptions` field (a menu's items from its choices) plus the preset
menu: the operator and the scene's property group both inherit it, so the two always offer the same options.
Choosing a preset writes its values into the fields (then any field can be changed); :func:`option_values` reads the
fields back as :func:`.pipeline.export` keywords.
"""

import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, PointerProperty, StringProperty

from ...core.io import export_options as table

__all__ = [
    "ExportOptionProperties",
    "FacemotionExportSettings",
    "classes",
    "copy_options",
    "menu_items",
    "option_values",
    "register_scene_property",
    "unregister_scene_property",
]


def menu_items(choices):
    """EnumProperty items ``[(identifier, name, description)]`` from :class:`~facemotion.core.io.export_options.
    Choice` s."""
    return [(choice.value, choice.label, choice.description) for choice in choices]


def _preset_items():
    return [
        (name, preset.label, preset.description[:1].upper() + preset.description[1:])
        for name, preset in table.PRESETS.items()
    ]


def _apply_preset(self, _context):
    copy_options(table.resolve(self.preset), self, fields_only=True)


def _option_property(spec):
    """The Blender property of one :class:`~facemotion.core.io.export_options.ExportOptions` field."""
    meta = spec.metadata
    common = {"name": meta["label"], "description": meta["description"], "default": spec.default}
    if isinstance(spec.default, bool):
        return BoolProperty(**common)
    if meta["choices"]:
        return EnumProperty(items=menu_items(meta["choices"]), **common)
    if isinstance(spec.default, float):
        return FloatProperty(min=meta["minimum"], max=meta["maximum"], subtype="NONE", **common)
    return StringProperty(**common)


def _option_properties():
    """The mixin class: ``preset`` and one property per option field, as annotations (what bpy registers)."""
    annotations = {
        "preset": EnumProperty(
            name="Preset",
            description="Named set of export options",
            items=_preset_items(),
            default="default",
            update=_apply_preset,
        )
    }
    annotations.update((spec.name, _option_property(spec)) for spec in table.option_fields())
    return type(
        "ExportOptionProperties",
        (),
        {
            "__annotations__": annotations,
            "__module__": __name__,
            "__doc__": "The export options as Blender properties (mixin for operators and property groups).",
        },
    )


ExportOptionProperties = _option_properties()


def _field_names():
    return [spec.name for spec in table.option_fields()]


def option_values(props):
    """``{"preset": ..., field: value...}``: the keywords :func:`.pipeline.export` takes, from ``props`` (an
    :class:`ExportOptionProperties` holder: the operator or ``Scene.facemotion_export``)."""
    return {"preset": props.preset, **{name: getattr(props, name) for name in _field_names()}}


def copy_options(source, target, *, fields_only=False):
    """Copy the option fields (and, unless ``fields_only``, the preset) from ``source`` (an
    :class:`~facemotion.core.io.export_options.ExportOptions` or a property holder) to the property holder
    ``target``."""
    if not fields_only and hasattr(source, "preset"):
        # set the preset first: its update callback rewrites the fields, which are then copied over it
        target.preset = source.preset
    for name in _field_names():
        setattr(target, name, getattr(source, name))


class FacemotionExportSettings(ExportOptionProperties, bpy.types.PropertyGroup):
    """The Export panel's options (``Scene.facemotion_export``), passed to the Export operator"""


classes = (FacemotionExportSettings,)


def register_scene_property():
    """Add ``Scene.facemotion_export`` (after :data:`classes` are registered)."""
    bpy.types.Scene.facemotion_export = PointerProperty(type=FacemotionExportSettings)


def unregister_scene_property():
    """Remove ``Scene.facemotion_export`` (before :data:`classes` are unregistered)."""
    if hasattr(bpy.types.Scene, "facemotion_export"):
        del bpy.types.Scene.facemotion_export
