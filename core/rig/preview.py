# SPDX-License-Identifier: GPL-3.0-or-later
"""A preview sheet of a rig: the head at rest, in key shapes and in emotion poses, front and three-quarter, with
every part in its own colour, so an artist can judge a rig before exporting it (issue 19).

Pure numpy: poses are ``vertices + weights . deltas`` and images come from the project's z-buffer
(:func:`facemotion.core.detect.rasterize.render`), so the same sheet is drawn by the CLI (``facemotion preview``), the
tools and the tests, deterministic on any machine. The columns are plain data (:class:`PreviewColumn`): the caller
adds the emotion poses (this module sits below the emotion vocabulary).

Colours: skin in a clay tone, eyeballs white with a dark iris cap around their rest gaze (so a turn shows), upper
teeth ivory, lower teeth pale blue, tongue red, loose skin parts inside the mouth (gums) pink, ignored parts
(hair caps, bodies, props: they must never move) slate grey.
"""

from dataclasses import dataclass

import cv2
import numpy as np

from ..arkit import ARKIT_INDEX, ARKIT_NAMES
from ..detect.rasterize import OrthoCamera, render
from ..errors import InputError
from ..geometry import connected_components
from .parts import ROLE_EYE, ROLE_IGNORE, ROLE_SKIN, ROLE_TEETH, ROLE_TEETH_LOWER, ROLE_TEETH_UPPER, ROLE_TONGUE

__all__ = [
    "COLOURS",
    "KEY_SHAPE_COLUMNS",
    "PreviewColumn",
    "VIEWS",
    "arkit_weights",
    "face_camera",
    "part_colours",
    "preview_images",
    "preview_sheet",
]

#: sRGB colours per part role (loose skin parts in the mouth get :data:`GUMS`).
COLOURS = {
    ROLE_SKIN: (0.80, 0.62, 0.52),
    ROLE_EYE: (0.95, 0.95, 0.95),
    ROLE_TEETH: (0.98, 0.96, 0.85),
    ROLE_TEETH_UPPER: (0.98, 0.96, 0.85),
    ROLE_TEETH_LOWER: (0.70, 0.80, 0.98),
    ROLE_TONGUE: (0.80, 0.25, 0.30),
    ROLE_IGNORE: (0.45, 0.50, 0.60),
}
GUMS = (0.85, 0.45, 0.50)
IRIS = (0.12, 0.20, 0.55)
#: Half angle of the dark iris cap around each eyeball's rest gaze, degrees.
IRIS_DEGREES = 30.0
BACKGROUND = (0.15, 0.15, 0.17)
#: Views of the sheet's rows: the face from the front, and from 35 degrees to the subject's right.
VIEWS = ("front", "three_quarter")
THREE_QUARTER_DEGREES = 35.0


@dataclass(frozen=True)
class PreviewColumn:
    """One column of the sheet: ``title`` (str) and the ``(52,) float`` ARKit weights of its pose (Apple's order,
    :data:`facemotion.core.arkit.ARKIT_NAMES`)."""

    title: str
    weights: np.ndarray


def arkit_weights(**named):
    """``(52,) float64`` ARKit weights from ``name=value`` pairs (ARKit names). Raises InputError on a name that is
    not an ARKit blendshape."""
    unknown = sorted(set(named) - set(ARKIT_INDEX))
    if unknown:
        raise InputError(f"not ARKit blendshape names: {', '.join(unknown)}")
    weights = np.zeros(len(ARKIT_NAMES))
    for name, value in named.items():
        weights[ARKIT_INDEX[name]] = float(value)
    return weights


#: The key shapes every rig is judged on: lids, gaze (eyeballs turn, lids follow), jaw (teeth and tongue), the
#: smile, the funnel (lips), the brows up and down.
KEY_SHAPE_COLUMNS = (
    PreviewColumn("rest", arkit_weights()),
    PreviewColumn("eyeBlink", arkit_weights(eyeBlinkLeft=1, eyeBlinkRight=1)),
    PreviewColumn("look left", arkit_weights(eyeLookOutLeft=1, eyeLookInRight=1)),
    PreviewColumn("look up", arkit_weights(eyeLookUpLeft=1, eyeLookUpRight=1)),
    PreviewColumn("jawOpen", arkit_weights(jawOpen=1)),
    PreviewColumn("smile", arkit_weights(mouthSmileLeft=1, mouthSmileRight=1)),
    PreviewColumn("mouthFunnel", arkit_weights(mouthFunnel=1)),
    PreviewColumn("brows up", arkit_weights(browInnerUp=1, browOuterUpLeft=1, browOuterUpRight=1)),
    PreviewColumn("brows down", arkit_weights(browDownLeft=1, browDownRight=1)),
)


def part_colours(vertices, triangles, parts, landmarks, forward):
    """``(N, 3) float64`` sRGB vertex colours by part (module docstring).

    Args:
        vertices: ``(N, 3)`` rest positions; ``triangles``: ``(M, 3) int``.
        parts: :class:`facemotion.core.rig.parts.FaceParts` of the mesh (roles per vertex, eyeball centres and
            radii: an iris cap is painted on each eyeball, facing ``forward``).
        landmarks: ``(478, 3)`` MediaPipe landmarks on the mesh (where the mouth is, for the gums).
        forward: ``(3,)`` the face's forward direction.
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    roles = np.asarray(parts.roles)
    palette = np.array([COLOURS.get(r, COLOURS[ROLE_SKIN]) for r in range(ROLE_IGNORE + 1)])
    colours = palette[np.clip(roles, 0, ROLE_IGNORE)]
    labels = connected_components(len(vertices), np.asarray(triangles))
    skin = roles == ROLE_SKIN
    if skin.any():
        main = np.bincount(labels[skin]).argmax()
        mouth = 0.5 * (landmarks[13] + landmarks[14])
        width = np.linalg.norm(landmarks[291] - landmarks[61])
        for label in np.unique(labels[skin & (labels != main)]):
            part = labels == label
            if np.linalg.norm(vertices[part].mean(axis=0) - mouth) < width:
                colours[part] = GUMS
    forward = np.asarray(forward, dtype=np.float64)
    eyes = np.flatnonzero(roles == ROLE_EYE)
    for side, centre in parts.eye_centres.items():
        rel = vertices[eyes] - centre
        distance = np.linalg.norm(rel, axis=1)
        cap = (distance <= 1.5 * parts.eye_radii[side]) & (
            rel @ forward > np.cos(np.radians(IRIS_DEGREES)) * np.maximum(distance, 1e-12)
        )
        colours[eyes[cap]] = IRIS
    return colours


def face_camera(landmarks, rotation, view, size):
    """:class:`~facemotion.core.detect.rasterize.OrthoCamera` of ``size`` x ``size`` pixels framing the face
    (``landmarks`` ``(478, 3)``) in ``view`` (:data:`VIEWS`); ``rotation`` ``(3, 3)`` turns the template's frame (+z
    forward, +y up) into the mesh's (the fit's rotation). Raises InputError on an unknown view."""
    forward = rotation @ np.array([0.0, 0.0, 1.0])
    up = rotation @ np.array([0.0, 1.0, 0.0])
    if view == "front":
        return OrthoCamera.framing(landmarks, view_dir=-forward, up=up, size=(size, size), margin=1.25)
    if view == "three_quarter":
        a = np.radians(THREE_QUARTER_DEGREES)
        turned = np.cos(a) * forward - np.sin(a) * np.cross(up, forward)
        return OrthoCamera.framing(landmarks, view_dir=-turned, up=up, size=(size, size), margin=1.25)
    raise InputError(f"unknown preview view {view!r}; use one of {', '.join(VIEWS)}")


def preview_images(vertices, triangles, deltas, colours, landmarks, rotation, columns, *, views=VIEWS, size=256):
    """Render every column in every view: ``{view: [(size, size, 3) uint8 sRGB image per column]}``.

    Args:
        vertices: ``(N, 3)`` rest positions (any units); ``triangles``: ``(M, 3) int``.
        deltas: ``(52, N, 3)`` the rig's ARKit shape deltas (:class:`facemotion.core.rig.autorig.RigResult`).
        colours: ``(N, 3)`` sRGB vertex colours (:func:`part_colours`).
        landmarks, rotation: as :func:`face_camera`.
        columns: :class:`PreviewColumn` sequence.

    Raises:
        InputError: mismatched shapes (deltas not ``(52, N, 3)``), an unknown view, a size below 32 pixels.
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    deltas = np.asarray(deltas)
    if deltas.shape != (len(ARKIT_NAMES),) + vertices.shape:
        raise InputError(f"deltas must be (52, {len(vertices)}, 3), got {deltas.shape}")
    if int(size) < 32:
        raise InputError(f"preview cells must be at least 32 pixels, got {size}")
    cameras = {view: face_camera(landmarks, rotation, view, int(size)) for view in views}
    images = {view: [] for view in views}
    for column in columns:
        weights = np.asarray(column.weights, dtype=np.float64)
        active = np.flatnonzero(weights)
        posed = vertices + np.tensordot(weights[active], deltas[active], axes=1) if len(active) else vertices
        for view, camera in cameras.items():
            shot = render(posed, triangles, camera, vertex_colors=colours, background=BACKGROUND, ssaa=2)
            images[view].append(np.ascontiguousarray(shot.image))
    return images


def preview_sheet(rows, *, heading=None):
    """Compose rows of images into one ``(H, W, 3) uint8`` sRGB sheet.

    ``rows``: ``[(label, titles, images)]``: each row gets a bar with its ``label`` and the ``titles`` of its
    columns above its ``images`` (``(S, S, 3) uint8``, all the same size); rows may have different numbers of columns
    (the sheet is as wide as the widest). ``heading``: optional one line of text at the top. Raises InputError on
    an empty sheet or a row whose titles and images differ in number.
    """
    if not rows or any(len(titles) != len(images) or not images for _, titles, images in rows):
        raise InputError("every preview row needs one image per column title")
    size = rows[0][2][0].shape[0]
    line, font = 18, cv2.FONT_HERSHEY_SIMPLEX
    top = line + 4 if heading else 0
    bar = 2 * line + 4  # the row's label, then its column titles
    width = size * max(len(images) for _, _, images in rows)
    sheet = np.full((top + len(rows) * (size + bar), width, 3), 255, dtype=np.uint8)
    if heading:
        cv2.putText(sheet, heading, (6, line - 3), font, 0.45, (0, 0, 0), 1, cv2.LINE_AA)
    for i, (label, titles, images) in enumerate(rows):
        y = top + i * (size + bar)
        cv2.putText(sheet, label, (6, y + line - 2), font, 0.45, (110, 110, 110), 1, cv2.LINE_AA)
        for j, (title, image) in enumerate(zip(titles, images)):
            cv2.putText(sheet, title, (j * size + 4, y + 2 * line), font, 0.42, (0, 0, 0), 1, cv2.LINE_AA)
            sheet[y + bar : y + bar + size, j * size : (j + 1) * size] = image
    return sheet
