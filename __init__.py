# SPDX-License-Identifier: GPL-3.0-or-later
"""facemotion: emotion-driven expression rigs for any face mesh (Blender extension entry point).

Blender needs ``__init__.py`` beside ``blender_manifest.toml``; everything lives in ``facemotion_addon``.
Importing the package must not import bpy, so the pure-numpy ``core`` stays usable outside Blender.
"""


def register():
    from .facemotion_addon import register as _register
    _register()


def unregister():
    from .facemotion_addon import unregister as _unregister
    _unregister()
