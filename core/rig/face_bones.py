# SPDX-License-Identifier: GPL-3.0-or-later
"""Jaw and eye bones of a skinned character, driven by the rig's jawOpen and eyeLook* (issue 19). Pure numpy.

A character whose armature has a jaw bone and eye bones can open its jaw and turn its eyes with those bones, as game
engines and retargeting tools expect, instead of rotating vertices in shape keys. Three steps:

* **finding the bones** (:func:`find_face_bones`): by name, in the naming schemes of the common character tools
  (:data:`BONE_NAMES`: MakeHuman / MPFB ``jaw``, ``eye.L``; Character Creator ``CC_Base_JawRoot``,
  ``CC_Base_L_Eye``; Daz Genesis ``lowerJaw``, ``lEye``; MetaHuman ``FACIAL_C_Jaw``, ``FACIAL_L_Eye``; Mixamo /
  Ready Player Me / VRM ``Jaw``, ``LeftEye``; VRoid ``J_Adj_L_FaceEye``), then confirmed by the geometry: an eye
  bone's head lies inside the eyeball of its side (:data:`EYE_REACH` radii from the sphere fit's centre), the jaw
  bone's head near the jaw's hinge as the landmarks place it (:func:`jaw_pivot`, within :data:`JAW_REACH`
  inter-ocular distances). A name without the geometry is not driven (a ``jaw`` bone of another character, an eye
  bone on the wrong side) and the reason is reported.
* **the rotations** the bones take at weight 1.0 (:func:`bone_rotations`): each eyeLook* turns its eye bone by the
  rig's gaze angles about the face frame's axes (:func:`facemotion.core.rig.transfer.eye_look_rotation`, the same
  turn the shape keys give the eyeballs), jawOpen turns the jaw bone by the rotation of the rig's own jawOpen of the
  lower teeth and tongue (their rigid motion, Umeyama 1991 via :func:`facemotion.core.geometry.similarity_transform`;
  the chin's skin where the head has no lower teeth).
* **the shape keys made to fit the bones** (:func:`fit_deltas_to_bones`): Blender applies shape keys first and the
  armature afterwards, so a vertex weighted ``w`` to a bone turned by ``R`` about its head ``p`` lands at
  ``x + d + w (R - I)(x + d - p)``. Solving that for ``d`` per vertex, ``(I + w (R - I)) d = d0 - w (R - I)(x - p)``
  with ``d0`` the rig's delta, gives shape keys that reach the rig's shape exactly at weight 1.0 with the bone
  turned: the eyeballs and lower teeth (weight 1) lose their rotation to the bone (the eyeLook* keys become the
  lids only, as with the ``lids`` gaze style), skin weighted partly to the jaw keeps only what the bone does not do.
"""

import re
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from ..arkit import ARKIT_INDEX
from ..errors import InputError
from ..geometry import similarity_transform
from .parts import ROLE_SKIN, ROLE_TEETH_LOWER, ROLE_TONGUE, face_frame
from .transfer import CHIN_RADIUS, EYE_LOOK, eye_look_rotation

__all__ = [
    "BONE_NAMES",
    "BoneDrive",
    "EYE_LEFT",
    "EYE_RIGHT",
    "FaceBones",
    "JAW",
    "bone_rotations",
    "find_face_bones",
    "fit_deltas_to_bones",
    "jaw_pivot",
    "named_face_bones",
]

JAW, EYE_LEFT, EYE_RIGHT = "jaw", "eye_left", "eye_right"

#: Bone names per role, as :func:`_plain` writes them (lower case, letters and digits only, without a ``mixamorig``
#: prefix). Left and right are the character's own (MediaPipe's and ARKit's convention).
BONE_NAMES = {
    JAW: (
        "jaw",  # MakeHuman / MPFB, Mixamo, Ready Player Me, VRM humanoid
        "ccbasejawroot",  # Character Creator / iClone
        "lowerjaw",  # Daz Genesis
        "facialcjaw",  # MetaHuman
        "jawroot",
    ),
    EYE_LEFT: (
        "eyel",  # MakeHuman / MPFB (eye.L)
        "lefteye",  # Mixamo, Ready Player Me, VRM humanoid
        "eyeleft",
        "ccbaseleye",  # Character Creator
        "leye",  # Daz Genesis
        "facialleye",  # MetaHuman
        "jadjlfaceeye",  # VRoid
    ),
    EYE_RIGHT: ("eyer", "righteye", "eyeright", "ccbasereye", "reye", "facialreye", "jadjrfaceeye"),
}

#: An eye bone's head must lie within this many eyeball radii of the eyeball's centre (its sphere fit).
EYE_REACH = 1.0
#: The jaw's hinge below and behind the face's sides (landmarks 234 / 454, by the ears): (down, back) in
#: inter-ocular distances (the temporomandibular joints of the ICT-FaceKit head, measured).
JAW_HINGE_OFFSET = (0.35, 0.4)
#: A jaw bone's head must lie within this many inter-ocular distances of :func:`jaw_pivot`.
JAW_REACH = 0.8
_FACE_SIDES = (234, 454)
_CHIN = 152

#: The ARKit shape each role's bone follows (eyeLook*: both axes of the eye's turn).
DRIVEN_SHAPES = {
    JAW: ("jawOpen",),
    EYE_LEFT: tuple(name for name, (side, _, _) in EYE_LOOK.items() if side == "left"),
    EYE_RIGHT: tuple(name for name, (side, _, _) in EYE_LOOK.items() if side == "right"),
}


def _plain(name):
    plain = re.sub(r"[^a-z0-9]", "", str(name).lower())
    return plain[len("mixamorig") :] if plain.startswith("mixamorig") else plain


def named_face_bones(names):
    """``{role: index into names}`` of the bones whose names are a jaw or an eye in :data:`BONE_NAMES` (the first
    match per role, in the order of :data:`BONE_NAMES`' names)."""
    plain = [_plain(n) for n in names]
    found = {}
    for role, known in BONE_NAMES.items():
        for candidate in known:
            if candidate in plain:
                found[role] = plain.index(candidate)
                break
    return found


def jaw_pivot(landmarks):
    """``((3,) float64, iod float)``: where the jaw's hinge lies for ``(478, 3)`` MediaPipe landmarks (between the
    temporomandibular joints: :data:`JAW_HINGE_OFFSET` from the face's sides), and the inter-ocular distance."""
    _, axes, iod = face_frame(landmarks)
    lm = np.asarray(landmarks, dtype=np.float64)
    down, back = JAW_HINGE_OFFSET
    sides = lm[list(_FACE_SIDES)].mean(axis=0)
    return sides - iod * (down * axes[1] + back * axes[2]), iod


@dataclass
class FaceBones:
    """Result of :func:`find_face_bones`: ``bones`` ``{role: bone index}`` (named and where the geometry says),
    ``rejected`` ``{role: reason}`` (one sentence, for the report) for the named ones that were not taken."""

    bones: dict = field(default_factory=dict)
    rejected: dict = field(default_factory=dict)


def find_face_bones(names, heads, landmarks, parts):
    """The jaw and eye bones of an armature (module docstring).

    Args:
        names: bone names (``B`` strings).
        heads: ``(B, 3)`` the bones' heads at rest, in the mesh's (world) space and units.
        landmarks: ``(478, 3)`` landmarks on the mesh; ``parts``: its :class:`facemotion.core.rig.parts.FaceParts`
            (the eyeballs' centres and radii).

    Returns:
        :class:`FaceBones`.

    Raises:
        InputError: ``heads`` not ``(B, 3)`` for ``B`` names.
    """
    heads = np.asarray(heads, dtype=np.float64)
    if heads.shape != (len(names), 3):
        raise InputError(f"bone heads must be ({len(names)}, 3), got {heads.shape}")
    result = FaceBones()
    pivot, iod = jaw_pivot(landmarks)
    for role, index in named_face_bones(names).items():
        name, head = names[index], heads[index]
        if role == JAW:
            distance = np.linalg.norm(head - pivot) / iod
            if distance > JAW_REACH:
                result.rejected[role] = (
                    f"bone '{name}' is {distance:.2f} eye distances from the jaw's hinge (at most {JAW_REACH:g})"
                )
                continue
        else:
            side = role.split("_")[1]
            centre = parts.eye_centres.get(side)
            if centre is None:
                result.rejected[role] = f"bone '{name}': no {side} eyeball was found for it to turn"
                continue
            reach = np.linalg.norm(head - centre) / parts.eye_radii[side]
            if reach > EYE_REACH:
                result.rejected[role] = (
                    f"bone '{name}' lies {reach:.1f} eyeball radii from the {side} eyeball's centre (at most "
                    f"{EYE_REACH:g})"
                )
                continue
        result.bones[role] = index
    return result


@dataclass(frozen=True)
class BoneDrive:
    """How one bone follows the shape keys: ``role`` (:data:`JAW`, :data:`EYE_LEFT`, :data:`EYE_RIGHT`), ``bone``
    (its index), and ``rotations`` ``{ARKit name: (3,) float64 rotation vector, radians, world space}``: the bone's
    turn at that shape's weight 1.0 (a rotation vector scaled by the weight between 0 and 1, summed over the shapes,
    is the bone's turn)."""

    role: str
    bone: int
    rotations: dict


def _jaw_open_rotation(vertices, deltas, parts, landmarks):
    """``(3,) float64`` rotation vector of the rig's jawOpen: the rigid fit of the lower teeth and tongue from rest
    to jawOpen, or of the chin's skin (within :data:`CHIN_RADIUS` eye distances of landmark 152) without them."""
    roles = np.asarray(parts.roles)
    lower = np.flatnonzero((roles == ROLE_TEETH_LOWER) | (roles == ROLE_TONGUE))
    if len(lower) < 3:
        _, _, iod = face_frame(landmarks)
        near = np.linalg.norm(vertices - np.asarray(landmarks)[_CHIN], axis=1) < CHIN_RADIUS * iod
        lower = np.flatnonzero(near & (roles == ROLE_SKIN))
    if len(lower) < 3:
        return np.zeros(3)
    src = vertices[lower]
    _, rotation, _ = similarity_transform(src, src + deltas[ARKIT_INDEX["jawOpen"], lower], with_scale=False)
    return Rotation.from_matrix(rotation).as_rotvec()


def bone_rotations(face_bones, vertices, deltas, parts, landmarks, frame_rotation, gaze):
    """The :class:`BoneDrive` of each found bone (module docstring), in role order.

    Args:
        face_bones: :class:`FaceBones`; vertices: ``(N, 3)`` rest positions; deltas: ``(52, N, 3)`` the rig's
            shapes; parts, landmarks: as :func:`find_face_bones`.
        frame_rotation: ``(3, 3)`` the fit's rotation (the face frame: columns left, up, forward).
        gaze: ``(horizontal, vertical)`` degrees the eyes turn at eyeLook* 1.0; ``(0, 0)`` drives no eye bone.
    """
    drives = []
    for role, index in face_bones.bones.items():
        if role == JAW:
            rotations = {"jawOpen": _jaw_open_rotation(np.asarray(vertices, float), deltas, parts, landmarks)}
        elif not any(gaze):
            continue
        else:
            rotations = {
                name: Rotation.from_matrix(eye_look_rotation(frame_rotation, name, gaze)).as_rotvec()
                for name in DRIVEN_SHAPES[role]
            }
        drives.append(BoneDrive(role, index, rotations))
    return drives


def fit_deltas_to_bones(deltas, vertices, drives, heads, weights):
    """Make the driven shapes' deltas fit their bones' turn (module docstring); returns a new ``(52, N, 3) float32``.

    Args:
        deltas: ``(52, N, 3)`` the rig's shapes; vertices: ``(N, 3)`` rest positions.
        drives: :class:`BoneDrive` list; heads: ``(B, 3)`` the bones' heads (the pivots), world space.
        weights: ``{bone index: (N,) float}`` each driven bone's share of each vertex (its weight over the sum of the
            vertex's weights to the armature's deforming bones; 0 where the bone does not move it).
    """
    out = np.array(deltas, dtype=np.float64)
    x = np.asarray(vertices, dtype=np.float64)
    eye = np.eye(3)
    for drive in drives:
        w = np.asarray(weights[drive.bone], dtype=np.float64)
        moved = np.flatnonzero(w > 0)
        if not len(moved):
            continue
        pivot = np.asarray(heads[drive.bone], dtype=np.float64)
        for name, rotvec in drive.rotations.items():
            k = ARKIT_INDEX[name]
            turn = Rotation.from_rotvec(rotvec).as_matrix() - eye
            wm = w[moved, None, None]
            system = eye + wm * turn  # (K, 3, 3)
            rhs = out[k, moved] - wm[:, :, 0] * ((x[moved] - pivot) @ turn.T)
            out[k, moved] = np.linalg.solve(system, rhs[..., None])[..., 0]
    return out.astype(np.float32)
