# SPDX-License-Identifier: GPL-3.0-or-later
"""facemotion's sidebar (View3D > Sidebar > Facemotion): Rig, Emotion (with ARKit sliders), Timeline,
Recognize, Capture and Speech panels.

Panels only draw; every action is an operator from :mod:`facemotion.operators`.
"""

from . import capture, emotion, export, recognize, rig, speech, timeline

#: Every UI class, in registration order (lists before the panels that use them, parents before sub-panels).
classes = (
    *rig.classes,
    *emotion.classes,
    *timeline.classes,
    *export.classes,
    *recognize.classes,
    *capture.classes,
    *speech.classes,
)
