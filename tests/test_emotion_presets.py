"""FACS -> ARKit mapping (core/emotion/facs.py) and the emotion presets built on it (core/emotion/presets.py)."""

import re

import numpy as np
import pytest

from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES, arkit_from_ict
from facemotion.core.emotion import facs
from facemotion.core.emotion import presets as ep
from facemotion.core.errors import InputError
from facemotion.core.io import assets


def w(name, weights):
    return float(weights[ARKIT_INDEX[name]])


def channels_above(weights, threshold):
    return {ARKIT_NAMES[i] for i in np.flatnonzero(weights > threshold)}


# --- facs.py ------------------------------------------------------------------------------------------------------


def test_au_table_uses_only_arkit_names_and_has_a_name_for_every_au():
    assert set(facs.AU_TO_ARKIT) == set(facs.AU_NAMES)
    for au, mapping in facs.AU_TO_ARKIT.items():
        assert mapping, au
        for name, weight in mapping.items():
            assert name in ARKIT_INDEX, (au, name)
            assert 0.0 < weight <= 1.0, (au, name)


def test_au_table_follows_ict_facekit_facs_table():
    """Every shape ICT-FaceKit's README relates to an AU is driven by that AU here, except the documented choices
    (AU10 -> mouthUpperUp after Apple, ICT's mouthShrugUpper only blended in; AU27 also stretches the mouth)."""
    readme = assets.shared_assets_dir() / "ict-facekit" / "README.md"
    if not readme.is_file():
        pytest.skip("ICT-FaceKit README not in ../shared/assets")
    rows = re.findall(r"^\|\s*AU(\d+)[^|]*\|\s*([^|]+?)\s*\|", readme.read_text(encoding="utf-8"), re.M)
    assert len(rows) >= 25
    checked = 0
    for number, shapes in rows:
        au = int(number)
        if au not in facs.AU_TO_ARKIT or au == 30:  # AU30 (jaw sideways) left/right: not mapped
            continue
        ours = facs.AU_TO_ARKIT[au]
        for ict_shape in (s.strip() for s in shapes.split("+")):
            arkit = arkit_from_ict(ict_shape)
            assert arkit in ours, (au, ict_shape, ours)
        checked += 1
    assert checked >= 20


def test_parse_au_forms_sides_and_letters():
    assert facs.parse_au("12") == (12, None, None)
    assert facs.parse_au("AU12") == (12, None, None)
    assert facs.parse_au(12) == (12, None, None)
    assert facs.parse_au("r12a") == (12, "R", 0.2)
    assert facs.parse_au("L 14 C") == (14, "L", 0.6)
    assert facs.parse_au("5B") == (5, None, 0.4)
    assert facs.INTENSITY_LETTERS == {"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.8, "E": 1.0}
    for bad in ("12F", "X12", "AU", "", "12.5", 3):  # AU3 does not exist in FACS
        with pytest.raises(InputError):
            facs.parse_au(bad)


def test_parse_facs_code_emfacs_prototypes():
    assert facs.parse_facs_code("1+2+5B+26") == {"1": 1.0, "2": 1.0, "5": 0.4, "26": 1.0}
    assert facs.parse_facs_code("R12A+R14A") == {"R12": 0.2, "R14": 0.2}
    assert facs.parse_facs_code("0") == {}
    with pytest.raises(InputError, match="twice"):
        facs.parse_facs_code("12+12B")


def test_aus_to_arkit_bilateral_unilateral_and_intensity():
    full = facs.aus_to_arkit({"12": 1.0})
    assert full.shape == (52,) and full.dtype == np.float32
    assert w("mouthSmileLeft", full) == w("mouthSmileRight", full) == 1.0
    assert channels_above(full, 0) == {"mouthSmileLeft", "mouthSmileRight"}

    right = facs.aus_to_arkit({"R12": 1.0})
    assert w("mouthSmileRight", right) == 1.0 and w("mouthSmileLeft", right) == 0.0
    left = facs.aus_to_arkit({"L12C": 1.0})
    assert w("mouthSmileLeft", left) == pytest.approx(0.6) and w("mouthSmileRight", left) == 0.0

    # letters and values multiply; a letter as the value works too
    assert w("eyeWideLeft", facs.aus_to_arkit({"5B": 0.5})) == pytest.approx(0.2)
    assert w("eyeWideLeft", facs.aus_to_arkit({"AU5": "D"})) == pytest.approx(0.8)
    # an unsplit ARKit shape gets half of a unilateral AU
    assert w("browInnerUp", facs.aus_to_arkit({"R1": 1.0})) == pytest.approx(0.5)
    # a code string is the same as its dict
    np.testing.assert_array_equal(facs.aus_to_arkit("6+12"), facs.aus_to_arkit({"6": 1, "12": 1}))


def test_aus_to_arkit_sums_and_clips():
    # AU6 adds 0.3 eyeSquint, AU7 adds 1.0: the sum is clipped to 1
    both = facs.aus_to_arkit({"6": 1.0, "7": 1.0})
    assert w("eyeSquintLeft", both) == 1.0
    assert w("eyeSquintLeft", facs.aus_to_arkit({"6": 1.0, "7": 0.5})) == pytest.approx(0.8)
    assert both.max() <= 1.0 and both.min() >= 0.0


@pytest.mark.parametrize("bad", [{"12": 1.5}, {"12": -0.1}, {"12": float("nan")}, {"12": "F"}, {"99": 1.0}])
def test_aus_to_arkit_rejects_bad_input(bad):
    with pytest.raises(InputError):
        facs.aus_to_arkit(bad)


# --- emotion presets ------------------------------------------------------------------------------------------------


def test_name_lists():
    assert ep.CATEGORIES == ("neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt")
    assert set(ep.PLUTCHIK_PRIMARIES) == {
        "joy",
        "trust",
        "fear",
        "surprise",
        "sadness",
        "disgust",
        "anger",
        "anticipation",
    }
    assert set(ep.CATEGORIES) | set(ep.PLUTCHIK_PRIMARIES) == set(ep.EMOTIONS)
    assert len(ep.EMOTIONS) == len(set(ep.EMOTIONS)) == 12


def test_every_preset_is_a_valid_weight_vector():
    for name in ep.EMOTIONS:
        weights = ep.preset_weights(name)
        assert weights.shape == (52,) and weights.dtype == np.float32, name
        assert weights.min() >= 0.0 and weights.max() <= 1.0, name
        assert (weights.max() > 0.3) == (name != "neutral"), name
    assert not ep.preset_weights("neutral").any()


def test_happy_is_a_strong_duchenne_smile():
    happy = ep.preset_weights("happy")
    top2 = {ARKIT_NAMES[i] for i in np.argsort(-happy)[:2]}
    assert top2 == {"mouthSmileLeft", "mouthSmileRight"}
    assert w("mouthSmileLeft", happy) >= 0.8 and w("cheekSquintLeft", happy) >= 0.5
    assert channels_above(happy, 0.3) == {"mouthSmileLeft", "mouthSmileRight", "cheekSquintLeft", "cheekSquintRight"}
    np.testing.assert_array_equal(ep.preset_weights("joy"), happy)


def test_surprise_opens_jaw_raises_brows_widens_eyes():
    surprise = ep.preset_weights("surprise")
    assert w("jawOpen", surprise) == 1.0  # AU27: the jaw pulled wide open (EMFACS 1+2+5B+25+27)
    assert w("mouthLowerDownLeft", surprise) > 0.2 and w("mouthPressLeft", surprise) == 0.0  # AU25: lips parted
    assert w("browInnerUp", surprise) >= 0.8 and w("browOuterUpLeft", surprise) >= 0.7
    assert w("eyeWideLeft", surprise) > 0.3 and w("eyeWideRight", surprise) > 0.3
    assert channels_above(surprise, 0.3) == {
        "jawOpen",
        "browInnerUp",
        "browOuterUpLeft",
        "browOuterUpRight",
        "eyeWideLeft",
        "eyeWideRight",
    }
    # EMFACS: surprise's lids rise only slightly (5B); fear's much more
    assert w("eyeWideLeft", surprise) < w("eyeWideLeft", ep.preset_weights("fear"))


def test_sad_frowns_with_raised_inner_brows():
    sad = ep.preset_weights("sad")
    assert w("mouthFrownLeft", sad) >= 0.8 and w("mouthFrownRight", sad) >= 0.8
    assert w("browInnerUp", sad) >= 0.8
    assert w("mouthSmileLeft", sad) == 0.0 and w("jawOpen", sad) == 0.0
    assert channels_above(sad, 0.9) == {"browInnerUp", "mouthFrownLeft", "mouthFrownRight", "mouthShrugLower"}
    np.testing.assert_array_equal(ep.preset_weights("sadness"), sad)


def test_anger_lowers_brows():
    anger = ep.preset_weights("anger")
    assert w("browDownLeft", anger) == anger.max() and w("browInnerUp", anger) == 0.0
    assert w("eyeSquintLeft", anger) > 0.3 and w("mouthPressLeft", anger) > 0.2  # AU7, AU23


def test_disgust_wrinkles_the_nose():
    disgust = ep.preset_weights("disgust")
    assert ARKIT_NAMES[int(np.argmax(disgust))] in ("noseSneerLeft", "noseSneerRight")
    assert w("noseSneerLeft", disgust) >= 0.7 and w("mouthFrownLeft", disgust) > 0.3


def test_fear_widens_eyes_and_stretches_mouth():
    fear = ep.preset_weights("fear")
    assert w("eyeWideLeft", fear) >= 0.7 and w("mouthStretchLeft", fear) >= 0.5 and w("browInnerUp", fear) >= 0.5
    assert w("browDownLeft", fear) > 0.3  # AU4 with 1+2: the fear brow
    assert 0.2 < w("jawOpen", fear) < w("jawOpen", ep.preset_weights("surprise"))


def test_contempt_is_a_right_sided_smirk():
    contempt = ep.preset_weights("contempt")
    assert w("mouthSmileRight", contempt) > 0.3 and w("mouthDimpleRight", contempt) > 0.3
    assert w("mouthSmileLeft", contempt) == 0.0 and w("mouthDimpleLeft", contempt) == 0.0
    assert channels_above(contempt, 0) == {"mouthSmileRight", "mouthDimpleRight"}


def test_trust_and_anticipation_are_milder_relatives_of_joy_and_anger():
    trust, happy = ep.preset_weights("trust"), ep.preset_weights("happy")
    assert 0.2 < w("mouthSmileLeft", trust) < w("mouthSmileLeft", happy)
    assert w("mouthPressLeft", trust) > 0.1  # closed-lip affiliative smile
    assert w("browDownLeft", trust) == 0.0 and w("jawOpen", trust) == 0.0
    anticipation, anger = ep.preset_weights("anticipation"), ep.preset_weights("anger")
    assert 0.1 < w("browDownLeft", anticipation) < w("browDownLeft", anger)
    assert w("jawOpen", anticipation) == 0.0 and w("browInnerUp", anticipation) == 0.0  # the opposite of surprise
    assert w("mouthPressLeft", anticipation) > 0.2


def test_presets_are_distinct():
    names = [n for n in ep.EMOTIONS if n not in ("joy", "sadness")]  # these two share happy's / sad's prototype
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            distance = np.linalg.norm(ep.preset_weights(a) - ep.preset_weights(b))
            assert distance > 0.5, (a, b, distance)


@pytest.mark.parametrize("name", ep.EMOTIONS)
def test_intensity_scales_linearly(name):
    full = ep.preset_weights(name)
    for intensity in (0.0, 0.25, 0.5, 0.9):
        np.testing.assert_allclose(ep.preset_weights(name, intensity), intensity * full, atol=1e-7)
    assert not ep.preset_weights(name, 0.0).any()


def test_preset_aus_reproduce_the_weights_and_are_copies():
    for name in ep.EMOTIONS:
        aus = ep.preset_aus(name)
        np.testing.assert_array_equal(facs.aus_to_arkit(aus), ep.preset_weights(name))
    assert set(ep.preset_aus("happy")) == {"6", "12"}
    assert set(ep.preset_aus("surprise")) == {"1", "2", "5", "25", "27"}
    assert set(ep.preset_aus("fear")) == {"1", "2", "4", "5", "7", "20", "26"}
    assert set(ep.preset_aus("anger")) == {"4", "5", "7", "23", "24"}
    assert set(ep.preset_aus("disgust")) == {"9", "10", "15", "16"}
    assert set(ep.preset_aus("sad")) == {"1", "4", "15", "17"}
    assert set(ep.preset_aus("contempt")) == {"R12", "R14"}
    ep.preset_aus("happy")["12"] = 0.0
    assert ep.preset_aus("happy")["12"] > 0


def test_names_are_case_insensitive_with_aliases():
    np.testing.assert_array_equal(ep.preset_weights(" HAPPY "), ep.preset_weights("happy"))
    np.testing.assert_array_equal(ep.preset_weights("Happiness"), ep.preset_weights("happy"))
    np.testing.assert_array_equal(ep.preset_weights("angry"), ep.preset_weights("anger"))
    assert ep.resolve_emotion("Surprised") == "surprise"


def test_unknown_emotion_names_it_and_lists_valid_names():
    with pytest.raises(InputError) as info:
        ep.preset_weights("hapy")
    message = str(info.value)
    assert "'hapy'" in message and all(name in message for name in ep.EMOTIONS)
    with pytest.raises(InputError):
        ep.preset_aus("love")


@pytest.mark.parametrize("intensity", [-0.01, 1.01, float("nan"), "much"])
def test_intensity_out_of_range_is_an_input_error(intensity):
    with pytest.raises(InputError):
        ep.preset_weights("happy", intensity)


def _read_classification_list(path):
    text = path.read_text(encoding="utf-8")
    return {label: float(score) for score, label in re.findall(r'score:\s*([-+0-9.eE]+)\s*label:\s*"([^"]+)"', text)}


def test_blendshape_scores_from_mediapipe_test_data():
    """MediaPipe's own expected Face Landmarker blendshapes (its test data) map name by name into ARKit order."""
    path = assets.shared_assets_dir() / "mediapipe" / "testdata" / "face_blendshapes_out.prototxt"
    if not path.is_file():
        pytest.skip("MediaPipe test data not in ../shared/assets")
    scores = _read_classification_list(path)
    assert len(scores) == 52 and "_neutral" in scores and "tongueOut" not in scores
    weights = ep.weights_from_blendshape_scores(scores)
    assert weights.shape == (52,) and weights.dtype == np.float32
    for name, score in scores.items():
        if name != "_neutral":
            assert weights[ARKIT_INDEX[name]] == pytest.approx(min(max(score, 0.0), 1.0), abs=1e-7), name
    assert weights[ARKIT_INDEX["tongueOut"]] == 0.0
    assert w("browDownLeft", weights) == pytest.approx(0.9075446, abs=1e-6)  # the test face frowns


def test_blendshape_scores_errors_and_clipping():
    scores = {name: 0.5 for name in ARKIT_NAMES if name != "tongueOut"}
    scores["jawOpen"] = 1.0000001
    scores["_neutral"] = 0.2
    weights = ep.weights_from_blendshape_scores(scores)
    assert w("jawOpen", weights) == 1.0 and w("tongueOut", weights) == 0.0 and w("eyeBlinkLeft", weights) == 0.5
    missing = dict(scores)
    del missing["mouthSmileLeft"]
    with pytest.raises(InputError, match="mouthSmileLeft"):
        ep.weights_from_blendshape_scores(missing)
    with pytest.raises(InputError, match="jawopen"):
        ep.weights_from_blendshape_scores({**scores, "jawopen": 0.1})
    with pytest.raises(InputError):
        ep.weights_from_blendshape_scores({**scores, "jawOpen": float("nan")})


def test_prototypes_carry_what_one_frame_needs():
    """Issue 17: at intensity 1.0 anger is brows down and together, lids tight, lips pressed (AU4, AU7 at E; AU23 +
    AU24); sadness is inner brows up, corners down and the chin raised (AU1, AU15 at E; AU17); each on the channels
    a renderer moves, strongly enough to read on one frame."""
    anger, sad = ep.preset_weights("anger"), ep.preset_weights("sad")
    for name in (
        "browDownLeft",
        "browDownRight",
        "eyeSquintLeft",
        "eyeSquintRight",
        "mouthPressLeft",
        "mouthPressRight",
    ):
        assert w(name, anger) >= 0.9, name
    for name in ("browInnerUp", "mouthFrownLeft", "mouthFrownRight"):
        assert w(name, sad) >= 0.9, name
    assert w("mouthShrugLower", sad) >= 0.9 and w("browDownLeft", sad) < w("browInnerUp", sad)
    assert w("jawOpen", anger) == 0.0  # pressed lips never over an open jaw (lips through teeth)
    # contempt stays unilateral: EMFACS's R12 + R14 on the subject's right only
    contempt = ep.preset_weights("contempt")
    assert w("mouthSmileRight", contempt) >= 0.5 and w("mouthDimpleRight", contempt) >= 0.5
    assert w("mouthSmileLeft", contempt) == 0.0 and w("mouthDimpleLeft", contempt) == 0.0


def test_intensity_means_what_it_says():
    for name in ep.EMOTIONS:
        np.testing.assert_allclose(ep.preset_weights(name, 0.5), 0.5 * ep.preset_weights(name), atol=1e-7)


def test_intense_rings_only_for_plutchik_primaries():
    rage = ep.intense_weights("anger")
    assert w("mouthUpperUpLeft", rage) > 0.5 and w("jawOpen", rage) > 0.3  # EMFACS's bared-teeth variant
    assert w("mouthPressLeft", rage) < 0.5  # no full lip press over the open jaw
    with pytest.raises(InputError, match="no intense ring"):
        ep.intense_weights("contempt")
