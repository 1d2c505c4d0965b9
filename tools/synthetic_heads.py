#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Synthetic test and evaluation meshes built from the project's assets (pure numpy, deterministic).

    .venv/bin/python tools/synthetic_heads.py --write DIR     # every case as an OBJ, one ``o`` object per part

Cases (each a list of :class:`MeshPart`, one per object an artist would have):

- :func:`full_character` -- an ICT-FaceKit identity head (skin, each eyeball, upper teeth, lower teeth, gums and
  tongue, eyelashes as separate parts) standing on a body made of primitives (torso, arms, legs: one "body" object
  whose neck ring repeats the head's neck boundary vertex for vertex, so a weld joins them), a "shirt" shell around
  the torso, a "hair" cap shell over the skull, and the default scene's "Cube" 3 m away; rotated and moved off the
  origin. Metres, +Y up, the face looks along +Z before the rotation (ICT's frame).
- :func:`canonical_face` -- MediaPipe's canonical face model (skin only; the OBJ's own units, centimetres).
- :func:`warped_ict` -- the ICT head under a strong non-rigid warp (``wide``, ``long``, ``bulge``, ``twist``,
  ``taper``), all parts warped alike (ICT's units, centimetres).

Ground truth for the head finder: :data:`ICT_LANDMARKS_68` (ICT-FaceKit README, "Multi-PIE 68 point facial landmarks
indices") are vertex indices of ICT's face, and the ``head_skin`` part keeps ICT's vertex order from its first vertex,
so ``part.vertices[ICT_LANDMARKS_68]`` are the 68 landmarks on any case built from ICT (:func:`ict_landmarks_68`).

ICT-FaceKit's OBJ is one mesh holding 17 geometries; they are split by the vertex ranges of its README (the same
table as :data:`facemotion.core.rig.template.ICT_PARTS`). "Gums and tongue" is one geometry in ICT (no separate
tongue), so it is one part with role truth ``"auto"``: ``"tongue"`` would be wrong for its upper gums, and the
caller's classifier decides. Sources: ICT-FaceKit (Li et al. 2020, MIT licence) and
MediaPipe's face geometry (Apache 2.0), both read from ``../shared/assets`` through :mod:`facemotion.core.io.assets`.
"""

import argparse
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
from facemotion.core.io import assets  # noqa: E402
from facemotion.core.io.mesh_io import read_obj  # noqa: E402
from facemotion.core.rig.template import ICT_PARTS, ICT_UNIT_M  # noqa: E402

ICT_NEUTRAL = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"
CANONICAL_FACE = "mediapipe/face_geometry/canonical_face_model.obj"

#: ICT-FaceKit's Multi-PIE 68-point landmark vertex indices (0-based; ICT-FaceKit README, "Facial Landmarks").
ICT_LANDMARKS_68 = np.array(
    [
        1225,
        1888,
        1052,
        367,
        1719,
        1722,
        2199,
        1447,
        966,
        3661,
        4390,
        3927,
        3924,
        2608,
        3272,
        4088,
        3443,
        268,
        493,
        1914,
        2044,
        1401,
        3615,
        4240,
        4114,
        2734,
        2509,
        978,
        4527,
        4942,
        4857,
        1140,
        2075,
        1147,
        4269,
        3360,
        1507,
        1542,
        1537,
        1528,
        1518,
        1511,
        3742,
        3751,
        3756,
        3721,
        3725,
        3732,
        5708,
        5695,
        2081,
        0,
        4275,
        6200,
        6213,
        6346,
        6461,
        5518,
        5957,
        5841,
        5702,
        5711,
        5533,
        6216,
        6207,
        6470,
        5517,
        5966,
    ],
    dtype=np.int64,
)

#: Multi-PIE 68 indices of the outer eye corners (subject's right eye outer corner 36, left eye outer corner 45):
#: their distance is the inter-ocular distance that landmark errors are normalised by.
OUTER_EYE_CORNERS_68 = (36, 45)

#: The ICT head's parts: part name -> (ICT geometries, role truth). Roles are
#: :data:`facemotion.core.rig.parts.ROLE_NAMES` keys. The eye sockets and the mouth socket are connected inner skin.
ICT_HEAD_PARTS = {
    "head_skin": (("face", "head_and_neck", "mouth_socket", "eye_socket_left", "eye_socket_right"), "skin"),
    "eyeball_left": (("eyeball_left",), "eye"),
    "eyeball_right": (("eyeball_right",), "eye"),
    "upper_teeth": (("teeth_upper",), "upper_teeth"),
    "lower_teeth": (("teeth_lower",), "lower_teeth"),
    "gums_and_tongue": (("gums_and_tongue",), "auto"),
    "eyelashes": (("eyelashes_left", "eyelashes_right"), "skin"),
}
#: ICT's upper teeth are vertices [17039, 19247), the lower [19247, 21451) (README, "Teeth Details").
_ICT_RANGES = dict(ICT_PARTS, teeth_upper=(17039, 19247), teeth_lower=(19247, 21451))

#: Warps :func:`warped_ict` knows.
WARP_KINDS = ("wide", "long", "bulge", "twist", "taper")

#: Default ``strength`` per warp kind (strong, but a face is still a face).
WARP_DEFAULT = {"wide": 0.35, "long": 0.35, "bulge": 0.3, "twist": 25.0, "taper": 0.35}


@dataclass
class MeshPart:
    """One object of a synthetic case.

    Attributes:
        name: object name (``head_skin``, ``eyeball_left``, ``body``, ``Cube``...).
        vertices: ``(K, 3) float64`` positions (units of the case, see the module docstring).
        triangles: ``(L, 3) int64`` indices into this part's vertices.
        role_truth: what the part is, a :data:`facemotion.core.rig.parts.ROLE_NAMES` key (``"skin"``, ``"eye"``,
            ``"upper_teeth"``, ``"lower_teeth"``, ``"tongue"``, ``"ignore"`` for what must stay still, ``"auto"``
            where one part mixes roles, e.g. ICT's gums and tongue).
    """

    name: str
    vertices: np.ndarray
    triangles: np.ndarray
    role_truth: str


# ------------------------------------------------------------------------------------------------------ ICT head


@lru_cache(maxsize=1)
def _ict_neutral():
    """ICT's neutral OBJ: ``(vertices (26719, 3) float64 in cm, triangles (T, 3) int64)``, read once."""
    mesh = read_obj(assets.asset_path(ICT_NEUTRAL))
    vertices, triangles = mesh.vertices, mesh.triangles
    vertices.setflags(write=False)
    triangles.setflags(write=False)
    return vertices, triangles


@lru_cache(maxsize=8)
def _ict_identity_mode(k):
    """ICT identity mode ``k`` as a displacement ``(26719, 3) float64`` (cm): ``identity{k:03d}.obj`` - neutral."""
    moved = read_obj(assets.asset_path(f"ict-facekit/FaceXModel/identity{k:03d}.obj"), vertices_only=True).vertices
    return moved - _ict_neutral()[0]


def ict_head_vertices(identity=0):
    """ICT head vertex positions ``(26719, 3) float64`` in centimetres.

    ``identity``: ``0`` the generic neutral; an int ``k > 0`` a deterministic identity (coefficients of the first 5
    identity modes drawn from a normal distribution, ``numpy.random.default_rng(k)``, std 0.7); or a sequence of
    identity PCA coefficients (as :meth:`facemotion.core.rig.template.FaceTemplate.with_identity`).
    """
    vertices = _ict_neutral()[0].copy()
    if np.ndim(identity) == 0:
        if int(identity) == 0:
            return vertices
        coefficients = np.random.default_rng(int(identity)).normal(0.0, 0.7, 5)
    else:
        coefficients = np.asarray(identity, dtype=np.float64)
    for k, c in enumerate(coefficients):
        if c:
            vertices += c * _ict_identity_mode(k)
    return vertices


def _submesh(vertices, triangles, keep):
    """The triangles whose three corners are all in ``keep`` (``(N,) bool``), re-indexed: ``(vertices, triangles)``.
    Kept vertices stay in their original order."""
    new_index = np.full(len(vertices), -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    inside = keep[triangles].all(axis=1)
    return vertices[keep].copy(), new_index[triangles[inside]]


def ict_parts(identity=0, *, eye_extras=False, tongue=False):
    """The ICT head split into objects (:data:`ICT_HEAD_PARTS`), centimetres, ICT's frame.

    ``eye_extras``: also return ICT's thin lid-following shells on the eyeballs (lacrimal fluid, eye blend, eye
    occlusion) as one ``eye_shells`` part (role truth ``"skin"``: they move with the lids in ICT's expressions).
    ``tongue``: also return a separate closed ``tongue`` (role truth ``"tongue"``, :func:`_tongue`), as characters
    with a tongue object have (ICT's own tongue is joined to its gums).
    """
    vertices = ict_head_vertices(identity)
    triangles = _ict_neutral()[1]
    table = dict(ICT_HEAD_PARTS)
    if eye_extras:
        table["eye_shells"] = (
            (
                "lacrimal_fluid_left",
                "lacrimal_fluid_right",
                "eye_blend_left",
                "eye_blend_right",
                "eye_occlusion_left",
                "eye_occlusion_right",
            ),
            "skin",
        )
    parts = []
    for name, (geometries, role) in table.items():
        keep = np.zeros(len(vertices), dtype=bool)
        for geometry in geometries:
            keep[slice(*_ICT_RANGES[geometry])] = True
        v, t = _submesh(vertices, triangles, keep)
        parts.append(MeshPart(name, v, t, role))
    if tongue:
        lower = next(p for p in parts if p.name == "lower_teeth").vertices
        parts.append(MeshPart("tongue", *_tongue(lower), "tongue"))
    return parts


def helper_teeth(parts):
    """``parts`` with the upper and lower teeth each replaced by one closed tube along the row's dental arch, as
    MakeHuman's basemesh helpers (``helper-upper-teeth`` / ``helper-lower-teeth``) and many game heads model them:
    one connected piece per row instead of 16 loose teeth, as tall as the row, so the two rows overlap in height as
    ICT's incisors do (the upper ones close in front of the lower ones). The shape alone then says little: each row
    straddles the lips' line. Other parts are returned unchanged."""
    out = []
    for p in parts:
        if p.name not in ("upper_teeth", "lower_teeth"):
            out.append(p)
            continue
        from facemotion.core.geometry import connected_components

        labels = connected_components(len(p.vertices), p.triangles)
        centres = np.array([p.vertices[labels == k].mean(axis=0) for k in np.unique(labels)])
        centres = centres[np.argsort(centres[:, 0])]  # right molars -> incisors -> left molars
        height = float(np.ptp(p.vertices[:, 1]))
        radii = np.column_stack([np.full(len(centres), 0.5 * height), np.full(len(centres), 0.2 * height)])
        vertices, triangles = _tube(centres, radii, n=12, axis=(1.0, 0.0, 0.0))
        out.append(MeshPart(p.name, vertices, triangles, p.role_truth))
    return out


def _tongue(lower_teeth):
    """A closed tongue lying on the floor of the mouth inside the lower dental arch ``lower_teeth (K, 3)`` (ICT's
    frame: +Y up, +Z forward): a capped tube along -Z from just behind the incisors, as wide as half the arch and a
    quarter as high as it is wide, flattening toward the tip. ``(vertices, triangles)``."""
    lo, hi = lower_teeth.min(axis=0), lower_teeth.max(axis=0)
    width, depth = hi[0] - lo[0], hi[2] - lo[2]
    t = np.linspace(0.0, 1.0, 9)  # 0 at the tip, 1 at the root
    z = hi[2] - 0.2 * depth - t * 0.9 * depth
    half_width = 0.25 * width * np.sin(np.pi * (0.15 + 0.7 * t)) + 0.02 * width
    centres = np.stack([np.full_like(t, 0.5 * (lo[0] + hi[0])), np.full_like(t, hi[1] - 0.45 * (hi[1] - lo[1])), z], -1)
    return _tube(centres, np.stack([0.4 * half_width, half_width], -1), n=20, axis=(0.0, 0.0, 1.0))


def ict_landmarks_68(parts):
    """``(68, 3) float64`` positions of ICT's Multi-PIE 68 landmarks in a case built from ICT (its ``head_skin``)."""
    skin = next(p for p in parts if p.name == "head_skin")
    return skin.vertices[ICT_LANDMARKS_68]


def inter_ocular(landmarks_68):
    """Distance between the outer eye corners of ``(68, 3)`` Multi-PIE landmarks (the usual error normaliser)."""
    a, b = OUTER_EYE_CORNERS_68
    return float(np.linalg.norm(landmarks_68[a] - landmarks_68[b]))


def _boundary_loops(triangles):
    """Boundary loops of a triangle mesh as lists of vertex indices (edges used by exactly one triangle)."""
    edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
    key = np.sort(edges, axis=1)
    _, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    boundary = edges[counts[inverse.ravel()] == 1]
    following = {int(a): int(b) for a, b in boundary}
    loops, seen = [], set()
    for start in following:
        if start in seen:
            continue
        loop, v = [], start
        while v not in seen and v in following:
            seen.add(v)
            loop.append(v)
            v = following[v]
        loops.append(loop)
    return loops


# --------------------------------------------------------------------------------------------------- primitives


def _grid_surface(rings):
    """Triangles joining consecutive closed rings of ``n`` vertices each (``rings (R, n, 3)``) into a tube.
    Returns ``(vertices (R*n, 3), triangles (2*(R-1)*n, 3))``."""
    r, n = rings.shape[:2]
    i = np.arange(r - 1)[:, None] * n
    j = np.arange(n)[None, :]
    a, b = i + j, i + (j + 1) % n
    c, d = a + n, b + n
    tris = np.concatenate([np.stack([a, c, b], -1).reshape(-1, 3), np.stack([b, c, d], -1).reshape(-1, 3)])
    return rings.reshape(-1, 3), tris.astype(np.int64)


def _tube(centres, radii, n=24, axis=(0.0, 1.0, 0.0), caps=True):
    """A closed tube along the polyline ``centres (R, 3)`` with radii ``(R,)`` (``(R, 2)``: x and z radii) around a
    fixed ``axis`` direction for the ring plane. Capped with a centre vertex at both ends when ``caps``."""
    centres = np.asarray(centres, dtype=np.float64)
    radii = np.asarray(radii, dtype=np.float64).reshape(len(centres), -1)
    axis = np.asarray(axis, dtype=np.float64)
    axis /= np.linalg.norm(axis)
    u = np.cross(axis, [0.0, 0.0, 1.0] if abs(axis[2]) < 0.9 else [1.0, 0.0, 0.0])
    u /= np.linalg.norm(u)
    w = np.cross(axis, u)
    angle = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    rx, rz = radii[:, :1], radii[:, -1:]
    rings = centres[:, None, :] + (rx * np.cos(angle))[..., None] * u + (rz * np.sin(angle))[..., None] * w
    vertices, triangles = _grid_surface(rings)
    if caps:
        first, last = len(vertices), len(vertices) + 1
        vertices = np.concatenate([vertices, centres[[0, -1]]])
        ring0 = np.arange(n)
        ringl = (len(centres) - 1) * n + np.arange(n)
        cap0 = np.stack([np.full(n, first), (ring0 + 1) % n, ring0], -1)
        capl = np.stack([np.full(n, last), ringl, (len(centres) - 1) * n + (np.arange(n) + 1) % n], -1)
        triangles = np.concatenate([triangles, cap0, capl])
    return vertices, triangles.astype(np.int64)


def _merge(pieces):
    """Concatenate ``(vertices, triangles)`` pieces into one mesh."""
    vertices, triangles, offset = [], [], 0
    for v, t in pieces:
        vertices.append(v)
        triangles.append(t + offset)
        offset += len(v)
    return np.concatenate(vertices), np.concatenate(triangles).astype(np.int64)


def _cube(centre, size):
    """Blender's default cube: ``size`` edge, 8 vertices, 12 triangles, centred at ``centre``."""
    corners = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    tris = [(a, b, c) for a, b, c, d in quads] + [(a, c, d) for a, b, c, d in quads]
    return corners * (size / 2) + np.asarray(centre, dtype=np.float64), np.array(tris, dtype=np.int64)


def _body(neck_loop_points, neck_centre, head_width, rng):
    """A primitive human body (metres, +Y up, facing +Z) hanging from the head's neck boundary loop.

    The neck ring is exactly ``neck_loop_points (n, 3)`` (the head's boundary vertices, in loop order), so welding
    joins head and body; below it a neck tube widens to the torso. Arms and legs are separate capped tubes touching
    the torso (as an artist's primitives would). Proportions vary a little with ``rng``.
    """
    n = len(neck_loop_points)
    neck_y = float(neck_loop_points[:, 1].mean())
    c = np.asarray(neck_centre, dtype=np.float64)
    angle = np.arctan2(neck_loop_points[:, 2] - c[2], neck_loop_points[:, 0] - c[0])
    # Rings below the neck: from the head's loop to ellipses at the shoulders and down to the hips.
    shoulders_y = neck_y - 0.10
    torso_w = head_width * (1.55 + 0.1 * rng.random())
    torso_d = torso_w * 0.55
    stations = [
        (shoulders_y, torso_w * 0.5, torso_d * 0.5),
        (shoulders_y - 0.25, torso_w * 0.47, torso_d * 0.5),
        (shoulders_y - 0.55, torso_w * 0.43, torso_d * 0.48),
    ]
    rings = [neck_loop_points]
    for y, rx, rz in stations:
        rings.append(np.stack([c[0] + rx * np.cos(angle), np.full(n, y), c[2] + rz * np.sin(angle)], -1))
    torso_v, torso_t = _grid_surface(np.stack(rings))
    # Close the bottom with a centre vertex.
    hips = len(torso_v)
    last = (len(rings) - 1) * n + np.arange(n)
    torso_v = np.concatenate([torso_v, [[c[0], stations[-1][0], c[2]]]])
    torso_t = np.concatenate([torso_t, np.stack([np.full(n, hips), (last - last[0] + 1) % n + last[0], last], -1)])
    hip_y = stations[-1][0]
    pieces = [(torso_v, torso_t)]
    for side in (-1.0, 1.0):
        shoulder = np.array([c[0] + side * (torso_w * 0.5 + 0.04), shoulders_y - 0.03, c[2]])
        hand = shoulder + np.array([side * 0.12, -0.58, 0.02])
        arm = np.linspace(shoulder, hand, 6)
        pieces.append(_tube(arm, np.linspace(0.045, 0.03, 6), n=16, axis=hand - shoulder))
        hip = np.array([c[0] + side * torso_w * 0.22, hip_y + 0.02, c[2]])
        foot = hip + np.array([side * 0.03, -0.85, 0.0])
        leg = np.linspace(hip, foot, 7)
        pieces.append(_tube(leg, np.linspace(0.075, 0.045, 7), n=16, axis=foot - hip))
        toe = foot + np.array([0.0, -0.02, 0.08])
        pieces.append(
            _tube(
                np.linspace(foot + [0.0, -0.02, -0.03], toe, 3), np.full((3, 2), [0.045, 0.03]), n=12, axis=toe - foot
            )
        )
    return _merge(pieces), stations, torso_w, torso_d, shoulders_y


def _vertex_normals(vertices, triangles):
    """Area-weighted vertex normals ``(N, 3)`` (unit; zero for unused vertices)."""
    face = np.cross(
        vertices[triangles[:, 1]] - vertices[triangles[:, 0]], vertices[triangles[:, 2]] - vertices[triangles[:, 0]]
    )
    normals = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(normals, triangles[:, k], face)
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    return np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)


def _hair_cap(skin, offset):
    """A shell ``offset`` outside the back and top of the skull: the ``head_skin`` triangles above the brows and
    behind the forehead, pushed out along the vertex normals (so it never covers the face)."""
    v, t = skin.vertices, skin.triangles
    lm = v[ICT_LANDMARKS_68]
    brow_y = lm[17:27, 1].max()
    forehead_z = lm[17:27, 2].min()
    normals = _vertex_normals(v, t)
    keep = np.zeros(len(v), dtype=bool)
    # ICT's head_and_neck part only: the face part carries the forehead and brows.
    keep[slice(*ICT_PARTS["head_and_neck"])] = True
    keep &= (v[:, 1] > brow_y + 0.02 * np.ptp(v[:, 1])) | (v[:, 2] < forehead_z - 0.35 * np.ptp(v[:, 2]))
    keep &= v[:, 1] > lm[0, 1]  # nothing below the ears: the hair stops above the neck
    keep &= v[:, 2] < forehead_z + 0.1 * np.ptp(v[:, 2])
    shell, tris = _submesh(v + offset * normals, t, keep)
    used = np.unique(tris)
    remap = np.full(len(shell), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    return shell[used], remap[tris]


def _rotation(rotation_deg):
    """Rotation matrix of XYZ Euler angles in degrees (Blender's default ``XYZ`` order: X first)."""
    rx, ry, rz = np.radians(np.asarray(rotation_deg, dtype=np.float64))
    x = np.array([[1, 0, 0], [0, np.cos(rx), -np.sin(rx)], [0, np.sin(rx), np.cos(rx)]])
    y = np.array([[np.cos(ry), 0, np.sin(ry)], [0, 1, 0], [-np.sin(ry), 0, np.cos(ry)]])
    z = np.array([[np.cos(rz), -np.sin(rz), 0], [np.sin(rz), np.cos(rz), 0], [0, 0, 1]])
    return z @ y @ x


def transform_parts(parts, rotation_deg=(0.0, 0.0, 0.0), offset=(0.0, 0.0, 0.0), scale=1.0, centre=None):
    """Parts scaled by ``scale`` and rotated by XYZ Euler ``rotation_deg`` about ``centre`` (default the origin),
    then moved by ``offset``. Returns new :class:`MeshPart` objects."""
    rotation = _rotation(rotation_deg)
    centre = np.zeros(3) if centre is None else np.asarray(centre, dtype=np.float64)
    offset = np.asarray(offset, dtype=np.float64)
    return [
        MeshPart(
            p.name, ((p.vertices - centre) * scale) @ rotation.T + centre + offset, p.triangles.copy(), p.role_truth
        )
        for p in parts
    ]


def full_character(identity=0, seed=0, rotation_deg=(0, 25, 0), offset=(0.4, -0.2, 1.1), scale=1.0, tongue=False):
    """A whole character: ICT head on a primitive body, with clothes, hair and the default cube (metres).

    Built upright (+Y up, face toward +Z, feet near y = 0), then scaled by ``scale`` and rotated by XYZ Euler
    ``rotation_deg`` (degrees) about the origin (the feet), then moved by ``offset``. ``identity``: see
    :func:`ict_head_vertices`; ``seed``: the body's small proportion changes. Parts: the ICT head's
    (:data:`ICT_HEAD_PARTS`), ``body`` (torso, arms, legs; role ``ignore``; its neck ring repeats the head's neck
    boundary vertices exactly, so a weld joins them), ``shirt`` (open shell 1.5 cm around the torso, ``ignore``),
    ``tongue`` when asked (:func:`ict_parts`),
    ``hair`` (cap shell 0.8 cm over the skull's back and top, ``ignore``), ``Cube`` (2 m default cube 3 m to the
    character's side, ``ignore``).

    Returns:
        list of :class:`MeshPart`.
    """
    rng = np.random.default_rng(seed)
    head = ict_parts(identity, tongue=tongue)
    for p in head:
        p.vertices = p.vertices * ICT_UNIT_M
    skin = head[0]
    # The neck: the lowest boundary loop of the head skin (ICT's head_and_neck ends in an open ring).
    loops = _boundary_loops(skin.triangles)
    neck = min(loops, key=lambda loop: skin.vertices[loop, 1].mean())
    neck_points = skin.vertices[neck]
    head_width = float(np.ptp(skin.vertices[:, 0]))
    # Stand the character up: the neck ring ~1.45 m above the floor.
    lift = np.array([0.0, 1.45 - neck_points[:, 1].mean(), 0.0])
    for p in head:
        p.vertices = p.vertices + lift
    neck_points = neck_points + lift
    centre = neck_points.mean(axis=0)
    # The torso's rings run around the neck ring's centre in the loop's own order: orient the loop so that its
    # angle increases (the same winding as the body's rings).
    angle = np.unwrap(np.arctan2(neck_points[:, 2] - centre[2], neck_points[:, 0] - centre[0]))
    if angle[-1] < angle[0]:
        neck_points = neck_points[::-1]
    (body_v, body_t), stations, torso_w, torso_d, shoulders_y = _body(neck_points, centre, head_width, rng)
    angle = np.linspace(0.0, 2 * np.pi, 32, endpoint=False)
    shirt_rings = np.stack(
        [
            np.stack(
                [centre[0] + (rx + 0.015) * np.cos(angle), np.full(32, y), centre[2] + (rz + 0.015) * np.sin(angle)], -1
            )
            for y, rx, rz in stations[1:]
        ]
    )
    shirt_v, shirt_t = _grid_surface(shirt_rings)
    hair_v, hair_t = _hair_cap(skin, 0.008)
    cube_v, cube_t = _cube(centre * [1, 0, 1] + [3.0, 1.0, 0.0], 2.0)
    parts = head + [
        MeshPart("body", body_v, body_t, "ignore"),
        MeshPart("shirt", shirt_v, shirt_t, "ignore"),
        MeshPart("hair", hair_v, hair_t, "ignore"),
        MeshPart("Cube", cube_v, cube_t, "ignore"),
    ]
    return transform_parts(parts, rotation_deg, offset, scale)


#: Object names of the ICT head's parts (and :func:`ict_parts`' ``tongue``) as character tools name them (see
#: :mod:`facemotion.core.rig.part_names` for the sources). Parts given the same name become one object, as the
#: tool ships them (Character Creator's ``CC_Base_Eye`` holds both eyeballs; Ready Player Me's ``Wolf3D_Teeth``
#: and MetaHuman's ``teeth_lod0_mesh`` hold both rows and the tongue). ICT's joined gums and tongue have no
#: counterpart in most tools: they get a name without a cue. Parts not listed keep their names.
NAMING_SCHEMES = {
    "makehuman": {
        "head_skin": "Human",
        "eyeball_left": "helper-l-eye",
        "eyeball_right": "helper-r-eye",
        "upper_teeth": "helper-upper-teeth",
        "lower_teeth": "helper-lower-teeth",
        "tongue": "helper-tongue",
        "gums_and_tongue": "Human.mouth",
        "eyelashes": "Eyelashes01",
    },
    "character_creator": {
        "head_skin": "CC_Base_Body",
        "eyeball_left": "CC_Base_Eye",
        "eyeball_right": "CC_Base_Eye",
        "upper_teeth": "CC_Base_Teeth",
        "lower_teeth": "CC_Base_Teeth",
        "tongue": "CC_Base_Tongue",
        "gums_and_tongue": "CC_Base_Mouth",
        "eyelashes": "CC_Base_Eyelash",
    },
    "ready_player_me": {
        "head_skin": "Wolf3D_Head",
        "eyeball_left": "EyeLeft",
        "eyeball_right": "EyeRight",
        "upper_teeth": "Wolf3D_Teeth",
        "lower_teeth": "Wolf3D_Teeth",
        "tongue": "Wolf3D_Teeth",
        "gums_and_tongue": "Wolf3D_Mouth",
        "eyelashes": "Wolf3D_Eyelashes",
    },
    "metahuman": {
        "head_skin": "head_lod0_mesh",
        "eyeball_left": "eyeLeft_lod0_mesh",
        "eyeball_right": "eyeRight_lod0_mesh",
        "upper_teeth": "teeth_lod0_mesh",
        "lower_teeth": "teeth_lod0_mesh",
        "tongue": "teeth_lod0_mesh",
        "gums_and_tongue": "mouth_lod0_mesh",
        "eyelashes": "eyelashes_lod0_mesh",
    },
}


def named_parts(parts, scheme):
    """``parts`` renamed (and merged) as :data:`NAMING_SCHEMES` ``[scheme]`` names them: ``(parts, origin)`` with
    ``origin[new name] = [(old name, start, stop), ...]`` the vertex range each old part holds in the new one. A
    merged part's role truth is ``"auto"`` unless all its parts share one. Raises KeyError for an unknown scheme."""
    names = NAMING_SCHEMES[scheme]
    groups = {}
    for p in parts:
        groups.setdefault(names.get(p.name, p.name), []).append(p)
    out, origin = [], {}
    for name, members in groups.items():
        vertices, triangles, index = joined(members)
        roles = {p.role_truth for p in members}
        out.append(MeshPart(name, vertices, triangles, roles.pop() if len(roles) == 1 else "auto"))
        starts = np.searchsorted(index, np.arange(len(members)))
        origin[name] = [(p.name, int(a), int(a) + len(p.vertices)) for p, a in zip(members, starts)]
    return out, origin


def canonical_face():
    """MediaPipe's canonical face model as one ``skin`` part (468 vertices; the OBJ's units, centimetres; +Y up,
    looking along +Z)."""
    mesh = read_obj(assets.asset_path(CANONICAL_FACE))
    return [MeshPart("canonical_face", mesh.vertices, mesh.triangles, "skin")]


def warp_points(points, kind, strength, box_min, box_max):
    """Apply warp ``kind`` of ``strength`` to ``points (N, 3)`` given the head's bounding box (ICT frame: +Y up,
    +Z forward). ``wide``: x scaled by ``1 + strength`` growing toward the chin; ``long``: y stretched by
    ``1 + strength`` below the eyes; ``bulge``: pushed radially from the head's centre by up to ``strength`` of
    its half-size, most at the cheeks; ``twist``: turned about +Y by up to ``strength`` degrees from crown to chin;
    ``taper``: x and z narrowed toward the chin by ``strength``. Smooth, non-rigid, deterministic."""
    if kind not in WARP_KINDS:
        raise ValueError(f"unknown warp {kind!r}; known: {', '.join(WARP_KINDS)}")
    p = np.asarray(points, dtype=np.float64).copy()
    lo, hi = np.asarray(box_min, dtype=np.float64), np.asarray(box_max, dtype=np.float64)
    centre, half = (lo + hi) / 2, (hi - lo) / 2
    q = (p - centre) / half  # about -1..1 in the head's box
    down = np.clip((0.6 - q[:, 1]) / 1.6, 0.0, 1.0)  # 0 at the crown side, 1 at the chin/neck
    if kind == "wide":
        p[:, 0] = centre[0] + (p[:, 0] - centre[0]) * (1.0 + strength * (0.5 + 0.5 * down))
    elif kind == "long":
        below = np.minimum(q[:, 1] - 0.2, 0.0)  # only below the eyes
        p[:, 1] += strength * below * half[1]
    elif kind == "bulge":
        cheek = np.exp(-((q[:, 1] + 0.1) ** 2) / 0.3)
        radial = p - centre
        radial[:, 1] = 0.0
        length = np.linalg.norm(radial, axis=1, keepdims=True)
        p += (
            strength
            * half[0]
            * cheek[:, None]
            * np.divide(radial, length, out=np.zeros_like(radial), where=length > 0)
            * np.clip(length / half[0], 0, 1)
        )
    elif kind == "twist":
        theta = np.radians(strength) * (0.5 - q[:, 1] / 2)
        x, z = p[:, 0] - centre[0], p[:, 2] - centre[2]
        p[:, 0] = centre[0] + np.cos(theta) * x + np.sin(theta) * z
        p[:, 2] = centre[2] - np.sin(theta) * x + np.cos(theta) * z
    elif kind == "taper":
        f = 1.0 - strength * down
        p[:, 0] = centre[0] + (p[:, 0] - centre[0]) * f
        p[:, 2] = centre[2] + (p[:, 2] - centre[2]) * (0.5 + 0.5 * f)
    return p


def warped_ict(kind, strength=None, identity=0):
    """The ICT head's parts (:func:`ict_parts`, centimetres) under warp ``kind`` (:data:`WARP_KINDS`, see
    :func:`warp_points`); ``strength`` defaults to :data:`WARP_DEFAULT`. The box is the face skin's, so all parts
    (eyes, teeth...) move with the skin around them.

    Raises:
        ValueError: unknown ``kind``.
    """
    strength = WARP_DEFAULT.get(kind, 0.0) if strength is None else float(strength)
    parts = ict_parts(identity)
    face = parts[0].vertices[slice(*ICT_PARTS["face"])]
    lo, hi = face.min(axis=0), face.max(axis=0)
    return [
        MeshPart(p.name, warp_points(p.vertices, kind, strength, lo, hi), p.triangles.copy(), p.role_truth)
        for p in parts
    ]


def joined(parts):
    """One mesh of all ``parts`` for core: ``(vertices (N, 3) float64, triangles (M, 3) int64, part_index (N,)
    int64)`` where ``part_index[i]`` is the index in ``parts`` of vertex ``i``'s part (vertices in part order)."""
    vertices, triangles, part_index, offset = [], [], [], 0
    for k, p in enumerate(parts):
        vertices.append(np.asarray(p.vertices, dtype=np.float64))
        triangles.append(np.asarray(p.triangles, dtype=np.int64) + offset)
        part_index.append(np.full(len(p.vertices), k, dtype=np.int64))
        offset += len(p.vertices)
    return np.concatenate(vertices), np.concatenate(triangles), np.concatenate(part_index)


def roles_of(parts):
    """``(N,) int8`` per-vertex role truth of :func:`joined`'s mesh as :data:`facemotion.core.rig.parts.ROLE_NAMES`
    values (``auto`` -> -1)."""
    from facemotion.core.rig.parts import ROLE_NAMES

    return np.concatenate([np.full(len(p.vertices), ROLE_NAMES[p.role_truth], dtype=np.int8) for p in parts])


# ------------------------------------------------------------------------------------------------------- writing


def cases():
    """Every named case: ``{name: parts}`` (the ones ``--write`` writes)."""
    out = {
        "full_character": full_character(),
        "full_character_lying": full_character(identity=3, seed=1, rotation_deg=(-90, 0, 30), offset=(-0.5, 0.3, 0.2)),
        "full_character_tilted": full_character(
            identity=5, seed=2, rotation_deg=(20, -60, 35), offset=(1.5, 2.0, -0.7), scale=0.01
        ),
        "canonical_face": canonical_face(),
    }
    for kind in WARP_KINDS:
        out[f"warped_ict_{kind}"] = warped_ict(kind)
    return out


def write_obj(path, parts):
    """Write ``parts`` as one Wavefront OBJ, one ``o <name>`` object per part (1-based global indices), atomically."""
    lines = [
        "# facemotion synthetic case (tools/synthetic_heads.py); parts: "
        + ", ".join(f"{p.name}={p.role_truth}" for p in parts)
    ]
    offset = 1
    for p in parts:
        lines.append(f"o {p.name}")
        lines.extend(f"v {x:.6f} {y:.6f} {z:.6f}" for x, y, z in p.vertices)
        lines.extend(f"f {a + offset} {b + offset} {c + offset}" for a, b, c in p.triangles)
        offset += len(p.vertices)
    assets.atomic_write_text(Path(path), "\n".join(lines) + "\n")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", metavar="DIR", help="write every case as DIR/<case>.obj")
    args = parser.parse_args(argv)
    if not args.write:
        for name, parts in cases().items():
            print(f"{name}: " + ", ".join(f"{p.name}({len(p.vertices)} v, {p.role_truth})" for p in parts))
        return 0
    folder = Path(args.write)
    folder.mkdir(parents=True, exist_ok=True)
    for name, parts in cases().items():
        write_obj(folder / f"{name}.obj", parts)
        print(folder / f"{name}.obj")
    return 0


if __name__ == "__main__":
    sys.exit(main())
