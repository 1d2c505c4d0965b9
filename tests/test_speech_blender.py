# SPDX-License-Identifier: GPL-3.0-or-later
"""Viseme shape keys built from ARKit shape keys, and the Speak operator (a sound file or a sound strip), in real
bpy."""

import bpy
import numpy as np
import pytest
import speech_samples
from blender_fixtures import CUBE_OBJ, shape_key_co

import facemotion
from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES
from facemotion.core.errors import FacemotionError
from facemotion.core.speech.audio import read_audio
from facemotion.core.speech.talking_face import talking_face
from facemotion.core.speech.visemes import VISEME_ARKIT, VISEME_KEY_NAMES
from facemotion.facemotion_addon import compat, mesh_import
from facemotion.facemotion_addon.settings.properties import settings
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
        expected = sum(
            (value * deltas[name] for name, value in VISEME_ARKIT[viseme].items() if name in deltas),
            np.zeros_like(basis),
        )
        np.testing.assert_allclose(shape_key_co(obj, f"viseme_{viseme}") - basis, expected, atol=1e-5)


def test_a_users_viseme_key_is_never_overwritten(rigged_cube):
    obj, _ = rigged_cube
    mine = obj.shape_key_add(name="viseme_PP", from_mix=False)
    before = shape_key_co(obj, "viseme_PP").copy()
    with pytest.raises(FacemotionError, match="viseme_PP"):
        add_viseme_keys(obj)
    np.testing.assert_array_equal(shape_key_co(obj, mine.name), before)
    assert "viseme_aa" not in obj.data.shape_keys.key_blocks


needs_espeak = pytest.mark.skipif(
    not speech_samples.espeak_available(),
    reason="espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)",
)


@pytest.fixture
def speaking_cube(tmp_path):
    """A registered add-on and a selected cube with all 52 ARKit keys; the Speech panel set to an espeak-ng voice
    and its transcript."""
    bpy.ops.wm.read_factory_settings(use_empty=True)
    facemotion.register()
    path = tmp_path / "cube.obj"
    path.write_text(CUBE_OBJ)
    (obj,) = mesh_import.import_mesh_file(path)
    deltas = np.random.default_rng(1).normal(size=(52, len(obj.data.vertices), 3)).astype(np.float32)
    write_shape_keys(obj, deltas, ARKIT_NAMES)
    obj.select_set(True)
    bpy.context.view_layer.objects.active = obj
    wav = speech_samples.speak_to_wav(speech_samples.EMOTION_TURN, tmp_path / "turn.wav")
    props = settings(bpy.context.scene)
    props.speech_audio, props.speech_transcript = str(wav), speech_samples.EMOTION_TURN
    yield obj, wav
    facemotion.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _curve(obj, name):
    from facemotion.facemotion_addon.keyframes import shape_key_data_path

    key = obj.data.shape_keys
    fcurve = next(
        c for c in compat.action_fcurves(key.animation_data.action, key) if c.data_path == shape_key_data_path(name)
    )
    co = np.empty(len(fcurve.keyframe_points) * 2, np.float32)
    fcurve.keyframe_points.foreach_get("co", co)
    return co.reshape(-1, 2)


@needs_espeak
def test_speak_operator_keys_the_core_result_from_the_scene_start(speaking_cube):
    obj, wav = speaking_cube
    scene = bpy.context.scene
    scene.frame_start = 5
    assert bpy.ops.facemotion.speak() == {"FINISHED"}
    expected = talking_face(
        read_audio(wav)[0], scene.render.fps / scene.render.fps_base, transcript=speech_samples.EMOTION_TURN
    )
    for name in ("jawOpen", "mouthPressLeft", "browDownLeft"):
        curve = _curve(obj, name)
        assert curve[0, 0] == 5
        np.testing.assert_allclose(curve[:, 1], expected.weights[:, ARKIT_INDEX[name]], atol=1e-6)
    assert "joy -> anger" in settings(scene).last_report


@needs_espeak
def test_speak_operator_from_a_sound_strip_onto_viseme_keys(speaking_cube):
    obj, wav = speaking_cube
    scene = bpy.context.scene
    strip = compat.add_sound_strip(scene, "voice", wav, 30)
    if strip is None:  # bpy 4.2's module is built without Audaspace: no sound strip can be made there
        pytest.skip("this Blender cannot make sound strips")
    props = settings(scene)
    props.speech_input, props.speech_strip, props.speech_visemes = "STRIP", strip.name, True
    props.speech_source = "none"
    assert bpy.ops.facemotion.speak() == {"FINISHED"}
    pp = _curve(obj, "viseme_PP")
    assert pp[0, 0] == 30 and pp[:, 1].max() > 0.99
    assert np.abs(_curve(obj, "mouthPressLeft")[:, 1]).max() == 0.0  # lips went on the visemes; emotion none
