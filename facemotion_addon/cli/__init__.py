# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line (``blender --command facemotion ...``, ``./facemotion ...``): :mod:`.entry` (parser, ``main``),
:mod:`.commands` (rig, animate, demo, emotion), :mod:`.batch` and :mod:`.distributed` (many heads, local workers or
a Dask cluster), :mod:`.demo`, :mod:`.timeline_file` (the timeline JSON reader the commands share) and
:mod:`.export_arguments` (the export flags, made from :mod:`facemotion.core.io.export_options`).

Inside, imports point one way: entry -> commands, batch -> distributed, timeline_file and export_arguments. The
scene glue and the settings never import this package (``tests/test_layering.py``).
"""
