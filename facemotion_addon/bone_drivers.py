# SPDX-License-Identifier: GPL-3.0-or-later
"""Jaw and eye bones driven by the rig's shape keys (Rig Face > *Drive Jaw / Eye Bones*, ``facemotion rig
--drive-bones``; the method is :mod:`facemotion.core.rig.face_bones`).

:func:`read_character_bones` reads the character's armature (from the rigged objects' Armature modifiers) before the
rig, :func:`drive_bones` computes which bones are driven and refits the shape keys to them (no bpy: in the rig's
worker thread), and :func:`write_bone_drivers` gives each driven bone quaternion rotation drivers whose variables
are the shape-key values of the head (jawOpen for the jaw, the eye's four eyeLook* for each eye), so a pose, a
timeline or a capture that sets those values turns the bones. The drivers are simple expressions (Blender evaluates
them without Python, so they work in files opened without script auto-run). A bone whose rotation is already
animated or driven by something else is refused before anything is written.

glTF and FBX carry no drivers. Blender's FBX exporter samples the armature's pose every frame, drivers included; its
glTF exporter exports only an armature's action, so :func:`baked_driven_bones` gives the armature, for the export
only, an action with the driven bones' rotations sampled at every frame of the face's shape-key animation. An engine
then gets the jaw and eye bones' rotations as bone animation beside the morph-target weights (and, posed by hand
without an animation, the bones at rest: it must turn them itself from jawOpen / eyeLook*).
"""

import contextlib
import math
from dataclasses import dataclass

import bpy
import numpy as np

from ..core.errors import InputError
from ..core.rig.face_bones import bone_rotations, find_face_bones, fit_deltas_to_bones, named_face_bones
from .bridge import armature_rest, deform_weights, write_keyframes
from .compat import action_fcurves, assign_action, fcurve_ensure
from .selection import deforming_armatures

__all__ = [
    "BONE_PROP",
    "CharacterBones",
    "baked_driven_bones",
    "character_armature",
    "drive_bones",
    "driven_bones",
    "read_character_bones",
    "release_bones",
    "write_bone_drivers",
]

#: Custom property on a pose bone facemotion drives: the ARKit shapes it follows (comma-separated).
BONE_PROP = "facemotion_driven_by"
_CHANNEL = "rotation_quaternion"


def character_armature(objects):
    """The armature object deforming ``objects`` (their Armature modifiers), or None when none has one.

    Raises:
        InputError: the objects are deformed by several armatures.
    """
    armatures = deforming_armatures(objects)
    if len(armatures) > 1:
        names = ", ".join(sorted(a.name for a in armatures))
        raise InputError(f"the face is deformed by several armatures ({names}); drive one")
    return armatures[0] if armatures else None


@dataclass
class CharacterBones:
    """What driving bones needs, read before the rig: the ``armature`` object, its :class:`~.bridge.ArmatureRest`
    (``rest``), and ``weights`` ``{bone index: (N,) float64}`` each named face bone's share of each vertex of the
    combined mesh. After :func:`drive_bones`: ``drives`` (:class:`facemotion.core.rig.face_bones.BoneDrive` list)
    and ``rejected`` ``{role: reason}``."""

    armature: object
    rest: object
    weights: dict
    drives: list = None
    rejected: dict = None


def _check_free(armature, name):
    """Refuse a bone whose rotation is keyed or driven by something else than facemotion."""
    pose_bone = armature.pose.bones[name]
    path = f'pose.bones["{name}"].'
    animation = armature.animation_data
    if animation is None:
        return
    mine = BONE_PROP in pose_bone
    for fcurve in animation.drivers:
        if fcurve.data_path.startswith(path + "rotation") and not mine:
            raise InputError(f"bone '{name}' of {armature.name} is driven already; remove its drivers to drive it")
    fcurves = [] if animation.action is None else action_fcurves(animation.action, armature)
    if any(f.data_path.startswith(path + "rotation") for f in fcurves):
        raise InputError(f"bone '{name}' of {armature.name} is animated; remove its rotation keys to drive it")


def read_character_bones(combined):
    """Read the armature of a combined head (:class:`~.bridge.CombinedMesh`) for :func:`drive_bones`.

    Raises:
        InputError: no armature deforms the head, it has no bone named as a jaw or an eye, or such a bone is animated
            or driven by something else.
    """
    armature = character_armature(combined.objects)
    if armature is None:
        raise InputError("no armature deforms the face: Drive Bones needs a character skinned to an armature")
    rest = armature_rest(armature)
    named = named_face_bones(rest.names)
    if not named:
        raise InputError(f"{armature.name} has no jaw or eye bone by a known name (jaw, eye.L, CC_Base_JawRoot...)")
    for index in named.values():
        _check_free(armature, rest.names[index])
    deforming = [name for name, deform in zip(rest.names, rest.deform) if deform]
    wanted = [rest.names[i] for i in named.values()]
    weights = {i: np.zeros(len(combined.vertices)) for i in named.values()}
    for obj, (start, stop) in zip(combined.objects, combined.slices):
        if not any(m.type == "ARMATURE" and m.object == armature for m in obj.modifiers):
            continue
        share = deform_weights(obj, deforming, wanted)
        for column, index in enumerate(named.values()):
            weights[index][start:stop] = share[:, column]
    return CharacterBones(armature, rest, weights)


def drive_bones(bones, vertices, result, gaze):
    """Find the face bones on a computed rig (``result``: a ``RigResult`` of ``vertices (N, 3)``), compute their
    turns and refit ``result.deltas`` to them (in place). No bpy. Fills ``bones.drives`` and ``bones.rejected``."""
    found = find_face_bones(bones.rest.names, bones.rest.heads, result.landmarks, result.parts)
    bones.drives = bone_rotations(
        found, vertices, result.deltas, result.parts, result.landmarks, result.fit.rotation, gaze
    )
    bones.rejected = found.rejected
    result.deltas = fit_deltas_to_bones(result.deltas, vertices, bones.drives, bones.rest.heads, bones.weights)
    # Asked for and not done: the rig goes on, and says why (the report's warnings).
    result.warnings.extend(f"not driven: {reason}" for reason in found.rejected.values())
    if not bones.drives:
        result.warnings.append("no jaw or eye bone could be driven; jawOpen and eyeLook* move the vertices")


def _turns(local_rotations):
    """Pair opposite shapes (eyeLookOut / In turn about one axis in opposite senses): ``[(amount, (3,) rotation
    vector)]`` with ``amount`` the driver expression of the turn's share (``"(v0-v1)"`` or ``"v0"``)."""
    turns, used = [], set()
    for k, r in enumerate(local_rotations):
        if k in used:
            continue
        opposite = next(
            (j for j in range(k + 1, len(local_rotations)) if j not in used and np.allclose(local_rotations[j], -r)),
            None,
        )
        used.update({k, opposite} - {None})
        turns.append((f"v{k}" if opposite is None else f"(v{k}-v{opposite})", r))
    return turns


def _quaternion_expressions(local_rotations):
    """Driver expressions ``(w, x, y, z)`` of the quaternion of the rotation vector ``sum_k v_k r_k`` (``v_k`` the
    driver variable ``v{k}``, ``r_k`` ``(3,)`` in the bone's frame): ``w = cos(t / 2)``, ``xyz = r sin(t / 2) / t``
    with ``t = |r|`` (``r = 0`` gives the identity). Simple expressions (no ``**``) and short (Blender keeps 256
    characters): opposite shapes share one term, and the turns' axes are orthogonal (the face frame's), so ``t`` is
    the root of their squared angles.

    Raises:
        InputError: the turns' axes are not orthogonal (then ``t`` would be wrong).
    """
    turns = _turns([np.asarray(r, dtype=np.float64) for r in local_rotations])
    for a in range(len(turns)):
        for b in range(a + 1, len(turns)):
            ra, rb = turns[a][1], turns[b][1]
            if abs(ra @ rb) > 1e-6 * np.linalg.norm(ra) * np.linalg.norm(rb):
                raise InputError("a bone's turns are not about orthogonal axes; cannot drive it")
    angle = "sqrt(" + "+".join(f"pow({np.linalg.norm(r):.7g}*{amount},2)" for amount, r in turns) + ")"
    components = []
    for axis in range(3):
        terms = [f"{r[axis]:.7g}*{amount}" for amount, r in turns if abs(r[axis]) > 1e-9]
        components.append("(" + ("+".join(terms) if terms else "0") + ")")
    return [f"cos({angle}/2)"] + [f"{c}*sin({angle}/2)/({angle}+1e-12)" for c in components]


def write_bone_drivers(bones, key_owner):
    """Give each of ``bones.drives``' bones quaternion rotation drivers on the shape keys of ``key_owner`` (the
    head's mesh object); earlier facemotion drivers on the bone are replaced. Returns ``{bone name: shapes}``."""
    armature = bones.armature
    key = key_owner.data.shape_keys
    written = {}
    for drive in bones.drives:
        name = bones.rest.names[drive.bone]
        pose_bone = armature.pose.bones[name]
        pose_bone.driver_remove(_CHANNEL)  # facemotion's own drivers from an earlier rig (checked in read)
        pose_bone.rotation_mode = "QUATERNION"
        axes = bones.rest.axes[drive.bone]
        shapes = list(drive.rotations)
        local = [axes.T @ drive.rotations[shape] for shape in shapes]
        for index, expression in enumerate(_quaternion_expressions(local)):
            driver = pose_bone.driver_add(_CHANNEL, index).driver
            driver.type = "SCRIPTED"
            for k, shape in enumerate(shapes):
                variable = driver.variables.new()
                variable.name, variable.type = f"v{k}", "SINGLE_PROP"
                target = variable.targets[0]
                target.id_type, target.id = "KEY", key
                target.data_path = f'key_blocks["{shape}"].value'
            driver.expression = expression
        pose_bone[BONE_PROP] = ",".join(shapes)
        written[name] = shapes
    return written


def release_bones(objects):
    """Remove facemotion's drivers from the bones of the armatures deforming ``objects`` (a rig without Drive Bones
    replaces one with it: its keys turn the teeth and eyeballs again, so the bones go back to rest). Returns the
    names of the bones released."""
    released = []
    for armature in deforming_armatures(objects):
        for pose_bone in armature.pose.bones:
            if BONE_PROP in pose_bone:
                pose_bone.driver_remove(_CHANNEL)
                pose_bone.rotation_quaternion = (1.0, 0.0, 0.0, 0.0)
                del pose_bone[BONE_PROP]
                released.append(pose_bone.name)
    return released


def driven_bones(objects):
    """``{bone name: shapes}`` of the bones facemotion drives in the armatures deforming ``objects`` (read back from
    the scene: the pose bones' :data:`BONE_PROP`)."""
    return {
        b.name: b[BONE_PROP].split(",")
        for armature in deforming_armatures(objects)
        for b in armature.pose.bones
        if BONE_PROP in b
    }


def _shape_key_frames(objects):
    """Every whole frame from the first to the last key of the meshes' active shape-key actions (range; empty when
    none is animated)."""
    starts, ends = [], []
    for obj in objects:
        key = obj.data.shape_keys if obj.type == "MESH" else None
        anim = None if key is None else key.animation_data
        if anim is None or anim.action is None:
            continue
        for fcurve in action_fcurves(anim.action, key):
            if len(fcurve.keyframe_points):
                start, end = fcurve.range()
                starts.append(start)
                ends.append(end)
    return range(math.floor(min(starts)), math.ceil(max(ends)) + 1) if starts else range(0)


@contextlib.contextmanager
def baked_driven_bones(objects, scene=None):
    """While the block runs, each armature deforming ``objects`` whose bones facemotion drives plays an action
    holding its own action's curves plus the driven bones' rotations sampled at every frame of the face's shape-key
    animation (module docstring); afterwards its own action (or none) is back, the copies are removed and the scene
    is at its frame again. Nothing happens without driven bones or without shape-key animation."""
    scene = scene or bpy.context.scene
    meshes = [obj for obj in objects if obj.type == "MESH"]
    frames = _shape_key_frames(meshes)
    frame = scene.frame_current
    with contextlib.ExitStack() as stack:
        for armature in deforming_armatures(meshes) if len(frames) else ():
            driven = [b.name for b in armature.pose.bones if BONE_PROP in b]
            if driven:
                stack.enter_context(_baked_action(armature, driven, frames, scene))
        scene.frame_set(frame)
        yield
    scene.frame_set(frame)


@contextlib.contextmanager
def _baked_action(armature, driven, frames, scene):
    """:func:`baked_driven_bones` for one armature and its ``driven`` bone names."""
    rotations = {name: np.empty((len(frames), 4)) for name in driven}
    for i, f in enumerate(frames):
        scene.frame_set(f)
        pose = armature.evaluated_get(bpy.context.evaluated_depsgraph_get()).pose
        for name in driven:
            rotations[name][i] = pose.bones[name].rotation_quaternion
    anim = armature.animation_data
    original = None if anim is None else anim.action
    slot = getattr(anim, "action_slot", None)
    baked = original.copy() if original is not None else bpy.data.actions.new(f"{armature.name}_facemotion_bones")
    try:
        assign_action(armature, baked)
        for name, values in rotations.items():
            for index in range(4):
                path = f'pose.bones["{name}"].rotation_quaternion'
                fcurve = fcurve_ensure(baked, armature, path, index, group_name=name)
                write_keyframes(fcurve, np.asarray(frames, dtype=np.float32), values[:, index], _LINEAR)
        yield
    finally:
        anim = armature.animation_data
        anim.action = original
        if original is not None and slot is not None:
            anim.action_slot = slot
        bpy.data.actions.remove(baked)


#: ``Keyframe.interpolation``'s enum value of LINEAR (a sample per frame needs no curve between).
_LINEAR = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items["LINEAR"].value
