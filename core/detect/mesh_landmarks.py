# SPDX-License-Identifier: GPL-3.0-or-later
"""Face landmarks on a 3D mesh: render it, run MediaPipe on the render, back-project onto the surface.

The mesh may come in any orientation, scale and position, so the face's direction is searched: the mesh is rendered
along both directions of each principal axis with four roll angles, and MediaPipe's face detector scores every view
(the detector is sensitive to upside-down and sideways faces, so the highest score picks both the facing direction
and the roll). The landmarker then runs on the best view, the face frame is derived from the back-projected eye and
mouth landmarks, and a last render looks straight at the face, upright and filling the frame, for the final
landmarks. Rendering is :mod:`facemotion.core.detect.rasterize` (deterministic numpy z-buffer); the landmarks land on the
surface as triangle ids with barycentric coordinates, so they stay attached to the mesh.
"""
from dataclasses import dataclass

import numpy as np

from ..errors import InputError, NoFaceError
from ..geometry import MeshProximity, interpolate_on_surface, principal_axes
from .landmarks import default_detector, default_face_detector
from .rasterize import OrthoCamera, render, surface_at_pixels

#: Side of the square render shown to the landmarker (pixels).
RENDER_SIZE = 512
#: Side of the renders used to search the facing direction (pixels): small, because it only feeds the detector.
SEARCH_SIZE = 256
#: A view whose face-detector score is below this is "no face" (BlazeFace scores real faces ~0.9, clutter < 0.4).
MIN_FACE_SCORE = 0.5
#: A back-projected landmark this far (in face widths) from MediaPipe's own depth estimate is off the surface.
DEPTH_OUTLIER = 0.1
#: Cost limit of every render (see :func:`facemotion.core.detect.rasterize.render`'s ``max_layers``): at most this
#: many (triangle, pixel) tests per image pixel. A closed head costs ~2 (ICT-FaceKit's 2.2 from every side), hair
#: cards and inner parts a few more; a 5,000-triangle random soup costs 330, and took 83 s to say "no face". At the
#: limit the whole search (24 views + 5 final renders) stays well under a minute; above it the mesh is refused at once.
MAX_LAYERS = 64
#: At most this many re-renders turning the camera toward the face (stops once it turns by less than 2 degrees).
FRONTAL_ROUNDS = 4


@dataclass
class MeshLandmarks:
    """Landmarks detected on a mesh.

    Attributes:
        points: ``(478, 3) float64`` MediaPipe landmarks on the mesh surface, in the mesh's units and frame.
        triangle: ``(478,) int64`` triangle each landmark lies on.
        barycentric: ``(478, 3) float64`` its barycentric coordinates in that triangle.
        on_surface: ``(478,) bool`` False where the landmark's pixel shows no surface near MediaPipe's depth for
            it (an eye opening without an eyeball): the point is then placed at MediaPipe's depth, and
            ``triangle``/``barycentric`` give the nearest surface point.
        forward: ``(3,) float64`` unit direction the face looks toward (out of the face).
        up: ``(3,) float64`` unit up direction of the face.
        score: face-detector confidence of the final view, in [0, 1].
        blendshapes: ``(52,) float32`` MediaPipe's ARKit scores on the final render (ARKit order).
        image: ``(H, W, 3) uint8`` the final render, for display.
        views_tried: number of renders made in the search.
    """

    points: np.ndarray
    triangle: np.ndarray
    barycentric: np.ndarray
    on_surface: np.ndarray
    forward: np.ndarray
    up: np.ndarray
    score: float
    blendshapes: np.ndarray
    image: np.ndarray
    views_tried: int


def _candidate_views(axes):
    """(view_dir, up) pairs: both directions of each principal axis, four rolls each (24 views)."""
    views = []
    # The least-variance axis first: a head's front usually lies along its thinnest or middle extent.
    for a in (2, 1, 0):
        for sign in (1.0, -1.0):
            view = -sign * axes[a]
            others = [axes[b] for b in range(3) if b != a]
            for up in (others[0], others[1], -others[0], -others[1]):
                views.append((view, up))
    return views


def _face_axes(face, camera):
    """World-space (forward, up) of the face from MediaPipe's facial transformation matrix.

    The matrix places MediaPipe's canonical face (looking along its +Z, +Y up) in the camera's metric frame, whose
    axes (x right, y up, z toward the viewer) are the rows of :attr:`OrthoCamera.rotation`.
    """
    pose = np.asarray(face.head_pose, dtype=np.float64)[:3, :3]
    forward = camera.rotation.T @ pose[:, 2]
    up = camera.rotation.T @ pose[:, 1]
    forward /= np.linalg.norm(forward)
    up -= forward * (up @ forward)
    return forward, up / np.linalg.norm(up)


def _frontal_camera(vertices, forward, up, size, centre=None, half_width=None):
    right = np.cross(up, forward)
    rotation = np.stack([right, up, forward])
    if centre is None:
        return OrthoCamera.framing(vertices, -forward, up, size=(size, size))
    return OrthoCamera(rotation=rotation, centre=centre, half_width=half_width, size=(size, size))


def _backproject(vertices, triangles, shot, face):
    """Landmarks -> ``(points (478, 3), triangle, barycentric, on_surface)`` through the render's id buffer.

    A landmark whose pixel shows something far behind where MediaPipe puts it — through an eye opening of a head
    without eyeballs, or past a silhouette — is not on the face's surface there. MediaPipe's own relative depth
    ``z`` (same scale as ``x``) is related to the rendered depth by a shift, fitted robustly (median) over all
    landmarks; landmarks off that relation by more than :data:`DEPTH_OUTLIER` face widths are placed at
    MediaPipe's depth instead, flagged ``on_surface = False``, with the nearest surface point as their triangle.
    """
    h, w = shot.image.shape[:2]
    camera = shot.camera
    pixels = face.landmarks[:, :2] * np.array([w, h], dtype=np.float64)
    # Landmarks just off the silhouette (jaw line, a brow seen edge-on) snap to the nearest rendered pixel.
    tri, bary, hit = surface_at_pixels(shot, pixels, max_distance=0.05 * max(h, w))
    if hit.sum() < len(hit) // 2:
        raise NoFaceError("the detected face does not lie on the mesh in the render")
    points = np.full((len(tri), 3), np.nan)
    points[hit] = interpolate_on_surface(vertices, triangles, tri[hit], bary[hit])
    depth = np.full(len(tri), np.nan)
    depth[hit] = camera.project(points[hit])[1]
    # MediaPipe z: smaller is nearer, in units of the image width.
    predicted = -face.landmarks[:, 2] * w / camera.pixels_per_unit
    shift = np.median(depth[hit] - predicted[hit])
    face_width = np.ptp(pixels[:, 0]) / camera.pixels_per_unit
    on_surface = hit & (np.abs(depth - (predicted + shift)) < DEPTH_OUTLIER * face_width)
    off = ~on_surface
    if off.any():
        points[off] = camera.unproject(pixels[off], predicted[off] + shift)
        near = MeshProximity(vertices, triangles).query(points[off])
        tri[off], bary[off] = near.triangle, near.barycentric
    return points, tri, bary, on_surface


def detect_mesh_landmarks(vertices, triangles, *, detector=None, face_detector=None, size=RENDER_SIZE,
                          min_score=MIN_FACE_SCORE, progress=None):
    """Detect MediaPipe's 478 face landmarks on a triangle mesh.

    Args:
        vertices: ``(V, 3)`` float positions (any units, orientation and position).
        triangles: ``(T, 3)`` int vertex indices.
        detector: a :class:`facemotion.core.detect.landmarks.FaceLandmarkDetector` (default: the shared one).
        face_detector: a face detector with ``score(image) -> float`` (default: the shared one).
        size: side of the final render in pixels.
        min_score: views scoring below this are treated as showing no face.
        progress: optional callable ``progress(fraction, message)``.

    Returns:
        :class:`MeshLandmarks`.

    Raises:
        InputError: the mesh is empty or degenerate, has non-finite coordinates (counted in the message), or its
            triangles overlap more than :data:`MAX_LAYERS` deep in a view (a triangle soup or random data).
        NoFaceError: no view of the mesh shows a face the detector accepts (e.g. a cube, or a stylised face too far
            from a human one); the message gives the best score found.
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    triangles = np.asarray(triangles, dtype=np.int64)
    if vertices.ndim != 2 or vertices.shape[1] != 3 or len(vertices) < 3 or len(triangles) == 0:
        raise InputError(f"mesh is empty: {len(vertices)} vertices, {len(triangles)} triangles")
    bad = ~np.isfinite(vertices).all(axis=1)
    if bad.any():
        raise InputError(f"mesh: {int(bad.sum())} of {len(vertices)} vertices have non-finite (NaN or infinite) "
                         f"coordinates, e.g. vertex {int(np.flatnonzero(bad)[0])}; fix or delete them first")
    detector = detector or default_detector()
    face_detector = face_detector or default_face_detector()
    report = progress or (lambda fraction, message: None)

    _, axes, extents = principal_axes(vertices)
    if extents.max() <= 0:
        raise InputError("mesh is degenerate: all vertices at one point")
    views = _candidate_views(axes)
    scores = []
    for i, (view, up) in enumerate(views):
        report(0.6 * i / len(views), "searching for the face")
        camera = OrthoCamera.framing(vertices, view, up, size=(SEARCH_SIZE, SEARCH_SIZE))
        scores.append(face_detector.score(render(vertices, triangles, camera, max_layers=MAX_LAYERS).image))
        if i % 4 == 3 and max(scores[-4:]) >= 0.9:
            break  # a confident view among this direction's four rolls: no need to look at the other sides
    best = int(np.argmax(scores))
    if scores[best] < min_score:
        raise NoFaceError(f"no face found on any of {len(scores)} views of the mesh (best detector score "
                          f"{scores[best]:.2f} < {min_score}); is it a face, and human enough for MediaPipe?")
    view, up = views[best]

    # Turn toward the face: MediaPipe's head pose on the current view gives the face's forward and up; a few
    # rounds bring a three-quarter or profile first view to frontal (its hidden-side landmarks are guesses).
    forward, up = -view, up
    camera = _frontal_camera(vertices, forward, up, size)
    for round_ in range(FRONTAL_ROUNDS):
        report(0.6 + 0.3 * round_ / FRONTAL_ROUNDS, "turning toward the face")
        shot = render(vertices, triangles, camera, max_layers=MAX_LAYERS)
        faces = detector.detect(shot.image)
        if not faces:
            raise NoFaceError("the face detector saw a face but the landmarker could not place landmarks on it")
        new_forward, new_up = _face_axes(faces[0], camera)
        points, *_ = _backproject(vertices, triangles, shot, faces[0])
        turned = np.degrees(np.arccos(np.clip(new_forward @ forward, -1.0, 1.0)))
        forward, up = new_forward, new_up
        # Frame the landmarks: the face fills the view whatever else (neck, shoulders, hair) the mesh holds.
        extent = np.ptp(points @ np.stack([np.cross(up, forward), up]).T, axis=0).max()
        camera = _frontal_camera(vertices, forward, up, size, centre=points.mean(axis=0), half_width=0.75 * extent)
        if turned < 2.0 and round_ > 0:
            break

    report(0.9, "landmarks on the frontal view")
    shot = render(vertices, triangles, camera, max_layers=MAX_LAYERS)
    faces = detector.detect(shot.image)
    score = face_detector.score(shot.image)
    if not faces or score < min_score:
        raise NoFaceError(f"the face was lost on the frontal view (detector score {score:.2f})")
    points, tri, bary, hit = _backproject(vertices, triangles, shot, faces[0])
    report(1.0, "landmarks detected")
    return MeshLandmarks(points=points, triangle=tri, barycentric=bary, on_surface=hit, forward=forward, up=up,
                         score=float(score), blendshapes=faces[0].blendshape_array, image=shot.image,
                         views_tried=len(scores))
