# SPDX-License-Identifier: GPL-3.0-or-later
"""The one keyframe writer: bakes per-frame ARKit weights onto a mesh's shape keys as an Action.

Curves are written in bulk (:func:`.bridge.write_keyframes`: ``keyframe_points.add(n)`` then ``foreach_set`` of ``co``
and ``interpolation``, then ``FCurve.update()``), which is ~50x faster than ``keyframe_insert`` in a loop
(../shared/PLATFORM.md; measured
again in tests/test_blender_io.py's report). ``bake_with_keyframe_insert`` is the slow reference kept for that
comparison and for checking that both give the same animation.

Sparse bakes write Bezier keys with explicit handles (:func:`facemotion.core.animation.keys.bezier_keys` /
:func:`~facemotion.core.animation.keys.timeline_bezier_keys`: keys at the emotion keys and blinks, FREE or ALIGNED
handles that reproduce the easing), also in bulk (:func:`.bridge.write_bezier_keyframes`).

Actions facemotion creates carry the custom property ``action["facemotion"] = True``. An action facemotion did not
create is never modified; it is only replaced (and kept, with a fake user) when the caller asks for it.
"""

from typing import NamedTuple

import bpy
import numpy as np

from ..core.animation.keys import DEFAULT_TOLERANCE, bezier_keys
from ..core.errors import FacemotionError, InputError
from . import compat
from .bridge import write_bezier_keyframes, write_keyframes
from .settings.strength_properties import object_strength

#: Custom property set to True on every Action facemotion creates.
ACTION_TAG = "facemotion"
#: F-Curve group the baked curves are put in (shown in the Graph Editor / Dope Sheet).
CURVE_GROUP = "Facemotion"


class BakeResult(NamedTuple):
    """What a bake wrote: the Action now animating the mesh's shape keys, the names that had no shape key, and the
    number of keyframes written (all curves together)."""

    action: "bpy.types.Action"
    skipped: tuple
    keys: int = 0


def is_facemotion_action(action):
    """True when ``action`` was created by facemotion (carries the ``ACTION_TAG`` custom property)."""
    return action is not None and bool(action.get(ACTION_TAG, False))


def shape_key_data_path(name):
    """RNA path of a shape key's value on its ``Key`` data-block: ``key_blocks["jawOpen"].value``."""
    # Shape key names may contain quotes or backslashes; RNA paths need them escaped.
    return 'key_blocks["{}"].value'.format(bpy.utils.escape_identifier(name))


def _check_inputs(obj, weights, names):
    """Validate and return ``(key, weights float64 (n, len(names)), [(column, key_block), ...], skipped names)``."""
    if obj is None or obj.type != "MESH":
        raise InputError("facemotion bakes shape keys of mesh objects only; select a mesh")
    key = obj.data.shape_keys
    if key is None:
        raise InputError(f"mesh '{obj.name}' has no shape keys; create the ARKit shape keys before baking")
    names = [str(n) for n in names]
    if len(set(names)) != len(names):
        raise InputError("shape key names given to the bake repeat; pass each name once")
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 2 or weights.shape[1] != len(names) or weights.shape[0] < 1:
        raise InputError(
            f"weights must be an (n_frames, {len(names)}) array, one column per name; got shape {weights.shape}"
        )
    if not np.isfinite(weights).all():
        raise InputError("weights contain NaN or infinite values; fix the timeline before baking")
    reference = key.reference_key.name
    present, skipped = [], []
    for column, name in enumerate(names):
        block = key.key_blocks.get(name)
        # The reference (Basis) key's value does nothing; never animate it.
        if block is None or name == reference:
            skipped.append(name)
        else:
            present.append((column, block))
    if not present:
        raise InputError(
            f"mesh '{obj.name}' has none of the {len(names)} shape keys to animate; create the ARKit shape keys first"
        )
    return key, weights, present, tuple(skipped)


def _users_action_error(obj, action):
    """The FacemotionError for a bake onto shape keys that a user's ``action`` animates (the option that allows it
    is named for the panel and for the command line)."""
    return FacemotionError(
        f"the shape keys of '{obj.name}' are already animated by action '{action.name}', which facemotion did not "
        "create; enable replace (--replace-action on the command line) to assign a new facemotion action (yours is "
        "kept)"
    )


def _claim_action(obj, key, action_name, replace):
    """Return an empty facemotion Action assigned to ``key``, refusing to touch a user's action unless ``replace``."""
    anim = key.animation_data
    existing = anim.action if anim is not None else None
    if existing is not None and not is_facemotion_action(existing):
        if not replace:
            raise _users_action_error(obj, existing)
        # Keep the user's action alive in the file after we unassign it.
        existing.use_fake_user = True
        anim.action = None
        existing = None
    if existing is not None:
        action = existing
        compat.action_clear_fcurves(action, key)
        if action_name and action.name != action_name:
            action.name = action_name
    else:
        action = bpy.data.actions.new(action_name or f"facemotion_{obj.name}")
        action[ACTION_TAG] = True
    compat.assign_action(key, action)
    return action


def interpolation_value(interpolation):
    """The int enum value of ``Keyframe.interpolation`` ``interpolation`` (e.g. ``"LINEAR"``), for the bulk writers.
    Raises InputError for an unknown name."""
    items = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items
    if interpolation not in items:
        raise InputError(f"unknown keyframe interpolation '{interpolation}'; use one of {', '.join(items.keys())}")
    return items[interpolation].value


def _handle_type_values():
    items = bpy.types.Keyframe.bl_rna.properties["handle_left_type"].enum_items
    return items["FREE"].value, items["ALIGNED"].value


def bake_shape_key_weights(
    obj,
    weights,
    names,
    frame_start=1,
    *,
    action_name=None,
    replace=False,
    interpolation="LINEAR",
    sparse=False,
    tolerance=DEFAULT_TOLERANCE,
    curves=None,
):
    """Key ``obj``'s shape key values with one keyframe per row of ``weights``, written in bulk.

    Args:
        obj: a mesh ``bpy.types.Object`` whose mesh has shape keys (``obj.data.shape_keys``).
        weights: ``(n_frames, len(names))`` float array; row ``i`` is keyed at frame ``frame_start + i``. The
            character's strength (:func:`.settings.strength_properties.object_strength`) is applied (clamped to
            0..1), then values are clipped to each shape key's slider range (what Blender would apply anyway).
        names: shape key names, one per column (normally ``core.arkit.ARKIT_NAMES``). Names with no key block
            on the mesh (and the Basis key) are skipped and reported.
        frame_start: scene frame of the first row (integer frames).
        action_name: name for a new action (default ``facemotion_<object name>``); renames our existing one.
        replace: when the shape keys are animated by an action facemotion did not create, assign a new facemotion
            action instead of raising; the user's action is kept (fake user), never modified.
        interpolation: keyframe interpolation of dense keys (``'LINEAR'`` default: the samples are already per
            frame).
        sparse: write Bezier keys (interpolation ``'BEZIER'``, FREE/ALIGNED handles) that stay within
            ``tolerance`` of every row as Blender evaluates them: ``curves`` when given, else
            :func:`facemotion.core.animation.keys.bezier_keys` of each column; default False keys every row.
        tolerance: max deviation of the sparse curve from the rows, in shape-key value units.
        curves: optional list (one per name) of :class:`facemotion.core.animation.keys.BezierKeys` in frames
            0 .. n_frames - 1, e.g. from :func:`~facemotion.core.animation.keys.timeline_bezier_keys`, which puts
            the keys at the timeline's emotion keys and blinks; a column the strength or the slider range changes is
            refitted.

    Returns:
        ``BakeResult(action, skipped, keys)``: the facemotion Action now assigned to the shape-key data-block, the
        tuple of names that were skipped, and the number of keyframes written.

    Raises:
        InputError: not a mesh, no shape keys, none of the names present, bad weights shape / non-finite values,
            ``curves`` not one per name, sparse keys with an interpolation other than LINEAR/BEZIER.
        FacemotionError: the shape keys already have a user's action and ``replace`` is False.

    Several meshes share the timeline by baking each with the same ``frame_start`` (see ``bake_objects``); each
    shape-key data-block gets its own action.
    """
    key, weights, present, skipped = _check_inputs(obj, weights, names)
    dense_value = interpolation_value(interpolation)
    if sparse and interpolation not in ("LINEAR", "BEZIER"):
        raise InputError("sparse keys are Bezier keys; bake dense keys for other interpolation modes")
    if curves is not None and len(curves) != len(names):
        raise InputError(f"curves must give one set of Bezier keys per name ({len(names)}), got {len(curves)}")
    action = _claim_action(obj, key, action_name, replace)
    shown = object_strength(obj).apply(weights, names)  # the character's strength, clamped to 0..1
    frames = int(frame_start) + np.arange(weights.shape[0])
    bezier_value = interpolation_value("BEZIER")
    free, aligned = _handle_type_values()
    count = 0
    for column, block in present:
        fcurve = compat.fcurve_ensure(action, key, shape_key_data_path(block.name), group_name=CURVE_GROUP)
        values = np.clip(shown[:, column], block.slider_min, block.slider_max)
        if sparse:
            curve = curves[column] if curves is not None else None
            if curve is None or not np.array_equal(values, weights[:, column]):
                curve = bezier_keys(values, tolerance)
            curve = curve.shifted(int(frame_start))
            write_bezier_keyframes(
                fcurve,
                curve.frames,
                curve.values,
                curve.handle_left,
                curve.handle_right,
                np.where(curve.aligned, aligned, free),
                bezier_value,
            )
            count += len(curve)
        else:
            write_keyframes(fcurve, frames, values, dense_value)
            count += len(frames)
    return BakeResult(action, skipped, count)


def bake_with_keyframe_insert(
    obj, weights, names, frame_start=1, *, action_name=None, replace=False, interpolation="LINEAR"
):
    """Slow reference for ``bake_shape_key_weights``: same arguments, same result, one ``keyframe_insert`` per key.

    Kept only as the baseline of the bulk writer's benchmark and for the test that both agree.
    """
    key, weights, present, skipped = _check_inputs(obj, weights, names)
    interpolation_value(interpolation)
    action = _claim_action(obj, key, action_name, replace)
    weights = object_strength(obj).apply(weights, names)
    for row in range(weights.shape[0]):
        frame = int(frame_start) + row
        for column, block in present:
            block.value = float(weights[row, column])  # Blender clips to the slider range, as the bulk path does
            block.keyframe_insert("value", frame=frame, group=CURVE_GROUP)
    for fcurve in compat.action_fcurves(action, key):
        for point in fcurve.keyframe_points:
            point.interpolation = interpolation
        fcurve.update()
    return BakeResult(action, skipped)


def bake_objects(
    objects,
    weights,
    names,
    frame_start=1,
    *,
    replace=False,
    interpolation="LINEAR",
    sparse=False,
    tolerance=DEFAULT_TOLERANCE,
    curves=None,
    action_name=None,
):
    """Bake weights onto several meshes from one start frame; returns one ``BakeResult`` per mesh baked.

    ``weights``: one ``(n_frames, len(names))`` array for every mesh, or a list with one array per mesh (each
    face's own timeline). ``curves``: None, or a list with one entry per mesh of ``bake_shape_key_weights``'s
    ``curves`` (or None). Meshes sharing one shape-key data-block (linked duplicates) are baked once, with the
    first one's weights. Every mesh is checked before any is written, so a refusal (a user's action, missing keys)
    leaves all of them untouched. ``action_name``: None (``facemotion_<object name>``) or a name with an
    ``{object}`` field, e.g. ``"facemotion_capture_{object}"`` (a capture is its own action beside the bakes).

    Raises: as ``bake_shape_key_weights``; InputError when the lists do not have one entry per mesh.
    """
    objects = list(objects)
    per_object = isinstance(weights, (list, tuple))
    if per_object and len(weights) != len(objects):
        raise InputError(f"{len(weights)} weight arrays for {len(objects)} meshes; pass one per mesh")
    if curves is not None and len(curves) != len(objects):
        raise InputError(f"{len(curves)} curve sets for {len(objects)} meshes; pass one per mesh")
    weights_of = list(weights) if per_object else [weights] * len(objects)
    curves_of = list(curves) if curves is not None else [None] * len(objects)
    unique, seen = [], set()
    for obj, obj_weights, obj_curves in zip(objects, weights_of, curves_of):
        _check_inputs(obj, obj_weights, names)
        key = obj.data.shape_keys
        if key.as_pointer() in seen:
            continue
        seen.add(key.as_pointer())
        unique.append((obj, obj_weights, obj_curves))
        anim = key.animation_data
        if not replace and anim is not None and anim.action is not None and not is_facemotion_action(anim.action):
            raise _users_action_error(obj, anim.action)
    return [
        bake_shape_key_weights(
            obj,
            obj_weights,
            names,
            frame_start,
            replace=replace,
            interpolation=interpolation,
            sparse=sparse,
            tolerance=tolerance,
            curves=obj_curves,
            action_name=None if action_name is None else action_name.format(object=obj.name),
        )
        for obj, obj_weights, obj_curves in unique
    ]


#: Name of the NLA track :func:`push_to_nla` puts facemotion's strips on.
NLA_TRACK = "facemotion"


def push_to_nla(obj, frame_start):
    """Push the facemotion action animating ``obj``'s shape keys down to a strip, like the Dope Sheet's Push Down.

    The strip is named after the action and starts at ``frame_start`` on the NLA track :data:`NLA_TRACK` of the
    shape-key data-block (created when missing, on top; when an earlier strip there overlaps, on the next
    ``facemotion.NNN`` track with room, or a new one). The action is then unassigned, so the next bake creates a
    new action and never overwrites the pushed one. Returns the new ``NlaStrip``.

    Raises: InputError when the shape keys have no facemotion action.
    """
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    anim = key.animation_data if key is not None else None
    action = anim.action if anim is not None else None
    if not is_facemotion_action(action):
        raise InputError(f"'{getattr(obj, 'name', obj)}' has no facemotion action to push to the NLA; bake first")
    for track in anim.nla_tracks:
        if track.name == NLA_TRACK or track.name.startswith(NLA_TRACK + "."):
            try:
                strip = compat.nla_strip_new(track, key, action, int(frame_start))
                break
            except RuntimeError:  # no room on this track at these frames (an earlier push overlaps): next track
                continue
    else:
        track = anim.nla_tracks.new()
        track.name = NLA_TRACK  # Blender makes it unique ("facemotion.001") when a full track has the name
        strip = compat.nla_strip_new(track, key, action, int(frame_start))
    anim.action = None
    return strip
