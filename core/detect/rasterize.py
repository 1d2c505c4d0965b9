# SPDX-License-Identifier: GPL-3.0-or-later
"""A small deterministic z-buffer renderer (orthographic, numpy only) that shows a 3D face mesh to MediaPipe's
face detector and maps detected 2D landmarks back onto the mesh surface.

Conventions: pixel coordinates are ``(x, y)`` floats with x to the right and y DOWN, the image spanning
``[0, W] x [0, H]``, so pixel ``(row i, column j)`` has its centre at ``(j + 0.5, i + 0.5)``. MediaPipe's normalised
landmark coordinates are these divided by ``(W, H)``. Camera space has x right, y up and z toward the viewer (the
camera looks along -z); depth is camera z, so larger depth = closer to the viewer. World units are those of the
vertices.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from ..errors import InputError
from ..geometry import _faces, _points, face_normals, vertex_normals

__all__ = ["OrthoCamera", "Render", "render", "surface_at_pixels", "srgb_to_linear", "linear_to_srgb", "SKIN_ALBEDO"]

#: Default surface colour (sRGB, 0..1): a light skin tone, because the face detector looks for a face, not a statue.
SKIN_ALBEDO = (0.8, 0.65, 0.55)

#: (triangle, pixel) candidate pairs tested per chunk: bounds the renderer's temporary memory (~100 bytes each).
_CANDIDATE_CHUNK = 1 << 18
#: Barycentric tolerance of the inside test: pixel centres on a shared edge go to both triangles (no pinholes).
_INSIDE_TOL = 1e-9


def srgb_to_linear(c):
    """sRGB-encoded values in [0, 1] -> linear light (IEC 61966-2-1 transfer function), float64, same shape."""
    c = np.asarray(c, dtype=np.float64)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c):
    """Linear light in [0, 1] -> sRGB-encoded values (IEC 61966-2-1), float64, same shape; input is clipped."""
    c = np.clip(np.asarray(c, dtype=np.float64), 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1.0 / 2.4) - 0.055)


# ----------------------------------------------------------------------------------------------------------------------
# camera


@dataclass(eq=False)
class OrthoCamera:
    """Orthographic camera.

    ``rotation`` ``(3, 3)`` float64: world -> camera rotation whose rows are the camera's x (right), y (up) and
    z (toward the viewer) axes in world coordinates; the camera looks along ``-rotation[2]``.
    ``centre`` ``(3,)`` float64: the world point shown at the image centre. ``half_width`` float: world units from the
    image centre to its left/right edge (the vertical half extent is ``half_width * H / W``; pixels are square).
    ``size`` ``(height, width)`` ints, pixels. Raises InputError when the rotation is not a proper rotation, the
    half width is not positive or the size is not two positive integers.
    """

    rotation: np.ndarray
    centre: np.ndarray
    half_width: float
    size: tuple = (512, 512)

    def __post_init__(self):
        r = np.asarray(self.rotation, dtype=np.float64)
        if r.shape != (3, 3) or not np.isfinite(r).all():
            raise InputError(f"camera rotation must be a finite (3, 3) matrix, got shape {r.shape}")
        if not np.allclose(r @ r.T, np.eye(3), atol=1e-6) or np.linalg.det(r) < 0:
            raise InputError("camera rotation must be a proper rotation (orthonormal rows, determinant +1)")
        c = np.asarray(self.centre, dtype=np.float64)
        if c.shape != (3,) or not np.isfinite(c).all():
            raise InputError(f"camera centre must be a finite (3,) point, got shape {c.shape}")
        hw = float(self.half_width)
        if not np.isfinite(hw) or hw <= 0:
            raise InputError(f"camera half_width must be a positive number of world units, got {self.half_width!r}")
        try:
            h, w = (int(s) for s in self.size)
        except (TypeError, ValueError):
            raise InputError(f"camera size must be (height, width) in pixels, got {self.size!r}") from None
        if h <= 0 or w <= 0 or (h, w) != tuple(self.size):
            raise InputError(f"camera size must be two positive integers (height, width), got {self.size!r}")
        self.rotation, self.centre, self.half_width, self.size = r, c, hw, (h, w)

    @property
    def pixels_per_unit(self):
        """Image scale: pixels per world unit (float)."""
        return self.size[1] / (2.0 * self.half_width)

    @property
    def view_dir(self):
        """Unit viewing direction in world coordinates ``(3,)`` (the camera looks along it)."""
        return -self.rotation[2]

    def project(self, points):
        """World points ``(N, 3)`` -> ``(pixels (N, 2) float64 (x right, y down), depth (N,) float64)``.

        Depth is the camera z coordinate relative to ``centre`` (world units; larger = closer to the viewer).
        """
        p = _points(points, "points", allow_empty=True)
        cam = (p - self.centre) @ self.rotation.T
        s = self.pixels_per_unit
        h, w = self.size
        xy = np.column_stack([w / 2.0 + cam[:, 0] * s, h / 2.0 - cam[:, 1] * s])
        return xy, cam[:, 2]

    def unproject(self, pixels, depth):
        """Pixels ``(N, 2)`` float and camera depths ``(N,)`` (as returned by :meth:`project`) -> world ``(N, 3)``."""
        xy = _pixels(pixels)
        d = np.broadcast_to(np.asarray(depth, dtype=np.float64), (xy.shape[0],))
        s = self.pixels_per_unit
        h, w = self.size
        cam = np.column_stack([(xy[:, 0] - w / 2.0) / s, (h / 2.0 - xy[:, 1]) / s, d])
        return cam @ self.rotation + self.centre

    def unproject_ray(self, pixels):
        """Viewing rays through pixels ``(N, 2)``: ``(origins (N, 3), direction (3,))``, all float64.

        Orthographic rays are parallel: each starts on the plane through ``centre`` facing the camera (depth 0) and
        runs along the unit ``direction`` (= :attr:`view_dir`); points along it are ``origin + t * direction``.
        """
        return self.unproject(pixels, 0.0), self.view_dir.copy()

    @classmethod
    def framing(cls, vertices, view_dir, up, size=(512, 512), margin=1.25):
        """Camera looking along ``view_dir`` ``(3,)`` with ``up`` ``(3,)`` (orthogonalised against the view) that
        frames ``vertices`` ``(V, 3)``: their projected bounding box is centred and fills ``1 / margin`` of the
        image's tighter dimension. Raises InputError when ``up`` is parallel to ``view_dir``, a vector is zero or the
        vertices have no extent across the view.
        """
        v = _points(vertices, "vertices")
        d = _unit(view_dir, "view_dir")
        u = np.asarray(up, dtype=np.float64).reshape(-1)
        if u.shape != (3,):
            raise InputError(f"up must be a (3,) vector, got shape {u.shape}")
        z = -d
        y = u - (u @ z) * z
        if np.linalg.norm(y) <= 1e-9 * max(np.linalg.norm(u), 1e-300):
            raise InputError("up must not be parallel to view_dir: give an up vector across the viewing direction")
        y /= np.linalg.norm(y)
        x = np.cross(y, z)
        rotation = np.stack([x, y, z])
        cam = v @ rotation.T
        lo, hi = cam.min(axis=0), cam.max(axis=0)
        h, w = (int(s) for s in size)
        if h <= 0 or w <= 0:
            raise InputError(f"size must be two positive integers (height, width), got {size!r}")
        half = max((hi[0] - lo[0]) / 2.0, (hi[1] - lo[1]) / 2.0 * w / h)
        if not half > 0:
            raise InputError("the vertices have no extent across the viewing direction: nothing to frame")
        if not margin > 0:
            raise InputError(f"margin must be positive, got {margin!r}")
        centre = ((lo + hi) / 2.0) @ rotation
        return cls(rotation=rotation, centre=centre, half_width=float(margin) * half, size=(h, w))

    def scaled(self, factor):
        """The same view at ``factor`` times the resolution (int factor >= 1)."""
        h, w = self.size
        return OrthoCamera(self.rotation, self.centre, self.half_width, (h * factor, w * factor))


def _unit(vector, name):
    v = np.asarray(vector, dtype=np.float64).reshape(-1)
    if v.shape != (3,) or not np.isfinite(v).all() or np.linalg.norm(v) == 0:
        raise InputError(f"{name} must be a finite non-zero (3,) vector, got {vector!r}")
    return v / np.linalg.norm(v)


def _pixels(pixels):
    xy = np.asarray(pixels, dtype=np.float64)
    if xy.ndim != 2 or xy.shape[1] != 2 or not np.isfinite(xy).all():
        raise InputError(f"pixels must be a finite (N, 2) array of (x, y) pixel coordinates, got shape {xy.shape}")
    return xy


# ----------------------------------------------------------------------------------------------------------------------
# rasterisation


@dataclass(eq=False)
class Render:
    """Result of :func:`render`.

    ``image`` ``(H, W, 3)`` uint8 sRGB; ``triangle`` ``(H, W)`` int32 visible face per pixel (-1 = background);
    ``barycentric`` ``(H, W, 3)`` float32 weights of that face's vertices at the pixel centre (0 on background);
    ``depth`` ``(H, W)`` float32 camera depth (larger = closer, NaN on background); ``camera`` the
    :class:`OrthoCamera` (at the output resolution).
    """

    image: np.ndarray
    triangle: np.ndarray
    barycentric: np.ndarray
    depth: np.ndarray
    camera: OrthoCamera
    _nearest_foreground: tuple = field(default=None, init=False, repr=False)

    @property
    def foreground(self):
        """``(H, W)`` bool: pixels covered by the mesh."""
        return self.triangle >= 0


def _check_layers(nx, ny, height, width, max_layers):
    """InputError when the (triangle, pixel) candidates exceed ``max_layers`` per image pixel (None: no limit)."""
    if max_layers is None:
        return
    layers = float(np.sum(nx * ny, dtype=np.float64)) / (height * width)
    if layers > max_layers:
        raise InputError(
            f"the mesh's triangles cover the view {layers:.0f} times over (limit {max_layers:g}; a head is ~2-5): "
            f"that is a triangle soup, random data or a pile of overlapping geometry, not a face surface; keep only "
            f"the face's mesh (hide hair cards, inner parts) or clean it up"
        )


def _rasterize(xy, z, faces, height, width, max_layers=None):
    """Visible triangle, barycentric weights and depth per pixel centre.

    ``xy`` ``(V, 2)`` pixel coordinates, ``z`` ``(V,)`` depths, ``faces`` ``(F, 3)``. Returns ``(triangle (H, W)
    int64, barycentric (H, W, 3) float64, depth (H, W) float64 (-inf background))``. The work is the number of
    (triangle, pixel) candidates; ``max_layers`` (candidates per image pixel, None for no limit) refuses, before
    any of it is done, meshes whose cost would explode (:func:`_check_layers`). Method: per triangle the pixel
    bounding box; its (triangle, pixel) candidates, in chunks of bounded size, are tested with barycentric edge
    functions at the pixel centres a row at a time (:func:`_chunk_winners`), and per pixel the nearest triangle wins,
    exact ties going to the lower triangle index (deterministic).
    """
    n_pix = height * width
    tri_buf = np.full(n_pix, -1, dtype=np.int64)
    bary_buf = np.zeros((n_pix, 3))
    depth_buf = np.full(n_pix, -np.inf)
    if faces.shape[0] == 0:
        return tri_buf.reshape(height, width), bary_buf.reshape(height, width, 3), depth_buf.reshape(height, width)

    p0, p1, p2 = xy[faces[:, 0]], xy[faces[:, 1]], xy[faces[:, 2]]
    lo = np.minimum(np.minimum(p0, p1), p2)
    hi = np.maximum(np.maximum(p0, p1), p2)
    # pixel j is covered when its centre j + 0.5 lies in [lo, hi]
    with np.errstate(invalid="ignore"):
        x0 = np.maximum(np.ceil(lo[:, 0] - 0.5), 0)
        x1 = np.minimum(np.floor(hi[:, 0] - 0.5), width - 1)
        y0 = np.maximum(np.ceil(lo[:, 1] - 0.5), 0)
        y1 = np.minimum(np.floor(hi[:, 1] - 0.5), height - 1)
    area2 = (p1[:, 0] - p0[:, 0]) * (p2[:, 1] - p0[:, 1]) - (p2[:, 0] - p0[:, 0]) * (p1[:, 1] - p0[:, 1])
    # edge-on or degenerate triangles cover no pixel centre robustly; the neighbours seen face-on cover the area
    live = (x1 >= x0) & (y1 >= y0) & (np.abs(area2) > 1e-12)
    tri = np.flatnonzero(live)
    if tri.size == 0:
        return tri_buf.reshape(height, width), bary_buf.reshape(height, width, 3), depth_buf.reshape(height, width)
    x0, y0 = x0[tri].astype(np.int64), y0[tri].astype(np.int64)
    nx = x1[tri].astype(np.int64) - x0 + 1
    ny = y1[tri].astype(np.int64) - y0 + 1
    _check_layers(nx, ny, height, width, max_layers)

    # Barycentric weights are affine in the pixel position: w_k(x, y) = A_k x + B_k y + C_k (w_2 = 1 - w_0 - w_1).
    q0, q1, q2, a2 = p0[tri], p1[tri], p2[tri], area2[tri]
    coef = []
    for qa, qb in ((q1, q2), (q2, q0)):
        coef += [
            -(qb[:, 1] - qa[:, 1]) / a2,
            (qb[:, 0] - qa[:, 0]) / a2,
            ((qb[:, 1] - qa[:, 1]) * qa[:, 0] - (qb[:, 0] - qa[:, 0]) * qa[:, 1]) / a2,
        ]
    zf = z[faces[tri]]

    # Work items (triangle, first row, rows); triangles larger than a chunk are cut into bands of rows.
    rows_per = np.maximum(_CANDIDATE_CHUNK // nx, 1)
    bands = -(-ny // rows_per)
    item_tri = np.repeat(np.arange(tri.size), bands)
    band = np.arange(item_tri.size) - np.repeat(np.cumsum(bands) - bands, bands)
    item_y0 = y0[item_tri] + band * rows_per[item_tri]
    item_ny = np.minimum(rows_per[item_tri], ny[item_tri] - band * rows_per[item_tri])
    item_count = item_ny * nx[item_tri]
    # a chunk takes the items starting in one window of _CANDIDATE_CHUNK candidates (so at most twice that many)
    chunk_of = (np.cumsum(item_count) - item_count) // _CANDIDATE_CHUNK
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(chunk_of)) + 1, [item_tri.size]])
    for s, e in zip(bounds[:-1], bounds[1:]):
        found = _chunk_winners(s, e, item_tri, item_y0, item_ny, x0, nx, coef, zf, width, n_pix)
        if found is None:
            continue
        pw, depth, t, w = found
        nearer = depth > depth_buf[pw]  # strict: on exact ties the earlier chunk (lower triangle) stays
        pw = pw[nearer]
        depth_buf[pw] = depth[nearer]
        tri_buf[pw] = tri[t[nearer]]
        bary_buf[pw] = w[nearer]
    return tri_buf.reshape(height, width), bary_buf.reshape(height, width, 3), depth_buf.reshape(height, width)


def _chunk_winners(s, e, item_tri, item_y0, item_ny, x0, nx, coef, zf, width, n_pix):
    """The nearest candidate per pixel among the work items ``s:e`` of :func:`_rasterize`: ``(pixel (P,), depth
    (P,), live-triangle index (P,), barycentric (P, 3))``, the lowest triangle on exact depth ties; None when no
    pixel centre is inside.

    The items are cut into pixel rows, and the rows of one width tested together as a dense ``(rows, width)``
    block: the per-row coefficients broadcast over the row's pixels instead of being copied to every candidate.
    Each candidate's weights and depth are the same floating-point expressions as one by one (same operands, same
    order), so the buffers are identical whatever the grouping; the winner per pixel is chosen by value (greatest
    depth, then lowest triangle), not by the order the candidates come in.
    """
    rows = item_ny[s:e]
    if rows.sum() == 0:
        return None
    row_item = np.repeat(np.arange(s, e), rows)
    row_y = item_y0[row_item] + (np.arange(row_item.size) - np.repeat(np.cumsum(rows) - rows, rows))
    row_t = item_tri[row_item]
    row_nx = nx[row_t]
    by_width = np.argsort(row_nx, kind="stable")
    cuts = np.flatnonzero(np.diff(row_nx[by_width])) + 1
    found = []
    for group in np.split(by_width, cuts):
        t, y = row_t[group], row_y[group]
        cx = (x0[t][:, None] + np.arange(row_nx[group[0]])) + 0.5
        cy = y + 0.5
        # w = a * cx + b * cy + c, evaluated in that order (in place: the same roundings, fewer temporaries)
        a0, b0, c0, a1, b1, c1 = (c[t] for c in coef)
        w0 = a0[:, None] * cx
        w0 += (b0 * cy)[:, None]
        w0 += c0[:, None]
        w1 = a1[:, None] * cx
        w1 += (b1 * cy)[:, None]
        w1 += c1[:, None]
        w2 = 1.0 - w0
        w2 -= w1
        inside = w0 >= -_INSIDE_TOL
        inside &= w1 >= -_INSIDE_TOL
        inside &= w2 >= -_INSIDE_TOL
        row, col = np.nonzero(inside)
        if row.size:
            found.append((t[row], y[row] * width + x0[t[row]] + col, w0[row, col], w1[row, col]))
    if not found:
        return None
    t, pix, w0, w1 = (np.concatenate(parts) for parts in zip(*found))
    # Depth is affine in the pixel too: the plane's depth at the pixel centre.
    depth = zf[t, 2] + w0 * (zf[t, 0] - zf[t, 2]) + w1 * (zf[t, 1] - zf[t, 2])
    # Per pixel the nearest candidate, the lowest triangle on exact depth ties (max and min are exact).
    nearest = np.full(n_pix, -np.inf)
    np.maximum.at(nearest, pix, depth)
    top = np.flatnonzero(depth == nearest[pix])
    lowest = np.full(n_pix, np.iinfo(np.int64).max)
    np.minimum.at(lowest, pix[top], t[top])
    win = top[t[top] == lowest[pix[top]]]
    # Weights of the winners only, clipped (a centre on an edge may lie a rounding error outside) and normalised.
    w = np.empty((win.size, 3))
    w[:, 0], w[:, 1] = w0[win], w1[win]
    w[:, 2] = 1.0 - w[:, 0] - w[:, 1]
    np.clip(w, 0.0, None, out=w)
    w /= w.sum(axis=1, keepdims=True)
    return pix[win], depth[win], t[win], w


def render(
    vertices,
    faces,
    camera,
    *,
    vertex_colors=None,
    light_dir=None,
    ambient=0.25,
    background=(0.0, 0.0, 0.0),
    smooth=True,
    ssaa=1,
    max_layers=None,
    normals=None,
):
    """Render a triangle mesh with a z-buffer: shaded image plus per-pixel triangle id, barycentrics and depth.

    ``vertices`` ``(V, 3)`` float, ``faces`` ``(F, 3)`` int, ``camera`` :class:`OrthoCamera`.
    ``vertex_colors`` ``(V, 3)`` sRGB in [0, 1] or None for :data:`SKIN_ALBEDO`; ``light_dir`` ``(3,)`` world
    direction from the surface toward the light, or None for a light at the camera slightly from above;
    ``ambient`` in [0, 1]; ``background`` sRGB ``(3,)`` in [0, 1]; ``smooth`` interpolates area-weighted vertex
    normals (else flat face normals); ``ssaa`` integer supersampling factor for the image only (the scene is shaded at
    ``ssaa`` times the resolution and box-filtered in linear light, which for integer factors equals
    ``cv2.resize(..., INTER_AREA)``; the id/barycentric/depth buffers are rasterised at the output resolution);
    ``normals`` ``(V, 3)`` unit vertex normals to shade with when ``smooth`` (default: area-weighted normals of
    ``faces``; a caller rendering parts of one mesh many times computes them once).

    Shading: Lambert, ``albedo * (ambient + (1 - ambient) * |n . l|)`` in linear light, then sRGB encoding. The
    absolute value makes lighting two-sided, so meshes with flipped or inconsistent normals do not render black.
    Deterministic: the same input gives identical bytes. ``max_layers``: optional cost limit, the most
    (triangle, pixel-bounding-box) tests per image pixel (a closed head needs ~2-3; a random triangle soup
    hundreds), checked before rasterising. Returns :class:`Render`.
    Raises InputError on bad shapes, out-of-range indices or parameters, or a mesh over ``max_layers``.
    """
    v = _points(vertices, "vertices")
    f = _faces(faces, v.shape[0], allow_empty=True)
    if not isinstance(camera, OrthoCamera):
        raise InputError("camera must be an OrthoCamera (see OrthoCamera.framing)")
    if vertex_colors is None:
        albedo = None  # one colour: no per-pixel interpolation
    else:
        col = np.asarray(vertex_colors, dtype=np.float64)
        if col.shape != v.shape or not np.isfinite(col).all() or col.min() < 0 or col.max() > 1:
            raise InputError(f"vertex_colors must be ({v.shape[0]}, 3) sRGB values in [0, 1]")
        albedo = srgb_to_linear(col)
    if light_dir is None:
        light = _unit(np.array([0.0, 0.35, 1.0]) @ camera.rotation, "light_dir")
    else:
        light = _unit(light_dir, "light_dir")
    if not 0.0 <= float(ambient) <= 1.0:
        raise InputError(f"ambient must lie in [0, 1], got {ambient!r}")
    bg = np.asarray(background, dtype=np.float64)
    if bg.shape != (3,) or not np.isfinite(bg).all() or bg.min() < 0 or bg.max() > 1:
        raise InputError(f"background must be an sRGB triple in [0, 1], got {background!r}")
    if int(ssaa) != ssaa or ssaa < 1:
        raise InputError(f"ssaa must be a positive integer, got {ssaa!r}")
    ssaa = int(ssaa)

    if smooth and f.size and normals is not None:
        normals = np.asarray(normals, dtype=np.float64)
        if normals.shape != v.shape:
            raise InputError(f"normals must be one per vertex, shape {v.shape}, got {normals.shape}")
    else:
        normals = vertex_normals(v, f) if (smooth and f.size) else None
    flat = face_normals(v, f) if (not smooth and f.size) else None

    def shade(cam):
        """``(colour (P, 3) linear light of the covered pixels, covered (H, W) bool, triangle, barycentric,
        depth)`` of the view ``cam``: the background is left to the caller (one colour)."""
        xy, z = cam.project(v)
        tri, bary, depth = _rasterize(xy, z, f, *cam.size, max_layers=max_layers)
        fg = tri >= 0
        t, b = tri[fg], bary[fg]
        if not t.size:
            return np.zeros((0, 3)), fg, tri, bary, depth
        if normals is not None:
            n = np.einsum("nk,nkj->nj", b, normals[f[t]])
            n /= np.maximum(np.linalg.norm(n, axis=1, keepdims=True), 1e-300)
        else:
            n = flat[t]
        intensity = ambient + (1.0 - ambient) * np.abs(n @ light)
        if albedo is None:
            return srgb_to_linear(SKIN_ALBEDO) * intensity[:, None], fg, tri, bary, depth
        return np.einsum("nk,nkj->nj", b, albedo[f[t]]) * intensity[:, None], fg, tri, bary, depth

    if ssaa == 1:
        colour, fg, tri, bary, depth = shade(camera)
        # The background is one colour: encode it once and only the covered pixels one by one (same bytes).
        image = np.empty((*camera.size, 3), dtype=np.uint8)
        image[...] = np.round(linear_to_srgb(srgb_to_linear(bg)) * 255.0).astype(np.uint8)
        image[fg] = np.round(linear_to_srgb(colour) * 255.0).astype(np.uint8)
    else:
        big = camera.scaled(ssaa)
        colour, fg, _, _, _ = shade(big)
        linear = np.broadcast_to(srgb_to_linear(bg), (*big.size, 3)).copy()
        linear[fg] = colour
        h, w = camera.size
        image = np.round(linear_to_srgb(linear.reshape(h, ssaa, w, ssaa, 3).mean(axis=(1, 3))) * 255.0)
        image = image.astype(np.uint8)
        xy, z = camera.project(v)
        tri, bary, depth = _rasterize(xy, z, f, h, w, max_layers=max_layers)
    depth32 = depth.astype(np.float32)
    depth32[tri < 0] = np.nan
    return Render(
        image=image, triangle=tri.astype(np.int32), barycentric=bary.astype(np.float32), depth=depth32, camera=camera
    )


def surface_at_pixels(render_result, pixels, max_distance=3.0):
    """Mesh surface points under image positions, e.g. MediaPipe landmarks scaled to pixels.

    ``render_result`` a :class:`Render`; ``pixels`` ``(N, 2)`` float ``(x, y)`` pixel coordinates (x right, y down,
    image spanning ``[0, W] x [0, H]``). Each position uses the id buffer at the pixel containing it. Positions on
    the background (a landmark just outside the jaw silhouette) or outside the image fall back to the nearest
    foreground pixel (``scipy.ndimage.distance_transform_edt`` with ``return_indices``) if its centre lies within
    ``max_distance`` pixels. Returns ``(triangle (N,) int64, barycentric (N, 3) float64, hit (N,) bool)``; where
    ``hit`` is False the triangle is -1 and the barycentrics are NaN. Raises InputError on bad shapes.
    """
    if not isinstance(render_result, Render):
        raise InputError("surface_at_pixels needs the Render returned by render()")
    xy = _pixels(pixels)
    tri_img = render_result.triangle
    h, w = tri_img.shape
    col = np.clip(np.floor(xy[:, 0]), 0, w - 1).astype(np.int64)
    row = np.clip(np.floor(xy[:, 1]), 0, h - 1).astype(np.int64)
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    hit = inside & (tri_img[row, col] >= 0)
    miss = np.flatnonzero(~hit)
    if miss.size and (tri_img >= 0).any():
        if render_result._nearest_foreground is None:
            _, idx = ndimage.distance_transform_edt(tri_img < 0, return_indices=True)
            render_result._nearest_foreground = (idx[0], idx[1])
        near_r, near_c = render_result._nearest_foreground
        r2, c2 = near_r[row[miss], col[miss]], near_c[row[miss], col[miss]]
        dist = np.hypot(xy[miss, 0] - (c2 + 0.5), xy[miss, 1] - (r2 + 0.5))
        ok = dist <= max_distance
        row[miss[ok]], col[miss[ok]] = r2[ok], c2[ok]
        hit[miss[ok]] = True
    triangle = np.where(hit, tri_img[row, col], -1).astype(np.int64)
    bary = render_result.barycentric[row, col].astype(np.float64)
    bary[~hit] = np.nan
    return triangle, bary, hit
