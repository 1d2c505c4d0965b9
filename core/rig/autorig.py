# SPDX-License-Identifier: GPL-3.0-or-later
"""The auto-rig chain on arrays: mesh -> landmarks -> template fit -> ARKit expression deltas.

Each stage is its own module (:mod:`.mesh_landmarks`, :mod:`.registration`, :mod:`.transfer`); this module only
chains them, times them, and keeps the template's own landmarks cached beside the template.
"""
import time
from dataclasses import dataclass, field

import numpy as np

from ..io import assets
from ..detect.mediapipe_topology import FACE_OVAL, LEFT_IRIS, RIGHT_IRIS
from ..detect.mesh_landmarks import detect_mesh_landmarks
from .registration import fit_template
from .template import load_ict_template
from .transfer import transfer_expressions

#: Landmark weights for the fit: the face-oval landmarks sit on the render's silhouette, where back-projection is
#: least reliable and a target's jaw line may differ most from the template's, so they count less; the iris
#: landmarks land on eyeballs, which a target may not have (they then fall through the eye opening), so they don't
#: count.
_OVAL_WEIGHT = 0.3

TEMPLATE_LANDMARKS_VERSION = 3


@dataclass
class RigResult:
    """Output of :func:`rig_mesh`.

    Attributes:
        deltas: ``(52, N, 3) float32`` ARKit expression displacements of the target's vertices (target units).
        names: the 52 ARKit names.
        empty: ARKit names with no data (reported to the user, e.g. ``tongueOut``).
        landmarks: ``(478, 3) float64`` landmarks used on the target.
        fit: the :class:`facemotion.core.rig.registration.TemplateFit`.
        coverage: ``(N,) float32`` how much each vertex follows the template (0..1).
        timings: stage name -> seconds.
    """

    deltas: np.ndarray
    names: tuple
    empty: tuple
    landmarks: np.ndarray
    fit: object
    coverage: np.ndarray
    timings: dict = field(default_factory=dict)


def landmark_weights():
    """``(478,) float64`` per-landmark weights for the template fit (see ``_OVAL_WEIGHT``)."""
    w = np.ones(478)
    w[list(FACE_OVAL)] = _OVAL_WEIGHT
    w[list(LEFT_IRIS) + list(RIGHT_IRIS)] = 0.0
    return w


def template_landmarks(template):
    """Where MediaPipe's 478 landmarks lie on the template: ``(triangle (478,) int64, barycentric (478, 3),
    on_surface (478,) bool)`` (see :class:`facemotion.core.detect.mesh_landmarks.MeshLandmarks`).

    Found once with the same render-and-detect path as any user mesh (:func:`detect_mesh_landmarks` on the whole
    template neutral, eyes and teeth included, as a user's head would be), so the detector's biases are the same on
    both sides of the fit; cached beside the template. As a surface embedding, the landmarks follow the template's
    identity modes during the fit.
    """
    name = f"{template.name.lower()}_landmarks_v{TEMPLATE_LANDMARKS_VERSION}.npz"
    for path in (assets.bundled_assets_dir() / name, assets.cache_dir() / name):
        if path.exists():
            with np.load(path) as data:
                if data["n_vertices"] == len(template.vertices):
                    return data["triangle"], data["barycentric"], data["on_surface"]
    found = detect_mesh_landmarks(template.vertices, template.triangles)
    with assets.atomic_output(assets.cache_dir() / name) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, triangle=found.triangle, barycentric=found.barycentric, on_surface=found.on_surface,
                     n_vertices=len(template.vertices))
    return found.triangle, found.barycentric, found.on_surface


def rig_mesh(vertices, triangles, *, landmarks=None, template=None, progress=None):
    """Auto-rig a face mesh with the template's 52 ARKit expressions.

    Args:
        vertices: ``(N, 3)`` target positions (any units/orientation).
        triangles: ``(M, 3) int``.
        landmarks: ``(478, 3)`` target landmarks (e.g. edited by the artist); detected when None.
        template: a :class:`facemotion.core.rig.template.FaceTemplate` (default ICT-FaceKit).
        progress: optional ``progress(fraction, message)``.

    Returns:
        :class:`RigResult`.

    Raises:
        NoFaceError, InputError, AssetError: from the stages (clear one-line messages).
    """
    report = progress or (lambda fraction, message: None)
    timings = {}
    start = time.perf_counter()
    template = template or load_ict_template()
    lm_triangle, lm_barycentric, lm_on_template = template_landmarks(template)
    timings["template"] = time.perf_counter() - start

    vertices = np.asarray(vertices, dtype=np.float64)
    triangles = np.asarray(triangles, dtype=np.int64)
    # Landmarks that are not on a surface on both sides (an eye opening without an eyeball) don't pull the fit.
    weights = landmark_weights() * lm_on_template
    if landmarks is None:
        start = time.perf_counter()
        found = detect_mesh_landmarks(vertices, triangles,
                                      progress=lambda f, m: report(0.5 * f, m))
        landmarks = found.points
        weights = weights * found.on_surface
        timings["landmarks"] = time.perf_counter() - start

    report(0.55, "fitting the template")
    start = time.perf_counter()
    fit = fit_template(template.vertices, template.triangles, lm_triangle, lm_barycentric, vertices, triangles,
                       landmarks, skin=template.skin, identity_modes=template.identity_modes,
                       landmark_weights=weights)
    timings["fit"] = time.perf_counter() - start

    report(0.8, "transferring expressions")
    start = time.perf_counter()
    transfer = transfer_expressions(fit, template, vertices, triangles, landmarks)
    timings["transfer"] = time.perf_counter() - start
    report(1.0, "rigged")
    return RigResult(deltas=transfer.deltas, names=transfer.names, empty=transfer.empty,
                     landmarks=np.asarray(landmarks, dtype=np.float64), fit=fit, coverage=transfer.coverage,
                     timings=timings)
