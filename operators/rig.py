# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that build the rig: detect landmarks and the face's parts on the selected mesh(es), rig them, and draw
the rig's preview sheet.

All three are long runs (seconds to tens of seconds): modal from the UI, with progress in the status bar and Esc to
cancel (see :mod:`.base`). Each selected object's *Face Part* (``Object.facemotion_part``) decides whether it takes
part and as what (:mod:`facemotion.facemotion_addon.rigging`).
"""

import os

import bpy
from bpy_extras.io_utils import ExportHelper

from ..core.detect.mesh_landmarks import detect_mesh_landmarks
from ..core.errors import InputError
from ..core.io.atomic_io import check_output_file
from ..core.rig.autorig import MAX_GAZE_DEGREES
from ..core.rig.parts import face_frame
from ..core.rig.transfer import EYE_LOOK_DEGREES
from ..facemotion_addon import rig_preview, rigging
from ..facemotion_addon.selection import face_meshes, is_rigged
from ..facemotion_addon.settings.preferences import apply_preferences
from ..facemotion_addon.settings.properties import settings
from .base import FileJobOperator, Job, JobOperator

__all__ = [
    "DetectLandmarksJob",
    "FACEMOTION_OT_detect_landmarks",
    "FACEMOTION_OT_preview_sheet",
    "FACEMOTION_OT_rig_face",
    "PreviewSheetJob",
    "RigJob",
    "classes",
]


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

    def __init__(self, objects, replace, smooth_shading=True, gaze=EYE_LOOK_DEGREES, drive_bones=False):
        self.objects, self.replace, self.smooth_shading, self.gaze = objects, replace, smooth_shading, gaze
        self.drive_bones = drive_bones

    def prepare(self, context):
        apply_preferences()
        self.plan = rigging.plan_rig(
            self.objects,
            replace=self.replace,
            smooth_shading=self.smooth_shading,
            gaze=self.gaze,
            drive_bones=self.drive_bones,
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
    drive_bones: bpy.props.BoolProperty(
        name="Drive Jaw / Eye Bones",
        default=False,
        description="jawOpen and eyeLook* turn the character's jaw and eye bones (drivers) instead of the teeth and "
        "eyeballs in the shape keys",
    )

    def make_job(self, context):
        # Unset, the Rig panel's checkbox decides (the operator property is for scripts and F9 redo).
        replace = (
            self.replace_keys
            if self.properties.is_property_set("replace_keys")
            else settings(context.scene).replace_keys
        )
        gaze = (0.0, 0.0) if self.gaze_style == "LIDS" else tuple(self.gaze_degrees)
        drive_bones = (
            self.drive_bones if self.properties.is_property_set("drive_bones") else settings(context.scene).drive_bones
        )
        return RigJob(face_meshes(context), replace, self.smooth_shading, gaze, drive_bones)


class PreviewSheetJob(Job):
    """Draw the preview sheet of the selected rigged head (:mod:`facemotion.facemotion_addon.rig_preview`) from its
    shape keys as they are (the artist's edits included) and write it to ``path``. The scene is only read: no frame,
    shape-key value, render setting or object is touched (the sheet is drawn by the project's rasterizer, not by a
    Blender render), and the PNG is written last, so a cancelled run leaves no file."""

    title = "Drawing the preview sheet"

    def __init__(self, objects, path, overwrite, size):
        self.objects, self.path, self.overwrite, self.size = objects, path, overwrite, size

    def prepare(self, context):
        apply_preferences()
        self.path = check_output_file(self.path, (".png",), overwrite=self.overwrite, what="use .png")
        self.selection = rigging.read_selection(self.objects)
        self.deltas = rig_preview.read_rigged_head(self.selection.combined)
        if not self.deltas.any():
            raise InputError("the selected meshes have no ARKit shape keys that move: rig them first (Rig Face)")
        landmark_object = rigging.landmark_object_for(self.selection.objects) or rigging.landmark_object_for(
            self.selection.combined.objects
        )
        self.landmarks = None if landmark_object is None else rigging.read_landmark_object(landmark_object)
        rigged = [obj for obj in self.selection.combined.objects if is_rigged([obj])]
        active = context.view_layer.objects.active
        self.heading = (active if active in rigged else (rigged or self.selection.combined.objects)[0]).name

    def compute(self, progress):
        combined = self.selection.combined
        if self.landmarks is None:  # the rig's landmark object was deleted: find the face again
            self.landmarks = detect_mesh_landmarks(combined.vertices, combined.triangles, progress=progress).points
        parts = rigging.selection_parts(self.selection, self.landmarks)
        rotation = face_frame(self.landmarks)[1].T  # columns: the subject's left, up, forward
        self.sheet = rig_preview.sheet_image(
            combined.vertices,
            combined.triangles,
            self.deltas,
            parts,
            self.landmarks,
            rotation,
            heading=self.heading,
            size=self.size,
            progress=progress,
        )

    def apply(self, context):
        rig_preview.write_sheet(self.path, self.sheet)
        return f"Preview sheet of {self.heading} written to {self.path}"


class FACEMOTION_OT_preview_sheet(FileJobOperator, bpy.types.Operator, ExportHelper):
    """Draw the selected rigged face at rest, in its key shapes and emotion presets, front and three-quarter, parts
    in their own colours, into a PNG (the scene is not changed)"""

    bl_idname = "facemotion.preview_sheet"
    bl_label = "Preview Sheet..."
    bl_options = {"REGISTER"}  # writes a file only: no undo step
    requires = "rigged"

    filename_ext = ".png"
    filter_glob: bpy.props.StringProperty(default="*.png", options={"HIDDEN"})
    overwrite: bpy.props.BoolProperty(name="Overwrite", description="Replace the file if it exists", default=False)
    size: bpy.props.IntProperty(name="Cell Size", default=192, min=64, max=1024, description="Pixels per picture")

    def invoke(self, context, event):
        # The file browser warns about an existing name; choosing it there means replacing it.
        self.overwrite = True
        return ExportHelper.invoke(self, context, event)

    def make_job(self, context):
        if not self.filepath or not os.path.basename(self.filepath):
            raise InputError("choose a file name for the preview sheet (.png)")
        path = bpy.path.ensure_ext(bpy.path.abspath(self.filepath), self.filename_ext)
        return PreviewSheetJob(face_meshes(context), path, self.overwrite, self.size)


classes = (FACEMOTION_OT_detect_landmarks, FACEMOTION_OT_rig_face, FACEMOTION_OT_preview_sheet)
