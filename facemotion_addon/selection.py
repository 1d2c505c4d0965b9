# SPDX-License-Identifier: GPL-3.0-or-later
"""Which objects facemotion acts on: the selection rules every operator, panel and the CLI share.

A "face" is any selected mesh object except facemotion's landmark objects; a "rigged" face carries all 52 ARKit
shape keys.
"""

from ..core.arkit import ARKIT_NAMES

__all__ = [
    "LANDMARKS_PROP",
    "TARGETS_PROP",
    "arkit_key_count",
    "armature_of",
    "deforming_armatures",
    "face_meshes",
    "is_landmark_object",
    "is_rigged",
    "rigged_meshes",
    "with_armatures",
]

#: Custom property marking a landmark object, and the one listing the objects it belongs to.
LANDMARKS_PROP = "facemotion_landmarks"
TARGETS_PROP = "facemotion_targets"


def is_landmark_object(obj):
    """True for a landmark object made by Detect Landmarks (custom property :data:`LANDMARKS_PROP`)."""
    return bool(obj.get(LANDMARKS_PROP, False))


def arkit_key_count(obj):
    """How many of the 52 ARKit names ``obj`` has as shape keys (0 for non-meshes and meshes without keys)."""
    key = obj.data.shape_keys if obj is not None and obj.type == "MESH" else None
    if key is None:
        return 0
    return sum(1 for name in ARKIT_NAMES if name in key.key_blocks)


def is_rigged(objects):
    """True when every mesh object among ``objects`` has shape keys for all 52 ARKit names (and there is one)."""
    meshes = [o for o in objects if o.type == "MESH"]
    return bool(meshes) and all(arkit_key_count(o) == len(ARKIT_NAMES) for o in meshes)


def face_meshes(context):
    """Selected mesh objects that are not landmark objects, in selection order (list, may be empty)."""
    selected = getattr(context, "selected_objects", None) or []
    return [obj for obj in selected if obj.type == "MESH" and not is_landmark_object(obj)]


def rigged_meshes(context):
    """:func:`face_meshes` that carry all 52 ARKit shape keys (list, may be empty)."""
    return [obj for obj in face_meshes(context) if is_rigged([obj])]


def armature_of(obj):
    """The armature deforming mesh ``obj`` (its parent, else its first Armature modifier's object), or None."""
    if obj.parent is not None and obj.parent.type == "ARMATURE":
        return obj.parent
    for modifier in obj.modifiers:
        if modifier.type == "ARMATURE" and modifier.object is not None:
            return modifier.object
    return None


def deforming_armatures(objects):
    """The armatures deforming the meshes among ``objects`` (:func:`armature_of`), each once, in order (list)."""
    found = (armature_of(obj) for obj in objects if obj.type == "MESH")
    return [arm for arm in dict.fromkeys(found) if arm is not None]


def with_armatures(objects):
    """``objects`` followed by the armatures deforming them that are not among them (list)."""
    objects = list(objects)
    names = {obj.name for obj in objects}
    return objects + [arm for arm in deforming_armatures(objects) if arm.name not in names]
