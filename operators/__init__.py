# SPDX-License-Identifier: GPL-3.0-or-later
"""facemotion's operators (``facemotion.*``), one module per area: rig, emotion, timeline,
export, recognize, capture.

Operators are thin: they read the scene's settings, call :mod:`facemotion.facemotion_addon.pipeline` (or rigging /
core), write the result back and report it; a :class:`~facemotion.core.errors.FacemotionError` becomes one error
report and ``{'CANCELLED'}`` with the scene unchanged.
"""

from . import assets, capture, emotion, export, recognize, rig, speech, timeline

#: Every operator class, in registration order.
classes = (
    *rig.classes,
    *emotion.classes,
    *timeline.classes,
    *export.classes,
    *recognize.classes,
    *capture.classes,
    *speech.classes,
    *assets.classes,
)
