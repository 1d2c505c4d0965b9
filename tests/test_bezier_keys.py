# SPDX-License-Identifier: GPL-3.0-or-later
"""Eased Bezier keys at the timeline's emotion keys and blinks (issue 7): core fitting and Blender's evaluation.

Pure numpy: each easing is reproduced by the handles of one segment (exactly for the cubic ones), blinks are their
own keys, idle noise and a cut fall back to extra keys, and every curve stays within 1e-3 of the per-frame bake.
Real bpy: the keys written by Bake Timeline are evaluated by Blender's own ``FCurve.evaluate`` at every frame.
"""

import bpy
import numpy as np
import pytest
from linear_keys import sparse_key_indices
from test_addon_ui import add_arkit_keys, grid_object, registered, select_only  # noqa: F401 (fixture)

from facemotion.core.animation.keys import (
    HANDLE_FRACTION,
    BezierKeys,
    bezier_keys,
    evaluate_bezier,
    timeline_bezier_keys,
)
from facemotion.core.animation.timeline import (
    BLINK_CLOSE_S,
    BLINK_CLOSED_S,
    BLINK_OPEN_S,
    EASINGS,
    EmotionKey,
    bake_timeline,
    blink_times,
    ease,
)
from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES
from facemotion.core.emotion.presets import preset_weights
from facemotion.core.errors import InputError
from facemotion.facemotion_addon import compat, keyframes, pipeline
from facemotion.facemotion_addon.settings.properties import timeline_settings

SMILE = ARKIT_INDEX["mouthSmileLeft"]


def worst_error(curves, weights):
    frames = np.arange(len(weights))
    return max(float(np.max(np.abs(evaluate_bezier(c, frames) - weights[:, i]))) for i, c in enumerate(curves))


def two_keys(easing, fps=24):
    """neutral at 0 s -> happy (at 0.8, so back's ~10 % overshoot stays below 1) at 2 s over a 1.5 s transition:
    frames 12 .. 48 at 24 fps."""
    timeline = {
        "keys": [EmotionKey(0.0, "neutral"), EmotionKey(2.0, "happy", intensity=0.8, transition=1.5, easing=easing)],
        "fps": fps,
        "duration": 3.0,
        "blinks": False,
    }
    return timeline, bake_timeline(**timeline)


# ------------------------------------------------------------------------------------------------- pure numpy


@pytest.mark.parametrize("easing", EASINGS)
def test_each_easing_is_one_segment_with_keys_at_the_transition(easing):
    timeline, weights = two_keys(easing)
    curves = timeline_bezier_keys(timeline, weights)
    assert worst_error(curves, weights) <= 1e-3
    smile = curves[SMILE]
    target = preset_weights("happy", 0.8)[SMILE]
    # The continuous curve is the easing itself, also between frames (checked at 1/8 frame steps).
    x = np.linspace(12.0, 48.0, 289)
    exact = target * ease(easing, (x - 12.0) / 36.0)
    if easing in ("linear", "ease_in", "ease_out", "ease_in_out", "back"):  # cubics: exact, two keys
        assert smile.frames[1:3].tolist() == [12.0, 48.0] and len(smile) == 4
        np.testing.assert_allclose(evaluate_bezier(smile, x), np.clip(exact, 0, 1), atol=1e-9)
    elif easing == "sine":  # flat handles at 0.364 of the segment: within 2e-4 of the change
        assert len(smile) == 4
        assert np.max(np.abs(evaluate_bezier(smile, x) - exact)) <= 2e-4 * target
        assert smile.handle_right[1, 0] == pytest.approx(12.0 + HANDLE_FRACTION["sine"] * 36.0)
    else:  # smootherstep is no cubic: extra keys, still fewer than linear keys need
        assert 4 < len(smile) < len(sparse_key_indices(weights[:, SMILE].astype(np.float64), 1e-3))
    # A hold meets each transition: flat on the hold's side.
    start, end = smile.frames.tolist().index(12.0), smile.frames.tolist().index(48.0)
    assert smile.handle_left[start, 1] == smile.values[start] and smile.handle_right[end, 1] == smile.values[end]
    # Channels the timeline never moves: one flat curve, first and last frame.
    assert len(curves[ARKIT_INDEX["tongueOut"]]) == 2


def test_handle_types_are_free_where_a_hold_meets_a_slope_and_aligned_where_smooth():
    timeline, weights = two_keys("linear")
    smile = timeline_bezier_keys(timeline, weights)[SMILE]
    assert smile.aligned.tolist() == [True, False, False, True]  # kinks at the linear transition's ends
    timeline, weights = two_keys("ease_in_out")
    assert timeline_bezier_keys(timeline, weights)[SMILE].aligned.all()  # flat on both sides


def test_blinks_are_their_own_four_keys_on_the_eye_curves():
    timeline = {
        "keys": [EmotionKey(0.0, "neutral"), EmotionKey(10.0, "neutral")],
        "fps": 30,
        "duration": 10.0,
        "blinks": True,
        "blink_seed": 4,
        "blink_rate_per_minute": 17.0,
    }
    weights = bake_timeline(**timeline)
    curves = timeline_bezier_keys(timeline, weights)
    assert worst_error(curves, weights) <= 1e-3
    closed = np.floor(blink_times(10.0, 17.0, 4) * 30 + 0.5)
    closed = closed[(closed - BLINK_CLOSE_S * 30 >= 0) & (closed + (BLINK_CLOSED_S + BLINK_OPEN_S) * 30 <= 300)]
    assert len(closed) >= 2
    blink = curves[ARKIT_INDEX["eyeBlinkLeft"]]
    expected = np.sort(np.concatenate([[0.0, 300.0], closed - 3.0, closed, closed + 0.9, closed + 6.0]))
    np.testing.assert_allclose(blink.frames, expected, atol=1e-9)
    np.testing.assert_allclose(blink.values[np.isin(blink.frames, closed)], 1.0)
    # The lids are the only curves that move: every other channel keeps its two keys.
    assert sorted(
        {len(c) for i, c in enumerate(curves) if ARKIT_NAMES[i] not in ("eyeBlinkLeft", "eyeBlinkRight")}
    ) == [2]


def test_noise_overlaps_and_cuts_fall_back_to_extra_keys_within_the_tolerance():
    keys = [
        EmotionKey(0.0, "neutral"),
        EmotionKey(1.0, "surprise", transition=0.8, easing="back"),
        EmotionKey(2.0, "fear", transition=0.0),  # a cut
        EmotionKey(3.5, "happy", transition=1.4, easing="cubic"),
        EmotionKey(4.5, "anger", transition=1.0),
    ]
    timeline = {
        "keys": keys,
        "fps": 25,
        "duration": 5.0,
        "blinks": True,
        "blink_seed": 2,
        "blink_rate_per_minute": 50.0,
        "noise_amplitude": 0.03,
        "noise_seed": 5,
    }
    weights = bake_timeline(**timeline)
    curves = timeline_bezier_keys(timeline, weights)
    assert worst_error(curves, weights) <= 1e-3
    n_bezier = sum(len(c) for c in curves)
    n_linear = sum(len(sparse_key_indices(weights[:, i].astype(np.float64), 1e-3)) for i in range(52))
    assert n_bezier < n_linear < weights.size
    # The cut: the frames either side of 2.0 s are keys (the step cannot be a smooth segment).
    surprise_to_fear = np.abs(preset_weights("fear") - preset_weights("surprise")).argmax()
    assert {49.0, 50.0} <= set(curves[surprise_to_fear].frames.tolist())


def test_bezier_keys_alone_fit_any_curve_and_refuse_bad_input():
    rng = np.random.default_rng(0)
    values = np.clip(np.cumsum(rng.normal(0, 0.02, 300)), 0, 1)  # rough, clipped: many keys, still exact enough
    curve = bezier_keys(values, 1e-3)
    assert curve.frames[0] == 0 and curve.frames[-1] == 299
    assert np.max(np.abs(evaluate_bezier(curve, np.arange(300)) - values)) <= 1e-3
    assert len(bezier_keys(np.full(50, 0.3))) == 2
    assert len(bezier_keys(np.array([0.5]))) == 1
    with pytest.raises(InputError):
        bezier_keys(np.array([0.0, np.nan, 1.0]))
    with pytest.raises(InputError):
        bezier_keys(np.zeros(5), tolerance=0.0)


def test_evaluate_bezier_follows_blenders_rules():
    # Handles longer than the segment are shortened (BKE_fcurve_correct_bezpart) and x(t) = frame is solved.
    curve = BezierKeys(
        np.array([0.0, 10.0]),
        np.array([0.0, 1.0]),
        np.array([[-8.0, 0.0], [2.0, 1.0]]),
        np.array([[8.0, 0.0], [18.0, 1.0]]),
        np.array([True, True]),
    )
    # Scaled by 10 / 16: handles at x 5 and 5, a symmetric S; its middle is at 0.5.
    assert evaluate_bezier(curve, [5.0])[0] == pytest.approx(0.5, abs=1e-12)
    assert evaluate_bezier(curve, [-3.0, 0.005, 9.995, 12.0]).tolist() == [0.0, 0.0, 1.0, 1.0]  # held / on a key


# ------------------------------------------------------------------------------------------------------ bpy


@pytest.fixture
def face(registered):  # noqa: F811
    obj = grid_object()
    add_arkit_keys(obj)
    select_only(obj)
    scene = bpy.context.scene
    scene.render.fps, scene.render.fps_base = 30, 1.0
    return obj


def test_blender_evaluates_the_baked_bezier_keys_within_1e3_at_every_frame(face):
    scene = bpy.context.scene
    timeline = face.facemotion
    for time, emotion, transition, easing in (
        (0.0, "neutral", 0.5, "ease_in_out"),
        (1.0, "happy", 0.9, "sine"),
        (2.0, "surprise", 0.4, "back"),
        (2.5, "fear", 0.0, "linear"),
        (4.0, "sadness", 1.2, "cubic"),
        (5.0, "anger", 0.7, "ease_out"),
    ):
        item = timeline.timeline_keys.add()
        item.time, item.emotion, item.transition, item.easing = time, emotion, transition, easing
    timeline.blink_seed, timeline.blink_rate, timeline.noise_amplitude = 3, 30.0, 0.02
    assert bpy.ops.facemotion.bake_timeline(frame_start=11) == {"FINISHED"}
    settings = timeline_settings(face, scene)
    dense, _ = pipeline.bake_weights(settings)
    curves = timeline_bezier_keys(settings, dense)
    key = face.data.shape_keys
    fcurves = {fc.data_path: fc for fc in compat.action_fcurves(key.animation_data.action, key)}
    worst, ours = 0.0, 0.0
    for column, name in enumerate(ARKIT_NAMES):
        fc = fcurves[keyframes.shape_key_data_path(name)]
        assert len(fc.keyframe_points) == len(curves[column])
        got = np.array([fc.evaluate(11 + f) for f in range(len(dense))])
        worst = max(worst, float(np.max(np.abs(got - dense[:, column]))))
        # The core's model of Blender's evaluation agrees with Blender (float32 storage aside).
        ours = max(ours, float(np.max(np.abs(got - evaluate_bezier(curves[column], np.arange(len(dense)))))))
        points = fc.keyframe_points
        assert {p.interpolation for p in points} == {"BEZIER"}
        assert {p.handle_left_type for p in points} <= {"FREE", "ALIGNED"}
    assert worst <= 1e-3 and ours <= 1e-5
    report = scene.facemotion.last_report
    assert f"{sum(len(c) for c in curves)} Bezier keys" in report
