# SPDX-License-Identifier: GPL-3.0-or-later
"""Plutchik's wheel tables (core/emotion/wheel.py) against Plutchik's published wheel and dyad table."""

import numpy as np
import pytest

from facemotion.core.emotion import wheel
from facemotion.core.emotion.presets import EMOTIONS, intense_weights, preset_weights
from facemotion.core.emotion.vocabulary import emotion_pose
from facemotion.core.errors import InputError

# Written out independently of the module, from Plutchik (1980, 2001) and his dyad table.
PLUTCHIK_RINGS = {
    "joy": ("serenity", "ecstasy"),
    "trust": ("acceptance", "admiration"),
    "fear": ("apprehension", "terror"),
    "surprise": ("distraction", "amazement"),
    "sadness": ("pensiveness", "grief"),
    "disgust": ("boredom", "loathing"),
    "anger": ("annoyance", "rage"),
    "anticipation": ("interest", "vigilance"),
}
PLUTCHIK_DYADS = {
    "love": {"joy", "trust"},
    "submission": {"trust", "fear"},
    "awe": {"fear", "surprise"},
    "disapproval": {"surprise", "sadness"},
    "remorse": {"sadness", "disgust"},
    "plutchik_contempt": {"disgust", "anger"},
    "aggressiveness": {"anger", "anticipation"},
    "optimism": {"anticipation", "joy"},
    "guilt": {"joy", "fear"},
    "curiosity": {"trust", "surprise"},
    "despair": {"fear", "sadness"},
    "unbelief": {"surprise", "disgust"},
    "envy": {"sadness", "anger"},
    "cynicism": {"disgust", "anticipation"},
    "pride": {"anger", "joy"},
    "hope": {"anticipation", "trust"},
    "delight": {"joy", "surprise"},
    "sentimentality": {"trust", "sadness"},
    "shame": {"fear", "disgust"},
    "outrage": {"surprise", "anger"},
    "pessimism": {"sadness", "anticipation"},
    "morbidness": {"disgust", "joy"},
    "dominance": {"anger", "trust"},
    "anxiety": {"anticipation", "fear"},
}


def test_primaries_rings_and_order():
    assert wheel.PRIMARIES == ("joy", "trust", "fear", "surprise", "sadness", "disgust", "anger", "anticipation")
    for primary, (mild, intense) in PLUTCHIK_RINGS.items():
        assert wheel.PRIMARY_LEVELS[primary] == (mild, primary, intense)
        for level, name in enumerate((mild, primary, intense), start=1):
            e = wheel.resolve_wheel_name(name)
            assert (e.kind, e.level, e.components) == ("primary", level, ((primary, 1.0),))
            assert e.intensity == wheel.LEVEL_INTENSITY[level]
    assert [wheel.LEVEL_INTENSITY[i] for i in (1, 2, 3)] == [0.5, 1.0, 1.0]
    assert all(p in EMOTIONS for p in wheel.PRIMARIES)


def test_opposites_symmetric_and_across_the_wheel():
    assert set(wheel.OPPOSITES) == set(wheel.PRIMARIES)
    for a, b in wheel.OPPOSITES.items():
        assert wheel.OPPOSITES[b] == a
        assert abs(wheel.PRIMARIES.index(a) - wheel.PRIMARIES.index(b)) == 4
    assert wheel.OPPOSITES["joy"] == "sadness" and wheel.OPPOSITES["trust"] == "disgust"
    assert wheel.OPPOSITES["fear"] == "anger" and wheel.OPPOSITES["surprise"] == "anticipation"


def test_dyads_match_plutchik_table():
    assert set(wheel.DYADS) == set(PLUTCHIK_DYADS)
    for name, (a, b, kind) in wheel.DYADS.items():
        assert {a, b} == PLUTCHIK_DYADS[name], name
        gap = abs(wheel.PRIMARIES.index(a) - wheel.PRIMARIES.index(b))
        gap = min(gap, 8 - gap)
        assert kind == {1: "primary", 2: "secondary", 3: "tertiary"}[gap], name
        e = wheel.resolve_wheel_name(name)
        assert e.kind == "dyad" and e.dyad_kind == kind
        assert e.components == ((a, wheel.DYAD_MIX), (b, pytest.approx(1 - wheel.DYAD_MIX)))
    # every unordered neighbour/2-apart/3-apart pair is named exactly once (8 of each)
    kinds = [k for _, _, k in wheel.DYADS.values()]
    assert kinds.count("primary") == kinds.count("secondary") == kinds.count("tertiary") == 8
    assert len({frozenset(v[:2]) for v in wheel.DYADS.values()}) == 24


def test_contempt_clash_names():
    emfacs = wheel.resolve_wheel_name("contempt")
    assert (emfacs.kind, emfacs.components) == ("preset", (("contempt", 1.0),))
    for name in ("plutchik_contempt", "Scorn", " SCORN "):
        e = wheel.resolve_wheel_name(name)
        assert e.name == "plutchik_contempt" and {c for c, _ in e.components} == {"disgust", "anger"}
    # the two poses differ: EMFACS contempt is unilateral, Plutchik's is anger + disgust
    a = emotion_pose("contempt", blend="linear")
    b = emotion_pose("scorn", blend="linear")
    assert np.abs(a - b).max() > 0.3


def test_every_name_resolves_and_aliases():
    for name in wheel.all_names():
        e = wheel.resolve_wheel_name(name)
        assert abs(sum(w for _, w in e.components) - 1.0) < 1e-9
        assert all(c in EMOTIONS for c, _ in e.components)
    assert wheel.resolve_wheel_name("furious").name == "rage"
    assert wheel.resolve_wheel_name("afraid").name == "fear"
    assert wheel.resolve_wheel_name("happy").kind == "preset"
    assert wheel.resolve_wheel_name("Ecstasy").describe() == "ecstasy = joy level 3 (intensity 1)"
    assert wheel.resolve_wheel_name("serenity").describe() == "serenity = joy level 1 (intensity 0.5)"
    assert wheel.resolve_wheel_name("love").describe() == "love = joy 0.6 + trust 0.4 (primary dyad)"


def test_pairs_and_mix():
    e = wheel.resolve_wheel_name("joy+trust", mix=0.7)
    assert (e.name, e.kind, e.components) == ("joy+trust", "pair", (("joy", 0.7), ("trust", pytest.approx(0.3))))
    e = wheel.resolve_wheel_name("Ecstasy + afraid")
    assert e.components == (("joy", 0.5), ("fear", 0.5))
    assert wheel.resolve_wheel_name("love", mix=0.8).components[0] == ("joy", 0.8)
    assert wheel.resolve_wheel_name("trust+joy").components[0][0] == "trust"  # order kept: E1 first


@pytest.mark.parametrize(
    "name, message",
    [
        ("lvoe", "nearest known: love"),
        ("ecstacy", "ecstasy"),
        ("joy+trsut", "trust"),
        ("joy+joy", "same emotion twice"),
        ("joy+love", "dyad"),
        ("joy+trust+fear", "two names"),
        ("+joy", "two names"),
        ("zzzz", "emotions"),
    ],
)
def test_bad_names(name, message):
    with pytest.raises(InputError, match=message):
        wheel.resolve_wheel_name(name)


def test_bad_mix_and_types():
    with pytest.raises(InputError, match="outside"):
        wheel.resolve_wheel_name("joy+trust", mix=1.5)
    with pytest.raises(InputError, match="single emotion"):
        wheel.resolve_wheel_name("joy", mix=0.5)
    with pytest.raises(InputError, match="str"):
        wheel.resolve_wheel_name(3)


def test_rings_follow_from_the_presets():
    """Mild = the preset at 0.5, basic = the preset, intense = the stronger EMFACS variant, stronger than basic."""
    np.testing.assert_allclose(emotion_pose("serenity"), preset_weights("joy", 0.5), atol=1e-7)
    np.testing.assert_allclose(emotion_pose("joy", 0.6), preset_weights("joy", 0.6), atol=1e-7)
    np.testing.assert_allclose(emotion_pose("rage", 0.5), intense_weights("anger", 0.5), atol=1e-7)
    for primary, (mild, intense) in PLUTCHIK_RINGS.items():
        sizes = [np.abs(emotion_pose(name)).sum() for name in (mild, primary, intense)]
        assert sizes[0] < sizes[1] < sizes[2], (primary, sizes)
    lin = emotion_pose("love", blend="linear")
    np.testing.assert_allclose(lin, 0.6 * preset_weights("joy") + 0.4 * preset_weights("trust"), atol=1e-6)
    with pytest.raises(InputError, match="outside"):
        emotion_pose("joy", 1.2)
