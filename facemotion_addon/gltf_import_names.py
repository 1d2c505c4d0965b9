# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender's own glTF importer (File > Import > glTF 2.0) gives facemotion's shape keys their ARKit names back.

Why: a rig exported with other target names (the ``unreal`` preset's PascalCase, ``EyeBlinkLeft``) keeps its
ARKit names in the ownership list (mesh ``extras``, :mod:`.shape_keys`). facemotion's own import renames the keys
back (:func:`.mesh_import.import_mesh_file`), but a file brought in through Blender's menu kept PascalCase keys, so
rigging or animating it afterwards in the UI added a second set of 52 keys beside them.

How: io_scene_gltf2's documented user-extension hook. For every enabled add-on it looks up
``glTF2ImportUserExtension`` on the add-on's top module (``facemotion`` or ``bl_ext.<repo>.facemotion``; the root
``__init__`` hands out :class:`ArkitNamesOnImport` under that name), makes one per import and calls its
``gather_import_*`` hooks. :meth:`ArkitNamesOnImport.gather_import_scene_after_animation_hook` runs once the
objects and their animation exist and applies :func:`.shape_keys.restore_arkit_names` to each imported object:
the same recognition as facemotion's own import, so a file without facemotion's ownership list (any other glTF,
PascalCase targets or not) and the user's keys are left alone. Renaming after the animation was made keeps it
driving the keys: Blender renames the F-curves' data paths with a key block.
"""

from . import compat
from .shape_keys import restore_arkit_names


class ArkitNamesOnImport:
    """An io_scene_gltf2 import user extension (one instance per import; no options, no panel)."""

    def gather_import_scene_after_animation_hook(self, gltf_scene, blender_scene, gltf):
        """Called by io_scene_gltf2 after the scene's objects and animations were made (``gltf_scene``: the glTF
        scene or None; ``blender_scene``: ``bpy.types.Scene``; ``gltf``: the importer's state). Renames the
        facemotion-owned shape keys of every imported object back to ARKit names; returns None."""
        for obj in compat.gltf_imported_objects(gltf):
            restore_arkit_names(obj)
