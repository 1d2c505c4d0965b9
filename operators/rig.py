# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that build the rig: detect landmarks on the selected face mesh(es), then auto-rig them.

Also holds the selection rules every facemotion operator and panel shares (:func:`face_meshes`,
:func:`rigged_meshes`): a "face" is any selected mesh object except facemotion's landmark objects.
"""
import time

import bpy

from ..core.arkit import ARKIT_NAMES
from ..core.errors import FacemotionError
from ..facemotion_addon import pipeline, rigging
from ..facemotion_addon.preferences import apply_preferences
from ..facemotion_addon.properties import settings

__all__ = ["FACEMOTION_OT_detect_landmarks", "FACEMOTION_OT_rig_face", "arkit_key_count", "classes",
           "face_meshes", "is_landmark_object", "landmark_object", "poll_face_meshes", "ProgressReporter",
           "rigged_meshes"]


def is_landmark_object(obj):
    """True for a landmark object made by Detect Landmarks (custom property :data:`rigging.LANDMARKS_PROP`)."""
    return bool(obj.get(rigging.LANDMARKS_PROP, False))


def face_meshes(context):
    """Selected mesh objects that are not landmark objects, in selection order (list, may be empty)."""
    selected = getattr(context, "selected_objects", None) or []
    return [obj for obj in selected if obj.type == "MESH" and not is_landmark_object(obj)]


def rigged_meshes(context):
    """:func:`face_meshes` that carry all 52 ARKit shape keys (list, may be empty)."""
    return [obj for obj in face_meshes(context) if pipeline.is_rigged([obj])]


def arkit_key_count(obj):
    """How many of the 52 ARKit names ``obj`` has as shape keys (0 for non-meshes and meshes without keys)."""
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    if key is None:
        return 0
    return sum(1 for name in ARKIT_NAMES if name in key.key_blocks)


def landmark_object(objects):
    """The landmark object made for exactly these objects, or None (see :func:`rigging.landmark_object_for`)."""
    return rigging.landmark_object_for(objects) if objects else None


def poll_face_meshes(cls, context):
    """Shared poll: Object Mode and at least one selected face mesh; otherwise says why in the tooltip."""
    if getattr(context, "mode", "OBJECT") != "OBJECT":
        cls.poll_message_set("Switch to Object Mode first")
        return False
    if not face_meshes(context):
        cls.poll_message_set("Select the face mesh object(s) first")
        return False
    return True


class ProgressReporter:
    """Context manager giving a ``progress(fraction, message)`` callback for the core's long steps.

    Drives the window manager's progress indicator and the status bar text when Blender has a user interface; in
    background mode (command line, bpy module) the callback only records the last message.
    """

    def __init__(self, context):
        self.context = context
        self.window_manager = None if bpy.app.background else getattr(context, "window_manager", None)
        self.workspace = None if bpy.app.background else getattr(context, "workspace", None)
        self.last_message = ""

    def __enter__(self):
        if self.window_manager is not None:
            self.window_manager.progress_begin(0, 100)
        return self

    def __call__(self, fraction, message):
        self.last_message = message
        if self.window_manager is not None:
            self.window_manager.progress_update(int(100 * min(max(fraction, 0.0), 1.0)))
        if self.workspace is not None and message:
            self.workspace.status_text_set(f"Facemotion: {message}")

    def __exit__(self, *exc):
        if self.window_manager is not None:
            self.window_manager.progress_end()
        if self.workspace is not None:
            self.workspace.status_text_set(None)
        return False


class FACEMOTION_OT_detect_landmarks(bpy.types.Operator):
    """Find the face on the selected mesh(es) and place 478 editable landmarks on it (Edit Mode to correct them)"""

    bl_idname = "facemotion.detect_landmarks"
    bl_label = "Detect Landmarks"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return poll_face_meshes(cls, context)

    def execute(self, context):
        objects = face_meshes(context)
        apply_preferences()
        try:
            with ProgressReporter(context) as progress:
                started = time.perf_counter()
                obj, found = rigging.detect_landmarks(objects, context, progress=progress)
        except FacemotionError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        seconds = time.perf_counter() - started
        message = (f"Face found (detector score {found.score:.2f}, {found.views_tried} views, {seconds:.1f} s); "
                   f"landmarks in '{obj.name}': correct them in Edit Mode if needed, then Rig Face")
        settings(context.scene).last_report = message
        self.report({"INFO"}, message)
        return {"FINISHED"}


class FACEMOTION_OT_rig_face(bpy.types.Operator):
    """Auto-rig the selected face mesh(es) with the 52 ARKit shape keys (uses edited landmarks when present)"""

    bl_idname = "facemotion.rig_face"
    bl_label = "Rig Face"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return poll_face_meshes(cls, context)

    def execute(self, context):
        objects = face_meshes(context)
        replace = settings(context.scene).replace_keys
        apply_preferences()
        try:
            with ProgressReporter(context) as progress:
                started = time.perf_counter()
                result, rigged = pipeline.rig(objects, replace=replace, progress=progress)
        except FacemotionError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        seconds = time.perf_counter() - started
        stages = ", ".join(f"{stage} {value:.1f} s" for stage, value in result.timings.items())
        names = ", ".join(obj.name for obj in rigged)
        message = f"Rigged {names} with {len(result.names)} ARKit shape keys in {seconds:.1f} s ({stages})"
        if result.empty:
            message += f"; no template data for {', '.join(result.empty)} (kept at rest)"
        settings(context.scene).last_report = message
        self.report({"INFO"}, message)
        return {"FINISHED"}


classes = (FACEMOTION_OT_detect_landmarks, FACEMOTION_OT_rig_face)
