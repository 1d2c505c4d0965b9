# SPDX-License-Identifier: GPL-3.0-or-later
"""The 15 Oculus/Meta viseme shape keys (``viseme_sil``, ``viseme_PP`` ...) built from a mesh's ARKit shape keys.

Each viseme key is the table :data:`facemotion.core.speech.visemes.VISEME_ARKIT` applied to the ARKit keys'
offsets (:func:`facemotion.core.speech.visemes.viseme_deltas`), so an engine or avatar SDK that expects visemes
gets the same mouth shapes the ARKit keys make. Written through :func:`.shape_keys.write_shape_keys` (listed as
facemotion's; a user's key of the same name is never overwritten).
"""

import numpy as np

from ..core.arkit import ARKIT_NAMES
from ..core.errors import InputError
from ..core.speech.visemes import VISEME_KEY_NAMES, viseme_deltas
from .bridge import key_block_coords
from .shape_keys import write_shape_keys


def add_viseme_keys(obj, *, replace=False):
    """Add the 15 ``viseme_*`` shape keys to ``obj`` from its ARKit shape keys.

    ``obj``: a mesh object with (some of) the 52 ARKit shape keys, relative to its Basis. ``replace``: overwrite
    viseme keys facemotion made before. Returns ``(names written, ARKit names the table uses that the mesh lacks)``.
    Raises InputError: not a mesh, or no ARKit shape key; FacemotionError: a viseme key name is taken (see
    :func:`.shape_keys.write_shape_keys`).
    """
    if obj is None or obj.type != "MESH":
        raise InputError("viseme shape keys are made on mesh objects only; select a mesh")
    key = obj.data.shape_keys
    blocks = [key.key_blocks[name] for name in ARKIT_NAMES if key is not None and name in key.key_blocks]
    if not blocks:
        raise InputError(f"mesh '{obj.name}' has no ARKit shape keys; rig it first (the visemes are built from them)")
    basis = key_block_coords(key.reference_key)
    deltas = np.stack([key_block_coords(block) - basis for block in blocks])
    visemes, missing = viseme_deltas(deltas, [block.name for block in blocks])
    return write_shape_keys(obj, visemes, VISEME_KEY_NAMES, replace=replace), missing
