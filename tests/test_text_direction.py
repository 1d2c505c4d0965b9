# SPDX-License-Identifier: GPL-3.0-or-later
"""Text direction (core/animation/text_direction.py): sentences -> exact keys, and the bad-input cases."""
import pytest

from facemotion.core.animation.text_direction import TextKey, parse_direction
from facemotion.core.emotion.wheel import resolve_wheel_name
from facemotion.core.errors import InputError

E, O, L = "ease_in_out", "ease_out", "linear"
N0 = (0.0, "neutral", 1.0, 0.0, E, 0.0)   # the resting face put first when the first emotion ramps in

# sentence -> keys as (time, emotion, intensity, transition, easing, hold)
CASES = {
    "start calm, grow annoyed, then burst into laughter and end hopeful": [
        (0.0, "neutral", 0.8, 0.0, E, 1.0), (3.0, "annoyance", 0.8, 2.0, E, 1.0), (4.2, "ecstasy", 0.8, 0.2, O, 1.0),
        (6.2, "hope", 0.8, 1.0, E, 1.0)],
    "from sad to happy": [(0.0, "sadness", 0.8, 0.0, E, 1.0), (2.0, "joy", 0.8, 1.0, E, 1.0)],
    "from gloomy to cheerful over 3 seconds": [(0.0, "pensiveness", 0.8, 0.0, E, 1.0), (4.0, "joy", 0.8, 3.0, E, 1.0)],
    "happy": [(0.0, "joy", 0.8, 0.0, E, 1.0)],
    "Happy!": [(0.0, "joy", 0.8, 0.0, E, 1.0)],
    "slowly become sad": [N0, (2.0, "sadness", 0.8, 2.0, E, 1.0)],
    "suddenly terrified": [N0, (0.2, "terror", 0.8, 0.2, O, 1.0)],
    "be slightly angry for 2 seconds then very angry": [(0.0, "anger", 0.3, 0.0, E, 2.0),
                                                         (3.0, "anger", 1.0, 1.0, E, 1.0)],
    "extremely angry": [(0.0, "rage", 1.0, 0.0, E, 1.0)],
    "extremely annoyed": [(0.0, "anger", 1.0, 0.0, E, 1.0)],
    "extremely ecstatic": [(0.0, "ecstasy", 1.0, 0.0, E, 1.0)],
    "a little afraid, then a bit surprised": [(0.0, "fear", 0.4, 0.0, E, 1.0), (2.0, "surprise", 0.4, 1.0, E, 1.0)],
    "somewhat bored and then disgusted": [(0.0, "boredom", 0.6, 0.0, E, 1.0), (2.0, "disgust", 0.8, 1.0, E, 1.0)],
    "joy+trust then finally grief": [(0.0, "joy+trust", 0.8, 0.0, E, 1.0), (2.0, "grief", 0.8, 1.0, E, 1.0)],
    "look curious, turning into delight": [(0.0, "curiosity", 0.8, 0.0, E, 1.0), (2.0, "delight", 0.8, 1.0, E, 1.0)],
    "startled then quickly calm": [(0.0, "surprise", 0.8, 0.0, E, 1.0), (1.5, "neutral", 0.8, 0.5, O, 1.0)],
    "fade into pensiveness over 4 s": [N0, (4.0, "pensiveness", 0.8, 4.0, E, 1.0)],
    "gradually become furious": [N0, (3.0, "rage", 0.8, 3.0, E, 1.0)],
    "very slowly melt into love": [N0, (3.0, "love", 0.8, 3.0, E, 1.0)],
    "very quickly snap to rage": [N0, (0.25, "rage", 0.8, 0.25, O, 1.0)],
    "proud for 1.5s then ashamed for half a second": [(0.0, "pride", 0.8, 0.0, E, 1.5),
                                                       (2.5, "shame", 0.8, 1.0, E, 0.5)],
    "stay neutral for 3 seconds, then smile": [(0.0, "neutral", 0.8, 0.0, E, 3.0), (4.0, "joy", 0.8, 1.0, E, 1.0)],
    "hopeful before despairing": [(0.0, "hope", 0.8, 0.0, E, 1.0), (2.0, "despair", 0.8, 1.0, E, 1.0)],
    "sad. then happy. finally calm.": [(0.0, "sadness", 0.8, 0.0, E, 1.0), (2.0, "joy", 0.8, 1.0, E, 1.0),
                                       (4.0, "neutral", 0.8, 1.0, E, 1.0)],
    "in love for 2 seconds": [(0.0, "love", 0.8, 0.0, E, 2.0)],
    "jealous, then guilty, then remorseful": [(0.0, "envy", 0.8, 0.0, E, 1.0), (2.0, "guilt", 0.8, 1.0, E, 1.0),
                                              (4.0, "remorse", 0.8, 1.0, E, 1.0)],
    "optimistic then pessimistic": [(0.0, "optimism", 0.8, 0.0, E, 1.0), (2.0, "pessimism", 0.8, 1.0, E, 1.0)],
    "smirk, then scornful": [(0.0, "contempt", 0.8, 0.0, E, 1.0), (2.0, "plutchik_contempt", 0.8, 1.0, E, 1.0)],
    "awe for a second then amazed in 500 ms": [(0.0, "awe", 0.8, 0.0, E, 1.0), (1.5, "amazement", 0.8, 0.5, E, 1.0)],
    "steadily grow anxious over 5 seconds": [N0, (5.0, "anxiety", 0.8, 5.0, L, 1.0)],
    "laughing for 2 s, then hold it for 1 s": [(0.0, "ecstasy", 0.8, 0.0, E, 3.0)],
    "eventually nostalgic": [(0.0, "sentimentality", 0.8, 0.0, E, 1.0)],
    "worried then relieved": [(0.0, "apprehension", 0.8, 0.0, E, 1.0), (2.0, "serenity", 0.8, 1.0, E, 1.0)],
    "angry in 2 minutes": [N0, (120.0, "anger", 0.8, 120.0, E, 1.0)],
    "happy, hold for 2 seconds": [(0.0, "joy", 0.8, 0.0, E, 2.0)],
    "  Furious   THEN  calm ": [(0.0, "rage", 0.8, 0.0, E, 1.0), (2.0, "neutral", 0.8, 1.0, E, 1.0)],
    "the character looks scared, and then suddenly very angry": [(0.0, "fear", 0.8, 0.0, E, 1.0),
                                                                 (1.2, "anger", 1.0, 0.2, O, 1.0)],
    "plutchik_contempt then contempt": [(0.0, "plutchik_contempt", 0.8, 0.0, E, 1.0),
                                        (2.0, "contempt", 0.8, 1.0, E, 1.0)],
}


@pytest.mark.parametrize("text", list(CASES))
def test_sentences(text):
    keys = parse_direction(text)
    assert all(isinstance(k, TextKey) for k in keys)
    assert [(k.time, k.emotion, k.intensity, k.transition, k.easing, k.hold) for k in keys] == [
        c for c in CASES[text]]
    times = [k.time for k in keys]
    assert times == sorted(set(times))                        # strictly increasing
    for a, b in zip(keys, keys[1:]):
        assert b.transition <= b.time - a.time + 1e-9       # transitions never overlap (the timeline's rule)
    for k in keys:
        resolve_wheel_name(k.emotion)                       # every emotion is a wheel name


def test_enough_sentence_shapes():
    assert len(CASES) >= 30


@pytest.mark.parametrize("text, message", [
    ("hapy then sda", r"'hapy' \(nearest known: happy.*'sda' \(nearest known: sad"),
    ("worried then relievd", "relieved"),
    ("not happy", "negation"),
    ("happy sad", "two emotions in one clause"),
    ("be happy for 2", "needs a unit"),
    ("happy over 0 s", "must be positive"),
    ("for 2 seconds", "before any emotion"),
    ("slowly", "does not say which emotion"),
    ("happy then slowly", "'slowly' does not say"),
    ("", "empty"),
    ("   ", "empty"),
    ("start then end", "no emotion"),
    ("happy after sad", "'after'"),
    ("joy+love", "dyad"),
    ("happy for two", "needs a unit"),
])
def test_bad_input(text, message):
    with pytest.raises(InputError, match=message):
        parse_direction(text)


def test_not_a_string():
    with pytest.raises(InputError, match="str"):
        parse_direction(None)
