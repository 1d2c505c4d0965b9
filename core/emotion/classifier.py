# SPDX-License-Identifier: GPL-3.0-or-later
"""Emotion classification of detected faces with the project's ONNX model (numpy + onnxruntime only).

The model is a scikit-learn classifier trained by ``tools/train_emotion.py`` on the project's own renders and exported
with skl2onnx (no ZipMap, float32 input ``(N, spec.size)``, outputs ``label`` and ``probabilities (N, 8)``). The
classifier of [Guo 2025] is an SVM over fused geometry + texture features; the training tool compares it with
logistic regression and gradient boosting and ships whichever wins subject-independent cross-validation
(``models/README.md`` says which, on what data, with what accuracy).

The ONNX file carries its own contract in its metadata, checked when it is loaded:

``facemotion_labels``
    JSON list, the classes of the probability columns: exactly :data:`CATEGORIES`, in that order.
``facemotion_feature_spec``
    :meth:`FeatureSpec.to_json` of the features the model was trained on; its size must equal the model's input
    width and its version :data:`~.features.FEATURE_SPEC_VERSION`.
``facemotion_model_version``
    ``"<major>.<minor>"``; the major part must be :data:`MODEL_FORMAT_MAJOR` (the metadata layout this code reads).
``facemotion_training``
    JSON summary of how the model was trained (data, cross-validation scores, chosen model); informational.

Two models ship. ``emotion_classifier.onnx`` judges a face alone (photos, video frames). A *relative* model
(``emotion_classifier_relative.onnx``, :attr:`EmotionClassifier.needs_reference`) judges a face against the same face
at rest (:class:`~.features.FeatureSpec` ``relative``): what the expression changes, not how the person
looks at rest. It is what judges a rig's pose, whose rest pose is known
(:func:`facemotion.core.emotion.recognition.recognize_mesh` with ``rest_vertices``).

Intensity: ``1 - p(neutral)``, the classifier's confidence that the face is not at rest, in [0, 1]. It is not a FACS
intensity, but it grows with the expression's strength: ``tools/evaluate_emotion.py features`` reports its rank
correlation with the generator's true intensity on held-out identities.

Photos and video frames are classified by :class:`FusedEmotionClassifier` (the default of :func:`classify_image`):
this geometric model and the appearance channel (:mod:`.appearance`, CNNs trained on real photographs) pooled and
calibrated by :mod:`.fusion`. The geometric model there takes two looks at each face, the face and the face
landmarked again on the mirrored image, averaged (:func:`mirror_mean`: where MediaPipe made landmarks up, the looks
disagree). Every result says whether it is ``uncertain`` (:func:`.fusion.is_uncertain`: for a
fused result, also when the pooled label is no channel's top class or neither channel backs it).

A small image in which no face is found but which is shaped like a face crop (:func:`reads_as_face_crop`: FER2013's
and CK+48's faces are 48 px crops, and MediaPipe misses some of them: a hidden upper face, a strong turn, heavy blur)
is read whole by the appearance channel alone (:meth:`FusedEmotionClassifier.classify_whole_image`): its result's
``face`` is a :class:`WholeImageFace` and it is always ``uncertain`` (one channel, no landmarks). A missed face would
otherwise give no reading at all; a small image without a face gives a reading marked so.
"""

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError
from .appearance import default_appearance_channel
from .features import FEATURE_SPEC_VERSION, PARTS, FeatureSpec, extract_features, extract_parts
from .fusion import apply_temperature, is_uncertain, load_parameters, pool
from .onnx_session import cpu_session
from .presets import CATEGORIES

__all__ = [
    "DEFAULT_MODEL_PATH",
    "EmotionClassifier",
    "EmotionResult",
    "FACE_CROP_MAX_ASPECT",
    "FACE_CROP_MAX_SIDE",
    "FusedEmotionClassifier",
    "METADATA_KEYS",
    "MODEL_FORMAT_MAJOR",
    "RELATIVE_MODEL_PATH",
    "WholeImageFace",
    "classify_image",
    "default_classifier",
    "default_fused_classifier",
    "default_relative_classifier",
    "intensity_from_probabilities",
    "mirror_mean",
    "reads_as_face_crop",
]

#: The model shipped with the add-on (built by ``tools/train_emotion.py``).
DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[2] / "models" / "emotion_classifier.onnx"
#: The shipped model that compares a face with the same face at rest (a relative :class:`FeatureSpec`): used to judge
#: a rig's pose against its rest pose, where the rest pose is known.
RELATIVE_MODEL_PATH = DEFAULT_MODEL_PATH.with_name("emotion_classifier_relative.onnx")

META_LABELS = "facemotion_labels"
META_SPEC = "facemotion_feature_spec"
META_VERSION = "facemotion_model_version"
META_TRAINING = "facemotion_training"
#: Metadata keys every facemotion emotion model carries.
METADATA_KEYS = (META_LABELS, META_SPEC, META_VERSION, META_TRAINING)
#: Major version of the metadata layout this module reads (``facemotion_model_version`` is "<major>.<minor>").
MODEL_FORMAT_MAJOR = 1
#: Faces looked for by :func:`classify_image` when it creates its own detector: None, every face.
DEFAULT_MAX_FACES = None
#: Longer side (px) up to which an image without a found face is read whole as a face crop: face datasets' crops
#: (FER2013 and CK+48: 48 px; thumbnails and crops up to ~128 px). A larger image is a photo whose faces, if any, the
#: detector's every-size search (24 px up) looks for.
FACE_CROP_MAX_SIDE = 128
#: Most elongated image (longer side over shorter) read whole as a face crop: faces are about as tall as wide.
FACE_CROP_MAX_ASPECT = 1.5


#: A relative model's change features all within this of 0 mean the face did not change from its rest pose (the
#: same image gives the same landmarks exactly; float32 rounding of the subtraction stays far below it).
UNCHANGED = 1e-6


@dataclass
class EmotionResult:
    """One classified face.

    ``label``: the most probable category (one of :data:`CATEGORIES`); ``probabilities``: ``{category: p}`` for
    all 8 categories (floats summing to 1); ``intensity``: ``1 - p(neutral)`` in [0, 1]
    (:func:`intensity_from_probabilities`); ``face``: the :class:`~facemotion.core.detect.landmarks.FaceLandmarks`
    it came from; ``uncertain``: True when the top class is not clearly ahead of the second or, for the fused
    classifier, no channel backs it (:func:`.fusion.is_uncertain`; the label is still the most probable one, but
    should not be acted on alone).
    """

    label: str
    probabilities: dict
    intensity: float
    face: object = None
    uncertain: bool = False


@dataclass(frozen=True)
class WholeImageFace:
    """The face of an image read whole as a face crop (no landmarks were found; :func:`reads_as_face_crop`).

    ``image_size``: ``(height, width)`` px. ``bbox`` is the whole image, ``(0, 0, width, height)``; ``area`` its
    area (the size faces are ordered by); ``landmarks`` is None (nothing was detected).
    """

    image_size: tuple
    landmarks = None

    @property
    def bbox(self):
        """``(0.0, 0.0, width, height)``: the whole image, pixels."""
        return (0.0, 0.0, float(self.image_size[1]), float(self.image_size[0]))

    @property
    def area(self):
        """Area of the image in square pixels."""
        return float(self.image_size[0] * self.image_size[1])


def reads_as_face_crop(image_size):
    """True when an image of ``image_size`` ``(height, width)`` px in which no face was found is read whole as a face
    crop: its longer side at most :data:`FACE_CROP_MAX_SIDE`, its aspect at most :data:`FACE_CROP_MAX_ASPECT`."""
    h, w = (int(v) for v in image_size[:2])
    return 0 < min(h, w) and max(h, w) <= FACE_CROP_MAX_SIDE and max(h, w) <= FACE_CROP_MAX_ASPECT * min(h, w)


def intensity_from_probabilities(probabilities, labels=CATEGORIES):
    """Expression intensity ``1 - p(neutral)`` of ``(N, 8)`` or ``(8,)`` probabilities -> ``(N,)`` or scalar
    float32 in [0, 1]."""
    p = np.asarray(probabilities, dtype=np.float32)
    return np.clip(1.0 - p[..., list(labels).index("neutral")], 0.0, 1.0).astype(np.float32)


def _model_error(path, what, model_value, expected):
    return InputError(
        f"emotion model {path}: {what} is {model_value} in the model but {expected} is expected; "
        f"retrain it with tools/train_emotion.py or use the model shipped with facemotion"
    )


class EmotionClassifier:
    """The emotion classifier: an onnxruntime session over a facemotion ONNX model, created once and reused.

    ``model_path``: the ``.onnx`` file (default :data:`DEFAULT_MODEL_PATH`). The session runs on the CPU with one
    intra-op thread (one face costs microseconds: more threads only add overhead and compete with Blender).

    Attributes: ``spec`` (:class:`FeatureSpec` from the metadata), ``labels`` (tuple, = :data:`CATEGORIES`),
    ``version`` (str), ``training`` (dict, the training summary), ``path`` (Path), ``session``
    (``onnxruntime.InferenceSession``).

    Thread-safe: onnxruntime sessions may be run from several threads at once.

    Raises:
        InputError: the file is missing or not an ONNX model; its metadata lacks a key, names other labels than
            :data:`CATEGORIES`, a feature spec whose size differs from the model's input width, an unknown feature
            spec version or model format (the message names the model's and the expected values).
    """

    def __init__(self, model_path=None):
        self.path = Path(DEFAULT_MODEL_PATH if model_path is None else model_path)
        self.session = cpu_session(
            self.path, "emotion model", "give a model written by tools/train_emotion.py or reinstall facemotion"
        )
        meta = dict(self.session.get_modelmeta().custom_metadata_map)
        self._check_metadata(meta)

    def _check_metadata(self, meta):
        path = self.path
        missing = [k for k in METADATA_KEYS if k not in meta]
        if missing:
            raise _model_error(
                path, "the metadata", f"missing {missing} (has {sorted(meta)})", f"all of {list(METADATA_KEYS)}"
            )
        version = meta[META_VERSION]
        try:
            major = int(str(version).split(".")[0])
        except ValueError:
            major = None
        if major != MODEL_FORMAT_MAJOR:
            raise _model_error(path, "the model version", repr(version), f"{MODEL_FORMAT_MAJOR}.x")
        self.version = str(version)
        try:
            labels = tuple(json.loads(meta[META_LABELS]))
        except (ValueError, TypeError):
            labels = meta[META_LABELS]
        if labels != CATEGORIES:
            raise _model_error(
                path, "the label set", list(labels) if isinstance(labels, tuple) else repr(labels), list(CATEGORIES)
            )
        self.labels = labels
        try:
            spec = FeatureSpec.from_json(meta[META_SPEC])
        except (ValueError, TypeError, KeyError, InputError) as exc:
            raise _model_error(path, "the feature spec", repr(meta[META_SPEC]), f"a FeatureSpec JSON ({exc})") from exc
        if spec.version != FEATURE_SPEC_VERSION:
            raise _model_error(path, "the feature spec version", spec.version, FEATURE_SPEC_VERSION)
        inputs = self.session.get_inputs()
        if len(inputs) != 1 or inputs[0].type != "tensor(float)" or len(inputs[0].shape) != 2:
            got = [(i.name, i.type, i.shape) for i in inputs]
            raise _model_error(path, "the input", f"{got}", "one float tensor (N, features)")
        width = inputs[0].shape[1]
        if width != spec.size:
            raise InputError(
                f"emotion model {path}: its feature spec ({spec.describe()}) has size {spec.size} but "
                f"its input width is {width}; the metadata does not match the model, retrain it with "
                f"tools/train_emotion.py"
            )
        self.spec = spec
        self._input = inputs[0].name
        probs = [o for o in self.session.get_outputs() if o.type == "tensor(float)" and len(o.shape) == 2]
        if len(probs) != 1 or (isinstance(probs[0].shape[-1], int) and probs[0].shape[-1] != len(labels)):
            got = [(o.name, o.type, o.shape) for o in self.session.get_outputs()]
            raise _model_error(path, "the outputs", f"{got}", f"one float probability tensor (N, {len(labels)})")
        self._output = probs[0].name
        try:
            self.training = json.loads(meta[META_TRAINING])
        except ValueError:
            self.training = {"text": meta[META_TRAINING]}

    def predict(self, features):
        """Class probabilities of feature vectors.

        ``features``: ``(N, spec.size)`` or ``(spec.size,)`` numbers (see :func:`.features.extract_features`).
        Returns ``(N, 8) float32`` rows summing to 1, columns in :attr:`labels` order (``N = 1`` for one vector).
        Raises InputError on a wrong width or non-finite values.
        """
        x = np.asarray(features, dtype=np.float32)
        if x.ndim == 1:
            x = x[None, :]
        if x.ndim != 2 or x.shape[1] != self.spec.size:
            raise InputError(
                f"emotion features have shape {np.shape(features)}; the model expects "
                f"(N, {self.spec.size}) for feature spec ({self.spec.describe()})"
            )
        if not np.isfinite(x).all():
            raise InputError("emotion features contain NaN or infinite values; check the face landmarks")
        if x.shape[0] == 0:
            return np.zeros((0, len(self.labels)), np.float32)
        p = self.session.run([self._output], {self._input: np.ascontiguousarray(x)})[0]
        p = np.clip(np.asarray(p, dtype=np.float32), 0.0, None)
        # Calibrated ensembles sum to 1 up to float32 rounding; renormalise so callers can rely on it.
        return p / np.maximum(p.sum(axis=1, keepdims=True), np.float32(1e-12))

    def result(self, probabilities, face=None):
        """An :class:`EmotionResult` from one ``(8,)`` probability row."""
        return _result(probabilities, face)

    def predict_faces(self, image, faces):
        """``(N, 8) float32`` probabilities of detected faces (``FaceLandmarks``) of one image (``(H, W, 3) uint8``
        RGB, used when the spec has ``lbp``). Raises InputError for a relative model (it needs a reference)."""
        if self.needs_reference:
            raise _needs_reference_error(self.path)
        if not faces:
            return np.zeros((0, len(self.labels)), np.float32)
        image_for_features = image if self.spec.needs_image else None
        return self.predict(np.stack([extract_features(f, image_for_features, self.spec) for f in faces]))

    def classify_faces(self, image, faces):
        """:meth:`predict_faces` as ``list[EmotionResult]``, in the order of ``faces``."""
        return [self.result(p, f) for p, f in zip(self.predict_faces(image, faces), faces)]

    @property
    def needs_reference(self):
        """True for a relative model: each face is classified against the same face at rest."""
        return self.spec.relative

    def reference_parts(self, face, image=None):
        """The feature parts of a face at rest (:class:`~facemotion.core.detect.landmarks.FaceLandmarks`, and its
        image for ``lbp``), to pass as ``reference`` to :meth:`classify_face` for every pose of that face."""
        return extract_parts(face, image, self.spec.delta_parts)

    def classify_face(self, face, image=None, reference=None):
        """Classify one detected face (:class:`~facemotion.core.detect.landmarks.FaceLandmarks`); ``image``
        ``(H, W, 3) uint8`` RGB is needed when the spec has ``lbp``; ``reference`` (:meth:`reference_parts` of the
        same face at rest) when :attr:`needs_reference`. Returns :class:`EmotionResult`. Raises InputError (lbp
        without image, a relative model without reference).

        A relative model judges what the face changed from its rest pose; a face that changed nothing (its change
        features all within :data:`UNCHANGED` of 0: the rest pose itself, e.g. a rig with every shape key at 0)
        is neutral by definition, whatever its rest pose looks like (a stern head at rest read "anger" before)."""
        features = extract_features(face, image, self.spec, reference=reference)
        if (
            reference is not None
            and self.spec.relative
            and np.abs(features[..., -sum(PARTS[p] for p in self.spec.delta_parts) :]).max() <= UNCHANGED
        ):
            return self.result(np.eye(len(self.labels), dtype=np.float32)[self.labels.index("neutral")], face)
        return self.result(self.predict(features)[0], face)


def _needs_reference_error(path):
    return InputError(
        f"emotion model {path.name} compares a face with the same face at rest; a single image has no "
        f"reference: use the model without reference ({DEFAULT_MODEL_PATH.name})"
    )


def _result(probabilities, face=None, uncertain=None):
    """An :class:`EmotionResult` of one ``(8,)`` probability row; ``uncertain`` defaults to the margin test alone
    (:func:`.fusion.is_uncertain` without channels: one classifier)."""
    p = np.asarray(probabilities, dtype=np.float32).reshape(-1)
    return EmotionResult(
        label=CATEGORIES[int(np.argmax(p))],
        probabilities={k: float(v) for k, v in zip(CATEGORIES, p)},
        intensity=float(intensity_from_probabilities(p)),
        face=face,
        uncertain=is_uncertain(p) if uncertain is None else bool(uncertain),
    )


def mirror_mean(p, p_mirror, found):
    """The fused classifier's geometric channel from two looks at each face: ``(N, 8) float32``, the mean of the
    face's probabilities ``p (N, 8)`` and its mirror view's ``p_mirror (N, 8)``; where the mirror view found no face
    (``found (N,) bool`` False) the uniform distribution stands in for it (a look that sees no face backs no class).

    Why (test-time augmentation, as the appearance channel does with its crops): where MediaPipe sees the face, its
    mirror gives nearly the same landmarks and the mean changes little; where it made them up (an upper face hidden,
    heavy blur), the mirror's are made up differently, and two confident readings that disagree average to an
    unconfident one, so the pooled decision leans on the appearance channel. Disagreement between looks as a sign of
    unreliability: Lakshminarayanan, Pritzel & Blundell 2017; test-time augmentation: Ayhan & Berens 2018.
    """
    p = np.asarray(p, np.float32)
    second = np.where(np.asarray(found, bool)[:, None], np.asarray(p_mirror, np.float32), np.float32(1.0 / p.shape[1]))
    return ((p + second) / np.float32(2.0)).astype(np.float32)


class FusedEmotionClassifier:
    """The geometric model and the appearance channel, pooled and calibrated (:mod:`.fusion`): what classifies a
    face in a photo or a video frame.

    ``geometry``: an :class:`EmotionClassifier` without reference (default :func:`default_classifier`);
    ``appearance``: an :class:`~.appearance.AppearanceChannel` (default the shared one); ``parameters``: the fusion
    parameters (default :func:`.fusion.load_parameters`). Raises InputError when a model or the parameters are
    missing (the message says how to build them) or ``geometry`` is a relative model.
    """

    needs_reference = False
    labels = CATEGORIES

    def __init__(self, geometry=None, appearance=None, parameters=None, mirror_detector=None):
        self.geometry = geometry or default_classifier()
        if self.geometry.needs_reference:
            raise InputError(
                f"emotion model {self.geometry.path.name} compares a face with the same face at rest; "
                f"the fused classifier needs the model without reference ({DEFAULT_MODEL_PATH.name})"
            )
        self.appearance = appearance or default_appearance_channel()
        self.parameters = parameters or load_parameters()
        self.path = self.geometry.path
        self._mirror_detector = mirror_detector

    def mirror_detector(self):
        """The Face Landmarker that gives the geometric channel its mirror views (made on first use, one face)."""
        from ..detect.landmarks import FaceLandmarkDetector

        with _lock:
            if self._mirror_detector is None or self._mirror_detector.closed:
                self._mirror_detector = FaceLandmarkDetector(max_faces=1)
            return self._mirror_detector

    def mirror_views(self, image, faces):
        """Each face landmarked again on the image's mirror
        (:meth:`~facemotion.core.detect.landmarks.FaceLandmarkDetector.mirror_views`): a list, per face, of a
        ``FaceLandmarks`` of ``image[:, ::-1]`` or None where the mirror view found no face. One Face Landmarker
        call per face."""
        return self.mirror_detector().mirror_views(image, faces)

    def geometry_probabilities(self, image, faces, views=None):
        """The geometric channel: ``(N, 8) float32`` probabilities of the faces (``FaceLandmarks`` found on
        ``image``), each the mean of its own reading and its mirror view's (:func:`mirror_mean`). ``views``: the
        faces' :meth:`mirror_views` when already made."""
        p = self.geometry.predict_faces(image, faces)
        views = self.mirror_views(image, faces) if views is None else views
        found = np.array([view is not None for view in views], bool)
        p_mirror = np.zeros_like(p)
        if found.any():
            p_mirror[found] = self.geometry.predict_faces(image[:, ::-1], [v for v in views if v is not None])
        return mirror_mean(p, p_mirror, found)

    def channel_probabilities(self, image, faces, views=None):
        """``(geometry (N, 8), appearance (N, 8))`` float32 probabilities of the faces, :data:`CATEGORIES` order
        (:meth:`geometry_probabilities`; the appearance channel's contempt is 0). ``views``: the faces'
        :meth:`mirror_views` when already made; otherwise they are landmarked in a worker thread while the appearance
        channel runs in this one (MediaPipe and onnxruntime release the GIL), with the results of one after the
        other."""
        if not faces:
            empty = np.zeros((0, len(CATEGORIES)), np.float32)
            return empty, empty.copy()
        if views is not None:
            return self.geometry_probabilities(image, faces, views), self.appearance.predict(image, faces)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="facemotion-mirror-view") as worker:
            views = worker.submit(self.mirror_views, image, faces)
            appearance = self.appearance.predict(image, faces)
            return self.geometry_probabilities(image, faces, views.result()), appearance

    def _pooled(self, image, faces, views=None):
        """``(p, uncertain)``: calibrated fused ``(N, 8) float32`` probabilities and the ``(N,) bool`` verdict of
        :func:`.fusion.is_uncertain` (the margin, and the channels' top classes and support of the pooled one)."""
        if not faces:
            return np.zeros((0, len(CATEGORIES)), np.float32), np.zeros(0, bool)
        channels = self.channel_probabilities(image, faces, views)
        fused = pool(*channels, self.parameters)
        p = apply_temperature(fused, self.parameters["temperature"])
        return p.astype(np.float32), is_uncertain(p, channels, self.parameters["min_support"])

    def predict(self, image, faces):
        """Calibrated fused ``(N, 8) float32`` probabilities of the faces (``FaceLandmarks`` found on ``image``,
        ``(H, W, 3) uint8`` RGB)."""
        return self._pooled(image, faces)[0]

    def classify_faces(self, image, faces, views=None):
        """``list[EmotionResult]`` of the faces, in their order (see :meth:`predict`); ``uncertain`` also when the
        pooled label is no channel's top class or no channel backs it (:func:`.fusion.is_uncertain` with the
        channels). ``views``: the faces' :meth:`mirror_views` when already made."""
        p, uncertain = self._pooled(image, faces, views)
        return [_result(row, f, u) for row, f, u in zip(p, faces, uncertain)]

    def classify_whole_image(self, image):
        """One :class:`EmotionResult` of ``image`` (``(H, W, 3) uint8`` RGB) read whole as a face crop by the
        appearance channel alone (:meth:`~.appearance.AppearanceChannel.predict_whole_image`): for an image
        :func:`reads_as_face_crop` in which no face was found. Its probabilities are the appearance channel's
        (contempt 0: only the geometric channel sees it), its ``face`` a :class:`WholeImageFace`, and it is always
        ``uncertain``: one channel, no landmarks."""
        p = self.appearance.predict_whole_image(image)[0]
        return _result(p, WholeImageFace(tuple(np.shape(image)[:2])), uncertain=True)


def classify_image(image, detector=None, classifier=None):
    """Detect every face in ``image`` and classify each: ``list[EmotionResult]``, largest face first (empty: none).

    ``image``: an image file path or an array :func:`facemotion.core.io.image_io.as_rgb_uint8` accepts (grey, RGBA,
    16-bit...). ``detector``: a :class:`~facemotion.core.detect.landmarks.FaceLandmarkDetector` (default: a shared
    one looking for every face, :data:`DEFAULT_MAX_FACES`); ``classifier``: a :class:`FusedEmotionClassifier`
    (default :func:`default_fused_classifier`) or an :class:`EmotionClassifier` (geometry alone). With the fused
    classifier, a face crop in which no face is found (:func:`reads_as_face_crop`) gives one result read whole
    (:meth:`FusedEmotionClassifier.classify_whole_image`, always uncertain). Raises InputError (unreadable image, bad
    or missing model, a relative model).
    """
    from ..io.image_io import as_rgb_uint8, load_image

    rgb = load_image(image) if isinstance(image, (str, Path)) else as_rgb_uint8(image)
    detector = detector or _multi_face_detector()
    classifier = classifier or default_fused_classifier()
    if classifier.needs_reference:  # before detection: the error does not depend on the image
        raise _needs_reference_error(classifier.path)
    faces = detector.detect(rgb)
    if not faces and isinstance(classifier, FusedEmotionClassifier) and reads_as_face_crop(rgb.shape):
        return [classifier.classify_whole_image(rgb)]
    return classifier.classify_faces(rgb, faces)


_lock = threading.Lock()
_default = None
_default_relative = None
_default_fused = None
_detector = None


def default_classifier():
    """The process-wide :class:`EmotionClassifier` of the shipped model, created on first call and reused."""
    global _default
    with _lock:
        if _default is None:
            _default = EmotionClassifier()
        return _default


def default_fused_classifier():
    """The process-wide :class:`FusedEmotionClassifier` (shipped models and parameters), created on first call."""
    global _default_fused
    geometry = default_classifier()
    with _lock:
        if _default_fused is None:
            _default_fused = FusedEmotionClassifier(geometry)
        return _default_fused


def default_relative_classifier():
    """The process-wide :class:`EmotionClassifier` of the shipped relative model (:data:`RELATIVE_MODEL_PATH`)."""
    global _default_relative
    with _lock:
        if _default_relative is None:
            _default_relative = EmotionClassifier(RELATIVE_MODEL_PATH)
        return _default_relative


def _multi_face_detector():
    global _detector
    from ..detect.landmarks import FaceLandmarkDetector

    with _lock:
        if _detector is None or _detector.closed:
            _detector = FaceLandmarkDetector(max_faces=DEFAULT_MAX_FACES)
        return _detector
