# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that recognise emotions: in an image (a file or a Blender image), in a video file (written into the
active rigged face's emotion timeline, :func:`facemotion.facemotion_addon.settings.properties.timeline_object`), and
in the rigged face's current pose (rendered, detected, classified).

Each stores its result in the scene (``Scene.facemotion.recognized_*``: top label, intensity, the 8 probabilities,
what was looked at, how many faces), which the Recognize panel shows. The work is done by
:mod:`facemotion.core.emotion.recognition`; these operators only gather Blender data and write results back.
"""

import os

import bpy
from bpy.props import EnumProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from ..core.animation.track_keys import keys_after, track_to_timeline_keys
from ..core.emotion.presets import CATEGORIES
from ..core.emotion.recognition import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    recognize_image,
    recognize_mesh,
    summarize_track,
    video_emotion_track,
)
from ..core.errors import InputError, NoFaceError
from ..core.io.image_io import load_image
from ..facemotion_addon import rigging
from ..facemotion_addon.bridge import evaluated_world_mesh, image_rgb, rest_world_vertices
from ..facemotion_addon.selection import face_meshes, rigged_meshes
from ..facemotion_addon.settings.preferences import apply_preferences
from ..facemotion_addon.settings.properties import object_settings, settings, timeline_object
from .base import FacemotionOperator, FileJobOperator, Job, JobOperator

__all__ = [
    "FACEMOTION_OT_detect_emotion_image",
    "FACEMOTION_OT_detect_emotion_pose",
    "FACEMOTION_OT_detect_emotion_video",
    "PoseEmotionJob",
    "VideoEmotionJob",
    "classes",
    "store_result",
]


def store_result(scene, label, intensity, probabilities, source, faces=1, uncertain=False):
    """Write a recognition result into ``scene.facemotion.recognized_*``: ``probabilities`` ``{category: p}``
    (missing categories 0), ``source`` a short description, ``faces`` how many faces were found, ``uncertain``
    whether the top class was not clearly ahead."""
    props = settings(scene)
    props.recognized_label = label
    props.recognized_intensity = min(max(float(intensity), 0.0), 1.0)
    props.recognized_probabilities = [float(probabilities.get(name, 0.0)) for name in CATEGORIES]
    props.recognized_source = source
    props.recognized_faces = int(faces)
    props.recognized_uncertain = bool(uncertain)


def _describe(label, probability, intensity):
    return f"{label} ({probability:.0%}, intensity {intensity:.2f})"


def _store_faces(context, results, source):
    """Store the largest face's result and report it; NoFaceError when there is none."""
    if not results:
        raise NoFaceError(f"no face found in {source}; use a well-lit image with a visible, roughly frontal face")
    top = results[0]
    store_result(context.scene, top.label, top.intensity, top.probabilities, source, len(results), top.uncertain)
    message = f"{source}: {_describe(top.label, top.probabilities[top.label], top.intensity)}"
    if top.uncertain:
        message += ", uncertain"
    if top.face.landmarks is None:
        message += " (no face found: the whole image read as a face crop)"
    if len(results) > 1:
        others = ", ".join(result.label for result in results[1:])
        message += f"; {len(results)} faces, the largest shown (others: {others})"
    return message


# ------------------------------------------------------------------------------------------------------------ image


class FACEMOTION_OT_detect_emotion_image(FacemotionOperator, bpy.types.Operator, ImportHelper):
    """Recognise the emotion of the faces in an image file, or in the Blender image chosen in the Recognize panel"""

    bl_idname = "facemotion.detect_emotion_image"
    bl_label = "Recognize Emotion in Image"

    filter_glob: StringProperty(default=";".join(f"*{s}" for s in IMAGE_SUFFIXES), options={"HIDDEN"})
    source: EnumProperty(
        name="Source",
        description="Where the image comes from",
        default="FILE",
        items=[
            ("FILE", "Image File", "An image file chosen in the file browser (filepath)"),
            ("IMAGE", "Blender Image", "The Blender image chosen in the Recognize panel"),
        ],
    )

    def invoke(self, context, event):
        if self.source == "IMAGE":
            return self.execute(context)
        return ImportHelper.invoke(self, context, event)

    def run(self, context):
        apply_preferences()
        if self.source == "IMAGE":
            image = settings(context.scene).recognize_image
            if image is None:
                raise InputError("choose a Blender image in Facemotion > Recognize > Image first")
            rgb, source = image_rgb(image), image.name
        else:
            if not self.filepath or not os.path.basename(self.filepath):
                raise InputError("choose an image file (PNG, JPEG, TIFF, ...)")
            path = bpy.path.abspath(self.filepath)
            rgb, source = load_image(path), os.path.basename(path)
        return _store_faces(context, recognize_image(rgb), source)


# ------------------------------------------------------------------------------------------------------------ video


def _write_keys(timeline_keys, keys):
    for key in keys:
        item = timeline_keys.add()
        item.time, item.emotion, item.intensity = key.time, key.emotion, key.intensity
        item.transition, item.easing = key.transition, key.easing


class VideoEmotionJob(Job):
    """Classify every Nth frame of a video (worker thread) and write the track as timeline keys (main thread)."""

    title = "Recognising the video"

    def __init__(self, filepath):
        self.filepath = filepath

    def prepare(self, context):
        props = settings(context.scene)
        apply_preferences()
        if not self.filepath or not os.path.basename(self.filepath):
            raise InputError("choose a video file (MP4, MOV, AVI, ...)")
        self.target = timeline_object(context)
        if self.target is None:
            raise InputError(
                "select the rigged face whose timeline gets the video's emotion keys (a mesh with "
                "the 52 ARKit shape keys; rig it first)"
            )
        self.path = bpy.path.abspath(self.filepath)
        self.every_n, self.min_hold = int(props.recognize_every_n), float(props.recognize_min_hold)
        self.reference = {"CALM": "calm", "NONE": None}.get(
            props.recognize_reference, (props.recognize_reference_first, props.recognize_reference_last)
        )

    def compute(self, progress):
        self.track = video_emotion_track(self.path, self.every_n, progress=progress, reference=self.reference)
        self.keys = track_to_timeline_keys(self.track, self.min_hold)

    def apply(self, context):
        props = settings(context.scene)
        timeline = object_settings(self.target)
        keys, existing = self.keys, timeline.timeline_keys
        if props.recognize_replace_keys:
            where = f"replacing the timeline's {len(existing)} key(s)" if len(existing) else "into the timeline"
            existing.clear()
        elif len(existing):
            keys = keys_after(keys, max(item.time for item in existing))
            where = f"appended after the last key, from {keys[0].time:.2f} s"
        else:
            where = "into the timeline"
        _write_keys(existing, keys)
        timeline.active_key_index = len(existing) - len(keys)
        summary = summarize_track(self.track)  # not None: track_to_timeline_keys found a face
        name = os.path.basename(self.path)
        store_result(
            context.scene,
            summary.label,
            summary.intensity,
            summary.probabilities,
            f"{name} ({summary.face_frames}/{summary.frames} frames with a face)",
            1,
            summary.uncertain,
        )
        labels = " -> ".join(key.emotion for key in keys[:6]) + (" ..." if len(keys) > 6 else "")
        return (
            f"{name}: {len(keys)} emotion key(s) from {summary.frames} frames (every {self.every_n}), "
            f"{where} of {self.target.name}: {labels}"
        )


class FACEMOTION_OT_detect_emotion_video(FileJobOperator, bpy.types.Operator, ImportHelper):
    """Recognise the emotion in every Nth frame of a video file and write it as keys of the active rigged face's
    emotion timeline (appended after the last key, or replacing the keys when "Replace Keys" is ticked)"""

    bl_idname = "facemotion.detect_emotion_video"
    bl_label = "Recognize Emotion in Video"

    filter_glob: StringProperty(default=";".join(f"*{s}" for s in VIDEO_SUFFIXES), options={"HIDDEN"})

    def make_job(self, context):
        return VideoEmotionJob(self.filepath)


# ------------------------------------------------------------------------------------------------------------- pose


class PoseEmotionJob(Job):
    """Render the rig's current pose and classify it against its rest pose (``recognize_mesh``)."""

    title = "Recognising the pose"

    def __init__(self, objects, rigged):
        self.objects, self.rigged = objects, rigged

    def prepare(self, context):
        # Every selected face mesh is rendered (eyes and teeth may be separate objects), posed as evaluated.
        apply_preferences()
        self.names = ", ".join(obj.name for obj in self.objects)
        self.vertices, self.triangles = evaluated_world_mesh(self.objects, context.evaluated_depsgraph_get())
        marks = rigging.landmark_object_for(self.objects) or rigging.landmark_object_for(self.rigged)
        self.marks = marks.name if marks is not None else None
        self.landmarks = rigging.read_landmark_object(marks) if marks is not None else None
        # Judged against the rest pose (the relative model) when the Basis stands beside the evaluated pose.
        self.rest = rest_world_vertices(self.objects, len(self.vertices))

    def compute(self, progress):
        self.found = recognize_mesh(
            self.vertices, self.triangles, rest_vertices=self.rest, landmarks=self.landmarks, progress=progress
        )

    def apply(self, context):
        found = self.found
        if not found.results:
            how = f"framed by {self.marks}" if found.landmarks_from == "given" else "landmarks detected on it"
            raise NoFaceError(
                f"{self.names}: no face found on the frontal render of the pose ({how}); is the "
                f"expression extreme, or the landmark object out of date?"
            )
        against = "against its rest pose" if found.reference else "alone (no rest pose beside it)"
        return _store_faces(context, found.results, f"pose of {self.names} ({against})")


class FACEMOTION_OT_detect_emotion_pose(JobOperator, bpy.types.Operator):
    """Recognise the emotion of the selected rigged face's current pose: render it frontally (shape keys applied),
    detect the face and classify it against a render of its rest pose (framed by the rig's landmark object when
    there is one)"""

    bl_idname = "facemotion.detect_emotion_pose"
    bl_label = "Recognize Emotion of Pose"
    requires = "rigged"

    def make_job(self, context):
        return PoseEmotionJob(face_meshes(context), rigged_meshes(context))


classes = (FACEMOTION_OT_detect_emotion_image, FACEMOTION_OT_detect_emotion_video, FACEMOTION_OT_detect_emotion_pose)
