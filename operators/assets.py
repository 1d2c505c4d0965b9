# SPDX-License-Identifier: GPL-3.0-or-later
"""Download the missing third-party assets (ICT-FaceKit, MediaPipe model) in one cancellable run.

Started from the add-on preferences (Edit > Preferences > Add-ons > Facemotion) or a script. From the UI it is modal
(see :mod:`.base`): the status bar shows the file and its percentage, and Esc stops it; the file being fetched is
written atomically, so a cancelled or failed download leaves no partial file (files already fetched stay, verified).
Downloads follow the preferences' consent and Blender's Allow Online Access (:func:`apply_preferences`).
"""

import os

import bpy

from ..core.errors import AssetError
from ..core.io import assets
from ..facemotion_addon.settings.preferences import apply_preferences
from .base import Job, JobOperator

__all__ = ["DownloadAssetsJob", "FACEMOTION_OT_download_assets", "classes"]


class DownloadAssetsJob(Job):
    """Fetch every pinned asset missing from the asset folders (``names``: which ones; default all missing).

    ``online_access`` overrides ``bpy.app.online_access`` for :func:`apply_preferences` (None: Blender's setting;
    the bpy module in tests has it off).
    """

    title = "Downloading assets"

    def __init__(self, names=None, online_access=None):
        self.names, self.online_access = names, online_access

    def prepare(self, context):
        apply_preferences(online_access=self.online_access)
        self.missing = assets.missing_assets(self.names)
        if self.missing and not assets.download_allowed():
            raise AssetError(
                f"{len(self.missing)} asset file(s) are missing and downloads are off: tick Allow "
                f"Downloads in the add-on preferences (needs Preferences > System > Network > Allow "
                f"Online Access), or set an Asset Folder that holds them"
            )

    def compute(self, progress):
        self.paths = []
        count = len(self.missing)
        for i, name in enumerate(self.missing):
            progress(i / count, f"file {i + 1}/{count}: {name}")
            self.paths.append(
                assets.asset_path(
                    name,
                    download=True,
                    progress=lambda f, m, i=i: progress((i + f) / count, f"file {i + 1}/{count}: {m}"),
                )
            )
        progress(1.0, f"{count} file(s) downloaded")

    def apply(self, context):
        if not self.missing:
            return "All asset files are present; nothing to download"
        folder = os.path.commonpath([str(path.parent) for path in self.paths])
        return f"Downloaded and verified {len(self.paths)} asset file(s) into {folder}"


class FACEMOTION_OT_download_assets(JobOperator, bpy.types.Operator):
    """Download the missing ICT-FaceKit and MediaPipe files from their pinned upstream URLs (each checked against
    its SHA-256); needs Allow Downloads and Blender's Allow Online Access"""

    bl_idname = "facemotion.download_assets"
    bl_label = "Download Missing Assets"
    bl_options = {"REGISTER"}

    def make_job(self, context):
        return DownloadAssetsJob()


classes = (FACEMOTION_OT_download_assets,)
