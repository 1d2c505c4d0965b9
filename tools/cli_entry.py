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
    from facemotion.facemotion_addon.cli.entry import main

    compat.exit_process(main(sys.argv[1:]))  # not sys.exit: bpy 4.2 can crash in interpreter shutdown
