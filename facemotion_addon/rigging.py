# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender glue for the auto-rig: objects -> arrays -> core -> shape keys. Shared by the operators and the CLI.

Several objects can form one head (face, eyes and teeth as separate objects): they are combined in world space for
detection and fitting, and the resulting deltas are split back per object and turned into each object's local
space. Nothing is written until every computation has succeeded and every clash has been checked, so a failure
leaves the scene as it was.
"""
from dataclasses import dataclass

import bpy

from ..core.arkit import ARKIT_NAMES
from ..core.rig.autorig import rig_mesh
from ..core.errors import InputError
from ..core.detect.mesh_landmarks import detect_mesh_landmarks
from .bridge import CombinedMesh, combine_meshes, read_points, to_local, write_points
from .selection import LANDMARKS_PROP, TARGETS_PROP
from .shape_keys import check_shape_key_clashes, write_shape_keys

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
    obj.matrix_world.identity()
    write_points(obj.data, points)
    return obj


def read_landmark_object(obj):
    """``(478, 3) float64`` world-space landmark positions from a landmark object (including the artist's edits).

    Raises:
        InputError: the object does not have 478 vertices.
    """
    points = read_points(obj)
    if len(points) != 478:
        raise InputError(f"{obj.name}: a landmark object needs 478 vertices, it has {len(points)}; "
                         "detect landmarks again")
    return points


def detect_landmarks(objects, context=None, progress=None):
    """Detect landmarks on the combined objects and write the landmark object; returns (object, MeshLandmarks)."""
    combined = combine_meshes(objects)
    found = detect_mesh_landmarks(combined.vertices, combined.triangles, progress=progress)
    return write_landmark_object(combined.objects, found.points, context), found


@dataclass
class RigPlan:
    """Everything a rig needs, read from the scene by :func:`plan_rig`: the combined world-space mesh, the artist's
    landmarks (``(478, 3) float64`` world space, or None to detect them) and whether facemotion's keys are replaced."""

    combined: CombinedMesh
    landmarks: object
    replace: bool

    def compute(self, progress=None):
        """Run the auto-rig on the plan's arrays (no bpy: safe in a worker thread); returns a ``RigResult``."""
        return rig_mesh(self.combined.vertices, self.combined.triangles, landmarks=self.landmarks, progress=progress)


def plan_rig(objects, *, replace=False, use_landmark_object=True):
    """Read what rigging ``objects`` needs and check every shape-key clash; writes nothing.

    Uses the artist's landmark object for these objects when there is one (and ``use_landmark_object``).

    Raises:
        FacemotionError subclasses with a one-line message (no mesh, no faces, a clash with the user's keys...).
    """
    combined = combine_meshes(objects)
    for obj in combined.objects:
        check_shape_key_clashes(obj, ARKIT_NAMES, replace=replace)
    lm_obj = landmark_object_for(combined.objects) if use_landmark_object else None
    landmarks = read_landmark_object(lm_obj) if lm_obj is not None else None
    return RigPlan(combined, landmarks, replace)


def write_rig(plan, result):
    """Write a computed rig's shape keys onto the plan's objects (world deltas turned into each object's local
    space). Clashes are checked on every object again before the first write, since the scene may have changed
    while the rig was computed. Returns the list of objects rigged."""
    for obj in plan.combined.objects:
        check_shape_key_clashes(obj, ARKIT_NAMES, replace=plan.replace)
    # All 52 names get a key, so the rig is complete for ARKit-driven tools; keys the template has no data for
    # (result.empty, e.g. tongueOut) stay at the basis and the caller reports them.
    for obj, (start, stop) in zip(plan.combined.objects, plan.combined.slices):
        write_shape_keys(obj, to_local(obj, result.deltas[:, start:stop]), result.names, replace=plan.replace)
    return plan.combined.objects


def rig_objects(objects, *, replace=False, use_landmark_object=True, progress=None):
    """Auto-rig mesh objects with ARKit shape keys: :func:`plan_rig`, compute, :func:`write_rig`.

    Returns:
        (:class:`facemotion.core.rig.autorig.RigResult`, list of objects rigged).

    Raises:
        FacemotionError subclasses with a one-line message; the scene is unchanged then.
    """
    plan = plan_rig(objects, replace=replace, use_landmark_object=use_landmark_object)
    result = plan.compute(progress)
    return result, write_rig(plan, result)
