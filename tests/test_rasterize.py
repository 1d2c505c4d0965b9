"""Tests of core.detect.rasterize on the real ICT-FaceKit neutral head (its face looks along +Z, Y up, centimetres), a
cube of 12 huge triangles, and MediaPipe's real Face Landmarker run on the render."""

import numpy as np
import pytest
from primitives import cube_mesh
from scipy import ndimage
from scipy.spatial import ConvexHull
from scipy.spatial.transform import Rotation

from facemotion.core import geometry
from facemotion.core.detect import rasterize
from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path
from facemotion.core.io.mesh_io import read_obj

ICT_NEUTRAL = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"
FACE_LANDMARKER = "mediapipe/face_landmarker.task"
FACE_VERTICES = 9409  # ICT's face region is vertices 0..9408
# ICT README, Multi-PIE 68-point landmark vertices used here: 36/45 outer eye corners, 39/42 inner, 48/54 mouth corners
ICT68 = {36: 1507, 39: 1528, 42: 3742, 45: 3721, 48: 5708, 54: 6213}
# MediaPipe 478-point mesh indices of the same points (4 = most forward nose point)
MEDIAPIPE_TO_ICT68 = {33: 36, 133: 39, 362: 42, 263: 45, 61: 48, 291: 54}


def load_obj(path):
    """``(vertices (V, 3) float64, triangles (T, 3) int64)`` of an OBJ file (the project's one OBJ reader)."""
    mesh = read_obj(path)
    return mesh.vertices, mesh.triangles


@pytest.fixture(scope="module")
def ict():
    return load_obj(asset_path(ICT_NEUTRAL))


@pytest.fixture(scope="module")
def front(ict):
    v, f = ict
    camera = rasterize.OrthoCamera.framing(v, view_dir=(0, 0, -1), up=(0, 1, 0), size=(512, 512))
    return rasterize.render(v, f, camera)


def reconstruct(render, vertices, faces):
    """3D points of all foreground pixels from the id and barycentric buffers, and their pixel centres."""
    rows, cols = np.nonzero(render.foreground)
    tri = render.triangle[rows, cols]
    points = geometry.interpolate_on_surface(vertices, faces, tri, render.barycentric[rows, cols])
    return points, np.column_stack([cols + 0.5, rows + 0.5]), rows, cols


# ----------------------------------------------------------------------------------------------------------------------
# camera


def test_camera_conventions_and_round_trip():
    cam = rasterize.OrthoCamera(rotation=np.eye(3), centre=[1.0, 2.0, 3.0], half_width=2.0, size=(300, 400))
    xy, depth = cam.project([[1, 2, 3], [3, 2, 3], [1, 3, 3], [1, 2, 5]])
    np.testing.assert_allclose(xy[0], [200, 150])  # the centre lands on the image centre
    np.testing.assert_allclose(xy[1], [400, 150])  # half_width to the right: the right edge
    np.testing.assert_allclose(xy[2], [200, 50])  # up in the world is up in the image (smaller y)
    np.testing.assert_allclose(depth, [0, 0, 0, 2])  # toward the viewer (+z camera) is larger depth
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(20, 3))
    xy, depth = cam.project(pts)
    np.testing.assert_allclose(cam.unproject(xy, depth), pts, atol=1e-12)
    origins, direction = cam.unproject_ray(xy)
    np.testing.assert_allclose(direction, [0, 0, -1])
    along = (pts - origins) @ direction  # each point lies on its pixel's ray
    np.testing.assert_allclose(origins + along[:, None] * direction, pts, atol=1e-12)


def test_framing_fits_vertices_and_orthogonalises_up(ict):
    v, _ = ict
    cam = rasterize.OrthoCamera.framing(v, view_dir=(0, 0, -1), up=(0, 1, 0.3), size=(400, 600), margin=1.25)
    np.testing.assert_allclose(cam.rotation @ cam.rotation.T, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(cam.view_dir, [0, 0, -1], atol=1e-12)
    np.testing.assert_allclose(cam.rotation[0], [1, 0, 0], atol=1e-12)  # right = +X when looking at the face
    xy, _ = cam.project(v)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    np.testing.assert_allclose((lo + hi) / 2, [300, 200], atol=1e-9)  # centred
    assert hi[1] - lo[1] == pytest.approx(400 / 1.25)  # the taller head fills 1/margin of the height
    with pytest.raises(InputError):
        rasterize.OrthoCamera.framing(v, view_dir=(0, 1, 0), up=(0, 2, 0))
    with pytest.raises(InputError):
        rasterize.OrthoCamera(rotation=np.diag([1.0, 1.0, -1.0]), centre=np.zeros(3), half_width=1.0)


# ----------------------------------------------------------------------------------------------------------------------
# rendering the ICT head


def test_front_render_silhouette_matches_projected_head(ict, front):
    v, _ = ict
    assert front.image.shape == (512, 512, 3) and front.image.dtype == np.uint8
    assert front.triangle.dtype == np.int32 and front.barycentric.dtype == np.float32
    assert front.depth.dtype == np.float32
    fg = front.foreground
    assert 0.2 < fg.mean() < 0.45
    rows, cols = np.nonzero(fg)
    xy, _ = front.camera.project(v)
    # the silhouette's bounding box is the projected vertices' box (the outline vertices are visible from the front)
    np.testing.assert_allclose([cols.min(), rows.min()], np.floor(xy.min(axis=0)), atol=1)
    np.testing.assert_allclose([cols.max(), rows.max()], np.floor(xy.max(axis=0)), atol=1)
    # one connected blob without holes (no pinholes between triangles)
    _, n_blobs = ndimage.label(fg)
    assert n_blobs == 1
    assert (ndimage.binary_fill_holes(fg) == fg).all()
    # background: id -1, depth NaN, background colour
    assert np.isnan(front.depth[~fg]).all() and not np.isnan(front.depth[fg]).any()
    assert (front.image[~fg] == 0).all()


def test_front_render_nearest_point_is_the_nose_tip(ict, front):
    v, _ = ict
    nose = int(np.argmax(v[:FACE_VERTICES, 2]))
    (nose_xy,), (nose_depth,) = front.camera.project(v[nose][None])
    row, col = np.unravel_index(np.nanargmax(front.depth), front.depth.shape)
    assert np.hypot(col + 0.5 - nose_xy[0], row + 0.5 - nose_xy[1]) < 3.0
    assert np.nanmax(front.depth) == pytest.approx(nose_depth, abs=0.05)  # centimetres


def test_front_render_buffers_reproject_to_their_pixels(ict, front):
    v, f = ict
    points, centres, rows, cols = reconstruct(front, v, f)
    xy, depth = front.camera.project(points)
    assert np.abs(xy - centres).max() < 0.5
    np.testing.assert_allclose(depth, front.depth[rows, cols], atol=1e-4)
    bary = front.barycentric[rows, cols]
    assert bary.min() >= 0 and np.abs(bary.sum(axis=1) - 1).max() < 1e-6


def test_front_render_depth_test_keeps_the_nearest_surface(ict, front):
    """Brute force for sample pixels: among ALL triangles covering the pixel centre, the buffer holds the nearest."""
    v, f = ict
    xy, z = front.camera.project(v)
    p0, p1, p2 = xy[f[:, 0]], xy[f[:, 1]], xy[f[:, 2]]
    area = (p1[:, 0] - p0[:, 0]) * (p2[:, 1] - p0[:, 1]) - (p2[:, 0] - p0[:, 0]) * (p1[:, 1] - p0[:, 1])
    ok = np.abs(area) > 1e-12
    rng = np.random.default_rng(1)
    rows, cols = np.nonzero(front.foreground)
    pick = rng.choice(len(rows), 150, replace=False)
    for r, c in zip(rows[pick], cols[pick]):
        q = np.array([c + 0.5, r + 0.5])

        def edge(a, b, q=q):
            return (b[:, 0] - a[:, 0]) * (q[1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (q[0] - a[:, 0])

        w0 = edge(p1, p2) / np.where(ok, area, 1)
        w1 = edge(p2, p0) / np.where(ok, area, 1)
        w2 = 1 - w0 - w1
        cover = ok & (w0 >= -1e-9) & (w1 >= -1e-9) & (w2 >= -1e-9)
        depth = w0[cover] * z[f[cover, 0]] + w1[cover] * z[f[cover, 1]] + w2[cover] * z[f[cover, 2]]
        assert front.depth[r, c] == pytest.approx(depth.max(), abs=1e-4)


def test_front_render_is_shaded_like_a_face(ict, front):
    v, _ = ict
    fg = front.foreground
    img = front.image.astype(float)
    skin = img[fg].mean(axis=0)
    assert skin[0] > skin[1] > skin[2] > 60  # warm skin tone, not grey, not black
    lum = img.mean(axis=2)
    nose = int(np.argmax(v[:FACE_VERTICES, 2]))
    ((nx, ny),) = front.camera.project(v[nose][None])[0]
    rim = fg & ~ndimage.binary_erosion(fg, iterations=2)  # grazing angles along the silhouette
    assert lum[int(ny), int(nx)] > lum[rim].mean() + 20
    assert np.std(lum[fg]) > 5  # shading, not a flat cut-out


def test_render_is_deterministic_and_two_sided(ict, front):
    v, f = ict
    again = rasterize.render(v, f, front.camera)
    assert again.image.tobytes() == front.image.tobytes()
    assert again.triangle.tobytes() == front.triangle.tobytes()
    assert again.barycentric.tobytes() == front.barycentric.tobytes()
    assert again.depth.tobytes() == front.depth.tobytes()
    # flipped winding flips every normal; two-sided lighting must give the same picture
    flipped = rasterize.render(v, f[:, ::-1], front.camera)
    diff = np.abs(flipped.image.astype(int) - front.image.astype(int))
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3
    np.testing.assert_array_equal(flipped.foreground, front.foreground)


def test_supersampling_smooths_edges_and_keeps_buffers(ict, front):
    v, f = ict
    ss = rasterize.render(v, f, front.camera, ssaa=2)
    np.testing.assert_array_equal(ss.triangle, front.triangle)
    np.testing.assert_array_equal(ss.barycentric, front.barycentric)
    lum_ss, lum = ss.image.mean(axis=2), front.image.mean(axis=2)
    edge = ndimage.binary_dilation(front.foreground) & ~ndimage.binary_erosion(front.foreground)
    # anti-aliasing: intermediate values along the outline, but the interior stays the same picture
    assert ((lum_ss[edge] > 10) & (lum_ss[edge] < lum[edge].max() - 10)).mean() > 0.2
    interior = ndimage.binary_erosion(front.foreground, iterations=3)
    assert np.abs(lum_ss[interior] - lum[interior]).mean() < 3


# ----------------------------------------------------------------------------------------------------------------------
# huge triangles


def test_cube_filling_the_frame():
    v, f = cube_mesh(1.0)
    rot = Rotation.from_rotvec([0.4, 0.6, 0.1]).as_matrix()
    v = v @ rot.T
    cam = rasterize.OrthoCamera.framing(v, view_dir=(0, 0, -1), up=(0, 1, 0), size=(256, 320), margin=0.6)
    r = rasterize.render(v, f, cam, smooth=False)
    assert r.foreground.all()
    seen = np.unique(r.triangle)
    assert len(seen) == 6  # three faces of the cube, two triangles each
    normals = geometry.face_normals(v, f)
    assert (normals[seen] @ cam.rotation[2] > 0).all()  # only the faces turned to the camera
    points, centres, rows, cols = reconstruct(r, v, f)
    xy, depth = cam.project(points)
    assert np.abs(xy - centres).max() < 1e-4  # float32 barycentrics
    np.testing.assert_allclose(np.abs(points @ rot).max(axis=1), 1.0, atol=1e-5)  # on the cube surface
    assert len(np.unique(r.image.reshape(-1, 3), axis=0)) == 3  # flat shading: one colour per face


def test_cube_silhouette_area_equals_projected_hull():
    v, f = cube_mesh(1.0)
    v = v @ Rotation.from_rotvec([0.7, -0.2, 0.3]).as_matrix().T
    cam = rasterize.OrthoCamera.framing(v, view_dir=(0, 0, -1), up=(0, 1, 0), size=(400, 400), margin=1.5)
    r = rasterize.render(v, f, cam)
    xy, _ = cam.project(v)
    hull_area = ConvexHull(xy).volume  # 2D hull: volume is the area
    assert r.foreground.sum() == pytest.approx(hull_area, rel=0.01)


def test_render_rejects_bad_input(ict):
    v, f = ict
    cam = rasterize.OrthoCamera.framing(v, (0, 0, -1), (0, 1, 0), size=(32, 32))
    with pytest.raises(InputError):
        rasterize.render(v, f, camera="front")
    with pytest.raises(InputError):
        rasterize.render(v, f, cam, vertex_colors=np.full((3, 3), 0.5))
    with pytest.raises(InputError):
        rasterize.render(v, f, cam, ssaa=1.5)
    with pytest.raises(InputError):
        rasterize.render(v, f + len(v), cam)


# ----------------------------------------------------------------------------------------------------------------------
# back to the surface


def test_surface_at_pixels_hits_and_silhouette_fallback(ict, front):
    v, f = ict
    rows, cols = np.nonzero(front.foreground)
    pixels = np.column_stack([cols[::997] + 0.3, rows[::997] + 0.6])
    tri, bary, hit = rasterize.surface_at_pixels(front, pixels)
    assert hit.all()
    np.testing.assert_array_equal(tri, front.triangle[rows[::997], cols[::997]])
    # just outside the silhouette: the nearest foreground pixel within max_distance
    outside = ~front.foreground & ndimage.binary_dilation(front.foreground, iterations=2)
    r_out, c_out = np.nonzero(outside)
    tri, bary, hit = rasterize.surface_at_pixels(front, np.column_stack([c_out + 0.5, r_out + 0.5]))
    assert hit.all() and (tri >= 0).all()
    np.testing.assert_allclose(bary.sum(axis=1), 1.0, atol=1e-6)
    # the image corner is far from the head, and points outside the image far away too
    tri, bary, hit = rasterize.surface_at_pixels(front, [[0.5, 0.5], [-50.0, 256.0]])
    assert not hit.any() and (tri == -1).all() and np.isnan(bary).all()


def test_mediapipe_finds_the_face_on_the_render_and_landmarks_land_on_ict_points(ict, front):
    """The renderer's purpose: MediaPipe's Face Landmarker must see a face, and its landmarks, mapped back through
    the id buffer, must land on the matching ICT vertices."""
    vision = pytest.importorskip("mediapipe.tasks.python.vision")
    mp = pytest.importorskip("mediapipe")
    from mediapipe.tasks.python import BaseOptions

    v, f = ict
    options = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(asset_path(FACE_LANDMARKER))),
        running_mode=vision.RunningMode.IMAGE,
        num_faces=1,
    )
    with vision.FaceLandmarker.create_from_options(options) as landmarker:
        result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(front.image)))
    assert len(result.face_landmarks) == 1
    h, w = front.image.shape[:2]
    pixels = np.array([[p.x * w, p.y * h] for p in result.face_landmarks[0]])
    tri, bary, hit = rasterize.surface_at_pixels(front, pixels)
    assert hit.mean() > 0.95
    iod = np.linalg.norm(v[ICT68[36]] - v[ICT68[45]])
    checks = {4: int(np.argmax(v[:FACE_VERTICES, 2]))}
    checks.update({mp_index: ICT68[k] for mp_index, k in MEDIAPIPE_TO_ICT68.items()})
    for mp_index, ict_vertex in checks.items():
        assert hit[mp_index]
        point = geometry.interpolate_on_surface(v, f, tri[[mp_index]], bary[[mp_index]])[0]
        assert np.linalg.norm(point - v[ict_vertex]) < 0.08 * iod, (mp_index, point, v[ict_vertex])
