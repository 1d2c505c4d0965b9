# SPDX-License-Identifier: GPL-3.0-or-later
"""A character's eyeballs as separate objects, turned by a take's eye angles about their own centres.

Which objects are eyeballs, and where each one's centre is, is read from the rig itself: facemotion's rig turns each
eyeball it classified (:func:`facemotion.core.rig.parts.classify_parts`) rigidly about that eyeball's centre in its
eyeLook* shape keys (:func:`facemotion.core.rig.transfer.eye_look_rotation`), and never deforms it. So an object
whose facemotion eyeLook* keys of one side move *all* its vertices as one rotation is a separate eyeball of that side,
and the fixed point shared by those rotations is its centre (:func:`eyeball_pivot`). This needs no landmarks and
holds for a rig saved in a .blend or re-imported from a GLB, where the classification itself is not stored.

:func:`turned_about` gives the object transforms that turn such an object about its centre (the Blender side keys
them: :mod:`facemotion.facemotion_addon.takes`). Numpy only.
"""

from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..geometry import similarity_transform
from ..rig.transfer import EYE_LOOK

#: The rigid fit of an eyeLook* key's motion must leave every vertex within this share of the key's largest
#: displacement for the object to count as an eyeball (a rigid turn fits to float32 rounding, ~1e-6; skin, whose
#: lids follow the gaze while the rest stays, leaves the lids off by the order of the motion itself).
RIGID_RESIDUAL = 0.01
#: A key moving no vertex by more than this share of the object's size does not move it.
STILL = 1e-7
#: Eye sides in a take's ``eye_rotation`` order.
SIDES = ("left", "right")


@dataclass(frozen=True)
class EyeballPivot:
    """A separate eyeball: ``side`` ``"left"`` / ``"right"`` (the subject's) and ``centre`` ``(3,) float64``, the
    point its eyeLook* keys turn it about (the object's local coordinates, as the keys')."""

    side: str
    centre: np.ndarray


def eyeball_pivot(rest, looks):
    """Whether an object is a separate eyeball, from its facemotion eyeLook* shape keys.

    Args:
        rest: ``(V, 3)`` float vertex coordinates of the reference (Basis) key.
        looks: ``{eyeLook* ARKit name: (V, 3) float coordinates of that key}`` (any subset of the eight).

    Returns:
        An :class:`EyeballPivot` when the keys of one side turn every vertex rigidly (at least one does), the centre
        the least-squares common fixed point of their rotations (``(I - R_k) c = t_k`` stacked; two keys about
        different axes fix it); None when no key moves the object or one deforms it (skin, lashes, lid shells).

    Raises:
        InputError: keys of both eyes turn the object (one object holding both eyeballs: it cannot turn as each eye).
    """
    rest = np.asarray(rest, dtype=np.float64)
    size = float(np.ptp(rest, axis=0).max()) if len(rest) else 0.0
    if len(rest) < 3 or size <= 0.0:
        return None
    turns = {}
    for name, coords in looks.items():
        moved = np.asarray(coords, dtype=np.float64)
        peak = float(np.linalg.norm(moved - rest, axis=1).max())
        if peak <= STILL * size:
            continue
        _, rotation, translation = similarity_transform(rest, moved, with_scale=False)
        residual = float(np.linalg.norm(rest @ rotation.T + translation - moved, axis=1).max())
        if residual > RIGID_RESIDUAL * peak:
            return None
        turns[name] = (rotation, translation)
    sides = sorted({EYE_LOOK[name][0] for name in turns})
    if not sides:
        return None
    if len(sides) > 1:
        raise InputError("both eyes' eyeLook* keys turn it (one object holding both eyeballs)")
    a = np.concatenate([np.eye(3) - rotation for rotation, _ in turns.values()])
    b = np.concatenate([translation for _, translation in turns.values()])
    centre = np.linalg.lstsq(a, b, rcond=None)[0]
    return EyeballPivot(sides[0], centre)


def turned_about(rotations, centre, location, rotation):
    """Transforms of an object turned by ``rotations`` about ``centre``, from its transform ``(location, rotation)``.

    Args:
        rotations: ``(N, 3, 3)`` turns (in the space the object's location and rotation are in: its parent's).
        centre: ``(3,)`` the point turned about, same space.
        location: ``(3,)`` or ``(N, 3)`` the object's location; rotation: ``(3, 3)`` or ``(N, 3, 3)`` its rotation.

    Returns:
        ``(rotations @ rotation (N, 3, 3) float64, centre + rotations @ (location - centre) (N, 3) float64)``: the
        object's every point ``x`` goes to ``centre + R (x - centre)``, so ``centre`` stays where it is.
    """
    rotations = np.asarray(rotations, dtype=np.float64)
    centre = np.asarray(centre, dtype=np.float64)
    offset = np.broadcast_to(np.asarray(location, dtype=np.float64) - centre, (len(rotations), 3))
    return rotations @ np.asarray(rotation, dtype=np.float64), centre + np.einsum("nij,nj->ni", rotations, offset)
