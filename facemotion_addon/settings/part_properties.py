# SPDX-License-Identifier: GPL-3.0-or-later
"""What each mesh object is to the rig: ``Object.facemotion_part`` (the artist's choice) and
``Object.facemotion_detected_part`` (what the last Detect Landmarks / Rig Face found on it).

A head often comes as several objects (skin, eyeballs, teeth, tongue) beside others that are not part of the face
(a body, clothes, hair, the default scene's cube). ``facemotion_part`` tells the rig which is which:

- ``auto`` (default): the core decides per vertex from loose parts, material-free geometry and the landmarks
  (:func:`facemotion.core.rig.parts.classify_parts`); far-away parts are ignored, near-spheres behind the eye
  landmarks are eyeballs, parts inside the mouth are teeth or tongue;
- ``skin`` / ``eyes`` / ``teeth`` / ``tongue``: forced for every vertex of the object (``teeth``: the core splits
  upper and lower itself);
- ``ignore``: left out of the rig entirely (never detected on, never moved, no shape keys).

Both are registered properties of ``bpy.types.Object`` (saved with the .blend, undone with the scene, settable from
scripts: ``obj.facemotion_part = "ignore"``). The enum stores explicit numbers, so a later version may append items
without breaking saved files. When the add-on is not registered (the bpy module driven by the CLI or a script),
:func:`part_choice` reads every object as ``auto``.
"""

import bpy
from bpy.props import EnumProperty, StringProperty

__all__ = [
    "CORE_ROLE_NAMES",
    "PART_ITEMS",
    "detected_part",
    "part_choice",
    "register",
    "set_detected_part",
    "unregister",
]

#: ``EnumProperty`` items of ``Object.facemotion_part``: ``(identifier, label, description, icon, number)``.
PART_ITEMS = [
    (
        "auto",
        "Auto",
        "Let facemotion decide from the landmarks and the mesh's loose parts (far-away parts are ignored)",
        "NONE",
        0,
    ),
    ("skin", "Skin", "Face skin: deformed by every expression", "NONE", 1),
    (
        "eyes",
        "Eyes",
        "Eyeball(s): rigid, turned about their own centre by eyeLook*, never deformed by blinks",
        "NONE",
        2,
    ),
    ("teeth", "Teeth", "Teeth: upper teeth fixed to the skull, lower teeth turning rigidly with the jaw", "NONE", 3),
    ("tongue", "Tongue", "Tongue: follows the jaw rigidly, plus tongueOut", "NONE", 4),
    ("ignore", "Ignore", "Not part of the face: left out of the rig, never moved, no shape keys", "NONE", 5),
]

#: ``facemotion_part`` identifier -> key of :data:`facemotion.core.rig.parts.ROLE_NAMES`.
CORE_ROLE_NAMES = {
    "auto": "auto",
    "skin": "skin",
    "eyes": "eye",
    "teeth": "teeth",
    "tongue": "tongue",
    "ignore": "ignore",
}


def part_choice(obj):
    """The artist's ``facemotion_part`` of ``obj`` (an identifier of :data:`PART_ITEMS`); ``"auto"`` when the
    property is not registered."""
    return getattr(obj, "facemotion_part", "auto")


def detected_part(obj):
    """What the last detection or rig found on ``obj`` (e.g. ``"skin + 2 eyes + teeth"``), ``""`` when nothing yet
    or when the property is not registered."""
    return getattr(obj, "facemotion_detected_part", "")


def set_detected_part(obj, text):
    """Store the detected parts of ``obj`` for the Rig panel (nothing when the property is not registered)."""
    if hasattr(obj, "facemotion_detected_part") and obj.facemotion_detected_part != text:
        obj.facemotion_detected_part = text


def register():
    """Attach ``Object.facemotion_part`` and ``Object.facemotion_detected_part``."""
    bpy.types.Object.facemotion_part = EnumProperty(
        name="Face Part",
        items=PART_ITEMS,
        default="auto",
        description="What this object is to the face rig (Auto: decided from the landmarks and loose parts)",
    )
    bpy.types.Object.facemotion_detected_part = StringProperty(
        name="Detected Part", default="", description="What the last Detect Landmarks or Rig Face found on this object"
    )


def unregister():
    """Remove the two properties (harmless when they are not there)."""
    for name in ("facemotion_detected_part", "facemotion_part"):
        if hasattr(bpy.types.Object, name):
            delattr(bpy.types.Object, name)
