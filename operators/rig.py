# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that build the rig: detect landmarks on the selected face mesh(es), then auto-rig them.

Both are long runs (seconds to tens of seconds): modal from the UI, with progress in the status bar and Esc to
cancel (see :mod:`.base`).
"""
import bpy

from ..facemotion_addon import rigging
from ..facemotion_addon.bridge import combine_meshes
from ..facemotion_addon.preferences import apply_preferences
from ..facemotion_addon.properties import settings
from ..facemotion_addon.selection import face_meshes
from ..core.detect.mesh_landmarks import detect_mesh_landmarks
from .base import Job, JobOperator

__all__ = ["DetectLandmarksJob", "FACEMOTION_OT_detect_landmarks", "FACEMOTION_OT_rig_face", "RigJob", "classes"]


class DetectLandmarksJob(Job):
    """Find the face on the objects' combined mesh and write the editable landmark object."""

    title = "Detecting landmarks"

    def __init__(self, objects):
        self.objects = objects

    def prepare(self, context):
        apply_preferences()
        self.combined = combine_meshes(self.objects)

    def compute(self, progress):
        self.found = detect_mesh_landmarks(self.combined.vertices, self.combined.triangles, progress=progress)

    def apply(self, context):
        obj = rigging.write_landmark_object(self.combined.objects, self.found.points, context)
        found = self.found
        return (f"Face found (detector score {found.score:.2f}, {found.views_tried} views); landmarks in "
                f"'{obj.name}': correct them in Edit Mode if needed, then Rig Face")


class RigJob(Job):
    """Auto-rig the objects with the 52 ARKit shape keys (:func:`facemotion.facemotion_addon.rigging.plan_rig`)."""

    title = "Rigging"

    def __init__(self, objects, replace):
        self.objects, self.replace = objects, replace

    def prepare(self, context):
        apply_preferences()
        self.plan = rigging.plan_rig(self.objects, replace=self.replace)

    def compute(self, progress):
        self.result = self.plan.compute(progress)

    def apply(self, context):
        rigged = rigging.write_rig(self.plan, self.result)
        result = self.result
        stages = ", ".join(f"{stage} {value:.1f} s" for stage, value in result.timings.items())
        names = ", ".join(obj.name for obj in rigged)
        message = f"Rigged {names} with {len(result.names)} ARKit shape keys ({stages})"
        if result.empty:
            message += f"; no template data for {', '.join(result.empty)} (kept at rest)"
        return message


class FACEMOTION_OT_detect_landmarks(JobOperator, bpy.types.Operator):
    """Find the face on the selected mesh(es) and place 478 editable landmarks on it (Edit Mode to correct them)"""

    bl_idname = "facemotion.detect_landmarks"
    bl_label = "Detect Landmarks"
    bl_options = {"REGISTER", "UNDO"}
    requires = "faces"

    def make_job(self, context):
        return DetectLandmarksJob(face_meshes(context))


class FACEMOTION_OT_rig_face(JobOperator, bpy.types.Operator):
    """Auto-rig the selected face mesh(es) with the 52 ARKit shape keys (uses edited landmarks when present)"""

    bl_idname = "facemotion.rig_face"
    bl_label = "Rig Face"
    bl_options = {"REGISTER", "UNDO"}
    requires = "faces"

    replace_keys: bpy.props.BoolProperty(
        name="Replace Existing Keys", default=False,
        description="Overwrite ARKit shape keys facemotion made before; shape keys you made are never overwritten")

    def make_job(self, context):
        # Unset, the Rig panel's checkbox decides (the operator property is for scripts and F9 redo).
        replace = self.replace_keys if self.properties.is_property_set("replace_keys") else \
            settings(context.scene).replace_keys
        return RigJob(face_meshes(context), replace)


classes = (FACEMOTION_OT_detect_landmarks, FACEMOTION_OT_rig_face)
