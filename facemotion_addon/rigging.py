# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender glue for the auto-rig: objects -> arrays -> core -> shape keys. Shared by the operators and the CLI.

Several objects can form one head (face, eyes and teeth as separate objects): they are combined in world space for
detection and fitting, and the resulting deltas are split back per object and turned into each object's local
space. Nothing is written until every computation has succeeded and every clash has been checked, so a failure
leaves the scene as it was.
"""
from dataclasses import dataclass

import bpy
import numpy as np

from ..core.arkit import ARKIT_NAMES
from ..core.rig.autorig import rig_mesh
from ..core.errors import InputError
from ..core.detect.mesh_landmarks import detect_mesh_landmarks
from .shape_keys import check_shape_key_clashes, mesh_arrays, write_shape_keys

#: Custom property marking a landmark object, and the one listing the objects it belongs to.
LANDMARKS_PROP = "facemotion_landmarks"
TARGETS_PROP = "facemotion_targets"


@dataclass
class CombinedMesh:
    """World-space arrays of several mesh objects: ``vertices (N, 3) float64``, ``triangles (M, 3) int64``, and per
    object its ``[start, stop)`` vertex slice."""

    objects: list
    vertices: np.ndarray
    triangles: np.ndarray
    slices: list


def combine_meshes(objects):
    """Gather mesh objects into one world-space :class:`CombinedMesh`.

    Raises:
        InputError: no mesh objects, or the meshes have no faces.
    """
    meshes = [o for o in objects if o is not None and o.type == "MESH"]
    if not meshes:
        raise InputError("select the face mesh object(s) first: no mesh object is selected")
    verts, tris, slices, offset = [], [], [], 0
    for obj in meshes:
        v, t = mesh_arrays(obj, world=True)[:2]
        verts.append(v)
        tris.append(t + offset)
        slices.append((offset, offset + len(v)))
        offset += len(v)
    vertices = np.concatenate(verts)
    triangles = np.concatenate(tris)
    if len(triangles) == 0:
        names = ", ".join(o.name for o in meshes)
        raise InputError(f"{names}: the mesh has no faces to detect a face on")
    return CombinedMesh(meshes, vertices, triangles, slices)


def landmark_object_for(objects):
    """The landmark object created for these objects (matched by its target list), or None."""
    names = sorted(o.name for o in objects)
    for obj in bpy.data.objects:
        if obj.get(LANDMARKS_PROP) and sorted(str(obj.get(TARGETS_PROP, "")).split("\n")) == names:
            return obj
    return None


def write_landmark_object(objects, points, context=None):
    """Create or update the editable landmark object (478 vertices at the landmark positions, world space).

    The artist can move its vertices in Edit Mode; :func:`read_landmark_object` returns the edited positions.
    """
    obj = landmark_object_for(objects)
    if obj is None:
        mesh = bpy.data.meshes.new(f"{objects[0].name}_landmarks")
        obj = bpy.data.objects.new(mesh.name, mesh)
        collection = objects[0].users_collection[0] if objects[0].users_collection else \
            (context or bpy.context).scene.collection
        collection.objects.link(obj)
        obj[LANDMARKS_PROP] = True
        obj[TARGETS_PROP] = "\n".join(sorted(o.name for o in objects))
        obj.show_in_front = True
    mesh = obj.data
    mesh.clear_geometry()
    mesh.vertices.add(len(points))
    obj.matrix_world.identity()
    mesh.vertices.foreach_set("co", np.asarray(points, dtype=np.float32).ravel())
    mesh.update()
    return obj


def read_landmark_object(obj):
    """``(478, 3) float64`` world-space landmark positions from a landmark object (including the artist's edits).

    Raises:
        InputError: the object does not have 478 vertices.
    """
    if obj.mode == "EDIT":
        obj.update_from_editmode()
    n = len(obj.data.vertices)
    if n != 478:
        raise InputError(f"{obj.name}: a landmark object needs 478 vertices, it has {n}; detect landmarks again")
    co = np.empty(n * 3, dtype=np.float64)
    obj.data.vertices.foreach_get("co", co)
    m = np.array(obj.matrix_world, dtype=np.float64)
    pts = co.reshape(-1, 3)
    return pts @ m[:3, :3].T + m[:3, 3]


def detect_landmarks(objects, context=None, progress=None):
    """Detect landmarks on the combined objects and write the landmark object; returns (object, MeshLandmarks)."""
    combined = combine_meshes(objects)
    found = detect_mesh_landmarks(combined.vertices, combined.triangles, progress=progress)
    return write_landmark_object(combined.objects, found.points, context), found


def rig_objects(objects, *, replace=False, use_landmark_object=True, progress=None):
    """Auto-rig mesh objects with ARKit shape keys.

    Uses the artist's landmark object for these objects when there is one (and ``use_landmark_object``), else
    detects landmarks. Checks shape-key clashes on every object before writing anything.

    Returns:
        (:class:`facemotion.core.rig.autorig.RigResult`, list of objects rigged).

    Raises:
        FacemotionError subclasses with a one-line message; the scene is unchanged then.
    """
    combined = combine_meshes(objects)
    for obj in combined.objects:
        check_shape_key_clashes(obj, ARKIT_NAMES, replace=replace)
    lm_obj = landmark_object_for(combined.objects) if use_landmark_object else None
    landmarks = read_landmark_object(lm_obj) if lm_obj is not None else None
    result = rig_mesh(combined.vertices, combined.triangles, landmarks=landmarks, progress=progress)
    # All 52 names get a key, so the rig is complete for ARKit-driven tools; keys the template has no data for
    # (result.empty, e.g. tongueOut) stay at the basis and the caller reports them.
    for obj, (start, stop) in zip(combined.objects, combined.slices):
        linear = np.array(obj.matrix_world, dtype=np.float64)[:3, :3]
        to_local = np.linalg.inv(linear).T.astype(np.float32)
        write_shape_keys(obj, result.deltas[:, start:stop] @ to_local, result.names, replace=replace)
    return result, combined.objects

