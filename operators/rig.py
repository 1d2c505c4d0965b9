# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that build the rig: detect landmarks and the face's parts on the selected mesh(es), then rig them.

Both are long runs (seconds to tens of seconds): modal from the UI, with progress in the status bar and Esc to
cancel (see :mod:`.base`). Each selected object's *Face Part* (``Object.facemotion_part``) decides whether it takes
part and as what (:mod:`facemotion.facemotion_addon.rigging`).
"""

import bpy

from ..core.rig.autorig import MAX_GAZE_DEGREES
from ..core.rig.transfer import EYE_LOOK_DEGREES
from ..facemotion_addon import rigging
from ..facemotion_addon.selection import face_meshes
from ..facemotion_addon.settings.preferences import apply_preferences
from ..facemotion_addon.settings.properties import settings
from .base import Job, JobOperator

__all__ = ["DetectLandmarksJob", "FACEMOTION_OT_detect_landmarks", "FACEMOTION_OT_rig_face", "RigJob", "classes"]


class DetectLandmarksJob(Job):
    """Find the face on the combined mesh of the objects that take part (not set to Ignore), write the editable
    landmark object, and find the face's parts (skin, eyes, teeth, tongue, ignored) for the Rig panel. After it ran:
    ``found`` (the :class:`facemotion.core.detect.mesh_landmarks.MeshLandmarks`), ``parts`` and
    ``landmark_object``."""

    title = "Detecting landmarks"

    def __init__(self, objects):
        self.objects = objects

    def prepare(self, context):
        apply_preferences()
        self.selection = rigging.read_selection(self.objects)

    def compute(self, progress):
        self.found, self.parts = rigging.find_face(self.selection, progress)

    def apply(self, context):
        obj = self.landmark_object = rigging.write_landmark_object(self.selection.objects, self.found.points, context)
        texts = rigging.store_detected_parts(self.selection, self.parts)
        found = self.found
        parts = "; ".join(f"{name}: {text}" for name, text in texts.items())
        return (
            f"Face found (detector score {found.score:.2f}, {found.views_tried} views); landmarks in "
            f"'{obj.name}': correct them in Edit Mode if needed, then Rig Face. Parts: {parts}"
        )


class RigJob(Job):
    """Auto-rig the objects with the 52 ARKit shape keys (:func:`facemotion.facemotion_addon.rigging.plan_rig`)."""

    title = "Rigging"

    def __init__(self, objects, replace, smooth_shading=True, gaze=EYE_LOOK_DEGREES):
        self.objects, self.replace, self.smooth_shading, self.gaze = objects, replace, smooth_shading, gaze

    def prepare(self, context):
        apply_preferences()
        self.plan = rigging.plan_rig(
            self.objects, replace=self.replace, smooth_shading=self.smooth_shading, gaze=self.gaze
        )

    def compute(self, progress):
        self.result = self.plan.compute(progress)

    def apply(self, context):
        # Shape keys and smooth shading are written here only, so a cancelled run changes neither.
        rigging.write_rig(self.plan, self.result)
        return rigging.rig_report(self.plan, self.result)


class FACEMOTION_OT_detect_landmarks(JobOperator, bpy.types.Operator):
    """Find the face on the selected mesh(es) and place 478 editable landmarks on it (Edit Mode to correct them)"""

    bl_idname = "facemotion.detect_landmarks"
    bl_label = "Detect Landmarks"
    requires = "faces"

    def make_job(self, context):
        return DetectLandmarksJob(face_meshes(context))


class FACEMOTION_OT_rig_face(JobOperator, bpy.types.Operator):
    """Auto-rig the selected face mesh(es) with the 52 ARKit shape keys (uses edited landmarks when present)"""

    bl_idname = "facemotion.rig_face"
    bl_label = "Rig Face"
    requires = "faces"

    replace_keys: bpy.props.BoolProperty(
        name="Replace Existing Keys",
        default=False,
        description="Overwrite ARKit shape keys facemotion made before; shape keys you made are never overwritten",
    )
    smooth_shading: bpy.props.BoolProperty(
        name="Smooth Shading",
        default=True,
        description="Shade the rigged meshes smooth by angle (30 degrees) when they are fully flat-shaded and have "
        "no custom normals (OBJ files without normals, most scans); other meshes keep their shading",
    )
    gaze_style: bpy.props.EnumProperty(
        name="Gaze",
        default="TURN",
        items=[
            ("TURN", "Eyeballs Turn", "eyeLook* turn the eyeballs by the Gaze Angles (lids follow)"),
            (
                "LIDS",
                "Lids Only",
                "eyeLook* move the lids only: for eyes turned by bones or by ARKit's separate eye transforms",
            ),
        ],
    )
    gaze_degrees: bpy.props.FloatVectorProperty(
        name="Gaze Angles",
        size=2,
        default=EYE_LOOK_DEGREES,
        min=0.0,
        max=MAX_GAZE_DEGREES,
        description="Eyeball turn at eyeLook* = 1.0, degrees: horizontal (In / Out), vertical (Up / Down)",
    )

    def make_job(self, context):
        # Unset, the Rig panel's checkbox decides (the operator property is for scripts and F9 redo).
        replace = (
            self.replace_keys
            if self.properties.is_property_set("replace_keys")
            else settings(context.scene).replace_keys
        )
        gaze = (0.0, 0.0) if self.gaze_style == "LIDS" else tuple(self.gaze_degrees)
        return RigJob(face_meshes(context), replace, self.smooth_shading, gaze)


classes = (FACEMOTION_OT_detect_landmarks, FACEMOTION_OT_rig_face)
