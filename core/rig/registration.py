# SPDX-License-Identifier: GPL-3.0-or-later
"""Fitting a face template to a target mesh from corresponding landmarks.

Three stages, each a standard method:

1. similarity (scale, rotation, translation) on landmarks — Umeyama 1991, "Least-squares estimation of transformation
   parameters between two point patterns", IEEE TPAMI 13(4), with one round of trimming of the worst landmarks —
   alternated with a fit of the template's identity modes when it has them (a morphable-model fit, Blanz & Vetter
   1999), so proportions and inner parts (teeth, eyeballs) match before any free-form warp;
2. a smooth non-rigid warp interpolating the remaining landmark offsets — thin-plate spline RBF (Bookstein 1989,
   "Principal warps", IEEE TPAMI 11(6)), :func:`thin_plate_spline` (the interpolant of
   :class:`scipy.interpolate.RBFInterpolator`'s ``thin_plate_spline``, evaluated about three times faster);
3. closest-point refinement of the template's skin onto the target surface — a non-rigid ICP in the spirit of
   Amberg et al. 2007, "Optimal step nonrigid ICP algorithms for surface registration" (CVPR): closest points
   weighted down smoothly by distance and normal agreement, displacements regularised by a graph Laplacian,
   stiffness decreasing; the closest points blended where the target offers several nearly as close (soft
   correspondences, EM-ICP: Granger & Pennec 2002), so the fit is a continuous function of the target.

All work happens in a normalised frame (landmark centroid at the origin, unit RMS landmark radius) so the same
parameters hold for heads modelled in millimetres or kilometres.
"""

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import cg, splu
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist

from ..errors import InputError
from ..geometry import (
    MeshProximity,
    apply_similarity,
    interpolate_on_surface,
    normals_at,
    similarity_transform,
    smoothstep,
    uniform_laplacian,
    vertex_normals,
)


@dataclass
class TemplateFit:
    """Result of :func:`fit_template`.

    Attributes:
        vertices: ``(V, 3) float64`` the template's vertices placed on the target, in target units and frame.
        scale, rotation, translation: the similarity ``x -> scale * rotation @ x + translation`` taking template
            coordinates to target coordinates (``rotation`` ``(3, 3)``, ``translation`` ``(3,)``).
        identity: ``(K,) float64`` identity-mode coefficients fitted (empty without identity modes).
        neutral: ``(V, 3) float64`` the template neutral with the fitted identity, in the template's frame.
        landmarks: ``(L, 3) float64`` the template's landmarks on ``neutral`` (template frame).
        landmark_error: ``(L,) float64`` distance between each fitted template landmark and the target landmark,
            in target units.
        surface_error: ``(S,) float64`` distance from each fitted skin vertex to the target surface.
        inlier_fraction: mean weight of the skin vertices' closest points in the last step (1: every vertex found
            a compatible one; see :func:`_closest_point_weights`).
        warp_smoothing: the thin-plate smoothing used.
    """

    vertices: np.ndarray
    scale: float
    rotation: np.ndarray
    translation: np.ndarray
    identity: np.ndarray
    neutral: np.ndarray
    landmarks: np.ndarray
    landmark_error: np.ndarray
    surface_error: np.ndarray
    inlier_fraction: float
    warp_smoothing: float = 0.0

    def to_template_frame(self, points):
        """Map ``(N, 3)`` target-space points into the template's frame (inverse similarity)."""
        return (np.asarray(points, dtype=np.float64) - self.translation) @ self.rotation / self.scale


def _normaliser(landmarks, weights):
    """``(centre (3,), radius)``: the landmarks' mean and RMS radius, each weighted by its weight. A landmark's
    weight falls smoothly to 0 as its detection loses confidence (an occluding edge, the silhouette); a frame on the
    set ``w > 0`` moved at once when a weight crossed 0 on a rounding error (issue 18)."""
    total = weights.sum()
    centre = (weights[:, None] * landmarks).sum(axis=0) / total
    radius = float(np.sqrt((weights * ((landmarks - centre) ** 2).sum(axis=1)).sum() / total))
    if not np.isfinite(radius) or radius <= 0:
        raise InputError("target landmarks are degenerate (all at one point)")
    return centre, radius


#: The trim's falloff (:func:`_trimmed_similarity`): a point's weight falls from 1 at the ``keep_fraction`` residual
#: quantile to 0 at this many times it.
TRIM_FALLOFF = 1.5


def _trimmed_similarity(src, dst, weights, keep_fraction=0.9, fixed_scale=None):
    """Umeyama similarity, refitted with the worst ``1 - keep_fraction`` of the points (mis-detections) weighted
    down: full weight up to that residual quantile, none beyond :data:`TRIM_FALLOFF` times it, smoothstep between
    (a hard cut would let a landmark at the quantile flip the whole fit on a rounding error); the quantile is
    weighted (:func:`_weighted_quantile`), so a landmark whose weight fades leaves it gradually. With ``fixed_scale``
    the scale is given and only the rotation and translation are fitted."""

    def solve(w):
        if fixed_scale is None:
            return similarity_transform(src, dst, weights=w)
        _, R, t = similarity_transform(src * fixed_scale, dst, weights=w, with_scale=False)
        return fixed_scale, R, t

    s, R, t = solve(weights)
    residual = np.linalg.norm(apply_similarity(src, s, R, t) - dst, axis=1)
    cut = max(_weighted_quantile(residual, weights, keep_fraction), 1e-12)
    return solve(weights * smoothstep(residual, TRIM_FALLOFF * cut, cut))


#: Half width of the window :func:`_weighted_quantile` averages the quantile function over, as a share of the total
#: weight (about 5 of the ~470 landmarks).
QUANTILE_WINDOW = 0.01


def _weighted_quantile(values, weights, q):
    """The ``q`` quantile of ``values (N,)`` with ``weights (N,)`` >= 0, averaged over a window of
    :data:`QUANTILE_WINDOW` of the total weight on either side: a continuous function of the values and the weights
    (each value's share of the window changes with its weight; one fading to 0 leaves it gradually, where a
    quantile of the set with ``w > 0`` jumped when a weight crossed 0). The average is exact: the integral of the
    weighted quantile function, a step function, is piecewise linear in the cumulative weight."""
    order = np.argsort(values, kind="stable")
    v, w = values[order], weights[order]
    cumulative = np.concatenate([[0.0], np.cumsum(w)])
    integral = np.concatenate([[0.0], np.cumsum(w * v)])
    total = cumulative[-1]
    lo, hi = (float(np.clip((q + d) * total, 0.0, total)) for d in (-QUANTILE_WINDOW, QUANTILE_WINDOW))
    if hi <= lo:
        return float(np.interp(lo, cumulative[1:], v))
    return float((np.interp(hi, cumulative, integral) - np.interp(lo, cumulative, integral)) / (hi - lo))


#: Half widths of the closest-point weights' falloffs (:func:`_closest_point_weights`): around ``max_distance``, as
#: a fraction of it, and around ``min_normal_dot``.
DISTANCE_FALLOFF = 0.25
NORMAL_FALLOFF = 0.1


def _closest_point_weights(distance, agree, max_distance, min_normal_dot):
    """``(N,) float64`` weights in [0, 1] of closest-point pairs at ``distance (N,)`` whose normals agree by
    ``agree (N,)`` (dot products): 1 well within ``max_distance`` with normals agreeing beyond ``min_normal_dot``,
    0 well past either, smoothstep across :data:`DISTANCE_FALLOFF` and :data:`NORMAL_FALLOFF` on each side.
    Weights, not a pass/fail mask: a pair near a limit moves the fit by as little as the input moved it (with a
    mask, one rounding error decided which points pulled, and each ICP step amplified the difference)."""
    near = smoothstep(distance, (1 + DISTANCE_FALLOFF) * max_distance, (1 - DISTANCE_FALLOFF) * max_distance)
    return near * smoothstep(agree, min_normal_dot - NORMAL_FALLOFF, min_normal_dot + NORMAL_FALLOFF)


#: Typical landmark detection noise in normalised units (landmark RMS radius = 1): ~1 mm on a human face.
LANDMARK_NOISE = 0.02

#: Length units a head is commonly modelled in, in metres: powers of ten (mm ... km) and inches/feet.
_COMMON_UNITS_M = tuple(10.0**k for k in range(-3, 4)) + (0.0254, 0.3048)
#: A fitted scale within this factor of a common unit is taken to be that unit (see :func:`model_units`).
_UNIT_TOLERANCE = 1.2


def model_units(scale):
    """The common length unit a fitted template scale points to, or None.

    ``scale`` is target units per template metre. A human head modelled to real size in some unit gives a scale
    within ~20 % of ``1 / unit`` whatever its proportions; the identity modes then explain its size instead of the
    scale, so expressions keep their real-world amplitude (the face's size does not change how far a jaw opens).
    Stylised heads far from real size (a 2x cartoon head) keep the free scale.
    """
    for unit in _COMMON_UNITS_M:
        if abs(np.log(scale * unit)) < np.log(_UNIT_TOLERANCE):
            return 1.0 / unit
    return None


def _oriented_normals(target, proximity, landmarks):
    """Target vertex normals ``(N, 3)``, flipped if the mesh is inside out.

    Closest points are accepted only where the normals agree in sign, so that a template's inner surfaces (the
    mouth socket, facing into the mouth) never snap onto the target's outer skin; that needs the target's normals
    to point outward. They do when the normals at the face's landmarks point away from the landmarks' centroid
    more than toward it (a face is convex on the whole). Vertex normals, read at a closest point by
    :func:`_target_normals_at`, turn continuously across edges (see :func:`~facemotion.core.geometry.normals_at`).
    """
    normals = vertex_normals(target, proximity.faces)
    outward = (
        (landmarks - landmarks.mean(axis=0)) * _target_normals_at(normals, proximity, proximity.query(landmarks))
    ).sum(axis=1)
    return -normals if outward.sum() < 0 else normals


def _target_normals_at(normals, proximity, hit):
    """``(N, 3)`` unit target normals at closest points ``hit`` (:class:`~facemotion.core.geometry.SurfacePoints`
    of ``proximity``), from its vertex ``normals``."""
    return normals_at(normals, proximity.faces, hit.triangle, hit.barycentric)


#: Least width of the band of the fit's blended closest points (normalised units, landmark RMS radius 1: ~0.5 mm on
#: a human face). A template vertex lying on the target (after the first steps, most do) blended only over a band as
#: thin as its distance, so where two target surfaces nearly touch (a lid under its lashes) a move of the fit far
#: below a millimetre handed it from one to the other: a character's eye region moved by 4e-3 of the head's size
#: under a 1e-6 perturbation of the head (issue 18). Within this band both share.
FIT_REACH = 0.01


def _surface_targets(proximity, normals, points, max_distance):
    """``(point (N, 3), normal (N, 3), distance (N,))``: where ``points (N, 3)`` pull on the target surface
    (``proximity``, vertex ``normals``): its blended closest points
    (:meth:`~facemotion.core.geometry.MeshProximity.blended`), the unit normals blended the same way (not
    normalised again: where the blended faces disagree, the two lips facing each other, the mean normal shortens
    and agrees with no template normal, as neither would alone with the other's point), and the exact closest
    distance. A closest point jumps where two parts of the target are about equally far (a lid and the
    lashes in front of it), and every ICP step after it amplified the jump; the blended one moves continuously
    with the template (soft correspondences as in EM-ICP, Granger & Pennec 2002), over a band at least
    :data:`FIT_REACH` wide. Points beyond
    ``(1 + DISTANCE_FALLOFF) max_distance``, which pull with weight 0, keep the closest point."""
    hit = proximity.query(points)
    n = len(points)
    point, face, bary, weight = proximity.blended(
        points, (hit.triangle, hit.barycentric, hit.distance), (1 + DISTANCE_FALLOFF) * max_distance, reach=FIT_REACH
    )
    corners = proximity.faces[face]
    on_face = np.einsum("kc,kcd->kd", bary, proximity.vertices[corners])
    normal_on_face = normals_at(normals, proximity.faces, face, bary)
    target = np.stack([np.bincount(point, weights=weight * on_face[:, d], minlength=n) for d in range(3)], axis=1)
    normal = np.stack(
        [np.bincount(point, weights=weight * normal_on_face[:, d], minlength=n) for d in range(3)], axis=1
    )
    return target, normal, hit.distance


def _fit_identity(
    neutral,
    modes,
    lm_tri,
    lm_bary,
    triangles,
    weights,
    target_landmarks,
    proximity,
    target_normals,
    regularisation,
    rounds,
    max_distance,
    min_normal_dot,
    fixed_scale=None,
):
    """Identity coefficients and similarity of a linear morphable model (the template's identity modes).

    Alternates (a) Umeyama on landmarks with (b) a ridge-regularised linear least-squares solve for the
    coefficients from landmark residuals and point-to-plane residuals to the closest target points (Blanz & Vetter
    1999, "A morphable model for the synthesis of 3D faces", with the ICP data term of Chen & Medioni 1992). The
    modes are scaled to one standard deviation (ICT-FaceKit's PCA), so the prior is ``regularisation * |c|^2``.
    Works in the target's normalised frame; ``fixed_scale`` fixes the similarity's scale. Returns ``(c, s, R, t)``.
    """
    c = np.zeros(len(modes))
    lm_modes = np.stack([interpolate_on_surface(m, triangles, lm_tri, lm_bary) for m in modes])  # (K, L, 3)
    # Dense term on a subsample of vertices, so the solve stays small whatever the template's size.
    sample = np.arange(0, len(neutral), 7)
    for round_ in range(rounds):
        shape = neutral + np.tensordot(c, modes, axes=1)
        tl = interpolate_on_surface(shape, triangles, lm_tri, lm_bary)
        s, R, t = _trimmed_similarity(tl, target_landmarks, weights, fixed_scale=fixed_scale)
        # Landmark rows: s R (tl0 + sum_k c_k m_k) + t = target; solve for c on the residual of the mean shape.
        base_lm = apply_similarity(interpolate_on_surface(neutral, triangles, lm_tri, lm_bary), s, R, t)
        a_lm = (s * np.einsum("ij,klj->lik", R, lm_modes)) * np.sqrt(weights)[:, None, None]  # (L, 3, K)
        b_lm = (target_landmarks - base_lm) * np.sqrt(weights)[:, None]
        rows_a, rows_b = [a_lm.reshape(-1, len(modes))], [b_lm.ravel()]
        if round_ > 0:
            placed = apply_similarity(shape[sample], s, R, t)
            target_points, normals, distance = _surface_targets(proximity, target_normals, placed, max_distance)
            own = vertex_normals(apply_similarity(shape, s, R, t), triangles)[sample]
            pair = _closest_point_weights(distance, (own * normals).sum(axis=1), max_distance, min_normal_dot)
            ok = np.flatnonzero(pair > 0)
            n = normals[ok]
            a_pt = s * np.einsum("ni,ij,knj->nk", n, R, modes[:, sample[ok]])
            b_pt = (n * (target_points[ok] - apply_similarity(neutral[sample[ok]], s, R, t))).sum(axis=1)
            # Weight the dense term like the landmarks in total, so neither swamps the other.
            scale = np.sqrt(pair[ok] * weights.sum() / max(pair.sum(), 1))
            rows_a.append(a_pt * scale[:, None])
            rows_b.append(b_pt * scale)
        a = np.concatenate(rows_a)
        b = np.concatenate(rows_b)
        c = np.linalg.solve(a.T @ a + regularisation * np.eye(len(modes)), a.T @ b)
    shape = neutral + np.tensordot(c, modes, axes=1)
    tl = interpolate_on_surface(shape, triangles, lm_tri, lm_bary)
    s, R, t = _trimmed_similarity(tl, target_landmarks, weights, fixed_scale=fixed_scale)
    return c, s, R, t


def thin_plate_spline(centres, values, smoothing=0.0):
    """A smoothing thin-plate spline in 3D (Bookstein 1989, "Principal warps", IEEE TPAMI 11(6)).

    ``f(x) = sum_j w_j phi(|x - c_j|) + a_0 + a . x`` with ``phi(r) = r^2 log r``, fitted to ``values`` at
    ``centres`` with ``smoothing`` added to the kernel's diagonal: the same system, convention and interpolant as
    ``scipy.interpolate.RBFInterpolator(centres, values, kernel="thin_plate_spline", smoothing=smoothing)`` (they
    agree within 1e-11). Evaluating it at the template's ~27k vertices is the fit's largest dense cost, so the
    kernel is evaluated in cache-sized blocks with its logarithm taken in float32 (vectorised; float64 ``log`` is
    not, here): values stay float64 and the result is within ~4e-6 of scipy's relative to the largest offset at
    the fit's usual smoothing (4e-4 at 1e-3; either far below a millimetre on a head).

    Args:
        centres: ``(L, 3)`` float, L >= 5 (the landmarks, normalised units).
        values: ``(L, D)`` float (their offsets).
        smoothing: >= 0 (0 interpolates), or ``(L,)`` one per centre (a weighted smoothing spline, Wahba 1990,
            *Spline models for observational data*: centre ``j``'s value counts as ``1 / smoothing_j``).

    Returns:
        a callable ``(N, 3) -> (N, D) float64``.

    Raises:
        InputError: fewer than 5 centres, or coincident or coplanar ones (a singular system).
    """
    c = np.asarray(centres, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    n = len(c)
    if n < 5 or y.shape[0] != n:
        raise InputError(f"the thin-plate warp needs at least 5 landmarks with one value each, got {n}")
    d2 = cdist(c, c, "sqeuclidean")
    system = np.zeros((n + 4, n + 4))
    system[:n, :n] = 0.5 * d2 * np.log(np.maximum(d2, 1e-300)) + np.diag(np.broadcast_to(smoothing, (n,)))
    system[:n, n] = system[n, :n] = 1.0
    system[:n, n + 1 :] = c
    system[n + 1 :, :n] = c.T
    rhs = np.zeros((n + 4, y.shape[1]))
    rhs[:n] = y
    try:
        coefficients = np.linalg.solve(system, rhs)
    except np.linalg.LinAlgError:
        raise InputError("the thin-plate warp's landmarks are degenerate (coincident or all in one plane)") from None
    weights, affine = coefficients[:n], coefficients[n:]

    def evaluate(points):
        x = np.asarray(points, dtype=np.float64)
        out = np.empty((len(x), y.shape[1]))
        for start in range(0, len(x), _TPS_BLOCK):
            block = x[start : start + _TPS_BLOCK]
            k = cdist(block, c, "sqeuclidean")
            log = np.log(np.maximum(k, 1e-30).astype(np.float32))  # phi -> 0 as r -> 0
            k *= 0.5
            k *= log
            out[start : start + _TPS_BLOCK] = k @ weights + affine[0] + block @ affine[1:]
        return out

    return evaluate


#: Points per block of :func:`thin_plate_spline`'s evaluation: a (block, L) kernel of ~2 MB stays in cache.
_TPS_BLOCK = 512


def fit_template(
    template_vertices,
    template_triangles,
    landmark_triangle,
    landmark_barycentric,
    target_vertices,
    target_triangles,
    target_landmarks,
    *,
    skin=None,
    identity_modes=None,
    landmark_weights=None,
    identity_regularisation=1e-3,
    identity_rounds=4,
    rbf_smoothing=None,
    stiffness=(10.0, 1.0, 0.3, 0.1),
    max_distance=0.15,
    min_normal_dot=0.5,
    progress=None,
):
    """Fit a template mesh to a target mesh given corresponding landmarks.

    Args:
        template_vertices: ``(V, 3)`` template neutral (any units).
        template_triangles: ``(T, 3) int``.
        landmark_triangle, landmark_barycentric: ``(L,) int`` and ``(L, 3)``: where the landmarks lie on the
            template surface (so they follow its identity modes).
        target_vertices: ``(N, 3)`` target mesh (any units, position and orientation).
        target_triangles: ``(M, 3) int``.
        target_landmarks: ``(L, 3)`` the same landmarks on the target surface.
        skin: ``(V,) bool`` the template's outer surface, pulled onto the target (default: all vertices).
        identity_modes: ``(K, V, 3)`` identity displacements of one standard deviation each (optional): fitted
            first, so the template's proportions — and its inner parts (teeth, eyes) — match the target before
            the warp.
        landmark_weights: ``(L,)`` weights of the landmarks in the similarity and warp (0 excludes one).
        identity_regularisation: ridge prior on the identity coefficients (normalised units).
        rbf_smoothing: thin-plate smoothing; default ``(LANDMARK_NOISE / rms residual)^2`` clipped to
            [1e-3, 10]: strong when the similarity/identity fit leaves only detection noise, weak for stylised faces.
        stiffness: Laplacian regularisation weights of the successive closest-point refinement steps.
        max_distance: closest points farther than this (normalised units, ~0.15 of the landmark RMS radius) are
            ignored, as are those whose surface normals disagree (``n_template . n_target < min_normal_dot``; the
            target's normals are oriented outward first); the weights fall smoothly across both limits
            (:func:`_closest_point_weights`).
        progress: optional ``progress(fraction, message)``, called between the stages and refinement steps
            (fraction 0..1 of this fit; also a cancel point).

    Returns:
        :class:`TemplateFit`.

    Raises:
        InputError: mismatched landmark arrays, fewer than 4 usable landmarks, or degenerate input.
    """
    neutral = np.asarray(template_vertices, dtype=np.float64)
    tris = np.asarray(template_triangles, dtype=np.int64)
    lm_tri = np.asarray(landmark_triangle, dtype=np.int64)
    lm_bary = np.asarray(landmark_barycentric, dtype=np.float64)
    gl, w = _checked_landmarks(target_landmarks, lm_tri, lm_bary, landmark_weights)

    # Normalise the target so every tolerance below is scale-free.
    centre, radius = _normaliser(gl, w)
    target = (np.asarray(target_vertices, dtype=np.float64) - centre) / radius
    gl_n = (gl - centre) / radius
    proximity = MeshProximity(target, np.asarray(target_triangles, dtype=np.int64))
    target_normals = _oriented_normals(target, proximity, gl_n[w > 0])

    report = progress or (lambda fraction, message: None)
    report(0.0, "fitting the template's identity")
    # 1. Similarity (and identity, when the template has identity modes).
    if identity_modes is not None and len(identity_modes):
        args = (
            neutral,
            np.asarray(identity_modes, dtype=np.float64),
            lm_tri,
            lm_bary,
            tris,
            w,
            gl_n,
            proximity,
            target_normals,
            identity_regularisation,
            identity_rounds,
            max_distance,
            min_normal_dot,
        )
        identity, neutral, s, R, t = _fit_identity_at_model_units(args, radius)
    else:
        identity = np.zeros(0)
        s, R, t = _trimmed_similarity(interpolate_on_surface(neutral, tris, lm_tri, lm_bary), gl_n, w)
    tl = interpolate_on_surface(neutral, tris, lm_tri, lm_bary)
    verts = apply_similarity(neutral, s, R, t)
    tl_s = apply_similarity(tl, s, R, t)

    report(0.3, "warping the template onto the landmarks")
    # 2. Thin-plate spline warp of the remaining landmark offsets.
    verts, smoothing = _landmark_warp(verts, tl_s, gl_n, w, rbf_smoothing)

    # 3. Closest-point refinement of the skin.
    skin_mask = np.ones(len(verts), bool) if skin is None else np.asarray(skin, dtype=bool)
    verts, inliers, distance = _refine(
        verts,
        tris,
        skin_mask,
        proximity,
        target_normals,
        stiffness,
        max_distance,
        min_normal_dot,
        lambda f, m: report(0.4 + 0.6 * f, m),
    )

    # Back to target units.
    fitted_landmarks = interpolate_on_surface(verts, tris, lm_tri, lm_bary) * radius + centre
    return TemplateFit(
        vertices=verts * radius + centre,
        scale=float(s * radius),
        rotation=R,
        translation=t * radius + centre,
        identity=identity,
        neutral=neutral,
        landmarks=tl,
        warp_smoothing=smoothing,
        landmark_error=np.linalg.norm(fitted_landmarks - gl, axis=1),
        surface_error=distance * radius,
        inlier_fraction=float(inliers),
    )


def _checked_landmarks(target_landmarks, lm_tri, lm_bary, landmark_weights):
    """``(gl (L, 3), w (L,))``: the target landmarks (non-finite ones zeroed) and their weights (0 where a landmark
    is not finite). Raises InputError for mismatched shapes or fewer than 4 usable landmarks."""
    gl = np.asarray(target_landmarks, dtype=np.float64)
    if gl.ndim != 2 or gl.shape[1] != 3 or len(gl) != len(lm_tri) or lm_bary.shape != (len(lm_tri), 3):
        raise InputError(f"landmark arrays differ in shape: template {lm_bary.shape}, target {gl.shape}")
    w = np.ones(len(gl)) if landmark_weights is None else np.asarray(landmark_weights, dtype=np.float64)
    w = w * np.isfinite(gl).all(axis=1)
    if (w > 0).sum() < 4:
        raise InputError("fewer than 4 usable landmarks for the template fit")
    return np.nan_to_num(gl), w


def _fit_identity_at_model_units(args, radius):
    """Similarity + identity fit (:func:`_fit_identity` with ``args``: neutral, modes, ..., min_normal_dot) at the
    template's unit scale where the target is a real-size head. Returns ``(identity, neutral with identity, s, R,
    t)``."""
    neutral, modes = args[0], args[1]
    # The unit from a landmarks-only fit (one round: the scale it gives is within a few percent of the full
    # fit's, far inside the unit tolerance), then one full fit.
    _, s, _, _ = _fit_identity(*args[:-3], 1, *args[-2:])
    unit_scale = model_units(s * radius)
    # A real-size head: let the identity modes, not the scale, explain its size.
    identity, s, R, t = _fit_identity(*args, fixed_scale=None if unit_scale is None else unit_scale / radius)
    return identity, neutral + np.tensordot(identity, modes, axes=1), s, R, t


def _landmark_warp(verts, tl_s, gl_n, w, rbf_smoothing):
    """Thin-plate spline warp of ``verts`` by the landmark offsets left after the similarity (``gl_n - tl_s``).

    Where the model already explains the target (residuals near the landmark noise) the warp must stay gentle, or
    it bends inner parts (teeth) that no landmark sees; where it does not (stylised faces) the warp has to do the
    work. A landmark pulls by its weight: its smoothing is divided by the weight's square root, so one whose
    confidence fades to 0 fades out of the warp (interpolated with full force however small its weight, it moved
    the warp at once when its weight left 0: issue 18), and gently: a confidence near an occluding edge moves by a
    few hundredths under a 1e-6 perturbation of the head, and divided by the weight itself that moved a warped
    head's mouth corner by 5 % of mouthSmileLeft's peak (3 % with the square root, warp-wide's jaw shapes too).
    Returns ``(warped vertices, smoothing used)``."""
    use = w > _ABSENT
    residual = gl_n - tl_s
    rms = float(np.sqrt((w[use] * (residual[use] ** 2).sum(axis=1)).sum() / w[use].sum()))
    smoothing = (
        rbf_smoothing
        if rbf_smoothing is not None
        else float(np.clip((LANDMARK_NOISE / max(rms, 1e-9)) ** 2, 1e-3, 10.0))
    )
    warp = thin_plate_spline(tl_s[use], residual[use], smoothing / np.sqrt(w[use]))
    return verts + warp(verts), smoothing


#: Weight below which a landmark is left out of the warp: it would pull by less than about 1e-6 of its offset.
_ABSENT = 1e-12


#: Relative residual the conjugate-gradient solves of :func:`_solve_spd` stop at. The closest points need no more
#: than 1e-4, but CG's iterates carry the round-off of their dot products, which another BLAS thread count sums in
#: another order: at 1e-4 the fit differed by 1e-4 of a step between 1 and 2 threads and a mouth shape by 1.4e-4
#: of its peak; at 1e-6 by 2e-7 (half again as many iterations).
CG_TOLERANCE = 1e-6


def _solve_spd(matrix, rhs, iterative):
    """Solve the symmetric positive definite sparse ``matrix (n, n)`` for ``rhs (n, 3)``.

    Stiff systems (a large Laplacian weight) are factored: SuperLU in symmetric mode with a minimum-degree ordering
    of A + A^T keeps the factor sparse and runs about twice as fast as the default COLAMD; an SPD matrix needs no
    pivoting, so the diagonal is always taken (threshold 0: less fill, a quarter faster). Soft ones
    (``iterative``: the data term dominates, so the matrix is well conditioned) converge in a few dozen
    conjugate-gradient steps (Hestenes & Stiefel 1952; :func:`scipy.sparse.linalg.cg`), several times faster
    than a factorisation; a solve that does not converge falls back to the factorisation.
    """
    if iterative:
        csr = matrix.tocsr()
        out = np.empty_like(rhs)
        for k in range(rhs.shape[1]):
            out[:, k], info = cg(csr, rhs[:, k], rtol=CG_TOLERANCE, maxiter=2000)
            if info != 0:
                break
        else:
            return out
    return splu(
        matrix.tocsc(), permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True}
    ).solve(rhs)


def _refine(verts, tris, skin_mask, proximity, target_normals, stiffness, max_distance, min_normal_dot, report):
    """Non-rigid ICP of the skin vertices (normalised units); the other parts follow their nearest skin vertices.

    Inner parts (teeth, mouth socket, eyeballs) are never pulled themselves: a target without them would offer its
    lips or lids as their closest surface. Skin vertices with no compatible closest point (the back of the head of
    a face-only mask) are carried by the Laplacian and otherwise stay where the warp put them.
    """
    skin_idx = np.flatnonzero(skin_mask)
    remap = -np.ones(len(verts), dtype=np.int64)
    remap[skin_idx] = np.arange(len(skin_idx))
    skin_tris = remap[tris]
    skin_tris = skin_tris[(skin_tris >= 0).all(axis=1)]
    lap = uniform_laplacian(len(skin_idx), skin_tris)
    smoothness = (lap.T @ lap).tocsc()
    eye = sp.identity(len(skin_idx), format="csc")
    x = verts[skin_idx].copy()
    inlier_fraction = 0.0
    for step, alpha in enumerate(stiffness):
        target, target_normal, distance = _surface_targets(proximity, target_normals, x, max_distance)
        report(step / len(stiffness), f"closest-point refinement {step + 1}/{len(stiffness)}")
        normals = vertex_normals(x, skin_tris)
        agree = (normals * target_normal).sum(axis=1)
        pair = _closest_point_weights(distance, agree, max_distance, min_normal_dot)
        inlier_fraction = float(pair.mean())
        # minimise sum_i w_i |d_i - c_i|^2 + alpha |L d|^2 + 1e-6 |d|^2 (the last keeps unconstrained islands still)
        weights = sp.diags(pair, format="csc")
        x = x + _solve_spd(
            weights + alpha * smoothness + 1e-6 * eye, pair[:, None] * (target - x), iterative=alpha <= 1.0
        )
    distance = proximity.query(x).distance  # of the moved skin, for the report (no pull any more)
    moved = np.zeros_like(verts)
    moved[skin_idx] = x - verts[skin_idx]
    others = np.flatnonzero(~skin_mask)
    if len(others):
        moved[others] = _follow_skin(verts[skin_idx], moved[skin_idx], verts[others])
    return verts + moved, inlier_fraction, distance


#: Skin vertices whose motion an inner vertex follows (:func:`_follow_skin`).
FOLLOW_NEIGHBOURS = 8


def _follow_skin(skin, skin_moved, points):
    """``(P, 3) float64``: the motion of ``points (P, 3)`` interpolated from the ``skin (S, 3)`` vertices' motion
    ``skin_moved (S, 3)`` by the modified Shepard method (Franke & Nielson 1980, "Smooth interpolation of large sets
    of scattered data", IJNME 15): weights ``((R - d) / (R d))^2`` over the :data:`FOLLOW_NEIGHBOURS` nearest skin
    vertices, ``R`` the distance of the next nearest. A neighbour's weight reaches 0 as it leaves the set, so the
    motion is a continuous function of the positions (plain inverse-distance weights of the k nearest jumped by up
    to a k-th of a neighbour's motion whenever a rounding error swapped the k-th and the next nearest)."""
    dist, idx = cKDTree(skin).query(points, k=FOLLOW_NEIGHBOURS + 1, workers=-1)
    radius = dist[:, -1:]
    dist, idx = np.maximum(dist[:, :-1], 1e-9), idx[:, :-1]  # normalised units: a point on a skin vertex takes it
    weights = (np.maximum(radius - dist, 0.0) / (radius * dist)) ** 2
    # All neighbours at one distance (R = d): no neighbour is nearer than another, so each counts the same.
    weights[~(weights.sum(axis=1) > 0)] = 1.0
    return (weights[..., None] * skin_moved[idx]).sum(axis=1) / weights.sum(axis=1, keepdims=True)
