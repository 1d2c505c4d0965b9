# SPDX-License-Identifier: GPL-3.0-or-later
"""Captured takes and the rig: a :class:`facemotion.core.capture.take.Take` keyed onto any facemotion rig's 52 shape
keys, and any facemotion animation (a bake, a capture) read back as a take, e.g. to write a Live Link Face CSV.

A capture is its own action, ``facemotion_capture_<object>`` (:data:`CAPTURE_ACTION`), written in bulk by the one
keyframe writer (:func:`.pipeline.write_bake`); a facemotion bake animating the shape keys is kept (fake user, so it
survives saving; push it to the NLA or reassign it to combine them), never overwritten.
"""

import bpy
import numpy as np

from ..core.arkit import ARKIT_NAMES
from ..core.capture.take import Take
from ..core.errors import FacemotionError, InputError
from . import compat
from .bridge import fcurve_values
from .keyframes import is_facemotion_action, shape_key_data_path
from .pipeline import write_bake

#: Name of a capture's action (``{object}``: the mesh object's name).
CAPTURE_ACTION = "facemotion_capture_{object}"


def _shape_key_action(obj):
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    anim = key.animation_data if key is not None else None
    return key, anim, anim.action if anim is not None else None


def write_take(objects, take, *, replace=False, scene=None, frame_start=1, set_frame_range=True):
    """Key ``take``'s weights onto the objects' ARKit shape keys as :data:`CAPTURE_ACTION`, row 0 at
    ``frame_start``, and set the scene's frame rate to the take's (resample the take first to keep the scene's:
    :func:`facemotion.core.capture.capture.solve_take`'s ``fps``).

    A facemotion action already animating the shape keys (a bake) is unassigned and kept with a fake user. A user's
    action makes it raise FacemotionError before anything changes, unless ``replace`` (it is then kept too).
    Returns :func:`.pipeline.write_bake`'s results. Raises InputError for objects without shape keys.
    """
    objects = list(objects)
    for obj in objects:
        key, anim, action = _shape_key_action(obj)
        if key is None:
            raise InputError(f"'{getattr(obj, 'name', obj)}' has no shape keys; rig it first")
        if action is not None and not is_facemotion_action(action) and not replace:
            raise FacemotionError(
                f"the shape keys of '{obj.name}' are already animated by action '{action.name}', "
                "which facemotion did not create; enable replace (--replace-action on the command line) to capture "
                "anyway (yours is kept)"
            )
    for obj in objects:
        _, anim, action = _shape_key_action(obj)
        if (
            action is not None
            and is_facemotion_action(action)
            and action.name != CAPTURE_ACTION.format(object=obj.name)
        ):
            action.use_fake_user = True
            anim.action = None
    return write_bake(
        objects,
        take.weights,
        take.fps,
        replace=replace,
        scene=scene,
        frame_start=frame_start,
        set_frame_range=set_frame_range,
        action_name=CAPTURE_ACTION,
    )


def take_from_shape_keys(obj, *, scene=None, frame_start=None, frame_end=None):
    """The ARKit animation of ``obj``'s shape keys as a :class:`~facemotion.core.capture.take.Take`: one row per
    scene frame from ``frame_start`` to ``frame_end`` (default: the scene's range), at the scene's frame rate.

    Shape keys without an F-Curve read as their current value; missing ARKit keys as 0. Head and eye rotation are 0
    (facemotion's bakes animate shape keys only). Raises InputError when the shape keys have no action.
    """
    scene = scene or bpy.context.scene
    key, _, action = _shape_key_action(obj)
    if action is None:
        raise InputError(f"'{getattr(obj, 'name', obj)}' has no shape-key animation; bake or capture first")
    start = scene.frame_start if frame_start is None else int(frame_start)
    end = scene.frame_end if frame_end is None else int(frame_end)
    if end < start:
        raise InputError(f"frame range {start}..{end} is empty")
    by_path = {fcurve.data_path: fcurve for fcurve in compat.action_fcurves(action, key)}
    blocks = key.key_blocks
    curves = [by_path.get(shape_key_data_path(name)) for name in ARKIT_NAMES]
    weights = fcurve_values(curves, np.arange(start, end + 1))
    for column, (name, fcurve) in enumerate(zip(ARKIT_NAMES, curves)):
        if fcurve is None and name in blocks:
            weights[:, column] = blocks[name].value
    fps = scene.render.fps / scene.render.fps_base
    return Take(fps=fps, weights=weights, start_seconds=start / fps)
