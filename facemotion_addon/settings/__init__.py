# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender settings: the scene and object properties (:mod:`.properties`, :mod:`.part_properties`), the export
options (:mod:`.export_settings`), the add-on preferences (:mod:`.preferences`) and the user presets
(:mod:`.presets`, :mod:`.wheel_presets`). Registered by the package root; never imports the CLI
(``tests/test_layering.py``).
"""
