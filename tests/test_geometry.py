"""Tests of core.geometry on the real ICT-FaceKit neutral head (26,719 vertices, centimetres) and on synthetic meshes
with known answers (a cube of 12 huge triangles, single triangles, exact similarity transforms)."""

import numpy as np
import pytest
from primitives import cube_mesh
from scipy.spatial.transform import Rotation

from facemotion.core import geometry
from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path
from facemotion.core.io.mesh_io import read_obj

ICT_NEUTRAL = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"
FACE_VERTICES = 9409  # ICT's face region is vertices 0..9408


def load_obj(path):
    """``(vertices (V, 3) float64, triangles (T, 3) int64)`` of an OBJ file (the project's one OBJ reader)."""
    mesh = read_obj(path)
    return mesh.vertices, mesh.triangles


@pytest.fixture(scope="module")
def ict():
    return load_obj(asset_path(ICT_NEUTRAL))


@pytest.fixture(scope="module")
def ict_proximity(ict):
    return geometry.MeshProximity(*ict)


def subdivide(v, f):
    """Split every triangle into 4 at the edge midpoints (same surface, 4x the triangles)."""
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    unique, inverse = np.unique(edges, axis=0, return_inverse=True)
    mid = len(v) + inverse.reshape(3, -1).T
    v2 = np.vstack([v, (v[unique[:, 0]] + v[unique[:, 1]]) / 2])
    a, b, c = f.T
    ab, bc, ca = mid.T
    return v2, np.vstack([np.c_[a, ab, ca], np.c_[ab, b, bc], np.c_[ca, bc, c], np.c_[ab, bc, ca]])


def brute_force_distance(points, v, f):
    """Distance to the mesh by a method independent of Ericson's: the foot point on each triangle's plane when it
    lies inside the triangle, else the nearest of the three edges (segments); minimum over all triangles."""
    a, b, c = v[f[:, 0]], v[f[:, 1]], v[f[:, 2]]
    n = np.cross(b - a, c - a)
    nn = np.einsum("ij,ij->i", n, n)
    ok = nn > 1e-30
    e0, e1 = b - a, c - a
    d00, d01, d11 = (np.einsum("ij,ij->i", x, y) for x, y in ((e0, e0), (e0, e1), (e1, e1)))
    den = np.where(ok, d00 * d11 - d01 * d01, 1.0)

    def segment(p, s, e):
        d = e - s
        dd = np.einsum("ij,ij->i", d, d)
        t = np.clip(np.einsum("ij,ij->i", p - s, d) / np.where(dd > 0, dd, 1.0), 0, 1)
        return np.linalg.norm(p - s - t[:, None] * d, axis=1)

    out = np.empty(len(points))
    for i, p in enumerate(points):
        ap = p - a
        h = np.einsum("ij,ij->i", ap, n) / np.where(ok, nn, 1.0)
        q = ap - h[:, None] * n
        d20, d21 = np.einsum("ij,ij->i", q, e0), np.einsum("ij,ij->i", q, e1)
        bv = (d11 * d20 - d01 * d21) / den
        bw = (d00 * d21 - d01 * d20) / den
        inside = ok & (bv >= 0) & (bw >= 0) & (bv + bw <= 1)
        plane = np.where(inside, np.abs(h) * np.sqrt(nn), np.inf)
        best = np.minimum.reduce([plane, segment(p, a, b), segment(p, b, c), segment(p, c, a)])
        out[i] = best.min()
    return out


def check_surface_points(result, points, v, f):
    """Barycentrics valid, they reproduce the returned point, and the distance is the point-to-point distance."""
    assert result.triangle.dtype == np.int64 and (result.triangle >= 0).all()
    assert (result.barycentric >= 0).all()
    np.testing.assert_allclose(result.barycentric.sum(axis=1), 1.0, atol=1e-12)
    rebuilt = geometry.interpolate_on_surface(v, f, result.triangle, result.barycentric)
    np.testing.assert_allclose(rebuilt, result.point, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(points - result.point, axis=1), result.distance, atol=1e-9)


# ----------------------------------------------------------------------------------------------------------------------
# normals


def test_face_normals_unit_right_handed_and_zero_for_degenerate():
    v = np.array([[0, 0, 0], [2, 0, 0], [0, 3, 0], [1, 0, 0]], dtype=float)
    f = np.array([[0, 1, 2], [0, 2, 1], [0, 1, 3]])  # ccw, cw, collinear
    n = geometry.face_normals(v, f)
    np.testing.assert_allclose(n, [[0, 0, 1], [0, 0, -1], [0, 0, 0]], atol=1e-15)
    assert n.dtype == np.float64


def test_vertex_normals_on_ict_head_point_outward(ict):
    v, f = ict
    n = geometry.vertex_normals(v, f)
    used = np.unique(f)
    np.testing.assert_allclose(np.linalg.norm(n[used], axis=1), 1.0, atol=1e-12)
    nose = int(np.argmax(v[:FACE_VERTICES, 2]))
    assert n[nose] @ [0, 0, 1] > 0.9  # the nose tip faces forward (+Z)
    top = int(np.argmax(v[:, 1]))
    assert n[top] @ [0, 1, 0] > 0.9  # the crown faces up


def test_vertex_normals_are_area_weighted():
    # vertex 0 is shared by a big triangle in the z=0 plane and a small one in the x=0 plane
    v = np.array([[0, 0, 0], [4, 0, 0], [0, 4, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    f = np.array([[0, 1, 2], [0, 3, 4]])
    n = geometry.vertex_normals(v, f)[0]
    expected = np.array([0.5, 0, 8.0])  # cross products: (0, 0, 16) and (1, 0, 0), halved
    np.testing.assert_allclose(n, expected / np.linalg.norm(expected), atol=1e-12)


# ----------------------------------------------------------------------------------------------------------------------
# closest points


def test_closest_point_on_triangle_voronoi_regions():
    a, b, c = np.array([0.0, 0, 0]), np.array([1.0, 0, 0]), np.array([0.0, 1, 0])
    points = np.array(
        [
            [-1, -1, 5],  # vertex A
            [2, -0.5, 1],  # vertex B
            [-0.2, 3, 0],  # vertex C
            [0.5, -2, 0],  # edge AB
            [-3, 0.25, 1],  # edge AC
            [1, 1, -2],  # edge BC
            [0.2, 0.3, 7],  # interior
        ]
    )
    bary, point = geometry.closest_point_on_triangle(points, a, b, c)
    expected = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0.5, 0, 0], [0, 0.25, 0], [0.5, 0.5, 0], [0.2, 0.3, 0]])
    np.testing.assert_allclose(point, expected, atol=1e-15)
    np.testing.assert_allclose(bary @ np.stack([a, b, c]), point, atol=1e-15)
    assert (bary >= 0).all()


def test_closest_point_on_degenerate_triangle_uses_its_edges():
    a, b, c = np.array([0.0, 0, 0]), np.array([0.0, 0, 0]), np.array([2.0, 0, 0])  # a segment
    bary, point = geometry.closest_point_on_triangle(np.array([[1.0, 1, 0], [3, 0, 1]]), a, b, c)
    np.testing.assert_allclose(point, [[1, 0, 0], [2, 0, 0]], atol=1e-15)
    assert np.isfinite(bary).all() and (bary >= 0).all()


def test_mesh_proximity_equals_brute_force_around_ict_head(ict, ict_proximity):
    v, f = ict
    rng = np.random.default_rng(7)
    lo, hi = v.min(axis=0), v.max(axis=0)
    far = rng.uniform(lo - 5, hi + 5, size=(80, 3))  # inside and outside the head, up to 5 cm off
    near = v[rng.integers(0, len(v), 80)] + rng.normal(0, 0.2, size=(80, 3))  # eyes, lashes, teeth included
    points = np.vstack([far, near])
    result = ict_proximity.query(points)
    np.testing.assert_allclose(result.distance, brute_force_distance(points, v, f), rtol=1e-12, atol=1e-12)
    check_surface_points(result, points, v, f)


def test_mesh_proximity_on_its_own_vertices_is_zero_distance(ict, ict_proximity):
    v, f = ict
    used = np.unique(f)[::17]
    result = ict_proximity.query(v[used])
    assert result.distance.max() < 1e-12
    np.testing.assert_allclose(result.point, v[used], atol=1e-12)


def test_mesh_proximity_exact_on_cube_of_huge_triangles():
    v, f = cube_mesh(50.0)
    rng = np.random.default_rng(3)
    points = rng.uniform(-80, 80, size=(400, 3))
    result = geometry.MeshProximity(v, f).query(points)
    # analytic distance to the cube surface
    q = np.abs(points) - 50.0
    outside = np.linalg.norm(np.maximum(q, 0), axis=1)
    inside = -np.max(q, axis=1)
    expected = np.where((q > 0).any(axis=1), outside, inside)
    np.testing.assert_allclose(result.distance, expected, atol=1e-10)
    check_surface_points(result, points, v, f)


def test_mesh_proximity_exact_with_mixed_huge_and_tiny_triangles(ict):
    """The ICT head (mm-sized triangles) inside a 12-triangle room 4 m wide: sizes differ ~10^4 times."""
    hv, hf = ict
    cv, cf = cube_mesh(200.0)
    v = np.vstack([hv, cv])
    f = np.vstack([hf, cf + len(hv)])
    rng = np.random.default_rng(11)
    points = np.vstack(
        [
            rng.uniform(-190, 190, size=(40, 3)),  # mostly nearest to the walls
            hv[rng.integers(0, len(hv), 40)] + rng.normal(0, 1.0, size=(40, 3)),
        ]
    )
    result = geometry.MeshProximity(v, f).query(points)
    np.testing.assert_allclose(result.distance, brute_force_distance(points, v, f), rtol=1e-12, atol=1e-11)
    check_surface_points(result, points, v, f)


def test_mesh_proximity_exact_on_subdivided_ict_head(ict):
    """208,880 triangles (the ICT head subdivided once), points near the face."""
    v, f = subdivide(*ict)
    rng = np.random.default_rng(5)
    points = v[rng.integers(0, FACE_VERTICES, 30)] + rng.normal(0, 0.3, size=(30, 3))
    result = geometry.MeshProximity(v, f).query(points)
    np.testing.assert_allclose(result.distance, brute_force_distance(points, v, f), rtol=1e-12, atol=1e-12)


def test_mesh_proximity_handles_no_points_and_rejects_bad_input(ict_proximity):
    empty = ict_proximity.query(np.zeros((0, 3)))
    assert empty.triangle.shape == (0,) and empty.barycentric.shape == (0, 3) and empty.point.shape == (0, 3)
    with pytest.raises(InputError):
        ict_proximity.query(np.zeros((4, 2)))
    with pytest.raises(InputError):
        ict_proximity.query([[0, 0, np.nan]])
    with pytest.raises(InputError):
        geometry.MeshProximity(np.zeros((0, 3)), np.zeros((0, 3), dtype=int))
    with pytest.raises(InputError):
        geometry.MeshProximity(np.zeros((3, 3)), np.zeros((0, 3), dtype=int))
    with pytest.raises(InputError):
        geometry.MeshProximity(np.zeros((3, 3)), [[0, 1, 3]])
    with pytest.raises(InputError):
        geometry.MeshProximity(np.zeros((4, 3)), [[0, 1, 2, 3]])


def test_mesh_proximity_allowed_faces_equal_brute_force_on_those_faces(ict, ict_proximity):
    """A face mask (the front half of the head, plus every 5th face behind) answers like a structure built on the
    allowed faces alone: exact distances, only allowed triangles, whole-mesh triangle indices."""
    v, f = ict
    centroid = v[f].mean(axis=1)
    allowed = (centroid[:, 2] > np.median(centroid[:, 2])) | (np.arange(len(f)) % 5 == 0)
    rng = np.random.default_rng(13)
    points = v[rng.integers(0, len(v), 120)] + rng.normal(0, 0.5, size=(120, 3))
    result = ict_proximity.query(points, allowed=allowed)
    assert allowed[result.triangle].all()
    np.testing.assert_allclose(result.distance, brute_force_distance(points, v, f[allowed]), rtol=1e-12, atol=1e-12)
    check_surface_points(result, points, v, f)
    everything = ict_proximity.query(points, allowed=np.ones(len(f), bool))
    np.testing.assert_array_equal(everything.distance, ict_proximity.query(points).distance)
    with pytest.raises(InputError):
        ict_proximity.query(points, allowed=np.zeros(len(f), bool))
    with pytest.raises(InputError):
        ict_proximity.query(points, allowed=allowed[:-1])


def test_mesh_proximity_cached_reuses_a_build_by_content(ict):
    v, f = ict
    geometry.MeshProximity.clear_cache()
    first = geometry.MeshProximity.cached(v, f)
    assert geometry.MeshProximity.cached(v.copy(), f.copy()) is first  # same content, other arrays
    moved = v.copy()
    moved[0, 0] += 1e-9
    other = geometry.MeshProximity.cached(moved, f)
    assert other is not first and other.vertices[0, 0] == moved[0, 0]
    geometry.MeshProximity.clear_cache()
    assert geometry.MeshProximity.cached(v, f) is not first
    geometry.MeshProximity.clear_cache()


# ----------------------------------------------------------------------------------------------------------------------
# interpolation and topology


def test_interpolate_on_surface_vectors_and_tensors(ict):
    v, f = ict
    tri = np.array([0, 100, len(f) - 1])
    bary = np.array([[1, 0, 0], [0.2, 0.3, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    expected = np.einsum("nk,nkj->nj", bary, v[f[tri]])
    np.testing.assert_allclose(geometry.interpolate_on_surface(v, f, tri, bary), expected, atol=1e-12)
    tensors = np.stack([v, 2 * v], axis=1)  # (V, 2, 3)
    out = geometry.interpolate_on_surface(tensors, f, tri, bary)
    assert out.shape == (3, 2, 3)
    np.testing.assert_allclose(out[:, 1], 2 * expected, atol=1e-12)
    with pytest.raises(InputError):
        geometry.interpolate_on_surface(v, f, np.array([-1]), bary[:1])


def test_normals_at_agree_on_either_face_of_an_edge(ict):
    v, f = ict
    normals = geometry.vertex_normals(v, f)
    # Two faces sharing an edge: the edge's midpoint read from each gives one normal (a face normal would differ).
    a = 0
    shared = [k for k in range(1, 200) if len(set(f[a]) & set(f[k])) == 2][0]
    i, j = sorted(set(f[a]) & set(f[shared]))

    def midpoint_bary(face):
        bary = np.zeros(3)
        bary[list(face).index(i)] = bary[list(face).index(j)] = 0.5
        return bary

    on_a, on_b = geometry.normals_at(
        normals, f, np.array([a, shared]), np.stack([midpoint_bary(f[a]), midpoint_bary(f[shared])])
    )
    np.testing.assert_allclose(on_a, on_b, atol=1e-12)
    assert abs(np.linalg.norm(on_a) - 1.0) < 1e-12
    faces = geometry.face_normals(v, f)
    assert np.abs(faces[a] - faces[shared]).max() > 1e-3


def test_smoothstep_runs_either_way_and_is_continuous():
    x = np.array([-1.0, 0.0, 0.25, 0.5, 1.0, 2.0])
    np.testing.assert_allclose(geometry.smoothstep(x, 0.0, 1.0), [0, 0, 0.15625, 0.5, 1, 1])
    np.testing.assert_allclose(geometry.smoothstep(x, 1.0, 0.0), [1, 1, 0.84375, 0.5, 0, 0])  # a falloff
    fine = np.linspace(-0.5, 1.5, 20001)
    assert np.abs(np.diff(geometry.smoothstep(fine, 0.0, 1.0))).max() < 2e-4


def test_uniform_laplacian_is_d_minus_a(ict):
    v, f = ict
    lap = geometry.uniform_laplacian(len(v), f)
    assert lap.shape == (len(v), len(v)) and lap.format == "csr"
    assert abs(lap - lap.T).max() == 0
    np.testing.assert_allclose(np.asarray(lap.sum(axis=1)).ravel(), 0.0, atol=1e-12)
    edges = np.unique(np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1), axis=0)
    degree = np.bincount(edges.ravel(), minlength=len(v))
    np.testing.assert_array_equal(lap.diagonal(), degree)
    off = lap.copy()
    off.setdiag(0)
    off.eliminate_zeros()
    assert set(np.unique(off.data)) == {-1.0} and off.nnz == 2 * len(edges)
    # the umbrella operator vanishes on a linear field over a flat fan of equal-angle neighbours
    ring = np.array([[np.cos(t), np.sin(t), 0] for t in np.linspace(0, 2 * np.pi, 7)[:-1]])
    fan_v = np.vstack([[0, 0, 0], ring])
    fan_f = np.array([[0, 1 + i, 1 + (i + 1) % 6] for i in range(6)])
    np.testing.assert_allclose((geometry.uniform_laplacian(7, fan_f) @ fan_v)[0], 0.0, atol=1e-12)


def test_connected_components_separate_ict_parts(ict):
    v, f = ict
    labels = geometry.connected_components(len(v), f)
    assert labels.shape == (len(v),)
    assert len(np.unique(labels[:FACE_VERTICES])) == 1  # the face is one piece
    left_sclera, right_sclera = 21451, 23021  # first vertices of the eyeball shells (ICT README)
    assert labels[left_sclera] != labels[0] and labels[right_sclera] != labels[left_sclera]
    # two triangles sharing no vertex plus an unused vertex: three components
    small = geometry.connected_components(7, [[0, 1, 2], [3, 4, 5]])
    assert len(np.unique(small)) == 3 and small[0] == small[2] and small[3] == small[5]


# ----------------------------------------------------------------------------------------------------------------------
# alignment and frames


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_similarity_transform_recovers_known_transform(ict, scale):
    v, _ = ict
    rng = np.random.default_rng(1)
    src = v[rng.choice(len(v), 500, replace=False)]
    rot = Rotation.from_rotvec([0.3, -1.1, 0.7]).as_matrix()
    trans = np.array([5.0, -2.0, 40.0])
    dst = scale * src @ rot.T + trans
    s, r, t = geometry.similarity_transform(src, dst)
    assert s == pytest.approx(scale, rel=1e-10)
    np.testing.assert_allclose(r, rot, atol=1e-10)
    np.testing.assert_allclose(t, trans, atol=1e-9 * max(1.0, scale))
    np.testing.assert_allclose(geometry.apply_similarity(src, s, r, t), dst, atol=1e-8 * max(1.0, scale))


def test_similarity_transform_weights_ignore_outliers(ict):
    v, _ = ict
    src = v[::200]
    rot = Rotation.from_rotvec([0.0, 0.4, 0.0]).as_matrix()
    dst = 1.7 * src @ rot.T + [1, 2, 3]
    dst[:5] += 30.0  # five gross outliers
    w = np.ones(len(src))
    w[:5] = 0.0
    s, r, t = geometry.similarity_transform(src, dst, weights=w)
    assert s == pytest.approx(1.7, rel=1e-10)
    np.testing.assert_allclose(r, rot, atol=1e-10)
    s_rigid, _, _ = geometry.similarity_transform(src, dst, weights=w, with_scale=False)
    assert s_rigid == 1.0


def test_similarity_transform_never_returns_a_reflection():
    rng = np.random.default_rng(2)
    src = rng.normal(size=(50, 3))
    # coplanar points: the unconstrained orthogonal fit may come out as a reflection, Umeyama's correction fixes it
    planar = src * [1, 1, 0]
    rot = Rotation.from_rotvec([0.5, 0.2, -0.3]).as_matrix()
    s, r, t = geometry.similarity_transform(planar, 2 * planar @ rot.T + 1)
    np.testing.assert_allclose(r, rot, atol=1e-10)
    assert s == pytest.approx(2.0)
    # mirrored data: no rotation fits exactly; the answer must still be a proper rotation
    mirrored = src * [-1, 1, 1]
    s, r, t = geometry.similarity_transform(src, mirrored)
    assert np.linalg.det(r) == pytest.approx(1.0)
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    # ... and the best one: no random rotation (with its own optimal scale and translation) fits better
    residual = np.sum((geometry.apply_similarity(src, s, r, t) - mirrored) ** 2)
    for q in Rotation.random(200, random_state=4).as_matrix():
        qs = src @ q.T
        qs_c, m_c = qs - qs.mean(0), mirrored - mirrored.mean(0)
        k = max(np.sum(qs_c * m_c) / np.sum(qs_c**2), 0.0)  # a negative scale would be a reflection
        assert residual <= np.sum((k * qs_c - m_c) ** 2) + 1e-9


def test_similarity_transform_rejects_bad_input():
    with pytest.raises(InputError):
        geometry.similarity_transform(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(InputError):
        geometry.similarity_transform(np.zeros((5, 3)), np.zeros((4, 3)))
    with pytest.raises(InputError):
        geometry.similarity_transform(np.ones((5, 3)), np.zeros((5, 3)))
    with pytest.raises(InputError):
        geometry.similarity_transform(np.eye(3), np.eye(3), weights=[1, -1, 1])


def test_principal_axes_of_ict_head_and_of_a_rotated_box(ict):
    v, _ = ict
    centre, axes, extents = geometry.principal_axes(v)
    np.testing.assert_allclose(centre, v.mean(axis=0))
    np.testing.assert_allclose(axes @ axes.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(axes) == pytest.approx(1.0)
    assert abs(axes[0] @ [0, 1, 0]) > 0.9  # the head is longest top to bottom
    assert abs(axes[2] @ [1, 0, 0]) > 0.9  # ... and narrowest left to right (ears are closer than nose to nape)
    # a uniformly filled box 10 x 4 x 1, rotated and moved
    rng = np.random.default_rng(0)
    box = rng.uniform(-0.5, 0.5, size=(20000, 3)) * [10, 4, 1]
    box[:8] = np.array([[x, y, z] for x in (-5, 5) for y in (-2, 2) for z in (-0.5, 0.5)])  # corners: exact extents
    rot = Rotation.from_rotvec([0.3, 0.9, -0.4]).as_matrix()
    centre, axes, extents = geometry.principal_axes(box @ rot.T + [3, 2, 1])
    np.testing.assert_allclose(np.abs(axes @ rot), np.eye(3), atol=0.02)
    np.testing.assert_allclose(extents, [10, 4, 1], rtol=0.03)
