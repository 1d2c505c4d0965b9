# SPDX-License-Identifier: GPL-3.0-or-later
"""Which parts of a head mesh are skin, eyeballs, teeth, tongue, or not part of the face at all.

The rig treats each kind differently (:mod:`.transfer`): skin follows the template's surface motion, eyeballs are
rigid and only turn about their own centre (eyeLook*), the upper teeth are fixed to the skull, the lower teeth and
tongue turn rigidly with the jaw, and parts far from the face never move. Characters bring eyes, teeth and tongue as
separate objects or as loose parts of one mesh; both arrive here as loose parts (edge-connected components,
:func:`facemotion.core.geometry.connected_components`), and each loose part is classified from its shape and where it
sits relative to the face's MediaPipe landmarks:

* **eyeball**: a near-sphere (algebraic least-squares sphere fit, Pratt 1987, "Direct least-squares fitting of
  algebraic surfaces", SIGGRAPH; RMS radial residual < :data:`SPHERE_RESIDUAL` of its radius) of eyeball size
  (:data:`EYE_RADIUS_RANGE` inter-ocular distances) whose centre lies behind an iris landmark (468 / 473) within
  :data:`EYE_CENTRE_REACH` radii. Further shells of the same eye (a cornea over the sclera, an iris sphere inside it)
  belong to that eye when they are concentric spheres within :data:`SHELL_REACH` radii of its centre. Only parts
  covering much of their sphere count (:data:`SPHERE_COVERAGE`): caps and strips lying on the eyeball (tear line,
  eye-occlusion and eye-blend shells of Unreal / Character Creator style eyes, ICT-FaceKit's too) follow the lids in
  the template and stay skin, and so does a cornea modelled as a small cap.
* **mouth interior**: a part lying (:data:`INTERIOR_SHARE` of its vertices) inside a box behind the lips sized from
  the mouth corners (61 / 291). The upper teeth (and upper gums) are those above the occlusal line, the lower teeth
  below it: the line starts as the inner-lip mid-line (landmarks 13 / 14) and, once teeth are found on both sides,
  is refitted midway between the lines (in depth) through the upper and the lower teeth's centres (molars sit
  higher than incisors, and incisor tips overlap). A single tooth goes to the side most of it is on; a wide part
  that straddles the line (gums and tongue as one mesh, like ICT-FaceKit's) is soft tissue and stays skin: split
  into a still and a turning half it would tear. A forced ``ROLE_TEETH`` is split per vertex.
* **tongue**: a lower interior part wider than :data:`TONGUE_MIN_WIDTH` mouth widths that is solid seen from above
  (a vertex above its centre) - a dental arch is U-shaped and has none.
* **ignored**: parts farther than :data:`FAR_FACE_SIZES` face sizes from the landmarks (the default cube, a floor,
  a body's feet).
* **skin**: everything else (face, lids, lashes, hair caps, clothes near the face: their motion fades out with the
  distance to the template's face in the transfer, and a loose part that lies on the template's scalp or neck
  rather than its face - a hair cap - is moved to ignored there, :data:`facemotion.core.rig.transfer.FACE_SHARE`).

A role the caller forces on a vertex (``roles >= 0``) always wins over the classification.
"""

from dataclasses import dataclass, field

import numpy as np

from ..detect.mediapipe_topology import (
    CHIN,
    FOREHEAD_TOP,
    LEFT_EYE_OUTER_CORNER,
    LEFT_IRIS_CENTER,
    RIGHT_EYE_OUTER_CORNER,
    RIGHT_IRIS_CENTER,
)
from ..errors import InputError
from ..geometry import connected_components

ROLE_AUTO = -1
ROLE_SKIN = 0
ROLE_EYE = 1
ROLE_TEETH = 2
ROLE_TEETH_UPPER = 3
ROLE_TEETH_LOWER = 4
ROLE_TONGUE = 5
ROLE_IGNORE = 6
ROLE_NAMES = {"auto": -1, "skin": 0, "eye": 1, "teeth": 2, "upper_teeth": 3, "lower_teeth": 4, "tongue": 5, "ignore": 6}

#: Sphere-fit acceptance: RMS of ``|x - c| - r`` over the part's vertices, as a fraction of ``r``.
SPHERE_RESIDUAL = 0.06
#: A sphere part is an eyeball (or a full shell of one) only when the mean of its vertices' unit directions from
#: the centre is shorter than this (0 for a whole sphere, ~0.5 for a hemisphere, ~0.8+ for caps and strips).
SPHERE_COVERAGE = 0.6
#: Eyeball radius range in inter-ocular (outer eye corner) distances: a human eyeball is ~12 mm for ~95 mm.
EYE_RADIUS_RANGE = (0.06, 0.3)
#: An eyeball centre lies within this many radii of its iris landmark (which sits on the cornea, ~1 radius ahead).
EYE_CENTRE_REACH = 2.0
#: Further shells of an eye lie within this many eyeball radii of its centre.
SHELL_REACH = 1.5
#: Share of a part's vertices that must lie in the mouth box for it to count as mouth interior.
INTERIOR_SHARE = 0.9
#: Width (x extent) of a tongue, in mouth widths (mouth corner to corner), at least.
TONGUE_MIN_WIDTH = 0.35
#: Parts whose closest vertex is farther than this many face sizes (landmark extent) from the landmarks are ignored.
FAR_FACE_SIZES = 1.0

_SIDES = (("left", LEFT_IRIS_CENTER), ("right", RIGHT_IRIS_CENTER))
_LIP_UPPER_INNER_MID, _LIP_LOWER_INNER_MID, _MOUTH_CORNER_RIGHT, _MOUTH_CORNER_LEFT = 13, 14, 61, 291
_LIP_UPPER_OUTER_MID, _LIP_LOWER_OUTER_MID = 0, 17


@dataclass
class PartInfo:
    """One classified part of the target mesh.

    Attributes:
        role: a ``ROLE_*`` constant (never ``ROLE_AUTO`` / ``ROLE_TEETH``).
        name: ``"skin"``, ``"eye_left"``, ``"eye_right"``, ``"upper_teeth"``, ``"lower_teeth"``, ``"tongue"`` or
            ``"ignored"`` (left / right: the subject's).
        vertices: ``(K,) int64`` vertex indices of the part.
        centre: ``(3,) float64``: the sphere-fit centre for an eye (what it turns about), else the bounding-box
            centre (mesh units and frame).
        radius: float: the eyeball's sphere radius, else the bounding box's half diagonal (mesh units).
    """

    role: int
    name: str
    vertices: np.ndarray
    centre: np.ndarray
    radius: float


@dataclass
class FaceParts:
    """Result of :func:`classify_parts`.

    Attributes:
        roles: ``(N,) int8`` resolved role per vertex (``ROLE_SKIN`` .. ``ROLE_IGNORE``; no ``ROLE_AUTO``, and
            ``ROLE_TEETH`` split into ``ROLE_TEETH_UPPER`` / ``ROLE_TEETH_LOWER``).
        parts: :class:`PartInfo` per non-empty group, in the order skin, eye_left, eye_right, upper_teeth,
            lower_teeth, tongue, ignored.
        eye_centres: ``"left"`` / ``"right"`` -> ``(3,) float64`` eyeball centre (only for eyes found or forced;
            empty for a mesh without eyeballs).
        eye_radii: side -> eyeball radius (mesh units).
    """

    roles: np.ndarray
    parts: list = field(default_factory=list)
    eye_centres: dict = field(default_factory=dict)
    eye_radii: dict = field(default_factory=dict)

    def summary(self):
        """One line per part, e.g. ``"eye_left: 1,570 vertices, sphere radius 0.0125"``."""
        lines = []
        for p in self.parts:
            extra = f", sphere radius {p.radius:.4g}" if p.role == ROLE_EYE else ""
            lines.append(f"{p.name}: {len(p.vertices):,} vertices{extra}")
        return "\n".join(lines) if lines else "no vertices"

    def part(self, name):
        """The :class:`PartInfo` called ``name``, or None."""
        return next((p for p in self.parts if p.name == name), None)

    def with_ignored(self, index, vertices):
        """These parts with the vertices ``index (K,) int`` moved to the ``"ignored"`` group (``ROLE_IGNORE``), e.g.
        a hair shell the transfer found off the face; ``vertices (N, 3)`` the mesh (for the parts' boxes)."""
        roles = self.roles.copy()
        roles[np.asarray(index, dtype=np.int64)] = ROLE_IGNORE
        return _face_parts(roles, self.eye_centres, self.eye_radii, np.asarray(vertices, dtype=np.float64))

    def remapped(self, index):
        """These parts on another vertex numbering: vertex ``i`` of the result is vertex ``index[i]`` here (e.g.
        the caller's unwelded vertices, ``index (N',) int``)."""
        index = np.asarray(index)
        owner = np.full(len(self.roles), -1, dtype=np.int64)
        for k, p in enumerate(self.parts):
            owner[p.vertices] = k
        owner = owner[index]
        parts = [
            PartInfo(p.role, p.name, np.flatnonzero(owner == k).astype(np.int64), p.centre, p.radius)
            for k, p in enumerate(self.parts)
        ]
        return FaceParts(
            roles=self.roles[index],
            parts=[p for p in parts if len(p.vertices)],
            eye_centres=dict(self.eye_centres),
            eye_radii=dict(self.eye_radii),
        )


def face_frame(landmarks):
    """An orthonormal face frame from MediaPipe landmarks: ``(origin (3,), axes (3, 3), iod float)``.

    Rows of ``axes``: +X towards the subject's left (outer eye corner 33 -> 263), +Y up (chin 152 -> forehead 10,
    made orthogonal to X), +Z out of the face (X x Y); ``origin`` is the landmarks' mean and ``iod`` the outer
    eye-corner distance. Raises InputError for degenerate landmarks.
    """
    lm = np.asarray(landmarks, dtype=np.float64)
    if lm.shape != (478, 3) or not np.isfinite(lm).all():
        raise InputError(f"landmarks must be a finite (478, 3) array, got shape {lm.shape}")
    x = lm[LEFT_EYE_OUTER_CORNER] - lm[RIGHT_EYE_OUTER_CORNER]
    iod = float(np.linalg.norm(x))
    y = lm[FOREHEAD_TOP] - lm[CHIN]
    if iod <= 0 or np.linalg.norm(y) <= 0:
        raise InputError("landmarks are degenerate (eye corners or chin and forehead coincide)")
    x = x / iod
    y = y - (y @ x) * x
    y = y / np.linalg.norm(y)
    return lm.mean(axis=0), np.stack([x, y, np.cross(x, y)]), iod


def fit_sphere(points):
    """Least-squares sphere through ``points (K, 3)``: ``(centre (3,), radius float, rms residual float)``.

    Method: the algebraic fit ``|x|^2 = 2 c.x + k`` solved linearly (Pratt 1987), then the residual
    ``|x - c| - r`` measured geometrically. Fewer than 4 points or coplanar points give ``radius = inf``.
    """
    p = np.asarray(points, dtype=np.float64)
    if len(p) < 4:
        return p.mean(axis=0) if len(p) else np.zeros(3), np.inf, np.inf
    mu = p.mean(axis=0)
    q = p - mu  # centred for conditioning
    a = np.column_stack([2 * q, np.ones(len(q))])
    sol, _, rank, _ = np.linalg.lstsq(a, (q * q).sum(axis=1), rcond=None)
    if rank < 4:
        return mu, np.inf, np.inf
    centre = sol[:3]
    radius = float(np.sqrt(max(sol[3] + centre @ centre, 0.0)))
    rms = float(np.sqrt(np.mean((np.linalg.norm(q - centre, axis=1) - radius) ** 2)))
    return centre + mu, radius, rms


def _checked_roles(roles, n):
    if roles is None:
        return np.full(n, ROLE_AUTO, dtype=np.int8)
    r = np.asarray(roles)
    if r.shape != (n,) or not np.issubdtype(r.dtype, np.integer):
        raise InputError(f"roles must be an (N,) integer array with N = {n} vertices, got shape {r.shape}")
    if r.size and (r.min() < ROLE_AUTO or r.max() > ROLE_IGNORE):
        raise InputError(
            f"roles must be between {ROLE_AUTO} (auto) and {ROLE_IGNORE} (ignore), got {int(r.min())}..{int(r.max())}"
        )
    return r.astype(np.int8)


def classify_parts(vertices, triangles, landmarks, roles=None):
    """Classify a head mesh's vertices into skin, eyeballs, upper / lower teeth, tongue and ignored parts.

    Args:
        vertices: ``(N, 3) float64`` positions (any units, orientation and position).
        triangles: ``(M, 3) int64`` (loose parts = edge-connected components).
        landmarks: ``(478, 3) float64`` MediaPipe landmarks on this mesh (same frame).
        roles: None or ``(N,) int8``: a forced ``ROLE_*`` per vertex, ``ROLE_AUTO`` (-1) where the
            classification decides. Forced ``ROLE_TEETH`` is split into upper / lower by the occlusal line; forced
            ``ROLE_EYE`` vertices are grouped by the nearer iris landmark, and a side without a detected eyeball
            gets its centre from a sphere fit of its forced vertices.

    Returns:
        :class:`FaceParts` (see the module docstring for the method).

    Raises:
        InputError: bad shapes, landmarks not (478, 3), roles out of range.
    """
    v = np.asarray(vertices, dtype=np.float64)
    if v.ndim != 2 or v.shape[1] != 3:
        raise InputError(f"vertices must be (N, 3), got shape {v.shape}")
    forced = _checked_roles(roles, len(v))
    origin, axes, iod = face_frame(landmarks)
    lm = (np.asarray(landmarks, dtype=np.float64) - origin) @ axes.T  # landmarks in the face frame
    p = (v - origin) @ axes.T  # vertices in the face frame
    groups = _loose_parts(len(v), triangles)

    auto = np.full(len(v), ROLE_SKIN, dtype=np.int8)
    eyes, eye_of_group = _eyeballs(p, groups, lm, iod)
    for g in eye_of_group:
        auto[groups[g]] = ROLE_EYE
    width, lip_y, box = _mouth_box(lm)
    interior = _mouth_interior(p, groups, eye_of_group, box, width)
    line = _occlusal_line(p, groups, interior, lip_y, width)
    _label_mouth_interior(auto, p, groups, interior, line, width)
    _ignore_far_parts(auto, p, groups, lm)

    resolved = _forced_roles_win(forced, auto, p, line)
    centres, radii = _eye_centres(resolved, p, lm, eyes)
    return _face_parts(resolved, {side: c @ axes + origin for side, c in centres.items()}, radii, v)


def _loose_parts(n_vertices, triangles):
    """The edge-connected components (loose parts) as a list of vertex index arrays, ordered by label."""
    labels = connected_components(n_vertices, np.asarray(triangles, dtype=np.int64))
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, bounds)


def _eyeballs(p, groups, lm, iod):
    """Eyeballs: near-spheres of eyeball size behind each iris landmark; the one with most vertices is the eye,
    further concentric spheres (cornea, iris) are its shells.

    Returns ``(eyes, eye_of_group)``: ``{side: (group, centre, radius)}`` of each side's eyeball (face frame) and
    ``{group: side}`` of every part that belongs to an eye (eyeball and shells)."""
    candidates = {}
    for g, idx in enumerate(groups):
        if len(idx) < 8:
            continue
        centre, radius, rms = fit_sphere(p[idx])
        if not (
            np.isfinite(radius)
            and rms < SPHERE_RESIDUAL * radius
            and EYE_RADIUS_RANGE[0] * iod < radius < EYE_RADIUS_RANGE[1] * iod
        ):
            continue
        # Much of the sphere is there (not a cap or strip on it: tear lines and occlusion shells follow the lids).
        rel = p[idx] - centre
        if np.linalg.norm((rel / np.linalg.norm(rel, axis=1)[:, None]).mean(axis=0)) > SPHERE_COVERAGE:
            continue
        near = [np.linalg.norm(centre - lm[iris]) for _, iris in _SIDES]
        s = int(np.argmin(near))
        if near[s] < EYE_CENTRE_REACH * radius and centre[2] < lm[_SIDES[s][1]][2]:
            candidates[g] = (_SIDES[s][0], centre, radius)
    eyes = {}
    for g, (side, centre, radius) in candidates.items():
        if side not in eyes or len(groups[g]) > len(groups[eyes[side][0]]):
            eyes[side] = (g, centre, radius)
    eye_of_group = {}
    for g, (side, centre, _radius) in candidates.items():
        _, eye_centre, eye_radius = eyes[side]
        if (
            np.linalg.norm(centre - eye_centre) < 0.5 * eye_radius
            and np.linalg.norm(p[groups[g]] - eye_centre, axis=1).max() < SHELL_REACH * eye_radius
        ):
            eye_of_group[g] = side
    return eyes, eye_of_group


def _mouth_box(lm):
    """The mouth's width, the inner lips' mid height and the box behind the lips that holds the mouth interior
    (``(lo, hi)``, face frame)."""
    corners = lm[[_MOUTH_CORNER_RIGHT, _MOUTH_CORNER_LEFT]]
    width = float(np.linalg.norm(corners[1] - corners[0]))
    lip_front = float(lm[[_LIP_UPPER_OUTER_MID, _LIP_LOWER_OUTER_MID], 2].max())
    lip_y = float(lm[[_LIP_UPPER_INNER_MID, _LIP_LOWER_INNER_MID], 1].mean())
    box_lo = np.array([corners[:, 0].min() - 0.5 * width, lip_y - 1.2 * width, lip_front - 2.5 * width])
    box_hi = np.array([corners[:, 0].max() + 0.5 * width, lip_y + 1.0 * width, lip_front + 0.05 * width])
    return width, lip_y, (box_lo, box_hi)


def _mouth_interior(p, groups, eye_of_group, box, width):
    """The parts (group indices) that lie mostly in the mouth ``box`` and are mouth-sized; eyes excluded."""
    box_lo, box_hi = box
    interior = []
    for g, idx in enumerate(groups):
        if g in eye_of_group:
            continue
        q = p[idx]
        inside = ((q >= box_lo) & (q <= box_hi)).all(axis=1).mean()
        if inside >= INTERIOR_SHARE and np.linalg.norm(np.ptp(q, axis=0)) < 3.5 * width:
            interior.append(g)
    return interior


def _occlusal_line(p, groups, interior, lip_y, width):
    """The occlusal line ``y = a + b z`` (``[a, b]``) between the upper and lower teeth; first guess: the inner-lip
    mid-line, refined twice from the teeth on either side."""
    line = np.array([lip_y, 0.0])
    centroids = {g: p[groups[g]].mean(axis=0) for g in interior}
    for _ in range(2):
        upper = [g for g in interior if centroids[g][1] > line[0] + line[1] * centroids[g][2]]
        lower = [g for g in interior if g not in upper]
        small = lambda gs: [g for g in gs if np.ptp(p[groups[g]][:, 0]) < TONGUE_MIN_WIDTH * width]  # noqa: E731
        up_teeth, low_teeth = small(upper), small(lower)
        if len(up_teeth) < 2 or len(low_teeth) < 2:
            break
        # Midway between the line through the upper teeth's centres and the one through the lower teeth's (their
        # tips overlap: the upper incisors close in front of the lower ones).
        fitted = []
        for gs in (up_teeth, low_teeth):
            c = np.array([centroids[g] for g in gs])
            slope_ok = np.ptp(c[:, 2]) > 0.05 * width
            design = np.column_stack([np.ones(len(c)), c[:, 2] if slope_ok else np.zeros(len(c))])
            fitted.append(np.linalg.lstsq(design, c[:, 1], rcond=None)[0])
        line = 0.5 * (fitted[0] + fitted[1])
    return line


def _label_mouth_interior(auto, p, groups, interior, line, width):
    """Set ``auto`` (in place) to upper / lower teeth or tongue for each interior part, by the side of the occlusal
    ``line`` it lies on."""
    for g in interior:
        idx = groups[g]
        q = p[idx]
        above = q[:, 1] > line[0] + line[1] * q[:, 2]
        share = above.mean()
        if np.ptp(q[:, 0]) < TONGUE_MIN_WIDTH * width:  # a single tooth: one side as a whole
            auto[idx] = ROLE_TEETH_UPPER if share >= 0.5 else ROLE_TEETH_LOWER
        elif share >= INTERIOR_SHARE:
            auto[idx] = ROLE_TEETH_UPPER
        elif share <= 1 - INTERIOR_SHARE:
            auto[idx] = ROLE_TONGUE if _is_tongue(q, width) else ROLE_TEETH_LOWER
        # else: one soft mesh across both jaws (gums and tongue joined): skin, deforming as the template's does;
        # split between a still and a turning half it would tear open along the line.


def _ignore_far_parts(auto, p, groups, lm):
    """Set ``auto`` (in place) to ignored for parts far from the landmarks' box (:data:`FAR_FACE_SIZES`)."""
    face_size = float(np.ptp(lm, axis=0).max())
    lo, hi = lm.min(axis=0), lm.max(axis=0)
    for idx in groups:
        gap = np.maximum(np.maximum(lo - p[idx], p[idx] - hi), 0.0)
        if np.linalg.norm(gap, axis=1).min() > FAR_FACE_SIZES * face_size:
            auto[idx] = ROLE_IGNORE


def _forced_roles_win(forced, auto, p, line):
    """The roles: forced ones where given, else ``auto``; forced ``ROLE_TEETH`` split by the occlusal ``line``."""
    resolved = np.where(forced >= 0, forced, auto).astype(np.int8)
    teeth = resolved == ROLE_TEETH
    if teeth.any():
        q = p[teeth]
        resolved[teeth] = np.where(q[:, 1] > line[0] + line[1] * q[:, 2], ROLE_TEETH_UPPER, ROLE_TEETH_LOWER)
    return resolved


def _eye_centres(resolved, p, lm, eyes):
    """``({side: centre (3,) face frame}, {side: radius})`` of the vertices with ``ROLE_EYE``, each grouped by the
    nearer iris landmark: a sphere fit of all its shells, else the detected eyeball's, else their box's middle."""
    centres, radii = {}, {}
    eye = resolved == ROLE_EYE
    if eye.any():
        iris = lm[[c for _, c in _SIDES]]
        side_of = np.argmin(np.linalg.norm(p[eye][:, None, :] - iris[None], axis=2), axis=1)
        for s, (side, _) in enumerate(_SIDES):
            members = np.flatnonzero(eye)[side_of == s]
            if len(members) == 0:
                continue
            # The centre of all its shells together (sclera, iris and cornea spheres differ a little).
            centre, radius, rms = fit_sphere(p[members])
            if not np.isfinite(radius) or rms > 0.25 * radius:
                if side in eyes:
                    centre, radius = eyes[side][1], eyes[side][2]
                else:
                    centre, radius = p[members].mean(axis=0), float(np.ptp(p[members], axis=0).max() / 2)
            centres[side] = centre
            radii[side] = float(radius)
    return centres, radii


def _is_tongue(q, width):
    """A lower interior part is a tongue when it is wide and solid seen from above (a vertex over its centre in
    x/z); a dental arch is U-shaped and has a gap there. ``q (K, 3)`` face-frame positions."""
    extent = np.ptp(q[:, [0, 2]], axis=0)
    if extent[0] < TONGUE_MIN_WIDTH * width:
        return False
    centre = q[:, [0, 2]].mean(axis=0)
    return bool(np.linalg.norm(q[:, [0, 2]] - centre, axis=1).min() < 0.1 * extent.max())


_GROUPS = (
    (ROLE_SKIN, "skin"),
    (ROLE_EYE, "eye_left"),
    (ROLE_EYE, "eye_right"),
    (ROLE_TEETH_UPPER, "upper_teeth"),
    (ROLE_TEETH_LOWER, "lower_teeth"),
    (ROLE_TONGUE, "tongue"),
    (ROLE_IGNORE, "ignored"),
)


def _face_parts(roles, centres, radii, vertices):
    """Assemble :class:`FaceParts`; each eye vertex goes to the side whose centre is nearer."""
    parts = []
    eye_idx = np.flatnonzero(roles == ROLE_EYE)
    side_of = None
    if len(eye_idx) and centres:
        names = list(centres)
        c = np.stack([centres[n] for n in names])
        nearest = np.argmin(np.linalg.norm(vertices[eye_idx][:, None, :] - c[None], axis=2), axis=1)
        side_of = {n: eye_idx[nearest == k] for k, n in enumerate(names)}
    for role, name in _GROUPS:
        if role == ROLE_EYE:
            side = name.split("_")[1]
            if side_of is None or side not in side_of or len(side_of[side]) == 0:
                continue
            parts.append(PartInfo(role, name, side_of[side], np.asarray(centres[side], dtype=np.float64), radii[side]))
            continue
        idx = np.flatnonzero(roles == role).astype(np.int64)
        if len(idx) == 0:
            continue
        box_lo, box_hi = vertices[idx].min(axis=0), vertices[idx].max(axis=0)
        centre, radius = 0.5 * (box_lo + box_hi), float(0.5 * np.linalg.norm(box_hi - box_lo))
        parts.append(PartInfo(role, name, idx, centre, radius))
    return FaceParts(
        roles=np.asarray(roles, dtype=np.int8), parts=parts, eye_centres=dict(centres), eye_radii=dict(radii)
    )
