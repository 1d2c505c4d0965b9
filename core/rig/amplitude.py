# SPDX-License-Identifier: GPL-3.0-or-later
"""Expression amplitude relative to each head's own features: the same ARKit weight reads as the same amount on
any head.

Why
---
Transfer (:mod:`.transfer`) copies the template's displacements scaled by one global similarity, so a brow raise
keeps the template's length in inter-ocular units. Faces differ in proportion: on a head whose brows sit higher
above the eyes, whose mouth is wider or whose lower face is longer than the template's, the same displacement is a
smaller part of the feature it moves, and the expression reads weaker; where the fit lies loosely on a coarse mesh
the transfer's fade can shrink it further. FACS scores intensity (A-E) from how far an AU's appearance changes have
gone on that person's face, compared with the same person's neutral face, not from absolute distances (Ekman,
Friesen & Hager, *Facial Action Coding System*, 2002 manual, the intensity criteria of each AU), and
[ECAvatar 2024] treats intensity as a label per category (levels 1-3) independent of the identity it is shown on.
So an ARKit weight should move each feature by the same share of that feature's own size on every head.

Method
------
For each managed shape (:data:`SHAPE_REGIONS`: lids, brows, mouth, nose, jaw) and each head (template and target):

1. the travel of the landmarks the shape moves most *on the template* (those within :data:`MEASURE_SHARE` of its
   largest landmark travel: the template itself says where each shape acts) is read from the deltas at the 468
   MediaPipe mesh landmarks, barycentrically on the skin surface (:func:`landmark_travel`): on the template at
   its landmarks' closest skin points, on the target at the skin points closest to where the fit put those;
2. that travel is divided by the region's feature size on the same head, at the same points
   (:func:`feature_sizes`; heights along the face's up axis, widths along its eye line): brow height above the
   upper lid for the brows, the rest lid opening for the lids, mouth width for the mouth, nose size for the
   sneer, nose-base-to-chin height for the jaw;
3. the gain ``template ratio / target ratio``, once it is beyond :data:`TOLERANCE` (the spread of human faces,
   where ICT's own data keeps expressions identity-independent; only the excess is corrected), is clamped to
   :data:`GAIN_LIMITS` and multiplies the shape's deltas (:func:`normalise_amplitudes`).

The gain scales a whole shape uniformly: for a linear shape key that is the same as driving it at a different
weight, so it adds no deformation of its own (no seam at a region border) and only the amount changes; the rig
then rebuilds eyeballs and teeth as rigid motions from the gains (:func:`facemotion.core.rig.autorig.rig_mesh`:
the jaw turns by the gain). On the template itself, and on heads within the human range, every gain is 1.
``mouthClose`` (defined against ``jawOpen``, to close the lips over an open jaw) takes ``jawOpen``'s gain;
``eyeLook*`` (eyeball rotations by fixed angles), ``cheekPuff``, ``cheekSquint`` and ``tongueOut`` are left alone.
"""

from dataclasses import dataclass

import numpy as np

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..detect import mediapipe_topology as mp
from ..errors import InputError
from ..geometry import closest_point_on_triangle, connected_components, interpolate_on_surface

__all__ = [
    "GAIN_LIMITS",
    "MEASURE_SHARE",
    "SHAPE_REGIONS",
    "TOLERANCE",
    "AmplitudeNormalisation",
    "face_axes",
    "feature_sizes",
    "landmark_travel",
    "measure_sets",
    "normalise_amplitudes",
    "relative_amplitudes",
    "skin_embedding",
]

#: Lowest and highest gain applied to a shape (a head can differ from the template, but a gain far outside this
#: range means the measurement is not to be trusted: a shape the transfer barely reached, a degenerate feature).
GAIN_LIMITS = (0.7, 1.6)
#: Relative amplitudes within this factor of the template's (1/1.2 .. 1.2) are left as they are; beyond it only the
#: excess is corrected. Why: ICT-FaceKit's own data keeps expression displacements identical across its human
#: identities (each identity plays the same deltas), and its remeshed identities, whose ground truth are those
#: deltas, differ from the template's relative amplitudes by up to ~20 % (brow height above the lids); correcting
#: that raised the strict transfer error there from 0.099 / 0.089 to 0.118 / 0.114 (tools/rig_accuracy.py). Heads
#: outside the human range (warped, stylised, a mask, a caricature) are what the step is for.
TOLERANCE = 0.2
#: A shape is measured on the landmarks whose template travel is at least this share of its largest one.
MEASURE_SHARE = 0.5


def _sides(base, region):
    return {base + "Left": (region, "left"), base + "Right": (region, "right")}


#: ARKit name -> (region, side) of the feature its amplitude is measured against; side "both" for a bilateral
#: feature (the mean of the two sides, or the whole mouth / nose / jaw).
SHAPE_REGIONS = {
    **_sides("eyeBlink", "lid"),
    **_sides("eyeSquint", "lid"),
    **_sides("eyeWide", "lid"),
    **_sides("browDown", "brow"),
    **_sides("browOuterUp", "brow"),
    "browInnerUp": ("brow", "both"),
    **{
        name: ("mouth", "both")
        for name in (
            "mouthSmileLeft",
            "mouthSmileRight",
            "mouthFrownLeft",
            "mouthFrownRight",
            "mouthDimpleLeft",
            "mouthDimpleRight",
            "mouthStretchLeft",
            "mouthStretchRight",
            "mouthPressLeft",
            "mouthPressRight",
            "mouthUpperUpLeft",
            "mouthUpperUpRight",
            "mouthLowerDownLeft",
            "mouthLowerDownRight",
            "mouthLeft",
            "mouthRight",
            "mouthPucker",
            "mouthFunnel",
            "mouthRollLower",
            "mouthRollUpper",
            "mouthShrugLower",
            "mouthShrugUpper",
        )
    },
    "noseSneerLeft": ("nose", "both"),
    "noseSneerRight": ("nose", "both"),
    **{name: ("jaw", "both") for name in ("jawOpen", "jawForward", "jawLeft", "jawRight")},
}
#: Shapes that take another shape's gain (mouthClose closes the lips over jawOpen's jaw: scaled together).
TIED_SHAPES = {"mouthClose": "jawOpen"}

#: MediaPipe landmarks of the features (subject's sides; see :mod:`facemotion.core.detect.mediapipe_topology`).
_BROW = {
    "left": mp.LEFT_EYEBROW_UPPER + mp.LEFT_EYEBROW_LOWER,
    "right": mp.RIGHT_EYEBROW_UPPER + mp.RIGHT_EYEBROW_LOWER,
}
_UPPER_LID = {"left": mp.LEFT_EYE_UPPER_LID, "right": mp.RIGHT_EYE_UPPER_LID}
_LOWER_LID = {"left": mp.LEFT_EYE_LOWER_LID, "right": mp.RIGHT_EYE_LOWER_LID}
#: Nose bridge between the eyes and the nose's base above the upper lip (canonical face model).
_NOSE_BRIDGE, _NOSE_BASE = 168, 2
#: A lid opening counts at least this share of the eye's width (a sculpt with closed or slit eyes has ~0 opening).
_MIN_OPENING = 0.15


def face_axes(landmarks):
    """``(right_to_left (3,), up (3,))`` unit axes of a face from its landmarks: the outer eye corners' line
    (subject's right to left) and the chin-to-forehead direction made orthogonal to it."""
    lm = np.asarray(landmarks, dtype=np.float64)
    across = lm[mp.LEFT_EYE_OUTER_CORNER] - lm[mp.RIGHT_EYE_OUTER_CORNER]
    across /= max(np.linalg.norm(across), 1e-300)
    up = lm[mp.FOREHEAD_TOP] - lm[mp.CHIN]
    up -= across * (up @ across)
    return across, up / max(np.linalg.norm(up), 1e-300)


def feature_sizes(landmarks):
    """Size of each region's feature on one head, in the head's own units.

    Heights are measured along the face's up axis and widths along its eye line (:func:`face_axes`), so a head
    made wider does not get taller brows.

    Args:
        landmarks: ``(478, 3)`` (or ``(468, 3)``) MediaPipe landmarks on the head at rest (or their closest
            skin points, :func:`skin_embedding`).

    Returns:
        dict ``(region, side) -> float``: ``("brow", side)`` height of the brow's centroid (upper and lower
        contours) above the upper lid's; ``("lid", side)`` the rest opening, mean height of the 7 inner point pairs
        of the upper and lower lid contours (at least :data:`_MIN_OPENING` of the eye's width);
        ``("mouth", "both")`` mouth width (corner to corner); ``("nose", "both")`` geometric mean of the nose's
        width (ala to ala) and length (bridge to base); ``("jaw", "both")`` height of the nose base above the chin.
        ``(region, "both")`` of the brows and lids is the mean of the two sides.

    Raises:
        InputError: fewer than 468 landmarks or non-finite values.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.ndim != 2 or lm.shape[0] < mp.NUM_MESH_LANDMARKS or lm.shape[1] != 3 or not np.isfinite(lm).all():
        raise InputError(f"amplitude: landmarks must be a finite (478, 3) array, got shape {lm.shape}")
    across, up = face_axes(lm)

    def height(a, b):
        return float(np.abs((lm[a] - lm[b]) @ up).mean())

    def width(a, b):
        return float(np.abs((lm[a] - lm[b]) @ across).mean())

    sizes = {}
    for side in ("left", "right"):
        sizes["brow", side] = float(abs((lm[list(_BROW[side])].mean(0) - lm[list(_UPPER_LID[side])].mean(0)) @ up))
        upper, lower = np.array(_UPPER_LID[side]), np.array(_LOWER_LID[side])
        sizes["lid", side] = max(height(upper[1:-1], lower[1:-1]), _MIN_OPENING * width(upper[0], upper[-1]))
    for region in ("brow", "lid"):
        sizes[region, "both"] = 0.5 * (sizes[region, "left"] + sizes[region, "right"])
    sizes["mouth", "both"] = width(mp.MOUTH_CORNER_LEFT, mp.MOUTH_CORNER_RIGHT)
    sizes["nose", "both"] = float(
        np.sqrt(width(mp.NOSE_ALA_LEFT, mp.NOSE_ALA_RIGHT) * height(_NOSE_BRIDGE, _NOSE_BASE))
    )
    sizes["jaw", "both"] = height(_NOSE_BASE, mp.CHIN)
    return sizes


def skin_embedding(vertices, triangles, landmarks, vertex_mask=None):
    """Where the 468 mesh landmarks lie on the head's skin: ``(triangle (468,) int64, barycentric (468, 3))``.

    The closest point on the skin surface to each landmark. The skin: the triangles whose three vertices are in
    ``vertex_mask`` (default all), and of those the connected component most landmarks are nearest to (eyeballs,
    teeth, lashes are loose parts in most meshes, and a lid landmark must read the lid, not the eyeball under it or
    the lashes before it). Landmarks of a mesh without eyeballs that fall into the eye opening take the nearest lid
    point.

    Args:
        vertices: ``(N, 3)`` float; triangles: ``(M, 3)`` int; landmarks: ``(478, 3)``;
        vertex_mask: optional ``(N,) bool`` skin vertices.

    Raises:
        InputError: no triangle on the skin.
    """
    from scipy.spatial import cKDTree

    v = np.asarray(vertices, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    points = np.asarray(landmarks, dtype=np.float64)[: mp.NUM_MESH_LANDMARKS]
    mask = np.ones(len(v), bool) if vertex_mask is None else np.asarray(vertex_mask, dtype=bool)
    skin = np.flatnonzero(mask[t].all(axis=1))
    if len(skin) == 0:
        raise InputError("amplitude: the mesh has no skin triangles to measure expressions on")
    # Within the skin, the connected component nearest to most landmarks: lashes or a brow mesh counted as skin
    # are loose parts in front of the lids and move more than the lid itself.
    labels = connected_components(len(v), t[skin])
    used = np.flatnonzero(np.bincount(t[skin].ravel(), minlength=len(v)))
    nearest = used[cKDTree(v[used]).query(points)[1]]
    main = labels == np.bincount(labels[nearest]).argmax()
    skin = skin[main[t[skin]].all(axis=1)]
    triangle, barycentric = _nearby_closest_points(v, t[skin], points)
    return skin[triangle], barycentric


#: Nearest vertices whose triangles are searched for a point's closest surface point (:func:`_nearby_closest_points`).
_NEAR_VERTICES = 12


def _nearby_closest_points(vertices, triangles, points, k=_NEAR_VERTICES):
    """``(triangle (P,) int64, barycentric (P, 3))``: each point's closest point among the triangles around its
    ``k`` nearest vertices (Ericson's closest point on a triangle, :func:`closest_point_on_triangle`). For the 468
    landmarks, which lie on or near the surface, this is the exact closest point up to rare ties, at a fraction of
    the cost of a whole-mesh query structure (:class:`MeshProximity`: a hierarchy over every triangle)."""
    from scipy.sparse import csr_matrix
    from scipy.spatial import cKDTree

    used = np.flatnonzero(np.bincount(triangles.ravel(), minlength=len(vertices)))
    k = min(k, len(used))
    nearest = used[np.asarray(cKDTree(vertices[used]).query(points, k)[1]).reshape(len(points), k)]
    corner_of = np.repeat(np.arange(len(triangles)), 3)
    incidence = csr_matrix(
        (np.ones(triangles.size, bool), (triangles.ravel(), corner_of)), shape=(len(vertices), len(triangles))
    )
    rows = incidence[nearest.ravel()].tocoo()
    key = np.unique((rows.row // k).astype(np.int64) * len(triangles) + rows.col)  # (point, triangle) pairs, once
    pairs = np.stack([key // len(triangles), key % len(triangles)], axis=1)
    corners = vertices[triangles[pairs[:, 1]]]
    bary, closest = closest_point_on_triangle(points[pairs[:, 0]], corners[:, 0], corners[:, 1], corners[:, 2])
    d2 = ((closest - points[pairs[:, 0]]) ** 2).sum(axis=1)
    order = np.lexsort((d2, pairs[:, 0]))
    first = order[np.r_[0, np.flatnonzero(np.diff(pairs[order, 0])) + 1]]
    return pairs[first, 1], bary[first]


def landmark_travel(deltas, triangles, embedding):
    """``(S, 468) float64`` length of each shape's displacement at each mesh landmark (the deltas' units).

    Args:
        deltas: ``(S, N, 3)`` per-shape vertex displacements; triangles: ``(M, 3)`` int;
        embedding: ``(triangle (468,), barycentric (468, 3))`` from :func:`skin_embedding`.
    """
    d = np.asarray(deltas)
    at = interpolate_on_surface(d.transpose(1, 0, 2), triangles, embedding[0], embedding[1])  # (468, S, 3)
    return np.linalg.norm(at, axis=2).T


def measure_sets(template_travel, share=MEASURE_SHARE):
    """``{ARKit index: (K,) int64 landmark indices}``: for each shape of :data:`SHAPE_REGIONS`, the landmarks it
    moves by at least ``share`` of its largest landmark travel on the template (``template_travel (52, 468)``
    from :func:`landmark_travel`); shapes that do not move any landmark are left out."""
    sets = {}
    for name in SHAPE_REGIONS:
        k = ARKIT_INDEX[name]
        peak = template_travel[k].max()
        if peak > 0:
            sets[k] = np.flatnonzero(template_travel[k] >= share * peak)
    return sets


def relative_amplitudes(travel, sizes, sets):
    """``(52,) float64`` each measured shape's mean travel over its landmark set divided by its region's feature
    size (:func:`feature_sizes`); NaN for shapes not measured. Unitless: comparable across heads and units."""
    out = np.full(len(ARKIT_NAMES), np.nan)
    for k, idx in sets.items():
        size = sizes[SHAPE_REGIONS[ARKIT_NAMES[k]]]
        if size > 0:
            out[k] = float(travel[k, idx].mean()) / size
    return out


#: The template side of :func:`normalise_amplitudes` (the same for every target), per template and landmark set.
_TEMPLATE_CACHE = {}


def _template_side(template, template_landmarks):
    """``(embedding, measure sets, relative amplitudes (52,))`` of the template, cached: the template's landmarks
    on its skin, where each shape is measured, and how much it moves there."""
    tri, bary = (np.asarray(a) for a in template_landmarks)
    key = (id(template.vertices), id(template.deltas), len(template.vertices), tri.tobytes(), bary.tobytes())
    if key not in _TEMPLATE_CACHE:
        points = interpolate_on_surface(template.vertices, template.triangles, tri, bary)
        emb = skin_embedding(template.vertices, template.triangles, points, template.skin)
        travel = landmark_travel(template.deltas, template.triangles, emb)
        sets = measure_sets(travel)
        rel = relative_amplitudes(travel, feature_sizes(_points(template.vertices, template.triangles, emb)), sets)
        _TEMPLATE_CACHE.clear()  # one template at a time: never grows
        # The arrays are kept with the result, so their ids cannot be reused by other arrays while cached.
        _TEMPLATE_CACHE[key] = (emb, sets, rel, template.vertices, template.deltas)
    return _TEMPLATE_CACHE[key][:3]


def _points(vertices, triangles, embedding):
    """``(468, 3)`` positions of an embedding (:func:`skin_embedding`) on the mesh."""
    return interpolate_on_surface(np.asarray(vertices, dtype=np.float64), triangles, *embedding)


@dataclass
class AmplitudeNormalisation:
    """Result of :func:`normalise_amplitudes`.

    Attributes:
        deltas: ``(52, N, 3) float32`` the target's deltas, each shape multiplied by its gain.
        gains: ``(52,) float64`` the gain of each shape (1 for shapes left alone or not measurable).
        target: ``(52,) float64`` relative amplitude of each shape on the target before the gain (NaN: not measured).
        template: ``(52,) float64`` the same on the template: what the gain aims at.
    """

    deltas: np.ndarray
    gains: np.ndarray
    target: np.ndarray
    template: np.ndarray

    def summary(self, threshold=0.05):
        """One line: the shapes whose gain differs from 1 by more than ``threshold``."""
        changed = [f"{n} x{g:.2f}" for n, g in zip(ARKIT_NAMES, self.gains) if abs(g - 1.0) > threshold]
        return "amplitudes as on the template" if not changed else "amplitudes: " + ", ".join(changed)


def normalise_amplitudes(
    deltas,
    vertices,
    triangles,
    template,
    template_landmarks,
    fitted_template,
    *,
    vertex_mask=None,
    limits=GAIN_LIMITS,
    tolerance=TOLERANCE,
):
    """Rescale each shape so it moves its feature by the same share of the feature's size as on the template.

    Args:
        deltas: ``(52, N, 3)`` the target's transferred ARKit deltas (target units).
        vertices: ``(N, 3)`` target rest positions; triangles: ``(M, 3)`` int.
        template: :class:`facemotion.core.rig.template.FaceTemplate` the deltas came from.
        template_landmarks: where the landmarks lie on the template's neutral: ``(triangle (478,) int,
            barycentric (478, 3))`` (:func:`facemotion.core.rig.autorig.template_landmarks`'s first two arrays).
        fitted_template: ``(V, 3)`` the template's vertices fitted onto the target, in the target's frame
            (:attr:`facemotion.core.rig.registration.TemplateFit.vertices`).
        vertex_mask: optional ``(N,) bool`` the target's skin (see :func:`skin_embedding`).
        limits: ``(low, high)`` gain clamp (:data:`GAIN_LIMITS`).
        tolerance: relative amplitudes within a factor ``1 + tolerance`` of the template's are kept; beyond,
            the gain brings them to that factor (:data:`TOLERANCE`; 0: exactly the template's).

    Returns:
        :class:`AmplitudeNormalisation`.

    Raises:
        InputError: shapes disagree, no skin triangle.

    Method: module docstring (FACS intensity relative to the face's own features). Both heads are measured at
    corresponding points: the template's landmarks on its skin, and on the target the skin points closest to
    where the fit put them. The target's own detected landmarks are not used for this: a lid landmark sits on an
    eyeball or inside an eye opening, millimetres off the lid and by a different amount on each head, which
    made lid openings (and brow heights above them) differ by 20-30 % between a head and a warped copy of it.
    """
    d = np.asarray(deltas, dtype=np.float32)
    if d.ndim != 3 or d.shape[0] != len(ARKIT_NAMES) or d.shape[1] != len(vertices) or d.shape[2] != 3:
        raise InputError(f"amplitude: deltas must be (52, {len(vertices)}, 3), got {d.shape}")
    fitted = np.asarray(fitted_template, dtype=np.float64)
    if fitted.shape != np.shape(template.vertices):
        raise InputError(f"amplitude: fitted template must be {np.shape(template.vertices)}, got {fitted.shape}")
    t_emb, sets, t_rel = _template_side(template, template_landmarks)
    emb = skin_embedding(vertices, triangles, _points(fitted, template.triangles, t_emb), vertex_mask)
    rel = relative_amplitudes(
        landmark_travel(d, triangles, emb), feature_sizes(_points(vertices, triangles, emb)), sets
    )
    gains = np.ones(len(ARKIT_NAMES))
    ok = np.isfinite(rel) & np.isfinite(t_rel) & (rel > 1e-6 * np.nan_to_num(t_rel, nan=0.0))
    wanted = t_rel[ok] / rel[ok]
    # Continuous in the wanted gain: 1 inside the band, the excess beyond it.
    gains[ok] = np.clip(wanted / np.clip(wanted, 1.0 / (1.0 + tolerance), 1.0 + tolerance), *limits)
    for name, source in TIED_SHAPES.items():
        gains[ARKIT_INDEX[name]] = gains[ARKIT_INDEX[source]]
    return AmplitudeNormalisation(
        deltas=d * gains[:, None, None].astype(np.float32), gains=gains, target=rel, template=t_rel
    )
