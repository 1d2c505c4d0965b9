# SPDX-License-Identifier: GPL-3.0-or-later
"""The Emotion panel's picture of Plutchik's wheel: a ``bpy.utils.previews`` collection whose one image is
:func:`facemotion.core.emotion.wheel_image.wheel_image` of the current choice, redrawn only when the choice changes.

The collection is created on first use and removed by :func:`clear` (the Emotion panel's ``unregister``).
"""

import bpy
import bpy.utils.previews

from ..core.emotion.wheel_image import wheel_image
from .bridge import set_preview_pixels

__all__ = ["PREVIEW_NAME", "PREVIEW_SIZE", "clear", "wheel_preview"]

PREVIEW_NAME = "facemotion_wheel"
#: Side of the picture in pixels (the panel scales it up or down).
PREVIEW_SIZE = 128

_state = {"collection": None, "choice": None}


def wheel_preview(name, mix=None):
    """The ImagePreview showing the wheel with ``name`` (a wheel name or pair; None: nothing highlighted) and
    ``mix`` highlighted; its pixels are set only when ``(name, mix)`` differs from the last call. Draw it with
    ``layout.template_icon(icon_value=preview.icon_id, scale=...)``. Raises InputError: unknown name."""
    if _state["collection"] is None:
        _state["collection"] = bpy.utils.previews.new()
    collection = _state["collection"]
    preview = collection.get(PREVIEW_NAME) or collection.new(PREVIEW_NAME)
    choice = (name, None if mix is None else round(float(mix), 3))
    if choice != _state["choice"]:
        set_preview_pixels(preview, wheel_image(PREVIEW_SIZE, name, mix))
        _state["choice"] = choice
    return preview


def clear():
    """Remove the preview collection (safe to call twice)."""
    if _state["collection"] is not None:
        bpy.utils.previews.remove(_state["collection"])
    _state["collection"], _state["choice"] = None, None
