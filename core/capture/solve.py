# SPDX-License-Identifier: GPL-3.0-or-later
"""ARKit weights, head and eye rotation from MediaPipe's 478 tracked landmarks.

Landmark solve: where MediaPipe's landmarks sit on the face template is known (the rig finds them once,
:func:`facemotion.core.rig.autorig.template_landmarks`), so each template shape's motion of those 478 points is known
too (``basis``, metres). Each frame's landmarks are aligned to the template's (a similarity fit on points that no
expression moves: forehead, nose bridge, temples, eye corners), the performer's own neutral (a calm span, see
:mod:`.calibration`) is subtracted, and the weights are the bounded least-squares fit
``min ||basis w - displacement||^2 + lambda ||w - prior||^2, 0 <= w <= 1`` (``scipy.optimize.lsq_linear``, BVLS), the
prior being MediaPipe's calibrated blendshape scores: where the landmarks are ambiguous (shapes that move the same
points alike, a head turn's leftover distortion) the scores decide, where they say more the landmarks do.

Why: MediaPipe's blendshape head misses what a face's shape says plainly (on a head rendered with known curves its
browInnerUp score never rose above 0.01, mouthFunnel correlated at 0.51); the solve reads the brows and lips from
where the points actually went. The scores remain better where the landmarks are thin (the eyes' gaze, a blink's
last millimetre): :data:`SOLVED_CHANNELS` says which channel comes from which, by measurement
(``tools/capture_round_trip.py``).

Head rotation and translation come from MediaPipe's facial transformation matrix; eye rotation from each iris
centre's offset from its eye corners in the aligned frame, on an eyeball of :data:`EYEBALL_RADIUS_M`.
"""

import numpy as np
from scipy.optimize import lsq_linear
from scipy.spatial.transform import Rotation

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..detect import mediapipe_topology as topo
from ..errors import InputError
from ..geometry import apply_similarity, interpolate_on_surface, similarity_transform

#: Landmarks no ARKit expression moves: the per-frame alignment is fitted on them. Picked among the landmarks whose
#: largest motion over the template's 52 shapes is under ~2 mm (nose bridge and back, upper face oval and temples,
#: inner eye corners); forehead points are left out (browInnerUp moves them 3-5 mm, which the alignment would then
#: cancel: the brows' solve fell to r = -0.08 with them).
STABLE_LANDMARKS = (
    6,
    197,
    195,
    5,
    3,
    248,
    196,
    419,
    122,
    351,
    188,
    412,
    10,
    109,
    338,
    21,
    251,
    162,
    389,
    127,
    356,
    234,
    454,
    133,
    362,
    243,
    463,
)
#: Channels taken from the landmark solve; the others keep MediaPipe's (calibrated) scores. Chosen per channel on the
#: ground-truth round trip (``tools/capture_round_trip.py``, 256 px with sensor noise, Pearson r scores -> solve):
#: mouthFunnel 0.52 -> 0.94, mouthSmileLeft 0.84 -> 0.95, mouthSmileRight 0.90 -> 0.96, mouthPucker -0.06 -> 0.22;
#: the scores stay on jawOpen (0.986 vs 0.976), the blinks (equal) and browInnerUp (0.83 vs 0.60).
SOLVED_CHANNELS = ("mouthFunnel", "mouthPucker", "mouthSmileLeft", "mouthSmileRight")
#: Channels the landmark solve never fits: the eyes' gaze moves the iris, not the skin; the template has no tongue.
UNSOLVED_CHANNELS = (
    "eyeLookDownLeft",
    "eyeLookInLeft",
    "eyeLookOutLeft",
    "eyeLookUpLeft",
    "eyeLookDownRight",
    "eyeLookInRight",
    "eyeLookOutRight",
    "eyeLookUpRight",
    "tongueOut",
)
#: Weight of the depth rows. MediaPipe's z is inferred from one view: on the round trip every channel but browInnerUp
#: correlated better without it (mouthFunnel r 0.90 with weight 0, 0.84 with 0.5).
DEPTH_WEIGHT = 0.0
#: Weight of the prior (metres^2 per unit weight^2, per landmark used). Round trip: 3e-7 gave the best funnel and
#: pucker (r 0.90 / 0.29 raw) with blinks and jaw held by the scores; 1e-6 and 3e-6 drift toward the scores alone.
PRIOR_WEIGHT = 3e-7
#: Human eyeball radius (~12 mm; Bekerman et al. 2014 give 23-24 mm axial length), metres of the template.
EYEBALL_RADIUS_M = 0.012


def metric_landmarks(face):
    """MediaPipe landmarks as points with square units and the template's axes: ``(478, 3) float64`` pixels with x to
    the image's right (the subject's left), y up and z toward the camera. ``face``: a
    :class:`facemotion.core.detect.landmarks.FaceLandmarks`."""
    h, w = face.image_size
    lm = np.asarray(face.landmarks, dtype=np.float64)
    return np.stack([lm[:, 0] * w, -lm[:, 1] * h, -lm[:, 2] * w], axis=1)


def head_rotation(matrix):
    """Yaw, pitch, roll (radians, ``(3,) float64``; :class:`.take.Take`'s signs) of a facial transformation matrix
    ``(4, 4)`` (its 3x3 block may carry a scale, removed here)."""
    block = np.asarray(matrix, dtype=np.float64)[:3, :3]
    u, _, vt = np.linalg.svd(block)
    rotation = u @ vt
    if np.linalg.det(rotation) < 0:
        return np.zeros(3)
    return Rotation.from_matrix(rotation).as_euler("YXZ")


def head_translation(matrix):
    """Head position ``(3,) float64`` in metres (the matrix's translation is in centimetres, camera axes)."""
    return np.asarray(matrix, dtype=np.float64)[:3, 3] * 0.01


class LandmarkSolver:
    """Solve the template's ARKit weights from tracked landmarks.

    Args:
        template: a :class:`facemotion.core.rig.template.FaceTemplate` (default: ICT-FaceKit).
        landmarks: the template's landmarks ``(triangle (478,), barycentric (478, 3), on_surface (478,))`` (default:
            :func:`facemotion.core.rig.autorig.template_landmarks`).

    Use :meth:`align` per frame, :meth:`set_neutral` once with aligned frames of a calm face, then :meth:`solve`.
    """

    def __init__(self, template=None, landmarks=None):
        from ..rig.autorig import template_landmarks
        from ..rig.template import load_ict_template

        template = template or load_ict_template()
        triangle, barycentric, on_surface = landmarks or template_landmarks(template)
        self.rest = interpolate_on_surface(template.vertices, template.triangles, triangle, barycentric)
        motion = interpolate_on_surface(template.deltas_by_vertex, template.triangles, triangle, barycentric)
        used = np.asarray(on_surface, bool).copy()
        used[list(topo.LEFT_IRIS) + list(topo.RIGHT_IRIS)] = False
        self.used = used
        self.channels = np.array(
            [i for i, name in enumerate(ARKIT_NAMES) if name not in UNSOLVED_CHANNELS and name not in template.missing]
        )
        rows = motion[used][:, self.channels, :] * np.array([1.0, 1.0, DEPTH_WEIGHT])[None, None, :]
        basis = rows.transpose(0, 2, 1).reshape(-1, len(self.channels))
        # ||B w - d||^2 + s^2 ||w - p||^2 = ||R w - z||^2 + const with R^T R = B^T B + s^2 I (Cholesky, R = L^T) and
        # z = L^-1 (B^T d + s^2 p): the same bounded problem on k = 43 rows instead of ~1,300, set up once.
        prior_weight = PRIOR_WEIGHT * used.sum()
        lower = np.linalg.cholesky(basis.T @ basis + prior_weight * np.eye(len(self.channels)))
        self._reduced = lower.T
        self._from_motion = np.linalg.solve(lower, basis.T)
        self._from_prior = prior_weight * np.linalg.inv(lower)
        # The unbounded optimum w = R^-1 z, as two matrices applied to a whole take at once.
        self._optimum_motion = np.linalg.solve(self._reduced, self._from_motion)
        self._optimum_prior = np.linalg.solve(self._reduced, self._from_prior)
        self._stable = np.zeros(len(self.rest), bool)
        self._stable[list(STABLE_LANDMARKS)] = True
        self.neutral = None
        self._eye_neutral = None

    def align(self, points):
        """Frame landmarks ``(478, 3)`` (:func:`metric_landmarks`) -> ``(478, 3) float64`` in the template's frame
        and scale (metres), by a similarity fit of :data:`STABLE_LANDMARKS`."""
        points = np.asarray(points, dtype=np.float64)
        scale, rotation, translation = similarity_transform(points[self._stable], self.rest[self._stable])
        return apply_similarity(points, scale, rotation, translation)

    def set_neutral(self, aligned):
        """The performer's neutral from aligned frames ``(K, 478, 3)`` of a calm face (their median). Raises
        InputError for no frames."""
        aligned = np.asarray(aligned, dtype=np.float64)
        if aligned.ndim != 3 or len(aligned) == 0:
            raise InputError("the neutral needs at least one frame with a face")
        self.neutral = np.median(aligned, axis=0)
        self._eye_neutral = self._eye_offsets(self.neutral)

    def solve(self, aligned, prior=None):
        """``(N, 52) float64`` weights in [0, 1] from aligned frames ``(N, 478, 3)`` (:meth:`align`), each pulled
        toward its ``prior`` row ``(N, 52)`` (calibrated scores; None: zeros, a plain ridge); channels the solve does
        not fit keep the prior's value (0 without one). Frames are independent (a whole take is solved at once;
        a live source passes one frame). Raises RuntimeError before :meth:`set_neutral`."""
        if self.neutral is None:
            raise RuntimeError("LandmarkSolver.set_neutral must be called first")
        aligned = np.asarray(aligned, dtype=np.float64)
        d = ((aligned - self.neutral)[:, self.used] * np.array([1.0, 1.0, DEPTH_WEIGHT])).reshape(len(aligned), -1)
        prior = (
            np.zeros((len(aligned), len(ARKIT_NAMES)))
            if prior is None
            else np.clip(np.asarray(prior, np.float64).reshape(len(aligned), -1), 0.0, 1.0)
        )
        own = prior[:, self.channels]
        weights = d @ self._optimum_motion.T + own @ self._optimum_prior.T
        outside = np.flatnonzero((weights < 0.0).any(axis=1) | (weights > 1.0).any(axis=1))
        targets = d[outside] @ self._from_motion.T + own[outside] @ self._from_prior.T
        for i, target in zip(outside, targets):
            weights[i] = lsq_linear(self._reduced, target, bounds=(0.0, 1.0), method="bvls").x
        out = prior.copy()
        out[:, self.channels] = weights
        return out

    def eye_rotation(self, aligned):
        """``(2, 3) float64`` left and right eye yaw, pitch, roll (radians, roll 0) from an aligned frame: each iris
        centre's offset from its eye corners' midpoint, relative to the neutral's, on an eyeball of
        :data:`EYEBALL_RADIUS_M`."""
        offsets = self._eye_offsets(np.asarray(aligned, dtype=np.float64))
        if self._eye_neutral is not None:
            offsets = offsets - self._eye_neutral
        ratio = np.clip(offsets / EYEBALL_RADIUS_M, -1.0, 1.0)
        out = np.zeros((2, 3))
        out[:, 0] = np.arcsin(ratio[:, 0])  # iris toward the subject's left (+x): positive yaw
        out[:, 1] = -np.arcsin(ratio[:, 1])  # iris down: positive pitch
        return out

    @staticmethod
    def _eye_offsets(points):
        left = points[topo.LEFT_IRIS_CENTER] - 0.5 * (
            points[topo.LEFT_EYE_INNER_CORNER] + points[topo.LEFT_EYE_OUTER_CORNER]
        )
        right = points[topo.RIGHT_IRIS_CENTER] - 0.5 * (
            points[topo.RIGHT_EYE_INNER_CORNER] + points[topo.RIGHT_EYE_OUTER_CORNER]
        )
        return np.stack([left[:2], right[:2]])


def combine(scores, solved, channels=SOLVED_CHANNELS):
    """Per-channel choice: ``solved`` ``(N, 52)`` on ``channels`` (ARKit names), ``scores`` ``(N, 52)`` elsewhere.
    Returns ``(N, 52) float64``."""
    out = np.array(scores, dtype=np.float64)
    index = [ARKIT_INDEX[name] for name in channels]
    out[:, index] = np.asarray(solved, dtype=np.float64)[:, index]
    return out
