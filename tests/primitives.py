# SPDX-License-Identifier: GPL-3.0-or-later
"""Small meshes the tests build by hand (imported as a plain module: tests/ is on sys.path)."""

import numpy as np

#: The 12 triangles of :func:`cube_mesh`, counter-clockwise seen from outside.
CUBE_TRIANGLES = np.array(
    [
        [0, 1, 3],
        [0, 3, 2],
        [4, 6, 7],
        [4, 7, 5],
        [0, 4, 5],
        [0, 5, 1],
        [2, 3, 7],
        [2, 7, 6],
        [0, 2, 6],
        [0, 6, 4],
        [1, 5, 7],
        [1, 7, 3],
    ]
)


def cube_mesh(half=1.0, centre=(0.0, 0.0, 0.0)):
    """Closed axis-aligned cube: ``(vertices (8, 3) float64, triangles (12, 3) int)``, outward winding; corner ``i``
    is ``centre + half * (±1, ±1, ±1)`` with x, then y, then z as the bits of ``i`` (x slowest)."""
    signs = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
    return np.asarray(centre, dtype=np.float64) + half * signs, CUBE_TRIANGLES.copy()
