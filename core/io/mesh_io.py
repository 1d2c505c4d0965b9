# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading Wavefront OBJ meshes into numpy (the one OBJ reader of ``core``).

Blender's own importers handle user files inside Blender; this reader exists so that ``core`` can load the
ICT-FaceKit and MediaPipe template OBJs (and test meshes) without bpy.
"""

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import InputError


@dataclass
class PolygonMesh:
    """A polygon mesh as numpy arrays.

    Attributes:
        vertices: ``(V, 3) float64`` positions in the file's units.
        triangles: ``(T, 3) int64`` vertex indices, polygons fan-triangulated in file order.
        triangle_polygon: ``(T,) int64`` index of the source polygon of each triangle.
        n_polygons: number of polygons in the file.
    """

    vertices: np.ndarray
    triangles: np.ndarray
    triangle_polygon: np.ndarray
    n_polygons: int


def _parse_xyz(rows):
    """``(N, 3) float64`` from ``v`` records holding exactly three numbers each, parsed in one C call (numpy's text
    parser, ~3x faster than splitting every line: the ICT-FaceKit template is 74 OBJs); None when any record holds
    something else (vertex colours, a malformed number), for the line-by-line path."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy warns, not raises, on text it cannot parse
        try:
            values = np.fromstring(" ".join(rows), dtype=np.float64, sep=" ")
        except (ValueError, DeprecationWarning):
            return None
    return values.reshape(-1, 3) if values.size == 3 * len(rows) else None


def read_obj(path, *, vertices_only=False):
    """Read a Wavefront OBJ file.

    Only ``v`` and ``f`` records are used (texture/normal indices after ``/`` are ignored; negative, i.e. relative,
    indices are resolved). Polygons with more than three corners are fan-triangulated.

    Args:
        path: file path.
        vertices_only: skip faces (fast path for ICT-FaceKit expression/identity OBJs that share one topology).

    Returns:
        :class:`PolygonMesh` (``triangles`` empty when ``vertices_only``).

    Raises:
        InputError: the file is missing, unreadable, has no vertices, or a face references a missing vertex.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: cannot read OBJ file ({exc.strerror or exc})") from None
    vertex_rows = []
    polygons = []
    for line in text.splitlines():
        if line.startswith("v "):
            vertex_rows.append(line[2:])
        elif not vertices_only and line.startswith("f "):
            polygons.append([int(token.split("/", 1)[0]) for token in line[2:].split()])
    if not vertex_rows:
        raise InputError(f"{path}: no vertices found; is this a Wavefront OBJ mesh?")
    vertices = _parse_xyz(vertex_rows)
    if vertices is None:
        try:
            vertices = np.array([row.split()[:3] for row in vertex_rows], dtype=np.float64)
        except ValueError:
            raise InputError(f"{path}: malformed vertex line in OBJ file") from None
    n_vertices = len(vertices)
    tris, owner = [], []
    for p, poly in enumerate(polygons):
        idx = [i - 1 if i > 0 else n_vertices + i for i in poly]
        for k in range(1, len(idx) - 1):
            tris.append((idx[0], idx[k], idx[k + 1]))
            owner.append(p)
    triangles = np.asarray(tris, dtype=np.int64).reshape(-1, 3)
    if len(triangles) and (triangles.min() < 0 or triangles.max() >= n_vertices):
        raise InputError(f"{path}: a face references a vertex that does not exist")
    return PolygonMesh(vertices, triangles, np.asarray(owner, dtype=np.int64), len(polygons))
