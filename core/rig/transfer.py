# SPDX-License-Identifier: GPL-3.0-or-later
"""Transferring a fitted template's expression deltas onto an arbitrary target mesh.

Every target vertex takes the displacement of its closest point on the fitted template surface (barycentric
interpolation of the template deltas), rotated and scaled from the template frame into the target frame by the
fit's similarity — the correspondence-based form of deformation transfer (Sumner & Popović 2004, "Deformation
transfer for triangle meshes", SIGGRAPH) for a template that already lies on the target. Two refinements make it
work on faces:

* **lips and eyelids kept apart**: closest points must not jump across the mouth or the eye opening (an upper-lip
  vertex sitting 0.1 mm from the lower lip would otherwise open with the jaw). Both meshes are labelled by which
  side of the inner-lip and eyelid mid-lines (from the landmarks) they lie on; a labelled target vertex only
  matches template triangles that carry no vertex of the opposite label.
* **zero where the template has no face**: displacements fade out smoothly with the distance to the template
  surface, so hair, shoulders or accessories far from the fitted face stay still.
"""
from dataclasses import dataclass

import numpy as np

from ..arkit import ARKIT_NAMES
from ..errors import InputError
from ..geometry import MeshProximity, connected_components, face_normals, interpolate_on_surface, vertex_normals
from ..detect.mediapipe_topology import LEFT_EYE_LOWER, LEFT_EYE_UPPER, LIPS_LOWER_INNER, LIPS_UPPER_INNER, \
    RIGHT_EYE_LOWER, RIGHT_EYE_UPPER

#: Region labels; a label ``k`` and its opposite never correspond.
REGION_NONE, UPPER_LIP, LOWER_LIP, UPPER_LID_LEFT, LOWER_LID_LEFT, UPPER_LID_RIGHT, LOWER_LID_RIGHT = range(7)
OPPOSITE = {UPPER_LIP: LOWER_LIP, LOWER_LIP: UPPER_LIP, UPPER_LID_LEFT: LOWER_LID_LEFT,
            LOWER_LID_LEFT: UPPER_LID_LEFT, UPPER_LID_RIGHT: LOWER_LID_RIGHT, LOWER_LID_RIGHT: UPPER_LID_RIGHT}


@dataclass
class ExpressionTransfer:
    """Result of :func:`transfer_expressions`.

    Attributes:
        deltas: ``(52, N, 3) float32`` per-expression displacement of every target vertex, in target units and
            frame, in ARKit order (:data:`facemotion.core.arkit.ARKIT_NAMES`).
        names: the 52 ARKit names.
        empty: names whose deltas are all zero (e.g. ``tongueOut`` from ICT-FaceKit).
        coverage: ``(N,) float32`` in [0, 1]: 1 where the vertex follows the template fully, 0 where it stays still.
        distance: ``(N,) float64`` distance of each target vertex to the fitted template surface (target units).
        labels: ``(N,) int8`` region label of each target vertex (see ``REGION_*`` constants).
    """

    deltas: np.ndarray
    names: tuple
    empty: tuple
    coverage: np.ndarray
    distance: np.ndarray
    labels: np.ndarray


#: Inter-ocular distances within which a target vertex counts as lying on the template's skin.
SKIN_SNAP = 0.05

#: Labelled box around each opening: (padding past each corner, half height), as fractions of the opening's width.
_BANDS = {"mouth": (0.5, 0.6), "eye": (0.3, 0.6)}


def _contour_line(points_2d):
    """Sort a contour's ``(K, 2)`` points by x; return (x, y) arrays for np.interp."""
    order = np.argsort(points_2d[:, 0])
    return points_2d[order, 0], points_2d[order, 1]


def label_regions(points, landmarks):
    """Label points by the side of the mouth / eye openings they lie on.

    Args:
        points: ``(N, 3)`` positions in a face frame with +Y up and the face looking along +Z (the template frame).
        landmarks: ``(478, 3)`` MediaPipe landmarks in the same frame.

    Returns:
        ``(N,) int8`` region labels (``REGION_NONE`` outside the bands).

    Method: the mid-line of an opening is the average of its upper and lower contours (inner lip contours for the
    mouth, lid margins for the eyes) as a function of x, extended flat past the corners; points within a box around
    the opening (:data:`_BANDS`: generous, because teeth, gums and lashes reach past the corners, and away from the
    opening the restriction changes nothing) are labelled upper or lower.
    """
    pts = np.asarray(points, dtype=np.float64)
    labels = np.zeros(len(pts), dtype=np.int8)
    openings = ((LIPS_UPPER_INNER, LIPS_LOWER_INNER, UPPER_LIP, LOWER_LIP, _BANDS["mouth"]),
                (LEFT_EYE_UPPER, LEFT_EYE_LOWER, UPPER_LID_LEFT, LOWER_LID_LEFT, _BANDS["eye"]),
                (RIGHT_EYE_UPPER, RIGHT_EYE_LOWER, UPPER_LID_RIGHT, LOWER_LID_RIGHT, _BANDS["eye"]))
    for upper_idx, lower_idx, upper_label, lower_label, (side_pad, half_height) in openings:
        ux, uy = _contour_line(landmarks[list(upper_idx), :2])
        lx, ly = _contour_line(landmarks[list(lower_idx), :2])
        x0, x1 = min(ux[0], lx[0]), max(ux[-1], lx[-1])
        width = x1 - x0
        x = pts[:, 0]
        mid = 0.5 * (np.interp(x, ux, uy) + np.interp(x, lx, ly))
        inside = ((x > x0 - side_pad * width) & (x < x1 + side_pad * width)
                  & (np.abs(pts[:, 1] - mid) < half_height * width) & (labels == 0))
        labels[inside & (pts[:, 1] >= mid)] = upper_label
        labels[inside & (pts[:, 1] < mid)] = lower_label
    return labels


def _closest_points(fit, template, points, labels, tri_labels, triangle_mask):
    """Closest points on the fitted template (restricted to ``triangle_mask``), a labelled point never matching a
    triangle with a vertex of the opposite label. Returns ``(triangle, barycentric, distance)``."""
    triangle = np.zeros(len(points), dtype=np.int64)
    bary = np.zeros((len(points), 3))
    distance = np.zeros(len(points))
    base = np.ones(len(template.triangles), bool) if triangle_mask is None else triangle_mask
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        allowed = base & ~(tri_labels == OPPOSITE[label]).any(axis=1) if label in OPPOSITE else base
        allowed_idx = np.flatnonzero(allowed)
        hit = MeshProximity(fit.vertices, template.triangles[allowed_idx]).query(points[rows])
        triangle[rows] = allowed_idx[hit.triangle]
        bary[rows] = hit.barycentric
        distance[rows] = hit.distance
    return triangle, bary, distance


def _group_median(values, groups):
    """Median of ``values`` within each group id (``groups`` ints 0..G-1); returns ``(G,)``."""
    order = np.lexsort((values, groups))
    counts = np.bincount(groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    return values[order][starts + counts // 2]


def transfer_expressions(fit, template, target_vertices, target_triangles, target_landmarks, *,
                         full_distance=0.08, zero_distance=0.25, progress=None):
    """Derive the template's 52 ARKit expressions on the target mesh.

    Args:
        fit: :class:`facemotion.core.rig.registration.TemplateFit` of ``template`` to the target.
        template: :class:`facemotion.core.rig.template.FaceTemplate` (deltas in template units/frame).
        target_vertices: ``(N, 3)`` target positions (the frame ``fit`` maps into).
        target_triangles: ``(M, 3) int`` (its connected components tell skin from inner parts).
        target_landmarks: ``(478, 3)`` the target's landmarks: each mesh's lips and lids are split along its own
            landmarks' mid-lines.
        full_distance, zero_distance: distances to the fitted template surface, as fractions of the inter-ocular
            distance, below which a vertex follows fully and beyond which it stays still (smoothstep between).
        progress: optional ``progress(fraction, message)`` (fraction 0..1 of the transfer; also a cancel point).

    Returns:
        :class:`ExpressionTransfer`.

    Raises:
        InputError: empty target, or template and fit disagree in vertex count.
    """
    target = np.asarray(target_vertices, dtype=np.float64)
    if target.ndim != 2 or target.shape[1] != 3 or len(target) == 0:
        raise InputError(f"target mesh has no vertices (shape {target.shape})")
    if fit.vertices.shape != template.vertices.shape:
        raise InputError("template fit and template have different vertex counts")
    landmarks = fit.landmarks
    iod = np.linalg.norm(landmarks[33] - landmarks[263]) * fit.scale  # outer eye corners, in target units

    report = progress or (lambda fraction, message: None)
    report(0.0, "labelling lips and lids")
    template_labels = label_regions(fit.neutral, landmarks)
    target_labels = label_regions(fit.to_template_frame(target), fit.to_template_frame(target_landmarks))
    tri_labels = template_labels[template.triangles]

    # Closest points on the template's skin, and on all its parts. A target vertex lying on the template's skin
    # (within SKIN_SNAP inter-ocular distances, in a component that lies on it as a whole) takes the skin's motion
    # even where an inner part is as close: the closed eye patch of a mask sits right on the template's eyeball.
    # Vertices inside the head (teeth, eyeballs, mouth bag) take the closest part of any kind.
    skin_triangles = template.skin[template.triangles].all(axis=1)
    report(0.1, "closest points on the template's skin")
    on_skin = _closest_points(fit, template, target, target_labels, tri_labels, skin_triangles)
    report(0.4, "closest points on the template's parts")
    on_any = _closest_points(fit, template, target, target_labels, tri_labels, None)
    target_triangles = np.asarray(target_triangles, dtype=np.int64)
    components = connected_components(len(target), target_triangles)
    near_skin = on_skin[2] < SKIN_SNAP * iod
    # Not facing the other way: the mouth bag and eye sockets behind the lips and lids face back into the head
    # (a lid margin, which curls, may still point well away from the template's lid there).
    agree = (vertex_normals(target, target_triangles)
             * face_normals(fit.vertices, template.triangles)[on_skin[0]]).sum(axis=1)
    if np.median(agree[near_skin]) < 0:                     # an inside-out target: flip its normals
        agree = -agree
    use_skin = near_skin & (agree > -0.7) & (_group_median(on_skin[2], components) < SKIN_SNAP * iod)[components]
    triangle, bary, distance = (np.where(use_skin[:, None] if a.ndim == 2 else use_skin, a, b)
                                for a, b in zip(on_skin, on_any))

    r = distance / max(iod, 1e-12)
    s = np.clip((zero_distance - r) / (zero_distance - full_distance), 0.0, 1.0)
    coverage = (s * s * (3 - 2 * s)).astype(np.float32)

    # Template deltas into the target frame: x_target = scale * R @ x_template + t, so d_target = scale * R @ d.
    linear = (fit.scale * fit.rotation).T.astype(np.float32)
    deltas = np.empty((len(ARKIT_NAMES), len(target), 3), dtype=np.float32)
    for k in range(len(ARKIT_NAMES)):
        if k % 13 == 0:
            report(0.7 + 0.3 * k / len(ARKIT_NAMES), "transferring expressions")
        d = interpolate_on_surface(template.deltas[k], template.triangles, triangle, bary)
        deltas[k] = (d.astype(np.float32) @ linear) * coverage[:, None]
    empty = tuple(n for n, d in zip(ARKIT_NAMES, deltas) if not np.any(d))
    return ExpressionTransfer(deltas=deltas, names=ARKIT_NAMES, empty=empty, coverage=coverage,
                              distance=distance, labels=target_labels)
