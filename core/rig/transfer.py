# SPDX-License-Identifier: GPL-3.0-or-later
"""Transferring a fitted template's expression deltas onto an arbitrary target mesh.

Every target vertex takes the displacement of its closest point on the fitted template surface (barycentric
interpolation of the template deltas), rotated and scaled from the template frame into the target frame by the
fit's similarity — the correspondence-based form of deformation transfer (Sumner & Popović 2004, "Deformation
transfer for triangle meshes", SIGGRAPH) for a template that already lies on the target. The closest point is
blended across every allowed template triangle nearly as close (:meth:`facemotion.core.geometry.MeshProximity.
blended`), and the choices below fall smoothly across their limits, so the rig is a continuous function of the
target: a rounding error, a 1e-6 perturbation or another vertex order moves no vertex by more than it moved the
input (issue 18). Refinements that make it work on faces:

* **lips and eyelids kept apart**: closest points must not jump across the mouth or the eye opening (an upper-lip
  vertex sitting 0.1 mm from the lower lip would otherwise open with the jaw). Both meshes are labelled by which
  side of the inner-lip and eyelid mid-lines (from the landmarks) they lie on; a labelled target vertex only
  matches template triangles that carry a vertex of its own label or none of the opposite one.
* **zero where the template has no face**: displacements fade out smoothly with the distance to the template
  surface, so hair, shoulders or accessories far from the fitted face stay still; a loose part lying on the
  template's scalp or neck rather than its face (a hair cap, a hat, a collar: :data:`FACE_SHARE`) stays still as a
  whole and is reported as ignored, while the head's own skin under it (forehead, brows) moves.
* **lips that touch**: along the closed lips' contact the side of a vertex is decided by its normal (down: upper
  lip, up: lower lip), not by the landmarks' mid-line alone, so the inner lip surfaces never take the other lip's
  motion and the open mouth shows no strips stretched across it (:func:`label_regions`).

Eyeballs, teeth and tongue are rigid (their parts come from :func:`facemotion.core.rig.parts.classify_parts`, on the
target and on the template alike) and never take a skin motion; skin never matches the template's rigid parts:

* **eyeballs** do not move in any shape but eyeLook*, which turn each eyeball about its own centre (its sphere fit)
  by :data:`EYE_LOOK_DEGREES` at weight 1.0 (~ the range of human gaze that ARKit's eyeLook coefficients span),
  the lids following the template as skin. ARKit conventions (left = the subject's left, as MediaPipe's): In turns
  the eye towards the nose, Out away from it (eyeLookOutLeft turns the left eye towards the subject's left), Up /
  Down lift / lower the gaze. A shape key is linear, so the key stores the rotated position's delta at 1.0: at weight
  ``w`` a vertex lies on the chord, at the rotation angle's fraction ~w (exactly ``theta / 2`` at 0.5) but
  ``1 - cos(theta / 2)`` closer to the centre at 0.5 (3.4 % of the radius for 30 deg, 2.4 % for 25 deg).
* **upper teeth** are fixed to the skull: zero in every shape.
* **lower teeth and tongue** follow the jaw rigidly: per shape, the rigid motion (Kabsch / Umeyama Procrustes,
  :func:`facemotion.core.geometry.similarity_transform` without scale) of the template's lower teeth from neutral
  to the shape, placed on the target by the fit, moves them (jawOpen turns them about the hinge this motion
  implies; jawLeft / Right / Forward slide them; shapes that leave the template's jaw still leave them still) -
  the way teeth and tongue follow the chin's rotation in ECAvatar (Xu et al. 2024). A template without lower teeth
  uses the rigid motion of its chin (skin within :data:`CHIN_RADIUS` inter-ocular distances of landmark 152) for the
  jaw shapes.
* **tongueOut**, for a target with a tongue (the template has none): the jaw :data:`TONGUE_OUT_JAW` open (skin,
  lower teeth and tongue as in jawOpen, the jaw rotation scaled by angle) and the tongue slid forward out of the
  mouth until its tip is :data:`TONGUE_OUT_REACH` mouth widths past the lips.
"""

import copy
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..detect.mediapipe_topology import (
    LEFT_EYE_LOWER,
    LEFT_EYE_UPPER,
    LIPS_LOWER_INNER,
    LIPS_UPPER_INNER,
    RIGHT_EYE_LOWER,
    RIGHT_EYE_UPPER,
)
from ..errors import InputError
from ..geometry import (
    MeshProximity,
    connected_components,
    interpolate_on_surface,
    normals_at,
    similarity_transform,
    smoothstep,
    vertex_normals,
)
from .parts import (
    ROLE_EYE,
    ROLE_IGNORE,
    ROLE_SKIN,
    ROLE_TEETH_LOWER,
    ROLE_TEETH_UPPER,
    ROLE_TONGUE,
    classify_parts,
    face_frame,
)

#: Region labels; a label ``k`` and its opposite never correspond.
REGION_NONE, UPPER_LIP, LOWER_LIP, UPPER_LID_LEFT, LOWER_LID_LEFT, UPPER_LID_RIGHT, LOWER_LID_RIGHT = range(7)
OPPOSITE = {
    UPPER_LIP: LOWER_LIP,
    LOWER_LIP: UPPER_LIP,
    UPPER_LID_LEFT: LOWER_LID_LEFT,
    LOWER_LID_LEFT: UPPER_LID_LEFT,
    UPPER_LID_RIGHT: LOWER_LID_RIGHT,
    LOWER_LID_RIGHT: UPPER_LID_RIGHT,
}


@dataclass
class ExpressionTransfer:
    """Result of :func:`transfer_expressions`.

    Attributes:
        deltas: ``(52, N, 3) float32`` per-expression displacement of every target vertex, in target units and
            frame, in ARKit order (:data:`facemotion.core.arkit.ARKIT_NAMES`).
        names: the 52 ARKit names.
        empty: names whose deltas are all zero (e.g. ``tongueOut`` from ICT-FaceKit).
        coverage: ``(N,) float32`` in [0, 1]: 1 where the vertex follows the template fully, 0 where it stays still.
        distance: ``(N,) float64`` distance of each target vertex to the fitted template surface (target units).
        labels: ``(N,) int8`` region label of each target vertex (see ``REGION_*`` constants).
    """

    deltas: np.ndarray
    names: tuple
    empty: tuple
    coverage: np.ndarray
    distance: np.ndarray
    labels: np.ndarray
    parts: object = None


#: A loose skin part of the target (not its main one) follows the template only when at least this share of its
#: vertices' closest template points lie on the template's face region (or on its own loose face parts: lashes,
#: tear lines, gums); otherwise it lies on the scalp or neck only (a hair cap, a hat, a collar) and stays still.
FACE_SHARE = 0.5

#: Least width of the band of the transfer's blended closest points, in inter-ocular distances (~0.6 mm on a human
#: face): where the fitted template's lips touch at a mouth corner, or a lid meets its lashes, a target vertex lying
#: on both was handed from one to the other by a move of the fit far below a millimetre, and its motion jumped by
#: up to 15 % of a shape's peak under a 1e-6 perturbation of the head (issue 18); within this band both share.
TRANSFER_REACH = 0.01
#: ... and for the target's inner parts that follow an inner part of the template's mouth (gums and tongue): the
#: template's gums move steeply between its jaws (the upper ones still, the lower ones with the jaw), and the fit
#: places them by the landmarks, which a 1e-6 perturbation of the head moves by about 1e-3 of their radius. Read
#: through the 0.01 band, a warped head's gums changed jawForward by 3.3 % of its peak under that perturbation;
#: through this one by 0.8 % (0.05: 2 %), for a gums error in the jaw shapes of 0.027 of the motion, not 0.019
#: (tools/rig_accuracy.py; the heads' figures unchanged; issue 18).
INNER_TRANSFER_REACH = 0.08
#: Inter-ocular distances within which a target vertex counts as lying on the template's skin.
SKIN_SNAP = 0.05
#: Half widths of the falloffs of a vertex's share of the skin's motion: around SKIN_SNAP, as a fraction of it, and
#: around the normal agreement -0.7 (see :func:`_skin_correspondence`).
SKIN_SNAP_FALLOFF = 0.25
AGREE_FALLOFF = 0.1

#: Eyeball rotation at weight 1.0, degrees: (horizontal for eyeLookIn / Out, vertical for eyeLookUp / Down).
EYE_LOOK_DEGREES = (30.0, 25.0)

#: eyeLook* shapes: ARKit name -> (eye side, template-frame rotation axis, angle sign). Template frame: +X the
#: subject's left, +Y up, +Z out of the face; a positive angle turns right-handed about the axis, so about +Y it
#: turns the gaze (+Z) towards +X (the subject's left) and about +X it turns the gaze down.
EYE_LOOK = {
    "eyeLookOutLeft": ("left", 1, +1.0),
    "eyeLookInLeft": ("left", 1, -1.0),
    "eyeLookOutRight": ("right", 1, -1.0),
    "eyeLookInRight": ("right", 1, +1.0),
    "eyeLookUpLeft": ("left", 0, -1.0),
    "eyeLookDownLeft": ("left", 0, +1.0),
    "eyeLookUpRight": ("right", 0, -1.0),
    "eyeLookDownRight": ("right", 0, +1.0),
}

#: Chin region standing in for missing template lower teeth, in inter-ocular distances around landmark 152.
CHIN_RADIUS = 0.3
#: Shapes whose jaw motion the chin region stands in for (without template lower teeth).
JAW_SHAPES = ("jawOpen", "jawLeft", "jawRight", "jawForward")
#: tongueOut: how far the jaw opens (fraction of jawOpen's rotation), and how far the tongue tip reaches past the
#: lips (mouth widths).
TONGUE_OUT_JAW = 0.3
TONGUE_OUT_REACH = 0.3

#: Half height of the band around the mouth's mid-line where vertex normals decide upper / lower, in mouth widths.
MOUTH_CONTACT_BAND = 0.1
#: ... and how far behind the inner lips (landmarks 13 / 14) that band reaches, in mouth widths.
MOUTH_CONTACT_DEPTH = 0.3
_LIP_UPPER_INNER_MID, _LIP_LOWER_INNER_MID = 13, 14

#: Labelled box around each opening: (padding past each corner, half height), as fractions of the opening's width.
_BANDS = {"mouth": (0.5, 0.6), "eye": (0.3, 0.6)}


def _contour_line(points_2d):
    """Sort a contour's ``(K, 2)`` points by x; return (x, y) arrays for np.interp."""
    order = np.argsort(points_2d[:, 0])
    return points_2d[order, 0], points_2d[order, 1]


#: Half width of the soft borders of the labels, in the opening's widths (:func:`label_shares`): across the mid-line,
#: the box's edges and the mouth's contact band. A landmark moved by a hundredth of a millimetre moves the borders by
#: as much, and a vertex on a border then hands that share of its correspondence to the other side, not all of it.
LABEL_FALLOFF = 0.03
#: ... and around the normals' limits (``n_y`` -0.5 and 0.5) in the mouth's contact band.
NORMAL_LABEL_FALLOFF = 0.1


@dataclass
class SoftLabels:
    """Region labels with soft borders (:func:`label_shares`): each point's correspondence is the mix of up to three
    label choices, the opening's upper label, its lower label and none, by their shares.

    Attributes:
        hard: ``(N,) int8`` the label of each point (inside the box where its share is at least half, on the upper
            side where that share is): the labels of :func:`label_regions`.
        choices: ``(N, 3) int8`` the choices (upper label, lower label, ``REGION_NONE``); both labels are
            ``REGION_NONE`` away from every opening.
        shares: ``(N, 3) float64`` their shares, summing to 1.
    """

    hard: np.ndarray
    choices: np.ndarray
    shares: np.ndarray

    def __getitem__(self, rows):
        return SoftLabels(self.hard[rows], self.choices[rows], self.shares[rows])

    @classmethod
    def of(cls, labels):
        """``labels`` as :class:`SoftLabels`: itself, or hard ``(N,) int`` labels, each the whole share."""
        if isinstance(labels, cls):
            return labels
        hard = np.asarray(labels, dtype=np.int8)
        return cls(hard, np.stack([hard, hard, hard], axis=1), np.repeat([[1.0, 0.0, 0.0]], len(hard), axis=0))


def label_shares(points, landmarks, normals=None):
    """Label points by the side of the mouth / eye openings they lie on, with soft borders.

    Args:
        points: ``(N, 3)`` positions in a face frame with +Y up and the face looking along +Z (the template frame).
        landmarks: ``(478, 3)`` MediaPipe landmarks in the same frame.
        normals: optional ``(N, 3)`` outward unit vertex normals in the same frame: near the mouth's mid-line they
            decide the side (see Method).

    Returns:
        :class:`SoftLabels` (``hard``: ``REGION_NONE`` outside the bands).

    Method: the mid-line of an opening is the average of its upper and lower contours (inner lip contours for the
    mouth, lid margins for the eyes) as a function of x, extended flat past the corners; points within a box around
    the opening (:data:`_BANDS`: generous, because teeth, gums and lashes reach past the corners, and away from the
    opening the restriction changes nothing) are labelled upper or lower. Closed lips touch along the mid-line, so
    there a few tenths of a millimetre of disagreement between two meshes' landmarks would put the same lip vertex
    on opposite sides: with ``normals``, a point within :data:`MOUTH_CONTACT_BAND` mouth widths of the mouth's
    mid-line and at most :data:`MOUTH_CONTACT_DEPTH` behind the inner lips whose normal points clearly down
    (``n_y < -0.5``: the upper lip's contact surface) is upper, clearly up (the lower lip's) is lower; the mid-line
    decides the rest. Every border is soft (:data:`LABEL_FALLOFF`, :data:`NORMAL_LABEL_FALLOFF`; smoothstep
    across it, the hard label where a share passes one half), so the labels are continuous functions of the points
    and the landmarks: a hard border moved by a landmark's jitter handed a vertex at a mouth or eye corner from
    one lid or lip to the other, and its motion jumped (issue 18).
    """
    pts = np.asarray(points, dtype=np.float64)
    n = len(pts)
    hard = np.zeros(n, dtype=np.int8)
    choices = np.zeros((n, 3), dtype=np.int8)
    shares = np.zeros((n, 3))
    shares[:, 2] = 1.0
    openings = (
        (LIPS_UPPER_INNER, LIPS_LOWER_INNER, UPPER_LIP, LOWER_LIP, _BANDS["mouth"]),
        (LEFT_EYE_UPPER, LEFT_EYE_LOWER, UPPER_LID_LEFT, LOWER_LID_LEFT, _BANDS["eye"]),
        (RIGHT_EYE_UPPER, RIGHT_EYE_LOWER, UPPER_LID_RIGHT, LOWER_LID_RIGHT, _BANDS["eye"]),
    )
    for upper_idx, lower_idx, upper_label, lower_label, (side_pad, half_height) in openings:
        ux, uy = _contour_line(landmarks[list(upper_idx), :2])
        lx, ly = _contour_line(landmarks[list(lower_idx), :2])
        x0, x1 = min(ux[0], lx[0]), max(ux[-1], lx[-1])
        width = x1 - x0
        if not width > 0:  # a degenerate opening (all its landmarks at one x) labels nothing
            continue
        fall = LABEL_FALLOFF * width
        x = pts[:, 0]
        mid = 0.5 * (np.interp(x, ux, uy) + np.interp(x, lx, ly))
        above = pts[:, 1] - mid
        # In the box where every edge says so (the least of their soft memberships), and no earlier box took it.
        inside = np.minimum.reduce(
            [
                smoothstep(x, x0 - side_pad * width - fall, x0 - side_pad * width + fall),
                smoothstep(x, x1 + side_pad * width + fall, x1 + side_pad * width - fall),
                smoothstep(np.abs(above), half_height * width + fall, half_height * width - fall),
            ]
        ) * (choices[:, 0] == REGION_NONE)
        upper = smoothstep(above, -fall, fall)
        if normals is not None and upper_label == UPPER_LIP:
            # Only the lips' depth: farther back a tongue's underside faces down too.
            lips_depth = 0.5 * (landmarks[_LIP_UPPER_INNER_MID, 2] + landmarks[_LIP_LOWER_INNER_MID, 2])
            back = lips_depth - MOUTH_CONTACT_DEPTH * width
            contact = np.minimum(
                smoothstep(np.abs(above), MOUTH_CONTACT_BAND * width + fall, MOUTH_CONTACT_BAND * width - fall),
                smoothstep(pts[:, 2], back - fall, back + fall),
            )
            ny = np.asarray(normals, dtype=np.float64)[:, 1]
            down = smoothstep(ny, -0.5 + NORMAL_LABEL_FALLOFF, -0.5 - NORMAL_LABEL_FALLOFF)
            up = smoothstep(ny, 0.5 - NORMAL_LABEL_FALLOFF, 0.5 + NORMAL_LABEL_FALLOFF)
            by_normal = down + (1.0 - down - up) * upper
            upper = contact * by_normal + (1.0 - contact) * upper
            hard_upper = np.where(
                (contact >= 0.5) & (ny < -0.5), True, np.where((contact >= 0.5) & (ny > 0.5), False, above >= 0)
            )
        else:
            hard_upper = above >= 0
        near = inside > 0
        choices[near, 0], choices[near, 1] = upper_label, lower_label
        shares[near, 0] = (inside * upper)[near]
        shares[near, 1] = (inside * (1.0 - upper))[near]
        shares[near, 2] = 1.0 - inside[near]
        labelled = inside >= 0.5
        hard[labelled & hard_upper] = upper_label
        hard[labelled & ~hard_upper] = lower_label
    return SoftLabels(hard, choices, shares)


def label_regions(points, landmarks, normals=None):
    """``(N,) int8`` region labels of ``points`` (``REGION_NONE`` outside the bands): the hard labels of
    :func:`label_shares` (same arguments)."""
    return label_shares(points, landmarks, normals).hard


def _template_labels(fit, template):
    """``(V,) int8`` :func:`label_regions` of the template, on its mean shape (``template.vertices``) with its
    landmarks there (found where ``fit.landmarks`` lie on ``fit.neutral``, a surface embedding that the identity
    modes carry along). The fitted identity would move a vertex near a lid's or the lips' mid-line across it now
    and then, and the transfer's allowed triangles with it: a label is the template's topology, not its shape."""
    on_neutral = MeshProximity.cached(fit.neutral, template.triangles).query(fit.landmarks)
    landmarks = interpolate_on_surface(
        template.vertices, template.triangles, on_neutral.triangle, on_neutral.barycentric
    )
    return label_regions(template.vertices, landmarks, vertex_normals(template.vertices, template.triangles))


def _inside_out(vertices, triangles, landmarks):
    """Whether a mesh's triangles wind inwards: its signed volume about the landmarks' centroid is negative
    (sum of ``(a - c) . ((b - c) x (d - c)) / 6`` over triangles; open heads still give the sign)."""
    c = np.asarray(landmarks, dtype=np.float64).mean(axis=0)
    a, b, d = (vertices[triangles[:, i]] - c for i in range(3))
    return float(np.einsum("ij,ij->", a, np.cross(b, d))) < 0.0


def _off_face(template, template_components, target_triangles, n_target, rows, triangle):
    """``(len(rows),) bool``: skin vertices ``rows`` of target loose parts that lie off the template's face
    (:data:`FACE_SHARE`; ``triangle``: their closest template triangles). The face region is the template's
    ``"face"`` part (ICT-FaceKit: vertices 0..9408, the front of the head from the hairline down to the chin) plus
    every template loose part apart from the one holding it; the target part with the most vertices on it is the
    target's face and always follows (a body welded to its neck stays still through the distance fade). A
    template without a ``"face"`` part judges nothing off the face."""
    span = template.parts.get("face") if template.parts else None
    if span is None or len(rows) == 0:
        return np.zeros(len(rows), dtype=bool)
    face = np.zeros(len(template.vertices), dtype=bool)
    face[slice(*span)] = True
    face |= ~np.isin(template_components, np.unique(template_components[face]))
    on_face = face[template.triangles[triangle]].any(axis=1)
    components = np.unique(connected_components(n_target, target_triangles)[rows], return_inverse=True)[1]
    components = components.reshape(-1)
    hits = np.bincount(components, weights=on_face, minlength=components.max() + 1)
    share = hits / np.bincount(components)
    off = share < FACE_SHARE
    off[np.argmax(hits)] = False
    return off[components]


class _FittedSurface:
    """The fitted template's surface for the transfer's closest-point queries: one
    :class:`~facemotion.core.geometry.MeshProximity` (structures per face mask built on first use) and one k-d tree
    of its vertices (``scipy.spatial.cKDTree``) for distance bounds; ``reach``: the least width of the blended closest
    points' band (:meth:`~facemotion.core.geometry.MeshProximity.blended`), in the fit's units."""

    #: nearest vertices looked through for the nearest one of a subset (:meth:`nearest_vertex_distance`)
    NEAR = 16
    #: from this many points on, a tree of the subset is cheaper than looking through the nearest of all
    MANY = 1000

    def __init__(self, fit, template, reach=0.0):
        self.vertices = fit.vertices
        self.reach = reach
        self.triangles = template.triangles
        self.proximity = MeshProximity.cached(fit.vertices, template.triangles)
        self.tree = cKDTree(fit.vertices)
        corners = fit.vertices[template.triangles]
        self.tri_lo = np.minimum(np.minimum(corners[:, 0], corners[:, 1]), corners[:, 2])
        self.tri_hi = np.maximum(np.maximum(corners[:, 0], corners[:, 1]), corners[:, 2])
        self._label_bits = None

    def label_bits(self, tri_labels):
        """``(F,) int64``: per triangle, bit ``k`` set where a corner has label ``k`` (``tri_labels (F, 3)``, the
        same for every call on one surface)."""
        if self._label_bits is None:
            self._label_bits = np.bitwise_or.reduce(np.left_shift(1, tri_labels.astype(np.int64)), axis=1)
        return self._label_bits

    def nearest_vertex_distance(self, points, vertex_mask):
        """``(N,)`` distance from each point to its nearest vertex among ``vertex_mask`` ``(V,) bool`` (exact: the
        first masked one among the :data:`NEAR` nearest of all vertices, else, and for more than :data:`MANY`
        points, a tree of the masked ones)."""
        if len(points) > self.MANY:
            return cKDTree(self.vertices[vertex_mask]).query(points, workers=-1)[0]
        dist, idx = self.tree.query(points, k=min(self.NEAR, len(self.vertices)), workers=-1)
        dist, idx = dist.reshape(len(points), -1), idx.reshape(len(points), -1)
        ok = vertex_mask[idx]
        found = ok.any(axis=1)
        out = np.where(found, dist[np.arange(len(points)), np.argmax(ok, axis=1)], np.inf)
        if not found.all():
            out[~found] = cKDTree(self.vertices[vertex_mask]).query(points[~found], workers=-1)[0]
        return out


def _closest_points(surface, points, labels, tri_labels, triangle_mask):
    """Closest points on the fitted template (``surface``, a :class:`_FittedSurface`; restricted to
    ``triangle_mask``), a labelled point never matching a triangle that has a vertex of the opposite label and none
    of its own (a triangle where the two labels meet belongs to both sides: on the template a lone vertex whose
    normal was too sideways to decide would otherwise leave no allowed triangle around it, and its twin on the
    target would take the other lip's motion). Returns ``(triangle, barycentric, distance)``.

    One query over all allowed triangles; only the labelled points whose closest triangle is forbidden to them are
    queried again without the forbidden triangles (a closest point that is allowed is also the closest allowed
    one, so the result is the same as a restricted query per label)."""
    n = len(points)
    base_idx = np.flatnonzero(triangle_mask)
    if len(base_idx) == 0:
        return np.zeros(n, dtype=np.int64), np.full((n, 3), 1.0 / 3.0), np.full(n, np.inf)
    hit = surface.proximity.query(points, allowed=triangle_mask)
    triangle = np.array(hit.triangle)
    bary = np.array(hit.barycentric, dtype=np.float64)
    distance = np.array(hit.distance, dtype=np.float64)
    base_labels = base_lo = base_hi = None
    found_labels = tri_labels[triangle]  # each label's rows are its own: later updates leave the others' as they are
    for label, opposite in OPPOSITE.items():
        rows = np.flatnonzero(
            (labels == label) & (found_labels == opposite).any(axis=1) & ~(found_labels == label).any(axis=1)
        )
        if len(rows) == 0:
            continue
        if base_labels is None:
            base_labels, base_lo, base_hi = tri_labels[base_idx], surface.tri_lo[base_idx], surface.tri_hi[base_idx]
        allowed = ~(base_labels == opposite).any(axis=1) | (base_labels == label).any(axis=1)
        if not allowed.any():
            distance[rows] = np.inf
            continue
        # Only allowed triangles that can hold the answer: the nearest allowed vertex bounds each point's distance
        # to its closest allowed triangle, so that triangle's box meets the points' box grown by the largest bound.
        vertex_mask = np.zeros(len(surface.vertices), dtype=bool)
        vertex_mask[surface.triangles[base_idx[allowed]]] = True
        reach = surface.nearest_vertex_distance(points[rows], vertex_mask).max()
        lo, hi = points[rows].min(axis=0) - reach, points[rows].max(axis=0) + reach
        near = (base_hi >= lo).all(axis=1) & (base_lo <= hi).all(axis=1)
        sub_mask = np.zeros(len(surface.triangles), dtype=bool)
        sub_mask[base_idx[allowed & near]] = True
        sub = surface.proximity.query(points[rows], allowed=sub_mask)
        triangle[rows] = sub.triangle
        bary[rows] = sub.barycentric
        distance[rows] = sub.distance
    return triangle, bary, distance


def _blended_closest_points(surface, points, labels, tri_labels, triangle_mask, hit, limit):
    """``(N, V) float64`` CSR: each point's correspondence on the fitted template (``surface``, a
    :class:`_FittedSurface`), as weights of template vertices (rows sum to 1; empty where no triangle is allowed):
    the blended closest points of :meth:`~facemotion.core.geometry.MeshProximity.blended` (every allowed
    triangle nearly as close as the closest one, or within ``surface.reach`` of it, shares in it, so a vertex
    between two folds, a lash between a lid and the template's lashes, or a lip corner where the template's lips
    touch, no longer jumps from one to the other on a rounding error) on ``triangle_mask``, labelled points never
    taking triangles of the opposite label and none of their own (:func:`_closest_points`). ``labels``:
    :class:`SoftLabels` (or hard ``(N,)`` labels): a point on a label's soft border takes the mix of its choices'
    correspondences by their shares. ``hit``: the closest points ``(triangle, barycentric, distance)`` found
    there for the hard labels; points farther than ``limit`` keep them."""
    labels = SoftLabels.of(labels)
    matrix = _blended_for_labels(surface, points, labels.hard, tri_labels, triangle_mask, hit, limit)
    own = labels.choices == labels.hard[:, None]
    mixed = np.flatnonzero(((labels.shares > 0) & ~own).any(axis=1))
    if len(mixed) == 0:
        return matrix
    # Points on a border: each choice's correspondence (its own closest points first), weighted by its share.
    shares = np.where(own, 0.0, labels.shares)[mixed]
    mix = sp.diags(np.where(own, labels.shares, 0.0)[mixed].sum(axis=1)) @ matrix[mixed]
    for k in range(labels.choices.shape[1]):
        rows = np.flatnonzero(shares[:, k] > 0)
        if len(rows) == 0:
            continue
        choice = labels.choices[mixed[rows], k]
        found = _closest_points(surface, points[mixed[rows]], choice, tri_labels, triangle_mask)
        part = _blended_for_labels(surface, points[mixed[rows]], choice, tri_labels, triangle_mask, found, limit)
        place = sp.csr_matrix((shares[rows, k], (rows, np.arange(len(rows)))), shape=(len(mixed), len(rows)))
        mix = mix + place @ part
    return _with_rows(matrix, mixed, mix)


def _blended_for_labels(surface, points, labels, tri_labels, triangle_mask, hit, limit):
    """:func:`_blended_closest_points` for hard ``labels (N,)``."""
    has = surface.label_bits(tri_labels)

    def allowed(point, triangle):
        own = labels[point].astype(np.int64)
        opposite = _OPPOSITE_OF[own]
        bits = has[triangle]
        return triangle_mask[triangle] & (
            (opposite < 0) | ((bits >> np.maximum(opposite, 0)) & 1 == 0) | ((bits >> own) & 1 == 1)
        )

    point, triangle, bary, weight = surface.proximity.blended(points, hit, limit, keep=allowed, reach=surface.reach)
    return sp.csr_matrix(
        ((bary * weight[:, None]).ravel(), (np.repeat(point, 3), surface.triangles[triangle].ravel())),
        shape=(len(points), len(surface.vertices)),
    )


#: The label a label must not match (-1: none), indexed by label (``REGION_*``).
_OPPOSITE_OF = np.array([OPPOSITE.get(k, -1) for k in range(7)], dtype=np.int64)


def _shared_distance(surface, points, labels, tri_labels, triangle_mask, distance):
    """``(N,) float64``: each point's distance to its closest point on the fitted template (``surface``, restricted to
    ``triangle_mask``) as its soft labels weigh it: ``distance (N,)``, found for the hard labels
    (:func:`_closest_points`), where the hard label holds the whole share, else the mix of each choice's own
    distance by its share (:class:`SoftLabels`), so a continuous function of the labels' borders: a point whose
    hard label flips at a share of one half does not change its distance at once."""
    labels = SoftLabels.of(labels)
    distance = np.array(distance, dtype=np.float64)
    own = labels.choices == labels.hard[:, None]
    mixed = np.flatnonzero(((labels.shares > 0) & ~own).any(axis=1))
    if len(mixed) == 0:
        return distance
    shares = labels.shares[mixed]
    mix = np.where(own[mixed], shares, 0.0).sum(axis=1) * distance[mixed]
    for k in range(labels.choices.shape[1]):
        rows = np.flatnonzero((shares[:, k] > 0) & ~own[mixed, k])
        if len(rows):
            choice = labels.choices[mixed[rows], k]
            found = _closest_points(surface, points[mixed[rows]], choice, tri_labels, triangle_mask)
            mix[rows] += shares[rows, k] * found[2]
    distance[mixed] = mix
    return distance


def _with_rows(matrix, rows, replacement):
    """``matrix (N, V)`` sparse with its rows ``rows (R,) int`` replaced by ``replacement (R, V)``'s."""
    keep = np.ones(matrix.shape[0])
    keep[rows] = 0.0
    place = sp.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))), shape=(matrix.shape[0], len(rows)))
    return (sp.diags(keep) @ matrix + place @ replacement).tocsr()


def _group_median(values, groups):
    """Median of ``values`` within each group id (``groups`` ints 0..G-1); returns ``(G,)``."""
    order = np.lexsort((values, groups))
    counts = np.bincount(groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return values[order][starts + counts // 2]


def transfer_expressions(
    fit,
    template,
    target_vertices,
    target_triangles,
    target_landmarks,
    *,
    parts=None,
    forced=None,
    full_distance=0.08,
    zero_distance=0.25,
    rigid_parts=True,
    progress=None,
):
    """Derive the template's 52 ARKit expressions on the target mesh.

    Args:
        fit: :class:`facemotion.core.rig.registration.TemplateFit` of ``template`` to the target.
        template: :class:`facemotion.core.rig.template.FaceTemplate` (deltas in template units/frame).
        target_vertices: ``(N, 3)`` target positions (the frame ``fit`` maps into).
        target_triangles: ``(M, 3) int`` (its connected components tell skin from inner parts).
        target_landmarks: ``(478, 3)`` the target's landmarks: each mesh's lips and lids are split along its own
            landmarks' mid-lines.
        parts: :class:`facemotion.core.rig.parts.FaceParts` of the target (classified from its loose parts and
            landmarks when None).
        forced: optional ``(N,) bool``: vertices whose role the caller chose; they are never left out as lying off
            the face (a loose skin part whose closest template points are mostly on the scalp or neck, not the
            face: :data:`FACE_SHARE`).
        full_distance, zero_distance: distances to the fitted template surface, as fractions of the inter-ocular
            distance, below which a skin vertex follows fully and beyond which it stays still (smoothstep between).
        rigid_parts: turn eyeballs, teeth and tongue (:func:`rigid_part_deltas`); False leaves their deltas 0 for a
            caller that rebuilds them anyway (:func:`facemotion.core.rig.autorig.rig_mesh`, after rescaling).
        progress: optional ``progress(fraction, message)`` (fraction 0..1 of the transfer; also a cancel point).

    Returns:
        :class:`ExpressionTransfer` (rigid parts have coverage 1, ignored ones 0; ``distance`` is 0 off the skin;
        ``parts``: ``parts`` with the skin parts found off the face moved to ``"ignored"``).

    Raises:
        InputError: empty target, template and fit disagree in vertex count, or ``parts`` does not match the target.
    """
    target = np.asarray(target_vertices, dtype=np.float64)
    if target.ndim != 2 or target.shape[1] != 3 or len(target) == 0:
        raise InputError(f"target mesh has no vertices (shape {target.shape})")
    if fit.vertices.shape != template.vertices.shape:
        raise InputError("template fit and template have different vertex counts")
    target_triangles = np.asarray(target_triangles, dtype=np.int64)
    landmarks = fit.landmarks
    iod = np.linalg.norm(landmarks[33] - landmarks[263]) * fit.scale  # outer eye corners, in target units

    report = progress or (lambda fraction, message: None)
    report(0.0, "finding eyes, teeth and tongue")
    if parts is None:
        parts = classify_parts(target, target_triangles, target_landmarks)
    roles = parts.roles
    if roles.shape != (len(target),):
        raise InputError(f"parts were classified for {len(roles)} vertices, the target has {len(target)}")
    template_roles, template_components, template_eye_parts = template_parts(fit, template)

    report(0.05, "labelling lips and lids")
    template_labels = _template_labels(fit, template)
    target_normals = vertex_normals(target, target_triangles) @ fit.rotation  # directions into the template frame
    if _inside_out(target, target_triangles, target_landmarks):
        target_normals = -target_normals
    target_labels = label_shares(fit.to_template_frame(target), fit.to_template_frame(target_landmarks), target_normals)
    tri_labels = template_labels[template.triangles]

    # Template deltas into the target frame: x_target = scale * R @ x_template + t, so d_target = scale * R @ d.
    linear = (fit.scale * fit.rotation).T.astype(np.float32)
    deltas = np.zeros((len(ARKIT_NAMES), len(target), 3), dtype=np.float32)
    coverage = np.zeros(len(target), dtype=np.float32)
    distance = np.zeros(len(target))
    rows = np.flatnonzero(roles == ROLE_SKIN)
    if len(rows):
        triangle, _, distance[rows], coverage[rows], blend = _skin_correspondence(
            fit,
            template,
            target,
            target_triangles,
            rows,
            target_labels[rows],
            tri_labels,
            template_roles,
            template_components,
            template_eye_parts,
            iod,
            full_distance,
            zero_distance,
            report,
        )
        # Loose parts lying on the template's head but not on its face (hair caps, hats, collars) stay still.
        off = _off_face(template, template_components, target_triangles, len(target), rows, triangle)
        if forced is not None:
            off &= ~np.asarray(forced, dtype=bool)[rows]
        if off.any():
            coverage[rows[off]] = 0.0
            parts = parts.with_ignored(rows[off], target)
            roles = parts.roles
        report(0.7, "transferring expressions")
        # All 52 shapes at once: the template's deltas, already in the target frame, read through each vertex's
        # blended correspondence (barycentric interpolation on the surface), scaled by its coverage.
        n_template = len(template.vertices)
        in_target = (template.deltas_by_vertex.reshape(-1, 3) @ linear).reshape(n_template, -1)
        moved = (sp.diags(coverage[rows].astype(np.float64)) @ blend) @ in_target
        deltas[:, rows] = moved.astype(np.float32).reshape(len(rows), -1, 3).transpose(1, 0, 2)

    report(0.9, "turning eyes and jaw")
    coverage[(roles != ROLE_SKIN) & (roles != ROLE_IGNORE)] = 1.0
    if rigid_parts:
        rigid_part_deltas(deltas, fit, template, target, parts, target_landmarks)
    empty = tuple(n for n, d in zip(ARKIT_NAMES, deltas) if not np.any(d))
    return ExpressionTransfer(
        deltas=deltas,
        names=ARKIT_NAMES,
        empty=empty,
        coverage=coverage,
        distance=distance,
        labels=target_labels.hard,
        parts=parts,
    )


def rigid_part_deltas(
    deltas, fit, template, target_vertices, parts, target_landmarks, *, gains=None, gaze=EYE_LOOK_DEGREES
):
    """Write the rigid parts' motion into ``deltas (52, N, 3) float32`` (in place; module docstring): eyeballs
    (eyeLook* rotations, zero elsewhere), upper teeth and ignored parts (zero), lower teeth and tongue (the
    template jaw's rigid motion), tongueOut when the target has a tongue.

    ``gains``: optional ``(52,)`` per-shape amplitude gains applied to the skin afterwards (e.g. by
    :func:`facemotion.core.rig.amplitude.normalise_amplitudes`): the jaw's rotation angle and shift are scaled by
    them, so the teeth still turn rigidly with the scaled chin instead of being stretched; eye rotations keep
    their documented angles. ``gaze``: the eyeballs' turn at weight 1.0, ``(horizontal, vertical)`` degrees
    (:data:`EYE_LOOK_DEGREES` by default; ``(0, 0)``: lids only, for rigs whose eyes are turned by bones or by
    ARKit's separate eye transforms).
    """
    target = np.asarray(target_vertices, dtype=np.float64)
    roles = parts.roles
    iod = np.linalg.norm(fit.landmarks[33] - fit.landmarks[263]) * fit.scale
    template_roles, template_components, _ = template_parts(fit, template)
    still = (
        (roles == ROLE_EYE)
        | (roles == ROLE_TEETH_UPPER)
        | (roles == ROLE_TEETH_LOWER)
        | (roles == ROLE_TONGUE)
        | (roles == ROLE_IGNORE)
    )
    deltas[:, still] = 0.0
    _eye_rotations(deltas, fit, target, parts, gaze)
    jaw = _jaw_motions(fit, template, template_roles, template_components, iod)
    lower = np.flatnonzero((roles == ROLE_TEETH_LOWER) | (roles == ROLE_TONGUE))
    for k, motion in jaw.items():
        if motion is not None and len(lower):
            deltas[k, lower] = _rigid_delta(motion, target[lower], 1.0 if gains is None else float(gains[k]))
    if np.any(roles == ROLE_TONGUE):
        k = ARKIT_INDEX["jawOpen"]
        gain = 1.0 if gains is None else float(gains[k])
        open_jaw = jaw.get(k)
        deltas[ARKIT_INDEX["tongueOut"]] = _tongue_out(deltas, open_jaw, gain, fit, target, roles, target_landmarks)
    return deltas


_TEMPLATE_PARTS = {}


def template_parts(fit, template):
    """The template's part roles ``(V,) int8`` (its eyeballs, teeth...: :func:`classify_parts` on its fitted
    neutral, ``fit.neutral`` / ``fit.landmarks`` in the template frame, like any target), loose-part labels
    ``(V,) int64`` and the labels of the loose parts around its eyes (within 2.5 eyeball radii: tear lines,
    occlusion shells, lashes); cached per template object (an identity changes no part)."""
    key = id(template)
    cached = _TEMPLATE_PARTS.get(key)
    if cached is None or cached[0] is not template:
        _TEMPLATE_PARTS.clear()
        parts = classify_parts(fit.neutral, template.triangles, fit.landmarks)
        labels = connected_components(len(template.vertices), template.triangles)
        # Loose parts around an eye (tear lines, occlusion shells, lashes: they follow the lids).
        near_eye = np.zeros(len(template.vertices), bool)
        for side, centre in parts.eye_centres.items():
            near_eye |= np.linalg.norm(fit.neutral - centre, axis=1) < 2.5 * parts.eye_radii[side]
        around_eyes = np.array([near_eye[labels == c].all() for c in range(labels.max() + 1)])
        cached = _TEMPLATE_PARTS[key] = (template, parts.roles, labels, np.flatnonzero(around_eyes))
    return cached[1:]


def _skin_correspondence(
    fit,
    template,
    target,
    target_triangles,
    rows,
    labels,
    tri_labels,
    template_roles,
    template_components,
    template_eye_parts,
    iod,
    full_distance,
    zero_distance,
    report,
):
    """Closest template points for the skin vertices ``rows``: ``(triangle, barycentric, distance, coverage,
    blend)``, ``blend`` the blended correspondence ``(R, V)`` sparse that the motion is read through
    (:func:`_blended_closest_points`; the closest triangle decides which template part a vertex lies on)."""
    points = target[rows]
    # Closest points on the template's skin, and on all its non-rigid parts (never its eyeballs, teeth or tongue).
    # A target vertex lying on the template's skin (within SKIN_SNAP inter-ocular distances, in a component that
    # lies on it as a whole) takes the skin's motion even where an inner part is as close: the closed eye patch of
    # a mask sits right on the template's eye. Vertices inside the head (mouth bag, tear lines) take the closest
    # non-rigid part of any kind.
    skin_triangles = template.skin[template.triangles].all(axis=1)
    soft_triangles = (template_roles[template.triangles] == ROLE_SKIN).all(axis=1)
    # One query over all of them; the points whose closest is an inner part are asked again for the skin only.
    report(0.1, "closest points on the template")
    surface = _FittedSurface(fit, template, reach=TRANSFER_REACH * iod)
    on_any = _closest_points(surface, points, labels.hard, tri_labels, soft_triangles)
    on_skin = tuple(np.array(a) for a in on_any)
    inner = np.flatnonzero(~skin_triangles[on_any[0]] | ~np.isfinite(on_any[2]))
    if len(inner):
        # The skin's closest point only matters within SKIN_SNAP (beyond, a vertex never takes the skin's motion
        # and only counts as "far" in its component's median): points whose nearest skin vertex is farther than
        # SKIN_SNAP plus the longest skin edge cannot be that close to the skin surface and keep a far distance.
        skin_tris = template.triangles[skin_triangles]
        corners = fit.vertices[skin_tris]
        longest = np.linalg.norm(corners - np.roll(corners, 1, axis=1), axis=2).max()
        skin_vertices = np.zeros(len(fit.vertices), dtype=bool)
        skin_vertices[skin_tris] = True
        lower_bound = surface.nearest_vertex_distance(points[inner], skin_vertices) - longest
        far = lower_bound > (1 + SKIN_SNAP_FALLOFF) * SKIN_SNAP * iod
        on_skin[2][inner[far]] = np.maximum(lower_bound[far], 2.0 * SKIN_SNAP * iod)
        inner = inner[~far]
    if len(inner):
        report(0.4, "closest points on the template's skin")
        again = _closest_points(surface, points[inner], labels.hard[inner], tri_labels, skin_triangles)
        for whole, part in zip(on_skin, again):
            whole[inner] = part
    components = connected_components(len(target), target_triangles)[rows]
    components = np.unique(components, return_inverse=True)[1].reshape(-1)
    near_skin = on_skin[2] < SKIN_SNAP * iod
    # Not facing the other way: the mouth bag and eye sockets behind the lips and lids face back into the head
    # (a lid margin, which curls, may still point well away from the template's lid there). The template's normal
    # at the closest point is interpolated: a face's would flip with the face a closest point on an edge takes. The
    # closest points decide only whether the target is inside out (the median over the whole skin).
    template_normals = vertex_normals(fit.vertices, template.triangles)
    own_normals = vertex_normals(target, target_triangles)[rows]
    agree = (own_normals * normals_at(template_normals, template.triangles, on_skin[0], on_skin[1])).sum(axis=1)
    facing = -1.0 if near_skin.any() and np.median(agree[near_skin]) < 0 else 1.0  # inside out: flip its normals
    # How much a vertex takes the skin's motion: weights falling smoothly across each limit (distance, its
    # component's median distance, normal agreement), so a vertex near one moves as little as the input moved it.
    # The agreement is read at the blended closest point on the skin (the closest one jumps across a fold).
    # The distance is the labels' shares' mix of each choice's own (:func:`_shared_distance`): the hard label's alone
    # jumped where a lid margin's share of the upper lid passed one half (its skin share 0.28 -> 0, issue 18).
    snap_near, snap_far = (1 - SKIN_SNAP_FALLOFF) * SKIN_SNAP * iod, (1 + SKIN_SNAP_FALLOFF) * SKIN_SNAP * iod
    skin_distance = _shared_distance(surface, points, labels, tri_labels, skin_triangles, on_skin[2])
    skin_share = (
        smoothstep(skin_distance, snap_far, snap_near)
        * smoothstep(_group_median(skin_distance, components), snap_far, snap_near)[components]
    )
    report(0.5, "blending closest points")
    ask = np.flatnonzero(skin_share > 0)
    on_skin_blend = _blended_closest_points(
        surface, points[ask], labels[ask], tri_labels, skin_triangles, tuple(a[ask] for a in on_skin), snap_far
    )
    blended_agree = (own_normals[ask] * (on_skin_blend @ template_normals)).sum(axis=1)
    skin_share[ask] *= smoothstep(facing * blended_agree, -0.7 - AGREE_FALLOFF, -0.7 + AGREE_FALLOFF)
    use_skin = skin_share >= 0.5  # the part a vertex lies on, for the decisions per loose part below
    triangle, bary = (
        np.where(use_skin[:, None] if a.ndim == 2 else use_skin, a, b) for a, b in zip(on_skin[:2], on_any[:2])
    )
    # An inner loose part of the target follows one loose part of the template: the one most of it lies on (gums
    # vertices that the fit left nearer the template's mouth bag than its gums would smile with the lips).
    tri_part = template_components[template.triangles[:, 0]]
    pairs, counts = np.unique(np.stack([components, tri_part[triangle]], axis=1), axis=0, return_counts=True)
    best = {}
    for (c, t), n in zip(pairs, counts):
        if n > best.get(c, (None, 0))[1]:
            best[c] = (t, n)
    majority = np.array([best[c][0] for c in range(components.max() + 1)])[components]
    on_majority = _MajorityPart(
        surface,
        points,
        labels,
        tri_labels,
        soft_triangles,
        template_components,
        majority,
        template_eye_parts,
        zero_distance * iod,
    )
    # The motion is read through blended closest points, on the skin alone for the skin's share (the skin's only
    # matter within SKIN_SNAP, the others' within zero_distance: coverage fades to 0 there), each kept on the
    # vertex's part. Each share's own correspondence, weighted by it: a vertex whose share crosses one half (where
    # the part it lies on is decided) moves as little as the share did.
    skin_blend, skin_hit = on_majority(ask, on_skin_blend, tuple(a[ask] for a in on_skin))
    blend = _with_rows(sp.csr_matrix((len(rows), len(fit.vertices))), ask, sp.diags(skin_share[ask]) @ skin_blend)
    distance = np.zeros(len(rows))
    distance[ask] = skin_share[ask] * skin_hit[2]
    triangle[ask[use_skin[ask]]], bary[ask[use_skin[ask]]] = (a[use_skin[ask]] for a in skin_hit[:2])
    ask = np.flatnonzero(skin_share < 1)
    # A vertex whose loose part follows an inner part of the template's mouth reads it through the wider band.
    skin_parts = np.unique(template_components[template.skin])
    inner_part = ~np.isin(majority[ask], skin_parts) & ~np.isin(majority[ask], template_eye_parts)
    wide = copy.copy(surface)
    wide.reach = INNER_TRANSFER_REACH * iod
    any_blend = sp.csr_matrix((len(ask), len(fit.vertices)))
    any_hit = tuple(np.array(a[ask]) for a in on_any)
    for group, group_surface in ((np.flatnonzero(~inner_part), surface), (np.flatnonzero(inner_part), wide)):
        if len(group) == 0:
            continue
        rows_hit = tuple(a[ask[group]] for a in on_any)
        on_any_blend = _blended_closest_points(
            group_surface,
            points[ask[group]],
            labels[ask[group]],
            tri_labels,
            soft_triangles,
            rows_hit,
            zero_distance * iod,
        )
        group_blend, group_hit = on_majority(ask[group], on_any_blend, rows_hit, group_surface)
        any_blend = _with_rows(any_blend, group, group_blend)
        for whole, part in zip(any_hit, group_hit):
            whole[group] = part
    blend = blend + _with_rows(sp.csr_matrix(blend.shape), ask, sp.diags(1 - skin_share[ask]) @ any_blend)
    distance[ask] += (1 - skin_share[ask]) * any_hit[2]
    triangle[ask[~use_skin[ask]]], bary[ask[~use_skin[ask]]] = (a[~use_skin[ask]] for a in any_hit[:2])
    r = distance / max(iod, 1e-12)
    s = np.clip((zero_distance - r) / (zero_distance - full_distance), 0.0, 1.0)
    return triangle, bary, distance, (s * s * (3 - 2 * s)).astype(np.float32), blend.tocsr()


class _MajorityPart:
    """Keeps correspondences on the template part a target vertex's loose part follows (``majority (R,)``, per
    skin vertex ``rows`` of :func:`_skin_correspondence`) or on the parts around the eyes (``eye_parts``: the lid
    margins of the skin's own part may follow its tear lines, which move with the lids): a blend would otherwise
    reach across to the part a vertex at their junction lies on equally, and drop it again when a rounding error
    made that part the closest. A vertex whose closest point lies on another part is matched on its part again
    (within ``limit``); with no such part within reach it keeps what it found."""

    def __init__(self, surface, points, labels, tri_labels, soft_triangles, components, majority, eye_parts, limit):
        self.surface, self.points, self.labels, self.tri_labels = surface, points, labels, tri_labels
        self.soft_triangles, self.majority, self.eye_parts, self.limit = soft_triangles, majority, eye_parts, limit
        self.components = components  # (V,) the template's loose part of each vertex
        self.tri_part = components[surface.triangles[:, 0]]

    def __call__(self, ask, blend, hit, surface=None):
        """``(blend, hit)``: the rows ``ask (K,)``'s ``blend (K, V)`` and closest points ``hit (triangle, barycentric,
        distance)`` kept on their parts (blended again on ``surface``, default the one it was made with)."""
        surface = surface or self.surface
        majority = self.majority[ask]
        triangle, bary, distance = (np.array(a) for a in hit)
        coo = blend.tocoo()
        column_part = self.components[coo.col]
        keep = (column_part == majority[coo.row]) | np.isin(column_part, self.eye_parts)
        total = np.bincount(coo.row[keep], weights=coo.data[keep], minlength=len(ask))
        kept = sp.csr_matrix(
            (coo.data[keep] / np.where(total > 0, total, 1.0)[coo.row[keep]], (coo.row[keep], coo.col[keep])),
            shape=blend.shape,
        )
        hit_part = self.tri_part[triangle]
        odd_hit = (hit_part != majority) & ~np.isin(hit_part, self.eye_parts)
        blend = blend.tocsr()
        for t in np.unique(majority[odd_hit]):
            odd = np.flatnonzero(odd_hit & (majority == t))
            on_part = self.soft_triangles & (self.tri_part == t)
            points, labels = self.points[ask[odd]], self.labels[ask[odd]]
            again = _closest_points(surface, points, labels.hard, self.tri_labels, on_part)
            ok = np.isfinite(again[2])
            triangle[odd[ok]], bary[odd[ok]], distance[odd[ok]] = again[0][ok], again[1][ok], again[2][ok]
            again_blend = _blended_closest_points(surface, points, labels, self.tri_labels, on_part, again, self.limit)
            kept = _with_rows(kept, odd[ok], again_blend[np.flatnonzero(ok)])
            kept = _with_rows(kept, odd[~ok], blend[odd[~ok]])
        return kept, (triangle, bary, distance)


def _eye_rotations(deltas, fit, target, parts, gaze):
    """Write the eyeLook* rotations of each eyeball (module docstring; ``gaze``: (horizontal, vertical) degrees)
    into ``deltas`` (in place)."""
    for name, (side, _, _) in EYE_LOOK.items():
        part = parts.part(f"eye_{side}")
        if part is None:
            continue
        rotation = eye_look_rotation(fit.rotation, name, gaze)
        rel = target[part.vertices] - part.centre
        deltas[ARKIT_INDEX[name], part.vertices] = (rel @ rotation.T - rel).astype(np.float32)


def eye_look_rotation(frame_rotation, name, gaze=EYE_LOOK_DEGREES):
    """``(3, 3) float64`` rotation of an eyeball for the eyeLook* shape ``name`` at weight 1.0 (see
    :data:`EYE_LOOK`; ``gaze``: (horizontal, vertical) degrees, :data:`EYE_LOOK_DEGREES` by default), in the frame
    whose axes are the template's rotated by ``frame_rotation (3, 3)`` (a fit's ``rotation``)."""
    side, axis, sign = EYE_LOOK[name]
    degrees = gaze[0] if axis == 1 else gaze[1]
    direction = np.asarray(frame_rotation, dtype=np.float64)[:, axis]
    return Rotation.from_rotvec(direction * np.radians(sign * degrees)).as_matrix()


def _jaw_motions(fit, template, template_roles, labels, iod):
    """Per ARKit index, the rigid motion ``(rotation (3, 3), centre (3,), shift (3,))`` of the template's lower
    jaw in the target frame (``x -> rotation @ (x - centre) + centre + shift``), or None where the jaw stays."""
    lower = np.flatnonzero(template_roles == ROLE_TEETH_LOWER)
    # Fit on the parts that are lower teeth as a whole: a gums-and-tongue mesh split across the jaws deforms.
    split = np.unique(labels[template_roles == ROLE_TEETH_UPPER])
    whole = lower[~np.isin(labels[lower], split)]
    if len(whole) >= 3:
        lower = whole
    shapes = range(len(ARKIT_NAMES))
    if len(lower) < 3:  # no template teeth: its chin, for the jaw shapes only
        near = np.linalg.norm(fit.neutral - fit.landmarks[152], axis=1) < CHIN_RADIUS * iod / fit.scale
        lower = np.flatnonzero(near & template.skin)
        shapes = [ARKIT_INDEX[n] for n in JAW_SHAPES]
    motions = {}
    if len(lower) < 3:
        return motions
    linear = fit.scale * fit.rotation
    src = fit.vertices[lower]
    still = 1e-6 * iod
    for k in shapes:
        moved = template.deltas[k][lower].astype(np.float64) @ linear.T
        if np.abs(moved).max() <= still:
            motions[k] = None
            continue
        _, rotation, _ = similarity_transform(src, src + moved, with_scale=False)
        centre = src.mean(axis=0)
        motions[k] = (rotation, centre, moved.mean(axis=0))
    return motions


def _rigid_delta(motion, points, amount):
    """``(K, 3) float32`` displacement of ``points`` under ``amount`` (0..1) of a jaw motion (rotation scaled by
    angle about the same axis, shift linearly)."""
    rotation, centre, shift = motion
    if amount != 1.0:
        rotation = Rotation.from_rotvec(Rotation.from_matrix(rotation).as_rotvec() * amount).as_matrix()
    rel = points - centre
    return (rel @ rotation.T - rel + amount * shift).astype(np.float32)


def _tongue_out(deltas, jaw_open, gain, fit, target, roles, target_landmarks):
    """tongueOut deltas ``(N, 3) float32`` (module docstring): the jaw partly open, the tongue slid out
    (``gain``: the jawOpen amplitude gain the skin's jawOpen already carries)."""
    out = deltas[ARKIT_INDEX["jawOpen"]] * TONGUE_OUT_JAW
    lower = (roles == ROLE_TEETH_LOWER) | (roles == ROLE_TONGUE)
    if jaw_open is not None:
        out[lower] = _rigid_delta(jaw_open, target[lower], TONGUE_OUT_JAW * gain)
    out[roles == ROLE_TEETH_UPPER] = 0.0
    tongue = np.flatnonzero(roles == ROLE_TONGUE)
    origin, axes, _ = face_frame(target_landmarks)
    forward = axes[2]
    lm = np.asarray(target_landmarks, dtype=np.float64)
    width = np.linalg.norm(lm[291] - lm[61])
    lip_front = max(lm[0] @ forward, lm[17] @ forward)
    tip = ((target[tongue] + out[tongue]) @ forward).max()
    reach = max(lip_front + TONGUE_OUT_REACH * width - tip, 0.0)
    out[tongue] += (reach * forward).astype(np.float32)
    return out
