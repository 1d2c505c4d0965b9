# SPDX-License-Identifier: GPL-3.0-or-later
"""Face landmarks, ARKit blendshape scores and head pose from still images with MediaPipe's Face Landmarker.

Method: MediaPipe Tasks ``FaceLandmarker`` (BlazeFace short-range face detector, then the 478-point face mesh +
iris model, the 52-score blendshape model and the face-geometry pipeline), model bundle
``mediapipe/face_landmarker.task`` float16/1 found through :mod:`facemotion.core.io.assets`. [Liao 2025] names
MediaPipe as the real-time landmark choice. Index sets for the 478 points are in :mod:`.mediapipe_topology`.

Search strategy (measured on composites of astronaut.png, ``tools/face_composites.py``, and tests/test_landmarks.py):

1. the Face Landmarker on the image as it is, upscaled (bicubic) so its longer side is at least 256 px when smaller.
   Its BlazeFace detector (short-range model, 128 px input) sees faces down to ~16 % of the longer side;
2. only when pass 1 found nothing: the image centred on a flat canvas twice its size (longer side 192 px for small
   images, at most 512 px): BlazeFace misses faces that fill the whole frame (tight crops). PLATFORM.md: on
   in-the-wild 48x48 crops, 80 % found upscaled to 192 px, 92 % once centred in 384;
3. the small-face search, for faces from :data:`MIN_FACE_HEIGHT` px up to pass 1's reach: BlazeFace alone (a tenth
   of a Landmarker call) over a pyramid of overlapping square tiles, :data:`TILE_FACE_RATIO` times the smallest face
   of each level, doubling per level; its boxes are merged across tiles and levels by non-maximum suppression
   (OpenCV's ``NMSBoxes``), boxes on faces already found are dropped, and each remaining box is cropped from the
   original image (:data:`CROP_FACE_RATIO` times the box, resized to :data:`LANDMARK_CROP_SIDE` px) and given to the
   Face Landmarker (crop-then-landmark: a 24 px face gets the landmark model at the resolution of a large one),
   whose face is kept where its landmark box agrees with BlazeFace's (:data:`CROP_AGREEMENT_IOU`). It costs ~(longer
   side / 96)^2 BlazeFace calls: 31x one Landmarker call on a 1024 px image (``./facemotion bench``). It runs when
   passes 1-2 found nothing, or when fewer than ``max_faces`` faces were found and the image's longer
   side is at least :data:`SMALL_FACE_SEARCH_MIN_SIDE` (see there for why).

With ``max_faces`` > 1 MediaPipe occasionally adds a weak false face beside a real one (1 of 228 astronaut
variants); the list is ordered largest first, so take ``faces[0]`` when one face is expected.

All outputs (landmarks, pixels, head pose) are mapped back to the original image, so callers never see the canvas.

:class:`FaceDetector` exposes the BlazeFace detector alone (boxes and scores, e.g. to pick the best view of a mesh).
``mediapipe`` is imported on first use, so importing this module is cheap.
"""

import atexit
import math
import threading
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..arkit import ARKIT_NAMES
from ..errors import AssetError, InputError, NoFaceError
from ..interrupts import deferred_interrupts
from ..io.image_io import as_rgb_uint8, border_colour, load_image
from .mediapipe_import import import_mediapipe

__all__ = [
    "FaceDetection",
    "FaceDetector",
    "FaceLandmarkDetector",
    "FaceLandmarks",
    "box_iou",
    "close_all_tasks",
    "close_default_detector",
    "default_detector",
    "default_face_detector",
    "small_face_boxes",
    "DEFAULT_MIN_DETECTION_CONFIDENCE",
]

#: BlazeFace score needed to look for landmarks: MediaPipe's own default, 0.5. Measured with the three passes
#: below: on 228 crops / rescaled copies of astronaut.png (faces of 24-512 px, rotated +-25 degrees, darkened,
#: mirrored) 0.3 and 0.5 both find every face, while on 29 face-free images (patches of the same photo, noise,
#: gradients, checkerboard, MediaPipe's UV chart, flat colours) 0.3 returned 3 false faces and 0.5 none.
#: Pass a lower value for clean renders on plain backgrounds if a face is missed there.
DEFAULT_MIN_DETECTION_CONFIDENCE = 0.5
#: The landmark model's face-presence threshold (MediaPipe's default).
DEFAULT_MIN_PRESENCE_CONFIDENCE = 0.5

#: Images whose longer side is below this are upscaled to it (pass 1).
MIN_DETECTION_SIDE = 256
#: Longer side of a small image centred on its padded canvas (the canvas is twice this; PLATFORM.md: 192 in 384).
SMALL_TARGET_SIDE = 192
#: Cap on the longer side of a large image in the padded pass (the detector works at 128 px internally).
PADDED_MAX_SIDE = 512
#: Smallest face looked for, pixels of the 478-landmark box's height (forehead to chin).
MIN_FACE_HEIGHT = 24
#: Share of the longer side above which pass 1 (BlazeFace over the whole image) finds a face: measured 0.156 found,
#: 0.125 missed on astronaut composites; the small-face search covers everything below it.
WHOLE_IMAGE_MIN_FACE = 0.16
#: Tile side of the small-face search in heights of the smallest face of its level: the face then fills 1/6 of
#: BlazeFace's input. Measured on astronaut composites (faces of 24, 32, 48 px, flipped, grey and cluttered
#: backgrounds, 12 each): found 12/12 from 1/7 of the tile up (median score 0.81 at 0.14, 0.90 at 0.16).
TILE_FACE_RATIO = 6
#: Faces up to this share of a tile must fit whole in one tile (larger ones belong to the next level, twice the
#: size): the tiles' stride is ``(1 - TILE_WHOLE_FACE) * side``.
TILE_WHOLE_FACE = 1.0 / 3.0
#: A found box is cropped this many times its size for the Face Landmarker (the face fills 40 % of the crop, well
#: inside BlazeFace's range, with room for the forehead and chin that its box leaves out).
CROP_FACE_RATIO = 2.5
#: Side the crop is resized to for the Face Landmarker.
LANDMARK_CROP_SIDE = 256
#: A face landmarked on a crop is kept only when its landmark box and BlazeFace's box agree (IoU at least this): two
#: models place the face in one spot. Measured on astronaut composites (faces of 24-64 px, upright and turned
#: +-30 degrees, grey and cluttered backgrounds): 0.73-0.87; the one false face the search found in 9 face-free
#: 700-1024 px images (noise, checkerboard, gradient, suit, flag and mission patch of astronaut.png): 0.09.
CROP_AGREEMENT_IOU = 0.4
#: Beside faces pass 1 found, smaller faces are searched only in images at least this large (longer side, px).
#: The search costs ~(side / 96)^2 BlazeFace calls of ~1/10 of a Face Landmarker call each (155 at 1024 px, 34 at
#: 512 px: three Landmarker calls more on every 512 px portrait). Below 640 px (VGA: thumbnails, crops, web
#: portraits, the project's 512 px photos and renders) pass 1 finds every face of 16 % of the frame and more, so a
#: face it misses beside one it found is under ~100 px, a bystander; that is not worth quadrupling the cost of
#: every portrait. From 640 px on (camera photos, video frames, contact sheets, group shots) faces of many sizes
#: share the frame. When passes 1-2 find nothing the search runs at any size.
SMALL_FACE_SEARCH_MIN_SIDE = 640
#: MediaPipe's ``num_faces`` when a detector looks for every face (``max_faces=None``).
EVERY_FACE_LIMIT = 64
#: Vertical field of view of MediaPipe's face-geometry perspective camera (its default environment; degrees).
_GEOMETRY_VERTICAL_FOV_DEG = 63.0


@dataclass
class FaceLandmarks:
    """One face found in an image.

    - ``landmarks``: ``(478, 3) float32``; x, y normalised image coordinates (0..1 of the image width / height,
      origin top-left, y down), z MediaPipe's relative depth (same scale as x, smaller = nearer the camera, origin
      near the head's centre).
    - ``pixels``: ``(478, 2) float32`` pixel coordinates (x right, y down) in the original image.
    - ``blendshapes``: ``{name: score}``, 52 entries: ``_neutral`` and 51 ARKit names, scores in [0, 1].
    - ``blendshape_array``: ``(52,) float32`` in ``core.arkit.ARKIT_NAMES`` order (``tongueOut`` = 0: MediaPipe has
      none).
    - ``head_pose``: ``(4, 4) float32`` facial transformation matrix: canonical face model (centimetres) to
      MediaPipe's camera space (x right, y up, looking down -z; 63 degree vertical field of view over the
      original image's height). Identity rotation = facing the camera.
    - ``image_size``: ``(height, width)`` of the original image in pixels.
    - ``bbox``: ``(x_min, y_min, x_max, y_max)`` of the 478 points, pixels (may extend past the image border).
    """

    landmarks: np.ndarray
    pixels: np.ndarray
    blendshapes: dict
    blendshape_array: np.ndarray
    head_pose: np.ndarray
    image_size: tuple
    bbox: tuple

    @property
    def area(self):
        """Area of ``bbox`` in square pixels (the size used to order faces)."""
        x0, y0, x1, y1 = self.bbox
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)


@dataclass(frozen=True)
class _Canvas:
    """Where the original image sits in the array given to MediaPipe: ``canvas_px = scale * image_px + offset``
    per axis."""

    scale_x: float
    scale_y: float
    offset_x: float
    offset_y: float
    width: int
    height: int


def _upscaled(rgb, min_side):
    """``rgb`` upscaled (bicubic) so its longer side is at least ``min_side``, with its canvas mapping."""
    h, w = rgb.shape[:2]
    if max(h, w) >= min_side:
        return rgb, _Canvas(1.0, 1.0, 0.0, 0.0, w, h)
    scale = min_side / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=cv2.INTER_CUBIC)
    return resized, _Canvas(new_w / w, new_h / h, 0.0, 0.0, new_w, new_h)


def _window_starts(length, side, stride):
    starts = list(range(0, max(1, length - side + 1), stride))
    if starts[-1] + side < length:
        starts.append(length - side)  # cover the far edge too
    return starts


def _merge(faces, candidates):
    """``faces`` plus each candidate that shows no face kept so far (:func:`_overlaps`); largest first."""
    kept = list(faces)
    for face in candidates:
        if not any(_overlaps(face.bbox, other.bbox) for other in kept):
            kept.append(face)
    kept.sort(key=lambda face: face.area, reverse=True)
    return kept


def box_iou(a, b):
    """Intersection over union of two (x0, y0, x1, y1) boxes, in [0, 1] (0 for empty boxes)."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _overlaps(a, b, max_iou=0.3):
    """True when boxes ``a`` and ``b`` (x0, y0, x1, y1) show the same face: IoU >= ``max_iou`` or either centre
    inside the other."""
    return box_iou(a, b) >= max_iou or _centre_inside(a, b) or _centre_inside(b, a)


def _centre_inside(a, b):
    """True when the centre of box ``a`` lies inside box ``b``."""
    cx, cy = (a[0] + a[2]) / 2.0, (a[1] + a[3]) / 2.0
    return b[0] <= cx <= b[2] and b[1] <= cy <= b[3]


def _crop(rgb, box, ratio, side):
    """A ``side`` px square crop of ``rgb`` centred on ``box``, ``ratio`` times its longer side, with its canvas
    mapping. Parts outside the image are filled with the crop's mean colour (flat, like :func:`_padded`)."""
    cx, cy = (box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0
    extent = ratio * max(box[2] - box[0], box[3] - box[1], 1.0)
    scale = side / extent
    offset_x, offset_y = side / 2.0 - cx * scale, side / 2.0 - cy * scale
    h, w = rgb.shape[:2]
    region = rgb[
        max(0, int(cy - extent / 2)) : min(h, int(cy + extent / 2) + 1),
        max(0, int(cx - extent / 2)) : min(w, int(cx + extent / 2) + 1),
    ]
    fill = region.reshape(-1, 3).mean(axis=0) if region.size else np.full(3, 128.0)
    matrix = np.array([[scale, 0.0, offset_x], [0.0, scale, offset_y]])
    # Pixel centres: OpenCV maps pixel centre x to scale * x + offset; the canvas mapping uses the same convention
    # as _upscaled (corner-based), off by (scale - 1) / 2 px on the canvas: under a tenth of a crop pixel's error
    # once divided back by the scale, far below the landmark model's own noise.
    interpolation = cv2.INTER_CUBIC if scale > 1.0 else cv2.INTER_LINEAR
    crop = cv2.warpAffine(
        rgb,
        matrix,
        (side, side),
        flags=interpolation,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=tuple(float(v) for v in fill),
    )
    return crop, _Canvas(scale, scale, offset_x, offset_y, side, side)


def _tile_levels(h, w):
    """Tile sides of the small-face search (pixels), smallest first: :data:`TILE_FACE_RATIO` times the smallest face
    of each level, from :data:`MIN_FACE_HEIGHT` doubling while that face is below pass 1's reach."""
    sides = []
    face = MIN_FACE_HEIGHT
    while face < WHOLE_IMAGE_MIN_FACE * max(h, w):
        sides.append(TILE_FACE_RATIO * face)
        face *= 2
    return sides


def small_face_boxes(face_detector, rgb):
    """Face boxes BlazeFace finds in overlapping tiles of ``rgb`` at every level of :func:`_tile_levels`, merged by
    non-maximum suppression (OpenCV ``NMSBoxes``, IoU 0.3), best score first.

    ``face_detector``: a :class:`FaceDetector`; ``rgb``: ``(H, W, 3) uint8``. Returns a list of (x0, y0, x1, y1)
    pixel boxes of the original image (BlazeFace's boxes: brows to chin, narrower than the landmark box).
    """
    h, w = rgb.shape[:2]
    boxes, scores = [], []
    for side in _tile_levels(h, w):
        stride = max(1, round(side * (1.0 - TILE_WHOLE_FACE)))
        for y0 in _window_starts(h, min(side, h), stride):
            for x0 in _window_starts(w, min(side, w), stride):
                for detection in face_detector.detect(rgb[y0 : y0 + side, x0 : x0 + side]):
                    bx0, by0, bx1, by1 = detection.bbox
                    boxes.append([bx0 + x0, by0 + y0, bx1 - bx0, by1 - by0])
                    scores.append(detection.score)
    if not boxes:
        return []
    keep = cv2.dnn.NMSBoxes(boxes, scores, face_detector.min_score, 0.3)
    order = sorted((int(i) for i in np.asarray(keep).reshape(-1)), key=lambda i: (-scores[i], i))
    return [(boxes[i][0], boxes[i][1], boxes[i][0] + boxes[i][2], boxes[i][1] + boxes[i][3]) for i in order]


def _padded(rgb, target_side):
    """Resize ``rgb`` so its longer side is ``target_side`` and centre it on a square canvas twice that size.

    The canvas is filled with the mean colour of the image border: a flat, neutral surround with no edges for the
    face detector to mistake for structure (edge replication would smear stripes, black adds a hard frame).
    """
    h, w = rgb.shape[:2]
    scale = target_side / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    interpolation = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    resized = cv2.resize(rgb, (new_w, new_h), interpolation=interpolation)
    side = 2 * target_side
    canvas = np.empty((side, side, 3), np.uint8)
    canvas[:] = border_colour(rgb)
    x0, y0 = (side - new_w) // 2, (side - new_h) // 2
    canvas[y0 : y0 + new_h, x0 : x0 + new_w] = resized
    # Per-axis scales: the resized size is rounded, so they can differ slightly (exact mapping back).
    return canvas, _Canvas(new_w / w, new_h / h, float(x0), float(y0), side, side)


def _pose_to_original(pose, canvas, h, w):
    """Re-express a facial transformation matrix found on ``canvas`` in the original image's camera.

    MediaPipe's geometry pipeline places a pinhole camera with a fixed vertical field of view over whatever frame it
    is given (focal length in pixels ``f = (H / 2) / tan(fov / 2)``). The face centre is re-projected: its depth
    scales with the image-to-canvas pixel ratio, its x, y follow from its pixel position in the original image.
    The rotation is kept as estimated: re-aiming it along the new line of sight made it worse (measured on windows
    of astronaut.png against the full image: translation within 0.5-7 cm of 70 cm, rotation within 3-8 degrees
    as is, 9-29 degrees with a line-of-sight correction).
    """
    tan_half = math.tan(math.radians(_GEOMETRY_VERTICAL_FOV_DEG) / 2.0)
    f_canvas = canvas.height / 2.0 / tan_half
    f_image = h / 2.0 / tan_half
    x, y, z = (float(v) for v in pose[:3, 3])
    if z >= 0.0:  # behind the camera: cannot be re-projected; leave as is
        return pose
    u_canvas = canvas.width / 2.0 + f_canvas * x / -z
    v_canvas = canvas.height / 2.0 - f_canvas * y / -z
    u_image = (u_canvas - canvas.offset_x) / canvas.scale_x
    v_image = (v_canvas - canvas.offset_y) / canvas.scale_y
    z_image = z * canvas.scale_y * f_image / f_canvas
    out = pose.copy()
    out[0, 3] = (u_image - w / 2.0) * -z_image / f_image
    out[1, 3] = -(v_image - h / 2.0) * -z_image / f_image
    out[2, 3] = z_image
    return out


def _blendshape_array(scores):
    return np.array([scores.get(name, 0.0) for name in ARKIT_NAMES], dtype=np.float32)


def _to_faces(result, canvas, h, w, window=None):
    """MediaPipe result on ``canvas`` -> FaceLandmarks in the original ``h x w`` image, largest first. Faces whose
    landmark centroid falls outside the image (or outside ``window`` = (x0, y0, width, height)) are dropped."""
    x_lo, y_lo, x_hi, y_hi = (
        (0.0, 0.0, w, h) if window is None else (window[0], window[1], window[0] + window[2], window[1] + window[3])
    )
    faces = []
    matrices = result.facial_transformation_matrixes or []
    blendshape_lists = result.face_blendshapes or []
    for i, points in enumerate(result.face_landmarks):
        raw = np.array([(p.x, p.y, p.z) for p in points], dtype=np.float64)
        px = (raw[:, 0] * canvas.width - canvas.offset_x) / canvas.scale_x
        py = (raw[:, 1] * canvas.height - canvas.offset_y) / canvas.scale_y
        # z is in units of the canvas width; re-express it in units of the original width, like x.
        z = raw[:, 2] * canvas.width / (canvas.scale_x * w)
        centre_x, centre_y = px.mean(), py.mean()
        if not (x_lo <= centre_x <= x_hi and y_lo <= centre_y <= y_hi):
            continue  # a "face" in the padding, not in the image
        pixels = np.stack([px, py], axis=1).astype(np.float32)
        landmarks = np.stack([px / w, py / h, z], axis=1).astype(np.float32)
        scores = {c.category_name: float(c.score) for c in blendshape_lists[i]} if i < len(blendshape_lists) else {}
        if i < len(matrices):
            pose = _pose_to_original(np.asarray(matrices[i], dtype=np.float64).reshape(4, 4), canvas, h, w)
        else:
            pose = np.eye(4)
        bbox = (float(px.min()), float(py.min()), float(px.max()), float(py.max()))
        faces.append(
            FaceLandmarks(
                landmarks=landmarks,
                pixels=pixels,
                blendshapes=scores,
                blendshape_array=_blendshape_array(scores),
                head_pose=pose.astype(np.float32),
                image_size=(h, w),
                bbox=bbox,
            )
        )
    faces.sort(key=lambda face: face.area, reverse=True)
    return faces


_live_tasks = weakref.WeakSet()


@atexit.register
def close_all_tasks():
    """Close every MediaPipe task (detector) still open in this process; the default ones are made again on next
    use. Runs at interpreter exit, and from the add-on's ``unregister()``: MediaPipe's task ``__del__`` calls into a
    half-torn-down module at exit and prints a traceback, so closing first makes that ``__del__`` a no-op."""
    for task in list(_live_tasks):
        task.close()


def _read_model(model_path, member=None):
    """Bytes of the ``face_landmarker.task`` bundle (default: the pinned asset), or of one ``member`` inside it.

    Bytes, not a path, go to MediaPipe: its C++ file reader fails on some non-ASCII Windows paths.
    Raises AssetError when the file is missing, corrupt (via :func:`facemotion.core.io.assets.asset_path`) or
    unreadable.
    """
    if model_path is None:
        from ..io.assets import asset_path

        model_path = asset_path("mediapipe/face_landmarker.task")
    model_path = Path(model_path)
    try:
        if member is None:
            return model_path, model_path.read_bytes()
        with zipfile.ZipFile(model_path) as bundle:
            return model_path, bundle.read(member)
    except (OSError, KeyError, zipfile.BadZipFile) as exc:
        raise AssetError(
            f"cannot read {member or 'the model'} from {model_path}: {exc}; give the official face_landmarker.task"
        ) from exc


class _MediaPipeTask:
    """Lifecycle shared by the MediaPipe wrappers: one task object, a lock, close(), context manager, atexit."""

    def _start(self, create):
        # Made and registered with signals held back: a Ctrl+C inside MediaPipe's wrapper would orphan a running
        # graph that nobody closes (see core/interrupts.py). A signal held back meanwhile is raised when the block
        # ends; the graph is then closed at once rather than whenever the half-made object is collected.
        self._lock = threading.Lock()
        self._task = None
        try:
            with deferred_interrupts():
                self._task = create()
                _live_tasks.add(self)
        except BaseException:
            self.close()
            raise

    def close(self):
        """Release MediaPipe's graph. Idempotent; the object cannot be used afterwards."""
        with self._lock:
            task, self._task = self._task, None
        if task is not None:
            with deferred_interrupts():
                task.close()
                del task  # MediaPipe's task runs Python in its __del__: let it run while signals are held (see _run)

    @property
    def closed(self):
        """True once :meth:`close` ran."""
        return self._task is None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def _run(self, rgb, *arguments, call="detect"):
        """The task's ``call`` (``detect``, ``detect_for_video``) on ``rgb`` (H, W, 3) uint8 and ``arguments``.
        Raises RuntimeError once closed."""
        mp = import_mediapipe()
        rgb = np.ascontiguousarray(rgb)
        with self._lock:
            if self._task is None:
                raise RuntimeError(f"{type(self).__name__} is closed; create a new one")
            # The MediaPipe Image is made and freed inside the block: it frees its C image in a Python __del__, and a
            # signal whose handler ran there had its exception dropped ("Exception ignored in Image.__del__"), so a
            # SIGTERM once let a rig finish and write its output.
            with deferred_interrupts():
                image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
                try:
                    return getattr(self._task, call)(image, *arguments)
                finally:
                    del image


class FaceLandmarkDetector(_MediaPipeTask):
    """MediaPipe Face Landmarker on still images, created once and reused (about 8 ms per 512 px image on a core).

    ``model_path``: a ``face_landmarker.task`` file (default: ``assets.asset_path("mediapipe/face_landmarker.task")``).
    ``max_faces``: most faces returned per image (the largest ones), or None for every face (up to
    :data:`EVERY_FACE_LIMIT`). ``min_detection_confidence``: face detector score threshold (default 0.5, see
    :data:`DEFAULT_MIN_DETECTION_CONFIDENCE`). ``min_presence_confidence``: landmark model face-presence threshold.
    The small-face search (pass 3) makes a BlazeFace :class:`FaceDetector` on first need and closes it with this one.

    Thread-safe (one detection at a time per detector). Use as a context manager or call :meth:`close`; detectors
    still open are closed at interpreter exit. Raises AssetError when the model is missing or corrupt.
    """

    def __init__(
        self,
        model_path=None,
        *,
        max_faces=1,
        min_detection_confidence=DEFAULT_MIN_DETECTION_CONFIDENCE,
        min_presence_confidence=DEFAULT_MIN_PRESENCE_CONFIDENCE,
    ):
        import_mediapipe()  # first: where matplotlib is absent, MediaPipe's import needs a stand-in
        from mediapipe.tasks.python import BaseOptions, vision

        if max_faces is not None and int(max_faces) < 1:
            raise InputError(f"max_faces must be at least 1 (or None for every face), got {max_faces}")
        self.max_faces = None if max_faces is None else int(max_faces)
        self.min_detection_confidence = float(min_detection_confidence)
        self._boxes = None
        self.model_path, model = _read_model(model_path)
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model),
            running_mode=vision.RunningMode.IMAGE,
            num_faces=self.max_faces or EVERY_FACE_LIMIT,
            min_face_detection_confidence=self.min_detection_confidence,
            min_face_presence_confidence=float(min_presence_confidence),
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        self._start(lambda: vision.FaceLandmarker.create_from_options(options))

    def close(self):
        """Release MediaPipe's graphs (the Face Landmarker and, if made, the small-face search's detector)."""
        boxes, self._boxes = getattr(self, "_boxes", None), None
        if boxes is not None:
            boxes.close()
        super().close()

    # -- detection -------------------------------------------------------------------------------------------------
    def detect(self, image):
        """Find faces in ``image`` and return a list of :class:`FaceLandmarks`, largest first (empty: no face).

        ``image``: ``(H, W, 3) uint8`` RGB; other layouts (grey, RGBA, 16-bit, float in [0, 1]) are converted with
        :func:`facemotion.core.io.image_io.as_rgb_uint8`. Passes: see the module docstring. Deterministic: the same
        image gives the same faces. Raises InputError for an empty or malformed array.
        """
        rgb = as_rgb_uint8(image)
        h, w = rgb.shape[:2]
        faces = self._detect_canvas(*_upscaled(rgb, MIN_DETECTION_SIDE), h, w)
        if not faces:
            target = SMALL_TARGET_SIDE if max(h, w) < MIN_DETECTION_SIDE else min(max(h, w), PADDED_MAX_SIDE)
            faces = self._detect_canvas(*_padded(rgb, target), h, w)
        wanted = self.max_faces or EVERY_FACE_LIMIT
        if not faces or (len(faces) < wanted and max(h, w) >= SMALL_FACE_SEARCH_MIN_SIDE):
            faces = self._search_small_faces(rgb, faces, wanted)
        return faces[:wanted]

    def _detect_canvas(self, canvas_image, canvas, h, w):
        return _merge([], _to_faces(self._run(canvas_image), canvas, h, w))

    def _face_detector(self):
        if self._boxes is None:
            self._boxes = FaceDetector(self.model_path, min_score=self.min_detection_confidence)
        return self._boxes

    def _search_small_faces(self, rgb, faces, wanted):
        """Pass 3: ``faces`` plus the faces BlazeFace finds in the tile pyramid, each landmarked on its own crop."""
        h, w = rgb.shape[:2]
        for box in small_face_boxes(self._face_detector(), rgb):
            if len(faces) >= wanted:
                break
            if any(_overlaps(box, face.bbox) for face in faces):
                continue  # a face already found (by pass 1 or an earlier box): no Landmarker call for it
            faces = _merge(faces, self._landmark_crop(rgb, box, h, w))
        return faces

    def _landmark_crop(self, rgb, box, h, w):
        """The Face Landmarker on a square crop around ``box`` (x0, y0, x1, y1 pixels): the faces whose landmark box
        agrees with ``box`` (:data:`CROP_AGREEMENT_IOU`)."""
        crop_image, canvas = _crop(rgb, box, CROP_FACE_RATIO, LANDMARK_CROP_SIDE)
        found = _to_faces(self._run(crop_image), canvas, h, w)
        return [face for face in found if box_iou(face.bbox, box) >= CROP_AGREEMENT_IOU]

    def mirror_views(self, image, faces):
        """Each of ``faces`` (:class:`FaceLandmarks` found on ``image``) landmarked again on the image's mirror: a
        second, independent look for test-time augmentation (a face and its mirror show the same expression;
        landmarks the model made up where it could not see, on a hidden or blurred face, are made up differently).

        For each face a square crop of the mirrored image around the mirrored landmark box (:data:`CROP_FACE_RATIO`
        times it, :data:`LANDMARK_CROP_SIDE` px) goes to the Face Landmarker: one call per face, whatever the image's
        size. Returns a list with, per face, the face found on its crop whose landmark box agrees with the mirrored
        box (:data:`CROP_AGREEMENT_IOU`), as a :class:`FaceLandmarks` of the mirrored image (``image[:, ::-1]``, same
        size), or None when there is none. Deterministic. Raises InputError for an empty or malformed array.
        """
        rgb = as_rgb_uint8(image)
        h, w = rgb.shape[:2]
        mirrored = np.ascontiguousarray(rgb[:, ::-1]) if faces else rgb
        views = []
        for face in faces:
            x0, y0, x1, y1 = face.bbox
            box = (w - x1, y0, w - x0, y1)
            crop_image, canvas = _crop(mirrored, box, CROP_FACE_RATIO, LANDMARK_CROP_SIDE)
            found = [(box_iou(f.bbox, box), f) for f in _to_faces(self._run(crop_image), canvas, h, w)]
            agreeing = [(iou, f) for iou, f in found if iou >= CROP_AGREEMENT_IOU]
            views.append(max(agreeing, key=lambda pair: pair[0])[1] if agreeing else None)
        return views

    def detect_one(self, image, *, what=None):
        """The largest face in ``image`` (see :meth:`detect`). Raises NoFaceError when there is none; ``what`` names
        the image in that message (default: its size)."""
        faces = self.detect(image)
        if not faces:
            if what is None:
                shape = np.shape(image)
                what = f"the {shape[1]}x{shape[0]} image"
            raise NoFaceError(f"no face found in {what}; use a well-lit image with a visible, roughly frontal face")
        return faces[0]

    def detect_file(self, path):
        """The largest face in the image file ``path`` (see :func:`facemotion.core.io.image_io.load_image`).
        Raises InputError (unreadable file) or NoFaceError (no face)."""
        return self.detect_one(load_image(path), what=str(path))


@dataclass
class FaceDetection:
    """One BlazeFace detection: ``score`` in [0, 1]; ``bbox`` ``(x_min, y_min, x_max, y_max)`` pixels;
    ``keypoints`` ``(6, 2) float32`` pixels: subject's right eye, left eye, nose tip, mouth centre, right ear
    tragion, left ear tragion (MediaPipe's order)."""

    score: float
    bbox: tuple
    keypoints: np.ndarray


class FaceDetector(_MediaPipeTask):
    """MediaPipe's BlazeFace face detector (short-range) alone: face boxes and scores, no landmarks (~2 ms).

    Uses ``face_detector.tflite`` from inside the ``face_landmarker.task`` bundle (the same detector the landmarker
    runs first), so it needs no extra asset. Useful to score candidate views of a mesh: BlazeFace scores an upright
    frontal face ~0.9 (astronaut.png: 0.92), the same photo upside down ~0.7, a flat image < 0.1.

    ``model_path``: a ``face_landmarker.task`` (default: the pinned asset). ``min_score``: detections below it are
    dropped (low by default so :meth:`score` stays informative). Images smaller than 256 px are upscaled first,
    like :meth:`FaceLandmarkDetector.detect`'s first pass. Raises AssetError when the model is missing or corrupt.
    """

    def __init__(self, model_path=None, *, min_score=0.05):
        import_mediapipe()  # first: where matplotlib is absent, MediaPipe's import needs a stand-in
        from mediapipe.tasks.python import BaseOptions, vision

        self.min_score = float(min_score)
        self.model_path, model = _read_model(model_path, "face_detector.tflite")
        options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=model),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=float(min_score),
        )
        self._start(lambda: vision.FaceDetector.create_from_options(options))

    def detect(self, image):
        """Faces in ``image`` (any layout :func:`facemotion.core.io.image_io.as_rgb_uint8` takes) as
        :class:`FaceDetection`, best score first. Raises InputError for an empty or malformed array."""
        rgb = as_rgb_uint8(image)
        h, w = rgb.shape[:2]
        canvas_image, canvas = _upscaled(rgb, MIN_DETECTION_SIDE)
        out = []
        for detection in self._run(canvas_image).detections:
            box = detection.bounding_box  # canvas pixels
            x0 = (box.origin_x - canvas.offset_x) / canvas.scale_x
            y0 = (box.origin_y - canvas.offset_y) / canvas.scale_y
            keypoints = np.array(
                [
                    (
                        (k.x * canvas.width - canvas.offset_x) / canvas.scale_x,
                        (k.y * canvas.height - canvas.offset_y) / canvas.scale_y,
                    )
                    for k in detection.keypoints
                ],
                dtype=np.float32,
            ).reshape(-1, 2)
            out.append(
                FaceDetection(
                    score=float(detection.categories[0].score),
                    bbox=(x0, y0, x0 + box.width / canvas.scale_x, y0 + box.height / canvas.scale_y),
                    keypoints=keypoints,
                )
            )
        out.sort(key=lambda d: d.score, reverse=True)
        return out

    def score(self, image):
        """The best face score in ``image`` (0.0 when nothing scores above ``min_score``)."""
        detections = self.detect(image)
        return detections[0].score if detections else 0.0


_default = None
_default_face = None
_default_lock = threading.Lock()


def default_detector():
    """A process-wide :class:`FaceLandmarkDetector` with default settings, created on first call and reused."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = FaceLandmarkDetector()
        return _default


def default_face_detector():
    """A process-wide :class:`FaceDetector` with default settings, created on first call and reused."""
    global _default_face
    with _default_lock:
        if _default_face is None or _default_face.closed:
            _default_face = FaceDetector()
        return _default_face


def close_default_detector():
    """Close the shared detectors (e.g. when the Blender add-on is disabled); the next calls create new ones."""
    global _default, _default_face
    with _default_lock:
        tasks, _default, _default_face = (_default, _default_face), None, None
    for task in tasks:
        if task is not None:
            task.close()
