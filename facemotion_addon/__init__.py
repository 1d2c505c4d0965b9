# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender side of facemotion: registration of the properties, preferences, operators, panels and the CLI command.

``register()`` order: property groups, preferences, operators, UI lists and panels (parents before sub-panels),
then ``Scene.facemotion``, the asset settings and ``blender --command facemotion``. ``unregister()`` undoes every
step in reverse, so register -> unregister -> register works in one session (Blender's add-on reload does that).

Importing this package imports nothing but bpy: the operators and panels are imported by ``register()``, so the
pipeline modules (``from facemotion.facemotion_addon import pipeline``) stay usable without registering the UI.
"""
import bpy

__all__ = ["CLI_COMMAND", "cli_command", "register", "registered_classes", "unregister"]

#: ``blender --command facemotion ...`` (see :mod:`.cli`).
CLI_COMMAND = "facemotion"

_registered = []       # classes registered by register(), in order
_cli_handle = None     # bpy.utils.register_cli_command's handle
_cache_dir_set = False


def cli_command(argv):
    """Handler of ``blender --command facemotion ARGS``: runs :func:`.cli.main` and returns its exit code."""
    from .cli import main
    return main(list(argv))


def _all_classes():
    from .. import operators, panels
    from . import preferences, properties
    return (*properties.classes, *preferences.classes, *operators.classes, *panels.classes)


def registered_classes():
    """The classes :func:`register` registered (a tuple; empty when unregistered)."""
    return tuple(_registered)


def _configure_assets():
    """Extensions keep their caches in their user folder; then apply the preferences' asset settings."""
    global _cache_dir_set
    from ..core.io import assets
    from .preferences import ROOT_PACKAGE, apply_preferences
    if ROOT_PACKAGE.startswith("bl_ext."):
        # An extension must not write into its own folder (replaced on update) nor assume ~/.cache.
        assets.set_cache_dir(bpy.utils.extension_path_user(ROOT_PACKAGE, create=True))
        _cache_dir_set = True
    apply_preferences()


def register():
    """Register every facemotion class, ``Scene.facemotion`` and the CLI command. On a failure, whatever was
    registered is unregistered again and the error is raised."""
    global _cli_handle
    if _registered:
        return  # already registered (register() called twice without unregister)
    from . import properties
    try:
        for cls in _all_classes():
            bpy.utils.register_class(cls)
            _registered.append(cls)
        properties.register_scene_properties()
        _configure_assets()
        _cli_handle = bpy.utils.register_cli_command(CLI_COMMAND, cli_command)
    except Exception:
        unregister()
        raise


def unregister():
    """Undo :func:`register`: CLI command, asset settings, ``Scene.facemotion``, then the classes in reverse."""
    global _cli_handle, _cache_dir_set
    from ..core.io import assets
    from . import preferences, properties
    if _cli_handle is not None:
        bpy.utils.unregister_cli_command(_cli_handle)
        _cli_handle = None
    preferences.restore_environment()
    if _cache_dir_set:
        assets.set_cache_dir(None)
        _cache_dir_set = False
    properties.unregister_scene_properties()
    while _registered:
        cls = _registered.pop()
        if cls.is_registered:
            bpy.utils.unregister_class(cls)
