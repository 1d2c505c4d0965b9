# SPDX-License-Identifier: GPL-3.0-or-later
"""Triangle-mesh geometry in numpy/scipy: normals, exact closest points on a mesh (libigl's bounding-box tree),
surface interpolation, graph Laplacian and components, least-squares similarity alignment, principal axes and welding
of coincident vertices.

Every function takes plain arrays: ``vertices`` ``(V, 3)`` float and ``faces`` ``(F, 3)`` int (triangles; the caller
triangulates polygons). Units are whatever the vertices use (ICT-FaceKit: centimetres, facemotion: metres); nothing
here assumes one. Bad input raises :class:`~.errors.InputError` with a one-line message.
"""

import hashlib
from dataclasses import dataclass

import igl
import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from .errors import InputError

__all__ = [
    "face_normals",
    "vertex_normals",
    "closest_point_on_triangle",
    "SurfacePoints",
    "MeshProximity",
    "interpolate_on_surface",
    "normals_at",
    "uniform_laplacian",
    "connected_components",
    "similarity_transform",
    "apply_similarity",
    "principal_axes",
    "smoothstep",
    "WELD_TOLERANCE",
    "weld_vertices",
]


# ----------------------------------------------------------------------------------------------------------------------
# input checks


def _points(array, name, allow_empty=False):
    """Return ``array`` as a finite float64 ``(N, 3)`` array or raise InputError."""
    try:
        pts = np.asarray(array, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{name} must be a numeric (N, 3) array: {exc}") from None
    if pts.ndim != 2 or pts.shape[1] != 3:
        raise InputError(f"{name} must have shape (N, 3), got {pts.shape}")
    if not allow_empty and pts.shape[0] == 0:
        raise InputError(f"{name} is empty: give at least one 3D point")
    if not np.isfinite(pts).all():
        bad = int((~np.isfinite(pts)).any(axis=1).sum())
        raise InputError(
            f"{name}: {bad} of {pts.shape[0]} points have non-finite (NaN or infinite) coordinates: "
            f"clean the data first"
        )
    return pts


def _faces(faces, n_vertices, allow_empty=False):
    """Return ``faces`` as an int64 ``(F, 3)`` array of valid vertex indices or raise InputError."""
    f = np.asarray(faces)
    if f.ndim != 2 or f.shape[1] != 3:
        raise InputError(f"faces must have shape (F, 3) (triangles; triangulate polygons first), got {f.shape}")
    if f.size and not np.issubdtype(f.dtype, np.integer):
        if not np.issubdtype(f.dtype, np.floating) or not np.array_equal(f, np.round(f)):
            raise InputError("faces must hold integer vertex indices")
    f = f.astype(np.int64, copy=False)
    if not allow_empty and f.shape[0] == 0:
        raise InputError("the mesh has no faces: give at least one triangle")
    if f.size and (f.min() < 0 or f.max() >= n_vertices):
        raise InputError(
            f"faces index vertices outside 0..{n_vertices - 1} (got {f.min()}..{f.max()}): "
            "indices must be 0-based and refer to the given vertices"
        )
    return f


def _mesh(vertices, faces):
    v = _points(vertices, "vertices")
    return v, _faces(faces, v.shape[0])


def _n_vertices(n_vertices):
    try:
        n = int(n_vertices)
    except (TypeError, ValueError):
        raise InputError(f"n_vertices must be an integer, got {n_vertices!r}") from None
    if n < 0 or n != n_vertices:
        raise InputError(f"n_vertices must be a non-negative integer, got {n_vertices!r}")
    return n


# ----------------------------------------------------------------------------------------------------------------------
# normals


def face_normals(vertices, faces):
    """Unit normals of the triangles, following the right-hand rule on the vertex order (counter-clockwise = front).

    ``vertices`` ``(V, 3)`` float, ``faces`` ``(F, 3)`` int -> ``(F, 3)`` float64; degenerate (zero-area) triangles
    get the zero vector. Raises InputError on bad shapes, out-of-range indices or an empty mesh.
    """
    v, f = _mesh(vertices, faces)
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])
    return _normalise_rows(n)


def _normalise_rows(n):
    length = np.linalg.norm(n, axis=1, keepdims=True)
    out = np.zeros_like(n)
    np.divide(n, length, out=out, where=length > 0)
    return out


def vertex_normals(vertices, faces):
    """Area-weighted unit vertex normals: the normalised sum of the (un-normalised) cross products of incident faces.

    ``(V, 3)`` float, ``(F, 3)`` int -> ``(V, 3)`` float64. Vertices used by no face (or only by degenerate faces)
    get the zero vector. Raises InputError like :func:`face_normals`.
    """
    v, f = _mesh(vertices, faces)
    n = np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]])  # length = 2 * area: the area weighting
    acc = np.zeros_like(v)
    for corner in range(3):
        for axis in range(3):
            acc[:, axis] += np.bincount(f[:, corner], weights=n[:, axis], minlength=v.shape[0])
    return _normalise_rows(acc)


# ----------------------------------------------------------------------------------------------------------------------
# closest point on a triangle (Ericson 2005, "Real-Time Collision Detection", 5.1.5), vectorised


def _closest_vw(d1, d2, e_aa, e_ab, e_cc):
    """Barycentric ``(v, w)`` of the closest point ``a + v ab + w ac`` for non-degenerate triangles.

    ``d1 = ab.ap``, ``d2 = ac.ap`` per (point, triangle) pair; ``e_aa = ab.ab``, ``e_ab = ab.ac``, ``e_cc = ac.ac``
    per pair. Ericson's six dot products follow from these four because ``bp = ap - ab`` and ``cp = ap - ac``, which
    saves most of the per-pair vector arithmetic. The Voronoi regions are tested in Ericson's order; here the
    interior solution is computed first and then overwritten from the last region to the first, so the first
    matching region wins exactly as in his early-return code.
    """
    d3 = d1 - e_aa
    d4 = d2 - e_ab
    d5 = d1 - e_ab
    d6 = d2 - e_cc
    va = d3 * d6 - d5 * d4
    vb = d5 * d2 - d1 * d6
    vc = d1 * d4 - d3 * d2
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = va + vb + vc
        v = vb / denom
        w = vc / denom
        # edge BC
        m = (va <= 0) & (d4 >= d3) & (d5 >= d6)
        if m.any():
            t = (d4[m] - d3[m]) / ((d4[m] - d3[m]) + (d5[m] - d6[m]))
            v[m] = 1.0 - t
            w[m] = t
        # vertex C
        m = (d6 >= 0) & (d5 <= d6)
        v[m] = 0.0
        w[m] = 1.0
        # edge AC
        m = (vb <= 0) & (d2 >= 0) & (d6 <= 0)
        if m.any():
            v[m] = 0.0
            w[m] = d2[m] / (d2[m] - d6[m])
        # edge AB
        m = (vc <= 0) & (d1 >= 0) & (d3 <= 0)
        if m.any():
            v[m] = d1[m] / (d1[m] - d3[m])
            w[m] = 0.0
        # vertex B
        m = (d3 >= 0) & (d4 <= d3)
        v[m] = 1.0
        w[m] = 0.0
        # vertex A
        m = (d1 <= 0) & (d2 <= 0)
        v[m] = 0.0
        w[m] = 0.0
    return v, w


def _closest_vw_degenerate(ap, ab, ac):
    """``(v, w)`` of the closest point on a zero-area triangle: the best of its three edges as segments."""

    def segment(p, d):
        dd = np.einsum("ij,ij->i", d, d)
        t = np.zeros(len(p))
        np.divide(np.einsum("ij,ij->i", p, d), dd, out=t, where=dd > 0)
        t = np.clip(t, 0.0, 1.0)
        return t, np.einsum("ij,ij->i", p - t[:, None] * d, p - t[:, None] * d)

    t_ab, e_ab = segment(ap, ab)
    t_ac, e_ac = segment(ap, ac)
    t_bc, e_bc = segment(ap - ab, ac - ab)
    v = t_ab.copy()
    w = np.zeros_like(v)
    best = e_ab
    m = e_ac < best
    v[m], w[m], best = 0.0, t_ac[m], np.where(m, e_ac, best)
    m = e_bc < best
    v[m], w[m] = 1.0 - t_bc[m], t_bc[m]
    return v, w


def _degenerate(e_aa, e_ab, e_cc):
    # |ab x ac|^2 = e_aa e_cc - e_ab^2 is computed with a relative error ~1e-16 e_aa e_cc; below 1e-12 the
    # triangle is a segment or point for all practical purposes and the interior formula would divide by ~0.
    return e_aa * e_cc - e_ab * e_ab <= 1e-12 * e_aa * e_cc


def closest_point_on_triangle(points, a, b, c):
    """Closest points on triangles, pairwise: ``points[i]`` against triangle ``(a[i], b[i], c[i])``.

    All inputs ``(N, 3)`` float (``a``, ``b``, ``c`` may also be single ``(3,)`` points, broadcast). Returns
    ``(barycentric (N, 3) float64, closest (N, 3) float64)`` with barycentric weights of ``(a, b, c)``, all >= 0 and
    summing to 1. Method: Ericson, "Real-Time Collision Detection" (2005), section 5.1.5, vectorised; zero-area
    triangles fall back to the closest of their three edges. Raises InputError on bad shapes.
    """
    p = _points(points, "points", allow_empty=True)
    try:
        a, b, c = (np.broadcast_to(np.asarray(x, dtype=np.float64), p.shape) for x in (a, b, c))
    except ValueError:
        raise InputError(f"triangle corners must be (3,) or ({p.shape[0]}, 3) arrays like the points") from None
    ab, ac, ap = b - a, c - a, p - a
    v, w = _pair_vw(ap, ab, ac)
    bary = np.clip(np.stack([1.0 - v - w, v, w], axis=1), 0.0, None)
    bary /= bary.sum(axis=1, keepdims=True)
    return bary, a + bary[:, 1:2] * ab + bary[:, 2:3] * ac


def _pair_vw(ap, ab, ac):
    e_aa = np.einsum("ij,ij->i", ab, ab)
    e_ab = np.einsum("ij,ij->i", ab, ac)
    e_cc = np.einsum("ij,ij->i", ac, ac)
    degenerate = _degenerate(e_aa, e_ab, e_cc)
    d1 = np.einsum("ij,ij->i", ab, ap)
    d2 = np.einsum("ij,ij->i", ac, ap)
    v, w = _closest_vw(d1, d2, e_aa, e_ab, e_cc)
    if degenerate.any():
        v[degenerate], w[degenerate] = _closest_vw_degenerate(ap[degenerate], ab[degenerate], ac[degenerate])
    return v, w


# ----------------------------------------------------------------------------------------------------------------------
# exact closest point on a mesh


@dataclass(frozen=True)
class SurfacePoints:
    """Points on a triangle mesh: ``triangle`` ``(N,)`` int64 face index, ``barycentric`` ``(N, 3)`` float64 weights of
    that face's three vertices (>= 0, sum 1), ``point`` ``(N, 3)`` float64 position, ``distance`` ``(N,)`` float64
    Euclidean distance from the query point (vertex units)."""

    triangle: np.ndarray
    barycentric: np.ndarray
    point: np.ndarray
    distance: np.ndarray


class MeshProximity:
    """Exact closest-point queries on a fixed triangle mesh.

    ``MeshProximity(vertices (V, 3) float, faces (F, 3) int)``; ``.query(points (N, 3), allowed=None) ->
    SurfacePoints``, where ``allowed`` ``(F,)`` bool restricts the answer to some faces (the same as a structure
    built on those faces alone); ``MeshProximity.cached(vertices, faces)`` reuses the structure of a mesh with the
    same arrays (by content) built recently, so the stages of one rig share one build.

    Method: libigl's axis-aligned bounding-box tree (``igl.AABB``, compiled; Jacobson et al., libigl, MPL-2.0):
    a hierarchy of boxes traversed per point with branch-and-bound, which returns the exact nearest triangle and
    its squared distance. The point and barycentric weights on that triangle are then recomputed with Ericson's
    closest point on triangle (:func:`closest_point_on_triangle`), so weights are >= 0, sum to 1, and zero-area
    triangles answer by their edges like everywhere else in this module. Structures restricted to a face mask are
    built on the allowed faces (a build costs about as much as one query of every vertex) and the last
    :data:`SUBSET_CACHE` of them are kept per mesh. Deterministic: each point's answer depends only on the mesh
    and the point.

    Raises InputError for bad shapes, out-of-range indices, non-finite coordinates or an empty mesh.
    """

    #: structures kept by :meth:`cached` (most recently used last)
    CACHE_SIZE = 2
    #: face-mask structures kept per mesh (most recently used last)
    SUBSET_CACHE = 4
    _cache = {}

    @classmethod
    def cached(cls, vertices, faces):
        """A :class:`MeshProximity` of ``vertices`` ``(V, 3)``, ``faces`` ``(F, 3)``: reused when one was built on
        arrays of the same content (BLAKE2 digest of the float64 / int64 bytes) among the last :data:`CACHE_SIZE`,
        else built (and kept). Raises InputError like the constructor."""
        v, f = _mesh(vertices, faces)
        digest = hashlib.blake2b(v.tobytes(), digest_size=16)
        digest.update(np.ascontiguousarray(f).tobytes())
        key = (v.shape, f.shape, digest.hexdigest())
        found = cls._cache.pop(key, None)
        if found is None:
            found = cls(v, f)
        cls._cache[key] = found
        while len(cls._cache) > cls.CACHE_SIZE:
            cls._cache.pop(next(iter(cls._cache)))
        return found

    @classmethod
    def clear_cache(cls):
        """Forget the structures kept by :meth:`cached` (benchmarks time first builds; frees their memory)."""
        cls._cache.clear()

    def __init__(self, vertices, faces):
        v, f = _mesh(vertices, faces)
        self.vertices = np.ascontiguousarray(v)
        self.faces = np.ascontiguousarray(f)
        self._tree = None  # built on the first query of all faces (a caller may only ever ask with face masks)
        self._subsets = {}
        self._size_classes = None  # centroid trees of :meth:`faces_near`, built on first use
        self._boxes = None

    def _subset(self, allowed):
        """``(faces (F', 3), face ids (F',), tree)`` of the allowed faces, built or taken from the subset cache."""
        key = hashlib.blake2b(np.packbits(allowed).tobytes(), digest_size=16).hexdigest()
        found = self._subsets.pop(key, None)
        if found is None:
            index = np.flatnonzero(allowed)
            faces = np.ascontiguousarray(self.faces[index])
            found = (faces, index, _aabb(self.vertices, faces))
        self._subsets[key] = found
        while len(self._subsets) > self.SUBSET_CACHE:
            self._subsets.pop(next(iter(self._subsets)))
        return found

    def query(self, points, allowed=None):
        """Exact closest points on the mesh for ``points`` ``(N, 3)`` float -> :class:`SurfacePoints` (N may be 0).

        ``allowed``: None (every face) or ``(F,)`` bool, the faces the closest point may lie on; ``triangle``
        indexes the whole mesh's faces either way.
        Raises InputError on bad shapes, non-finite coordinates, or an ``allowed`` of the wrong shape or allowing
        no face.
        """
        p = _points(points, "points", allow_empty=True)
        faces, index = self.faces, None
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=bool)
            if allowed.shape != (len(self.faces),):
                raise InputError(f"allowed must be one bool per face ({len(self.faces)}), got shape {allowed.shape}")
            if not allowed.any():
                raise InputError("allowed selects no face: allow at least one")
            if allowed.all():
                allowed = None
        if allowed is not None:
            faces, index, tree = self._subset(allowed)
        else:
            if self._tree is None:
                self._tree = _aabb(self.vertices, self.faces)
            tree = self._tree
        if len(p) == 0:
            return SurfacePoints(
                triangle=np.zeros(0, dtype=np.int64),
                barycentric=np.zeros((0, 3)),
                point=np.zeros((0, 3)),
                distance=np.zeros(0),
            )
        _, tri, _ = tree.squared_distance(self.vertices, faces, np.ascontiguousarray(p))
        tri = np.asarray(tri, dtype=np.int64)
        corners = self.vertices[faces[tri]]
        bary, point = closest_point_on_triangle(p, corners[:, 0], corners[:, 1], corners[:, 2])
        return SurfacePoints(
            triangle=tri if index is None else index[tri],
            barycentric=bary,
            point=point,
            distance=np.linalg.norm(point - p, axis=1),
        )

    #: Blended closest points (:meth:`blended`): a face whose distance ``d`` to a point is within
    #: ``d^2 <= (1 + BLEND_BAND) d_min^2`` of the closest one's shares in the point's correspondence.
    BLEND_BAND = 0.25
    #: centroids asked for at once per point in :meth:`faces_near` (the rare point with more asks again)
    NEAR_FACES = 16

    def blended(self, points, hit, limit, keep=None, reach=0.0):
        """Blended closest points: each point's correspondence on the mesh shared by every face nearly as close as
        the closest one, so that it moves continuously with the point.

        A closest point is not a continuous function of the point: where two parts of a surface are about equally
        far (the two sides of a fold, a lash in front of a lid) a rounding error moves it from one to the other.
        Here face ``f`` at distance ``d_f`` (its own closest point) counts with weight
        ``smoothstep(d_f^2, (1 + BLEND_BAND) d^2, d^2)``, ``d`` the closest distance, weights normalised per point:
        a smooth minimum over the surface instead of the arg min, as in soft assignment (Gold, Rangarajan et al.
        1998, "New algorithms for 2D and 3D point matching", Pattern Recognition 31(8)) and EM-ICP (Granger &
        Pennec 2002, ECCV). On the surface (``d = 0``) it is the closest point itself; off it the blend reaches
        about ``sqrt(BLEND_BAND) d`` along a smooth surface.

        Args:
            points: ``(N, 3)`` float.
            hit: ``(face (N,), barycentric (N, 3), distance (N,))`` the points' closest points on the faces
                ``keep`` allows (e.g. from :meth:`query`); ``distance`` inf where there is none.
            limit: points farther than this keep their closest point alone (blending across a wide band is
                costly; a caller passes the distance beyond which it ignores a point).
            keep: optional ``keep(point (K,), face (K,)) -> (K,) bool``, the faces each point may take (the same
                as the faces ``hit`` was found on).
            reach: the band's least width, in the mesh's units: faces within ``reach`` of the closest distance
                share too, ``smoothstep(d_f^2, (1 + BLEND_BAND) d^2 + reach^2, d^2)``. With ``reach`` 0 a point
                on or very near the surface blends over a band as thin as its distance, so where two surfaces
                nearly touch (closed lips at a mouth corner, a lid under its lashes) a move of the point by a
                hair's breadth hands it from one to the other; ``reach`` bounds that rate by ``1 / reach``.

        Returns:
            ``(point (K,) int64, face (K,) int64, barycentric (K, 3) float64, weight (K,) float64)``: entries of
            the correspondences, weights summing to 1 per point (no entry where ``distance`` is inf).
        """
        p = _points(points, "points", allow_empty=True)
        face_hit, bary_hit, distance = (np.asarray(a) for a in hit)
        n = len(p)
        blended = np.isfinite(distance) & (distance <= limit)
        # A floor far below any mesh detail keeps the band open for a point lying exactly on the surface.
        floor = max(1e-9 * float(np.ptp(self.vertices, axis=0).max()), float(reach)) ** 2
        near_sq = np.where(blended, distance, 0.0) ** 2
        far_sq = (1.0 + self.BLEND_BAND) * near_sq + floor
        rows = np.flatnonzero(blended)
        point, face = self.faces_near(p[rows], np.sqrt(far_sq[rows]))
        point = rows[point]
        # Cheap bound first: the distance to the face's bounding box.
        lo, hi = self._face_boxes()
        gap = np.maximum(lo[face] - p[point], 0.0) + np.maximum(p[point] - hi[face], 0.0)
        near = (gap**2).sum(axis=1) <= far_sq[point]
        if keep is not None:
            near[near] = keep(point[near], face[near])
        point, face = point[near], face[near]
        corners = self.vertices[self.faces[face]]
        bary, closest = closest_point_on_triangle(p[point], corners[:, 0], corners[:, 1], corners[:, 2])
        weight = smoothstep(((closest - p[point]) ** 2).sum(axis=1), far_sq[point], near_sq[point])
        total = np.bincount(point, weights=weight, minlength=n)
        weight = weight / np.where(total > 0, total, 1.0)[point]
        # Points not blended (beyond the limit) keep their closest point.
        single = np.flatnonzero(~blended & np.isfinite(distance))
        used = weight > 0
        return (
            np.concatenate([point[used], single]),
            np.concatenate([face[used], face_hit[single]]),
            np.concatenate([bary[used], bary_hit[single]]),
            np.concatenate([weight[used], np.ones(len(single))]),
        )

    def _face_boxes(self):
        """``(lo (F, 3), hi (F, 3))`` the faces' bounding boxes (built once)."""
        if self._boxes is None:
            corners = self.vertices[self.faces]
            self._boxes = corners.min(axis=1), corners.max(axis=1)
        return self._boxes

    def faces_near(self, points, radius):
        """``(point, face)`` int64 arrays of the pairs whose face may come within ``radius (N,)`` of its point
        (its centroid within ``radius`` plus its reach, the centroid's distance to its farthest corner: a
        superset). The faces are grouped by reach, one k-d tree of centroids per group (``scipy.spatial.cKDTree``),
        so a few large faces do not widen every search. Points with a small radius (most: they lie on the
        surface) ask each tree for their :data:`NEAR_FACES` nearest centroids within the group's bound at once
        (fixed-size arrays); the others, and those that got as many, ask for all of them."""
        if self._size_classes is None:
            corners = self.vertices[self.faces]
            centroids = corners.mean(axis=1)
            reach = np.linalg.norm(corners - centroids[:, None], axis=2).max(axis=1)
            # Classes of reach up to 2, 4, 8... times the median: a search widens by at most its class's reach.
            median = max(float(np.median(reach)), 1e-300)
            group = np.ceil(np.log2(np.maximum(reach / median, 1.0))).astype(np.int64)
            classes = []
            for g in np.unique(group):
                members = np.flatnonzero(group == g)
                classes.append((members, float(reach[members].max()), cKDTree(centroids[members])))
            self._size_classes = (median, classes, centroids, reach)
        median, classes, centroids, reach_of = self._size_classes
        small = np.flatnonzero(radius <= median)
        point_ids, face_ids = [], []
        for members, reach, tree in classes:
            k = min(self.NEAR_FACES, len(members))
            _, found = tree.query(points[small], k=k, distance_upper_bound=median + reach, workers=-1)
            found = found.reshape(len(small), k)
            hit = found < len(members)
            full = hit[:, -1].copy()  # a copy: hit is cleared below
            hit[full] = False
            point_ids.append(np.broadcast_to(small[:, None], found.shape)[hit])
            face_ids.append(members[found[hit]])
            ask = np.ones(len(points), dtype=bool)
            ask[small[~full]] = False
            ask = np.flatnonzero(ask)
            found = tree.query_ball_point(points[ask], radius[ask] + reach, workers=-1, return_sorted=True)
            counts = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(ask))
            point_ids.append(np.repeat(ask, counts))
            face_ids.append(members[np.concatenate(found).astype(np.int64)] if counts.sum() else members[:0])
        point, face = np.concatenate(point_ids), np.concatenate(face_ids)
        # Each face's own reach, not its group's largest: most pairs go here.
        near = ((points[point] - centroids[face]) ** 2).sum(axis=1) <= (radius[point] + reach_of[face]) ** 2
        return point[near], face[near]


def _aabb(vertices, faces):
    """libigl's bounding-box tree over ``faces`` (contiguous float64 / int64 arrays)."""
    tree = igl.AABB()
    tree.init(vertices, faces)
    return tree


# ----------------------------------------------------------------------------------------------------------------------
# surface data, topology


def interpolate_on_surface(values, faces, triangle, barycentric):
    """Barycentric interpolation of per-vertex data at surface points.

    ``values`` ``(V, ...)`` numeric, ``faces`` ``(F, 3)`` int, ``triangle`` ``(N,)`` int face indices,
    ``barycentric`` ``(N, 3)`` float -> ``(N, ...)`` float64: ``sum_k bary[:, k] * values[faces[triangle, k]]``.
    Raises InputError on mismatched shapes or out-of-range indices.
    """
    vals = np.asarray(values)
    if vals.ndim < 1 or vals.shape[0] == 0:
        raise InputError("values must be a non-empty per-vertex array of shape (V, ...)")
    f = _faces(faces, vals.shape[0])
    tri = np.asarray(triangle)
    if tri.ndim != 1 or (tri.size and not np.issubdtype(tri.dtype, np.integer)):
        raise InputError(f"triangle must be a 1-D integer array of face indices, got shape {tri.shape}")
    if tri.size and (tri.min() < 0 or tri.max() >= f.shape[0]):
        raise InputError(f"triangle indices must lie in 0..{f.shape[0] - 1} (a miss, -1, cannot be interpolated)")
    bary = np.asarray(barycentric, dtype=np.float64)
    if bary.shape != (tri.shape[0], 3):
        raise InputError(f"barycentric must have shape ({tri.shape[0]}, 3), got {bary.shape}")
    corner = vals[f[tri]].astype(np.float64, copy=False)  # (N, 3, ...)
    return np.einsum("nk,nk...->n...", bary, corner)


def normals_at(normals, faces, triangle, barycentric):
    """Unit surface normals at surface points: per-vertex ``normals`` ``(V, 3)`` (:func:`vertex_normals`)
    interpolated barycentrically (Phong) at ``triangle`` ``(N,)`` / ``barycentric`` ``(N, 3)`` -> ``(N, 3)`` float64
    (zero where they cancel). Unlike a face normal, the result is the same on either face of a shared edge, so a
    closest point lying on an edge or a vertex (most of them, on a convex patch) does not take one face's normal or
    another's on a rounding error. Raises InputError like :func:`interpolate_on_surface`."""
    return _normalise_rows(interpolate_on_surface(normals, faces, triangle, barycentric))


def _adjacency(n_vertices, faces):
    n = _n_vertices(n_vertices)
    f = _faces(faces, n, allow_empty=True)
    i = np.concatenate([f[:, 0], f[:, 1], f[:, 2]])
    j = np.concatenate([f[:, 1], f[:, 2], f[:, 0]])
    keep = i != j  # degenerate faces repeating a vertex must not create self-loops
    i, j = i[keep], j[keep]
    a = sparse.coo_matrix((np.ones(2 * i.size), (np.concatenate([i, j]), np.concatenate([j, i]))), shape=(n, n)).tocsr()
    a.data[:] = 1.0  # duplicates (edges shared by two faces) were summed: the graph is unweighted
    return a


def uniform_laplacian(n_vertices, faces):
    """Uniform graph Laplacian ``L = D - A`` of the mesh's edge graph.

    ``n_vertices`` int, ``faces`` ``(F, 3)`` int -> ``scipy.sparse.csr_matrix`` ``(V, V)`` float64, symmetric, rows
    summing to 0, ``L[i, i]`` = number of distinct neighbours of vertex i. ``L @ x`` is the "umbrella" operator
    (degree times the difference to the neighbour mean) used to smooth displacement fields (Taubin 1995).
    Raises InputError on out-of-range indices.
    """
    a = _adjacency(n_vertices, faces)
    degree = np.asarray(a.sum(axis=1)).ravel()
    return (sparse.diags(degree, format="csr") - a).tocsr()


def connected_components(n_vertices, faces):
    """Connected-component label per vertex (edge connectivity), via ``scipy.sparse.csgraph.connected_components``.

    -> ``(V,)`` int64 labels ``0..C-1``; vertices used by no face are components of their own.
    Raises InputError on out-of-range indices.
    """
    _, labels = csgraph.connected_components(_adjacency(n_vertices, faces), directed=False)
    return labels.astype(np.int64)


# ----------------------------------------------------------------------------------------------------------------------
# alignment and frames


def similarity_transform(src, dst, weights=None, *, with_scale=True):
    """Least-squares similarity ``dst ~ s R src + t`` (proper rotation, det R = +1).

    ``src``, ``dst`` ``(N, 3)`` float corresponding points, ``weights`` ``(N,)`` float >= 0 or None. Minimises
    ``sum_i w_i ||s R src_i + t - dst_i||^2``. Returns ``(scale float, rotation (3, 3) float64, translation (3,)
    float64)``; ``with_scale=False`` fixes ``scale = 1`` (rigid fit). Method: Umeyama 1991, "Least-squares estimation
    of transformation parameters between two point patterns" (IEEE TPAMI 13(4)), weighted form; the sign correction
    of the smallest singular value keeps R a rotation even when the best orthogonal fit would be a reflection.
    Raises InputError for mismatched shapes, fewer than 3 points, negative/zero-sum weights or coincident ``src``
    points.
    """
    s = _points(src, "src")
    d = _points(dst, "dst")
    if s.shape != d.shape:
        raise InputError(f"src and dst must have the same shape, got {s.shape} and {d.shape}")
    if s.shape[0] < 3:
        raise InputError(f"similarity_transform needs at least 3 point pairs, got {s.shape[0]}")
    if weights is None:
        w = np.full(s.shape[0], 1.0 / s.shape[0])
    else:
        w = np.asarray(weights, dtype=np.float64)
        if w.shape != (s.shape[0],) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise InputError("weights must be (N,) finite, non-negative and not all zero")
        w = w / w.sum()
    mu_s = w @ s
    mu_d = w @ d
    sc = s - mu_s
    dc = d - mu_d
    var_s = float(w @ np.einsum("ij,ij->i", sc, sc))
    if var_s <= 1e-300 or var_s <= 1e-24 * float(np.abs(s).max()) ** 2:
        raise InputError("src points (with non-zero weight) all coincide: no transformation can be estimated")
    cov = (dc * w[:, None]).T @ sc  # Sigma_xy of Umeyama eq. (38): dst x src
    u, sing, vt = np.linalg.svd(cov)
    sign = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[2] = -1.0
    rotation = (u * sign) @ vt
    scale = float((sing * sign).sum() / var_s) if with_scale else 1.0
    translation = mu_d - scale * rotation @ mu_s
    return scale, rotation, translation


def apply_similarity(points, scale, rotation, translation):
    """``scale * rotation @ p + translation`` for every row of ``points`` ``(N, 3)`` -> ``(N, 3)`` float64."""
    p = _points(points, "points", allow_empty=True)
    r = np.asarray(rotation, dtype=np.float64)
    t = np.asarray(translation, dtype=np.float64)
    if r.shape != (3, 3) or t.shape != (3,):
        raise InputError(f"rotation must be (3, 3) and translation (3,), got {r.shape} and {t.shape}")
    return float(scale) * p @ r.T + t


def principal_axes(vertices):
    """Principal axes of a point set (PCA of the vertex positions).

    ``vertices`` ``(V, 3)`` float -> ``(centre (3,), axes (3, 3), extents (3,))``, all float64: ``centre`` is the mean
    position; ``axes`` rows are unit axes ordered by decreasing variance, each signed so that its largest-magnitude
    component is positive (deterministic), except that the third is flipped when needed to make the frame
    right-handed; ``extents`` are the full lengths (max - min) of the points projected on each axis.
    Raises InputError on bad shapes or an empty array.
    """
    v = _points(vertices, "vertices")
    centre = v.mean(axis=0)
    x = v - centre
    eigval, eigvec = np.linalg.eigh(x.T @ x)
    axes = eigvec[:, ::-1].T.copy()
    for i in range(3):
        if axes[i, np.argmax(np.abs(axes[i]))] < 0:
            axes[i] = -axes[i]
    if np.linalg.det(axes) < 0:
        axes[2] = -axes[2]
    proj = x @ axes.T
    extents = proj.max(axis=0) - proj.min(axis=0)
    return centre, axes, extents


def smoothstep(x, edge0, edge1):
    """Hermite smoothstep ``3 s^2 - 2 s^3`` of ``s = clip((x - edge0) / (edge1 - edge0), 0, 1)``, elementwise.

    0 at ``edge0`` and beyond it, 1 at ``edge1`` and beyond, either order (a falloff with distance is
    ``smoothstep(d, far, near)``); continuous with its slope. ``x`` array-like -> float64 array. Used as a weight
    instead of a threshold: a value moved by a rounding error or a perturbation changes its weight by about as
    much, never from 1 to 0, so results stay continuous functions of the input.
    """
    s = np.clip((np.asarray(x, dtype=np.float64) - edge0) / (edge1 - edge0), 0.0, 1.0)
    return s * s * (3.0 - 2.0 * s)


# ----------------------------------------------------------------------------------------------------------------------
# welding

#: Vertices closer than this fraction of the bounding-box diagonal count as one point (:func:`weld_vertices`): far
#: below any modelled detail (1 micrometre on a 1 m bounding box), far above float32 round-off of a split seam.
WELD_TOLERANCE = 1e-6


def weld_vertices(vertices, faces, tolerance=WELD_TOLERANCE):
    """Merge coincident vertices (a triangle soup, split UV seams, duplicated vertices) into one.

    ``vertices`` ``(V, 3)`` float, ``faces`` ``(F, 3)`` int; ``tolerance``: distance, as a fraction of the
    bounding-box diagonal, under which two vertices are the same point. Method: all pairs within the distance
    (``scipy.spatial.cKDTree.query_pairs``), grouped transitively (``scipy.sparse.csgraph.connected_components``);
    each group takes the position of its first vertex, and groups are numbered in order of first appearance, so a
    mesh without coincident vertices comes back unchanged (same order, ``index == arange(V)``).
    Faces are re-indexed and those left with a repeated vertex (degenerate: collapsed by the weld, or already
    so) are dropped.

    Returns ``(welded (W, 3) float64, welded_faces (F', 3) int64, index (V,) int64)`` where ``index[i]`` is the
    welded vertex of input vertex ``i``, so per-vertex results on the welded mesh map back as ``values[index]``.
    Raises InputError on bad shapes, non-finite coordinates or out-of-range indices.
    """
    v, f = _mesh(vertices, faces)
    n = v.shape[0]
    diagonal = float(np.linalg.norm(v.max(axis=0) - v.min(axis=0))) if n else 0.0
    pairs = (
        cKDTree(v).query_pairs(tolerance * diagonal, output_type="ndarray")
        if diagonal > 0
        else np.zeros((0, 2), np.int64)
    )
    if n and diagonal == 0:  # every vertex at one point
        pairs = np.column_stack([np.zeros(n - 1, np.int64), np.arange(1, n)])
    if len(pairs):
        graph = sparse.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
        _, labels = csgraph.connected_components(graph, directed=False)
        _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
        rank = np.empty(len(first), np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        index = rank[inverse]
        welded = v[np.sort(first)]
    else:
        index, welded = np.arange(n, dtype=np.int64), v
    wf = index[f]
    keep = (wf[:, 0] != wf[:, 1]) & (wf[:, 1] != wf[:, 2]) & (wf[:, 0] != wf[:, 2])
    return welded, wf[keep], index
