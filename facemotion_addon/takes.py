# SPDX-License-Identifier: GPL-3.0-or-later
"""Captured takes and the rig: a :class:`facemotion.core.capture.take.Take` keyed onto any facemotion rig's 52 shape
keys, its head (and eyes) and its emotion, and any facemotion animation (a bake, a capture) read back as a take, e.g.
to write a Live Link Face CSV.

A capture is its own action, ``facemotion_capture_<object>`` (:data:`CAPTURE_ACTION`), written in bulk by the one
keyframe writer (:func:`.pipeline.write_bake`); a facemotion bake animating the shape keys is kept (fake user, so it
survives saving; push it to the NLA or reassign it to combine them), never overwritten.

What moves the object (or armature) goes in a second action on it, ``facemotion_capture_<object>_motion``
(:data:`MOTION_ACTION`; Blender animates shape keys and objects through separate data-blocks):

- the head's rotation (:mod:`facemotion.core.capture.head_pose`: the take's yaw, pitch, roll as turns about the
  world's axes, the face looking along -Y) and its position's offsets, keyed on the rig object relative to its rest
  (the transform it had when first captured, kept on the action; turns about its parent's axes, so a parent should
  be upright) or on a chosen pose bone relative to the bone's rest (about its origin, i.e. the bone's head);
- the eyes' rotation on two chosen pose bones (a rig whose eyes are separate bones; facemotion's own rigs turn the
  eyes with the eyeLook* shape keys, keyed with the weights), or, with ``eye_objects``, on the eyeballs that are
  separate objects, each turned about its own centre (found from the rig's eyeLook* keys:
  :mod:`facemotion.core.capture.eye_objects`; composed with the head's turn when the eyeball is a top object).
  Those eyeballs' own eyeLook* curves are then keyed at 0 (the skin's keep the take's, so the lids still follow the
  gaze): the keys and the object rotation would otherwise turn them twice;
- the emotion track (:meth:`~facemotion.core.capture.take.Take.emotion_keys`) as keys of the integer custom
  property :data:`EMOTION_PROPERTY` on each mesh (its index in
  :data:`facemotion.core.emotion.classifier.CATEGORIES`, constant between keys), with a timeline marker
  ``emotion: <label>`` (:data:`EMOTION_MARKER`) where it changes; uncertain frames are never keyed.

Everything is checked before anything is written (a user's action on the object or armature refuses the capture
unless ``replace``, and is then kept with a fake user).
"""

import bpy
import numpy as np
from mathutils import Euler, Matrix, Quaternion, Vector

from ..core.arkit import ARKIT_NAMES
from ..core.capture.eye_objects import SIDES, eyeball_pivot, turned_about
from ..core.capture.head_pose import gaze_angles, take_angles, world_offsets, world_rotations
from ..core.capture.take import Take
from ..core.emotion.classifier import CATEGORIES
from ..core.errors import FacemotionError, InputError
from ..core.rig.transfer import EYE_LOOK
from . import compat
from .bridge import fcurve_values, key_block_coords, write_keyframes
from .keyframes import ACTION_TAG, CURVE_GROUP, interpolation_value, is_facemotion_action, shape_key_data_path
from .pipeline import write_bake
from .selection import armature_of
from .shape_keys import facemotion_key_names

#: Name of a capture's action (``{object}``: the mesh object's name).
CAPTURE_ACTION = "facemotion_capture_{object}"
#: Name of a capture's action on an object or armature: head, eyes, emotion (``{object}``: the object's name).
MOTION_ACTION = "facemotion_capture_{object}_motion"
#: Integer custom property keyed with the emotion's index in ``CATEGORIES`` on each captured mesh.
EMOTION_PROPERTY = "facemotion_emotion"
#: Name of a timeline marker where the captured emotion changes.
EMOTION_MARKER = "emotion: {label}"
#: Custom property of a motion action: the object's rest (location x, y, z, rotation quaternion w, x, y, z) and
#: what the head was keyed on ("" for the object, else the pose bone's name).
REST_PROPERTY = "facemotion_rest"
HEAD_PROPERTY = "facemotion_head"
#: Custom property of a motion action: the left and right eye bones' names, when the eyes were keyed on bones.
EYES_PROPERTY = "facemotion_eyes"
#: Custom property of a motion action on a separate eyeball object: its side ("left" / "right").
EYE_OBJECT_PROPERTY = "facemotion_eye_object"


def _shape_key_action(obj):
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    anim = key.animation_data if key is not None else None
    return key, anim, anim.action if anim is not None else None


def _pose_bone(objects, name, what):
    """``(armature, pose bone)`` of the bone ``name`` in the armature of one of ``objects``; InputError naming
    ``what`` (the option) when there is none."""
    armatures = [arm for arm in dict.fromkeys(armature_of(obj) for obj in objects) if arm is not None]
    for arm in armatures:
        if name in arm.pose.bones:
            return arm, arm.pose.bones[name]
    if not armatures:
        raise InputError(f"{what} '{name}': the face is not deformed by an armature; leave the bone out")
    bones = ", ".join(bone.name for bone in armatures[0].pose.bones[:12])
    raise InputError(f"{what} '{name}': no such bone in '{armatures[0].name}' (its bones: {bones})")


def _top_objects(objects):
    """The objects none of whose parents is among ``objects``: the ones the head's motion moves (the rest follow)."""
    chosen = set(objects)
    out = []
    for obj in objects:
        parent = obj.parent
        while parent is not None and parent not in chosen:
            parent = parent.parent
        if parent is None:
            out.append(obj)
    return out


def _eyeball(obj):
    """The :class:`~facemotion.core.capture.eye_objects.EyeballPivot` of ``obj`` when it is a separate eyeball that
    facemotion's eyeLook* keys turn, else None. InputError for one object holding both eyeballs."""
    key = obj.data.shape_keys
    looks = {name: key_block_coords(key.key_blocks[name]) for name in facemotion_key_names(obj) if name in EYE_LOOK}
    try:
        return eyeball_pivot(key_block_coords(key.reference_key), looks) if looks else None
    except InputError as exc:
        raise InputError(
            f"eye objects: '{obj.name}': {exc}; turn eye objects off (--eye-objects on the command line): its "
            "eyeLook* keys turn its eyeballs"
        ) from None


def _motion_plan(objects, take, *, head, head_bone, eye_bones, eye_objects, emotion):
    """``{owner: {"head": None | "" | bone, "eyes": None | (left, right), "eye_object": None | EyeballPivot,
    "emotion": bool}}``: what each object or armature gets keyed, every target checked (InputError) before anything
    is written."""
    if eye_objects and eye_bones:
        raise InputError("choose eye bones or eye objects, not both: each turns the eyes")
    plan = {}

    def entry(owner):
        return plan.setdefault(owner, {"head": None, "eyes": None, "eye_object": None, "emotion": False})

    if emotion and take.emotion_keys():
        for obj in objects:
            entry(obj)["emotion"] = True
    if head and (np.any(take.head_rotation) or np.any(take.head_translation)):
        if head_bone:
            arm, _ = _pose_bone(objects, head_bone, "head bone")
            entry(arm)["head"] = head_bone
        else:
            for obj in _top_objects(objects):
                entry(obj)["head"] = ""
    if eye_bones:
        arms = {_pose_bone(objects, name, "eye bone")[0] for name in eye_bones}
        if len(arms) != 1:
            raise InputError(f"eye bones {' and '.join(eye_bones)}: the two eye bones must be in one armature")
        entry(arms.pop())["eyes"] = tuple(eye_bones)
    if eye_objects:
        eyeballs = {obj: pivot for obj in objects if (pivot := _eyeball(obj)) is not None}
        if not eyeballs:
            raise InputError(
                f"eye objects: none of {', '.join(obj.name for obj in objects)} is a separate eyeball that "
                "facemotion's eyeLook* keys turn (rig the eyes as their own objects, with a gaze); turn eye objects "
                "off (--eye-objects on the command line)"
            )
        for obj, pivot in eyeballs.items():
            entry(obj)["eye_object"] = pivot
    for owner, what in plan.items():
        bones = ([what["head"]] if what["head"] else []) + list(what["eyes"] or ())
        itself = what["head"] == "" or what["eye_object"] is not None
        for holder in ([owner] if itself else []) + [owner.pose.bones[name] for name in bones]:
            if holder.rotation_mode == "AXIS_ANGLE":
                raise InputError(
                    f"'{holder.name}' uses axis-angle rotation; set its rotation mode to Quaternion or an Euler "
                    "order to capture the head onto it"
                )
    return plan


def _check_motion_actions(plan, replace):
    for owner in plan:
        anim = owner.animation_data
        action = anim.action if anim is not None else None
        if action is not None and not is_facemotion_action(action) and not replace:
            raise FacemotionError(
                f"'{owner.name}' is already animated by action '{action.name}', which facemotion did not create; "
                "enable replace to capture the head and emotion anyway (yours is kept)"
            )


def _our_motion_action(owner):
    """``owner``'s assigned :data:`MOTION_ACTION` from an earlier capture, or None."""
    anim = owner.animation_data
    action = anim.action if anim is not None else None
    if action is not None and action.name == MOTION_ACTION.format(object=owner.name) and is_facemotion_action(action):
        return action
    return None


def _undo_motion(owner, action):
    """Empty an earlier capture's motion ``action`` and put what it moved back at rest (the object's recorded
    transform, the bones' rest pose), so that a new capture never leaves a stale head turn behind."""
    compat.action_clear_fcurves(action, owner)
    head = action.get(HEAD_PROPERTY)
    if head == "" or EYE_OBJECT_PROPERTY in action:
        rest = list(action[REST_PROPERTY])
        owner.location = rest[:3]
        if owner.rotation_mode == "QUATERNION":
            owner.rotation_quaternion = rest[3:]
        else:
            owner.rotation_euler = Quaternion(rest[3:]).to_euler(owner.rotation_mode)
    for name in ([head] if head else []) + list(action.get(EYES_PROPERTY, ())):
        bone = owner.pose.bones.get(name) if owner.type == "ARMATURE" else None
        if bone is not None:
            bone.location, bone.rotation_quaternion, bone.rotation_euler = (0, 0, 0), (1, 0, 0, 0), (0, 0, 0)
    for name in (HEAD_PROPERTY, EYES_PROPERTY, EYE_OBJECT_PROPERTY):
        action.pop(name, None)


def _claim_motion_action(owner):
    """The empty :data:`MOTION_ACTION` of ``owner``, assigned (an earlier capture's, undone, :func:`_undo_motion`);
    another action there is kept with a fake user. Its :data:`REST_PROPERTY` is the rest the first capture
    recorded, else ``owner``'s transform now."""
    action = _our_motion_action(owner)
    if action is not None:
        _undo_motion(owner, action)
        return action
    anim = owner.animation_data
    if anim is not None and anim.action is not None:
        anim.action.use_fake_user = True
        anim.action = None
    action = bpy.data.actions.new(MOTION_ACTION.format(object=owner.name))
    action[ACTION_TAG] = True
    quaternion = owner.rotation_mode == "QUATERNION"
    rotation = owner.rotation_quaternion.copy() if quaternion else owner.rotation_euler.to_quaternion()
    action[REST_PROPERTY] = [*owner.location, *rotation]
    compat.assign_action(owner, action)
    return action


def _key_rotations(action, owner, holder, rotations, frames, linear):
    """Key ``holder``'s (an object or pose bone) rotation to ``rotations`` ``(N, 3, 3)`` in its rotation mode, at
    ``frames``; quaternions kept on one hemisphere and Euler angles continuous (no flips between frames)."""
    rows, previous = [], None
    for matrix in rotations:
        if holder.rotation_mode == "QUATERNION":
            value = Matrix(matrix.tolist()).to_quaternion()
            if previous is not None and previous.dot(value) < 0:
                value.negate()
        else:
            value = Matrix(matrix.tolist()).to_euler(holder.rotation_mode, *(() if previous is None else (previous,)))
        rows.append(tuple(value))
        previous = value
    prefix = _path_prefix(owner, holder)
    name = "rotation_quaternion" if holder.rotation_mode == "QUATERNION" else "rotation_euler"
    values = np.asarray(rows)
    for index in range(values.shape[1]):
        fcurve = compat.fcurve_ensure(action, owner, prefix + name, index, group_name=CURVE_GROUP)
        write_keyframes(fcurve, frames, values[:, index], linear)


def _path_prefix(owner, holder):
    """RNA path prefix of ``holder``'s transform on ``owner``: "" for the object itself, else its pose bone's."""
    return "" if holder == owner else f'pose.bones["{bpy.utils.escape_identifier(holder.name)}"].'


def _key_locations(action, owner, holder, locations, frames, linear):
    prefix = _path_prefix(owner, holder)
    for index in range(3):
        fcurve = compat.fcurve_ensure(action, owner, prefix + "location", index, group_name=CURVE_GROUP)
        write_keyframes(fcurve, frames, locations[:, index], linear)


def _bone_frame(arm, bone):
    """``(3, 3)`` rotation from a pose bone's rest axes to the world's (the armature's rotation, its scale left
    out, times the bone's rest in the armature)."""
    return np.array(arm.matrix_world.to_3x3().normalized() @ bone.bone.matrix_local.to_3x3().normalized())


def _write_motion(objects, plan, take, scene, frame_start):
    for owner in dict.fromkeys([*objects, *map(armature_of, objects)]):
        action = _our_motion_action(owner) if owner is not None and owner not in plan else None
        if action is not None:  # moved by an earlier capture, not by this one
            _undo_motion(owner, action)
    linear, constant = interpolation_value("LINEAR"), interpolation_value("CONSTANT")
    frames = frame_start + np.arange(len(take))
    head = world_rotations(take.head_rotation)
    offsets = world_offsets(take.head_translation, take.found)
    moved = bool(np.any(offsets))
    for owner, what in plan.items():
        action = _claim_motion_action(owner)
        if what["head"] is not None:
            action[HEAD_PROPERTY] = what["head"]
        if what["head"] == "" or what["eye_object"] is not None:
            _key_object_turns(action, owner, what, take, head if what["head"] == "" else None, offsets, frames)
        elif what["head"]:
            bone = owner.pose.bones[what["head"]]
            frame = _bone_frame(owner, bone)
            _key_rotations(action, owner, bone, frame.T @ head @ frame, frames, linear)
            if moved:
                _key_locations(action, owner, bone, offsets @ frame, frames, linear)
        if what["eyes"]:
            action[EYES_PROPERTY] = list(what["eyes"])
            for side, name in enumerate(what["eyes"]):
                bone = owner.pose.bones[name]
                frame = _bone_frame(owner, bone)
                eye = world_rotations(take.eye_rotation[:, side])
                _key_rotations(action, owner, bone, frame.T @ eye @ frame, frames, linear)
        if what["emotion"]:
            _key_emotion(action, owner, take, frame_start, constant)
    _mark_emotion_changes(scene, take if any(what["emotion"] for what in plan.values()) else None, frame_start)


def _key_object_turns(action, owner, what, take, head, offsets, frames):
    """Key an object's own rotation (and location) from its recorded rest: its eyeball's turn about the eyeball's
    centre (``what["eye_object"]``), then the head's turn ``head`` ``(N, 3, 3)`` (or None) about the object's origin
    and the head's ``offsets`` ``(N, 3)``; both in the world's axes (a parent should be upright)."""
    linear = interpolation_value("LINEAR")
    rest = np.asarray(action[REST_PROPERTY], dtype=np.float64)
    rotations, locations = np.array(Quaternion(rest[3:]).to_matrix())[None], rest[None, :3]
    eyeball = what["eye_object"]
    if eyeball is not None:
        action[EYE_OBJECT_PROPERTY] = eyeball.side
        basis = Matrix.LocRotScale(rest[:3], Quaternion(rest[3:]), owner.scale)
        centre = np.array(basis @ Vector(eyeball.centre.tolist()))
        turns = world_rotations(take.eye_rotation[:, SIDES.index(eyeball.side)])
        rotations, locations = turned_about(turns, centre, locations[0], rotations[0])
    if head is not None:
        rotations, locations = turned_about(head, rest[:3], locations, rotations)
        locations = locations + offsets
    _key_rotations(action, owner, owner, np.broadcast_to(rotations, (len(frames), 3, 3)), frames, linear)
    if eyeball is not None or np.any(offsets):
        _key_locations(action, owner, owner, np.broadcast_to(locations, (len(frames), 3)), frames, linear)


def _key_emotion(action, obj, take, frame_start, constant):
    keys = {}  # one key per scene frame: the last sample that lands on it
    for seconds, label in take.emotion_keys():
        keys[frame_start + round(seconds * take.fps)] = CATEGORIES.index(label)
    obj[EMOTION_PROPERTY] = next(iter(keys.values()))
    obj.id_properties_ui(EMOTION_PROPERTY).update(
        min=0,
        max=len(CATEGORIES) - 1,
        description="Captured emotion: " + ", ".join(f"{i} {name}" for i, name in enumerate(CATEGORIES)),
    )
    fcurve = compat.fcurve_ensure(action, obj, f'["{EMOTION_PROPERTY}"]', group_name=CURVE_GROUP)
    write_keyframes(fcurve, np.array(list(keys)), np.array(list(keys.values()), np.float64), constant)


def _mark_emotion_changes(scene, take, frame_start):
    """Timeline markers where ``take``'s emotion changes (None: none); the markers an earlier capture put there are
    removed, as its emotion keys are."""
    prefix = EMOTION_MARKER.format(label="")
    for marker in [m for m in scene.timeline_markers if m.name.startswith(prefix)]:
        scene.timeline_markers.remove(marker)
    for seconds, label in take.emotion_changes() if take is not None else ():
        scene.timeline_markers.new(EMOTION_MARKER.format(label=label), frame=frame_start + round(seconds * take.fps))


def write_take(
    objects,
    take,
    *,
    replace=False,
    scene=None,
    frame_start=1,
    set_frame_range=True,
    head=True,
    head_bone=None,
    eye_bones=None,
    eye_objects=False,
    emotion=True,
):
    """Key ``take``'s weights onto the objects' ARKit shape keys as :data:`CAPTURE_ACTION`, row 0 at
    ``frame_start``, and set the scene's frame rate to the take's (resample the take first to keep the scene's:
    :func:`facemotion.core.capture.capture.solve_take`'s ``fps``); its head, eyes and emotion as
    :data:`MOTION_ACTION` (module docstring).

    ``head``: key the head's rotation (and a video's position offsets) on the top objects of ``objects``, or with
    ``head_bone`` (a pose bone's name) on that bone of the face's armature; ``eye_bones``: ``(left, right)`` pose
    bone names for the eyes' rotation (None: the eyes stay in the eyeLook* shape keys); ``eye_objects``: key the
    rotation of the objects that are separate eyeballs about their centres instead, their own eyeLook* curves at 0
    (module docstring); ``emotion``: key the take's emotion track (when it has one) and mark its changes.

    A facemotion action already animating the shape keys (a bake) is unassigned and kept with a fake user. A user's
    action (on the shape keys, the object or the armature) makes it raise FacemotionError before anything changes,
    unless ``replace`` (it is then kept too). Returns :func:`.pipeline.write_bake`'s results. Raises InputError for
    objects without shape keys, a bone that is not there, a rotation in axis-angle mode, ``eye_objects`` with eye bones
    or without a separate eyeball among the objects (or with one object holding both).
    """
    objects = list(objects)
    scene = scene or bpy.context.scene
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
    plan = _motion_plan(
        objects, take, head=head, head_bone=head_bone, eye_bones=eye_bones, eye_objects=eye_objects, emotion=emotion
    )
    _check_motion_actions(plan, replace)
    for obj in objects:
        _, anim, action = _shape_key_action(obj)
        if (
            action is not None
            and is_facemotion_action(action)
            and action.name != CAPTURE_ACTION.format(object=obj.name)
        ):
            action.use_fake_user = True
            anim.action = None
    turned = [obj in plan and plan[obj]["eye_object"] is not None for obj in objects]
    results = write_bake(
        objects,
        [_without_eye_looks(take.weights) if eyeball else take.weights for eyeball in turned],
        take.fps,
        replace=replace,
        scene=scene,
        frame_start=frame_start,
        set_frame_range=set_frame_range,
        action_name=CAPTURE_ACTION,
    )
    _write_motion(objects, plan, take, scene, int(frame_start))
    return results


def _without_eye_looks(weights):
    """``weights`` ``(N, 52)`` with the eyeLook* columns at 0 (a copy): for an eyeball whose object turns instead."""
    out = np.array(weights, dtype=np.float32)
    out[:, [ARKIT_NAMES.index(name) for name in EYE_LOOK]] = 0.0
    return out


def take_from_shape_keys(obj, *, scene=None, frame_start=None, frame_end=None):
    """The ARKit animation of ``obj``'s shape keys as a :class:`~facemotion.core.capture.take.Take`: one row per
    scene frame from ``frame_start`` to ``frame_end`` (default: the scene's range), at the scene's frame rate.

    Shape keys without an F-Curve read as their current value; missing ARKit keys as 0. Head and eye rotation come
    from a capture's :data:`MOTION_ACTION` on the object or its armature (relative to the rest it recorded; the
    head is 0 without one); eyes not keyed on bones from the eyeLook* weights
    (:func:`facemotion.core.capture.head_pose.gaze_angles`). Raises InputError when the shape keys have no action.
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
    head, eyes = _captured_rotations(obj, np.arange(start, end + 1))
    eyes = gaze_angles(weights) if eyes is None else eyes
    return Take(fps=fps, weights=weights, head_rotation=head, eye_rotation=eyes, start_seconds=start / fps)


def _captured_rotations(obj, frames):
    """The head ``(N, 3)`` and eye ``(N, 2, 3)`` yaw, pitch, roll that a capture keyed on ``obj`` or its armature,
    at scene ``frames``, read back through the rest it recorded (head zeros where none was captured, eyes None where
    they were not keyed on bones)."""
    head, eyes = np.zeros((len(frames), 3)), None
    for owner in (obj, armature_of(obj)):
        anim = owner.animation_data if owner is not None else None
        action = anim.action if anim is not None else None
        if action is None or not is_facemotion_action(action):
            continue
        target = action.get(HEAD_PROPERTY)
        if target == "":
            rest = np.array(Quaternion(np.asarray(action[REST_PROPERTY])[3:]).to_matrix())
            head = take_angles(_rotations(action, owner, owner, frames) @ rest.T)
        elif target and target in owner.pose.bones:
            frame = _bone_frame(owner, owner.pose.bones[target])
            head = take_angles(frame @ _rotations(action, owner, owner.pose.bones[target], frames) @ frame.T)
        for side, name in enumerate(action.get(EYES_PROPERTY, ())):
            if name in owner.pose.bones:
                eyes = np.zeros((len(frames), 2, 3)) if eyes is None else eyes
                frame = _bone_frame(owner, owner.pose.bones[name])
                eyes[:, side] = take_angles(frame @ _rotations(action, owner, owner.pose.bones[name], frames) @ frame.T)
    return head, eyes


def _rotations(action, owner, holder, frames):
    """``(N, 3, 3)`` rotation matrices of ``holder`` (an object or pose bone) as ``action`` keys it at ``frames``
    (a component without an F-Curve keeps its current value)."""
    name = "rotation_quaternion" if holder.rotation_mode == "QUATERNION" else "rotation_euler"
    path = _path_prefix(owner, holder) + name
    current = list(getattr(holder, name))
    by_index = {fc.array_index: fc for fc in compat.action_fcurves(action, owner) if fc.data_path == path}
    curves = [by_index.get(index) for index in range(len(current))]
    values = fcurve_values(curves, frames)
    for index, fcurve in enumerate(curves):
        if fcurve is None:
            values[:, index] = current[index]
    if name == "rotation_quaternion":
        return np.array([np.array(Quaternion(row).normalized().to_matrix()) for row in values])
    return np.array([np.array(Euler(row, holder.rotation_mode).to_matrix()) for row in values])
