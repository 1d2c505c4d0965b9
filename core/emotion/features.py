# SPDX-License-Identifier: GPL-3.0-or-later
"""Emotion-recognition features from MediaPipe face landmarks (and the image, for texture).

Four parts, each a documented block of the feature vector, chosen by a :class:`FeatureSpec` that a trained model
records so it always gets exactly what it was trained on:

``distances`` (23)
    [Guo 2025]'s geometry: Euclidean distances between 20 keypoints, in 3D after removing head pose, divided by the
    inter-ocular distance. The paper names the keypoints and the muscles the distances should capture but not the 23
    pairs; :data:`GUO_DISTANCES` is our choice, each pair commented with the action it tracks.
``lbp`` (20 x 59)
    [Guo 2025]'s texture: uniform local binary pattern histograms (Ojala, Pietikäinen & Mäenpää 2002, "Multiresolution
    gray-scale and rotation invariant texture classification with local binary patterns", IEEE TPAMI 24(7); P = 8,
    R = 1, 58 uniform patterns + 1 bin for the rest) in 16 x 16 patches centred on the keypoints of the face image
    aligned to a 128 x 128 frame by a similarity on the eyes and mouth.
``blendshapes`` (52)
    MediaPipe's ARKit blendshape scores (ARKit order; ``tongueOut`` is always 0).
``landmarks`` (468 x 3)
    The 468 mesh landmarks after a Procrustes (similarity) alignment to MediaPipe's canonical face, minus the
    canonical face: pose-normalised shape offsets, in canonical-face units (cm) scaled to its size.
``asymmetry`` (16 + 9)
    How one-sided the expression is: ``|left - right|`` of the paired ARKit blendshape scores
    (:data:`ASYMMETRY_BLENDSHAPES`) and of the bilateral [Guo 2025] distances (:data:`ASYMMETRY_DISTANCES`). Derived
    from ``blendshapes`` and ``distances`` (so datasets holding those need no new extraction). Why: contempt is a
    one-sided smile (EMFACS R12A+R14A, either side), happiness a two-sided one; a linear model sees "one side" only
    through an absolute difference, since faces are smiling on the left as often as on the right.

Landmarks are taken in pixel units (x * width, y * height, z * width: MediaPipe's z has the scale of x) so that
non-square images are not distorted.
"""

import json
from dataclasses import dataclass

import cv2
import numpy as np

from ..arkit import ARKIT_NAMES
from ..detect import mediapipe_topology as mp_idx
from ..errors import InputError
from ..geometry import apply_similarity, similarity_transform

#: [Guo 2025]'s 20 keypoints, as (name, MediaPipe landmark index). "Right"/"left" are the subject's.
GUO_KEYPOINTS = (
    ("nose_tip", mp_idx.NOSE_TIP),
    ("nose_ala_right", mp_idx.NOSE_ALA_RIGHT),
    ("nose_ala_left", mp_idx.NOSE_ALA_LEFT),
    ("upper_lip_mid", mp_idx.UPPER_LIP_OUTER_MID),
    ("lower_lip_mid", mp_idx.LOWER_LIP_OUTER_MID),
    ("mouth_corner_right", mp_idx.MOUTH_CORNER_RIGHT),
    ("mouth_corner_left", mp_idx.MOUTH_CORNER_LEFT),
    ("right_eye_inner", mp_idx.RIGHT_EYE_INNER_CORNER),
    ("right_eye_outer", mp_idx.RIGHT_EYE_OUTER_CORNER),
    ("right_upper_lid", mp_idx.RIGHT_EYE_UPPER_LID_MID),
    ("right_lower_lid", mp_idx.RIGHT_EYE_LOWER_LID_MID),
    ("left_eye_inner", mp_idx.LEFT_EYE_INNER_CORNER),
    ("left_eye_outer", mp_idx.LEFT_EYE_OUTER_CORNER),
    ("left_upper_lid", mp_idx.LEFT_EYE_UPPER_LID_MID),
    ("left_lower_lid", mp_idx.LEFT_EYE_LOWER_LID_MID),
    ("right_brow_mid", mp_idx.RIGHT_EYEBROW_MID),
    ("left_brow_mid", mp_idx.LEFT_EYEBROW_MID),
    ("right_brow_inner", mp_idx.RIGHT_EYEBROW_INNER),
    ("left_brow_inner", mp_idx.LEFT_EYEBROW_INNER),
    ("chin", mp_idx.CHIN),
)
KEYPOINT_INDEX = {name: i for i, (name, _) in enumerate(GUO_KEYPOINTS)}

#: The 23 distances (pairs of keypoint names) and what each tracks.
GUO_DISTANCES = (
    ("right_brow_inner", "left_brow_inner"),  # brow gap: corrugator (AU4, anger)
    ("right_brow_mid", "right_upper_lid"),  # brow arch height: frontalis (AU1+2 surprise, AU4 anger)
    ("left_brow_mid", "left_upper_lid"),
    ("right_brow_inner", "right_eye_inner"),  # inner brow height: AU1 (sadness, fear, surprise)
    ("left_brow_inner", "left_eye_inner"),
    ("right_eye_inner", "right_eye_outer"),  # eye corner width: orbicularis oculi (AU6/7 squint)
    ("left_eye_inner", "left_eye_outer"),
    ("right_upper_lid", "right_lower_lid"),  # lid opening: AU5 (surprise, fear) vs AU7/43
    ("left_upper_lid", "left_lower_lid"),
    ("nose_tip", "mouth_corner_right"),  # zygomaticus: AU12 pulls the corners up and back (happy)
    ("nose_tip", "mouth_corner_left"),
    ("nose_ala_right", "mouth_corner_right"),  # levator labii / nasolabial: AU9/10 (disgust), AU12
    ("nose_ala_left", "mouth_corner_left"),
    ("nose_tip", "upper_lip_mid"),  # upper lip raiser AU10 (disgust)
    ("mouth_corner_right", "mouth_corner_left"),  # mouth width: AU12/20 widen, AU18/23 narrow
    ("upper_lip_mid", "lower_lip_mid"),  # lip opening: AU25/26 (surprise, fear)
    ("mouth_corner_right", "chin"),  # corners to chin: AU15 (sad) shortens, AU12 lengthens
    ("mouth_corner_left", "chin"),
    ("nose_tip", "chin"),  # jaw drop AU26/27: overall intensity of surprise/fear
    ("right_eye_outer", "mouth_corner_right"),  # cross-region: cheek raise + smile (AU6+12) shortens
    ("left_eye_outer", "mouth_corner_left"),
    ("right_brow_mid", "mouth_corner_right"),  # cross-region: brow raise + mouth stretch lengthen
    ("left_brow_mid", "mouth_corner_left"),
)

LBP_PATCH = 16
LBP_FRAME = 128
LBP_BINS = 59
#: Where the aligned face frame puts the eye centres and the mouth centre (pixels of the 128 x 128 crop).
_ALIGNED_ANCHORS = np.array([[40.0, 52.0], [88.0, 52.0], [64.0, 100.0]])

#: Paired ARKit blendshapes (``<base>Left``/``<base>Right``, plus the sideways pairs jaw and mouth) whose absolute
#: difference is a part of ``asymmetry``. Gaze (eyeLook*) is left out: looking sideways is not a one-sided expression.
ASYMMETRY_BLENDSHAPES = (
    "browDown",
    "browOuterUp",
    "cheekSquint",
    "eyeBlink",
    "eyeSquint",
    "eyeWide",
    "mouthDimple",
    "mouthFrown",
    "mouthLowerDown",
    "mouthPress",
    "mouthSmile",
    "mouthStretch",
    "mouthUpperUp",
    "noseSneer",
    "jaw",
    "mouth",
)
#: Index pairs (right, left) into :data:`GUO_DISTANCES` of the bilateral distances (one per side of the face).
ASYMMETRY_DISTANCES = tuple(
    (i, j)
    for i, (a, b) in enumerate(GUO_DISTANCES)
    for j, (c, d) in enumerate(GUO_DISTANCES)
    if i < j and (a.replace("right", "left"), b.replace("right", "left")) == (c, d) and (a, b) != (c, d)
)

PARTS = {
    "distances": len(GUO_DISTANCES),
    "lbp": len(GUO_KEYPOINTS) * LBP_BINS,
    "blendshapes": len(ARKIT_NAMES),
    "landmarks": mp_idx.NUM_MESH_LANDMARKS * 3,
    "asymmetry": len(ASYMMETRY_BLENDSHAPES) + len(ASYMMETRY_DISTANCES),
}
#: Parts computed from other parts (:func:`derive_part`), and what they need.
DERIVED_PARTS = {"asymmetry": ("blendshapes", "distances")}
#: Parts measured on the face (what a dataset file stores); the derived ones are computed from them when needed.
MEASURED_PARTS = tuple(p for p in PARTS if p not in DERIVED_PARTS)
FEATURE_SPEC_VERSION = 1


def _part_names(part):
    if part == "distances":
        return [f"distances:{a}-{b}" for a, b in GUO_DISTANCES]
    if part == "lbp":
        return [f"lbp:{k}:{b}" for k, _ in GUO_KEYPOINTS for b in range(LBP_BINS)]
    if part == "blendshapes":
        return [f"blendshapes:{n}" for n in ARKIT_NAMES]
    if part == "asymmetry":
        return [f"asymmetry:{n}" for n in ASYMMETRY_BLENDSHAPES] + [
            f"asymmetry:{GUO_DISTANCES[i][0]}-{GUO_DISTANCES[i][1]}" for i, _ in ASYMMETRY_DISTANCES
        ]
    return [f"landmarks:{i}:{c}" for i in range(mp_idx.NUM_MESH_LANDMARKS) for c in "xyz"]


@dataclass(frozen=True)
class FeatureSpec:
    """Which feature parts, in which order: ``parts`` a tuple of names from :data:`PARTS`, taken as measured;
    ``delta_parts`` (a relative model's) parts taken as the difference from the same face at rest.

    A relative spec's vector is ``[x[parts], x[delta_parts] - x_ref[delta_parts]]``, where ``x_ref`` are the parts of
    a *reference* face of the same person or character at rest (neutral): the rig's rest pose, a neutral video
    frame. Subtracting the person's own neutral removes what the face looks like at rest (a face that looks stern at
    rest is not angry): the identity-normalised features of sequence-based expression recognition (the neutral
    first frame of Cohn-Kanade+ sequences: Lucey et al. 2010, "The Extended Cohn-Kanade Dataset (CK+)", CVPR
    workshops). The shipped relative model keeps only the blendshape scores and the asymmetry as measured, whose
    values describe the expression rather than the head; the geometry (distances, landmarks) describes the head too
    and enters only as a difference. ``to_json()`` / ``FeatureSpec.from_json()`` round-trip it through a model's
    metadata.

    Raises:
        InputError: an unknown part name, or no parts at all.
    """

    parts: tuple = ("distances", "lbp", "blendshapes", "landmarks")
    version: int = FEATURE_SPEC_VERSION
    delta_parts: tuple = ()

    def __post_init__(self):
        unknown = [p for p in (*self.parts, *self.delta_parts) if p not in PARTS]
        if unknown or not (self.parts or self.delta_parts):
            raise InputError(f"unknown feature part(s) {unknown or '(none given)'}; known: {', '.join(PARTS)}")

    @property
    def relative(self):
        """True when the model compares the face with the same face at rest (it has ``delta_parts``)."""
        return bool(self.delta_parts)

    @property
    def measured_parts(self):
        """Every part the face itself must provide (``parts`` then ``delta_parts``, each once)."""
        return tuple(dict.fromkeys((*self.parts, *self.delta_parts)))

    @property
    def size(self):
        return sum(PARTS[p] for p in (*self.parts, *self.delta_parts))

    @property
    def needs_image(self):
        return "lbp" in self.measured_parts

    def names(self):
        """Feature names, ``size`` of them, e.g. ``distances:right_brow_inner-left_brow_inner``; the differences of a
        relative spec are prefixed ``delta:``."""
        return [n for p in self.parts for n in _part_names(p)] + [
            f"delta:{n}" for p in self.delta_parts for n in _part_names(p)
        ]

    def describe(self):
        """One line for logs and tables, e.g. ``blendshapes, asymmetry + change from rest of distances, landmarks``."""
        text = ", ".join(self.parts)
        if self.delta_parts:
            text += (" + " if text else "") + "change from rest of " + ", ".join(self.delta_parts)
        return text

    def to_json(self):
        data = {"parts": list(self.parts), "version": self.version}
        if self.delta_parts:  # absent = none: the metadata of absolute models keeps its first form
            data["delta_parts"] = list(self.delta_parts)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text):
        data = json.loads(text)
        return cls(
            parts=tuple(data["parts"]), version=int(data["version"]), delta_parts=tuple(data.get("delta_parts", ()))
        )


def metric_landmarks(face):
    """``(478, 3) float64`` landmarks in pixel units (x * W, y * H, z * W) from a ``FaceLandmarks``."""
    h, w = face.image_size
    pts = np.asarray(face.landmarks, dtype=np.float64).copy()
    pts[:, 0] *= w
    pts[:, 1] *= h
    pts[:, 2] *= w
    return pts


def keypoints(face):
    """``(20, 3) float64`` [Guo 2025]'s keypoints in pixel units (see :data:`GUO_KEYPOINTS`)."""
    return metric_landmarks(face)[[i for _, i in GUO_KEYPOINTS]]


def inter_ocular_distance(points):
    """Distance between the eye centres (mean of each eye's corners) of ``(478, 3)`` landmarks."""
    right = points[[mp_idx.RIGHT_EYE_INNER_CORNER, mp_idx.RIGHT_EYE_OUTER_CORNER]].mean(axis=0)
    left = points[[mp_idx.LEFT_EYE_INNER_CORNER, mp_idx.LEFT_EYE_OUTER_CORNER]].mean(axis=0)
    return float(np.linalg.norm(left - right))


def distances_of_points(points):
    """``(23,) float32`` [Guo 2025] distances / inter-ocular distance of ``(>= 468, 3)`` landmark positions (any
    units: the ratio has none)."""
    kp = np.asarray(points, dtype=np.float64)[[i for _, i in GUO_KEYPOINTS]]
    a = kp[[KEYPOINT_INDEX[p] for p, _ in GUO_DISTANCES]]
    b = kp[[KEYPOINT_INDEX[q] for _, q in GUO_DISTANCES]]
    return (np.linalg.norm(a - b, axis=1) / inter_ocular_distance(points)).astype(np.float32)


def landmark_offsets(points, canonical):
    """``(1404,) float32``: the first 468 of ``points`` ``(>= 468, 3)`` Procrustes-aligned to ``canonical``
    ``(468, 3)``, minus it."""
    pts = np.asarray(points, dtype=np.float64)[: mp_idx.NUM_MESH_LANDMARKS]
    s, R, t = similarity_transform(pts, canonical)
    return (apply_similarity(pts, s, R, t) - canonical).astype(np.float32).ravel()


def distance_features(face):
    """``(23,) float32`` [Guo 2025] distances / inter-ocular distance (pose-invariant: distances in 3D)."""
    return distances_of_points(metric_landmarks(face))


def landmark_features(face, canonical):
    """``(1404,) float32``: the 468 landmarks Procrustes-aligned to ``canonical`` ``(468, 3)``, minus it."""
    return landmark_offsets(metric_landmarks(face), canonical)


_ASYM_LEFT = [ARKIT_NAMES.index(f"{n}Left") for n in ASYMMETRY_BLENDSHAPES]
_ASYM_RIGHT = [ARKIT_NAMES.index(f"{n}Right") for n in ASYMMETRY_BLENDSHAPES]


def asymmetry_features(blendshapes, distances):
    """``(..., 25) float32`` one-sidedness of the expression: ``|left - right|`` of the paired blendshape scores
    ``blendshapes (..., 52)`` (:data:`ASYMMETRY_BLENDSHAPES`) and of the bilateral distances ``distances (..., 23)``
    (:data:`ASYMMETRY_DISTANCES`, inter-ocular units). Works on one face or a batch."""
    b = np.asarray(blendshapes, dtype=np.float32)
    d = np.asarray(distances, dtype=np.float32)
    right, left = (np.array(side) for side in zip(*ASYMMETRY_DISTANCES))
    return np.concatenate(
        [np.abs(b[..., _ASYM_LEFT] - b[..., _ASYM_RIGHT]), np.abs(d[..., left] - d[..., right])], axis=-1
    ).astype(np.float32)


def derive_part(parts, name):
    """A derived part (:data:`DERIVED_PARTS`) computed from the parts it needs in ``parts`` (one face or a batch).

    Raises:
        InputError: a part it needs is missing.
    """
    missing = [p for p in DERIVED_PARTS[name] if p not in parts]
    if missing:
        raise InputError(f"feature part {name!r} is computed from {list(DERIVED_PARTS[name])}; missing {missing}")
    return asymmetry_features(parts["blendshapes"], parts["distances"])


def aligned_face(image, face):
    """``(128, 128) uint8`` grey face, similarity-aligned on the eye centres and mouth centre (for LBP)."""
    pix = np.asarray(face.pixels, dtype=np.float64)
    anchors = np.stack(
        [
            pix[[mp_idx.RIGHT_EYE_INNER_CORNER, mp_idx.RIGHT_EYE_OUTER_CORNER]].mean(axis=0),
            pix[[mp_idx.LEFT_EYE_INNER_CORNER, mp_idx.LEFT_EYE_OUTER_CORNER]].mean(axis=0),
            pix[[mp_idx.MOUTH_CORNER_RIGHT, mp_idx.MOUTH_CORNER_LEFT]].mean(axis=0),
        ]
    )
    # In the image the subject's right eye is on the left: it goes to the crop's left anchor.
    matrix, _ = cv2.estimateAffinePartial2D(anchors.astype(np.float32), _ALIGNED_ANCHORS.astype(np.float32))
    grey = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    crop = cv2.warpAffine(grey, matrix, (LBP_FRAME, LBP_FRAME), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return crop, matrix


def _uniform_lbp_table():
    """Map each 8-bit LBP code to its bin: 58 uniform patterns (<= 2 transitions) get 0..57, the rest 58."""
    table = np.full(256, 58, dtype=np.int64)
    next_bin = 0
    for code in range(256):
        bits = [(code >> k) & 1 for k in range(8)]
        if sum(bits[k] != bits[(k + 1) % 8] for k in range(8)) <= 2:
            table[code] = next_bin
            next_bin += 1
    return table


_LBP_TABLE = _uniform_lbp_table()


def lbp_codes(grey):
    """``(H-2, W-2) int64`` uniform-LBP bin of each interior pixel of a ``(H, W)`` grey image (P=8, R=1)."""
    g = grey.astype(np.int16)
    centre = g[1:-1, 1:-1]
    code = np.zeros(centre.shape, dtype=np.int64)
    for bit, (dy, dx) in enumerate(((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))):
        neighbour = g[1 + dy : g.shape[0] - 1 + dy, 1 + dx : g.shape[1] - 1 + dx]
        code |= (neighbour >= centre).astype(np.int64) << bit
    return _LBP_TABLE[code]


def lbp_features(image, face):
    """``(1180,) float32``: a normalised 59-bin uniform-LBP histogram per keypoint patch of the aligned face."""
    crop, matrix = aligned_face(image, face)
    codes = lbp_codes(crop)  # offset by one pixel from the crop
    pix = np.asarray(face.pixels, dtype=np.float64)[[i for _, i in GUO_KEYPOINTS]]
    centres = np.column_stack([pix, np.ones(len(pix))]) @ matrix.T - 1.0
    half = LBP_PATCH // 2
    hist = np.zeros((len(centres), LBP_BINS), dtype=np.float32)
    for k, (x, y) in enumerate(np.rint(centres).astype(int)):
        x0, y0 = np.clip([x - half, y - half], 0, codes.shape[1] - LBP_PATCH)
        patch = codes[y0 : y0 + LBP_PATCH, x0 : x0 + LBP_PATCH]
        hist[k] = np.bincount(patch.ravel(), minlength=LBP_BINS) / patch.size
    return hist.ravel()


def extract_parts(face, image=None, parts=tuple(PARTS), *, canonical=None):
    """Each requested feature part of one detected face, as ``{part: (PARTS[part],) float32}``.

    Args:
        face: a :class:`facemotion.core.detect.landmarks.FaceLandmarks`.
        image: ``(H, W, 3) uint8`` RGB the face was detected in (needed for ``lbp``).
        parts: names from :data:`PARTS`.
        canonical: ``(468, 3)`` reference shape for ``landmarks`` (default :func:`canonical_face`).

    Raises:
        InputError: ``lbp`` requested without an image.
    """
    out = {}
    for part in parts:
        if part in DERIVED_PARTS:
            continue
        if part == "distances":
            out[part] = distance_features(face)
        elif part == "lbp":
            if image is None:
                raise InputError("the 'lbp' features need the image the face was detected in")
            out[part] = lbp_features(image, face)
        elif part == "blendshapes":
            out[part] = np.asarray(face.blendshape_array, dtype=np.float32)
        else:
            out[part] = landmark_features(face, canonical_face() if canonical is None else canonical)
    for part in parts:
        if part in DERIVED_PARTS:
            needed = extract_parts(face, image, [p for p in DERIVED_PARTS[part] if p not in out], canonical=canonical)
            out[part] = derive_part({**out, **needed}, part)
    return out


def _concatenate(parts, names):
    parts = dict(parts)
    for p in names:
        if p in DERIVED_PARTS and p not in parts and all(q in parts for q in DERIVED_PARTS[p]):
            parts[p] = derive_part(parts, p)
    missing = [p for p in names if p not in parts]
    if missing:
        raise InputError(f"feature part(s) {missing} missing; the model expects {list(names)}")
    return np.concatenate([np.asarray(parts[p], dtype=np.float32) for p in names], axis=-1)


def assemble(parts, spec, reference=None):
    """Concatenate feature parts (``{part: (n,) or (N, n)}``) in ``spec``'s order -> ``(spec.size,)`` or
    ``(N, spec.size)`` float32; a derived part (:data:`DERIVED_PARTS`) absent from ``parts`` is computed from the
    parts it needs. For a relative spec, ``reference`` holds the ``delta_parts`` of the face at rest (``(n,)``,
    shared by every row, or ``(N, n)``); their differences follow the ``parts`` (:class:`FeatureSpec`).

    Raises:
        InputError: a part is missing, or a relative spec without ``reference``.
    """
    blocks = [_concatenate(parts, spec.parts)] if spec.parts else []
    if spec.relative:
        if reference is None:
            raise InputError(
                "this emotion model compares the face with the same face at rest: give a neutral "
                "reference (the rig's rest pose, a neutral frame), or use the model without reference"
            )
        x = _concatenate(parts, spec.delta_parts)
        blocks.append(x - np.broadcast_to(_concatenate(reference, spec.delta_parts), x.shape))
    return np.concatenate(blocks, axis=-1)


def extract_features(face, image=None, spec=FeatureSpec(), *, canonical=None, reference=None):
    """The feature vector of one detected face: ``(spec.size,) float32`` (see :func:`extract_parts`);
    ``reference``: for a relative spec, :func:`extract_parts` of the same face at rest (its ``delta_parts``)."""
    return assemble(extract_parts(face, image, spec.measured_parts, canonical=canonical), spec, reference)


_CANONICAL = None


def canonical_face():
    """``(468, 3) float64`` MediaPipe's canonical face model (asset
    ``mediapipe/face_geometry/canonical_face_model.obj``,
    centimetres), loaded once."""
    global _CANONICAL
    if _CANONICAL is None:
        from ..io.assets import asset_path
        from ..io.mesh_io import read_obj

        _CANONICAL = read_obj(
            asset_path("mediapipe/face_geometry/canonical_face_model.obj"), vertices_only=True
        ).vertices
    return _CANONICAL
