# SPDX-License-Identifier: GPL-3.0-or-later
"""What looked wrong on a head, said out loud: a rig proceeds, with a warning per doubt.

* **Low detector confidence**: the face detector's score of the view the landmarks came from below
  :data:`LOW_SCORE`. MediaPipe's BlazeFace scores rendered human heads at about 0.9: the ICT head and its identities
  0.945-0.949, the five strong warps of ``tools/synthetic_heads.py`` 0.902-0.962, the whole character 0.946, and
  MediaPipe's own low-poly, eyeless canonical face 0.805 (measured with ``detect_mesh_landmarks``). The search
  accepts a view from :data:`facemotion.core.detect.mesh_landmarks.MIN_FACE_SCORE` (0.5); between the two the
  detector saw something only face-like (a mask-like head scored 0.59, a stylised or animal head) and the landmarks
  are worth checking.
* **No mouth opening**: the upper and lower lips are one surface (a mask, a sculpt without a mouth slit). Found from
  the surface path between the middles of the upper and lower lips' outer edges (MediaPipe landmarks 0 and 17): a
  mouth that opens has a slit between them, so the path must go round a mouth corner (about a mouth width); joined
  lips give a path barely longer than the straight line. Such a mouth cannot open: the shapes that part the lips
  (:data:`NEEDS_MOUTH_OPENING`) would tear it, so they are left empty and named.
* **No eyeballs**: no part of the head was found to be an eyeball (a mask, a sculpt with closed or painted eyes).
  The eyeLook* shapes exist to turn the eyeballs (:data:`TURNS_EYEBALLS`); without them they drag the eye surface
  sideways, so they are left empty and named, unless the gaze style moves the lids only (``gaze=(0, 0)``: the eyes
  are turned by bones or ARKit's eye transforms elsewhere).

Which shapes tear a sealed mouth was measured on MediaPipe's canonical face (lips one surface) against the same mesh
with its mouth slit opened, rigged from its own landmarks: the largest edge stretch of each shape at 1.0 is 7.2x for
jawOpen and 7.1x for mouthClose (3.1x and 3.5x with the slit opened: the lips part instead), every other shape
within 3.4x on both (mouthFunnel 3.4x / 3.1x). tongueOut needs an opening to come out of.
"""

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

from ..arkit import ARKIT_NAMES

__all__ = [
    "LOW_SCORE",
    "MOUTH_DETOUR",
    "NEEDS_MOUTH_OPENING",
    "TURNS_EYEBALLS",
    "has_mouth_opening",
    "rig_doubts",
]

#: Detector scores below this (and above the search's own cut-off, where it gives up) get a warning.
LOW_SCORE = 0.7
#: A mouth opens when the surface path between the lips' middles is longer than this many straight-line distances.
MOUTH_DETOUR = 2.0
_UPPER_LIP_OUTER_MID, _LOWER_LIP_OUTER_MID, _MOUTH_CORNERS = 0, 17, (61, 291)
#: The ARKit shapes left empty on a head without a mouth opening (module docstring).
NEEDS_MOUTH_OPENING = ("jawOpen", "mouthClose", "tongueOut")
#: The ARKit shapes left empty on a head without eyeballs, unless the gaze moves the lids only.
TURNS_EYEBALLS = tuple(n for n in ARKIT_NAMES if n.startswith("eyeLook"))


def has_mouth_opening(vertices, triangles, landmarks):
    """True when the mesh's lips are separate (module docstring).

    Args:
        vertices: ``(N, 3) float64``; triangles: ``(M, 3) int64``; landmarks: ``(478, 3) float64`` on the mesh.

    Returns:
        bool. Method: Dijkstra's shortest path over the mesh's edges (``scipy.sparse.csgraph``) near the mouth
        (within two mouth widths), from the vertex nearest landmark 0 to the one nearest landmark 17, compared with
        :data:`MOUTH_DETOUR` times their distance.
    """
    v = np.asarray(vertices, dtype=np.float64)
    lm = np.asarray(landmarks, dtype=np.float64)
    width = float(np.linalg.norm(lm[_MOUTH_CORNERS[0]] - lm[_MOUTH_CORNERS[1]]))
    centre = lm[list(_MOUTH_CORNERS)].mean(axis=0)
    near = np.flatnonzero(np.linalg.norm(v - centre, axis=1) < 2.0 * width)
    local = np.full(len(v), -1, dtype=np.int64)
    local[near] = np.arange(len(near))
    tris = local[np.asarray(triangles, dtype=np.int64)]
    tris = tris[(tris >= 0).all(axis=1)]
    if len(tris) == 0:
        return True  # nothing around the mouth to join the lips
    edges = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    p = v[near]
    length = np.linalg.norm(p[edges[:, 0]] - p[edges[:, 1]], axis=1)
    graph = coo_matrix((length, (edges[:, 0], edges[:, 1])), shape=(len(near), len(near))).tocsr()
    _, (upper, lower) = cKDTree(p).query(lm[[_UPPER_LIP_OUTER_MID, _LOWER_LIP_OUTER_MID]])
    straight = float(np.linalg.norm(p[upper] - p[lower]))
    limit = MOUTH_DETOUR * max(straight, 1e-9)
    path = dijkstra(graph, directed=False, indices=int(upper), limit=limit)[int(lower)]
    return not np.isfinite(path)


def rig_doubts(vertices, triangles, landmarks, score, *, eyeballs=True, gaze_turns_eyes=True):
    """What looked wrong on a head and the shapes left empty for it (module docstring).

    Args:
        vertices, triangles, landmarks: the mesh and its landmarks (see :func:`has_mouth_opening`).
        score: the detector's confidence in ``[0, 1]``, or None when the landmarks were given (the artist's own:
            no detector doubt to report).
        eyeballs: whether the rig found eyeball parts on the head.
        gaze_turns_eyes: whether eyeLook* turn the eyeballs (False: the gaze style moves the lids only).

    Returns:
        ``(warnings list[str], skipped tuple[str])``: one sentence per doubt (empty when nothing looked wrong), and
        the ARKit names to leave empty, in :data:`~facemotion.core.arkit.ARKIT_NAMES` order.
    """
    warnings, skipped = [], set()
    if score is not None and score < LOW_SCORE:
        warnings.append(
            f"the face was found with low confidence (detector score {score:.2f}, below {LOW_SCORE:g}; "
            f"human faces score ~0.9): check the landmarks (Detect Landmarks, correct them in Edit Mode)"
        )
    if not has_mouth_opening(vertices, triangles, landmarks):
        warnings.append(
            "no mouth opening found (the upper and lower lips are one surface): "
            f"{', '.join(NEEDS_MOUTH_OPENING)} left empty (they would tear the joined lips)"
        )
        skipped.update(NEEDS_MOUTH_OPENING)
    if not eyeballs and gaze_turns_eyes:
        warnings.append(
            "no eyeballs found: eyeLook* left empty (they turn the eyeballs); set the eyes' Face Part to Eyes, or "
            "use the lids-only gaze (--gaze lids) to keep their lid motion"
        )
        skipped.update(TURNS_EYEBALLS)
    return warnings, tuple(n for n in ARKIT_NAMES if n in skipped)
