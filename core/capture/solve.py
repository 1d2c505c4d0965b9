# SPDX-License-Identifier: GPL-3.0-or-later
"""ARKit weights, head and eye rotation from MediaPipe's 478 tracked landmarks.

Landmark solve: how MediaPipe's 478 landmarks move for each of the template's ARKit shapes is measured once, on
renders of the template (:mod:`.landmark_basis`: the observed ``basis``, metres), with how they deform when the head
turns (nuisance columns). Each frame's landmarks are aligned to the template's (a similarity fit on points that no
expression moves: nose bridge, temples, upper face oval, inner eye corners), the performer's own neutral (a calm span,
see :mod:`.calibration`) is subtracted, and the weights are the bounded least-squares fit
``min ||basis w - displacement||^2 + lambda ||w - prior||^2, 0 <= w <= 1`` (``scipy.optimize.lsq_linear``, BVLS), the
prior being MediaPipe's calibrated blendshape scores: where the landmarks are ambiguous (shapes that move the same
points alike) the scores decide, where they say more the landmarks do.

Why: MediaPipe's blendshape head misses what a face's shape says plainly (on a head rendered with known curves its
mouthPucker score correlated at -0.04, mouthFunnel at 0.45); the solve reads the lips from where the points actually
went. Why the observed basis and not the template's surface motion at the landmarks: MediaPipe's points do not stay
on the skin (a pucker's forward push moves its lip points inward, much as a funnel does), and the surface embedding
shifts with any change of the landmark search (the round trip's funnel fell from r 0.94 to 0.61 on such a change,
pucker never passed 0.3). Where both sources see a channel about equally (blinks, brows) their mean is steadier than
either, and channels no measurement backs keep the scores: :data:`SOLVE_SHARE` says, per channel, by measurement
(``tools/capture_round_trip.py``).

The lips' rounding (funnel, pucker) is read a second time from the lower face alone, the other channels held at the
whole-face solve's values (:data:`LIP_REFIT_CHANNELS`): on a turned face part of the lip motion fits no basis column,
and the whole-face fit spreads that residual over every channel, taking it from the rounding; a region solve of all
the mouth's channels measured worse (the jaw and the smiles need the whole face). Channels whose solved value the
capture never uses (MediaPipe's scores give them, :data:`SOLVE_SHARE`) are held there, and in the brows' region solve,
at no more than their score: the whole-face fit parks the rounding's unexplained motion in them (cheekPuff most).

Head rotation and translation come from MediaPipe's facial transformation matrix; eye rotation from each iris
centre's offset from its eye corners in the aligned frame, on an eyeball of :data:`EYEBALL_RADIUS_M`.
"""

import numpy as np
from scipy.optimize import lsq_linear
from scipy.spatial.transform import Rotation

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..detect import mediapipe_topology as topo
from ..errors import InputError
from ..geometry import apply_similarity, interpolate_on_surface, normals_at, similarity_transform, vertex_normals
from .landmark_basis import POSE_TURNS, observed_basis

#: Landmarks no ARKit expression moves: the per-frame alignment is fitted on them. The 40 mesh landmarks whose largest
#: motion over the template's 43 solved shapes, as MediaPipe observes it (:mod:`.landmark_basis`), is smallest (under
#: 1.9 mm): nose bridge and sides, the cheeks under the eyes, the outer eye corners. The earlier choice by the
#: template's surface motion held forehead and temple points that MediaPipe moves by up to 5.4 mm (its forehead follows
#: a brow raise), which the alignment then partly cancelled; round trip, mouthPucker r 0.92 -> 0.95 and 0.86 -> 0.88
#: on the two performances, 0.63 -> 0.87 on the second at 192 px.
STABLE_LANDMARKS = (
    3,
    5,
    25,
    31,
    35,
    51,
    114,
    122,
    128,
    130,
    134,
    139,
    156,
    174,
    188,
    189,
    195,
    196,
    226,
    228,
    229,
    236,
    244,
    245,
    248,
    261,
    265,
    281,
    343,
    351,
    357,
    399,
    412,
    413,
    419,
    448,
    449,
    456,
    464,
    465,
)
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
#: Share of the landmark solve in a channel's weight, the rest being MediaPipe's calibrated score; channels not named
#: here keep the scores alone. Measured on the round trip's first performance (``tools/capture_round_trip.py``, 256 px,
#: calibration's MIN_RANGE 0.1; Pearson r scores / mean / solve): eyeBlinkLeft 0.89 / 0.90 / 0.86, eyeBlinkRight
#: 0.84 / 0.88 / 0.88, browInnerUp 0.94 / 0.92 / 0.89 (at 192 px 0.90 / 0.92 / 0.93), browDownLeft 0.73 / 0.74 / 0.71
#: -- the eyes and brows are seen by both, and the mean keeps the score head's sharp blinks while the solve removes
#: its false ones; the mouth is the solve's (mouthPucker -0.04 / 0.95 / 0.95, mouthFunnel 0.45 / 0.76 / 0.92: the
#: score head confuses a funnel with a jaw drop; smiles 0.90 / 0.94 / 0.95). Channels the round trip does not drive
#: stay on the scores, which rose less where no expression was: the solve on every channel made the idle channels
#: read 0.073 on average (cheekPuff 0.42, noseSneerRight 0.22: a turned pucker or funnel's leftovers), the scores 0.042.
#: Re-measured with the head-turn residual averaged over faces (:mod:`.landmark_basis`), first performance: blink
#: shares 0.25 / 0.5 / 0.75 gave eyeBlinkRight r 0.891 / 0.903 / 0.905 and eyeBlinkLeft 0.922 / 0.922 / 0.915,
#: browInnerUp shares 0.5 / 0.75 / 1.0 gave 0.945 / 0.939 / 0.926: kept.
SOLVE_SHARE = {
    "jawOpen": 1.0,
    "mouthFunnel": 1.0,
    "mouthPucker": 1.0,
    "mouthSmileLeft": 1.0,
    "mouthSmileRight": 1.0,
    "eyeBlinkLeft": 0.5,
    "eyeBlinkRight": 0.5,
    "browInnerUp": 0.5,
    "browDownLeft": 0.5,
    "browDownRight": 0.5,
}
#: Channels solved with the head turn's :func:`.landmark_basis.bending_modes` as its nuisance columns instead of the
#: mean bend (a second solve of every channel on the same landmarks, of which only these are kept): the brows. A turn
#: bends MediaPipe's forehead and brows by face-dependent amounts, which one mean bend leaves to the brow channels; the
#: modes let that part follow the face. On the mouth the mean measured better: the modes also take up part of a
#: funnel's lip motion (every channel from the modes: mouthFunnel r 0.962 -> 0.937, first performance). Round trip,
#: first performance, mean vs modes for the brows: browInnerUp r 0.958 / 0.966, browDownLeft 0.895 / 0.821 (MAE
#: 0.024 / 0.023), browDownRight 0.411 / 0.573 (MAE 0.172 / 0.094). The modes solve on the upper face's landmarks
#: only (above the nose tip) read 0.964, 0.885 (0.027), 0.623 (0.088) there, but browInnerUp 0.886 on the second
#: performance (all landmarks: 0.943; so the second performance is no unseen check of this choice, the third is:
#: 0.939 / 0.935). Blinks from the modes: 0.937 / 0.903 -> 0.940 / 0.904, kept on the mean. Costs a second bounded
#: solve a frame (~2 ms).
BEND_MODE_CHANNELS = ("browInnerUp", "browDownLeft", "browDownRight", "browOuterUpLeft", "browOuterUpRight")
#: Channels also solved on the brows' own landmarks with only the brow channels (names starting "brow") and the head
#: turns' mean bends as columns, the result's :data:`BROW_REGION_SHARE` mixed with the bending modes' solve (whole
#: face). The landmarks: those a brow channel moves at least half as much as any solved channel does, and over 0.3 mm
#: (in the observed basis; 68 of the template's 468: brows, forehead, upper lids). On a turned face the whole-face fit
#: hands the brows what the rest of the face leaves unexplained (browInnerUp r 0.732 at 11 degrees, performance 7);
#: on the brows alone that leftover is out of reach, but so is the help of the other landmarks (alone: 0.957 / 0.817 /
#: 0.935 / 0.882 on performances 1-4, with the modes in place of the mean bends 0.938 / 0.895 / 0.957 / 0.814), so the
#: two are mixed. Round trip, chosen on performances 1-4 by the least r (the whole-face solve 0.974 / 0.967 / 0.926 /
#: 0.911, mixed 0.967 / 0.918 / 0.931 / 0.926: least 0.911 -> 0.918, mean 0.944 -> 0.936); held out, performances
#: 5-7: 0.896 / 0.970 / 0.732 -> 0.893 / 0.971 / 0.934. The other brow channels keep the modes' solve (mixing all five
#: raised the idle channels' mean on performance 5 from 0.032 to 0.039). The other channels are held on the brows'
#: landmarks as in the lip refit (:data:`LIP_REFIT_CHANNELS`: each at the whole-face solves' value, those the capture
#: takes from the scores at no more than their score), so that what the lids, the jaw or a pucker move there is not
#: read as brow (performance 2's jaw drop read browInnerUp 0.10 / 0.15 at two frames with the brow channels alone,
#: 0.02 / 0.13 with the others held). Round trip,
#: performances 1-4 | 5-7, browInnerUp r 0.967 / 0.918 / 0.931 / 0.926 | 0.893 / 0.971 / 0.934 -> 0.974 / 0.936 /
#: 0.923 / 0.931 | 0.894 / 0.973 / 0.934 (least r over the issue's channels on 1-4 the same 0.916, the mouthPucker of
#: performance 4; mean 0.9665 -> 0.9672); the other channels unchanged.
BROW_REGION_CHANNELS = ("browInnerUp",)
BROW_REGION_SHARE = 0.5
#: Least motion (metres) and least share of the strongest channel's motion at a landmark for it to count as a brow
#: landmark (:data:`BROW_REGION_CHANNELS`).
BROW_REGION_MIN_MOTION = 3e-4
BROW_REGION_MIN_SHARE = 0.5
#: Channels solved with each landmark weighted by how much of it a turned head still shows (see
#: :func:`foreshortening_weights`), in a third solve of which only these are kept: the jaw and the mouth (names
#: starting with these). On a face turned 16 degrees MediaPipe places the far side's lip points least well (it infers
#: them from a foreshortened, partly hidden half of the mouth), and a pucker there read 0 while the solve gave its lip
#: motion to the funnel (round trip, performance 4, the second pucker at 16 degrees). The brows keep the bending modes;
#: the blinks keep the unweighted solve (weighted: eyeBlinkRight r 0.933 / 0.915 / 0.969 / 0.894 -> 0.921 / 0.897 /
#: 0.960 / 0.885 on performances 1-4).
FORESHORTENED_PREFIXES = ("jaw", "mouth")
#: Channels solved with the head's yaw bend fixed by the measured yaw, in a fourth solve of which only these are kept:
#: the blinks. Elsewhere each :data:`.landmark_basis.POSE_TURNS` bend is a free column, which on a face that bends
#: its own way trades with the lids: a turned face's near eye read a partly closed lid (0.1-0.35 at 8-14 degrees, no
#: blink) in the solve, as in MediaPipe's scores. The yaw is known per frame (the facial transformation matrix), so
#: the yaw turns' mean bend, scaled by it (linearly from the rendered turn, on its side), is subtracted and only the
#: pitch turns stay free. Round trip, performances 1-5, eyeBlinkRight r 0.933 / 0.915 / 0.969 / 0.894 / 0.889 ->
#: 0.929 / 0.939 / 0.970 / 0.911 / 0.902, eyeBlinkLeft 0.964 / 0.966 / 0.968 / 0.977 / 0.933 -> 0.963 / 0.962 /
#: 0.967 / 0.975 / 0.931 (measured on all five: no unseen check of this choice remains).
YAW_FIXED_CHANNELS = ("eyeBlinkLeft", "eyeBlinkRight")
#: Channels read a second time from the lower face alone, the rest of the face's channels held at the first solve's
#: values: the lips' rounding, where the whole-face solve is weakest on a turned face. There part of the lip motion no
#: basis column explains (22-38 % on performance 7 at 11 degrees), and a least-squares fit over all 468 landmarks
#: spreads that residual over every channel, taking it from funnel and pucker; the refit asks only how much funnel and
#: pucker the lower face's remaining motion holds (landmarks below the nose's alae, with the head turns' mean bends as
#: free columns, each landmark weighted by :func:`foreshortening_weights` at the frame's yaw, pulled toward the first
#: solve by :data:`LIP_REFIT_PRIOR_WEIGHT`). Round trip, chosen on performances 1-4 by the least r over the issue's
#: channels (0.834 without the refit): this refit 0.892 (mouthFunnel r 0.926 / 0.929 / 0.984 / 0.934 -> 0.929 / 0.917
#: / 0.978 / 0.949, mouthPucker 0.968 / 0.978 / 0.943 / 0.834 -> 0.955 / 0.987 / 0.927 / 0.892), on the lip contour
#: alone (40 landmarks) 0.787 (0.828 unweighted), on the face below the nose tip 0.859, without the bends' columns
#: 0.239 (a turn's bend of the lips is then read as rounding); held out, performances 5-7: mouthFunnel 0.942 / 0.880 /
#: 0.811 -> 0.954 / 0.890 / 0.851, mouthPucker 0.981 / 0.935 / 0.585 -> 0.979 / 0.946 / 0.724. A region solve of every
#: mouth channel on the lower face alone measured worse (mouthPucker 0.803 and 0.598 on performances 4 and 7, on the
#: lips alone 0.265 and 0.647): the jaw and the smiles need the whole face's landmarks; only the rounding gains.
#: The held channels that the capture takes from MediaPipe's scores (those :data:`SOLVE_SHARE` does not name) are held
#: at the lesser of the first solve's value and their calibrated score. Why: the whole-face solve hands the part of a
#: pucker or funnel that the template's columns do not explain (another face, a turn) to channels whose solved value
#: the capture never uses, and the refit held it there: cheekPuff (0.15-0.42 on average over the rounding frames of
#: performances 1-7; 0.46 at performance 7's last pucker, where its score is 0), then mouthLowerDownLeft, jawRight,
#: noseSneerRight, mouthLeft / mouthRight; that pucker (0.9) read 0.14. The scores are the capture's own reading of
#: those channels: capped by them, that motion returns to the rounding, while a channel the scores also see (a real
#: cheek puff) stays held. Round trip, performances 1-4 (tuning) | 5-7 (held out), r before -> after: mouthFunnel
#: 0.929 / 0.917 / 0.978 / 0.949 | 0.954 / 0.890 / 0.851 -> 0.937 / 0.951 / 0.986 / 0.942 | 0.972 / 0.947 / 0.907,
#: mouthPucker 0.955 / 0.987 / 0.927 / 0.892 | 0.979 / 0.946 / 0.724 -> 0.987 / 0.991 / 0.968 / 0.916 | 0.968 / 0.968
#: / 0.935; least r over the issue's channels on 1-4 0.892 -> 0.916; the other channels come from other solves
#: (unchanged). Held at their scores instead: mouthFunnel 0.781 / 0.960 / 0.986 / 0.606 (the scores' false
#: mouthUpperUp during a funnel is then held); held at 0: least r 0.918, not taken (it presumes idle every channel the
#: round trip never drives, which a real face's mouthLowerDown or cheekPuff is not).
LIP_REFIT_CHANNELS = ("mouthFunnel", "mouthPucker")
#: Weight of the lip refit's pull toward the first solve (as :data:`PRIOR_WEIGHT`, per lower-face landmark). Round
#: trip, performances 1-4, the least r over the issue's channels at 3e-7 / 1e-7 / 3e-8 / 1e-8 / 1e-9: 0.820 / 0.869 /
#: 0.886 / 0.892 / 0.895 (mouthPucker on performance 4); below 3e-8 a plateau (every channel within 0.006), and 1e-8
#: keeps a pull for frames whose lower face says little.
LIP_REFIT_PRIOR_WEIGHT = 1e-8
#: Power of the foreshortening ratio in :func:`foreshortening_weights`. Round trip, performances 1 / 2 / 3 / 4,
#: mouthPucker r with no weighting 0.979 / 0.964 / 0.915 / 0.784, power 1: 0.971 / 0.971 / 0.924 / 0.894, 2: 0.970 /
#: 0.972 / 0.923 / 0.910, 4: 0.972 / 0.973 / 0.924 / 0.899, 8: 0.975 / 0.970 / 0.927 / 0.867; mouthFunnel 0.952 /
#: 0.907 / 0.976 / 0.925 with none, 0.951 / 0.924 / 0.978 / 0.944 (1), 0.948 / 0.928 / 0.977 / 0.949 (2), 0.944 /
#: 0.932 / 0.975 / 0.953 (4) (measured with the yaw rounded to :data:`YAW_STEP_DEG`; the blend reads within 0.002).
#: Performances 1-3 cannot tell powers 1-4 apart (within 0.005), so 2 was chosen on performance 4, which is no unseen
#: check of it any more; performance 5 was added after this choice to be one.
FORESHORTENING_POWER = 2.0
#: Least weight a landmark keeps (one that a turn shows edge-on or turns away); 0.01-0.2 measured the same.
FORESHORTENING_FLOOR = 0.05
#: Head yaw step (degrees) of the weighted solves: a frame's mouth is the blend of the solves at the two steps around
#: its yaw, each step's factorisation made once (a take or a live session needs at most ~40).
YAW_STEP_DEG = 2.0
#: Weight of the depth rows. MediaPipe's z is inferred from one view, but the observed basis holds MediaPipe's own z
#: response to each shape, whatever its bias (it even puts a pucker's lips back, not forward). Round trip, weight 0.5
#: vs 0, solve alone: mouthPucker r 0.92 vs 0.91, mouthFunnel 0.92 vs 0.91, browInnerUp 0.90 vs 0.89 (first
#: performance); 0.86 / 0.87 / 0.82 vs 0.85 / 0.86 / 0.80 (second).
DEPTH_WEIGHT = 0.5
#: Weight of the prior (metres^2 per unit weight^2, per landmark used). Round trip: with the template's own head-turn
#: residual, 3e-7 against 1e-7 gave the same mouth and steadier blinks (eyeBlinkLeft r 0.87 vs 0.83); 1e-6 drifts
#: toward the scores (mouthFunnel 0.73). With the turn residual averaged over faces (:mod:`.landmark_basis`) the
#: landmarks explain a turned face well enough to be trusted more: 1e-7 against 3e-7, first performance, mouthFunnel
#: 0.99 vs 0.95, mouthPucker 0.97 vs 0.96, blinks 0.92 / 0.90 either way (0.92 / 0.93 vs 0.93 / 0.92 on the second).
PRIOR_WEIGHT = 1e-7
#: Upper bound of a head turn's residual column (units of its :data:`.landmark_basis.POSE_TURNS` angle: 3 = 36
#: degrees of yaw, 30 of pitch, past which MediaPipe loses the face anyway).
POSE_LIMIT = 3.0
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


class _BoundedRidge:
    """``min ||B w - d||^2 + s^2 ||w - p||^2, lower <= w <= upper`` for many frames against one basis ``B``.

    ``columns``: ``(L, C, 3)`` the landmark motion of each column on the L landmarks used (depth scaled by
    :data:`DEPTH_WEIGHT` here); ``lower``, ``upper``: ``(C,)``; ``prior_weight``: ``s^2`` per landmark used (default
    :data:`PRIOR_WEIGHT`). :meth:`solve` takes ``d`` ``(N, 3L)`` (depth already scaled) and the prior ``(N, K)`` on
    the first K columns (the rest, nuisance terms, have prior 0); returns ``(N, K) float64``.
    """

    def __init__(self, columns, lower, upper, prior_weight=PRIOR_WEIGHT):
        basis = (columns * np.array([1.0, 1.0, DEPTH_WEIGHT])).transpose(0, 2, 1).reshape(-1, columns.shape[1])
        self.lower, self.upper = lower, upper
        # ||B w - d||^2 + s^2 ||w - p||^2 = ||R w - z||^2 + const with R^T R = B^T B + s^2 I (Cholesky, R = L^T) and
        # z = L^-1 (B^T d + s^2 p): the same bounded problem on C rows instead of ~1,400, set up once.
        prior_weight = prior_weight * len(columns)
        lower_factor = np.linalg.cholesky(basis.T @ basis + prior_weight * np.eye(basis.shape[1]))
        self._reduced = lower_factor.T
        self._from_motion = np.linalg.solve(lower_factor, basis.T)
        self._from_prior = prior_weight * np.linalg.inv(lower_factor)
        # The unbounded optimum w = R^-1 z, as two matrices applied to a whole take at once.
        self._optimum_motion = np.linalg.solve(self._reduced, self._from_motion)
        self._optimum_prior = np.linalg.solve(self._reduced, self._from_prior)

    def solve(self, d, prior):
        own = np.concatenate([prior, np.zeros((len(prior), len(self.lower) - prior.shape[1]))], axis=1)
        weights = d @ self._optimum_motion.T + own @ self._optimum_prior.T
        outside = np.flatnonzero((weights < self.lower).any(axis=1) | (weights > self.upper).any(axis=1))
        targets = d[outside] @ self._from_motion.T + own[outside] @ self._from_prior.T
        for i, target in zip(outside, targets):
            weights[i] = lsq_linear(self._reduced, target, bounds=(self.lower, self.upper), method="bvls").x
        return weights[:, : prior.shape[1]]


def foreshortening_weights(normals, yaw):
    """Per-landmark weights ``(L,) float64`` in [:data:`FORESHORTENING_FLOOR`, 1] of a head turned by ``yaw`` radians
    (positive: toward the subject's left, :func:`head_rotation`'s sign): the ratio of each landmark's surface normal's
    component toward the camera turned to the frontal one (``normals`` ``(L, 3)`` unit, the template's axes, +z toward
    the camera), to the power :data:`FORESHORTENING_POWER`. A surface patch's image area shrinks by that ratio
    (Lambert's cosine law for projected area), and with it what the tracker sees of the points on it: the far side
    of a turned mouth counts less, the near side as at rest. At yaw 0: 1, except the landmarks the frontal view
    shows edge-on or not at all (normal's z <= 1e-3: 23 of the template's 468, on the face's sides), which MediaPipe
    can only infer from the silhouette and which count least at every yaw (counting them fully once a turn shows them:
    mouthPucker r 0.967 / 0.970 / 0.922 / 0.897 on performances 1-4, mouthFunnel 0.940 / 0.927 / 0.980 / 0.937)."""
    normals = np.asarray(normals, dtype=np.float64)
    frontal = normals[:, 2] > 1e-3
    ratio = np.where(frontal, np.cos(yaw) - np.sin(yaw) * normals[:, 0] / np.where(frontal, normals[:, 2], 1.0), 0.0)
    return np.clip(ratio, FORESHORTENING_FLOOR, 1.0) ** FORESHORTENING_POWER


class LandmarkSolver:
    """Solve the template's ARKit weights from tracked landmarks.

    Args:
        template: a :class:`facemotion.core.rig.template.FaceTemplate` (default: ICT-FaceKit).
        landmarks: the template's landmarks ``(triangle (478,), barycentric (478, 3), on_surface (478,))`` (default:
            :func:`facemotion.core.rig.autorig.template_landmarks`).
        basis: ``(rest, motion, pose, modes)`` as :func:`.landmark_basis.observed_basis` returns them (default: that
            function's, for this template; another is for measuring bases, ``tools/capture_basis_variants.py``).

    Use :meth:`align` per frame, :meth:`set_neutral` once with aligned frames of a calm face, then :meth:`solve`.
    """

    def __init__(self, template=None, landmarks=None, basis=None):
        from ..rig.autorig import template_landmarks
        from ..rig.template import load_ict_template

        template = template or load_ict_template()
        landmarks = landmarks or template_landmarks(template)
        triangle, barycentric, _ = landmarks
        self.rest = interpolate_on_surface(template.vertices, template.triangles, triangle, barycentric)
        self._stable = np.zeros(len(self.rest), bool)
        self._stable[list(STABLE_LANDMARKS)] = True
        _, motion, pose, modes = observed_basis(template, landmarks, self.locate) if basis is None else basis
        used = np.ones(len(self.rest), bool)
        used[list(topo.LEFT_IRIS) + list(topo.RIGHT_IRIS)] = False
        self.used = used
        self.channels = np.array(
            [i for i, name in enumerate(ARKIT_NAMES) if name not in UNSOLVED_CHANNELS and name not in template.missing]
        )
        # Columns: the solved channels, then the head turn's nuisance terms (prior 0): the mean bend of each turn
        # (bounded by POSE_LIMIT) for the whole face; its bending modes (either sign) for BEND_MODE_CHANNELS; the
        # mean bend again, rows weighted by foreshortening_weights at the frame's yaw, for FORESHORTENED_PREFIXES
        # (factorised once per YAW_STEP_DEG step, on first use).
        expressions = motion[:, self.channels]
        k = len(self.channels)
        self._mean_bend_columns = np.concatenate([expressions, pose], axis=1)[used]
        self._mean_bend_bounds = (
            np.zeros(k + pose.shape[1]),
            np.concatenate([np.ones(k), np.full(pose.shape[1], POSE_LIMIT)]),
        )
        self._mean_bend = _BoundedRidge(self._mean_bend_columns, *self._mean_bend_bounds)
        self._bend_modes = _BoundedRidge(
            np.concatenate([expressions, modes], axis=1)[used],
            np.concatenate([np.zeros(k), np.full(modes.shape[1], -POSE_LIMIT)]),
            np.concatenate([np.ones(k), np.full(modes.shape[1], POSE_LIMIT)]),
        )
        self._mode_channels = np.flatnonzero(np.isin(self.channels, [ARKIT_INDEX[name] for name in BEND_MODE_CHANNELS]))
        # The brows' region solve: the brow channels on the landmarks they move most, the mean bends free.
        brow_channels = np.flatnonzero([ARKIT_NAMES[c].startswith("brow") for c in self.channels])
        reach = np.linalg.norm(expressions, axis=2)  # (478, k) metres
        brow_reach = reach[:, brow_channels].max(axis=1)
        brow_rows = (
            used & (brow_reach >= BROW_REGION_MIN_SHARE * reach.max(axis=1)) & (brow_reach > BROW_REGION_MIN_MOTION)
        )
        self._brow_rows = np.flatnonzero(brow_rows[used])
        self._brow_region = _BoundedRidge(
            np.concatenate([expressions[:, brow_channels], pose], axis=1)[brow_rows],
            np.zeros(len(brow_channels) + pose.shape[1]),
            np.concatenate([np.ones(len(brow_channels)), np.full(pose.shape[1], POSE_LIMIT)]),
        )
        self._brow_channels = brow_channels
        self._brow_held = np.setdiff1d(np.arange(k), brow_channels)
        self._brow_held_columns = expressions[brow_rows][:, self._brow_held] * np.array([1.0, 1.0, DEPTH_WEIGHT])
        region = np.isin(self.channels[brow_channels], [ARKIT_INDEX[name] for name in BROW_REGION_CHANNELS])
        self._brow_region_kept = np.flatnonzero(region)
        # The blinks' solve: the yaw turns' bends per degree of yaw on either side, the pitch turns as free columns.
        yaw_turns = [t for t, (axis, _) in enumerate(POSE_TURNS) if axis == "y"]
        self._yaw_bend = {
            np.sign(POSE_TURNS[t][1]): pose[used][:, t] / np.radians(abs(POSE_TURNS[t][1])) for t in yaw_turns
        }
        free = [t for t in range(pose.shape[1]) if t not in yaw_turns]
        self._yaw_fixed = _BoundedRidge(
            np.concatenate([expressions, pose[:, free]], axis=1)[used],
            np.zeros(k + len(free)),
            np.concatenate([np.ones(k), np.full(len(free), POSE_LIMIT)]),
        )
        self._yaw_fixed_channels = np.flatnonzero(
            np.isin(self.channels, [ARKIT_INDEX[name] for name in YAW_FIXED_CHANNELS])
        )
        vertex_normal = vertex_normals(template.vertices, template.triangles)
        self._normals = normals_at(vertex_normal, template.triangles, triangle, barycentric)[used]
        self._turned = {}
        self._foreshortened_channels = np.flatnonzero(
            [ARKIT_NAMES[c].startswith(FORESHORTENED_PREFIXES) for c in self.channels]
        )
        # The lip refit (LIP_REFIT_CHANNELS): the lower face's landmarks (below the nose's alae), its channels' columns
        # and the head turns' mean bends (either sign), weighted per YAW_STEP_DEG step like the mouth's solve.
        nose_alae = min(self.rest[topo.NOSE_ALA_LEFT, 1], self.rest[topo.NOSE_ALA_RIGHT, 1])
        self._lower_face = np.flatnonzero(self.rest[used, 1] < nose_alae)
        self._refit_channels = np.flatnonzero(np.isin(self.channels, [ARKIT_INDEX[n] for n in LIP_REFIT_CHANNELS]))
        self._held_channels = np.setdiff1d(np.arange(k), self._refit_channels)
        self._from_scores = np.array([ARKIT_NAMES[c] not in SOLVE_SHARE for c in self.channels])
        lower_expressions = expressions[used][self._lower_face]
        self._lower_held_columns = lower_expressions[:, self._held_channels] * np.array([1.0, 1.0, DEPTH_WEIGHT])
        self._refit_columns = np.concatenate(
            [lower_expressions[:, self._refit_channels], pose[used][self._lower_face]], axis=1
        )
        self._refit_bounds = (
            np.concatenate([np.zeros(len(self._refit_channels)), np.full(pose.shape[1], -POSE_LIMIT)]),
            np.concatenate([np.ones(len(self._refit_channels)), np.full(pose.shape[1], POSE_LIMIT)]),
        )
        self._refitted = {}
        self.neutral = None
        self._eye_neutral = None

    def align(self, points):
        """Frame landmarks ``(478, 3)`` (:func:`metric_landmarks`) -> ``(478, 3) float64`` in the template's frame
        and scale (metres), by a similarity fit of :data:`STABLE_LANDMARKS`."""
        points = np.asarray(points, dtype=np.float64)
        scale, rotation, translation = similarity_transform(points[self._stable], self.rest[self._stable])
        return apply_similarity(points, scale, rotation, translation)

    def locate(self, face):
        """A detected :class:`facemotion.core.detect.landmarks.FaceLandmarks` -> ``(478, 3) float64`` landmarks in the
        template's frame (:func:`metric_landmarks`, then :meth:`align`)."""
        return self.align(metric_landmarks(face))

    def set_neutral(self, aligned):
        """The performer's neutral from aligned frames ``(K, 478, 3)`` of a calm face (their median). Raises
        InputError for no frames."""
        aligned = np.asarray(aligned, dtype=np.float64)
        if aligned.ndim != 3 or len(aligned) == 0:
            raise InputError("the neutral needs at least one frame with a face")
        self.neutral = np.median(aligned, axis=0)
        self._eye_neutral = self._eye_offsets(self.neutral)

    def solve(self, aligned, prior=None, yaw=None):
        """``(N, 52) float64`` weights in [0, 1] from aligned frames ``(N, 478, 3)`` (:meth:`align`), each pulled
        toward its ``prior`` row ``(N, 52)`` (calibrated scores; None: zeros, a plain ridge), which also caps the
        channels the capture takes from the scores where the region solves hold them (:meth:`_held`); channels the
        solve does not fit keep the prior's value (0 without one). ``yaw``: ``(N,)`` head yaw in radians
        (:func:`head_rotation`; None: frontal), which weights the mouth's landmarks (:data:`FORESHORTENED_PREFIXES`)
        and fixes the head turn's bend for :data:`YAW_FIXED_CHANNELS`. Frames are independent (a whole take is solved
        at once; a live source passes one frame). Raises RuntimeError before :meth:`set_neutral`, ValueError for a
        ``yaw`` of another length."""
        if self.neutral is None:
            raise RuntimeError("LandmarkSolver.set_neutral must be called first")
        aligned = np.asarray(aligned, dtype=np.float64)
        d = ((aligned - self.neutral)[:, self.used] * np.array([1.0, 1.0, DEPTH_WEIGHT])).reshape(len(aligned), -1)
        prior = (
            np.zeros((len(aligned), len(ARKIT_NAMES)))
            if prior is None
            else np.clip(np.asarray(prior, np.float64).reshape(len(aligned), -1), 0.0, 1.0)
        )
        weights = self._mean_bend.solve(d, prior[:, self.channels])
        weights[:, self._mode_channels] = self._bend_modes.solve(d, prior[:, self.channels])[:, self._mode_channels]
        yaw = np.zeros(len(aligned)) if yaw is None else np.asarray(yaw, dtype=np.float64).reshape(len(aligned))
        weights[:, self._foreshortened_channels] = self._foreshortened(d, prior[:, self.channels], yaw)
        bend = np.where(
            (yaw >= 0.0)[:, None, None],
            yaw[:, None, None] * self._yaw_bend[1.0],
            -yaw[:, None, None] * self._yaw_bend[-1.0],
        )
        unbent = d - (bend * np.array([1.0, 1.0, DEPTH_WEIGHT])).reshape(len(d), -1)
        fixed = self._yaw_fixed_channels
        weights[:, fixed] = self._yaw_fixed.solve(unbent, prior[:, self.channels])[:, fixed]
        kept = self._brow_channels[self._brow_region_kept]
        region = self._brow_region_solve(d, weights, prior[:, self.channels])
        weights[:, kept] = (
            BROW_REGION_SHARE * region[:, self._brow_region_kept] + (1.0 - BROW_REGION_SHARE) * weights[:, kept]
        )
        weights[:, self._refit_channels] = self._lip_refit(d, weights, prior[:, self.channels], yaw)
        out = prior.copy()
        out[:, self.channels] = weights
        return out

    def _foreshortened(self, d, prior, yaw):
        """The :data:`FORESHORTENED_PREFIXES` channels ``(N, M)`` solved with :func:`foreshortening_weights` (see
        :meth:`_yaw_blended`)."""

        def solve_at(step, root, rows):
            if step not in self._turned:
                self._turned[step] = _BoundedRidge(
                    self._mean_bend_columns * root[:, None, None], *self._mean_bend_bounds
                )
            seen = (d[rows].reshape(len(rows), -1, 3) * root[:, None]).reshape(len(rows), -1)
            return self._turned[step].solve(seen, prior[rows])[:, self._foreshortened_channels]

        return self._yaw_blended(yaw, self._normals, len(self._foreshortened_channels), solve_at)

    def _held(self, weights, prior, channels):
        """The values ``(N, H)`` at which a region solve holds ``channels`` (indices into the solved channels): their
        solved ``weights`` ``(N, K)``, those the capture takes from MediaPipe's scores (not in :data:`SOLVE_SHARE`)
        capped by their ``prior`` ``(N, K)`` (see :data:`LIP_REFIT_CHANNELS`)."""
        values = weights[:, channels]
        return np.where(self._from_scores[channels], np.minimum(values, prior[:, channels]), values)

    def _unexplained(self, motion, columns, channels, weights, prior):
        """What of a region's ``motion`` ``(N, L, 3)`` the held ``channels``, with motion ``columns`` ``(L, H, 3)``
        (both depth scaled by :data:`DEPTH_WEIGHT`), do not explain at their :meth:`_held` values."""
        return motion - np.einsum("lck,nc->nlk", columns, self._held(weights, prior, channels))

    def _brow_region_solve(self, d, weights, prior):
        """The brow channels ``(N, B)`` solved on the brows' landmarks (:data:`BROW_REGION_CHANNELS`): their motion in
        ``d`` less what the other channels explain, held at :meth:`_held` of ``weights`` and ``prior`` ``(N, K)``."""
        on_brows = self._unexplained(
            d.reshape(len(d), -1, 3)[:, self._brow_rows], self._brow_held_columns, self._brow_held, weights, prior
        )
        return self._brow_region.solve(on_brows.reshape(len(d), -1), prior[:, self._brow_channels])

    def _lip_refit(self, d, weights, prior, yaw):
        """:data:`LIP_REFIT_CHANNELS` ``(N, R)`` read again from the lower face's landmarks: their motion ``d`` less
        what the other channels' first-solve ``weights`` ``(N, K)`` explain (held at :meth:`_held`, with ``prior``
        ``(N, K)``), fitted by these channels and the head turns' mean bends with :func:`foreshortening_weights`,
        pulled toward the first solve (see :meth:`_yaw_blended`)."""
        lower = d.reshape(len(d), -1, 3)[:, self._lower_face]
        remaining = self._unexplained(lower, self._lower_held_columns, self._held_channels, weights, prior)
        first = weights[:, self._refit_channels]

        def solve_at(step, root, rows):
            if step not in self._refitted:
                self._refitted[step] = _BoundedRidge(
                    self._refit_columns * root[:, None, None], *self._refit_bounds, LIP_REFIT_PRIOR_WEIGHT
                )
            seen = (remaining[rows] * root[:, None]).reshape(len(rows), -1)
            return self._refitted[step].solve(seen, first[rows])

        return self._yaw_blended(yaw, self._normals[self._lower_face], len(self._refit_channels), solve_at)

    @staticmethod
    def _yaw_blended(yaw, normals, count, solve_at):
        """A per-frame solve ``(N, count)`` weighted by :func:`foreshortening_weights` of ``normals`` ``(L, 3)``,
        linearly blended between the solves at the two :data:`YAW_STEP_DEG` steps around each frame's ``yaw``
        (radians), so that a head held near a step's edge does not switch between two solves frame to frame (jitter).
        ``solve_at(step, root, rows)``: the solve of frames ``rows`` with rows weighted by ``root`` (the weights'
        square root), each step's factorisation made once, on first use."""
        position = np.degrees(yaw) / YAW_STEP_DEG
        below = np.floor(position).astype(int)
        above_share = position - below
        out = np.zeros((len(yaw), count))
        for step in np.unique(np.concatenate([below, below + 1])):
            rows = np.flatnonzero((below == step) | (below + 1 == step))
            share = np.where(below[rows] == step, 1.0 - above_share[rows], above_share[rows])
            rows, share = rows[share > 0.0], share[share > 0.0]  # a yaw on a step needs no solve at the next
            if len(rows) == 0:
                continue
            root = np.sqrt(foreshortening_weights(normals, np.radians(step * YAW_STEP_DEG)))
            out[rows] += share[:, None] * solve_at(step, root, rows)
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


def solve_share(values=None):
    """Per-channel share of the landmark solve ``(52,) float64`` in [0, 1]: :data:`SOLVE_SHARE` (None; 0 for the
    channels it does not name), one number for every channel the solve fits, or a ``{ARKit name: share}`` dict over
    the defaults. :data:`UNSOLVED_CHANNELS` stay 0. Raises InputError for an unknown name or a share outside [0, 1]."""
    share = np.zeros(len(ARKIT_NAMES))
    for name, value in SOLVE_SHARE.items():
        share[ARKIT_INDEX[name]] = value
    if isinstance(values, dict):
        for name, value in values.items():
            if name not in ARKIT_INDEX:
                raise InputError(f"solve share: {name!r} is not an ARKit blendshape name (e.g. jawOpen, browInnerUp)")
            share[ARKIT_INDEX[name]] = float(value)
    elif values is not None:
        share[:] = float(values)
    if not ((share >= 0.0) & (share <= 1.0)).all():
        raise InputError("solve share: every share must lie in [0, 1] (0: MediaPipe's scores, 1: the landmark solve)")
    share[[ARKIT_INDEX[name] for name in UNSOLVED_CHANNELS]] = 0.0
    return share


def combine(scores, solved, share=None):
    """Per-channel mix ``share * solved + (1 - share) * scores`` of ``scores`` and ``solved`` ``(N, 52)``;
    ``share``: ``(52,)`` (default :func:`solve_share`). Returns ``(N, 52) float64``."""
    share = solve_share() if share is None else np.asarray(share, dtype=np.float64)
    return share * np.asarray(solved, dtype=np.float64) + (1.0 - share) * np.asarray(scores, dtype=np.float64)
