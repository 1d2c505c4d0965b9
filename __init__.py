# SPDX-License-Identifier: GPL-3.0-or-later
"""facemotion: emotion-driven expression rigs for any face mesh (Blender extension entry point).

Blender needs ``__init__.py`` beside ``blender_manifest.toml``, and this is the one module that knows every layer,
so registration lives here and every import points downward::

    __init__ (register)  ->  panels  ->  operators  ->  facemotion_addon (bpy glue)  ->  core (numpy, no bpy)

``register()`` order: property groups, preferences, operators, UI lists and panels (parents before sub-panels),
then ``Scene.facemotion``, ``Object.facemotion_part`` (:mod:`.facemotion_addon.settings.part_properties`), the asset
settings and ``blender --command facemotion``. ``unregister()`` undoes every step in reverse, so register ->
unregister -> register works in one session (Blender's add-on reload does that).
Importing the package imports nothing (not even bpy), so the pure-numpy ``core`` stays usable outside Blender.
"""

import sys

__all__ = ["CLI_COMMAND", "register", "registered_classes", "unregister"]

#: The attribute io_scene_gltf2 looks up on each enabled add-on's module for an import user extension.
GLTF_IMPORT_EXTENSION = "glTF2ImportUserExtension"


def __getattr__(name):
    """Blender's glTF importer asks every enabled add-on for :data:`GLTF_IMPORT_EXTENSION`: facemotion's gives its
    shape keys their ARKit names back (:mod:`.facemotion_addon.gltf_import_names`). Looked up lazily (PEP 562), so
    importing the package still imports nothing."""
    if name == GLTF_IMPORT_EXTENSION:
        from .facemotion_addon.gltf_import_names import ArkitNamesOnImport

        return ArkitNamesOnImport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: ``blender --command facemotion ...`` (see :mod:`.facemotion_addon.cli.entry`).
CLI_COMMAND = "facemotion"

_registered = []  # classes registered by register(), in order
_cli_handle = None  # bpy.utils.register_cli_command's handle
_cache_dir_set = False


def _all_classes():
    from . import operators, panels
    from .facemotion_addon.settings import export_settings, preferences, properties

    return (*properties.classes, *export_settings.classes, *preferences.classes, *operators.classes, *panels.classes)


def registered_classes():
    """The classes :func:`register` registered (a tuple; empty when unregistered)."""
    return tuple(_registered)


def _configure_assets():
    """Extensions keep their caches in their user folder; then apply the preferences' asset settings."""
    global _cache_dir_set
    import bpy

    from .core.io import assets
    from .facemotion_addon.settings.preferences import ROOT_PACKAGE, apply_preferences

    if ROOT_PACKAGE.startswith("bl_ext."):
        # An extension must not write into its own folder (replaced on update) nor assume ~/.cache.
        assets.set_cache_dir(bpy.utils.extension_path_user(ROOT_PACKAGE, create=True))
        _cache_dir_set = True
    apply_preferences()


def _register_export_ui():
    """``Scene.facemotion_export`` (the Export panel's options) and File > Export > Facemotion (glTF/FBX)."""
    import bpy

    from .facemotion_addon.settings import export_settings
    from .operators.export import menu_export

    export_settings.register_scene_property()
    bpy.types.TOPBAR_MT_file_export.append(menu_export)


def _unregister_export_ui():
    import bpy

    from .facemotion_addon.settings import export_settings
    from .operators.export import menu_export

    bpy.types.TOPBAR_MT_file_export.remove(menu_export)  # no error when it was not appended
    export_settings.unregister_scene_property()


def register():
    """Register every facemotion class, ``Scene.facemotion`` and the CLI command. On a failure, whatever was
    registered is unregistered again and the error is raised."""
    global _cli_handle
    import bpy

    from .facemotion_addon.cli.entry import cli_command
    from .facemotion_addon.settings import part_properties, properties

    if _registered:
        return  # already registered (register() called twice without unregister)
    try:
        for cls in _all_classes():
            bpy.utils.register_class(cls)
            _registered.append(cls)
        properties.register_scene_properties()
        _register_export_ui()
        part_properties.register()
        _configure_assets()
        _cli_handle = bpy.utils.register_cli_command(CLI_COMMAND, cli_command)
    except Exception:
        unregister()
        raise


def unregister():
    """Undo :func:`register`: CLI command, asset settings, ``Scene.facemotion``, then the classes in reverse."""
    global _cli_handle, _cache_dir_set
    import bpy

    from .core.io import assets
    from .facemotion_addon.settings import part_properties, preferences, properties

    if _cli_handle is not None:
        bpy.utils.unregister_cli_command(_cli_handle)
        _cli_handle = None
    # MediaPipe's detectors are closed now, not at exit: once the extension is uninstalled (its modules dropped
    # from sys.modules) and installed again, a detector of the old copy would be closed at exit after MediaPipe's own
    # shutdown, with a traceback each. Looked up, not imported: nothing to close when no face was ever detected.
    landmarks = sys.modules.get(f"{__name__}.core.detect.landmarks")
    if landmarks is not None:
        landmarks.close_all_tasks()
    preferences.restore_environment()
    if _cache_dir_set:
        assets.set_cache_dir(None)
        _cache_dir_set = False
    part_properties.unregister()
    _unregister_export_ui()
    properties.unregister_scene_properties()
    while _registered:
        cls = _registered.pop()
        if cls.is_registered:
            bpy.utils.unregister_class(cls)
