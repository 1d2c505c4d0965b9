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
  lips give a path barely longer than the straight line. Such a mouth cannot open: jawOpen and the mouth shapes
  stretch the joined lips.
"""

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

__all__ = ["LOW_SCORE", "MOUTH_DETOUR", "has_mouth_opening", "rig_warnings"]

#: Detector scores below this (and above the search's own cut-off, where it gives up) get a warning.
LOW_SCORE = 0.7
#: A mouth opens when the surface path between the lips' middles is longer than this many straight-line distances.
MOUTH_DETOUR = 2.0
_UPPER_LIP_OUTER_MID, _LOWER_LIP_OUTER_MID, _MOUTH_CORNERS = 0, 17, (61, 291)


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


def rig_warnings(vertices, triangles, landmarks, score):
    """Warnings for a rig (module docstring): ``list[str]``, empty when nothing looked wrong.

    Args:
        vertices, triangles, landmarks: the mesh and its landmarks (see :func:`has_mouth_opening`).
        score: the detector's confidence in ``[0, 1]``, or None when the landmarks were given (the artist's own:
            no detector doubt to report).
    """
    warnings = []
    if score is not None and score < LOW_SCORE:
        warnings.append(
            f"the face was found with low confidence (detector score {score:.2f}, below {LOW_SCORE:g}; "
            f"human faces score ~0.9): check the landmarks (Detect Landmarks, correct them in Edit Mode)"
        )
    if not has_mouth_opening(vertices, triangles, landmarks):
        warnings.append(
            "no mouth opening found (the upper and lower lips are one surface): jawOpen and the mouth "
            "shapes stretch the joined lips"
        )
    return warnings
