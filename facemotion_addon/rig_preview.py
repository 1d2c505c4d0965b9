# SPDX-License-Identifier: GPL-3.0-or-later
"""The preview sheet of a rig (issue 19), shared by ``facemotion preview`` and the Rig panel's *Preview Sheet...*.

:func:`sheet_image` lays out :mod:`facemotion.core.rig.preview`'s images: the key shapes and the emotion presets,
front and three-quarter (pure numpy, no bpy, so the operator draws it in a worker thread). :func:`read_rigged_head`
reads what an already rigged head in the scene holds (its rest mesh and its ARKit shape keys as world-space deltas)
without changing anything, and :func:`write_sheet` writes the PNG atomically.
"""

from pathlib import Path

import cv2
import numpy as np

from ..core.arkit import ARKIT_NAMES
from ..core.emotion.presets import preset_weights
from ..core.errors import FacemotionError
from ..core.io.atomic_io import atomic_output
from ..core.rig.preview import KEY_SHAPE_COLUMNS, VIEWS, PreviewColumn, part_colours, preview_images, preview_sheet
from .bridge import shape_key_deltas, world_matrix

__all__ = ["EMOTION_COLUMNS", "preview_column_groups", "read_rigged_head", "sheet_image", "write_sheet"]

#: Emotion presets shown after the key shapes, at full intensity (what a timeline key of that name reaches).
EMOTION_COLUMNS = ("happy", "sad", "surprise", "fear", "anger", "disgust", "contempt")


def preview_column_groups(emotions=True):
    """The sheet's column groups: ``[(group name, [PreviewColumn])]``: the key shapes, then (``emotions``) the
    presets of :data:`EMOTION_COLUMNS` at intensity 1.0."""
    groups = [("shapes", list(KEY_SHAPE_COLUMNS))]
    if emotions:
        groups.append(("emotions", [PreviewColumn(name, preset_weights(name)) for name in EMOTION_COLUMNS]))
    return groups


def sheet_image(
    vertices, triangles, deltas, parts, landmarks, rotation, *, heading, size=192, emotions=True, progress=None
):
    """The preview sheet of a rig: ``(H, W, 3) uint8`` sRGB.

    Args:
        vertices: ``(N, 3)`` rest positions; ``triangles``: ``(M, 3) int``.
        deltas: ``(52, N, 3)`` ARKit shape deltas (Apple's order).
        parts: the :class:`facemotion.core.rig.parts.FaceParts` of the mesh (colours; its summary joins the heading).
        landmarks: ``(478, 3)`` landmarks on the mesh; ``rotation``: ``(3, 3)`` the face frame (columns: the
            subject's left, up, forward), e.g. a fit's rotation.
        heading: the sheet's first line (the parts are appended); ``size``: pixels per cell; ``emotions``: add the
            emotion presets' rows.
        progress: optional ``progress(fraction, message)`` (raises CancelledError to stop).

    Raises:
        InputError: as :func:`facemotion.core.rig.preview.preview_images`.
    """
    forward = np.asarray(rotation, dtype=np.float64)[:, 2]
    colours = part_colours(vertices, triangles, parts, landmarks, forward)
    rows = []
    groups = preview_column_groups(emotions)
    for k, (group, columns) in enumerate(groups):
        if progress is not None:
            progress(k / len(groups), f"drawing the {group}")
        images = preview_images(
            vertices, triangles, deltas, colours, landmarks, rotation, columns, views=VIEWS, size=size
        )
        rows += [(f"{group}, {view.replace('_', '-')}", [c.title for c in columns], images[view]) for view in VIEWS]
    summary = "; ".join(parts.summary().splitlines())
    return preview_sheet(rows, heading=f"{heading}: {summary}")


def write_sheet(path, sheet):
    """Write an ``(H, W, 3) uint8`` sRGB sheet to ``path`` (.png) atomically; raises FacemotionError on failure."""
    with atomic_output(Path(path)) as tmp:
        if not cv2.imwrite(str(tmp), np.ascontiguousarray(sheet[:, :, ::-1])):
            raise FacemotionError(f"{path}: could not write the PNG")


def read_rigged_head(combined):
    """The ARKit shape keys of a combined head (:class:`facemotion.facemotion_addon.bridge.CombinedMesh`) as
    world-space deltas, ``(52, N, 3) float64`` in Apple's order: each key's offset from its object's reference key,
    turned by the object's ``matrix_world``; zero for an object (or a name) without that key. Reads only."""
    deltas = np.zeros((len(ARKIT_NAMES),) + combined.vertices.shape)
    for obj, (start, stop) in zip(combined.objects, combined.slices):
        local = shape_key_deltas(obj, ARKIT_NAMES)
        deltas[:, start:stop] = local @ world_matrix(obj)[:3, :3].T
    return deltas
