# SPDX-License-Identifier: GPL-3.0-or-later
"""The template's ARKit shapes as MediaPipe's landmarks see them: each shape rendered on the template and detected.

The landmark solve (:mod:`.solve`) needs, for each ARKit shape, how MediaPipe's 478 landmarks move when a face makes
it. Reading that motion off the template's surface (the landmarks embedded once on the neutral,
:func:`facemotion.core.rig.autorig.template_landmarks`, carried by the shape's vertex deltas) assumes MediaPipe's
points stay glued to the skin; they do not: the Face Landmarker regresses lips and lids from their colour edges and
its face prior, so a pucker (lips pushed forward, a motion mostly along the view) moves its lip points inward much as
a funnel does, and the embedding itself shifts by a sub-pixel change of the search (issue 20: the round trip's
mouthFunnel fell from r 0.94 to 0.61 with no change to capture). Measured instead: the template is rendered frontal
with the features a camera sees on a real face (lips, brows, eyes, mouth interior coloured; :func:`face_colours`),
neutral and each shape at :data:`AMPLITUDES`, detected by the Face Landmarker as a still image, aligned to the neutral
(:class:`.solve.LandmarkSolver` 's similarity on stable landmarks) and differenced; each shape's motion is the least-
squares slope over the amplitudes (MediaPipe is not linear in a shape's weight). Each column is one still-image
measurement, which MediaPipe's sub-pixel search moves: the framing moved by half a pixel changes the pucker's column
by about 27 % of its length, the funnel's by 15 % (``tools/capture_basis_variants.py``, docs/capture.md).

Built once per template, MediaPipe model and renderer (15 s cold on two cores, up to ~50 s when they are loaded) and
cached in the user cache; a built extension ships it (``tools/build_extension.py``), as it ships the template's
landmarks.
"""

import dataclasses
import hashlib
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from ..detect import mediapipe_topology as topo
from ..geometry import interpolate_on_surface
from ..io import assets

#: Weights each shape is rendered at (the basis is the least-squares slope through them and the neutral).
AMPLITUDES = (0.3, 0.6, 1.0)
#: Head turns rendered to measure how MediaPipe's landmarks deform (beyond a rigid motion) when the head turns:
#: (axis, degrees) about the face's centre, y = yaw (turn to the subject's left), x = pitch (look down). The Face
#: Landmarker's mesh is not rigid under a turn: after the similarity alignment a 12 degree yaw leaves ~1 mm of
#: residual on the mouth corners, which an expression-only basis reads as mouthRight / jawRight.
POSE_TURNS = (("y", 12.0), ("y", -12.0), ("x", 10.0), ("x", -10.0))
#: Identities whose head turns are rendered besides the template's: the residual of a turn is their mean. MediaPipe's
#: mesh deforms under a turn differently on every face (on the round trip's heads the template's residual left about
#: half of the turned neutral unexplained, which the solve then read as expressions: a brow raise at 11 degrees of
#: yaw at half height, funnel and pucker leftovers); the mean over faces fits an unseen face better than any one.
#: Round trip, the template's residual vs the mean over it and 8 identities (first performance, then the second):
#: browInnerUp r 0.92 -> 0.93 / 0.82 -> 0.85, mouthFunnel 0.93 -> 0.94 / 0.90 -> 0.92, mouthPucker 0.95 -> 0.94 /
#: 0.88 -> 0.91; 16 or 24 identities measured the same within 0.01. ICT-FaceKit identity coefficients drawn once
#: (``numpy.random.default_rng(POSE_IDENTITY_SEED).normal(0, POSE_IDENTITY_SPREAD)`` on the first
#: :data:`POSE_IDENTITY_MODES` modes), faces about as far from the mean as the round trip's.
POSE_IDENTITIES = 8
POSE_IDENTITY_MODES = 6
POSE_IDENTITY_SPREAD = 1.5
POSE_IDENTITY_SEED = 7
#: Bending modes kept besides the mean: the principal components (SVD, uncentred) of the :data:`POSE_TURNS` residuals
#: of every face the mean is over. The mean is one bend per turn; a face bends its own way, mostly above the eyes
#: (MediaPipe's forehead and brows slide with a turn by face-dependent amounts), which the mean leaves to the brow
#: channels. The brows are solved with the modes in place of the mean, the rest of the face with the mean (on the
#: mouth the mean measured better, see :data:`.solve.BEND_MODE_CHANNELS`). Round trip, first performance, 2 / 3 / 4 /
#: 5 / 6 modes: browInnerUp r 0.951 / 0.963 / 0.966 / 0.966 / 0.965, browDownRight 0.55 / 0.46 / 0.41 / 0.57 / 0.54
#: (the mean: 0.958, 0.41).
BEND_MODES = 5
#: Side of the square renders, pixels (the Face Landmarker sees a face crop at 256 px).
RENDER_SIZE = 384
#: Skin colour, sRGB.
SKIN = (0.8, 0.62, 0.52)
#: Template parts drawn in their own colour (sRGB): eyes and mouth interior dark, teeth light, as a camera sees them.
PART_COLOURS = {
    "eyeball_left": (0.25, 0.2, 0.18),
    "eyeball_right": (0.25, 0.2, 0.18),
    "mouth_socket": (0.3, 0.1, 0.1),
    "gums_and_tongue": (0.55, 0.25, 0.25),
    "teeth": (0.9, 0.9, 0.85),
}
#: Lip colour (sRGB): closed lips the colour of the skin hide a pucker from any tracker.
LIP_COLOUR = (0.62, 0.3, 0.3)
#: Eyebrow colour (sRGB): a brow without its hair shows a raise only as shading, which MediaPipe barely follows
#: (on a skin-coloured forehead its browInnerUp score never rose above 0.04).
BROW_COLOUR = (0.3, 0.2, 0.14)
#: Template parts not drawn (thin shells over the eyes that a render would show as grey films).
HIDDEN_PARTS = (
    "eyelashes_left",
    "eyelashes_right",
    "eye_occlusion_left",
    "eye_occlusion_right",
    "lacrimal_fluid_left",
    "lacrimal_fluid_right",
    "eye_blend_left",
    "eye_blend_right",
)
_LIPS = topo.LIPS_UPPER_OUTER + topo.LIPS_LOWER_OUTER + topo.LIPS_UPPER_INNER + topo.LIPS_LOWER_INNER
#: Eyebrows as (upper chain, lower chain) pairs; a brow is the band between its chains, widened by :data:`BROW_MARGIN`.
_BROWS = ((topo.RIGHT_EYEBROW_UPPER, topo.RIGHT_EYEBROW_LOWER), (topo.LEFT_EYEBROW_UPPER, topo.LEFT_EYEBROW_LOWER))
#: Distance (template units, metres: 2 mm) around the band between a brow's landmark chains that is drawn as brow.
BROW_MARGIN = 0.002


def _landmark_points(template, vertices, landmarks):
    triangle, barycentric, _ = landmarks
    return interpolate_on_surface(vertices, template.triangles, triangle, barycentric)


def _lip_vertices(template, vertices, landmarks):
    """``(V,) bool``: face vertices whose nearest of the 468 mesh landmarks (placed on ``vertices``) is a lip
    landmark."""
    from scipy.spatial import cKDTree

    on_surface = landmarks[2][:468]
    points = _landmark_points(template, vertices, landmarks)[:468]
    lips = np.zeros(468, bool)
    lips[list(_LIPS)] = True
    nearest = cKDTree(points[on_surface]).query(vertices)[1]
    return lips[np.flatnonzero(on_surface)[nearest]] & _face(template, len(vertices))


def _brow_vertices(template, vertices, landmarks):
    """``(V,) bool``: face vertices within :data:`BROW_MARGIN` of a brow's band (its upper and lower landmark chains
    and the surface between, sampled)."""
    from scipy.spatial import cKDTree

    points = _landmark_points(template, vertices, landmarks)
    across = np.linspace(0.0, 1.0, 5)[:, None, None]
    along = np.linspace(0.0, 1.0, 8, endpoint=False)[:, None, None]
    samples = []
    for upper, lower in _BROWS:
        rows = (1.0 - across) * points[list(upper)] + across * points[list(lower)]  # (5, 5 landmarks, 3)
        for row in rows:
            samples.append(((1.0 - along) * row[:-1] + along * row[1:]).reshape(-1, 3))
            samples.append(row[-1:])
    distance = cKDTree(np.concatenate(samples)).query(vertices)[0]
    return (distance < BROW_MARGIN) & _face(template, len(vertices))


def _face(template, count):
    face = np.zeros(count, bool)
    face[slice(*template.parts["face"])] = True
    return face


def face_colours(template, vertices, landmarks):
    """Colours and visibility of the template's vertices for a camera-like render: ``(colours (V, 3) float64 sRGB,
    shown (V,) bool)``. ``vertices`` ``(V, 3)``: the template in any identity; ``landmarks``: the template's
    ``(triangle, barycentric, on_surface)`` (:func:`facemotion.core.rig.autorig.template_landmarks`), which say where
    lips and brows are (ICT-FaceKit's face is one part)."""
    colours = np.tile(np.array(SKIN), (len(vertices), 1))
    for part, colour in PART_COLOURS.items():
        colours[slice(*template.parts[part])] = colour
    colours[_lip_vertices(template, vertices, landmarks)] = LIP_COLOUR
    colours[_brow_vertices(template, vertices, landmarks)] = BROW_COLOUR
    shown = np.ones(len(vertices), bool)
    for part in HIDDEN_PARTS:
        shown[slice(*template.parts[part])] = False
    return colours, shown


def observed_basis_file(template):
    """Cache file name ``<template>_observed_basis_<digest>.npz``; the digest (16 hex digits) covers the template's
    vertex count, MediaPipe's model (pinned sha256), the template's landmarks (their own cache file name, which
    covers the sources that place them: the basis is rendered with lips and brows coloured where they are and aligned
    on them) and the sources that make the basis (this module, the renderer, the landmark detector, the solve's
    alignment)."""
    from ..rig.autorig import template_landmarks_file

    digest = hashlib.sha256(
        f"{template.name}:{len(template.vertices)}:{AMPLITUDES}:{POSE_TURNS}:{RENDER_SIZE}:"
        f"{POSE_IDENTITIES}:{POSE_IDENTITY_MODES}:{POSE_IDENTITY_SPREAD}:{POSE_IDENTITY_SEED}:{BEND_MODES}".encode()
    )
    digest.update(assets.asset_info("mediapipe/face_landmarker.task").sha256.encode())
    digest.update(template_landmarks_file(template).encode())
    core = Path(__file__).resolve().parents[1]
    sources = ("capture/landmark_basis.py", "capture/solve.py", "detect/rasterize.py", "detect/landmarks.py")
    for path in (core / source for source in sources):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{template.name.lower()}_observed_basis_{digest.hexdigest()[:16]}.npz"


def face_observer(template, landmarks, locate, detector=None, shift=(0.0, 0.0, 1.0)):
    """``observe(vertices, expressions=True)``: one face of the template's topology (``vertices`` ``(V, 3)``, e.g.
    :meth:`~facemotion.core.rig.template.FaceTemplate.with_identity`) rendered frontal as a camera sees it
    (:func:`face_colours`, framed as itself, the framing moved by ``shift``: ``(x, y)`` pixels and a scale of the
    framed width, which measures how much MediaPipe's sub-pixel search moves the basis: ``tools/
    capture_basis_variants.py``), detected and located (``locate``, as in :func:`observe_shapes`):
    ``(rest (478, 3), motion (478, 52, 3) or None, residuals (478, P, 3))`` float64, template units: the neutral's
    aligned landmarks, each shape's motion per unit weight (the least-squares slope over :data:`AMPLITUDES`; None
    when ``expressions`` is false) and each :data:`POSE_TURNS` turn's residual. Raises NoFaceError when the neutral,
    or a turned neutral, shows no face; a shape whose renders show none or that the template lacks keeps zero."""
    from ..detect.landmarks import default_detector
    from ..detect.rasterize import OrthoCamera, render
    from ..errors import NoFaceError

    detector = detector or default_detector()
    zero = np.zeros(len(template.deltas))
    amplitudes = np.asarray(AMPLITUDES, dtype=np.float64)

    def observe(vertices, expressions=True):
        vertices = np.asarray(vertices, dtype=np.float64)
        colours, shown = face_colours(template, vertices, landmarks)
        triangles = template.triangles[shown[template.triangles].all(axis=1)]
        face = vertices[slice(*template.parts["face"])]
        camera = OrthoCamera.framing(
            face, view_dir=(0.0, 0.0, -1.0), up=(0.0, 1.0, 0.0), size=(RENDER_SIZE, RENDER_SIZE), margin=1.3
        )
        if tuple(shift) != (0.0, 0.0, 1.0):
            pixel = 2.0 * camera.half_width / RENDER_SIZE
            moved = camera.centre + pixel * (shift[0] * camera.rotation[0] + shift[1] * camera.rotation[1])
            camera = dataclasses.replace(camera, centre=moved, half_width=camera.half_width * shift[2])
        centre = face.mean(axis=0)

        def seen(weights, turn=None):
            posed = vertices + np.tensordot(weights, template.deltas, axes=1)
            if turn is not None:
                posed = (posed - centre) @ turn.T + centre
            image = render(posed, triangles, camera, vertex_colors=colours, background=(0.15, 0.15, 0.17)).image
            faces = detector.detect(image)
            return locate(faces[0]) if faces else None

        rest = seen(zero)
        if rest is None:
            raise NoFaceError("MediaPipe finds no face on a neutral render of the template")
        residuals = np.zeros((len(rest), len(POSE_TURNS), 3))
        for k, (axis, degrees) in enumerate(POSE_TURNS):
            turned = seen(zero, Rotation.from_euler(axis, degrees, degrees=True).as_matrix())
            if turned is None:
                raise NoFaceError(f"MediaPipe finds no face on a head turned {degrees} degrees about {axis}")
            residuals[:, k] = turned - rest
        if not expressions:
            return rest, None, residuals
        motion = np.zeros((len(rest), len(template.deltas), 3))
        for k in range(len(template.deltas)):
            if not np.any(template.deltas[k]):
                continue  # a shape the template lacks (ICT: tongueOut)
            moved = [seen(np.where(np.arange(len(zero)) == k, amplitude, 0.0)) for amplitude in amplitudes]
            if any(m is None for m in moved):
                continue
            # Least-squares slope through the neutral: sum_a a (x_a - rest) / sum_a a^2.
            motion[:, k] = np.tensordot(amplitudes, np.stack(moved) - rest, axes=1) / (amplitudes @ amplitudes)
        return rest, motion, residuals

    return observe


def observe_shapes(template, landmarks, locate, detector=None):
    """Render and detect the template's shapes (see the module docstring).

    Args:
        template: a :class:`facemotion.core.rig.template.FaceTemplate`.
        landmarks: its ``(triangle, barycentric, on_surface)``.
        locate: a detected :class:`facemotion.core.detect.landmarks.FaceLandmarks` -> its ``(478, 3)`` landmarks in
            the template's frame (:meth:`.solve.LandmarkSolver.locate`).
        detector: a :class:`facemotion.core.detect.landmarks.FaceLandmarkDetector` (default: the shared one).

    Returns ``(rest (478, 3) float64, motion (478, 52, 3) float64, pose (478, P, 3) float64, modes (478, M, 3)
    float64)``: the neutral's aligned landmarks, each shape's landmark motion per unit weight, the residual motion of
    each of :data:`POSE_TURNS` (template units), the mean over the template and :func:`pose_identities` (each rendered
    and framed as itself), and those residuals' :func:`bending_modes`.
    Raises NoFaceError when a neutral render, or a turned one, shows no face; a shape whose renders show none (none of
    ICT's) or that the template lacks keeps zero motion.
    """
    observe = face_observer(template, landmarks, locate, detector)
    rest, motion, own = observe(template.vertices)
    residuals = np.stack([own] + [observe(template.with_identity(c), False)[2] for c in pose_identities(template)])
    return rest, motion, residuals.mean(axis=0), bending_modes(residuals)


def bending_modes(residuals):
    """The first :data:`BEND_MODES` principal components (uncentred SVD) of head-turn residuals ``(F, L, P, 3)``
    (F faces, L landmarks, P turns): ``(L, M, 3) float64``, each scaled by the largest coefficient a rendered turn has
    on it, so that a coefficient of 1 is as much of the mode as a :data:`POSE_TURNS` turn shows (the mean's units).
    A mode's sign is arbitrary: the solve bounds its coefficient symmetrically."""
    faces, count, turns, _ = residuals.shape
    rows = residuals.transpose(0, 2, 1, 3).reshape(faces * turns, count * 3)
    _, _, vt = np.linalg.svd(rows, full_matrices=False)
    components = vt[:BEND_MODES]
    scale = np.abs(rows @ components.T).max(axis=0)
    return (components * scale[:, None]).reshape(len(components), count, 3).transpose(1, 0, 2)


def pose_identities(template):
    """``(I, POSE_IDENTITY_MODES) float64`` identity coefficients of the faces whose head turns the basis averages
    besides the template's (:data:`POSE_IDENTITIES`); ``(0, ...)`` for a template with fewer identity modes."""
    modes = 0 if template.identity_modes is None else len(template.identity_modes)
    if modes < POSE_IDENTITY_MODES:
        return np.zeros((0, POSE_IDENTITY_MODES))
    rng = np.random.default_rng(POSE_IDENTITY_SEED)
    return rng.normal(0.0, POSE_IDENTITY_SPREAD, (POSE_IDENTITIES, POSE_IDENTITY_MODES))


def observed_basis(template, landmarks, locate):
    """:func:`observe_shapes`, read from the extension's bundled assets or the user cache when there
    (:func:`observed_basis_file`), else built and cached in the user cache; same returns."""
    name = observed_basis_file(template)
    for path in (assets.bundled_assets_dir() / name, assets.cache_dir() / name):
        if path.exists():
            with np.load(path) as data:
                return data["rest"], data["motion"], data["pose"], data["modes"]
    rest, motion, pose, modes = observe_shapes(template, landmarks, locate)
    with assets.atomic_output(assets.cache_dir() / name, output=False) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, rest=rest, motion=motion, pose=pose, modes=modes)
    return rest, motion, pose, modes
