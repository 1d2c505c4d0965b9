# SPDX-License-Identifier: GPL-3.0-or-later
"""A character's strength on its object: ``Object.facemotion_strength`` (the whole face) and
``Object.facemotion_strength_<region>`` (brows, eyes, cheeks, mouth, jaw), read as one
:class:`facemotion.core.animation.strength.Strength` by :func:`object_strength`.

They are plain custom properties of the object (what a registered ``FloatProperty`` on ``bpy.types.Object`` stores
too), so the command line (no add-on registered) reads and writes the same values as the Rig panel, and the glTF
(``extras``) and FBX (custom properties) exports carry them with the rigged object. A property that is not set reads
1 (as designed).
"""

import bpy
from bpy.props import FloatProperty

from ...core.animation.strength import MAX_GAIN, REGIONS, Strength

__all__ = ["OVERALL_PROP", "REGION_PROPS", "object_strength", "register", "store_strength", "unregister"]

#: Custom property of the object: the gain of the whole face.
OVERALL_PROP = "facemotion_strength"
#: Region -> custom property of the object holding its gain.
REGION_PROPS = {region: f"{OVERALL_PROP}_{region}" for region in REGIONS}


def object_strength(obj):
    """The :class:`~facemotion.core.animation.strength.Strength` stored on ``obj`` (neutral when none is).

    Raises InputError when a stored value is not a gain (e.g. a custom property typed by hand as 50)."""
    if obj is None:
        return Strength()
    regions = {region: obj.get(prop) for region, prop in REGION_PROPS.items() if obj.get(prop) is not None}
    overall = obj.get(OVERALL_PROP)
    return Strength(1.0 if overall is None else overall, regions)


def store_strength(obj, strength):
    """Write ``strength`` (a ``Strength``) onto ``obj``: the overall gain and every region's (1 included, so the
    exported file says what the character was baked with)."""
    obj[OVERALL_PROP] = float(strength.overall)
    for region, prop in REGION_PROPS.items():
        obj[prop] = float(strength.regions.get(region, 1.0))


def register():
    """Attach the six gains to ``bpy.types.Object`` (drawn in the Rig panel)."""
    bpy.types.Object.facemotion_strength = FloatProperty(
        name="Strength",
        default=1.0,
        min=0.0,
        max=MAX_GAIN,
        soft_max=2.0,
        description="Gain of every expression on this character (weights are clamped to 0..1 after the gain)",
    )
    for region, prop in REGION_PROPS.items():
        setattr(
            bpy.types.Object,
            prop,
            FloatProperty(
                name=region.capitalize(),
                default=1.0,
                min=0.0,
                max=MAX_GAIN,
                soft_max=2.0,
                description=f"Gain of the {region} shapes on this character, on top of Strength (clamped to 0..1)",
            ),
        )


def unregister():
    """Remove the properties (harmless when they are not there); the values stay on the objects."""
    for prop in (OVERALL_PROP, *REGION_PROPS.values()):
        if hasattr(bpy.types.Object, prop):
            delattr(bpy.types.Object, prop)
