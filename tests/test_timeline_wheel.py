# SPDX-License-Identifier: GPL-3.0-or-later
"""Emotion names in timeline keys (core/emotion/vocabulary.py, one meaning per name on every route) and text direction
keys that bake."""

import numpy as np
import pytest

from facemotion.core.animation.text_direction import TextKey, parse_direction, read_direction, to_emotion_keys
from facemotion.core.animation.timeline import (
    EmotionKey,
    bake_timeline,
    keys_from_json,
    keys_to_json,
    pose_track,
    timeline_from_json,
)
from facemotion.core.emotion.blending import blend_correlation, blend_linear
from facemotion.core.emotion.presets import ALIASES, EMOTIONS, intense_weights, preset_weights
from facemotion.core.emotion.vocabulary import emotion_label, emotion_pose
from facemotion.core.emotion.wheel import DYADS, LEVEL_INTENSITY, PRIMARY_LEVELS, all_names
from facemotion.core.errors import TimelineError


@pytest.mark.parametrize("name", list(EMOTIONS) + list(ALIASES) + ["Happy", " ANGRY "])
@pytest.mark.parametrize("intensity", [1.0, 0.35])
def test_existing_preset_keys_bake_exactly_as_before(name, intensity):
    # what the timeline did before the wheel: preset_weights(resolve_emotion(name), intensity)
    keys = [EmotionKey(0.0, name, intensity=intensity), EmotionKey(1.0, "neutral")]
    track = pose_track(keys, 24)
    assert np.array_equal(
        track[0],
        preset_weights(
            name.strip().lower() if name.strip().lower() in EMOTIONS else ALIASES[name.strip().lower()], intensity
        ),
    )


def test_every_wheel_name_bakes():
    keys = [EmotionKey(float(i), name) for i, name in enumerate(all_names())]
    track = pose_track(keys, 1)
    assert track.shape == (len(keys), 52) and np.all((track >= 0) & (track <= 1))
    moving = [emotion_label(name) != "neutral" for name in all_names()]
    assert np.all(track[moving].max(axis=1) > 0.1) and not track[np.logical_not(moving)].any()


@pytest.mark.parametrize("primary", list(PRIMARY_LEVELS))
def test_ring_names_pose_their_level(primary):
    mild, basic, intense = PRIMARY_LEVELS[primary]
    np.testing.assert_allclose(emotion_pose(mild, 0.5), preset_weights(primary, LEVEL_INTENSITY[1] * 0.5), atol=1e-7)
    np.testing.assert_allclose(emotion_pose(intense), intense_weights(primary), atol=1e-7)
    # the basic name is the preset, at the key's intensity
    np.testing.assert_allclose(emotion_pose(basic, 0.7), preset_weights(primary, 0.7), atol=1e-7)


def test_one_meaning_per_name_on_every_route():
    """A name is the same face on a timeline, in a text direction and on the wheel: "joy" at 1.0 is joy's full
    prototype everywhere (the wheel once posed it at 0.7 while a timeline posed it at 1.0)."""
    for name in all_names():
        direct = emotion_pose(name, 0.8)
        timeline = pose_track([EmotionKey(0.0, name, intensity=0.8), EmotionKey(1.0, "neutral")], 1)[0]
        text = pose_track(to_emotion_keys([TextKey(0.0, emotion_label(name), 0.8, 0.5, "ease_in_out", 1.0)]), 1)[0]
        np.testing.assert_allclose(timeline, direct, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(text, direct, atol=1e-7, err_msg=name)
    for primary in PRIMARY_LEVELS:
        np.testing.assert_allclose(emotion_pose(primary), preset_weights(primary), atol=1e-7, err_msg=primary)


def test_dyads_pairs_mix_and_blend():
    first, second, _ = DYADS["love"]
    e1, e2 = preset_weights(first), preset_weights(second)
    np.testing.assert_allclose(emotion_pose("love"), blend_correlation(e1, e2, first, second, 0.6))
    np.testing.assert_allclose(emotion_pose("love", blend="linear"), blend_linear(e1, e2, 0.6))
    np.testing.assert_allclose(emotion_pose("joy+trust", mix=0.7), blend_correlation(e1, e2, "joy", "trust", 0.7))
    # [Ma 2025]'s rule gives each emotion's own top-k channels the larger weight whatever the order, so the order only
    # shows on channels outside both index sets: none for sadness and anger (their prototypes lie inside their
    # sets), some for joy (its prototype reaches outside happy's top 16). Linear blending always depends on it.
    np.testing.assert_allclose(emotion_pose("sadness+anger", mix=0.7), emotion_pose("anger+sadness", mix=0.7))
    assert not np.allclose(emotion_pose("joy+trust", mix=0.7), emotion_pose("trust+joy", mix=0.7))
    assert not np.allclose(
        emotion_pose("sadness+anger", mix=0.7, blend="linear"), emotion_pose("anger+sadness", mix=0.7, blend="linear")
    )
    keys = keys_from_json(
        {
            "keys": [
                {"time": 0, "emotion": "joy+trust", "mix": 0.7, "blend": "linear"},
                {"time": 1, "emotion": "awe", "intensity": 0.5, "mix": 0.2},
            ]
        }
    )
    track = pose_track(keys, 1)
    np.testing.assert_allclose(track[0], blend_linear(e1, e2, 0.7), atol=1e-7)
    f, s = preset_weights("fear", 0.5), preset_weights("surprise", 0.5)
    np.testing.assert_allclose(track[1], blend_correlation(f, s, "fear", "surprise", 0.2), atol=1e-7)
    doc = keys_to_json(keys)
    assert doc["keys"][0]["mix"] == 0.7 and doc["keys"][0]["blend"] == "linear" and "blend" not in doc["keys"][1]
    assert keys_from_json(doc) == keys


def test_contempt_names_differ():
    assert emotion_label("contempt") == "contempt" and emotion_label("scorn") == "plutchik_contempt"
    assert not np.allclose(emotion_pose("contempt"), emotion_pose("plutchik_contempt"))
    assert [emotion_label(n) for n in ("furious", "Joy + Trust", "angry")] == ["rage", "joy+trust", "anger"]


@pytest.mark.parametrize(
    "key, message",
    [
        ({"time": 0, "emotion": "ecstacy"}, "nearest known: ecstasy"),
        ({"time": 0, "emotion": "contemt"}, "plutchik_contempt"),
        ({"time": 0, "emotion": "love", "blend": "cubic"}, "unknown blend 'cubic'; use one of: correlation, linear"),
        ({"time": 0, "emotion": "joy", "mix": 0.3}, "mix is for a dyad or a pair"),
        ({"time": 0, "emotion": "love", "mix": 1.5}, "outside [0, 1]"),
        ({"time": 0, "emotion": "love", "mix": True}, "mix must be a number"),
        ({"time": 0, "emotion": "joy+love"}, "a pair joins two primaries"),
        ({"time": 0, "emotion": "joy+joy"}, "same emotion twice"),
        ({"time": 0, "weights": {"jawOpen": 0.5}, "mix": 0.5}, "'mix' is for a dyad or a pair"),
        ({"time": 0, "emotion": "love", "mixx": 0.5}, "unknown field(s) 'mixx'"),
    ],
)
def test_bad_wheel_keys(key, message):
    with pytest.raises(TimelineError, match="key 0") as info:
        keys_from_json([key])
    assert message in str(info.value)


def test_text_direction_keys_bake():
    direction = read_direction("start calm, grow annoyed, then burst into laughter and end hopeful")
    keys, duration = to_emotion_keys(direction.keys), direction.duration
    assert [k.emotion for k in keys] == ["neutral", "annoyance", "ecstasy", "hope"] and duration == 7.2
    frames = bake_timeline(keys, 24, duration)
    assert frames.shape == (round(7.2 * 24) + 1, 52)
    # intensity means what it says: "happy" is joy's preset at full strength and only an adverb softens it;
    # "laughing" is the intense ring (joy's stronger EMFACS variant, a laugh), more than "happy"
    happy, laughing = to_emotion_keys(parse_direction("happy"))[0], to_emotion_keys(parse_direction("laughing"))[0]
    slightly = to_emotion_keys(parse_direction("slightly happy"))[0]
    assert (happy.emotion, happy.intensity, laughing.emotion, laughing.intensity) == ("joy", 1.0, "ecstasy", 1.0)
    np.testing.assert_allclose(emotion_pose(happy.emotion, happy.intensity), preset_weights("joy"), atol=1e-7)
    assert emotion_pose(happy.emotion).sum() < emotion_pose(laughing.emotion).sum()
    assert emotion_pose(slightly.emotion, slightly.intensity).max() < emotion_pose(happy.emotion, 1.0).max()
    doc = keys_to_json(keys, fps=24, duration=duration)
    assert timeline_from_json(doc)["keys"] == keys


def test_dyad_measurement_inputs():
    import emotion_dyads

    names = [d for d, _, _ in emotion_dyads.measurable_dyads()]
    assert names == [
        "awe",
        "disapproval",
        "remorse",
        "plutchik_contempt",
        "guilt",
        "despair",
        "unbelief",
        "envy",
        "pride",
        "delight",
        "shame",
        "outrage",
        "morbidness",
    ]
    for method in ("linear", "correlation", "salient"):
        np.testing.assert_allclose(
            emotion_dyads.dyad_weights("fear", "surprise", method),
            emotion_pose("awe", blend=method)
            if method != "salient"
            else emotion_dyads.blend_salient(
                preset_weights("fear"), preset_weights("surprise"), "fear", "surprise", 0.6
            ),
            atol=1e-6,
        )
    salient = emotion_dyads.dyad_weights("anger", "joy", "salient")
    matched = emotion_dyads.dyad_weights("anger", "joy", "linear_matched")
    assert abs(np.linalg.norm(salient) - np.linalg.norm(matched)) < 1e-3
    # salient keeps each constituent's own channels at full strength
    assert np.all(salient >= emotion_pose("pride", blend="linear") - 1e-6)
