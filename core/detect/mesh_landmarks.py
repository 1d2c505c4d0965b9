# SPDX-License-Identifier: GPL-3.0-or-later
"""Face landmarks on a 3D mesh: render it, run MediaPipe on the render, back-project onto the surface.

The mesh may be a head alone or a whole character (body, clothes, hair, further objects), in any orientation, scale
and position, so the face is searched coarse to fine:

1. **Views.** The mesh is rendered once along both directions of each principal axis (6 renders at
   :data:`SEARCH_SIZE`). Loose parts too small to carry a face (< :data:`MIN_SEARCH_PART` vertices: the default
   cube, a floor quad) are left out of these renders and of their framing, so they cannot hide or shrink the face.
2. **Rolls without re-rendering.** Each render is shown to MediaPipe's face detector (BlazeFace) turned by 0, 90,
   180 and 270 degrees (image rotations; the detector is sensitive to upside-down and sideways faces), then 45-degree
   turns if nothing was found.
3. **Face box, whole image first, then tiles.** A head alone fills the image; on a whole character the face is a few
   percent of it, too small for BlazeFace's short-range model, so the image is searched again in overlapping tiles
   (halves, then thirds) that the detector sees enlarged. The first confident detection stops the search.
4. **Fine view.** The detection's box, eyes and mouth give the face's centre on the surface, its size and its roll;
   only the geometry near the face is rendered (so nothing in front of it occludes it and a large mesh renders
   fast), framed on the face at :data:`RENDER_SIZE`, and the Face Landmarker runs there. Its head pose turns the
   camera toward the face (:data:`ROUND_SIZES`), and the last, frontal round gives the landmarks: the mean of the
   landmarker's answers on renders from a stencil of cameras around the frontal view (:data:`STENCIL`).

The same mesh must give the same landmarks on any machine and under perturbations far below modelling precision
(1e-6 of its size: a render then differs by a grey level in a few hundred pixels, and the landmarker's answer by
~0.05 px), but the landmarker's answer is not a continuous function of its image. So it only sees renders from
cameras on a grid laid on the mesh's bounding box, blended across the grid's borders (:data:`CAMERA_GRID`), and
every step from its answers to the landmarks is a continuous function of them and of the mesh, with no
threshold's decision in between. What is left, its answer to the changed grey levels, is chaotic in the image:
the last round averages it over renders from distinct grid cameras (:data:`STENCIL`), which divides it by about
the square root of their number. A landmark lands at the surface under its sub-pixel position where that surface
is trusted, and where it is not (beyond the depth test's limit :data:`DEPTH_OUTLIER`; near an occluding edge or
the silhouette, where a landmark moved by a hundredth of a pixel lands on another surface millimetres away,
:data:`OCCLUSION_GAP`) at a blend with MediaPipe's own depth, by a confidence that fades to 0 there and that the
template fit weights it by. That blend is the landmark, not the surface point it lands on (:func:`_land`, which gives
its place on the surface: the template's own landmarks are such places): where surfaces lie close, as in an eye's
corner, landing moved with the blend up to 8 times as far (a blend moved by 1.3e-4 of a warped head's size under a
1e-6 perturbation landed 1.1e-3 away, and its eyeLookDownRight moved by 1.56 % of its peak; issue 18).

Rendering is :mod:`facemotion.core.detect.rasterize` (deterministic numpy z-buffer); the landmarks land on the
surface as triangle ids with barycentric coordinates, so they stay attached to the mesh. Method: a cascade like
Viola & Jones' (coarse scan, then verification at higher resolution), with MediaPipe's detector and landmarker
(Bazarevsky et al. 2019, "BlazeFace"; Kartynnik et al. 2019, "Real-time facial surface geometry from monocular
video") as the stages.
"""

from dataclasses import dataclass

import cv2
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from ..errors import InputError, NoFaceError
from ..geometry import (
    closest_point_on_triangle,
    interpolate_on_surface,
    principal_axes,
    smoothstep,
    vertex_normals,
)
from .landmarks import default_detector, default_face_detector
from .rasterize import OrthoCamera, render, surface_at_pixels

#: Side of the square render shown to the landmarker (pixels): the landmarker crops the face and resizes it to 256 px,
#: which a face filling 2/3 of a 384 px render already provides.
RENDER_SIZE = 384
#: Side of the renders used to search the face (pixels): large enough that a whole character's face, a tenth of the
#: image, still spans ~40 px, which the tiles enlarge to the detector's working size.
SEARCH_SIZE = 384
#: A view whose face-detector score is below this is "no face" (BlazeFace scores real faces ~0.9, clutter < 0.4).
MIN_FACE_SCORE = 0.5
#: A detection scoring at least this ends the search at once (no other view or tile is looked at).
CONFIDENT_SCORE = 0.75
#: Tilings of the search image, coarse to fine: ``n`` means tiles of side ``2 / (n + 1)`` of the image at a stride
#: of half a tile (``n * n`` tiles); 1 is the whole image; ``"dense"`` windows around the densest clusters of
#: vertices (:func:`_dense_windows`).
TILINGS = (1, "dense", 2, 3)
#: A tile showing less than this fraction of mesh pixels is not worth a detector call.
MIN_TILE_COVER = 0.04
#: Loose parts with fewer vertices are left out of the search renders (see the module docstring) when the rest of
#: the mesh keeps at least half of its vertices.
MIN_SEARCH_PART = 64
#: Geometry farther than this many face-box sizes from the face's centre is left out of the face renders.
FACE_RADIUS = 2.0
#: A back-projected landmark this far (in face widths) from MediaPipe's own depth estimate is off the surface.
#: Tight enough that an eyelash strip or hair card in front of an eye corner is seen through (0.1 let a lash pull
#: the corner 7 mm forward), loose enough that the nose's and jaw's sides stay on the surface.
DEPTH_OUTLIER = 0.05
#: Adjacent pixels of a render whose depths differ from what the surface's slope predicts by more than these (face
#: widths: no break below the first, a full one beyond the second; see :func:`_depth_breaks`) straddle an occluding
#: edge, a lid over the eyeball, a nostril's rim: a landmark there, moved by a hundredth of a pixel, lands on the
#: one surface or the other, millimetres apart. Its weight fades near it (:attr:`MeshLandmarks.confidence`,
#: :func:`_occlusion_weight`), so neither the landmark nor the fit jumps with it. A smooth surface, however sloped
#: or curved, breaks by ~1e-4 face widths between pixels.
OCCLUSION_GAP = (0.002, 0.006)
#: A landmark off the surface lands on the surface's average within the square root of this many times its
#: distance from it (:func:`_land`).
LANDING_REACH = 4.0
#: Radius (pixels) of the window around a landmark that :func:`_occlusion_weight` looks through: a depth break
#: within a pixel of it takes all of its weight, one at this distance none.
OCCLUSION_RADIUS = 2.5
#: Cost limit of every render (see :func:`facemotion.core.detect.rasterize.render`'s ``max_layers``): at most this
#: many (triangle, pixel) tests per image pixel. A closed head costs ~2 (ICT-FaceKit's 2.2 from every side), hair
#: cards and inner parts a few more; a 5,000-triangle random soup costs 330, and took 83 s to say "no face". At the
#: limit the whole search stays well under a minute; above it the mesh is refused at once.
MAX_LAYERS = 64
#: Sides (pixels) of the renders turning the camera toward the face, one round each: the first rounds only turn it
#: (the landmarker sees the face at its own 256 px either way, and the pose it gives is all they are for), the last
#: round's landmarks are the result (at ``size``, :data:`RENDER_SIZE` by default, in place of the 0). A fixed
#: schedule: a round more or less, decided by a threshold on a turn, would end on another view.
ROUND_SIZES = (256, 256, 0)
#: Grid the face cameras lie on: (degrees of each XYZ Euler angle of their orientation, octaves of their width,
#: pixels of their centre across the view). The Face Landmarker's answer is not a continuous function of the
#: image (moving a render by 0.1 px moves its landmarks by 0.25 px, not 0.1; a camera turned by 0.04 degree moved
#: them by 0.6 px), so it only ever sees renders from grid cameras, which a rounding error or a 1e-6 perturbation
#: of the mesh leaves the same (its answer then moves by ~0.05 px, for a grey level changed in a few hundred
#: pixels). The camera a round asks for is a continuous function of what the landmarker saw; near a border
#: between grid cells (within half :data:`CAMERA_BLEND` of a cell, in any of the six coordinates) the cells'
#: cameras are rendered and their answers blended with weights that pass smoothly from one to the other, so the
#: result stays continuous in the mesh. Each round's blend also shrinks a difference in the camera it started
#: from (a face detector's box moved by 2 degrees and 2 % by a few changed pixels of a search render gives poses a
#: tenth of that apart). The grid moves a view by at most 1 degree, 1 % of its width and a pixel.
CAMERA_GRID = (2.0, 1.0 / 32.0, 2.0)
CAMERA_BLEND = 0.1
#: Cameras whose answers the last round averages, as offsets of the view it asks for: (degrees turned about the face's
#: up axis, about its right axis; pixels across the view to the right, up), equal weights. What is left of the
#: landmarker's sensitivity after the grid is its answer to a render differing by a grey level in a few hundred pixels
#: (~0.05 px, up to 1.3e-3 of the head's size on lips and lids); that answer is chaotic in the image, so renders from
#: distinct grid cameras give nearly independent errors, and their mean has a fraction of each one's (about one over the
#: square root of their number: these 25 cameras divide the landmarks' RMS move under a 1e-6 perturbation by 2.1 to 4.3
#: on the ICT head, its triangle soup, a warped head and a whole character, and the rig's largest change by 1.8 to 4.2:
#: tools/rig_stability.py). The offsets are whole grid cells (:data:`CAMERA_GRID`), so every camera sees a render of its
#: own, and each is itself blended across the grid's borders (:func:`_grid_views`): the mean stays continuous in the
#: mesh. Shifts and turns resample the face differently in the landmarker's crop; they are symmetric about the view
#: asked for, so the mean does not move the face. The view asked for comes first: on a tie of weights its render is the
#: one shown (:attr:`MeshLandmarks.image`) and scored. Larger turns (4 degrees), rolls and zooms divided the landmarks'
#: move further (41 cameras: by 4.9 to 5.4) but not the rig's: a warped head's eyeSquintLeft moved by 1.5 to 3 % of its
#: peak over four perturbations.
STENCIL = (
    ((0.0, 0.0, 0.0, 0.0),)
    + tuple((0.0, 0.0, x, y) for x in (-6.0, -2.0, 2.0, 6.0) for y in (-6.0, -2.0, 2.0, 6.0))
    + tuple((yaw, pitch, 0.0, 0.0) for yaw in (-2.0, 0.0, 2.0) for pitch in (-2.0, 0.0, 2.0) if yaw or pitch)
)
#: Distinct face positions the landmarker verifies before the search gives up (best score first).
MAX_CANDIDATES = 12
#: Camera turns (degrees about the face's up axis, toward the nose) tried when the landmarker finds no face on a
#: detection's view: BlazeFace also fires on profiles, which the landmarker refuses.
TURNS_DEG = (0.0, 50.0, 90.0, -50.0)
#: The same for a detection that looks like a profile (:data:`PROFILE_EYES`): turning first saves a render.
PROFILE_TURNS_DEG = (50.0, 90.0, 0.0, -50.0)
#: A detection whose eyes are closer together than this fraction of its box is a profile or near it (a frontal
#: face's eyes are ~0.35 of BlazeFace's box apart).
PROFILE_EYES = 0.22


@dataclass
class MeshLandmarks:
    """Landmarks detected on a mesh.

    Attributes:
        points: ``(478, 3) float64`` MediaPipe landmarks in the mesh's units and frame: the surface under each
            landmark where it is trusted (``confidence`` 1), blended toward MediaPipe's own depth for it where it is
            not (off the surface by up to a millimetre or so on a head; see the module docstring). Continuous in
            the mesh, and moved by no more than the detection moves.
        triangle: ``(478,) int64`` triangle of the surface point each landmark lands on (:func:`_land`: the surface
            under it where trusted, else the surface's average near its foot point).
        barycentric: ``(478, 3) float64`` its barycentric coordinates in that triangle.
        on_surface: ``(478,) bool`` False where the landmark's pixel shows no surface near MediaPipe's depth for
            it (an eye opening without an eyeball); its point is then at MediaPipe's depth (confidence 0).
        forward: ``(3,) float64`` unit direction the face looks toward (out of the face).
        up: ``(3,) float64`` unit up direction of the face.
        score: face-detector confidence of the final view, in [0, 1].
        blendshapes: ``(52,) float32`` MediaPipe's ARKit scores on the final render (ARKit order).
        image: ``(H, W, 3) uint8`` the final render, for display.
        views_tried: number of renders made in the search.
        confidence: ``(478,) float64`` in [0, 1]: 1 where the landmark lies on the surface within half of
            :data:`DEPTH_OUTLIER` of MediaPipe's depth for it and away from occluding edges
            (:data:`OCCLUSION_GAP`), 0 off the surface, smoothstep between (the template fit weights landmarks by it,
            so a landmark near a limit moves the fit a little, not all at once).
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
    confidence: np.ndarray = None


def _search_directions(axes):
    """View directions of the search: both directions of each principal axis, least variance first (a head's
    front, and a standing character's, usually lies along its thinnest extent). Returns ``(view_dir, up)`` pairs;
    ``up`` is one of the other axes (the roll is searched on the image)."""
    views = []
    for a in (2, 1, 0):
        up = axes[0] if a != 0 else axes[1]
        for sign in (1.0, -1.0):
            views.append((-sign * axes[a], up))
    return views


def _search_mesh(vertices, triangles):
    """Triangles shown in the search renders: all but loose parts under :data:`MIN_SEARCH_PART` vertices (when
    the rest keeps at least half of the vertices). Returns ``(triangles (T', 3), vertex mask (V,) bool)``."""
    n = len(vertices)
    edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]]])
    graph = coo_matrix((np.ones(len(edges), dtype=np.int8), (edges[:, 0], edges[:, 1])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    size = np.bincount(label)
    used = np.zeros(n, dtype=bool)
    used[triangles.ravel()] = True
    keep = used & (size[label] >= MIN_SEARCH_PART)
    if keep.sum() < 0.5 * used.sum():
        keep = used
    return triangles[keep[triangles[:, 0]]], keep


def _robust_framing(points, view, up, size):
    """:meth:`OrthoCamera.framing` of ``points`` without the 0.1 % most outlying along each camera axis (a stray
    vertex far away would shrink the face)."""
    probe = OrthoCamera.framing(points, view, up, size=(size, size))
    xy, _ = probe.project(points)
    lo, hi = np.quantile(xy, [0.001, 0.999], axis=0)
    inside = ((xy >= lo) & (xy <= hi)).all(axis=1)
    return OrthoCamera.framing(points[inside] if inside.sum() >= 3 else points, view, up, size=(size, size))


@dataclass
class _Candidate:
    """A face found by the detector in a search render: ``score``; ``centre`` ``(3,)`` world point under the face
    box's centre; ``size`` the box side in world units; ``forward``/``up`` ``(3,)`` the view's toward-viewer axis and
    the face's up (from its eyes and mouth) in world space; ``view`` the search view's index; ``turn`` +1 or -1:
    the side (along ``up x forward``) the nose points to, i.e. where to turn the camera to see a profile from the
    front."""

    score: float
    centre: np.ndarray
    size: float
    forward: np.ndarray
    up: np.ndarray
    view: int
    turn: float = 1.0
    profile: bool = False

    def turned(self, degrees):
        """This candidate seen from a camera turned by ``degrees`` about the face's up axis, toward ``turn``."""
        a = np.radians(degrees) * self.turn
        right = np.cross(self.up, self.forward)
        return _Candidate(
            self.score,
            self.centre,
            self.size,
            np.cos(a) * self.forward + np.sin(a) * right,
            self.up,
            self.view,
            self.turn,
            self.profile,
        )


def _rotated(image, degrees):
    """``image`` turned counter-clockwise by ``degrees`` on a canvas holding all of it, and the ``(2, 3)`` affine map
    from the turned image's pixels back to the original's."""
    h, w = image.shape[:2]
    if degrees % 360 == 0:
        return image, np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    quarter = degrees % 90 == 0
    if quarter:  # exact, no resampling
        k = (degrees // 90) % 4
        turned = np.ascontiguousarray(np.rot90(image, k))
        th, tw = turned.shape[:2]
    else:
        c, s = abs(np.cos(np.radians(degrees))), abs(np.sin(np.radians(degrees)))
        tw, th = int(np.ceil(w * c + h * s)), int(np.ceil(w * s + h * c))
    forward = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), float(degrees), 1.0)
    forward[:, 2] += (tw / 2.0 - w / 2.0, th / 2.0 - h / 2.0)
    if not quarter:
        turned = cv2.warpAffine(image, forward, (tw, th), flags=cv2.INTER_LINEAR)
    back = cv2.invertAffineTransform(forward)
    return turned, back


def _dense_windows(shot, points, cell=12, peaks=3):
    """Square windows ``(x0, y0, side)`` (render pixels) around the densest clusters of projected vertices.

    A character's face is its most finely modelled region (eyes, lips, nostrils), so the vertex density of a view
    points at it whatever the pose; each of the ``peaks`` strongest density maxima (cells of ``cell`` pixels,
    smoothed, suppressed around each other) gives windows of 2.5 and 4 times its blob's size.
    """
    h, w = shot.triangle.shape
    xy, _ = shot.camera.project(points)
    grid = np.zeros((-(-h // cell), -(-w // cell)), dtype=np.float32)
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    np.add.at(grid, ((xy[inside, 1] // cell).astype(int), (xy[inside, 0] // cell).astype(int)), 1.0)
    grid = cv2.GaussianBlur(grid, (0, 0), 1.0)
    windows = []
    for _ in range(peaks):
        r, c = np.unravel_index(int(np.argmax(grid)), grid.shape)
        peak = grid[r, c]
        if peak <= 0:
            break
        blob = (grid >= 0.35 * peak).astype(np.uint8)
        _, labels = cv2.connectedComponents(blob)
        rows, cols = np.nonzero(labels == labels[r, c])
        extent = cell * max(np.ptp(rows) + 1, np.ptp(cols) + 1)
        cx, cy = (c + 0.5) * cell, (r + 0.5) * cell
        for factor in (2.5, 4.0):
            side = int(min(max(factor * extent, 48), min(h, w)))
            x0 = int(np.clip(cx - side / 2, 0, w - side))
            y0 = int(np.clip(cy - side / 2, 0, h - side))
            windows.append((x0, y0, side))
        grid[labels == labels[r, c]] = 0.0
    return windows


def _tiles(h, w, n):
    """``(x0, y0, side)`` of the ``n x n`` overlapping square tiles of :data:`TILINGS` (the whole image for 1)."""
    if n == 1:
        return [(0, 0, max(h, w))]
    side = int(round(2 * min(h, w) / (n + 1)))
    starts_x = np.linspace(0, w - side, n).round().astype(int)
    starts_y = np.linspace(0, h - side, n).round().astype(int)
    return [(int(x), int(y), side) for y in starts_y for x in starts_x]


def _detect_in(face_detector, shot, degrees, tiling, windows):
    """Face detections in one search render turned by ``degrees`` and cut into ``tiling`` tiles (``"dense"``: the
    ``windows`` of :func:`_dense_windows`, in render pixels), mapped back to the render's pixels: list of
    ``(score, box centre (2,), box side px, up (2,) image direction, nose offset (2,) px, eye distance / box
    side)``."""
    image, back = _rotated(shot.image, degrees)
    cover, _ = _rotated((shot.triangle >= 0).astype(np.uint8), degrees)
    h, w = image.shape[:2]
    if tiling == "dense":
        # The windows' centres turned with the image; a turned square's bounding square keeps it whole.
        forward = cv2.invertAffineTransform(back)
        tiles = []
        for x0, y0, side in windows:
            cx, cy = forward[:, :2] @ (x0 + side / 2, y0 + side / 2) + forward[:, 2]
            side = min(side, h, w)
            tiles.append((int(np.clip(cx - side / 2, 0, w - side)), int(np.clip(cy - side / 2, 0, h - side)), side))
    else:
        tiles = _tiles(h, w, tiling)
    found = []
    for x0, y0, side in tiles:
        if cover[y0 : y0 + side, x0 : x0 + side].mean() < MIN_TILE_COVER:
            continue
        for d in face_detector.detect(image[y0 : y0 + side, x0 : x0 + side]):
            bx0, by0, bx1, by1 = d.bbox
            if tiling != 1 and min(bx0, by0, side - bx1, side - by1) < 0:
                continue  # cut by the tile's edge: an overlapping tile sees it whole
            pts = np.array([[(bx0 + bx1) / 2, (by0 + by1) / 2], *d.keypoints[:4]], dtype=np.float64) + (x0, y0)
            pts = pts @ back[:, :2].T + back[:, 2]
            centre, right_eye, left_eye, nose, mouth = pts
            up = (right_eye + left_eye) / 2 - mouth
            side_px = max(bx1 - bx0, by1 - by0)
            found.append(
                (
                    d.score,
                    centre,
                    side_px,
                    up,
                    nose - (right_eye + left_eye + mouth) / 3,
                    np.linalg.norm(right_eye - left_eye) / max(side_px, 1e-9),
                )
            )
    return found


def _candidate(shot, view_index, score, centre_px, side_px, up_px, nose_px, eyes_apart):
    """A :class:`_Candidate` from a detection in a search render (pixel quantities mapped into the world)."""
    camera = shot.camera
    h, w = shot.triangle.shape
    col, row = int(np.clip(centre_px[0], 0, w - 1)), int(np.clip(centre_px[1], 0, h - 1))
    depth = shot.depth[row, col]
    if not np.isfinite(depth):
        # The box centre shows background (a face seen edge-on): take the nearest surface's median depth.
        near = shot.depth[max(row - 8, 0) : row + 9, max(col - 8, 0) : col + 9]
        depth = np.nanmedian(near) if np.isfinite(near).any() else 0.0
    centre = camera.unproject(np.asarray(centre_px, dtype=np.float64)[None], depth)[0]
    right, up, toward = camera.rotation
    norm = np.hypot(*up_px)
    face_up = (right * up_px[0] - up * up_px[1]) / norm if norm > 0 else up
    nose = right * nose_px[0] - up * nose_px[1]
    return _Candidate(
        score=float(score),
        centre=centre,
        size=side_px / camera.pixels_per_unit,
        forward=toward.copy(),
        up=face_up,
        view=view_index,
        turn=1.0 if nose @ np.cross(face_up, toward) >= 0 else -1.0,
        profile=eyes_apart < PROFILE_EYES,
    )


def _search(vertices, triangles, normals, face_detector, report, shots):
    """Coarse search (see the module docstring), as a generator: after each level (a set of image turns at one
    tiling, over all views) yields the new :class:`_Candidate` list, best first. ``shots`` (a list) collects the
    search renders, made on first use."""
    search_tris, keep = _search_mesh(vertices, triangles)
    points = vertices[keep]
    _, axes, _ = principal_axes(points)
    views = _search_directions(axes)
    windows = []
    # The 45-degree turns only matter for a face that no quarter turn shows upright enough: whole images and dense
    # windows suffice for them (the generic tiles would double the cost of saying "no face").
    # The whole image and the dense windows go together, view by view: a head alone is found in the first, a
    # whole character in the second, both before the other views are rendered.
    passes = [((0, 90, 180, 270), [TILINGS[:2], *[(t,) for t in TILINGS[2:]]]), ((45, 135, 225, 315), [TILINGS[:2]])]
    n_steps = len(views) * sum(len(tilings) for _, tilings in passes)
    step = 0
    for angles, tilings in passes:
        for tiling_set in tilings:
            level = []
            for i, (view, up) in enumerate(views):
                report(0.6 * step / n_steps, "searching for the face")
                step += 1
                if i == len(shots):
                    camera = _robust_framing(points, view, up, SEARCH_SIZE)
                    shots.append(render(vertices, search_tris, camera, max_layers=MAX_LAYERS, normals=normals))
                    windows.append(_dense_windows(shots[i], points))
                found = [
                    _candidate(shots[i], i, *hit)
                    for tiling in tiling_set
                    for degrees in angles
                    for hit in _detect_in(face_detector, shots[i], degrees, tiling, windows[i])
                ]
                level.extend(found)
                if any(c.score >= CONFIDENT_SCORE for c in found):
                    # A clear face: hand it over at once (the other views are looked at only if it fails).
                    yield sorted(level, key=lambda c: -c.score)
                    level = []
            if level:
                yield sorted(level, key=lambda c: -c.score)


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


def _grid_blend(coordinates):
    """``[(cell (K,) float64, weight)]``, weights > 0 summing to 1, the heaviest first: the grid cells whose
    cameras blend for continuous grid ``coordinates (K,)`` (in cells). Each coordinate is squeezed onto its nearest
    cell's centre but within :data:`CAMERA_BLEND` / 2 of a border, where it passes smoothly to the border (then,
    beyond it, on from the next cell's side); the squeezed point's weights are those of piecewise-linear
    interpolation on the Freudenthal-Kuhn simplices of the grid (Kuhn 1960), so at most one cell more than the
    coordinates lying near a border takes part (not two to their power), and each weight is continuous."""
    coordinates = np.asarray(coordinates, dtype=np.float64)
    cell = np.round(coordinates)
    offset = coordinates - cell
    squeezed = cell + 0.5 * np.sign(offset) * smoothstep(np.abs(offset), 0.5 - CAMERA_BLEND / 2, 0.5)
    corner = np.floor(squeezed)
    fraction = squeezed - corner
    order = np.argsort(-fraction, kind="stable")
    steps = np.concatenate([[1.0], fraction[order]]) - np.concatenate([fraction[order], [0.0]])
    cells, at = [], corner.copy()
    for k, weight in enumerate(steps):
        if weight > 0:
            cells.append((at.copy(), float(weight)))
        if k < len(order):
            at[order[k]] += 1.0
    return sorted(cells, key=lambda c: -c[1])


def _grid_views(forward, up, centre, half_width, size, grid):
    """The grid cameras (:data:`CAMERA_GRID`) around the camera looking against ``forward`` with ``up``
    (orthogonalised), centred on ``centre`` with ``half_width``: ``[(weight, OrthoCamera)]``, weights > 0 summing
    to 1, the heaviest first; one camera unless a coordinate lies near a border (:func:`_grid_blend`: first over
    the orientation and width, then over the centre in each of those cameras' own axes). The grid is laid from
    ``grid`` = ``(origin (3,), unit)``: a point and a length of the mesh (its bounding box's centre and size), so a
    mesh moved or scaled sees the same images (the ICT template in metres and its head in centimetres)."""
    forward = forward / np.linalg.norm(forward)
    up = up - forward * (up @ forward)
    up /= np.linalg.norm(up)
    degrees, octaves, pixels = CAMERA_GRID
    origin, unit = grid
    angles = Rotation.from_matrix(np.stack([np.cross(up, forward), up, forward])).as_euler("xyz", degrees=True)
    views = []
    for cell, weight in _grid_blend([*(angles / degrees), np.log2(half_width / unit) / octaves]):
        rotation = Rotation.from_euler("xyz", cell[:3] * degrees, degrees=True).as_matrix()
        width = unit * 2.0 ** (cell[3] * octaves)
        # The centre in the camera's axes: across the view in pixels; along it (which the image does not depend on,
        # and where MediaPipe's depths are the least steady) rounded to coarse steps.
        step = 2.0 * width / size * np.array([pixels, pixels, 16.0 * pixels])
        at = rotation @ (np.asarray(centre, dtype=np.float64) - origin) / step
        for spot, share in _grid_blend(at[:2]):
            camera_centre = origin + (np.array([*spot, np.round(at[2])]) * step) @ rotation
            camera = OrthoCamera(rotation=rotation, centre=camera_centre, half_width=width, size=(size, size))
            views.append((weight * share, camera))
    views.sort(key=lambda view: -view[0])  # stable: ties keep the grid's order
    return views


def _stencil_views(forward, up, centre, half_width, size, grid, stencil):
    """:func:`_grid_views` of each camera of ``stencil`` (offsets as in :data:`STENCIL`) around the view looking
    against ``forward`` with ``up``, centred on ``centre`` with ``half_width``, weighted equally: ``[(weight,
    OrthoCamera)]``, weights summing to 1, the heaviest first; a grid camera that two stencil cameras share is
    rendered once with both weights."""
    forward = forward / np.linalg.norm(forward)
    up = up - forward * (up @ forward)
    up /= np.linalg.norm(up)
    right = np.cross(up, forward)
    pixel = 2.0 * half_width / size
    merged = {}
    for yaw, pitch, dx, dy in stencil:
        turn = Rotation.from_rotvec(np.radians(yaw) * up) * Rotation.from_rotvec(np.radians(-pitch) * right)
        at = centre + pixel * (dx * right + dy * up)
        for weight, camera in _grid_views(turn.apply(forward), turn.apply(up), at, half_width, size, grid):
            key = (camera.rotation.tobytes(), camera.centre.tobytes(), camera.half_width)
            previous = merged.get(key, (0.0, camera))[0]
            merged[key] = (previous + weight / len(stencil), camera)
    return sorted(merged.values(), key=lambda view: -view[0])


class _FaceRegion:
    """The triangles near the face (within ``radius`` of ``centre``): rendered instead of the whole mesh, so
    nothing far in front occludes the face and a large mesh renders fast; ``index`` maps them back."""

    def __init__(self, vertices, triangles, centre, radius):
        near = np.einsum("ij,ij->i", vertices - centre, vertices - centre) <= radius * radius
        self.index = np.flatnonzero(near[triangles].any(axis=1))
        if len(self.index) == 0:
            self.index = np.arange(len(triangles))
        self.triangles = triangles[self.index]


class _NearTriangles:
    """Triangles ``corners (F, 3, 3)`` searched by distance: a k-d tree of their centroids (each triangle lies within
    its radius of its centroid); the few over 4 times the median's radius (a neck's cut, a body's primitives) are
    tested one by one, so that they do not widen every search."""

    def __init__(self, corners):
        self.corners = corners
        self.centroids = corners.mean(axis=1)
        self.radii = np.sqrt(((corners - self.centroids[:, None]) ** 2).sum(axis=2)).max(axis=1) * (1.0 + 1e-9)
        self.areas = 0.5 * np.linalg.norm(
            np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1
        )
        small = self.radii <= 4.0 * np.median(self.radii)
        self.small, self.large = np.flatnonzero(small), np.flatnonzero(~small)
        self.tree = cKDTree(self.centroids[small])

    def within(self, points, reach):
        """``(which (P,), triangle (P,))``: pairs of an index into ``points (N, 3)`` and a triangle that may have a
        point within ``reach (N,)`` of it (every one that has is among them)."""
        near = self.tree.query_ball_point(points, reach + self.radii[self.small].max())
        which = np.repeat(np.arange(len(points)), [len(n) for n in near])
        triangle = self.small[np.concatenate([np.asarray(n, dtype=np.int64) for n in near])]
        gap = np.linalg.norm(points[:, None] - self.centroids[self.large][None], axis=2)
        rows, columns = np.nonzero(gap <= reach[:, None] + self.radii[self.large][None])
        return np.concatenate([which, rows]), np.concatenate([triangle, self.large[columns]])

    def nearest(self, points, bound):
        """``(triangle (N,), barycentric (N, 3), foot (N, 3))``: the surface point nearest each of ``points (N, 3)``
        (the lowest triangle on a tie), given ``bound (N,)`` at least its distance."""
        which, triangle = self.within(points, bound)
        bary, foot = closest_point_on_triangle(points[which], *self.corners[triangle].transpose(1, 0, 2))
        distance = np.sum((foot - points[which]) ** 2, axis=1)
        order = np.lexsort((triangle, distance, which))
        first = order[np.unique(which[order], return_index=True)[1]]
        return triangle[first], bary[first], foot[first]


def _land(vertices, triangles, targets):
    """Landmark positions near the surface ``triangles (F, 3)`` for ``targets (N, 3)``: ``(points (N, 3), triangle
    (N,) indexing triangles, barycentric (N, 3))``, the last two the surface point nearest each point.

    A target on the surface stays where it is. One off it (a landmark blended toward MediaPipe's depth) lands on
    the surface's average near its foot point: the closest points of the triangles within ``sqrt(LANDING_REACH)``
    times its distance from the surface, weighted by area and falling smoothly to 0 at that reach. The nearest
    point alone jumps where two surfaces are about as near (a lid and its lashes, the two lips in a mouth's
    corner, an eyeball and the lid's inner side): a target moved by 0.04 mm jumped by 2 mm. The average passes
    from one to the other instead, so the result is continuous in the target and the mesh; on a single smooth
    surface it stays within a hair of it. Closest points on triangles: Ericson (2005), as
    :func:`facemotion.core.geometry.closest_point_on_triangle`."""
    near = _NearTriangles(vertices[triangles])
    # The nearest centroid bounds the distance to the surface.
    bound = near.tree.query(targets)[0]
    if len(near.large):
        bound = np.minimum(bound, np.linalg.norm(targets[:, None] - near.centroids[near.large][None], axis=2).min(1))
    foot = near.nearest(targets, bound)[2]
    square = np.sum((foot - targets) ** 2, axis=1)
    which, triangle = near.within(targets, np.sqrt(LANDING_REACH * square))
    feet = closest_point_on_triangle(targets[which], *near.corners[triangle].transpose(1, 0, 2))[1]
    excess = np.sum((feet - targets[which]) ** 2, axis=1) - square[which]
    with np.errstate(divide="ignore", invalid="ignore"):
        falloff = smoothstep(excess, (LANDING_REACH - 1) * square[which], 0.0)
    weight = np.where(square[which] > 0, near.areas[triangle] * falloff, 0.0)
    total = np.bincount(which, weight, minlength=len(targets))
    average = np.stack([np.bincount(which, weight * feet[:, k], minlength=len(targets)) for k in range(3)], axis=1)
    # A target on the surface (or whose nearby triangles have no area) stays at its nearest point.
    points = np.where(total[:, None] > 0, average / np.where(total > 0, total, 1.0)[:, None], foot)
    triangle, barycentric, _ = near.nearest(points, np.linalg.norm(points - foot, axis=1))
    return points, triangle, barycentric


def _subpixel_barycentric(vertices, triangles, camera, triangle, barycentric, pixels):
    """Barycentric coordinates ``(N, 3)`` of the exact image positions ``pixels (N, 2)`` in their triangles
    (``triangle (N,)`` indexing ``triangles``), from the corners' projections (orthographic: the same as the
    viewing ray's hit on the triangle's plane); ``barycentric`` (the pixel centre's) where the triangle is seen
    edge-on. A position a hair's breadth inside another pixel then moves its surface point a hair's breadth, not by
    a pixel."""
    corners = camera.project(vertices[triangles[triangle]].reshape(-1, 3))[0].reshape(-1, 3, 2)
    e1, e2, p = corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0], pixels - corners[:, 0]
    det = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    usable = np.abs(det) > 1e-9 * np.maximum((e1**2).sum(axis=1) + (e2**2).sum(axis=1), 1e-300)
    det = np.where(usable, det, 1.0)
    u = (p[:, 0] * e2[:, 1] - p[:, 1] * e2[:, 0]) / det
    v = (e1[:, 0] * p[:, 1] - e1[:, 1] * p[:, 0]) / det
    exact = np.stack([1.0 - u - v, u, v], axis=1)
    return np.where(usable[:, None], exact, barycentric)


def _depth_breaks(shot, normals, triangles):
    """Occluding edges of a render: ``(horizontal (H, W - 1), vertical (H - 1, W))`` float64 in depth units, per
    pair of adjacent pixels how far their depth difference is from the one the surface's slope predicts (the mean
    of both pixels' interpolated normals' slopes, exact to second order on a smooth surface, however curved or
    steep); inf where a pixel of the pair is background (the silhouette is an occluding edge too). A lid over the
    eyeball, a lip over the teeth or a nostril's rim breaks the depth by millimetres within a pixel; a smooth
    surface by a rounding error."""
    h, w = shot.depth.shape
    fg = shot.triangle >= 0
    n = np.zeros((h, w, 3))
    t = shot.triangle[fg]
    n[fg] = np.einsum("nk,nkj->nj", shot.barycentric[fg].astype(np.float64), normals[triangles[t]])
    n = n @ shot.camera.rotation.T  # camera frame: x right, y up, z toward the viewer
    nz = np.where(np.abs(n[..., 2]) > 1e-9, n[..., 2], np.nan)
    scale = shot.camera.pixels_per_unit
    # Depth change per pixel to the right and per pixel down (image y runs down, camera y up).
    slope_x, slope_y = -n[..., 0] / (nz * scale), n[..., 1] / (nz * scale)
    depth = shot.depth.astype(np.float64)
    with np.errstate(invalid="ignore"):
        across = np.abs(np.diff(depth, axis=1) - (slope_x[:, 1:] + slope_x[:, :-1]) / 2)
        down = np.abs(np.diff(depth, axis=0) - (slope_y[1:] + slope_y[:-1]) / 2)
    return np.nan_to_num(across, nan=np.inf), np.nan_to_num(down, nan=np.inf)


def _occlusion_weight(breaks, pixels, low, high):
    """``(N,) float64`` in [0, 1]: 1 where no occluding edge (:func:`_depth_breaks` ``breaks`` over ``low``, fully
    at ``high``, depth units) lies within :data:`OCCLUSION_RADIUS` pixels of the image positions ``pixels (N, 2)``,
    falling to 0 on one: 1 minus the largest of each pixel pair's break weight times a tent around the position at
    the pair's midpoint (1 within a pixel, so 0 wherever the surface under the position can jump). Continuous in
    the position with a slope of at most ``1 / (OCCLUSION_RADIUS - 1)`` per pixel whatever the break's size, so a
    landmark moved by MediaPipe's answer to a changed pixel of its image changes its weight about as little."""
    across, down = breaks
    reach = int(np.ceil(OCCLUSION_RADIUS)) + 1
    # Every pair within reach of every position at once: (offsets, N) arrays; the maximum is exact, so the same
    # as taking the offsets one by one.
    dy, dx = (o.reshape(-1, 1) for o in np.mgrid[-reach : reach + 1, -reach : reach + 1])
    column, row = np.floor(pixels[:, 0]).astype(np.int64), np.floor(pixels[:, 1]).astype(np.int64)
    worst = np.zeros(len(pixels))
    for pairs, (ex, ey) in ((across, (1.0, 0.5)), (down, (0.5, 1.0))):
        h, w = pairs.shape
        qx, qy = column + dx, row + dy
        inside = (qx >= 0) & (qx < w) & (qy >= 0) & (qy < h)
        away = np.hypot(qx + ex - pixels[:, 0], qy + ey - pixels[:, 1])
        tent = np.clip((OCCLUSION_RADIUS - away) / (OCCLUSION_RADIUS - 1.0), 0, 1)
        # the break weight of the pairs near the positions only (elementwise: as on the whole image)
        edge = np.where(inside, smoothstep(pairs[np.clip(qy, 0, h - 1), np.clip(qx, 0, w - 1)], low, high), 1.0)
        worst = np.maximum(worst, (tent * edge).max(axis=0))
    return 1.0 - worst


def _backproject(vertices, normals, region, shot, face):
    """Landmarks -> ``(target (478, 3), on_surface (478,) bool, confidence (478,), estimate (478, 3))``:
    ``estimate`` every landmark at MediaPipe's own depth (continuous in MediaPipe's output, whatever lies under
    each landmark); ``target`` the surface under each landmark's sub-pixel position where it is trusted
    (``confidence`` 1), the estimate where it is not (0), blended between, so a continuous function of MediaPipe's
    output and of the mesh: what lies under a landmark jumps at occluding edges (a lip's inner contour, a lid over
    the eyeball, the silhouette), and there the confidence is 0 (:func:`_occlusion_weight`).

    A landmark whose pixel shows something far behind where MediaPipe puts it (through an eye opening of a head
    without eyeballs, or past a silhouette) is not on the face's surface there. MediaPipe's own relative depth
    ``z`` (same scale as ``x``) is related to the rendered depth by a shift, fitted robustly (median) over all
    landmarks; landmarks off that relation by more than :data:`DEPTH_OUTLIER` face widths are flagged
    ``on_surface = False``, and their confidence falls to 0 from half that distance.
    """
    h, w = shot.image.shape[:2]
    camera = shot.camera
    pixels = face.landmarks[:, :2] * np.array([w, h], dtype=np.float64)
    # Landmarks just off the silhouette (jaw line, a brow seen edge-on) snap to the nearest rendered pixel.
    tri, bary, hit = surface_at_pixels(shot, pixels, max_distance=0.05 * max(h, w))
    if hit.sum() < len(hit) // 2:
        raise NoFaceError("the detected face does not lie on the mesh in the render")
    # Landmarks on the render's pixels (not snapped from off the silhouette): their exact sub-pixel positions.
    inside = hit & (
        tri
        == shot.triangle[
            np.clip(pixels[:, 1].astype(np.int64), 0, h - 1), np.clip(pixels[:, 0].astype(np.int64), 0, w - 1)
        ]
    )
    bary[inside] = _subpixel_barycentric(vertices, region.triangles, camera, tri[inside], bary[inside], pixels[inside])
    points = np.zeros((len(tri), 3))
    points[hit] = interpolate_on_surface(vertices, region.triangles, tri[hit], bary[hit])
    depth = np.full(len(tri), np.nan)
    depth[hit] = camera.project(points[hit])[1]
    # MediaPipe z: smaller is nearer, in units of the image width.
    predicted = -face.landmarks[:, 2] * w / camera.pixels_per_unit
    shift = np.median(depth[hit] - predicted[hit])
    face_width = np.ptp(pixels[:, 0]) / camera.pixels_per_unit
    gap = np.where(hit, np.abs(depth - (predicted + shift)), np.inf)
    on_surface = gap < DEPTH_OUTLIER * face_width
    breaks = _depth_breaks(shot, normals, region.triangles)
    occlusion = _occlusion_weight(breaks, pixels, OCCLUSION_GAP[0] * face_width, OCCLUSION_GAP[1] * face_width)
    confidence = smoothstep(gap, DEPTH_OUTLIER * face_width, 0.5 * DEPTH_OUTLIER * face_width) * occlusion
    estimate = camera.unproject(pixels, predicted + shift)
    target = confidence[:, None] * points + (1.0 - confidence[:, None]) * estimate
    return target, on_surface, confidence, estimate


def _blend(weights, values):
    """``sum_v weights[v] * values[v]`` for ``weights (V,)`` and ``values``: V arrays of one shape (float64)."""
    return np.einsum("v,v...->...", weights, np.asarray(values, dtype=np.float64))


def _landmarks_on(vertices, triangles, normals, candidate, detector, size, grid, report):
    """Face Landmarker rounds on renders framed on ``candidate`` (see the module docstring), one per
    :data:`ROUND_SIZES`, each on the grid cameras around the view the one before asked for (:data:`CAMERA_GRID`),
    their answers blended; the last round's on the grid cameras of every camera of :data:`STENCIL`
    (:func:`_stencil_views`). Returns ``(shot, face, region, target, on_surface, confidence, forward, up)`` of the
    last round (``target`` and ``confidence`` blended, see :func:`_backproject`; ``on_surface``, the render and
    MediaPipe's face of its heaviest camera), or None when the landmarker finds no face in the first round.
    """
    sizes = [s or size for s in ROUND_SIZES]
    forward, up, centre, half_width = candidate.forward, candidate.up, candidate.centre, 1.1 * candidate.size
    # Geometry this many half widths of a view from its centre is left out of its render (the face box is ~0.9 of
    # the first view's width, the landmarks' extent ~1.3 of the later ones').
    reach = FACE_RADIUS / 1.1
    last = None
    for round_, round_size in enumerate(sizes):
        report(0.6 + 0.35 * round_ / len(sizes), "turning toward the face")
        seen = []
        stencil = STENCIL if round_ == len(sizes) - 1 else STENCIL[:1]
        for weight, camera in _stencil_views(forward, up, centre, half_width, round_size, grid, stencil):
            region = _FaceRegion(vertices, triangles, camera.centre, reach * camera.half_width)
            shot = render(vertices, region.triangles, camera, max_layers=MAX_LAYERS, normals=normals)
            faces = detector.detect(shot.image)
            if faces:
                found = _backproject(vertices, normals, region, shot, faces[0])
                seen.append((weight, shot, faces[0], region, found, _face_axes(faces[0], camera)))
        if not seen:
            return last  # lost while turning: the last round that had the face (None on the first)
        # A grid camera whose render shows the landmarker no face is left out (the one decision left: rare, a face
        # seen from two cameras 2 degrees apart).
        weights = np.array([view[0] for view in seen])
        weights /= weights.sum()
        target, confidence, estimate = (_blend(weights, [view[4][k] for view in seen]) for k in (0, 2, 3))
        forward, up = (_blend(weights, [view[5][k] for view in seen]) for k in (0, 1))
        forward /= np.linalg.norm(forward)
        up -= forward * (up @ forward)
        up /= np.linalg.norm(up)
        _, shot, face, region, found, _ = seen[0]
        last = shot, face, region, target, found[1], confidence, forward, up
        # Frame the landmarks: the face fills the view whatever else (neck, shoulders, hair) the mesh holds. All of
        # them at MediaPipe's depth: the next view is then continuous in MediaPipe's output (which of them lie on
        # the surface is a threshold's decision).
        half_width = 0.75 * np.ptp(estimate @ np.stack([np.cross(up, forward), up]).T, axis=0).max()
        centre = estimate.mean(axis=0)
        reach = FACE_RADIUS * 2.0
    return last


def detect_mesh_landmarks(
    vertices, triangles, *, detector=None, face_detector=None, size=RENDER_SIZE, min_score=MIN_FACE_SCORE, progress=None
):
    """Detect MediaPipe's 478 face landmarks on a triangle mesh: a head, or a whole character with more objects.

    Args:
        vertices: ``(V, 3)`` float positions (any units, orientation and position).
        triangles: ``(T, 3)`` int vertex indices.
        detector: a :class:`facemotion.core.detect.landmarks.FaceLandmarkDetector` (default: the shared one).
        face_detector: a :class:`facemotion.core.detect.landmarks.FaceDetector` (``detect(image)`` and
            ``score(image)``; default: the shared one).
        size: side of the final render in pixels.
        min_score: detections scoring below this are treated as no face.
        progress: optional callable ``progress(fraction, message)``.

    Returns:
        :class:`MeshLandmarks` (``views_tried``: the search renders made).

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
        raise InputError(
            f"mesh: {int(bad.sum())} of {len(vertices)} vertices have non-finite (NaN or infinite) "
            f"coordinates, e.g. vertex {int(np.flatnonzero(bad)[0])}; fix or delete them first"
        )
    detector = detector or default_detector()
    face_detector = face_detector or default_face_detector()
    report = progress or (lambda fraction, message: None)

    _, _, extents = principal_axes(vertices)
    if extents.max() <= 0:
        raise InputError("mesh is degenerate: all vertices at one point")
    # The grid face cameras snap to: the bounding box's centre and size, the same for any vertex order, duplicated
    # vertices, position and scale of the mesh.
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    grid = ((low + high) / 2.0, float((high - low).max()))
    # Every render shows part of this one mesh: its normals are computed once.
    normals = vertex_normals(vertices, triangles)
    shots, tried = [], []
    result, score, best, found = None, 0.0, 0.0, False
    for level in _search(vertices, triangles, normals, face_detector, report, shots):
        best = max(best, level[0].score)
        for candidate in [c for c in level if c.score >= min_score]:
            if len(tried) >= MAX_CANDIDATES:
                break
            if any(np.linalg.norm(candidate.centre - c.centre) < 0.5 * max(c.size, candidate.size) for c in tried):
                continue  # the same face seen in another tile or turn: already verified
            tried.append(candidate)
            for degrees in PROFILE_TURNS_DEG if candidate.profile else TURNS_DEG:
                # A profile or three-quarter detection: the landmarker wants the face frontal, so turn toward the
                # nose.
                attempt = _landmarks_on(
                    vertices, triangles, normals, candidate.turned(degrees), detector, size, grid, report
                )
                if attempt is not None:
                    break
            if attempt is None:
                continue
            found = True
            attempt_score = face_detector.score(attempt[0].image)
            if attempt_score > score:
                result, score = attempt, attempt_score
            if score >= CONFIDENT_SCORE:
                break
        if score >= CONFIDENT_SCORE:
            break  # a clear face on the frontal view: no need to look further
    views_tried = len(shots)
    if best < min_score:
        raise NoFaceError(
            f"no face found on any of {views_tried} views of the mesh (best detector score "
            f"{best:.2f} < {min_score}); is it a face, and human enough for MediaPipe?"
        )
    if not found:
        raise NoFaceError("the face detector saw a face but the landmarker could not place landmarks on it")
    if score < min_score:
        raise NoFaceError(f"the face was lost on the frontal view (detector score {score:.2f})")
    shot, face, region, points, hit, confidence, forward, up = result
    # Its place on the surface: the landmark itself where it is trusted, else near its foot point (continuous).
    _, triangle, barycentric = _land(vertices, region.triangles, points)
    report(0.95, "landmarks on the frontal view")
    report(1.0, "landmarks detected")
    return MeshLandmarks(
        points=points,
        triangle=region.index[triangle],
        barycentric=barycentric,
        on_surface=hit,
        forward=forward,
        up=up,
        score=float(score),
        blendshapes=face.blendshape_array,
        image=shot.image,
        views_tried=views_tried,
        confidence=confidence,
    )
