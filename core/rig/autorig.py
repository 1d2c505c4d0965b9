# SPDX-License-Identifier: GPL-3.0-or-later
"""The auto-rig chain on arrays: mesh -> landmarks -> template fit -> ARKit expression deltas.

Each stage is its own module (:mod:`facemotion.core.detect.mesh_landmarks`, :mod:`.registration`,
:mod:`.transfer`); this module only chains them, times them, and keeps the template's own landmarks cached beside
the template.

Unwelded meshes (a triangle soup, split seams, duplicated vertices with degenerate faces) are welded for the whole
chain (:func:`facemotion.core.geometry.weld_vertices`), and every input vertex takes its welded vertex's delta, so
coincident vertices move together and the surface cannot tear open.
"""

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..detect.mediapipe_topology import FACE_OVAL, LEFT_IRIS, RIGHT_IRIS
from ..detect.mesh_landmarks import detect_mesh_landmarks
from ..errors import InputError
from ..geometry import interpolate_on_surface, weld_vertices
from ..io import assets
from .amplitude import normalise_amplitudes
from .confidence import rig_doubts
from .part_cues import cued_roles
from .parts import ROLE_EYE, ROLE_SKIN, classify_parts
from .registration import fit_template
from .template import load_ict_template
from .transfer import EYE_LOOK_DEGREES, rigid_part_deltas, transfer_expressions

#: Landmark weights for the fit: the face-oval landmarks sit on the render's silhouette, where back-projection is
#: least reliable and a target's jaw line may differ most from the template's, so they count less; the iris
#: landmarks land on eyeballs, which a target may not have (they then fall through the eye opening), so they don't
#: count.
_OVAL_WEIGHT = 0.3

#: The code that finds landmarks on a mesh: the template's cached landmarks are keyed by these files' bytes, so any
#: change to the search invalidates them (a cache left from an earlier version of the search once made the ICT
#: head's self-rig pass a test here and fail on a fresh machine).
_CORE = Path(__file__).resolve().parents[1]
_LANDMARK_SOURCES = (_CORE / "detect", _CORE / "geometry.py")


def template_landmarks_file(template):
    """File name of ``template``'s cached landmarks (in the bundled assets or the user cache):
    ``<name>_landmarks_<digest>.npz``, the digest (16 hex digits) covering the template's vertex count, MediaPipe's
    model (its pinned sha256) and the sources of the landmark search (:data:`_LANDMARK_SOURCES`)."""
    digest = hashlib.sha256(f"{template.name}:{len(template.vertices)}:".encode())
    digest.update(assets.asset_info("mediapipe/face_landmarker.task").sha256.encode())
    files = []
    for source in _LANDMARK_SOURCES:
        files.extend(sorted(source.glob("*.py")) if source.is_dir() else [source])
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{template.name.lower()}_landmarks_{digest.hexdigest()[:16]}.npz"


@dataclass
class RigResult:
    """Output of :func:`rig_mesh`.

    Attributes:
        deltas: ``(52, N, 3) float32`` ARKit expression displacements of the target's vertices (target units);
            coincident vertices (within :data:`facemotion.core.geometry.WELD_TOLERANCE`) have identical deltas.
        names: the 52 ARKit names.
        empty: ARKit names with no data (reported to the user, e.g. ``tongueOut``).
        skipped: ARKit names left empty because the head lacks what they move (a mouth opening, eyeballs:
            :func:`facemotion.core.rig.confidence.rig_doubts`; ``warnings`` says why), in ARKit order.
        landmarks: ``(478, 3) float64`` landmarks used on the target: those given, or the detected ones as far as
            they are trusted (their confidence), the fitted template's for the rest.
        fit: the :class:`facemotion.core.rig.registration.TemplateFit` (on the welded target mesh).
        coverage: ``(N,) float32`` how much each vertex follows the template (0..1).
        timings: stage name -> seconds.
        parts: :class:`facemotion.core.rig.parts.FaceParts` of the target (the caller's vertex numbering): which
            vertices were rigged as skin, eyeballs, upper / lower teeth, tongue, or ignored (far parts, parts the
            caller set to ignore, and loose parts the transfer found on the scalp or neck rather than the face,
            e.g. a hair cap, unless the caller forced their role).
        landmark_score: the face detector's confidence (0..1) in the view the landmarks were detected in; None
            when the landmarks were given.
        warnings: what looked wrong, one sentence each (low detector confidence, no mouth opening, no eyeballs:
            :func:`facemotion.core.rig.confidence.rig_doubts`); the rig proceeded anyway.
    """

    deltas: np.ndarray
    names: tuple
    empty: tuple
    landmarks: np.ndarray
    fit: object
    coverage: np.ndarray
    timings: dict = field(default_factory=dict)
    parts: object = None
    landmark_score: float = None
    warnings: list = field(default_factory=list)
    skipped: tuple = ()


def landmark_weights():
    """``(478,) float64`` per-landmark weights for the template fit (see ``_OVAL_WEIGHT``)."""
    w = np.ones(478)
    w[list(FACE_OVAL)] = _OVAL_WEIGHT
    w[list(LEFT_IRIS) + list(RIGHT_IRIS)] = 0.0
    return w


def template_landmarks(template, progress=None):
    """Where MediaPipe's 478 landmarks lie on the template: ``(triangle (478,) int64, barycentric (478, 3),
    on_surface (478,) bool)`` (see :class:`facemotion.core.detect.mesh_landmarks.MeshLandmarks`).

    Found once with the same render-and-detect path as any user mesh (:func:`detect_mesh_landmarks` on the whole
    template neutral, eyes and teeth included, as a user's head would be), so the detector's biases are the same on
    both sides of the fit; cached beside the template. As a surface embedding, the landmarks follow the template's
    identity modes during the fit.
    """
    name = template_landmarks_file(template)
    for path in (assets.bundled_assets_dir() / name, assets.cache_dir() / name):
        if path.exists():
            with np.load(path) as data:
                if data["n_vertices"] == len(template.vertices):
                    return data["triangle"], data["barycentric"], data["on_surface"]
    found = detect_mesh_landmarks(template.vertices, template.triangles, progress=progress)
    with assets.atomic_output(assets.cache_dir() / name, output=False) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(
                fh,
                triangle=found.triangle,
                barycentric=found.barycentric,
                on_surface=found.on_surface,
                n_vertices=len(template.vertices),
            )
    return found.triangle, found.barycentric, found.on_surface


def rig_mesh(
    vertices, triangles, *, landmarks=None, template=None, progress=None, roles=None, cues=None, gaze=EYE_LOOK_DEGREES
):
    """Auto-rig a face mesh with the template's 52 ARKit expressions.

    Args:
        vertices: ``(N, 3)`` target positions (any units/orientation).
        triangles: ``(M, 3) int``.
        landmarks: ``(478, 3)`` target landmarks (e.g. edited by the artist); detected when None.
        template: a :class:`facemotion.core.rig.template.FaceTemplate` (default ICT-FaceKit).
        progress: optional ``progress(fraction, message)``.
        roles: None or ``(N,) int8`` per-vertex part roles forced by the caller
            (:data:`facemotion.core.rig.parts.ROLE_NAMES`; ``ROLE_AUTO`` = -1 where the loose parts decide, see
            :func:`facemotion.core.rig.parts.classify_parts`). Eyeballs turn rigidly (eyeLook* only), upper teeth
            stay, lower teeth and tongue follow the jaw rigidly, ignored vertices never move.
        cues: None or ``(N,) int8`` the role each vertex's object or material name gives
            (:func:`facemotion.core.rig.part_names.name_role`, -1: none); taken where the geometry confirms it
            (:func:`facemotion.core.rig.part_cues.cued_roles`), below the forced ``roles``.
        gaze: the gaze style, ``(horizontal, vertical)`` degrees the eyeballs turn in eyeLook* at 1.0 (default
            :data:`facemotion.core.rig.transfer.EYE_LOOK_DEGREES`, 30 / 25); ``(0, 0)`` moves the lids only (eyes
            driven by bones or by ARKit's separate eye transforms). Each in 0..60.

    Returns:
        :class:`RigResult`.

    Raises:
        InputError: empty mesh, bad shapes or indices, non-finite coordinates (the message counts the vertices),
            only degenerate faces, roles or cues of the wrong length, roles out of range, gaze not two angles in
            0..60 degrees.
        NoFaceError, AssetError: from the stages (clear one-line messages).
    """
    report = progress or (lambda fraction, message: None)
    timings = {}
    vertices, triangles = _checked_mesh(vertices, triangles)
    if roles is not None:
        roles = np.asarray(roles)
        if roles.shape != (len(vertices),):
            raise InputError(f"roles must have one entry per vertex ({len(vertices)}), got shape {roles.shape}")
    gaze = _checked_gaze(gaze)
    if cues is not None and np.shape(cues) != (len(vertices),):
        raise InputError(f"cues must have one entry per vertex ({len(vertices)}), got shape {np.shape(cues)}")
    start = time.perf_counter()
    report(0.0, "loading the face template")
    template = template or load_ict_template(progress=lambda f, m: report(0.0, m))
    report(0.0, "finding the template's landmarks")
    lm_triangle, lm_barycentric, lm_on_template = template_landmarks(template, progress=lambda f, m: report(0.0, m))
    timings["template"] = time.perf_counter() - start

    start = time.perf_counter()
    # Coincident vertices get one delta: the chain runs on the welded mesh and deltas are gathered back.
    vertices, triangles, index = weld_vertices(vertices, triangles)
    welded = len(vertices) != len(index)
    if len(triangles) == 0:
        raise InputError("mesh has no triangles with three distinct vertices (all faces are degenerate)")
    timings["weld"] = time.perf_counter() - start
    # Landmarks that are not on a surface on both sides (an eye opening without an eyeball) don't pull the fit.
    weights = landmark_weights() * lm_on_template
    found = None
    if landmarks is None:
        start = time.perf_counter()
        found = detect_mesh_landmarks(vertices, triangles, progress=lambda f, m: report(0.5 * f, m))
        # On the surface where trusted, whether MediaPipe's depth agrees with it or not, as the template's own
        # landmarks are (a lip landmark 6 mm in front of one mesh's lips and on the other's moved the lips' contact
        # band and relabelled the mouth corners); blended toward MediaPipe's depth where not, unlanded (landing
        # amplified the detection's jitter, see mesh_landmarks); continuous in the mesh. Off the surface (an eye
        # opening, parted lips) a landmark carries no weight in the fit.
        landmarks = found.points
        weights = weights * found.confidence  # 0 off the surface, falling smoothly toward it
        timings["landmarks"] = time.perf_counter() - start

    report(0.55, "fitting the template")
    start = time.perf_counter()
    fit = fit_template(
        template.vertices,
        template.triangles,
        lm_triangle,
        lm_barycentric,
        vertices,
        triangles,
        landmarks,
        skin=template.skin,
        identity_modes=template.identity_modes,
        landmark_weights=weights,
        progress=lambda f, m: report(0.55 + 0.25 * f, m),
    )
    timings["fit"] = time.perf_counter() - start
    if found is not None:
        # What the parts and the transfer read from the landmarks (the lids' and lips' contour lines, the mouth's
        # contact band) takes each detected landmark as far as it is trusted and the fitted template's landmark for
        # the rest: an untrusted landmark (an eye corner at confidence 0.11) still moved with the detection's
        # jitter, and through the lids' label border a welded soup's eyeSquintLeft by 1.1 % of its peak under a 1e-6
        # perturbation; the fitted template's moves with the whole fit, far less (issue 18). The template's side of
        # those lines is its landmarks on its own surface, so where the detection is not trusted both sides agree.
        fitted = interpolate_on_surface(fit.vertices, template.triangles, lm_triangle, lm_barycentric)
        trust = found.confidence[:, None]
        landmarks = trust * landmarks + (1.0 - trust) * fitted

    report(0.8, "finding eyes, teeth and tongue")
    start = time.perf_counter()
    if welded:
        # A welded vertex takes the strongest forced role (and cue) of the vertices merged into it (auto = -1 loses).
        roles, cues = (None if r is None else _welded_max(r, index, len(vertices)) for r in (roles, cues))
    roles = cued_roles(vertices, triangles, landmarks, roles, cues)
    parts = classify_parts(vertices, triangles, landmarks, roles=roles)
    timings["parts"] = time.perf_counter() - start
    report(0.8, "transferring expressions")
    start = time.perf_counter()
    transfer = transfer_expressions(
        fit,
        template,
        vertices,
        triangles,
        landmarks,
        parts=parts,
        forced=None if roles is None else np.asarray(roles) >= 0,
        rigid_parts=False,
        progress=lambda f, m: report(0.8 + 0.2 * f, m),
    )
    parts = transfer.parts  # skin parts lying off the template's face (hair caps) are left out
    timings["transfer"] = time.perf_counter() - start
    start = time.perf_counter()
    # Each shape moves its feature by the template's share of that feature's size (brows, lids, mouth, nose, jaw).
    amplitudes = normalise_amplitudes(
        transfer.deltas,
        vertices,
        triangles,
        template,
        (lm_triangle, lm_barycentric),
        fit.vertices,
        vertex_mask=parts.roles == ROLE_SKIN,
    )
    # Gains scale every vertex of a shape; eyeballs and teeth must stay rigid: rebuilt, the jaw turned by the gain.
    transfer.deltas = rigid_part_deltas(
        amplitudes.deltas, fit, template, vertices, parts, landmarks, gains=amplitudes.gains, gaze=gaze
    )
    empty = tuple(n for n, d in zip(transfer.names, transfer.deltas) if not d.any())
    timings["amplitude"] = time.perf_counter() - start
    # A head without a mouth opening or eyeballs gets none of the shapes that would tear it, each named.
    warnings, skipped = rig_doubts(
        vertices,
        triangles,
        landmarks,
        None if found is None else found.score,
        eyeballs=bool((parts.roles == ROLE_EYE).any()),
        gaze_turns_eyes=any(gaze),
    )
    skipped = tuple(n for n in skipped if n not in empty)
    transfer.deltas[[transfer.names.index(n) for n in skipped]] = 0.0
    report(1.0, "rigged")
    return RigResult(
        deltas=transfer.deltas[:, index] if welded else transfer.deltas,
        names=transfer.names,
        empty=empty,
        landmarks=np.asarray(landmarks, dtype=np.float64),
        fit=fit,
        coverage=transfer.coverage[index] if welded else transfer.coverage,
        timings=timings,
        parts=parts.remapped(index) if welded else parts,
        landmark_score=None if found is None else float(found.score),
        warnings=warnings,
        skipped=skipped,
    )


#: Largest eyeball turn a gaze style may ask for, degrees (human gaze spans about 45 from straight ahead).
MAX_GAZE_DEGREES = 60.0


def _checked_gaze(gaze):
    """``(horizontal, vertical)`` floats in 0..:data:`MAX_GAZE_DEGREES`, or InputError."""
    try:
        h, v = (float(a) for a in gaze)
    except (TypeError, ValueError):
        raise InputError(f"gaze must be two angles in degrees (horizontal, vertical), got {gaze!r}") from None
    if not (0.0 <= h <= MAX_GAZE_DEGREES and 0.0 <= v <= MAX_GAZE_DEGREES):
        raise InputError(f"gaze angles must be between 0 and {MAX_GAZE_DEGREES:g} degrees, got {h:g} / {v:g}")
    return h, v


def _welded_max(values, index, n):
    """``(n,) int8`` the largest of ``values (N,)`` over the input vertices welded into each of ``n`` vertices."""
    welded = np.full(n, -1, dtype=np.int8)
    np.maximum.at(welded, index, np.asarray(values).astype(np.int8))
    return welded


def _checked_mesh(vertices, triangles):
    """``(vertices (N, 3) float64, triangles (M, 3) int64)`` or InputError (empty, bad shape, non-finite, bad index)."""
    try:
        vertices = np.asarray(vertices, dtype=np.float64)
        triangles = np.asarray(triangles)
    except (TypeError, ValueError):
        raise InputError("mesh vertices must be an (N, 3) array of numbers") from None
    if vertices.ndim != 2 or vertices.shape[1] != 3 or len(vertices) < 3 or triangles.size == 0:
        raise InputError(f"mesh is empty: {len(vertices)} vertices, {len(triangles)} triangles")
    bad = ~np.isfinite(vertices).all(axis=1)
    if bad.any():
        raise InputError(
            f"mesh: {int(bad.sum())} of {len(vertices)} vertices have non-finite (NaN or infinite) "
            f"coordinates, e.g. vertex {int(np.flatnonzero(bad)[0])}; fix or delete them first"
        )
    if triangles.ndim != 2 or triangles.shape[1] != 3 or not np.issubdtype(triangles.dtype, np.integer):
        raise InputError(f"mesh triangles must be an (M, 3) integer array, got shape {triangles.shape}")
    triangles = triangles.astype(np.int64)
    if triangles.min() < 0 or triangles.max() >= len(vertices):
        raise InputError(f"mesh triangles index vertices outside 0..{len(vertices) - 1}")
    return vertices, triangles
