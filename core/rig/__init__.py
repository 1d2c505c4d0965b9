# SPDX-License-Identifier: GPL-3.0-or-later
"""Rig: the face template (:mod:`.template`), its fit to a mesh's landmarks (:mod:`.registration`), expression
transfer (:mod:`.transfer`) and the whole auto-rig (:mod:`.autorig`)."""
