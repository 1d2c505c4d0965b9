"""Small data and helpers shared by the tests that drive Blender (imported as a plain module: tests/ is on sys.path)."""

import numpy as np

#: A closed cube (8 vertices, 6 quads): a valid mesh with faces, but no face for MediaPipe to find.
CUBE_OBJ = """# a closed cube
v -1 -1 -1
v 1 -1 -1
v 1 1 -1
v -1 1 -1
v -1 -1 1
v 1 -1 1
v 1 1 1
v -1 1 1
f 1 4 3 2
f 5 6 7 8
f 1 2 6 5
f 2 3 7 6
f 3 4 8 7
f 4 1 5 8
"""


def shape_key_co(obj, name):
    """``(V, 3) float32`` coordinates of ``obj``'s shape key ``name``."""
    block = obj.data.shape_keys.key_blocks[name]
    co = np.empty(len(block.data) * 3, dtype=np.float32)
    block.data.foreach_get("co", co)
    return co.reshape(-1, 3)
