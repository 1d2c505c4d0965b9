# SPDX-License-Identifier: GPL-3.0-or-later
"""The Blender side of facemotion below the UI: bpy glue the operators, the CLI and scripts share.

- :mod:`.bridge` is the only place where Blender data becomes numpy arrays and back (``foreach_get``/``foreach_set``);
- :mod:`.selection` says which objects facemotion acts on; :mod:`.compat` holds every Blender-version difference;
- :mod:`.rigging`, :mod:`.shape_keys`, :mod:`.keyframes`, :mod:`.mesh_import`, :mod:`.export` and
  :mod:`.preview_render` each do one job on Blender data, and :mod:`.pipeline` strings them into the CLI's steps;
- :mod:`.console` is the terminal output the CLI and the glue share (held stdout, progress, one-line causes).

Two sub-packages by audience: :mod:`.settings` (scene/object properties, export settings, preferences, user presets)
and :mod:`.cli` (``blender --command facemotion`` and ``./facemotion``: entry, commands, demo, batch, distributed).
The rule: the modules at this level are the scene glue; the glue and the settings never import :mod:`.cli`, and the
CLI sits on top of both. Nothing here imports :mod:`facemotion.operators` or :mod:`facemotion.panels`:
registration is the package root's (``facemotion.register``). ``tests/test_layering.py`` checks all of it.
"""
