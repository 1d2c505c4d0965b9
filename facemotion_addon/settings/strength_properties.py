# SPDX-License-Identifier: GPL-3.0-or-later
"""A character's strength on its object: the custom properties ``facemotion_strength`` (the whole face) and
``facemotion_strength_<region>`` (brows, eyes, cheeks, mouth, jaw), read as one
:class:`facemotion.core.animation.strength.Strength` by :func:`object_strength`.

Plain custom properties rather than registered ``bpy.props``: from Blender 5.0 on a registered property is stored
apart from the custom properties, and the glTF (``extras``) and FBX (custom properties) exporters write only the
latter; as custom properties the command line (no add-on registered) and the Rig panel read and write the same
values, and every exported file carries them with the rigged object. Each gets its range and tooltip through
``id_properties_ui``, so the Rig panel's sliders stop at 0..:data:`~facemotion.core.animation.strength.MAX_GAIN`.
A property that is not set reads 1 (as designed).
"""

from ...core.animation.strength import MAX_GAIN, REGIONS, Strength

__all__ = ["OVERALL_PROP", "REGION_PROPS", "has_strength", "object_strength", "store_strength"]

#: Custom property of the object: the gain of the whole face.
OVERALL_PROP = "facemotion_strength"
#: Region -> custom property of the object holding its gain.
REGION_PROPS = {region: f"{OVERALL_PROP}_{region}" for region in REGIONS}


def has_strength(obj):
    """True when ``obj`` carries the strength properties (every rig stores them; the Rig panel draws them)."""
    return obj is not None and all(obj.get(prop) is not None for prop in (OVERALL_PROP, *REGION_PROPS.values()))


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
    exported file says what the character was baked with), each with its slider range and tooltip."""
    values = {OVERALL_PROP: strength.overall}
    values.update({prop: strength.regions.get(region, 1.0) for region, prop in REGION_PROPS.items()})
    for prop, value in values.items():
        obj[prop] = float(value)
        region = prop[len(OVERALL_PROP) + 1 :]
        what = f"the {region} shapes" if region else "every expression"
        obj.id_properties_ui(prop).update(
            min=0.0,
            max=MAX_GAIN,
            soft_min=0.0,
            soft_max=2.0,
            default=1.0,
            description=f"facemotion: gain of {what} on this character (weights are clamped to 0..1 after it)",
        )
