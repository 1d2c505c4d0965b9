# SPDX-License-Identifier: GPL-3.0-or-later
"""``--strength G`` and ``--region-strength brows=1.2,mouth=0.8``: a character's strength
(:mod:`facemotion.core.animation.strength`) from the command line, stored on the face objects
(:mod:`..settings.strength_properties`) before anything is keyed, so the bake, the capture and the exported file carry
it."""

from ...core.animation.strength import MAX_GAIN, REGIONS, Strength, parse_region_strength
from ..console import info

__all__ = ["add_strength_arguments", "store_strength_option", "strength_option"]


def add_strength_arguments(parser):
    """Add ``--strength`` and ``--region-strength`` to the argparse ``parser`` (default None: the strength stored on
    the rigged objects, else 1)."""
    group = parser.add_argument_group("character strength (stored on the face objects and in the files written)")
    group.add_argument(
        "--strength",
        default=None,
        metavar="G",
        help=f"gain of every expression, 0..{MAX_GAIN:g} (1: as designed); weights are clamped to 0..1 after it",
    )
    group.add_argument(
        "--region-strength",
        default=None,
        metavar="R=G,...",
        help=f"gain per face region on top of --strength, e.g. brows=1.2,mouth=0.8 (regions: {', '.join(REGIONS)})",
    )


def strength_option(args):
    """The :class:`~facemotion.core.animation.strength.Strength` the flags give, or None when neither is given.
    Raises InputError (before any work) for a bad gain or region."""
    overall, regions = getattr(args, "strength", None), getattr(args, "region_strength", None)
    if overall is None and regions is None:
        return None
    return Strength(1.0 if overall is None else overall, parse_region_strength(regions or ""))


def store_strength_option(objects, strength):
    """Store ``strength`` (from :func:`strength_option`; None: nothing) on every face object, with one line."""
    from ..settings.strength_properties import store_strength

    if strength is None:
        return
    for obj in objects:
        store_strength(obj, strength)
    info(f"  strength {strength.text()} on {', '.join(obj.name for obj in objects)}")
