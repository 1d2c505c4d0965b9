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

A ``.blend`` given to the CLI is opened as the session's file (:func:`open_blend`), so every data-block the user had
(cameras, lights, empties, fake-user actions, custom properties, other scenes, worlds, images...) is still there when
the result is saved back; :func:`import_mesh_file` (append into the current scene) is for the add-on's UI.

Failures raise :class:`InputError` with one line, and remove whatever the failed import had already created.
"""

import math
from pathlib import Path

import bpy

from ..core.errors import InputError
from ..core.io.input_file import check_not_special
from .console import blender_error_cause, held_stdout

#: File suffixes ``import_mesh_file`` accepts.
SUPPORTED_SUFFIXES = (".obj", ".glb", ".gltf", ".fbx", ".blend")

#: Longest file path Blender's operators take, in UTF-8 bytes (``FILE_MAX`` is 1024 with the terminating NUL).
#: Longer paths are silently truncated by the operators' string properties, which would read or write another file.
BLENDER_PATH_MAX = 1023


def check_blender_path(path):
    """Raise InputError when ``path`` is too long for Blender's file operators (see ``BLENDER_PATH_MAX``)."""
    size = len(str(path).encode("utf-8"))
    if size > BLENDER_PATH_MAX:
        raise InputError(
            f"file path is {size} bytes long, Blender handles at most {BLENDER_PATH_MAX}; "
            "use a shorter folder or file name"
        )


def _run_importer(suffix, filepath):
    with held_stdout():  # the importers' log lines ("OBJ import of ... took", glTF INFO) are not results
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


def _check_source(path, suffixes=SUPPORTED_SUFFIXES):
    """Resolve ``path`` and refuse folders, unsupported suffixes, named pipes and devices, missing and empty files
    (one line each)."""
    # "//" means relative to the open .blend in Blender; plain relative paths are relative to the working directory.
    path = Path(bpy.path.abspath(str(path)))
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a mesh file")
    suffix = path.suffix.lower()
    if suffix not in suffixes:
        raise InputError(
            f"{path.name}: unsupported mesh file type '{suffix or '(none)'}'; use one of {', '.join(suffixes)}"
        )
    check_not_special(path, f"give a mesh file ({', '.join(suffixes)})")
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    if path.stat().st_size == 0:
        # Blender's importers misname an empty file (the FBX importer calls it "ASCII FBX"): say what it is.
        raise InputError(f"{path.name}: is empty (0 bytes); give a complete {suffix} file")
    filepath = str(path.resolve())
    check_blender_path(filepath)
    return path, suffix, filepath


def count_nonfinite_obj_vertices(filepath):
    """Number of ``v`` lines of a Wavefront OBJ whose x, y or z is NaN or infinite.

    Blender's OBJ importer turns such coordinates into 0 without a word, so they are counted in the text first
    (one pass over the file, no allocation per vertex beyond the split line). Unparsable numbers are left to the
    importer. Returns an ``int``.
    """
    bad = 0
    with open(filepath, "rb") as handle:
        for line in handle:
            if not line.startswith(b"v ") and not line.startswith(b"v\t"):
                continue
            try:
                if not all(math.isfinite(float(t)) for t in line.split()[1:4]):
                    bad += 1
            except ValueError:
                continue
    return bad


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
    path, suffix, filepath = _check_source(path)
    if suffix == ".obj":
        _check_obj_finite(path, filepath)
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
        # Blender's operator errors are multi-line ("Error: ..."); keep the line that says why.
        reason = blender_error_cause(exc)
        raise InputError(f"{path.name}: could not be imported as {suffix} ({reason})") from None
    new_objects = set(bpy.data.objects) - before
    meshes = sorted((o for o in new_objects if o.type == "MESH" and len(o.data.polygons) > 0), key=lambda o: o.name)
    if not meshes:
        kinds = sorted({o.type.lower() for o in new_objects})
        faceless = any(o.type == "MESH" and len(o.data.vertices) > 0 for o in new_objects)
        _remove_objects(new_objects)
        if faceless:
            raise InputError(f"{path.name}: has vertices but no faces; export the face as a polygon mesh")
        found = f"found only {', '.join(kinds)}" if kinds else "found nothing"
        raise InputError(f"{path.name}: no mesh with faces in the file ({found}); export the face as a polygon mesh")
    return meshes


def _check_obj_finite(path, filepath):
    bad = count_nonfinite_obj_vertices(filepath)
    if bad:
        raise InputError(
            f"{path.name}: {bad} vertices have non-finite coordinates (NaN/Inf); fix or remove them "
            "before rigging (Blender's importer would silently turn them into 0)"
        )


def open_blend(path):
    """Open the ``.blend`` file ``path`` as the current Blender file and return its candidate head meshes.

    The whole file is opened (``bpy.ops.wm.open_mainfile``, without its UI), so every data-block stays: saving the
    session afterwards writes back everything the user had plus what facemotion added.

    Returns:
        ``list[bpy.types.Object]``: the mesh objects with at least one face that are in the file's active scene and
        its view layer, sorted by name (pass them through :func:`head_meshes`).

    Raises:
        InputError: a folder, a missing file, not a readable .blend (the open file is left as it was), no mesh with
            faces in the active scene ("has vertices but no faces" when only faceless meshes are there).
    """
    path, _suffix, filepath = _check_source(path, (".blend",))
    try:
        with held_stdout():  # Blender's "Read blend: ..." line is not a result
            bpy.ops.wm.open_mainfile(filepath=filepath, load_ui=False)
    except RuntimeError as exc:
        raise InputError(f"{path.name}: could not be opened as .blend ({blender_error_cause(exc)})") from None
    layer_objects = set(bpy.context.view_layer.objects)
    in_scene = [o for o in bpy.context.scene.objects if o in layer_objects and o.type == "MESH"]
    meshes = sorted((o for o in in_scene if len(o.data.polygons) > 0), key=lambda o: o.name)
    if not meshes:
        if any(len(o.data.vertices) > 0 for o in in_scene):
            raise InputError(f"{path.name}: has vertices but no faces; export the face as a polygon mesh")
        kinds = sorted({o.type.lower() for o in bpy.context.scene.objects})
        found = f"found only {', '.join(kinds)}" if kinds else "found nothing"
        raise InputError(f"{path.name}: no mesh with faces in the scene ({found}); export the face as a polygon mesh")
    return meshes


#: A mesh whose smallest dimension is below this fraction of its largest is flat (a floor, a backdrop card).
FLAT_RATIO = 0.01


def head_meshes(objects, note=None):
    """The meshes of a loaded file that make up the head: ``(head, left_out)``, both lists of objects.

    Rule: hidden meshes (hidden in the viewport or in the view layer) and flat meshes (smallest of the object's
    ``dimensions`` below ``FLAT_RATIO`` of the largest: a floor plane, a backdrop) are left out; the rest is the
    head. When that would leave nothing, every mesh is kept (the rig then says whether it finds a face).
    ``note(text)``, when given, is called once per left-out object with a line naming it and why.
    """
    head, left_out = [], []
    for obj in objects:
        dims = sorted(obj.dimensions)
        if obj.hide_get() or obj.hide_viewport:
            why = "hidden"
        elif dims[2] > 0 and dims[0] < FLAT_RATIO * dims[2]:
            why = "flat, e.g. a floor plane"
        else:
            head.append(obj)
            continue
        left_out.append((obj, why))
    if not head:
        return list(objects), []
    if note is not None:
        for obj, why in left_out:
            note(f"  note: '{obj.name}' left out of the head ({why}); it is kept in the file, not rigged")
    return head, [obj for obj, _why in left_out]
