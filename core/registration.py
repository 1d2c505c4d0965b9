# SPDX-License-Identifier: GPL-3.0-or-later
"""Fitting a face template to a target mesh from corresponding landmarks.

Three stages, each a standard method:

1. similarity (scale, rotation, translation) on landmarks — Umeyama 1991, "Least-squares estimation of transformation
   parameters between two point patterns", IEEE TPAMI 13(4), with one round of trimming of the worst landmarks;
2. a smooth non-rigid warp interpolating the remaining landmark offsets — thin-plate spline RBF (Bookstein 1989,
   "Principal warps", IEEE TPAMI 11(6)) via :class:`scipy.interpolate.RBFInterpolator`;
3. closest-point refinement of the template's skin onto the target surface — a non-rigid ICP in the spirit of
   Amberg et al. 2007, "Optimal step nonrigid ICP algorithms for surface registration" (CVPR): closest points
   filtered by distance and normal agreement, displacements regularised by a graph Laplacian, stiffness decreasing.

All work happens in a normalised frame (landmark centroid at the origin, unit RMS landmark radius) so the same
parameters hold for heads modelled in millimetres or kilometres.
"""
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.interpolate import RBFInterpolator
from scipy.sparse.linalg import splu
from scipy.spatial import cKDTree

from .errors import InputError
from .geometry import MeshProximity, apply_similarity, face_normals, similarity_transform, uniform_laplacian, \
    vertex_normals


@dataclass
class TemplateFit:
    """Result of :func:`fit_template`.

    Attributes:
        vertices: ``(V, 3) float64`` the template's vertices placed on the target, in target units and frame.
        scale, rotation, translation: the similarity ``x -> scale * rotation @ x + translation`` taking template
            coordinates to target coordinates (``rotation`` ``(3, 3)``, ``translation`` ``(3,)``).
        landmark_error: ``(L,) float64`` distance between each fitted template landmark and the target landmark,
            in target units.
        surface_error: ``(S,) float64`` distance from each fitted skin vertex to the target surface (target units).
        inlier_fraction: share of skin vertices that found a compatible closest point in the last refinement step.
    """

    vertices: np.ndarray
    scale: float
    rotation: np.ndarray
    translation: np.ndarray
    landmark_error: np.ndarray
    surface_error: np.ndarray
    inlier_fraction: float

    def to_template_frame(self, points):
        """Map ``(N, 3)`` target-space points into the template's frame (inverse similarity)."""
        return (np.asarray(points, dtype=np.float64) - self.translation) @ self.rotation / self.scale


def _normaliser(landmarks):
    centre = landmarks.mean(axis=0)
    radius = float(np.sqrt(((landmarks - centre) ** 2).sum(axis=1).mean()))
    if not np.isfinite(radius) or radius <= 0:
        raise InputError("target landmarks are degenerate (all at one point)")
    return centre, radius


def fit_template(template_vertices, template_triangles, template_landmarks, target_vertices, target_triangles,
                 target_landmarks, *, skin=None, landmark_weights=None, rbf_smoothing=1e-3,
                 stiffness=(10.0, 3.0, 1.0, 0.3, 0.1), max_distance=0.15, min_normal_dot=0.5):
    """Fit a template mesh to a target mesh given corresponding landmarks.

    Args:
        template_vertices: ``(V, 3)`` template neutral (any units).
        template_triangles: ``(T, 3) int``.
        template_landmarks: ``(L, 3)`` landmark positions on the template surface.
        target_vertices: ``(N, 3)`` target mesh (any units, position and orientation).
        target_triangles: ``(M, 3) int``.
        target_landmarks: ``(L, 3)`` the same landmarks on the target surface.
        skin: ``(V,) bool`` template vertices pulled onto the target surface (default all); the others follow
            the warp of their nearest skin vertices.
        landmark_weights: ``(L,)`` weights of the landmarks in the similarity and warp (0 excludes one).
        rbf_smoothing: thin-plate smoothing in normalised units (landmarks are detected, so not exact).
        stiffness: Laplacian regularisation weights of the successive closest-point refinement steps.
        max_distance: closest points farther than this (normalised units, ~0.15 of the landmark RMS radius) are
            ignored, as are those whose surface normals disagree (``|n_template . n_target| < min_normal_dot``).

    Returns:
        :class:`TemplateFit`.

    Raises:
        InputError: mismatched landmark arrays, fewer than 4 usable landmarks, or degenerate input.
    """
    tl = np.asarray(template_landmarks, dtype=np.float64)
    gl = np.asarray(target_landmarks, dtype=np.float64)
    if tl.shape != gl.shape or tl.ndim != 2 or tl.shape[1] != 3:
        raise InputError(f"landmark arrays differ in shape: template {tl.shape}, target {gl.shape}")
    w = np.ones(len(tl)) if landmark_weights is None else np.asarray(landmark_weights, dtype=np.float64)
    w = w * np.isfinite(gl).all(axis=1) * np.isfinite(tl).all(axis=1)
    if (w > 0).sum() < 4:
        raise InputError("fewer than 4 usable landmarks for the template fit")
    tl, gl = np.nan_to_num(tl), np.nan_to_num(gl)

    # Normalise the target so every tolerance below is scale-free.
    centre, radius = _normaliser(gl[w > 0])
    target = (np.asarray(target_vertices, dtype=np.float64) - centre) / radius
    gl_n = (gl - centre) / radius

    # 1. Similarity, trimmed: refit without the 10 % worst landmarks (mis-detections, silhouette points).
    s, R, t = similarity_transform(tl, gl_n, weights=w)
    residual = np.linalg.norm(apply_similarity(tl, s, R, t) - gl_n, axis=1)
    keep = w * (residual <= np.quantile(residual[w > 0], 0.9))
    s, R, t = similarity_transform(tl, gl_n, weights=keep)
    verts = apply_similarity(np.asarray(template_vertices, dtype=np.float64), s, R, t)
    tl_s = apply_similarity(tl, s, R, t)

    # 2. Thin-plate spline warp of the landmark offsets.
    use = w > 0
    rbf = RBFInterpolator(tl_s[use], (gl_n - tl_s)[use], kernel="thin_plate_spline", smoothing=rbf_smoothing)
    verts = verts + rbf(verts)

    # 3. Closest-point refinement of the skin.
    tris = np.asarray(template_triangles, dtype=np.int64)
    skin_mask = np.ones(len(verts), bool) if skin is None else np.asarray(skin, dtype=bool)
    proximity = MeshProximity(target, np.asarray(target_triangles, dtype=np.int64))
    target_normals = face_normals(target, proximity.faces)
    verts, inliers, distance = _refine(verts, tris, skin_mask, proximity, target_normals, stiffness,
                                       max_distance, min_normal_dot)

    # Back to target units.
    verts = verts * radius + centre
    fitted_landmarks = (apply_similarity(tl, s, R, t) + rbf(apply_similarity(tl, s, R, t))) * radius + centre
    return TemplateFit(
        vertices=verts, scale=float(s * radius), rotation=R, translation=t * radius + centre,
        landmark_error=np.linalg.norm(fitted_landmarks - gl, axis=1), surface_error=distance * radius,
        inlier_fraction=float(inliers))


def _refine(verts, tris, skin_mask, proximity, target_normals, stiffness, max_distance, min_normal_dot):
    """Non-rigid ICP on the skin vertices; the rest follow their nearest skin vertices. Normalised units."""
    skin_idx = np.flatnonzero(skin_mask)
    remap = -np.ones(len(verts), dtype=np.int64)
    remap[skin_idx] = np.arange(len(skin_idx))
    skin_tris = remap[tris]
    skin_tris = skin_tris[(skin_tris >= 0).all(axis=1)]
    lap = uniform_laplacian(len(skin_idx), skin_tris)
    smoothness = (lap.T @ lap).tocsc()
    eye = sp.identity(len(skin_idx), format="csc")
    x = verts[skin_idx].copy()
    inlier_fraction, distance = 0.0, np.zeros(len(skin_idx))
    for alpha in stiffness:
        hit = proximity.query(x)
        normals = vertex_normals(x, skin_tris)
        agree = np.abs((normals * target_normals[hit.triangle]).sum(axis=1))
        valid = (hit.distance < max_distance) & (agree >= min_normal_dot)
        inlier_fraction = float(valid.mean())
        # minimise sum_valid |d_i - c_i|^2 + alpha |L d|^2 + 1e-6 |d|^2 (the last keeps unconstrained islands still)
        weights = sp.diags(valid.astype(np.float64), format="csc")
        system = splu((weights + alpha * smoothness + 1e-6 * eye).tocsc())
        target_offset = np.where(valid[:, None], hit.point - x, 0.0)
        x = x + system.solve(target_offset)
        distance = proximity.query(x).distance
    moved = np.zeros_like(verts)
    moved[skin_idx] = x - verts[skin_idx]
    others = np.flatnonzero(~skin_mask)
    if len(others):
        # Inner parts (eyes, teeth, mouth socket) follow the skin: inverse-distance weights of 8 nearest skin points.
        dist, idx = cKDTree(verts[skin_idx]).query(verts[others], k=8)
        wts = 1.0 / np.maximum(dist, 1e-9) ** 2
        moved[others] = (wts[..., None] * moved[skin_idx][idx]).sum(axis=1) / wts.sum(axis=1, keepdims=True)
    return verts + moved, inlier_fraction, distance
