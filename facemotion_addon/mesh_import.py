# SPDX-License-Identifier: GPL-3.0-or-later
"""The one entry for bringing a user's face mesh file into Blender, through Blender's own importers.

Formats: Wavefront ``.obj`` (``bpy.ops.wm.obj_import``), glTF ``.glb``/``.gltf`` (``bpy.ops.import_scene.gltf``),
``.fbx`` (``bpy.ops.import_scene.fbx``) and ``.blend`` (every object appended with ``bpy.data.libraries.load``).

Axes: each importer keeps its own default convention. OBJ files are taken as Y-up (forward -Z, up Y: how Blender's
OBJ exporter writes them and how ICT-FaceKit and MediaPipe's OBJs are authored) and shown Z-up: Blender's OBJ
importer keeps the file's coordinates in the mesh (local space) and puts the axis change in the object's rotation
(+90 degrees about X), so a file vertex ``(x, y, z)`` is ``(x, -z, y)`` in world space. The vertex order of a
single-object OBJ is kept, so ICT-FaceKit vertex indices stay valid. glTF is Y-up by specification (the importer
converts); FBX files carry their own axes.

Failures raise :class:`InputError` with one line, and remove whatever the failed import had already created.
"""
from pathlib import Path

import bpy

from ..core.errors import InputError

#: File suffixes ``import_mesh_file`` accepts.
SUPPORTED_SUFFIXES = (".obj", ".glb", ".gltf", ".fbx", ".blend")

#: Longest file path Blender's operators take, in UTF-8 bytes (``FILE_MAX`` is 1024 with the terminating NUL).
#: Longer paths are silently truncated by the operators' string properties, which would read or write another file.
BLENDER_PATH_MAX = 1023


def check_blender_path(path):
    """Raise InputError when ``path`` is too long for Blender's file operators (see ``BLENDER_PATH_MAX``)."""
    size = len(str(path).encode("utf-8"))
    if size > BLENDER_PATH_MAX:
        raise InputError(f"file path is {size} bytes long, Blender handles at most {BLENDER_PATH_MAX}; "
                         "use a shorter folder or file name")


def _run_importer(suffix, filepath):
    if suffix == ".obj":
        return bpy.ops.wm.obj_import(filepath=filepath)
    if suffix in (".glb", ".gltf"):
        return bpy.ops.import_scene.gltf(filepath=filepath)
    return bpy.ops.import_scene.fbx(filepath=filepath)


def _append_blend(filepath, collection):
    """Append every object of a .blend file; link the meshes (and their parents) into ``collection``."""
    with bpy.data.libraries.load(filepath, link=False) as (data_from, data_to):
        data_to.objects = list(data_from.objects)
    appended = [obj for obj in data_to.objects if obj is not None]
    keep = set()
    for obj in appended:
        if obj.type == "MESH":
            while obj is not None and obj not in keep:  # parents keep the meshes' world transforms
                keep.add(obj)
                obj = obj.parent
    for obj in appended:
        if obj in keep:
            if obj.name not in collection.objects:
                collection.objects.link(obj)
        else:
            bpy.data.objects.remove(obj)
    # Objects linked by hand reach the view layer (selection, export) only after an update.
    bpy.context.view_layer.update()


def _remove_objects(objects):
    for obj in objects:
        if obj.name in bpy.data.objects:
            bpy.data.objects.remove(obj)


def import_mesh_file(path):
    """Import a mesh file into the current scene and return its mesh objects (those with at least one face).

    Args:
        path: ``.obj``, ``.glb``, ``.gltf``, ``.fbx`` or ``.blend`` file (``str`` or ``Path``).

    Returns:
        ``list[bpy.types.Object]``: the imported mesh objects with faces, sorted by name. Other imported objects
        (empties, armatures, cameras...) stay in the scene but are not returned; meshes without faces (point
        clouds, wire edges) are not returned either.

    Raises:
        InputError: the file is missing, its suffix is not supported, the importer fails (not a valid file of that
            format), or it holds no mesh with faces. The scene is left as it was.
    """
    # "//" means relative to the open .blend in Blender; plain relative paths are relative to the working directory.
    path = Path(bpy.path.abspath(str(path)))
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(f"{path.name}: unsupported mesh file type '{suffix or '(none)'}'; "
                         f"use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    filepath = str(path.resolve())
    check_blender_path(filepath)
    before = set(bpy.data.objects)
    try:
        if suffix == ".blend":
            # Where the other importers put new objects: the active collection.
            _append_blend(filepath, bpy.context.view_layer.active_layer_collection.collection)
        else:
            result = _run_importer(suffix, filepath)
            if "FINISHED" not in result:
                raise RuntimeError("the importer was cancelled")
    except (RuntimeError, OSError, ValueError) as exc:
        _remove_objects(set(bpy.data.objects) - before)
        # Blender's operator errors are multi-line ("Error: ..."); keep the first meaningful line.
        reason = next((line.strip() for line in str(exc).splitlines() if line.strip()), type(exc).__name__)
        raise InputError(f"{path.name}: could not be imported as {suffix} ({reason})") from None
    new_objects = set(bpy.data.objects) - before
    meshes = sorted((o for o in new_objects if o.type == "MESH" and len(o.data.polygons) > 0), key=lambda o: o.name)
    if not meshes:
        kinds = sorted({o.type.lower() for o in new_objects})
        _remove_objects(new_objects)
        found = f"found only {', '.join(kinds)}" if kinds else "found nothing"
        raise InputError(f"{path.name}: no mesh with faces in the file ({found}); export the face as a polygon mesh")
    return meshes
