# SPDX-License-Identifier: GPL-3.0-or-later
"""The export operator: writes the selected faces (shape keys as morph targets / blend shapes, and their animation)
to glTF binary, glTF separate or FBX through :func:`facemotion.facemotion_addon.pipeline.export`, with the engine
options of :mod:`facemotion.core.io.export_options` (a named preset, then any single option) shown in the
file browser's side panel. It is also File > Export > Facemotion (glTF/FBX) (:func:`menu_export`).

Invoked from the UI it opens Blender's file browser (which marks an existing file name in red, as Blender's own
exporters do, and then overwrites it); executed from a script with ``filepath`` set it refuses to replace an existing
file unless ``overwrite=True``.
"""

import os

import bpy
from bpy.props import BoolProperty, EnumProperty, StringProperty
from bpy_extras.io_utils import ExportHelper

from ..core.errors import InputError
from ..core.io.export_options import option_fields
from ..facemotion_addon import pipeline
from ..facemotion_addon.selection import face_meshes
from ..facemotion_addon.settings.export_settings import ExportOptionProperties, copy_options, option_values
from ..facemotion_addon.settings.properties import EXPORT_FORMATS, settings
from .base import FacemotionOperator

__all__ = ["FACEMOTION_OT_export", "classes", "format_for_path", "menu_export"]

_FORMAT_ITEMS = [(key, label, f"Write {label}") for key, (_, label) in EXPORT_FORMATS.items()]


def format_for_path(path):
    """The export format identifier for a file name's suffix (``"face.fbx"`` -> ``"FBX"``), or None."""
    suffix = os.path.splitext(str(path))[1].lower()
    return next((key for key, (ext, _) in EXPORT_FORMATS.items() if ext == suffix), None)


class FACEMOTION_OT_export(ExportOptionProperties, FacemotionOperator, bpy.types.Operator, ExportHelper):
    """Export the selected faces with their ARKit shape keys and baked animation (glTF or FBX)"""

    bl_idname = "facemotion.export"
    bl_label = "Export Face"
    requires = "faces"

    filter_glob: StringProperty(default="*.glb;*.gltf;*.fbx", options={"HIDDEN"})
    export_format: EnumProperty(name="Format", description="File format", items=_FORMAT_ITEMS, default="GLB")
    overwrite: BoolProperty(name="Overwrite", description="Replace the file if it exists", default=False)

    @property
    def filename_ext(self):
        """Suffix of the chosen format; ExportHelper's ``check`` keeps the file name's suffix in step with it."""
        return EXPORT_FORMATS[self.export_format][0]

    def invoke(self, context, event):
        props = settings(context.scene)
        if not self.filepath and props.export_path:
            self.filepath = bpy.path.abspath(props.export_path)
        if not self.properties.is_property_set("export_format"):
            self.export_format = format_for_path(self.filepath) or props.export_format
        scene_options = getattr(context.scene, "facemotion_export", None)
        if scene_options is not None and not self.properties.is_property_set("preset"):
            copy_options(scene_options, self)  # the Export panel's options, unless the caller chose its own
        # The file browser warns about an existing name (check_existing); choosing it there means replacing it.
        self.overwrite = True
        return ExportHelper.invoke(self, context, event)

    def run(self, context):
        if not self.filepath or not os.path.basename(self.filepath):
            raise InputError("choose a file name to export to (.glb, .gltf or .fbx)")
        path = self.filepath
        chosen = format_for_path(path)
        if chosen is None:  # no or unknown suffix: add the selected format's
            path = bpy.path.ensure_ext(path, self.filename_ext)
            chosen = self.export_format
        objects = face_meshes(context)
        try:
            pipeline.export(objects, path, overwrite=self.overwrite, **option_values(self))
        except OSError as exc:  # e.g. a folder that cannot be created
            raise InputError(f"{path}: cannot write ({exc.strerror or exc})") from None
        props = settings(context.scene)
        props.export_path, props.export_format = path, chosen
        scene_options = getattr(context.scene, "facemotion_export", None)
        if scene_options is not None:
            copy_options(self, scene_options)  # the panel remembers the last export's options
        return f"Exported {', '.join(obj.name for obj in objects)} to {path}"

    def draw(self, context):
        self.layout.prop(self, "export_format")
        draw_export_options(self.layout, self, glb=self.export_format != "FBX")


def draw_export_options(layout, props, *, glb=True):
    """Draw the preset and the option fields of ``props`` (the operator, or ``Scene.facemotion_export``) into
    ``layout`` in the export table's order (:mod:`facemotion.core.io.export_options`); glTF-only options are greyed
    out for FBX (``glb=False``), and an option whose ``depends_on`` switch is off."""
    col = layout.column()
    col.use_property_split = True
    col.use_property_decorate = False
    col.prop(props, "preset")
    for spec in option_fields():
        meta = spec.metadata
        row = col.row()
        switch = meta["depends_on"]
        row.active = (glb or not meta["gltf_only"]) and (switch is None or getattr(props, switch))
        row.prop(props, spec.name)


def menu_export(self, context):
    """File > Export > Facemotion (glTF/FBX) (appended to ``TOPBAR_MT_file_export`` by ``register()``)."""
    self.layout.operator(FACEMOTION_OT_export.bl_idname, text="Facemotion (glTF/FBX)")


classes = (FACEMOTION_OT_export,)
