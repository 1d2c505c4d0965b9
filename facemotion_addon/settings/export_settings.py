# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender properties for the engine export options (:mod:`.export_presets`), shared by the export operator's
dialog and the Export panel (``Scene.facemotion_export``).

:class:`ExportOptionProperties` is a mixin of annotations: the operator and the scene's property group both
inherit it, so the two always offer the same options. Choosing a preset writes its values into the fields (then any
field can be changed); :func:`option_values` reads the fields back as :func:`.pipeline.export` keywords.
"""
import bpy
from bpy.props import BoolProperty, EnumProperty, FloatProperty, PointerProperty, StringProperty

from .. import export_presets

__all__ = ["ExportOptionProperties", "FacemotionExportSettings", "classes", "copy_options", "option_values",
           "register_scene_property", "unregister_scene_property"]

_PRESET_ITEMS = [
    ("default", "Default", "Smooth shading, no morph normals, sparse targets, ARKit names, uncompressed"),
    ("unity", "Unity", "As Default: Apple's ARKit names, uncompressed GLB (glTFast) or FBX"),
    ("unreal", "Unreal", "Live Link's PascalCase names (EyeBlinkLeft); FBX or GLB"),
    ("web", "Web (three.js)", "meshopt compression + quantisation (gltfpack), unused UVs dropped"),
]
_COMPRESS_ITEMS = [
    ("none", "None", "Blender's own file; every importer reads it"),
    ("meshopt", "Meshopt", "EXT_meshopt_compression through gltfpack (needs Node.js + gltfpack); three.js, "
                           "Babylon and glTFast read it, Blender's importer does not"),
    ("draco", "Draco", "KHR_draco_mesh_compression of the base mesh (morph targets stay uncompressed)"),
]
_SAMPLING_ITEMS = [
    ("keyed", "Keyed", "The bake's keys: in glTF every morph target of a mesh shares one set of key times, so the "
                       "keys of all targets together, refined until every frame is within 0.001"),
    ("sampled", "Sampled", "One key per frame"),
]
_ANIMATION_MODE_ITEMS = [
    ("active", "Active Actions", "The active shape-key actions as one animation named after Clip Name"),
    ("nla_tracks", "NLA Tracks", "One animation per NLA track, named after the track (glTF)"),
    ("actions", "Actions", "One animation per action that fits the mesh, named after the action (glTF)"),
]
_NAME_ITEMS = [
    ("arkit", "ARKit", "Apple's names (eyeBlinkLeft): Unity, three.js, Babylon"),
    ("unreal", "Unreal", "PascalCase (EyeBlinkLeft): Unreal Live Link / ARKit curves"),
]


def _apply_preset(self, _context):
    copy_options(export_presets.resolve(self.preset), self, fields_only=True)


class ExportOptionProperties:
    """The export options as Blender properties (mixin for operators and property groups)."""

    preset: EnumProperty(name="Preset", description="Named set of export options", items=_PRESET_ITEMS,
                         default="default", update=_apply_preset)
    morph_normals: BoolProperty(name="Morph Normals", default=False,
                                description="Write normal deltas per morph target (about 2.5x the file size)")
    sparse_morph: BoolProperty(name="Sparse Targets", default=True,
                               description="Store only the vertices each morph target moves (glTF)")
    smooth: BoolProperty(name="Smooth Flat Meshes", default=True,
                         description="Smooth-shade meshes without custom normals whose faces are all flat, for "
                                     "the export only (vertices are then not split per face)")
    smooth_angle: FloatProperty(name="Smooth Angle", default=30.0, min=0.0, max=180.0, subtype="NONE",
                                description="Edges sharper than this (degrees) stay sharp when smoothing")
    drop_unused: BoolProperty(name="Drop Unused UVs", default=False,
                              description="Leave out texture coordinates that no material reads (glTF)")
    compress: EnumProperty(name="Compression", items=_COMPRESS_ITEMS, default="none",
                           description="glTF mesh compression")
    quantize: BoolProperty(name="Quantize", default=False,
                           description="Quantised positions, normals, UVs and morph deltas (gltfpack)")
    sampling: EnumProperty(name="Animation", items=_SAMPLING_ITEMS, default="keyed",
                           description="Keys of the animation")
    animation_mode: EnumProperty(name="Clips", items=_ANIMATION_MODE_ITEMS, default="active",
                                 description="Which actions become glTF animations (FBX: the active action)")
    clip_name: StringProperty(name="Clip Name", default="facemotion",
                              description="Name of the animation (glTF) / take (FBX)")
    names: EnumProperty(name="Target Names", items=_NAME_ITEMS, default="arkit",
                        description="Names of the morph targets / blend shapes")


_FIELDS = ("morph_normals", "sparse_morph", "smooth", "smooth_angle", "drop_unused", "compress", "quantize",
           "sampling", "animation_mode", "clip_name", "names")


def option_values(props):
    """``{"preset": ..., field: value...}``: the keywords :func:`.pipeline.export` takes, from ``props`` (an
    :class:`ExportOptionProperties` holder: the operator or ``Scene.facemotion_export``)."""
    return {"preset": props.preset, **{name: getattr(props, name) for name in _FIELDS}}


def copy_options(source, target, *, fields_only=False):
    """Copy the option fields (and, unless ``fields_only``, the preset) from ``source`` (an
    :class:`.export_presets.ExportOptions` or a property holder) to the property holder ``target``."""
    if not fields_only and hasattr(source, "preset"):
        # set the preset first: its update callback rewrites the fields, which are then copied over it
        target.preset = source.preset
    for name in _FIELDS:
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
