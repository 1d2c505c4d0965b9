# SPDX-License-Identifier: GPL-3.0-or-later
"""Exporting rigged, animated faces: glTF 2.0 (morph targets + weights animation), FBX (blend shapes), .blend.

Every export is atomic: Blender's exporter writes into a temporary name in the destination directory, and only a
complete file is renamed onto the destination (``core.atomic_io``), so a failed export leaves no file behind and never
a half-written one. An existing destination is refused unless ``overwrite=True``.

Only the given objects are exported (the exporters' "selected only" mode, with the selection restored afterwards).
"""
import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import bpy

from ..core.io.atomic_io import atomic_output
from .console import blender_error_cause
from ..core.errors import FacemotionError, InputError
from . import compat
from .mesh_import import check_blender_path

#: Name of the single glTF animation holding every exported mesh's shape-key action (one shared timeline).
GLTF_ANIMATION_NAME = "facemotion"


def _destination(path, suffixes, overwrite):
    # "//" means relative to the open .blend in Blender; plain relative paths are relative to the working directory.
    path = Path(os.path.abspath(bpy.path.abspath(str(path))))
    if path.suffix.lower() not in suffixes:
        raise InputError(f"{path.name}: the file name must end with {' or '.join(suffixes)}")
    if path.is_dir():
        raise InputError(f"{path}: is a directory; give a file name")
    if path.exists() and not overwrite:
        raise FacemotionError(f"{path} already exists; enable overwrite or choose another file name")
    return path


@contextlib.contextmanager
def _only_selected(objects):
    """Select exactly ``objects`` (all must be in the current view layer) and restore the selection afterwards."""
    objects = list(objects)
    if not objects:
        raise InputError("nothing to export: no objects given")
    view_layer = bpy.context.view_layer
    layer_objects = set(view_layer.objects)
    for obj in objects:
        if obj not in layer_objects:
            raise InputError(f"object '{obj.name}' is not in the current view layer, so it cannot be exported; "
                             "link it into the scene")
    selected = [obj for obj in layer_objects if obj.select_get()]
    active = view_layer.objects.active
    try:
        for obj in selected:
            obj.select_set(False)
        for obj in objects:
            obj.select_set(True)
        view_layer.objects.active = objects[0]
        yield
    finally:
        for obj in layer_objects:
            if obj.name in view_layer.objects:
                obj.select_set(obj in selected)
        view_layer.objects.active = active


def _exporter_failed(path, exc):
    reason = blender_error_cause(exc)
    return FacemotionError(f"{Path(path).name}: export failed ({reason})")


def export_gltf(path, objects, *, animations=True, overwrite=False):
    """Export ``objects`` to glTF 2.0 with their shape keys as morph targets and their shape-key animation.

    Args:
        path: destination ``.glb`` (binary, one file) or ``.gltf`` (JSON + ``.bin`` beside it).
        objects: mesh objects to export (in the current view layer).
        animations: export the active shape-key actions, merged into one glTF animation named
            ``GLTF_ANIMATION_NAME`` (every face on one timeline), sampled once per frame, as ``weights`` channels.
        overwrite: replace an existing file instead of raising.

    Morph target names go to ``mesh.extras.targetNames`` (the glTF convention read by three.js, Babylon, Unity
    glTFast). Y-up output (glTF's axis convention).

    Returns the ``Path`` written. Raises InputError (bad name or objects), FacemotionError (file exists without
    ``overwrite``, exporter failure; no file is left behind).
    """
    path = _destination(path, (".glb", ".gltf"), overwrite)
    export_format = compat.gltf_export_format(path.suffix)

    def write(target):
        check_blender_path(target)
        bpy.ops.export_scene.gltf(
            filepath=str(target), export_format=export_format, use_selection=True,
            export_morph=True, export_morph_normal=True, export_apply=False,
            export_animations=animations, export_morph_animation=animations,
            export_animation_mode="ACTIVE_ACTIONS", export_nla_strips_merged_animation_name=GLTF_ANIMATION_NAME,
            export_force_sampling=True, export_frame_range=False,
            export_extras=True,  # custom properties as extras: facemotion's shape-key ownership list survives
            export_anim_slide_to_zero=True)  # timeline time 0 (scene frame 1) is glTF time 0

    with _only_selected(objects):
        if export_format == "GLB":
            _export_single_file(path, write)
        else:
            _export_with_companions(path, write, overwrite)
    return path


def export_fbx(path, objects, *, animations=True, overwrite=False):
    """Export ``objects`` to FBX with shape keys as blend shapes (and their animation baked when ``animations``).

    Modifiers are not applied (``use_mesh_modifiers=False``): FBX blend shapes need the mesh the shape keys belong
    to. Only the actions assigned to the objects are baked (not every action in the file). Axes: Blender's FBX
    defaults (-Z forward, Y up).

    Returns the ``Path`` written. Raises InputError / FacemotionError as :func:`export_gltf`.
    """
    path = _destination(path, (".fbx",), overwrite)

    def write(target):
        check_blender_path(target)
        bpy.ops.export_scene.fbx(
            filepath=str(target), use_selection=True, check_existing=False,
            object_types={"MESH", "ARMATURE", "EMPTY"}, use_mesh_modifiers=False, mesh_smooth_type="FACE",
            add_leaf_bones=False, bake_anim=animations, bake_anim_use_all_actions=False,
            bake_anim_use_nla_strips=False, use_custom_props=True)  # keeps the shape-key ownership list

    with _only_selected(objects):
        _export_single_file(path, write)
    return path


def save_blend(path, *, overwrite=False):
    """Save a copy of the current Blender session to ``path`` (``.blend``) without changing the open file's path.

    Returns the ``Path`` written. Raises InputError / FacemotionError as :func:`export_gltf`.
    """
    path = _destination(path, (".blend",), overwrite)

    def write(target):
        # Blender backs up an existing file as "<name>.blend1" before saving over it; start from no file.
        check_blender_path(target)
        target.unlink()
        bpy.ops.wm.save_as_mainfile(filepath=str(target), copy=True, check_existing=False)

    _export_single_file(path, write)
    return path


def _export_single_file(path, write):
    try:
        with atomic_output(path) as tmp:
            write(tmp)
            if not tmp.is_file() or tmp.stat().st_size == 0:
                raise RuntimeError("the exporter wrote no data")
    except RuntimeError as exc:
        raise _exporter_failed(path, exc) from None


def _export_with_companions(path, write, overwrite):
    """Export a multi-file format (.gltf + .bin + textures): write everything in a hidden directory beside ``path``,
    then move the companion files first and the main file last, so the main file only appears once complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        try:
            write(stage / path.name)
        except RuntimeError as exc:
            raise _exporter_failed(path, exc) from None
        produced = sorted(p for p in stage.rglob("*") if p.is_file())
        if stage / path.name not in produced:
            raise FacemotionError(f"{path.name}: export failed (the exporter wrote no data)")
        if not overwrite:
            clashes = [p.relative_to(stage) for p in produced if (path.parent / p.relative_to(stage)).exists()]
            if clashes:
                raise FacemotionError(f"{path.parent / clashes[0]} already exists; enable overwrite or choose another "
                                      "file name")
        for item in sorted(produced, key=lambda p: p == stage / path.name):
            target = path.parent / item.relative_to(stage)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(item, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
