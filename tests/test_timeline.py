"""Emotion timelines baked into per-frame ARKit weights (core/animation/timeline.py)."""

import json

import numpy as np
import pytest

from facemotion.core.animation import timeline as tl
from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.emotion.presets import preset_weights
from facemotion.core.errors import TimelineError

K = tl.EmotionKey
SMILE = ARKIT_INDEX["mouthSmileLeft"]
BLINK_L, BLINK_R = ARKIT_INDEX["eyeBlinkLeft"], ARKIT_INDEX["eyeBlinkRight"]
WIDE_L = ARKIT_INDEX["eyeWideLeft"]


def three_keys():
    return [
        K(0.0, "neutral"),
        K(1.5, "happy", intensity=0.8, transition=0.5),
        K(3.0, "surprise", transition=1.0, easing="linear"),
    ]


def test_frame_count_and_shape():
    baked = tl.bake_timeline(three_keys(), 24, 6.0, blinks=False)
    assert baked.shape == (145, 52) and baked.dtype == np.float32
    assert tl.bake_timeline(three_keys(), 30, blinks=False).shape == (91, 52)  # duration = last key time
    assert tl.bake_timeline(three_keys(), 29.97, 2.5, blinks=False).shape == (76, 52)  # round(74.925) + 1
    assert tl.bake_timeline([K(0.0, "happy")], 24, blinks=False).shape == (1, 52)
    assert baked.min() >= 0.0 and baked.max() <= 1.0


def test_exact_pose_at_key_times_and_holds():
    fps = 24
    baked = tl.bake_timeline(three_keys(), fps, 5.0, blinks=False)
    happy, surprise = preset_weights("happy", 0.8), preset_weights("surprise")
    np.testing.assert_array_equal(baked[0], np.zeros(52, np.float32))
    np.testing.assert_allclose(baked[36], happy, atol=1e-7)  # t = 1.5 s
    np.testing.assert_allclose(baked[72], surprise, atol=1e-7)  # t = 3.0 s
    # neutral holds until happy's transition starts at 1.0 s (frame 24)
    assert not baked[:25].any()
    assert baked[25, SMILE] > 0
    # happy holds from 1.5 s until surprise's transition starts at 2.0 s (frame 48)
    for f in range(36, 49):
        np.testing.assert_allclose(baked[f], happy, atol=1e-7)
    # surprise holds after the last key, to the end of the requested duration
    for f in range(72, 121):
        np.testing.assert_allclose(baked[f], surprise, atol=1e-7)


def test_first_key_pose_holds_from_zero():
    baked = tl.bake_timeline([K(1.0, "sad", transition=0.5), K(2.0, "happy")], 10, blinks=False)
    for f in range(0, 11):
        np.testing.assert_allclose(baked[f], preset_weights("sad"), atol=1e-7)


def test_linear_transition_is_the_ecavatar_cross_fade():
    fps = 20
    baked = tl.bake_timeline([K(0.0, "sad"), K(2.0, "happy", transition=1.0, easing="linear")], fps, blinks=False)
    sad, happy = preset_weights("sad").astype(np.float64), preset_weights("happy").astype(np.float64)
    for f in range(20, 41):  # the transition runs from 1.0 s to 2.0 s
        s = (f / fps - 1.0) / 1.0
        np.testing.assert_allclose(baked[f], (1 - s) * sad + s * happy, atol=1e-6)


def test_zero_transition_is_a_cut():
    baked = tl.bake_timeline([K(0.0, "neutral"), K(1.0, "anger", transition=0.0)], 10, blinks=False)
    assert not baked[9].any()
    np.testing.assert_allclose(baked[10], preset_weights("anger"), atol=1e-7)


@pytest.mark.parametrize("easing", [e for e in tl.EASINGS if e != "back"])
def test_eased_transitions_are_monotone(easing):
    keys = [K(0.0, "neutral"), K(2.0, "happy", transition=1.5, easing=easing)]
    smile = tl.bake_timeline(keys, 48, blinks=False)[:, SMILE]
    steps = np.diff(smile)
    assert np.all(steps >= -1e-7)
    assert np.all(steps[int(0.5 * 48) + 2 : 96 - 2] > 0)  # strictly rising inside the transition
    assert smile[0] == 0.0 and smile[-1] == pytest.approx(preset_weights("happy")[SMILE])


def test_easing_endpoints_and_shapes():
    s = np.linspace(0, 1, 101)
    for name in tl.EASINGS:
        assert tl.ease(name, 0.0) == pytest.approx(0.0, abs=1e-12), name
        assert tl.ease(name, 1.0) == pytest.approx(1.0, abs=1e-12), name
    assert tl.ease("ease_in", 0.25) < 0.25 < tl.ease("ease_out", 0.25)
    np.testing.assert_allclose(tl.ease("ease_in_out", s) + tl.ease("ease_in_out", 1 - s), 1.0)  # symmetric
    assert tl.ease("ease_in_out", 0.5) == pytest.approx(0.5)
    # smootherstep and smoothstep start flat: slower than linear near 0
    assert tl.ease("cubic", 0.1) < tl.ease("ease_in_out", 0.1) < 0.1
    assert tl.ease("back", s).max() > 1.05  # overshoot
    with pytest.raises(TimelineError, match="bounce"):
        tl.ease("bounce", 0.5)


def test_back_overshoot_stays_in_range():
    baked = tl.bake_timeline([K(0.0, "neutral"), K(1.0, "happy", transition=1.0, easing="back")], 60, blinks=False)
    assert baked.max() <= 1.0 and baked.min() >= 0.0
    cheek = ARKIT_INDEX["cheekSquintLeft"]  # below 1 at the target (the smile is at 1, where clipping stops it)
    assert baked[:, cheek].max() > preset_weights("happy")[cheek] + 0.01  # it does overshoot the target


def test_explicit_weights_key_and_at_frame():
    photo = np.zeros(52, np.float32)
    photo[ARKIT_INDEX["jawOpen"]] = 0.4
    keys = [K(0.0, "neutral"), K.at_frame(7, 30, weights=photo, intensity=0.5, transition=0.1, label="photo")]
    assert keys[1].time == 7 / 30
    baked = tl.bake_timeline(keys, 30, 1.0, blinks=False)
    np.testing.assert_allclose(baked[7], 0.5 * photo, atol=1e-7)
    np.testing.assert_allclose(baked[30], 0.5 * photo, atol=1e-7)


# --- blinks -------------------------------------------------------------------------------------------------------


def test_blink_times_reproducible_and_seed_dependent():
    a = tl.blink_times(30.0, 17.0, seed=7)
    np.testing.assert_array_equal(a, tl.blink_times(30.0, 17.0, seed=7))
    b = tl.blink_times(30.0, 17.0, seed=8)
    assert len(a) != len(b) or not np.allclose(a, b)
    assert np.all(np.diff(a) >= 1.0) and a[0] >= 1.0 and a[-1] <= 30.0  # minimum gap 1 s
    assert len(tl.blink_times(30.0, 0.0)) == 0


def test_blink_count_matches_rate():
    counts = [len(tl.blink_times(60.0, 17.0, seed=s)) for s in range(40)]
    assert 15.0 <= np.mean(counts) <= 19.0
    assert min(counts) >= 8 and max(counts) <= 28
    fast = np.mean([len(tl.blink_times(60.0, 26.0, seed=s)) for s in range(40)])
    assert 23.0 <= fast <= 29.0


def test_baked_blinks_close_fully_at_the_blink_times():
    fps, duration, seed = 24, 20.0, 5
    baked = tl.bake_timeline([K(0.0, "neutral")], fps, duration, blink_seed=seed)
    times = tl.blink_times(duration, 17.0, seed)
    assert len(times) >= 3
    closed = baked[:, BLINK_L] == 1.0
    runs = np.flatnonzero(np.diff(closed.astype(int)) == 1) + 1
    assert len(runs) == len(times)
    for t in times:
        frame = int(np.floor(t * fps + 0.5))
        assert baked[frame, BLINK_L] == 1.0 and baked[frame, BLINK_R] == 1.0
        # the whole blink lasts ~0.3 s: open again 0.35 s after, and before 0.15 s before
        assert baked[min(frame + int(0.35 * fps), len(baked) - 1), BLINK_L] == 0.0
        assert baked[frame - int(0.15 * fps), BLINK_L] == 0.0
    # only the eyelid channels change
    other = np.ones(52, bool)
    other[[BLINK_L, BLINK_R]] = False
    assert not baked[:, other].any()


def test_blinks_reproducible_different_seed_and_disabled():
    keys = three_keys()
    a = tl.bake_timeline(keys, 24, 20.0, blink_seed=1)
    np.testing.assert_array_equal(a, tl.bake_timeline(keys, 24, 20.0, blink_seed=1))
    assert not np.array_equal(a, tl.bake_timeline(keys, 24, 20.0, blink_seed=2))
    off = tl.bake_timeline(keys, 24, 20.0, blinks=False)
    assert not off[:, [BLINK_L, BLINK_R]].any()
    assert a[:, BLINK_L].max() == 1.0
    np.testing.assert_array_equal(off, tl.pose_track(keys, 24, 20.0))


def test_blinks_on_top_of_closed_and_widened_eyes():
    closed = np.zeros(52, np.float32)
    closed[[BLINK_L, BLINK_R]] = 1.0
    baked = tl.bake_timeline([K(0.0, weights=closed)], 24, 30.0, blink_seed=3)
    assert np.all(baked[:, BLINK_L] == 1.0)  # already closed: the blink adds nothing and never exceeds 1

    half = closed * 0.5
    baked = tl.bake_timeline([K(0.0, weights=half)], 24, 30.0, blink_seed=3)
    assert baked[:, BLINK_L].min() == pytest.approx(0.5) and baked[:, BLINK_L].max() == 1.0

    fear = tl.bake_timeline([K(0.0, "fear")], 24, 30.0, blink_seed=3)
    shut = fear[:, BLINK_L] == 1.0
    assert shut.any() and np.all(fear[shut, WIDE_L] == 0.0)  # a widened lid does not hold a blink open
    assert fear[~shut, WIDE_L].max() == pytest.approx(preset_weights("fear")[WIDE_L])


# --- noise --------------------------------------------------------------------------------------------------------


def test_noise_bounded_smooth_on_its_channels_and_seeded():
    keys = [K(0.0, "neutral"), K(3.0, "happy", transition=2.0)]
    clean = tl.bake_timeline(keys, 24, 10.0, blinks=False)
    amplitude = 0.05
    noisy = tl.bake_timeline(keys, 24, 10.0, blinks=False, noise_amplitude=amplitude, noise_seed=3)
    diff = noisy.astype(np.float64) - clean
    assert np.abs(diff).max() <= amplitude + 1e-6
    assert noisy.min() >= 0.0 and noisy.max() <= 1.0
    channels = [ARKIT_INDEX[n] for n in tl.NOISE_CHANNELS]
    others = np.setdiff1d(np.arange(52), channels)
    assert not diff[:, others].any()
    assert np.abs(diff[:, channels]).max() > 0.5 * amplitude  # it is really there
    raw = tl.smooth_noise(241, 24, amplitude, seed=3)
    assert np.abs(np.diff(raw, axis=0)).max() <= 0.5 * amplitude + 1e-7  # band-limited, not frame-to-frame jitter
    np.testing.assert_array_equal(
        noisy, tl.bake_timeline(keys, 24, 10.0, blinks=False, noise_amplitude=amplitude, noise_seed=3)
    )
    assert not np.array_equal(
        noisy, tl.bake_timeline(keys, 24, 10.0, blinks=False, noise_amplitude=amplitude, noise_seed=4)
    )


def test_zero_noise_changes_nothing():
    keys = three_keys()
    np.testing.assert_array_equal(
        tl.bake_timeline(keys, 24, 4.0, noise_amplitude=0.0, noise_seed=9), tl.bake_timeline(keys, 24, 4.0)
    )
    assert not tl.smooth_noise(50, 24, 0.0, seed=1).any()
    with pytest.raises(TimelineError, match="amplitude"):
        tl.bake_timeline(keys, 24, noise_amplitude=-0.1)


# --- validation ---------------------------------------------------------------------------------------------------

BAD_TIMELINES = [
    ("unknown emotion", [K(0.0, "neutral"), K(1.25, "hapy")], ["key 1", "1.25", "hapy", "happy"]),
    ("negative time", [K(-0.5, "sad")], ["key 0", "-0.5", "sad", "negative"]),
    ("not increasing", [K(0.0, "neutral"), K(2.0, "sad"), K(2.0, "happy")], ["key 2", "2 s", "happy"]),
    ("overlap", [K(0.0, "neutral"), K(0.75, "fear", transition=1.0)], ["key 1", "0.75", "fear", "overlap"]),
    ("intensity", [K(0.0, "neutral"), K(1.0, "anger", intensity=1.5)], ["key 1", "anger", "intensity"]),
    ("negative intensity", [K(0.0, "anger", intensity=-0.1)], ["key 0", "anger", "intensity"]),
    (
        "weights shape",
        [K(0.0, "neutral"), K(1.0, weights=np.zeros(51), label="photo")],
        ["key 1", "1 s", "photo", "(51,)"],
    ),
    ("weights range", [K(0.0, weights=np.full(52, 2.0))], ["key 0", "[0, 1]"]),
    ("easing", [K(0.0, "neutral"), K(1.0, "joy", easing="bounce")], ["key 1", "joy", "bounce"]),
    ("both", [K(0.0, "joy", weights=np.zeros(52))], ["key 0", "joy", "not both"]),
    ("neither", [K(0.0, "neutral"), K(3.5)], ["key 1", "3.5"]),
    ("negative transition", [K(0.0, "neutral"), K(1.0, "sad", transition=-0.2)], ["key 1", "sad", "negative"]),
]


@pytest.mark.parametrize("case, keys, fragments", BAD_TIMELINES, ids=[c[0] for c in BAD_TIMELINES])
def test_validation_names_the_offending_key(case, keys, fragments):
    with pytest.raises(TimelineError) as info:
        tl.bake_timeline(keys, 24, blinks=False)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, (case, message)


def test_validation_of_fps_duration_and_empty():
    with pytest.raises(TimelineError, match="no keys"):
        tl.bake_timeline([], 24)
    for fps in (0, -24, float("nan")):
        with pytest.raises(TimelineError, match="fps"):
            tl.bake_timeline(three_keys(), fps)
    with pytest.raises(TimelineError, match="duration"):
        tl.bake_timeline(three_keys(), 24, -1.0)
    with pytest.raises(TimelineError, match="blink rate"):
        tl.bake_timeline(three_keys(), 24, blink_rate_per_minute=500)


def test_transition_equal_to_gap_is_allowed():
    baked = tl.bake_timeline([K(0.0, "neutral"), K(1.0, "happy", transition=1.0)], 10, blinks=False)
    assert not baked[0].any() and baked[1, SMILE] > 0


# --- JSON and metadata --------------------------------------------------------------------------------------------

DOC = {
    "fps": 24,
    "duration": 6.0,
    "keys": [
        {"time": 0, "emotion": "neutral"},
        {"time": 1.5, "emotion": "happy", "intensity": 0.8, "transition": 0.6, "easing": "ease_in_out"},
        {"frame": 72, "emotion": "Surprise", "transition": 0.5, "easing": "cubic"},
        {"time": 4.0, "weights": {"jawOpen": 0.4, "mouthSmileLeft": 0.7}, "label": "photo", "transition": 0.25},
    ],
    "blinks": {"enabled": True, "seed": 7, "rate_per_minute": 17},
    "noise": {"amplitude": 0.02, "seed": 3},
}


def test_json_document_bakes():
    settings = tl.timeline_from_json(json.dumps(DOC))
    assert settings["fps"] == 24.0 and settings["duration"] == 6.0
    assert settings["blink_seed"] == 7 and settings["noise_amplitude"] == 0.02 and settings["noise_seed"] == 3
    keys = settings["keys"]
    assert [k.time for k in keys] == [0.0, 1.5, 3.0, 4.0]  # frame 72 at 24 fps
    assert keys[3].weights[ARKIT_INDEX["jawOpen"]] == np.float32(0.4)
    baked = tl.bake_timeline(**settings)
    assert baked.shape == (145, 52)
    expected = tl.bake_timeline(keys, 24, 6.0, blink_seed=7, noise_amplitude=0.02, noise_seed=3)
    np.testing.assert_array_equal(baked, expected)
    assert tl.timeline_from_json({**DOC, "blinks": False})["blinks"] is False


def test_json_round_trip():
    keys = tl.keys_from_json(DOC)
    doc = tl.keys_to_json(keys, fps=24, duration=6.0, blinks=DOC["blinks"], noise=DOC["noise"])
    text = json.dumps(doc)
    again = tl.keys_from_json(json.loads(text))
    assert again == keys
    assert tl.keys_to_json(again, fps=24, duration=6.0, blinks=DOC["blinks"], noise=DOC["noise"]) == doc
    np.testing.assert_array_equal(
        tl.bake_timeline(**tl.timeline_from_json(text)), tl.bake_timeline(**tl.timeline_from_json(DOC))
    )
    # weights are written sparsely by ARKit name
    assert doc["keys"][3]["weights"] == {"jawOpen": pytest.approx(0.4), "mouthSmileLeft": pytest.approx(0.7)}


def test_json_errors_name_the_key():
    bad_field = {"keys": [{"time": 0, "emotion": "neutral"}, {"time": 1, "emotion": "sad", "intesity": 0.5}]}
    with pytest.raises(TimelineError, match=r"key 1.*'intesity'"):
        tl.keys_from_json(bad_field)
    with pytest.raises(TimelineError, match="key 0.*fps"):
        tl.keys_from_json({"keys": [{"frame": 3, "emotion": "sad"}]})
    with pytest.raises(TimelineError, match="key 1.*'mouthSmile'"):
        tl.keys_from_json([{"time": 0, "emotion": "sad"}, {"time": 1, "weights": {"mouthSmile": 1}}])
    with pytest.raises(TimelineError, match="key 1.*hapy"):
        tl.keys_from_json([{"time": 0, "emotion": "sad"}, {"time": 1, "emotion": "hapy"}])
    with pytest.raises(TimelineError, match="'speed'"):
        tl.timeline_from_json({**DOC, "speed": 2})
    with pytest.raises(TimelineError, match="not valid JSON"):
        tl.timeline_from_json("{keys: ]")


# --- resource limits (issue 8) --------------------------------------------------------------------------------------


def test_fps_above_the_limit_is_refused_before_allocating():
    # `animate --fps 1000000` on a 3 s timeline grew past 23 GB; now one line names the limit
    with pytest.raises(TimelineError, match=r"fps 1000000 is above the limit of 1000 frames per second"):
        tl.bake_timeline(three_keys(), 1_000_000)
    with pytest.raises(TimelineError, match="limit of 1000"):
        tl.timeline_from_json({**DOC, "fps": 1e6})
    assert tl.bake_timeline([K(0.0, "neutral"), K(0.01, "happy", transition=0.0)], tl.MAX_FPS, blinks=False).shape == (
        11,
        52,
    )  # the limit itself is allowed


def test_duration_above_the_limit_is_refused():
    # `"duration": 1e7` ended in a traceback after 6 GB
    with pytest.raises(TimelineError, match=r"duration 1e\+07 s is above the limit of 3600 s"):
        tl.timeline_from_json({**DOC, "duration": 1e7})
    with pytest.raises(TimelineError, match="limit of 3600 s"):
        tl.bake_timeline(three_keys(), 24, 3600.5)
    with pytest.raises(TimelineError, match="limit of 3600 s"):
        tl.bake_timeline([K(0.0, "neutral"), K(4000.0, "happy")], 24)  # the last key's time is the duration


def test_frame_count_limit_and_memory_estimate():
    # 3600 s at 1000 fps passes the fps and duration limits but not the frame cap
    with pytest.raises(TimelineError, match=r"3,600,001 frames, above the limit of 1,000,000; lower the fps"):
        tl.frame_count(1000, 3600)
    assert tl.frame_count(277, 3600) == 997_201  # just under the cap
    assert tl.MAX_FRAMES * tl.BYTES_PER_FRAME <= tl.MAX_BAKE_BYTES


def test_bake_memory_stays_within_the_estimate():
    import tracemalloc

    frames = tl.frame_count(100, 600)  # 60,001 frames
    tracemalloc.start()
    try:
        out = tl.bake_timeline(three_keys(), 100, 600.0, noise_amplitude=0.02)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape == (frames, 52)
    assert peak <= frames * tl.BYTES_PER_FRAME, (peak, frames * tl.BYTES_PER_FRAME)


@pytest.mark.parametrize("field", ["fps", "duration"])
def test_json_booleans_are_not_numbers(field):
    # `"fps": true` was accepted as 1 fps
    with pytest.raises(TimelineError, match=f"{field} must be a number.*True"):
        tl.timeline_from_json({**DOC, field: True})
    with pytest.raises(TimelineError, match="fps must be a number"):
        tl.bake_timeline(three_keys(), True)
    with pytest.raises(TimelineError, match="'enabled' must be true or false"):
        tl.timeline_from_json({**DOC, "blinks": {"enabled": "no"}})
