# SPDX-License-Identifier: GPL-3.0-or-later
"""A take's head and eye angles as rotations in Blender's world axes, and back; its head position as offsets.

A :class:`.take.Take` gives yaw, pitch, roll in the camera's axes (x right, y up, z toward the camera; MediaPipe's
facial transformation matrix, :func:`.solve.head_rotation`, and Live Link Face's ``HeadYaw/Pitch/Roll``): the
intrinsic ``YXZ`` Euler angles of the head's rotation there. A face in Blender looks along -Y with Z up (the front
view), so the camera filming it sits on -Y: its x is Blender's +X, its y is +Z and its z is -Y
(:data:`CAMERA_TO_WORLD`). A yaw to the subject's left is then a positive turn about +Z, a pitch down a positive
turn about +X, a roll toward the right shoulder a negative turn about +Y.

What the Blender side does with these rotations (relative to a rest pose, on an object or a pose bone) is
:mod:`facemotion.facemotion_addon.takes`'s; this module is numpy and scipy only.
"""

import numpy as np
from scipy.spatial.transform import Rotation

from ..arkit import ARKIT_INDEX
from ..rig.transfer import EYE_LOOK_DEGREES

#: ``(3, 3)`` change of basis from the camera's axes (x right, y up, z toward the camera) to Blender's world axes
#: for a face looking along -Y: ``world = CAMERA_TO_WORLD @ camera``.
CAMERA_TO_WORLD = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
#: The take's Euler convention (scipy: upper case = intrinsic): yaw about y, then pitch about x, then roll about z.
EULER_ORDER = "YXZ"


def world_rotations(angles):
    """Rotation matrices in Blender's world axes of ``angles`` ``(..., 3)`` yaw, pitch, roll in radians (a take's
    ``head_rotation`` ``(N, 3)`` or ``eye_rotation`` ``(N, 2, 3)``). Returns ``(..., 3, 3) float64``."""
    angles = np.asarray(angles, dtype=np.float64)
    camera = Rotation.from_euler(EULER_ORDER, angles.reshape(-1, 3)).as_matrix()
    world = CAMERA_TO_WORLD @ camera @ CAMERA_TO_WORLD.T
    return world.reshape(angles.shape[:-1] + (3, 3))


def take_angles(rotations):
    """The inverse of :func:`world_rotations`: yaw, pitch, roll ``(..., 3) float64`` radians of rotation matrices
    ``(..., 3, 3)`` in Blender's world axes (any scale removed first)."""
    rotations = np.asarray(rotations, dtype=np.float64)
    flat = rotations.reshape(-1, 3, 3)
    u, _, vt = np.linalg.svd(flat)
    camera = CAMERA_TO_WORLD.T @ (u @ vt) @ CAMERA_TO_WORLD
    return Rotation.from_matrix(camera).as_euler(EULER_ORDER).reshape(rotations.shape[:-2] + (3,))


def world_offsets(translation, found=None):
    """The head's position ``(N, 3)`` metres in the camera's axes as offsets ``(N, 3) float64`` in Blender's world
    axes from its median over the frames with a face (``found`` ``(N,)`` bool; default all): the rig stays where it
    is on average and follows the head's moves (a webcam's depth is a guess, its median the least surprising
    rest). All zeros for a take without positions (Live Link Face)."""
    translation = np.asarray(translation, dtype=np.float64)
    found = np.ones(len(translation), bool) if found is None else np.asarray(found, bool)
    if not found.any():
        return np.zeros_like(translation)
    return (translation - np.median(translation[found], axis=0)) @ CAMERA_TO_WORLD.T


def gaze_angles(weights, degrees=EYE_LOOK_DEGREES):
    """Eye yaw, pitch, roll ``(N, 2, 3) float64`` radians (left eye, right eye; roll 0) that ARKit weights
    ``(N, 52)`` turn a facemotion rig's eyes by: each eyeLook* shape turns its eyeball by ``degrees`` (horizontal,
    vertical) at weight 1 (:data:`facemotion.core.rig.transfer.EYE_LOOK_DEGREES`); Out of the left eye and In of the
    right one look to the subject's left (positive yaw), Down looks down (positive pitch). What a rig whose eyes turn
    with the shape keys writes into a Live Link Face take's eye columns."""
    w = np.asarray(weights, dtype=np.float64)
    yaw, pitch = np.radians(degrees[0]), np.radians(degrees[1])

    def column(name):
        return w[:, ARKIT_INDEX[name]]

    out = np.zeros((len(w), 2, 3))
    out[:, 0, 0] = yaw * (column("eyeLookOutLeft") - column("eyeLookInLeft"))
    out[:, 1, 0] = yaw * (column("eyeLookInRight") - column("eyeLookOutRight"))
    out[:, 0, 1] = pitch * (column("eyeLookDownLeft") - column("eyeLookUpLeft"))
    out[:, 1, 1] = pitch * (column("eyeLookDownRight") - column("eyeLookUpRight"))
    return out
