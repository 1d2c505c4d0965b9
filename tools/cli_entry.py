"""Run the facemotion CLI from a checkout with Blender as the bpy module (what ``./facemotion`` calls)."""

import importlib.util
import os
import sys
from pathlib import Path

from package_path import import_facemotion


def _drop_inherited_ocio():
    """A parent process that imported bpy 5.2 exports ``OCIO`` pointing into bpy's own colour config; a child that
    inherits it has Blender log "Using OCIO=..." on stdout. Only that inherited value is dropped (a user's own OCIO
    config elsewhere is kept), so the CLI's stdout stays clean when scripts or tests run it."""
    spec = importlib.util.find_spec("bpy")
    value = os.environ.get("OCIO", "")
    if (
        spec is not None
        and spec.origin
        and value
        and Path(value).resolve().is_relative_to(Path(spec.origin).resolve().parent)
    ):
        del os.environ["OCIO"]


if __name__ == "__main__":
    import_facemotion()
    _drop_inherited_ocio()
    import bpy  # noqa: F401  (import before the add-on modules: they need it)

    from facemotion.facemotion_addon import compat
    from facemotion.facemotion_addon.cli.entry import INTERRUPTED_EXIT_CODES, main

    code = main(sys.argv[1:])
    # Not sys.exit: bpy 4.2 can crash in interpreter shutdown. After an interruption the work stopped at an arbitrary
    # point (MediaPipe's graphs and Blender's data half made), and the shutdown then crashed now and then (SIGSEGV
    # after the one line, bpy 5.0: 3 of 12 runs of tests/test_cli_hostile.py's finaliser test with SIGHUP), so an
    # interrupted run ends without it (its temporary files are already gone; Blender's session folder is removed).
    compat.exit_process(code, teardown=code not in INTERRUPTED_EXIT_CODES)
