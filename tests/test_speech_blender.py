# SPDX-License-Identifier: GPL-3.0-or-later
"""Viseme shape keys built from ARKit shape keys, in real bpy."""
import bpy
import numpy as np
import pytest
from blender_fixtures import CUBE_OBJ, shape_key_co

from facemotion.core.errors import FacemotionError
from facemotion.core.speech.visemes import VISEME_ARKIT, VISEME_KEY_NAMES
from facemotion.facemotion_addon import mesh_import
from facemotion.facemotion_addon.shape_keys import write_shape_keys
from facemotion.facemotion_addon.viseme_keys import add_viseme_keys

ARKIT_PART = ("jawOpen", "mouthClose", "mouthPressLeft", "mouthPressRight", "mouthStretchLeft", "mouthPucker")


@pytest.fixture
def rigged_cube(tmp_path):
    bpy.ops.wm.read_factory_settings(use_empty=True)
    path = tmp_path / "cube.obj"
    path.write_text(CUBE_OBJ)
    (obj,) = mesh_import.import_mesh_file(path)
    rng = np.random.default_rng(0)
    deltas = rng.normal(size=(len(ARKIT_PART), len(obj.data.vertices), 3)).astype(np.float32)
    write_shape_keys(obj, deltas, ARKIT_PART)
    yield obj, dict(zip(ARKIT_PART, deltas))
    bpy.ops.wm.read_factory_settings(use_empty=True)


def test_viseme_keys_are_the_table_applied_to_the_arkit_keys(rigged_cube):
    obj, deltas = rigged_cube
    names, missing = add_viseme_keys(obj)
    assert names == list(VISEME_KEY_NAMES)
    assert "mouthStretchRight" in missing and "tongueOut" in missing and "jawOpen" not in missing
    basis = shape_key_co(obj, "Basis")
    for viseme in ("PP", "aa", "U", "sil"):
        expected = sum((value * deltas[name] for name, value in VISEME_ARKIT[viseme].items() if name in deltas),
                       np.zeros_like(basis))
        np.testing.assert_allclose(shape_key_co(obj, f"viseme_{viseme}") - basis, expected, atol=1e-5)


def test_a_users_viseme_key_is_never_overwritten(rigged_cube):
    obj, _ = rigged_cube
    mine = obj.shape_key_add(name="viseme_PP", from_mix=False)
    before = shape_key_co(obj, "viseme_PP").copy()
    with pytest.raises(FacemotionError, match="viseme_PP"):
        add_viseme_keys(obj)
    np.testing.assert_array_equal(shape_key_co(obj, mine.name), before)
    assert "viseme_aa" not in obj.data.shape_keys.key_blocks
