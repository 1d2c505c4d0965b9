# SPDX-License-Identifier: GPL-3.0-or-later
"""Operators that recognise emotions: in an image (a file or a Blender image), in a video file (written into the
scene's emotion timeline), and in the rigged face's current pose (rendered, detected, classified).

Each stores its result in the scene (``Scene.facemotion.recognized_*``: top label, intensity, the 8 probabilities,
what was looked at, how many faces), which the Recognize panel shows. The work is done by
:mod:`facemotion.core.emotion.recognition`; these operators only gather Blender data and write results back.
"""
import os

import bpy
import numpy as np
from bpy.props import EnumProperty, StringProperty
from bpy_extras.io_utils import ImportHelper

from ..core.emotion.presets import CATEGORIES
from ..core.emotion.recognition import (IMAGE_SUFFIXES, VIDEO_SUFFIXES, keys_after, recognize_image,
                                        recognize_mesh, summarize_track, track_to_timeline_keys,
                                        video_emotion_track)
from ..core.errors import FacemotionError, InputError, NoFaceError
from ..core.io.image_io import from_blender_pixels, load_image
from ..core.detect.rasterize import linear_to_srgb
from ..facemotion_addon import rigging
from ..facemotion_addon.preferences import apply_preferences
from ..facemotion_addon.properties import settings
from .emotion import poll_rigged_meshes
from .rig import ProgressReporter, face_meshes, rigged_meshes

__all__ = ["FACEMOTION_OT_detect_emotion_image", "FACEMOTION_OT_detect_emotion_pose",
           "FACEMOTION_OT_detect_emotion_video", "blender_image_rgb", "classes", "evaluated_world_mesh",
           "store_result"]


def store_result(scene, label, intensity, probabilities, source, faces=1):
    """Write a recognition result into ``scene.facemotion.recognized_*``: ``probabilities`` ``{category: p}``
    (missing categories 0), ``source`` a short description, ``faces`` how many faces were found."""
    props = settings(scene)
    props.recognized_label = label
    props.recognized_intensity = min(max(float(intensity), 0.0), 1.0)
    props.recognized_probabilities = [float(probabilities.get(name, 0.0)) for name in CATEGORIES]
    props.recognized_source = source
    props.recognized_faces = int(faces)


def _describe(label, probability, intensity):
    return f"{label} ({probability:.0%}, intensity {intensity:.2f})"


def _finish(operator, context, message):
    settings(context.scene).last_report = message
    operator.report({"INFO"}, message)
    return {"FINISHED"}


def _store_faces(operator, context, results, source):
    """Store the largest face's result and report it; NoFaceError when there is none."""
    if not results:
        raise NoFaceError(f"no face found in {source}; use a well-lit image with a visible, roughly frontal face")
    top = results[0]
    store_result(context.scene, top.label, top.intensity, top.probabilities, source, len(results))
    message = f"{source}: {_describe(top.label, top.probabilities[top.label], top.intensity)}"
    if len(results) > 1:
        others = ", ".join(result.label for result in results[1:])
        message += f"; {len(results)} faces, the largest shown (others: {others})"
    return _finish(operator, context, message)


# ------------------------------------------------------------------------------------------------------------ image

def blender_image_rgb(image):
    """``(H, W, 3) uint8`` sRGB of a Blender image data-block (top row first).

    Byte images are taken as stored (sRGB); float images (EXR, HDR, 16-bit PNG, which Blender keeps in scene-linear
    light) are encoded to sRGB first, as a viewer shows them. Raises InputError for the Render Result / Viewer Node
    images (their pixels cannot be read from Python: save the render first) and for images without pixels (a
    missing file).
    """
    if image.type in ("RENDER_RESULT", "COMPOSITING"):
        raise InputError(f"'{image.name}' is a render or compositor result, whose pixels Python cannot read; save it "
                         f"(Image > Save As) and choose the saved file")
    width, height = (int(v) for v in image.size)
    channels = int(image.channels)
    if width == 0 or height == 0 or not image.has_data and len(image.pixels) == 0:
        raise InputError(f"Blender image '{image.name}' has no pixels (is its file {image.filepath!r} missing?); "
                         f"reload it or choose another image")
    flat = np.empty(width * height * channels, dtype=np.float32)
    image.pixels.foreach_get(flat)
    pixels = flat.reshape(height * width, channels)
    if channels != 4:  # grey (1), grey + alpha (2) or RGB (3) buffers: expand to RGBA for from_blender_pixels
        rgb = np.repeat(pixels[:, :1], 3, axis=1) if channels < 3 else pixels[:, :3]
        alpha = pixels[:, 1:2] if channels == 2 else np.ones((len(pixels), 1), np.float32)
        pixels = np.concatenate([rgb, alpha], axis=1)
    if image.is_float:
        pixels = pixels.copy()
        pixels[:, :3] = linear_to_srgb(pixels[:, :3])
    return from_blender_pixels(pixels, width, height)


class FACEMOTION_OT_detect_emotion_image(bpy.types.Operator, ImportHelper):
    """Recognise the emotion of the faces in an image file, or in the Blender image chosen in the Recognize panel"""

    bl_idname = "facemotion.detect_emotion_image"
    bl_label = "Recognize Emotion in Image"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default=";".join(f"*{s}" for s in IMAGE_SUFFIXES), options={"HIDDEN"})
    source: EnumProperty(name="Source", description="Where the image comes from", default="FILE",
                         items=[("FILE", "Image File", "An image file chosen in the file browser (filepath)"),
                                ("IMAGE", "Blender Image", "The Blender image chosen in the Recognize panel")])

    def invoke(self, context, event):
        if self.source == "IMAGE":
            return self.execute(context)
        return ImportHelper.invoke(self, context, event)

    def execute(self, context):
        apply_preferences()
        try:
            if self.source == "IMAGE":
                image = settings(context.scene).recognize_image
                if image is None:
                    raise InputError("choose a Blender image in Facemotion > Recognize > Image first")
                rgb, source = blender_image_rgb(image), image.name
            else:
                if not self.filepath or not os.path.basename(self.filepath):
                    raise InputError("choose an image file (PNG, JPEG, TIFF, ...)")
                path = bpy.path.abspath(self.filepath)
                rgb, source = load_image(path), os.path.basename(path)
            return _store_faces(self, context, recognize_image(rgb), source)
        except FacemotionError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}


# ------------------------------------------------------------------------------------------------------------ video

def _write_keys(timeline_keys, keys):
    for key in keys:
        item = timeline_keys.add()
        item.time, item.emotion, item.intensity = key.time, key.emotion, key.intensity
        item.transition, item.easing = key.transition, key.easing


class FACEMOTION_OT_detect_emotion_video(bpy.types.Operator, ImportHelper):
    """Recognise the emotion in every Nth frame of a video file and write it as keys of the emotion timeline
    (appended after the last key, or replacing the keys when "Replace Keys" is ticked)"""

    bl_idname = "facemotion.detect_emotion_video"
    bl_label = "Recognize Emotion in Video"
    bl_options = {"REGISTER", "UNDO"}

    filter_glob: StringProperty(default=";".join(f"*{s}" for s in VIDEO_SUFFIXES), options={"HIDDEN"})

    def execute(self, context):
        props = settings(context.scene)
        apply_preferences()
        try:
            if not self.filepath or not os.path.basename(self.filepath):
                raise InputError("choose a video file (MP4, MOV, AVI, ...)")
            path = bpy.path.abspath(self.filepath)
            with ProgressReporter(context) as progress:
                track = video_emotion_track(path, int(props.recognize_every_n), progress=progress)
            keys = track_to_timeline_keys(track, float(props.recognize_min_hold))
        except FacemotionError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}
        existing = props.timeline_keys
        if props.recognize_replace_keys:
            where = f"replacing the timeline's {len(existing)} key(s)" if len(existing) else "into the timeline"
            existing.clear()
        elif len(existing):
            keys = keys_after(keys, max(item.time for item in existing))
            where = f"appended after the last key, from {keys[0].time:.2f} s"
        else:
            where = "into the timeline"
        _write_keys(existing, keys)
        props.active_key_index = len(existing) - len(keys)
        summary = summarize_track(track)  # not None: track_to_timeline_keys found a face
        name = os.path.basename(path)
        store_result(context.scene, summary.label, summary.intensity, summary.probabilities,
                     f"{name} ({summary.face_frames}/{summary.frames} frames with a face)", 1)
        labels = " -> ".join(key.emotion for key in keys[:6]) + (" ..." if len(keys) > 6 else "")
        return _finish(self, context, f"{name}: {len(keys)} emotion key(s) from {summary.frames} frames "
                                      f"(every {props.recognize_every_n}), {where}: {labels}")


# ------------------------------------------------------------------------------------------------------------- pose

def evaluated_world_mesh(objects, depsgraph):
    """The objects' evaluated meshes (shape keys and modifiers applied: the pose seen in the viewport) in world
    space, combined: ``(vertices (V, 3) float64, triangles (T, 3) int64)``. Raises InputError when they hold no
    triangles."""
    verts, tris, offset = [], [], 0
    for obj in objects:
        evaluated = obj.evaluated_get(depsgraph)
        mesh = evaluated.to_mesh()
        try:
            co = np.empty(len(mesh.vertices) * 3, dtype=np.float32)
            mesh.vertices.foreach_get("co", co)
            mesh.calc_loop_triangles()
            loop_tris = np.empty(len(mesh.loop_triangles) * 3, dtype=np.int32)
            mesh.loop_triangles.foreach_get("vertices", loop_tris)
            matrix = np.array(evaluated.matrix_world, dtype=np.float64)
        finally:
            evaluated.to_mesh_clear()
        points = co.reshape(-1, 3).astype(np.float64) @ matrix[:3, :3].T + matrix[:3, 3]
        verts.append(points)
        tris.append(loop_tris.reshape(-1, 3).astype(np.int64) + offset)
        offset += len(points)
    triangles = np.concatenate(tris) if tris else np.zeros((0, 3), np.int64)
    if len(triangles) == 0:
        raise InputError(f"{', '.join(obj.name for obj in objects)}: no faces to render")
    return np.concatenate(verts), triangles


def rest_world_vertices(objects, vertex_count):
    """The objects' rest pose (each mesh's Basis shape key, or its vertices when it has no shape keys) in world space,
    combined in the order of :func:`evaluated_world_mesh`: ``(V, 3) float64``, or None when it cannot stand beside the
    evaluated pose: an object with a modifier shown in the viewport (a Subdivision Surface changes the vertices, a
    deforming modifier moves them away from the Basis), or a vertex count other than ``vertex_count``."""
    verts = []
    for obj in objects:
        if any(modifier.show_viewport for modifier in obj.modifiers):
            return None
        keys = obj.data.shape_keys
        source = keys.reference_key.data if keys is not None else obj.data.vertices
        co = np.empty(len(source) * 3, dtype=np.float32)
        source.foreach_get("co", co)
        matrix = np.array(obj.matrix_world, dtype=np.float64)
        verts.append(co.reshape(-1, 3).astype(np.float64) @ matrix[:3, :3].T + matrix[:3, 3])
    rest = np.concatenate(verts) if verts else np.zeros((0, 3))
    return rest if len(rest) == vertex_count else None


class FACEMOTION_OT_detect_emotion_pose(bpy.types.Operator):
    """Recognise the emotion of the selected rigged face's current pose: render it frontally (shape keys applied),
    detect the face and classify it against a render of its rest pose (framed by the rig's landmark object when
    there is one)"""

    bl_idname = "facemotion.detect_emotion_pose"
    bl_label = "Recognize Emotion of Pose"
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        return poll_rigged_meshes(cls, context)

    def execute(self, context):
        # Every selected face mesh is rendered (eyes and teeth may be separate objects), posed as evaluated.
        objects = face_meshes(context)
        names = ", ".join(obj.name for obj in objects)
        apply_preferences()
        try:
            vertices, triangles = evaluated_world_mesh(objects, context.evaluated_depsgraph_get())
            marks = rigging.landmark_object_for(objects) or rigging.landmark_object_for(rigged_meshes(context))
            landmarks = rigging.read_landmark_object(marks) if marks is not None else None
            # Judged against the rest pose (the relative model) when the Basis stands beside the evaluated pose.
            rest = rest_world_vertices(objects, len(vertices))
            with ProgressReporter(context) as progress:
                found = recognize_mesh(vertices, triangles, rest_vertices=rest, landmarks=landmarks,
                                       progress=progress)
            if not found.results:
                how = f"framed by {marks.name}" if found.landmarks_from == "given" else "landmarks detected on it"
                raise NoFaceError(f"{names}: no face found on the frontal render of the pose ({how}); is the "
                                  f"expression extreme, or the landmark object out of date?")
            against = "against its rest pose" if found.reference else "alone (no rest pose beside it)"
            return _store_faces(self, context, found.results, f"pose of {names} ({against})")
        except FacemotionError as exc:
            self.report({"ERROR"}, str(exc))
            return {"CANCELLED"}


classes = (FACEMOTION_OT_detect_emotion_image, FACEMOTION_OT_detect_emotion_video, FACEMOTION_OT_detect_emotion_pose)
