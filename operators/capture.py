# SPDX-License-Identifier: GPL-3.0-or-later
"""Performance capture operators: a video or a Live Link Face CSV take keyed onto the selected rigged faces (its own
action, ``facemotion_capture_<object>``), and any facemotion animation written as a Live Link Face CSV.

The webcam capture is modal: a :class:`facemotion.core.capture.live.LiveSession` tracks in a worker thread, each
timer tick poses the rig with the newest weights (live preview in the viewport), Esc stops and keys the take.

The file capture is a :class:`.base.Job`: ``prepare`` reads the file name, the targets and the scene's frame rate,
``compute`` tracks, solves, classifies the emotion and cleans in a worker thread
(:mod:`facemotion.core.capture.capture`; cancellable at every frame, nothing written), ``apply`` keys the take
(:func:`facemotion.facemotion_addon.takes.write_take`: shape keys, head, emotion) and, when asked, shows the video
behind the rig (:mod:`facemotion.facemotion_addon.review_camera`). The head bone, the eye bones or eye objects, the
emotion track and the background are the Capture panel's settings (``scene.facemotion.capture_*``).
"""

import os
from contextlib import nullcontext

import bpy
from bpy.props import BoolProperty, FloatProperty, IntProperty, StringProperty
from bpy_extras.io_utils import ExportHelper, ImportHelper

from ..core.arkit import ARKIT_NAMES
from ..core.capture.capture import EMOTION_EVERY, CaptureSettings, capture, clean_take
from ..core.capture.live import LiveCapture, LiveSession
from ..core.capture.live_link import read_live_link_csv, write_live_link_csv
from ..core.capture.one_euro import DEFAULT_BETA, DEFAULT_MIN_CUTOFF
from ..core.capture.sources import VIDEO_SUFFIXES, CameraSource, open_video
from ..core.errors import FacemotionError, InputError
from ..facemotion_addon.review_camera import video_behind
from ..facemotion_addon.selection import rigged_meshes
from ..facemotion_addon.settings.preferences import apply_preferences
from ..facemotion_addon.settings.properties import settings as scene_settings
from ..facemotion_addon.shape_keys import set_weights
from ..facemotion_addon.takes import take_from_shape_keys, write_take
from .base import TIMER_INTERVAL_S, FacemotionOperator, FileJobOperator, Job

__all__ = [
    "CaptureJob",
    "FACEMOTION_OT_capture_performance",
    "FACEMOTION_OT_capture_webcam",
    "FACEMOTION_OT_export_live_link",
    "classes",
]


def _eye_bones(options):
    """``(left, right)`` eye bone names of the scene's capture settings, or None when both are empty. Raises
    InputError when only one is set."""
    names = (options.capture_eye_bone_left.strip(), options.capture_eye_bone_right.strip())
    if any(names) and not all(names):
        raise InputError("set both eye bones (left and right) or neither")
    return names if all(names) else None


class CaptureJob(Job):
    """Capture a video or read a Live Link take (worker thread) and key it on the rigged faces (main thread)."""

    title = "Capturing the performance"

    def __init__(
        self,
        filepath,
        objects,
        *,
        landscape=False,
        use_filter=True,
        min_cutoff=DEFAULT_MIN_CUTOFF,
        beta=DEFAULT_BETA,
        replace=False,
    ):
        self.filepath, self.objects, self.landscape, self.replace = filepath, list(objects), landscape, replace
        self.use_filter, self.min_cutoff, self.beta = use_filter, min_cutoff, beta

    def prepare(self, context):
        apply_preferences()
        if not self.filepath or not os.path.basename(self.filepath):
            raise InputError("choose a video (MP4, MOV, ...) or a Live Link Face CSV take")
        if not self.objects:
            raise InputError("select the rigged faces to animate (meshes with the 52 ARKit shape keys; rig first)")
        self.path = bpy.path.abspath(self.filepath)
        render = context.scene.render
        is_video = not self.path.lower().endswith(".csv")
        # Resampled to the scene's rate, so the keys land on its frames; Live Link takes are filtered only if asked.
        self.settings = CaptureSettings(
            fps=render.fps / render.fps_base,
            filter=self.use_filter and is_video,
            min_cutoff=self.min_cutoff,
            beta=self.beta,
        )
        self.frame_start = context.scene.frame_start
        options = scene_settings(context.scene)
        self.head, self.head_bone = options.capture_head, options.capture_head_bone.strip() or None
        self.eye_bones, self.eye_objects = _eye_bones(options), options.capture_eye_objects
        self.emotion_every = EMOTION_EVERY if options.capture_emotion and is_video else None
        self.background = options.capture_background and is_video

    def compute(self, progress):
        if self.path.lower().endswith(".csv"):
            progress(0.0, "reading the Live Link take")
            self.take = clean_take(read_live_link_csv(self.path, landscape=self.landscape), self.settings)
            return
        with open_video(self.path) as source:
            self.take = capture(source, self.settings, emotion_every=self.emotion_every, progress=progress)

    def apply(self, context):
        scene = context.scene
        with video_behind(scene, self.path, self.objects, self.frame_start) if self.background else nullcontext():
            write_take(
                self.objects,
                self.take,
                replace=self.replace,
                scene=scene,
                frame_start=self.frame_start,
                head=self.head,
                head_bone=self.head_bone,
                eye_bones=self.eye_bones,
                eye_objects=self.eye_objects,
            )
        names = ", ".join(obj.name for obj in self.objects)
        notes = "; ".join(self.take.notes)
        return f"{os.path.basename(self.path)}: {len(self.take)} frames at {self.take.fps:g} fps keyed on {names}" + (
            f" ({notes})" if notes else ""
        )


class FACEMOTION_OT_capture_performance(FileJobOperator, bpy.types.Operator, ImportHelper):
    """Capture a filmed performance (a video, or a Live Link Face CSV take) onto the selected rigged faces: the 52
    ARKit shape keys keyed as their own action, resampled to the scene's frame rate (Esc cancels)"""

    bl_idname = "facemotion.capture_performance"
    bl_label = "Capture Performance"
    requires = "rigged"

    filter_glob: StringProperty(default=";".join(f"*{s}" for s in VIDEO_SUFFIXES + (".csv",)), options={"HIDDEN"})
    landscape: BoolProperty(
        name="Landscape Take",
        default=False,
        description="Live Link take filmed in landscape: swap MouthLeft/MouthRight and invert head yaw and pitch",
    )
    use_filter: BoolProperty(
        name="One Euro Filter",
        default=True,
        description="Smooth a video's curves with the One Euro filter (Live Link takes: never)",
    )
    min_cutoff: FloatProperty(
        name="Min Cutoff",
        default=DEFAULT_MIN_CUTOFF,
        min=0.01,
        max=30.0,
        unit="NONE",
        description="One Euro minimum cutoff (Hz): lower = smoother still face",
    )
    beta: FloatProperty(
        name="Beta",
        default=DEFAULT_BETA,
        min=0.0,
        max=100.0,
        description="One Euro speed coefficient: higher = less lag in fast motion",
    )
    replace: BoolProperty(
        name="Replace Action",
        default=False,
        description="Capture onto shape keys animated by an action facemotion did not make (it is kept)",
    )

    def make_job(self, context):
        return CaptureJob(
            self.filepath,
            rigged_meshes(context),
            landscape=self.landscape,
            use_filter=self.use_filter,
            min_cutoff=self.min_cutoff,
            beta=self.beta,
            replace=self.replace,
        )


class FACEMOTION_OT_export_live_link(FacemotionOperator, bpy.types.Operator, ExportHelper):
    """Write the active rigged face's shape-key animation (a bake or a capture) over the scene's frame range as a
    Live Link Face CSV take"""

    bl_idname = "facemotion.export_live_link"
    bl_label = "Export Live Link CSV"
    bl_options = {"REGISTER"}
    requires = "rigged"

    filename_ext = ".csv"
    filter_glob: StringProperty(default="*.csv", options={"HIDDEN"})
    overwrite: BoolProperty(name="Overwrite", description="Replace the file if it exists", default=False)

    def invoke(self, context, event):
        self.overwrite = True  # the file browser marks an existing name in red, as Blender's exporters do
        return ExportHelper.invoke(self, context, event)

    def run(self, context):
        faces = rigged_meshes(context)
        obj = context.active_object if context.active_object in faces else (faces[0] if faces else None)
        if obj is None:
            raise InputError("select a rigged face with a baked or captured animation")
        path = bpy.path.abspath(self.filepath)
        if not path.lower().endswith(".csv"):
            raise InputError(f"{path}: a Live Link Face take is a .csv file")
        if os.path.exists(path) and not self.overwrite:
            raise InputError(f"{path} exists; set overwrite to replace it")
        take = take_from_shape_keys(obj, scene=context.scene)
        write_live_link_csv(path, take)
        return f"{obj.name}: {len(take)} frames at {take.fps:g} fps written to {os.path.basename(path)}"


class FACEMOTION_OT_capture_webcam(FacemotionOperator, bpy.types.Operator):
    """Capture the selected rigged faces live from a webcam: hold a neutral face for the first second, then the rig
    follows the face in the viewport; Esc stops and keys the take as its own action"""

    bl_idname = "facemotion.capture_webcam"
    bl_label = "Capture Webcam"
    requires = "rigged"

    camera: IntProperty(name="Camera", default=0, min=0, description="Camera number (0: the first one)")
    keep: BoolProperty(
        name="Keep the Take", default=True, description="Key the captured take on the rig when Esc stops the capture"
    )

    def run(self, context):
        raise InputError(
            "the webcam capture runs in Blender's window (a live preview, Esc stops it); use Capture "
            "Performance on a video from scripts"
        )

    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        self._objects = rigged_meshes(context)
        try:
            apply_preferences()
            source = CameraSource(self.camera)
            live = LiveCapture(source.fps, filter_parameters={"min_cutoff": DEFAULT_MIN_CUTOFF, "beta": DEFAULT_BETA})
            self._session = LiveSession(source, live)
            self._session.start()
        except FacemotionError as exc:
            return self.fail(exc)
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_INTERVAL_S / 3.0, window=context.window)
        wm.modal_handler_add(self)
        return {"RUNNING_MODAL"}

    def _stop(self, context):
        context.window_manager.event_timer_remove(self._timer)
        context.workspace.status_text_set(None)
        try:
            take = self._session.stop()
        except FacemotionError as exc:
            return self.fail(exc)
        if not self.keep:
            return self.finish(context, f"webcam capture stopped ({len(take)} frames, not kept)")
        options = scene_settings(context.scene)
        try:
            write_take(
                self._objects,
                take,
                scene=context.scene,
                frame_start=context.scene.frame_start,
                head=options.capture_head,
                head_bone=options.capture_head_bone.strip() or None,
                eye_bones=_eye_bones(options),
                eye_objects=options.capture_eye_objects,
            )
        except FacemotionError as exc:
            return self.fail(exc)
        return self.finish(
            context,
            f"webcam: {len(take)} frames at {take.fps:g} fps keyed on {', '.join(obj.name for obj in self._objects)}",
        )

    def modal(self, context, event):
        if (event.type == "ESC" and event.value == "PRESS") or not self._session.running:
            return self._stop(context)
        if event.type == "TIMER":
            weights = self._session.latest()
            if weights is not None:
                for obj in self._objects:
                    set_weights(obj, weights, ARKIT_NAMES)
            state = "live" if self._session.live.calibrated else "hold a neutral face"
            context.workspace.status_text_set(f"Facemotion webcam: {state} - Esc stops")
        return {"PASS_THROUGH"}

    def cancel(self, context):
        """Blender ends the modal run itself (a file is loaded): stop the camera, keep nothing."""
        context.window_manager.event_timer_remove(self._timer)
        try:
            self._session.stop()
        except FacemotionError:
            pass


classes = (FACEMOTION_OT_capture_performance, FACEMOTION_OT_capture_webcam, FACEMOTION_OT_export_live_link)
