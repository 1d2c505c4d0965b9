# SPDX-License-Identifier: GPL-3.0-or-later
"""Add-on preferences: where the third-party assets are, and whether facemotion may download them.

The asset module (:mod:`facemotion.core.io.assets`) reads its folder and download consent from the environment
(``FACEMOTION_ASSETS``, ``FACEMOTION_ALLOW_DOWNLOAD``), which is also how the command line and scripts configure it.
:func:`apply_preferences` maps the preferences onto those two variables, so the UI, the CLI and scripts take one
path. It follows Blender's rule for extensions: no network use unless ``bpy.app.online_access`` is on (Preferences >
System > Network > Allow Online Access), whatever the checkbox says. The variables' values from before
registration are restored by :func:`restore_environment` on unregister.
"""

import os

import bpy
from bpy.props import BoolProperty, StringProperty

from ...core.io import assets

__all__ = [
    "ROOT_PACKAGE",
    "FacemotionPreferences",
    "apply_preferences",
    "classes",
    "get_preferences",
    "restore_environment",
]

#: The add-on's root package: ``facemotion`` in a checkout, ``bl_ext.<repository>.facemotion`` as an extension.
#: Blender finds AddonPreferences by this name.
ROOT_PACKAGE = __package__.rsplit(".", 2)[0]  # this package is <root>.facemotion_addon.settings

_UNSET = object()
_saved_environment = {}  # variable -> value before facemotion first changed it (None: it was unset)


def get_preferences(context=None):
    """The add-on's :class:`FacemotionPreferences`, or None when the add-on was registered without Blender's add-on
    system (tests, scripts), which has no preferences entry for it."""
    context = context or bpy.context
    preferences = getattr(context, "preferences", None)
    addon = preferences.addons.get(ROOT_PACKAGE) if preferences is not None else None
    return addon.preferences if addon is not None else None


def _set_environment(name, value):
    """Set (or, with ``_UNSET``, restore) one variable, remembering its original value the first time."""
    if name not in _saved_environment:
        _saved_environment[name] = os.environ.get(name)
    if value is _UNSET:
        value = _saved_environment[name]
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


def apply_preferences(preferences=None, *, online_access=None):
    """Point the asset module at the preferences' folder and download consent.

    Args:
        preferences: a :class:`FacemotionPreferences` (or anything with ``asset_folder`` and ``allow_download``);
            None uses :func:`get_preferences`, and with no preferences only the online rule applies.
        online_access: override of ``bpy.app.online_access`` (for tests).

    Effects: ``FACEMOTION_ASSETS`` = the asset folder (made absolute) when one is set, else its value from before
    registration. ``FACEMOTION_ALLOW_DOWNLOAD`` = ``"0"`` when Blender's online access is off (always, so no setting
    can download then), ``"1"`` when online access is on and downloads are allowed, else its value from before
    registration (an explicit choice made on the command line stands). Returns ``(asset folder or None,
    downloads allowed: bool)`` as the asset module now sees them.
    """
    if preferences is None:
        preferences = get_preferences()
    online = bpy.app.online_access if online_access is None else bool(online_access)
    folder = getattr(preferences, "asset_folder", "") or ""
    folder = os.path.abspath(bpy.path.abspath(folder)) if folder.strip() else None
    _set_environment(assets.ENV_ASSETS, folder if folder else _UNSET)
    if not online:
        _set_environment(assets.ENV_ALLOW_DOWNLOAD, "0")
    elif getattr(preferences, "allow_download", False):
        _set_environment(assets.ENV_ALLOW_DOWNLOAD, "1")
    else:
        _set_environment(assets.ENV_ALLOW_DOWNLOAD, _UNSET)
    return os.environ.get(assets.ENV_ASSETS), assets.download_allowed()


def restore_environment():
    """Put ``FACEMOTION_ASSETS`` and ``FACEMOTION_ALLOW_DOWNLOAD`` back as they were before registration."""
    for name, value in _saved_environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved_environment.clear()


def _on_change(self, context):
    apply_preferences(self)


class FacemotionPreferences(bpy.types.AddonPreferences):
    """Asset folder and download consent (Edit > Preferences > Add-ons > Facemotion)."""

    bl_idname = ROOT_PACKAGE

    asset_folder: StringProperty(
        name="Asset Folder",
        description="Folder holding the ICT-FaceKit and MediaPipe files (same layout as the download: "
        "mediapipe/face_landmarker.task, ict-facekit/FaceXModel/...). Empty: the files bundled with the "
        "extension, then the download folder",
        subtype="DIR_PATH",
        default="",
        update=_on_change,
    )
    allow_download: BoolProperty(
        name="Allow Downloads",
        description="Let facemotion download a missing ICT-FaceKit or MediaPipe file from its pinned upstream URL "
        "(each file is checked against its SHA-256). Needs Blender's Allow Online Access",
        default=False,
        update=_on_change,
    )

    def draw(self, context):
        layout = self.layout
        layout.prop(self, "asset_folder")
        row = layout.row()
        row.enabled = bpy.app.online_access
        row.prop(self, "allow_download")
        col = layout.column(align=True)
        if not bpy.app.online_access:
            col.label(
                text="Online access is off (Preferences > System > Network): facemotion never downloads.", icon="INFO"
            )
        col.label(text="Downloads go to the add-on's user folder; nothing is fetched without this consent.")
        missing = assets.missing_assets()
        if missing:
            row = layout.row()
            row.enabled = bpy.app.online_access and self.allow_download
            row.operator(
                "facemotion.download_assets", text=f"Download {len(missing)} Missing Asset File(s)", icon="IMPORT"
            )
        else:
            layout.label(text="All asset files are present", icon="CHECKMARK")
        missing = assets.missing_assets()
        if missing:
            col.label(text=f"{len(missing)} asset file(s) not found, e.g. {missing[0]}", icon="ERROR")
        else:
            col.label(text="All asset files found.", icon="CHECKMARK")


classes = (FacemotionPreferences,)
