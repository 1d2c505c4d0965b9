# SPDX-License-Identifier: GPL-3.0-or-later
"""The Blender side of facemotion below the UI: bpy glue the operators, the CLI and scripts share.

- :mod:`.bridge` is the only place where Blender data becomes numpy arrays and back (``foreach_get``/``foreach_set``);
- :mod:`.selection` says which objects facemotion acts on; :mod:`.compat` holds every Blender-version difference;
- :mod:`.rigging`, :mod:`.shape_keys`, :mod:`.keyframes`, :mod:`.mesh_import`, :mod:`.export` and
  :mod:`.preview_render` each do one job on Blender data, and :mod:`.pipeline` strings them into the CLI's steps;
- :mod:`.properties` and :mod:`.preferences` are the settings; :mod:`.cli` (with :mod:`.console` and :mod:`.demo`)
  is ``blender --command facemotion`` and ``./facemotion``.

Nothing here imports :mod:`facemotion.operators` or :mod:`facemotion.panels`: registration is the package root's
(``facemotion.register``).
"""
