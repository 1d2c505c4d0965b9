# SPDX-License-Identifier: GPL-3.0-or-later
"""Emotion recognition on images, folders of images and videos, and the emotion track a video gives the timeline.

One direction, one stage per function (the chain the operators and the CLI share)::

    image / file / folder / video frame / frontal render of a 3D face (core.detect.rasterize)
      -> core.io.image_io (any layout: grey, RGBA, 16-bit, float -> RGB uint8)
      -> core.detect.landmarks (MediaPipe Face Landmarker: every face, largest first; faces from 24 px to the whole
         frame found by its padded pass and its small-face search)
      -> core.emotion.classifier (features of each face -> ONNX model -> 8 probabilities + intensity)
      -> EmotionResult per face, or a TrackSample per sampled video frame
      -> core.animation.track_keys.track_to_timeline_keys -> core.animation.timeline.EmotionKey (what the
         timeline bakes)

Everything heavy (the MediaPipe graph, the onnxruntime session) is created once and reused: pass ``detector`` and
``classifier`` explicitly, or let the shared instances (a detector of every face,
:data:`facemotion.core.emotion.classifier.DEFAULT_MAX_FACES`, :func:`~.classifier.default_fused_classifier`)
be created on first use. Pure numpy + OpenCV: no bpy.

Video: OpenCV's ``cv2.VideoCapture`` (FFmpeg backend of the opencv-python wheels) reads the file; frames not sampled
are only grabbed (demuxed, not decoded), so sampling every Nth frame costs about 1/N of decoding every frame. A frame's
time is ``index / fps`` with the container's frame rate, or the decoder's timestamp when the file has none.

Video with a reference (:func:`video_emotion_track`'s default): each frame's face is judged against the actor's own
calm frames by the relative model (:data:`~.classifier.RELATIVE_MODEL_PATH`), as a rig's pose is judged against its
rest pose: what the face changes, not how the person looks at rest. The calm frames are found automatically: the
stretch of :data:`CALM_WINDOW` seconds of consecutive face frames whose mean expression activity (the sum of the
ARKit blendshape scores, gaze and blinks left out: they move at rest) is lowest, the earliest on a tie; their feature
parts, averaged, are the reference -- the identity-normalisation of sequence-based recognition, where the neutral
frame is the sequence's first (Lucey et al. 2010, CK+), here the calmest stretch since a video need not start calm.
A chosen frame range overrides the search.

The emotion track of a video becomes timeline keys in :mod:`facemotion.core.animation.track_keys` (the timeline is
above recognition: recognition never builds keys).
"""

import math
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np

from ..errors import InputError
from ..io.image_io import as_rgb_uint8, load_image
from .fusion import is_uncertain

__all__ = [
    "CALM_WINDOW",
    "IMAGE_SUFFIXES",
    "MESH_RENDER_SIZE",
    "MeshRecognition",
    "TrackSample",
    "TrackSummary",
    "VIDEO_SUFFIXES",
    "calm_window",
    "expression_activity",
    "face_camera",
    "faces_emotion_track",
    "iter_images",
    "recognize_file",
    "recognize_image",
    "recognize_mesh",
    "render_face",
    "summarize_track",
    "video_emotion_track",
]

#: File suffixes (lower case) :func:`iter_images` takes from a folder: what OpenCV's imdecode reads in every build.
IMAGE_SUFFIXES = (
    ".png",
    ".jpg",
    ".jpeg",
    ".jpe",
    ".bmp",
    ".dib",
    ".tif",
    ".tiff",
    ".webp",
    ".pbm",
    ".pgm",
    ".ppm",
    ".pnm",
)
#: Video suffixes offered by the video file browser (anything FFmpeg reads works when given explicitly).
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".wmv", ".ogv")
#: Seconds of consecutive face frames that make a video's automatic reference (its calmest stretch): long enough that
#: one still frame mid-expression does not pass for calm, short enough that a lively video still has one.
CALM_WINDOW = 1.0
#: ARKit blendshape name prefixes left out of the expression activity: gaze and blinks move in a face at rest.
RESTING_MOTION = ("eyeLook", "eyeBlink")

# Frontal renders of a 3D face for recognition (:func:`recognize_mesh`): the settings of the rig's consistency
# evaluation (tools/evaluate_emotion.py, "plain shading" heads), so a pose is judged as the rig was measured: a
# 256 px square (the training renders' size), the face's landmarks filling 60 % of its width, a plain grey
# background, light from the camera a little above and to the subject's right.
#: Side of the square render in pixels.
MESH_RENDER_SIZE = 256
#: Share of the image width the face's landmark extent fills.
MESH_FACE_FILL = 0.6
#: Background (sRGB, 0..1) and ambient share of the renders.
MESH_BACKGROUND = (0.45, 0.45, 0.45)
MESH_AMBIENT = 0.3
#: Light direction in the camera frame (x right, y up, z toward the viewer).
MESH_LIGHT = (-0.25, 0.35, 1.0)


class TrackSample(NamedTuple):
    """One sampled video frame: ``time`` seconds from the start; ``label`` one of the model's labels, or None when
    no face was found; ``intensity`` 0..1 (None without a face); ``probabilities`` ``{label: p}`` (None without a
    face); ``frame`` the frame's index in the video (from 0); ``reference`` True for the frames the track was judged
    against (the calm frames or the chosen range); ``uncertain`` True when the top class was not clearly ahead (the
    classifier's :attr:`~facemotion.core.emotion.classifier.EmotionResult.uncertain`: no emotion is keyed from such
    a frame). The largest face of the frame is the one classified."""

    time: float
    label: str | None
    intensity: float | None
    probabilities: dict | None
    frame: int | None = None
    reference: bool = False
    uncertain: bool = False


class TrackSummary(NamedTuple):
    """A whole track in one result: ``label`` the top class of the mean probabilities over frames with a face,
    ``intensity`` the mean intensity there, ``probabilities`` that mean ``{label: p}``, ``face_frames`` how many
    sampled frames showed a face, ``frames`` how many were sampled; ``uncertain`` True when the mean is uncertain
    (:func:`.fusion.is_uncertain`'s margin) or no certain frame read ``label`` (then no emotion key says it)."""

    label: str
    intensity: float
    probabilities: dict
    face_frames: int
    frames: int
    uncertain: bool = False


# ---------------------------------------------------------------------------------------------------------- images


def recognize_image(image, *, detector=None, classifier=None):
    """Classify the emotion of every face in an image.

    Args:
        image: ``(H, W, 3) uint8`` RGB, or any layout :func:`facemotion.core.io.image_io.as_rgb_uint8` converts
            (``(H, W)`` grey, grey + alpha, RGBA, uint16, float in [0, 1]).
        detector: a ``FaceLandmarkDetector`` (default: a shared one returning every face). Pass one made with
            ``max_faces=1`` when only the largest face matters: it skips the search for further faces.
        classifier: a :class:`facemotion.core.emotion.classifier.FusedEmotionClassifier` (default: the shared one:
            geometry + appearance, calibrated) or an ``EmotionClassifier`` (geometry alone).

    Returns:
        list of :class:`facemotion.core.emotion.classifier.EmotionResult` (``label``, ``probabilities`` ``{label:
        p}``, ``intensity`` 0..1, ``face``), largest face first (by the area of its landmarks' bounding box); empty
        when no face is found.

    Raises:
        InputError: an empty or malformed array; the classifier's model is missing or does not match its spec.
    """
    from .classifier import classify_image

    results = classify_image(as_rgb_uint8(image), detector=detector, classifier=classifier)
    # The detector orders its faces by size already; sorting again keeps the contract whatever detector is passed.
    return sorted(results, key=lambda result: result.face.area, reverse=True)


def recognize_file(path, *, detector=None, classifier=None):
    """:func:`recognize_image` on an image file (read by :func:`facemotion.core.io.image_io.load_image`: PNG, JPEG,
    TIFF, ..., 8/16-bit, grey or colour). Returns the list of results, largest face first (empty: no face).
    Raises InputError naming the path when it is missing or not a readable image."""
    return recognize_image(load_image(path), detector=detector, classifier=classifier)


def _sort_key(relative):
    # Component-wise, case-sensitive: a folder's files sort together under the folder's name, the same on every OS.
    return relative.parts


def iter_images(path):
    """The image files to process for ``path``, in a stable order.

    A file is returned as it is (whatever its suffix: the reader will say if it is not an image). A folder is walked
    recursively (symbolic links to folders are not followed, so links cannot loop); files whose suffix is in
    :data:`IMAGE_SUFFIXES` (any case) are kept, hidden files and folders (names starting with ".", e.g. macOS's
    ``._photo.jpg``) skipped, and the result is sorted by path component by component.

    Returns a list of :class:`pathlib.Path` (``path`` joined with each file's relative path).
    Raises InputError when ``path`` does not exist, or is a folder holding no image files.
    """
    root = Path(path)
    if not root.exists():
        raise InputError(f"{root}: no such file or folder; give an image file or a folder of images")
    if not root.is_dir():
        return [root]
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        base = Path(folder).relative_to(root)
        found += [
            base / name for name in files if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES
        ]
    if not found:
        raise InputError(
            f"{root}: no image files in this folder or below (looked for "
            f"{', '.join(s.lstrip('.') for s in IMAGE_SUFFIXES[:6])}, ...)"
        )
    return [root / relative for relative in sorted(found, key=_sort_key)]


# ------------------------------------------------------------------------------------------------------------ mesh


class MeshRecognition(NamedTuple):
    """:func:`recognize_mesh`'s answer: ``results`` (list of EmotionResult, at most one: the face on the render;
    empty when the detector found none), ``image`` the ``(H, W, 3) uint8`` render that was classified, ``camera``
    the :class:`~facemotion.core.detect.rasterize.OrthoCamera` it was taken with, ``landmarks_from`` ``"given"`` or
    ``"detected"`` (where the face frame came from), ``reference`` ``"rest pose"`` when the pose was judged against
    a render of the rest pose with the relative model, None when alone with the absolute model."""

    results: list
    image: np.ndarray
    camera: object
    landmarks_from: str
    reference: str = None


def face_camera(landmarks, size=MESH_RENDER_SIZE, face_fill=MESH_FACE_FILL):
    """An orthographic camera looking straight at a face, from its 478 MediaPipe landmarks ``(478, 3)`` on the mesh
    (world units).

    "Straight at" is MediaPipe's own frontal view: the 468 mesh landmarks are fitted to MediaPipe's canonical face
    (:func:`facemotion.core.emotion.features.canonical_face`, which looks along +z with +y up) by a least-squares
    similarity (:func:`facemotion.core.geometry.similarity_transform`, Umeyama 1991), and the camera takes the fitted
    rotation's axes. (Eyes and mouth alone are not enough: the mouth sits ahead of the eyes, so their plane leans
    back about 10 degrees.) The camera is centred on the landmarks, whose larger extent across the view fills
    ``face_fill`` of the ``size`` x ``size`` image.

    Returns an :class:`~facemotion.core.detect.rasterize.OrthoCamera`, or None when the landmarks are mirrored (the
    subject's left eye on the image's left, or the nose pointing away). Raises InputError when ``landmarks`` is not
    a finite ``(478, 3)`` array or its points coincide.
    """
    from ..detect import mediapipe_topology as mp_idx
    from ..detect.rasterize import OrthoCamera
    from ..geometry import similarity_transform
    from .features import canonical_face

    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (mp_idx.NUM_LANDMARKS, 3) or not np.isfinite(points).all():
        raise InputError(f"face landmarks must be a finite ({mp_idx.NUM_LANDMARKS}, 3) array, got {points.shape}")
    _, rotation, _ = similarity_transform(canonical_face(), points[: mp_idx.NUM_MESH_LANDMARKS])
    camera_rotation = rotation.T  # rows: the canonical face's x (subject's left), y (up), z (out of the face)
    right_eye = points[[mp_idx.RIGHT_EYE_INNER_CORNER, mp_idx.RIGHT_EYE_OUTER_CORNER]].mean(axis=0)
    left_eye = points[[mp_idx.LEFT_EYE_INNER_CORNER, mp_idx.LEFT_EYE_OUTER_CORNER]].mean(axis=0)
    eyes = (right_eye + left_eye) / 2.0
    if (left_eye - right_eye) @ camera_rotation[0] <= 0.0 or (points[mp_idx.NOSE_TIP] - eyes) @ camera_rotation[
        2
    ] <= 0.0:
        return None  # a mirror image of a face: the best proper rotation cannot show it frontally
    extent = float(np.ptp(points @ camera_rotation[:2].T, axis=0).max())
    return OrthoCamera(
        rotation=camera_rotation, centre=points.mean(axis=0), half_width=extent / 2.0 / face_fill, size=(size, size)
    )


def render_face(vertices, triangles, camera, *, vertex_colors=None):
    """``(H, W, 3) uint8`` render of a mesh through ``camera`` with the recognition render settings (module
    constants ``MESH_*``): Lambert shading of :data:`facemotion.core.detect.rasterize.SKIN_ALBEDO` (or ``vertex_colors``
    ``(V, 3)`` sRGB) on a grey background."""
    from ..detect.rasterize import render

    light = np.asarray(MESH_LIGHT, dtype=np.float64) @ camera.rotation
    return render(
        vertices,
        triangles,
        camera,
        vertex_colors=vertex_colors,
        light_dir=light,
        ambient=MESH_AMBIENT,
        background=MESH_BACKGROUND,
    ).image


def recognize_mesh(
    vertices,
    triangles,
    *,
    rest_vertices=None,
    landmarks=None,
    vertex_colors=None,
    detector=None,
    classifier=None,
    progress=None,
):
    """Recognise the emotion a 3D face mesh shows: render it frontally, detect the face, classify it.

    With ``rest_vertices`` the same mesh at rest is rendered through the same camera too, and the pose is judged
    against it by the relative model (:data:`facemotion.core.emotion.classifier.RELATIVE_MODEL_PATH`): what the
    expression changes, not what the character looks like at rest (a stern-looking head at rest is not angry). On
    the project's consistency heads this raises the share of presets recognised as intended from 78.7 % (each pose
    alone) to 96.0 % (75 poses of 5 heads, ``models/README.md``). When no face is found on the rest render, the
    pose is judged alone.

    Args:
        vertices: ``(V, 3)`` float positions of the posed mesh (shape keys applied), world units.
        triangles: ``(T, 3)`` int vertex indices.
        rest_vertices: optional ``(V, 3)`` positions of the same mesh at rest (no expression), world units.
        landmarks: ``(478, 3)`` MediaPipe landmarks on the face (e.g. the rig's landmark object, at rest: they only
            frame the view). When None, unusable or mirrored, they are detected on the mesh with
            :func:`facemotion.core.detect.mesh_landmarks.detect_mesh_landmarks` (a few seconds).
        vertex_colors: optional ``(V, 3)`` sRGB colours for the render.
        detector: a ``FaceLandmarkDetector`` (default: the shared single-face ``landmarks.default_detector()``).
        classifier: an ``EmotionClassifier`` (default: the shared one; with ``rest_vertices`` the shared relative
            one). A relative classifier needs ``rest_vertices``.
        progress: optional ``progress(fraction, message)`` for the landmark detection.

    Returns:
        :class:`MeshRecognition`.

    Raises:
        InputError: an empty or malformed mesh, ``rest_vertices`` of another shape, or a relative classifier without
        ``rest_vertices``; NoFaceError: no landmarks given and no face found on the mesh.
    """
    from ..detect.landmarks import default_detector
    from ..detect.mesh_landmarks import detect_mesh_landmarks

    detector = detector or default_detector()
    camera = face_camera(landmarks) if landmarks is not None else None
    source = "given"
    if camera is None:
        found = detect_mesh_landmarks(vertices, triangles, detector=detector, progress=progress)
        camera, source = face_camera(found.points), "detected"
    if camera is None:  # MediaPipe's own landmarks are never mirrored; kept for safety
        raise InputError("the face frame could not be derived from the landmarks found on the mesh")
    vertices, triangles = np.asarray(vertices, np.float64), np.asarray(triangles, np.int64)
    image = render_face(vertices, triangles, camera, vertex_colors=vertex_colors)
    reference = None
    if rest_vertices is not None:
        from .classifier import default_relative_classifier

        rest_vertices = np.asarray(rest_vertices, np.float64)
        if rest_vertices.shape != vertices.shape:
            raise InputError(
                f"the rest pose has {rest_vertices.shape} vertex positions but the pose {vertices.shape};"
                f" give the same mesh at rest"
            )
        classifier = classifier or default_relative_classifier()
        if classifier.needs_reference:
            rest_image = render_face(rest_vertices, triangles, camera, vertex_colors=vertex_colors)
            rest = detector.detect(rest_image)
            if rest:
                reference = classifier.reference_parts(rest[0], rest_image)
            else:
                classifier = None  # nothing to compare with: the pose is judged alone by the shipped model
    elif classifier is not None and classifier.needs_reference:
        raise InputError(
            f"emotion model {classifier.path.name} judges a pose against the rest pose: give rest_vertices"
        )
    if reference is None:
        results = recognize_image(image, detector=detector, classifier=classifier)
        return MeshRecognition(results[:1], image, camera, source)
    faces = detector.detect(image)
    results = [classifier.classify_face(faces[0], image, reference=reference)] if faces else []
    return MeshRecognition(results, image, camera, source, "rest pose")


# ----------------------------------------------------------------------------------------------------------- video


def _open_video(path):
    import cv2

    path = Path(path)
    if not path.exists():
        raise InputError(f"video file {path} does not exist; check the path")
    if not path.is_file():
        raise InputError(f"video path {path} is not a file; give a video file (MP4, AVI, MOV, ...)")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        capture.release()
        raise InputError(
            f"{path} is not a video OpenCV can read (corrupt, or a codec FFmpeg lacks); "
            f"convert it to MP4 (H.264) or MJPG AVI"
        )
    return capture


def _sampled_frames(path, every_n, report):
    """``(index, time_s, rgb)`` of frames 0, N, 2N, ... of a video (the frames between are grabbed, not decoded)."""
    import cv2

    capture = _open_video(path)
    try:
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        fps = fps if math.isfinite(fps) and 0.0 < fps < 1000.0 else None
        declared = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        index = 0
        while True:
            if index % every_n:
                if not capture.grab():
                    break
                index += 1
                continue
            ok, frame = capture.read()
            if not ok or frame is None:
                break
            time = index / fps if fps else capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            yield index, float(time), as_rgb_uint8(frame, bgr=True, what=f"frame {index} of {Path(path).name}")
            index += 1
            if declared > 0:
                report(min(index / declared, 1.0), f"frame {index} of {declared}")
            else:  # no frame count declared: no percentage, but still a report (and a cancel point) per frame
                report(0.0, f"frame {index}")
    finally:
        capture.release()


def expression_activity(face):
    """How far a face is from rest: the sum of its ARKit blendshape scores (``face.blendshapes``), gaze and blinks
    (:data:`RESTING_MOTION`) and MediaPipe's ``_neutral`` left out. A float >= 0; 0 for a face at rest."""
    return float(
        sum(
            score
            for name, score in face.blendshapes.items()
            if not name.startswith(RESTING_MOTION) and name != "_neutral"
        )
    )


def calm_window(activity, length):
    """``(start, stop)`` of the ``length`` consecutive entries of ``activity`` (a sequence of floats) with the lowest
    mean, the earliest on a tie; the whole sequence when it is shorter. Raises InputError when it is empty."""
    values = np.asarray(activity, dtype=np.float64)
    if values.size == 0:
        raise InputError("no face frame to find calm frames in")
    length = int(min(max(1, length), values.size))
    means = np.convolve(values, np.ones(length) / length, mode="valid")
    start = int(np.argmin(means))  # argmin takes the first of equal minima
    return start, start + length


def _reference_frames(samples, reference, step):
    """Positions in ``samples`` (``(index, face, image)`` with a face) of the reference frames: the calm window, or
    the faces whose frame index is within the chosen ``reference = (first, last)`` range."""
    if reference == "calm":
        start, stop = calm_window(
            [expression_activity(face) for _, face, _ in samples], round(CALM_WINDOW / step) if step > 0 else 1
        )
        return list(range(start, stop))
    first, last = reference
    chosen = [i for i, (index, _, _) in enumerate(samples) if first <= index <= last]
    if not chosen:
        raise InputError(
            f"no face was found in the chosen reference frames {first}-{last}; choose frames that "
            f"show the actor's face at rest"
        )
    return chosen


def _check_reference(reference):
    if reference is None or reference == "calm":
        return reference
    try:
        first, last = (int(v) for v in reference)
    except (TypeError, ValueError):
        raise InputError(f"reference must be 'calm', None or a (first, last) frame range, got {reference!r}") from None
    if first < 0 or last < first:
        raise InputError(
            f"the reference frame range {first}-{last} is empty or negative; give first <= last, counted from frame 0"
        )
    return first, last


def video_emotion_track(path, every_n=5, *, progress=None, detector=None, classifier=None, reference="calm"):
    """Classify the emotion of the largest face in every ``every_n``-th frame of a video file.

    Args:
        path: a video file FFmpeg (through ``cv2.VideoCapture``) can read.
        every_n: sample frames 0, N, 2N, ... (int >= 1).
        progress: optional ``progress(fraction, message)`` callback (fraction in [0, 1]; stays 0 when the file does
            not declare its frame count).
        detector: a ``FaceLandmarkDetector`` (default: the shared single-face ``landmarks.default_detector()``).
        classifier: an ``EmotionClassifier`` or ``FusedEmotionClassifier`` (default: the shared relative one with
            a reference, the shared fused one without). A classifier that needs no reference judges every frame
            alone.
        reference: ``"calm"`` (default): judge each frame against the actor's calm frames, found automatically
            (module docstring); ``(first, last)``: against the faces of these frames (indices from 0, inclusive);
            None: every frame alone.

    Returns:
        list of :class:`TrackSample` ``(time_s, label, intensity, probabilities, frame, reference)``, one per sampled
        frame in time order; frames without a face have ``label`` (and the next two) None. ``time_s`` is
        ``frame / fps``.

    Raises:
        InputError: the file is missing, not a video OpenCV can read, has no readable frame; ``every_n`` < 1; a bad
        ``reference``, a chosen range without a face, or a range given with a classifier that needs none.
    """
    from ..detect.landmarks import default_detector
    from .classifier import default_fused_classifier, default_relative_classifier

    if isinstance(every_n, bool) or not isinstance(every_n, (int, np.integer)) or every_n < 1:
        raise InputError(f"every_n must be a whole number of frames >= 1, got {every_n!r}")
    every_n = int(every_n)
    reference = _check_reference(reference)
    report = progress or (lambda fraction, message: None)
    report(0.0, "loading the face detector and classifier")
    if classifier is None:
        classifier = default_fused_classifier() if reference is None else default_relative_classifier()
    relative = classifier.needs_reference and reference is not None
    if reference not in (None, "calm") and not relative:
        raise InputError(
            f"emotion model {classifier.path.name} judges each frame alone: a reference frame range "
            f"needs the model that compares with the rest pose"
        )
    if classifier.needs_reference and reference is None:
        raise InputError(
            f"emotion model {classifier.path.name} compares each frame with calm frames: give a "
            f"reference ('calm' or a frame range) or use the model without reference"
        )
    detector = detector or default_detector()
    report(0.0, f"opening {Path(path).name}")
    frames = []  # (index, time, EmotionResult, or (face, image or None) for a relative model, or None)
    for index, time, rgb in _sampled_frames(path, every_n, report):
        if relative:
            faces = detector.detect(rgb)
            found = (faces[0], rgb if classifier.spec.needs_image else None) if faces else None
        else:
            results = recognize_image(rgb, detector=detector, classifier=classifier)
            found = results[0] if results else None
        frames.append((index, time, found))
    if not frames:
        raise InputError(f"{path}: no frame could be decoded; the file is empty or its codec is not supported")
    track = faces_emotion_track(frames, classifier, reference) if relative else _samples(frames, set())
    report(1.0, f"{len(track)} frames classified")
    return track


def faces_emotion_track(frames, classifier, reference="calm", *, progress=None):
    """The emotion track of faces already found in a video's frames, each judged against the reference frames by a
    relative classifier (the module docstring's "video with a reference"; what :func:`video_emotion_track` and a
    performance capture, :mod:`facemotion.core.capture.capture`, share).

    Args:
        frames: ``[(index, time_s, found), ...]`` in time order, one per sampled frame; ``found`` is
            ``(FaceLandmarks, image or None)`` (the image ``(H, W, 3) uint8`` RGB only where the classifier's spec
            needs it) or None without a face.
        classifier: an ``EmotionClassifier`` with :attr:`~.classifier.EmotionClassifier.needs_reference`.
        reference: ``"calm"`` or a ``(first, last)`` frame range (indices from 0, inclusive).
        progress: optional ``progress(fraction, message)``, called per classified face (a cancel point).

    Returns:
        list of :class:`TrackSample`, one per entry of ``frames``.

    Raises:
        InputError: a bad ``reference``, or a chosen range without a face.
    """
    reference = _check_reference(reference)
    report = progress or (lambda fraction, message: None)
    samples = [(index, *found) for index, _, found in frames if found is not None]
    if not samples:  # no face at all: every entry is None
        return _samples(frames, set())
    step = frames[1][1] - frames[0][1] if len(frames) > 1 else 0.0
    positions = _reference_frames(samples, reference, step)
    parts = [classifier.reference_parts(samples[i][1], samples[i][2]) for i in positions]
    calm = {name: np.mean([p[name] for p in parts], axis=0, dtype=np.float64) for name in parts[0]}
    results = []
    for _, face, image in samples:
        results.append(classifier.classify_face(face, image, reference=calm))
        report(len(results) / len(samples), f"emotion of face {len(results)}/{len(samples)}")
    results = iter(results)
    classified = [(index, time, None if found is None else next(results)) for index, time, found in frames]
    return _samples(classified, {samples[i][0] for i in positions})


def _samples(frames, chosen):
    """:class:`TrackSample` of each ``(index, time, EmotionResult or None)``; ``chosen``: the reference indices."""
    track = []
    for index, time, result in frames:
        if result is None:
            track.append(TrackSample(time, None, None, None, index))
        else:
            track.append(
                TrackSample(
                    time,
                    result.label,
                    float(result.intensity),
                    {k: float(v) for k, v in result.probabilities.items()},
                    index,
                    index in chosen,
                    bool(result.uncertain),
                )
            )
    return track


def summarize_track(track):
    """One result for a whole track (:class:`TrackSummary`), or None when no sampled frame showed a face."""
    faced = [sample for sample in track if sample.label is not None]
    if not faced:
        return None
    labels = list(faced[0].probabilities)
    mean = np.mean([[sample.probabilities[label] for label in labels] for sample in faced], axis=0)
    probabilities = {label: float(p) for label, p in zip(labels, mean)}
    label = labels[int(np.argmax(mean))]
    return TrackSummary(
        label=label,
        intensity=float(np.mean([sample.intensity for sample in faced])),
        probabilities=probabilities,
        face_frames=len(faced),
        frames=len(track),
        uncertain=is_uncertain(mean) or not any(s.label == label and not s.uncertain for s in faced),
    )
