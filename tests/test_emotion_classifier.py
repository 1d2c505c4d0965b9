"""Tests of core.emotion.classifier: the shipped ONNX model, its metadata contract, inference on a real photo, and
the training tool's export (tools/train_emotion.py) on real rendered data from tools/emotion_data.py."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from facemotion.core.emotion import classifier as ec
from facemotion.core.emotion.features import PARTS, FeatureSpec
from facemotion.core.emotion.presets import CATEGORIES
from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path
from facemotion.core.io.image_io import load_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))


@pytest.fixture(scope="module")
def classifier():
    return ec.EmotionClassifier()


@pytest.fixture(scope="module")
def astronaut():
    return load_image(asset_path("faces/astronaut.png"))


# ----------------------------------------------------------------------------------------------------------------------
# the shipped model


def test_shipped_model_loads_and_metadata_round_trips(classifier):
    import onnxruntime as ort

    assert classifier.path == ec.DEFAULT_MODEL_PATH and classifier.path.is_file()
    assert classifier.labels == CATEGORIES
    assert classifier.version.split(".")[0] == str(ec.MODEL_FORMAT_MAJOR)
    # The metadata read independently of the class gives back the same objects.
    meta = (
        ort.InferenceSession(str(classifier.path), providers=["CPUExecutionProvider"])
        .get_modelmeta()
        .custom_metadata_map
    )
    assert FeatureSpec.from_json(meta["facemotion_feature_spec"]) == classifier.spec
    assert FeatureSpec.from_json(classifier.spec.to_json()) == classifier.spec
    assert tuple(json.loads(meta["facemotion_labels"])) == CATEGORIES
    assert classifier.session.get_inputs()[0].shape[1] == classifier.spec.size
    # The shipped model is geometry only (models/README.md: LBP of untextured renders does not transfer to photos).
    assert "lbp" not in classifier.spec.parts and not classifier.spec.needs_image
    training = classifier.training
    assert training["spec"] == list(classifier.spec.parts)
    assert training["chosen"]["model"] and 0.0 <= training["chosen"]["cv_accuracy"] <= 1.0
    assert training["export_max_abs_diff"] <= 1e-4


def test_predict_shapes_and_probabilities(classifier):
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 0.05, (5, classifier.spec.size)).astype(np.float32)
    p = classifier.predict(x)
    assert p.shape == (5, 8) and p.dtype == np.float32
    assert np.all(p >= 0) and np.allclose(p.sum(axis=1), 1.0, atol=1e-5)
    one = classifier.predict(x[0])
    assert one.shape == (1, 8) and np.allclose(one, p[:1], atol=1e-6)
    assert classifier.predict(np.zeros((0, classifier.spec.size))).shape == (0, 8)
    with pytest.raises(InputError, match=f"\\(N, {classifier.spec.size}\\)"):
        classifier.predict(x[:, :-1])
    bad = x.copy()
    bad[0, 3] = np.nan
    with pytest.raises(InputError, match="NaN"):
        classifier.predict(bad)


def test_real_photo_of_a_smiling_woman_is_happy(classifier, astronaut):
    results = ec.classify_image(asset_path("faces/astronaut.png"), classifier=classifier)
    assert len(results) == 1
    r = results[0]
    assert r.label == "happy", r.probabilities
    assert list(r.probabilities) == list(CATEGORIES)
    assert abs(sum(r.probabilities.values()) - 1.0) < 1e-5
    assert r.probabilities["happy"] > 0.5
    assert 0.0 <= r.intensity <= 1.0 and r.intensity == pytest.approx(1.0 - r.probabilities["neutral"], abs=1e-6)
    # classify_face on the same face gives the same answer; a grey copy still reads as happy.
    again = classifier.classify_face(r.face, astronaut)
    assert again.probabilities == pytest.approx(r.probabilities, abs=1e-6)
    grey = ec.classify_image(astronaut.mean(axis=2).astype(np.uint16) * 257, classifier=classifier)
    assert grey and grey[0].label == "happy"


def test_image_without_a_face_gives_no_result(classifier):
    flat = np.full((300, 300, 3), 128, np.uint8)
    assert ec.classify_image(flat, classifier=classifier) == []


def test_session_is_created_once_and_reused(astronaut):
    shared = ec.default_classifier()
    assert ec.default_classifier() is shared
    session = shared.session
    ec.classify_image(astronaut, classifier=None)  # goes through default_classifier()
    shared.predict(np.zeros(shared.spec.size, np.float32))
    assert shared.session is session and ec.default_classifier() is shared
    threads = session.get_session_options().intra_op_num_threads
    assert threads == 1


# ----------------------------------------------------------------------------------------------------------------------
# metadata mismatches


DISTANCES_ONLY = FeatureSpec(("distances",))


def _tiny_model(path, width, *, labels=CATEGORIES, spec=DISTANCES_ONLY, version="1.0", drop=()):
    """A real (tiny) logistic-regression ONNX model of input ``width`` written with skl2onnx, with the given
    metadata."""
    import onnx
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, width)).astype(np.float32)
    y = np.arange(80) % 8
    model = LogisticRegression(max_iter=200).fit(x, y)
    onx = to_onnx(model, x[:1], options={id(model): {"zipmap": False}}, target_opset={"": 17, "ai.onnx.ml": 3})
    props = {
        "facemotion_labels": json.dumps(list(labels)),
        "facemotion_feature_spec": spec.to_json(),
        "facemotion_model_version": version,
        "facemotion_training": "{}",
    }
    onnx.helper.set_model_props(onx, {k: v for k, v in props.items() if k not in drop})
    path.write_bytes(onx.SerializeToString())
    return path


def test_spec_size_not_matching_input_width_names_both(tmp_path):
    path = _tiny_model(tmp_path / "m.onnx", 10, spec=FeatureSpec(("distances",)))
    with pytest.raises(InputError) as err:
        ec.EmotionClassifier(path)
    msg = str(err.value)
    assert "size 23" in msg and "input width is 10" in msg and "distances" in msg and str(path) in msg


def test_wrong_labels_name_both_sets(tmp_path):
    labels = ("neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "boredom")
    path = _tiny_model(tmp_path / "m.onnx", 23, labels=labels)
    with pytest.raises(InputError) as err:
        ec.EmotionClassifier(path)
    msg = str(err.value)
    assert "boredom" in msg and "contempt" in msg and "label set" in msg
    # Same classes in another order are wrong too: the probability columns would be mislabelled.
    with pytest.raises(InputError, match="label set"):
        ec.EmotionClassifier(_tiny_model(tmp_path / "m2.onnx", 23, labels=tuple(reversed(CATEGORIES))))


def test_missing_keys_and_unknown_version_are_named(tmp_path):
    with pytest.raises(InputError) as err:
        ec.EmotionClassifier(_tiny_model(tmp_path / "a.onnx", 23, drop=("facemotion_feature_spec",)))
    assert "facemotion_feature_spec" in str(err.value)
    with pytest.raises(InputError) as err:
        ec.EmotionClassifier(_tiny_model(tmp_path / "b.onnx", 23, version="2.0"))
    assert "'2.0'" in str(err.value) and f"{ec.MODEL_FORMAT_MAJOR}.x" in str(err.value)
    with pytest.raises(InputError, match="does not exist"):
        ec.EmotionClassifier(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(InputError, match="cannot be loaded"):
        ec.EmotionClassifier(tmp_path / "junk.onnx")


def test_matching_tiny_model_loads_and_lbp_needs_the_image(tmp_path, astronaut):
    spec = FeatureSpec(("distances", "lbp"))
    clf = ec.EmotionClassifier(_tiny_model(tmp_path / "lbp.onnx", PARTS["distances"] + PARTS["lbp"], spec=spec))
    assert clf.spec == spec and clf.spec.needs_image
    from facemotion.core.detect.landmarks import default_detector

    face = default_detector().detect_one(astronaut)
    with pytest.raises(InputError, match="lbp"):
        clf.classify_face(face)
    result = clf.classify_face(face, astronaut)
    assert result.label in CATEGORIES


# ----------------------------------------------------------------------------------------------------------------------
# the training tool's export (real renders, small)


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    import emotion_data
    import train_emotion

    folder = tmp_path_factory.mktemp("emotion_data")
    data = emotion_data.generate_synthetic(n_faces=120, seed=3, progress=False)
    path = emotion_data.save_dataset(folder / "small.npz", data)
    return train_emotion.load_dataset(path)


def test_training_exports_a_deterministic_model_that_matches_scikit_learn(small_data, tmp_path):
    import train_emotion

    train_ids = np.unique(small_data.groups)[:11]
    train = small_data.subset(np.isin(small_data.groups, train_ids))
    test = small_data.subset(~np.isin(small_data.groups, train_ids))
    kwargs = dict(
        spec=FeatureSpec(("distances", "blendshapes")),
        heldout=test,
        n_splits=3,
        families=("svm", "logreg"),
        log=lambda *a: None,
    )
    onnx_bytes, summary = train_emotion.train(train, **kwargs)
    again, _ = train_emotion.train(train, **kwargs)
    assert again == onnx_bytes  # bit-for-bit for the same data and seed
    path = tmp_path / "model.onnx"
    path.write_bytes(onnx_bytes)
    clf = ec.EmotionClassifier(path)
    assert clf.spec.parts == ("distances", "blendshapes") and clf.training["chosen"] == summary["chosen"]
    assert summary["heldout"]["faces"] == len(test) and summary["export_max_abs_diff"] <= 1e-4
    # onnxruntime through the runtime class == scikit-learn refit with the chosen recipe.
    family, params = next(
        (
            c
            for c in train_emotion.candidates(clf.spec.size, ("svm", "logreg"))
            if train_emotion.describe(*c) == summary["chosen"]["model"]
        )
    )
    model = train_emotion.fit(family, params, train.features(clf.spec), train.y, 0)
    expected = train_emotion.predict_proba_8(model, test.features(clf.spec))
    assert np.abs(clf.predict(test.features(clf.spec)) - expected).max() < 1e-4
    # Learned something on unseen identities (chance is 1/8).
    assert summary["heldout"]["accuracy"] > 0.3


def test_relative_training_pairs_each_face_with_a_neutral_of_its_identity(small_data, tmp_path):
    import train_emotion

    ref = small_data.reference_index(0)
    assert np.all(small_data.labels[ref] == "neutral") and np.all(small_data.groups[ref] == small_data.groups)
    neutral = np.flatnonzero(small_data.labels == "neutral")
    np.testing.assert_array_equal(ref[neutral], neutral)  # one neutral per identity here: it is its own rest
    np.testing.assert_array_equal(ref, small_data.reference_index(0))
    twice = train_emotion.concat_datasets([small_data, small_data])
    ref2 = twice.reference_index(0)
    neutral2 = np.flatnonzero(twice.labels == "neutral")
    assert np.all(ref2[neutral2] != neutral2)  # with two: another photo of the person, not itself
    spec = train_emotion.parse_spec("distances,blendshapes,asymmetry", relative=True)
    assert spec.parts == ("blendshapes", "asymmetry") and spec.delta_parts == ("distances", "blendshapes", "asymmetry")
    onnx_bytes, summary = train_emotion.train(
        small_data, spec=spec, n_splits=3, families=("logreg",), log=lambda *a: None
    )
    (tmp_path / "relative.onnx").write_bytes(onnx_bytes)
    clf = ec.EmotionClassifier(tmp_path / "relative.onnx")
    assert clf.needs_reference and clf.spec == spec and summary["delta_parts"] == list(spec.delta_parts)
    width = PARTS["blendshapes"] + PARTS["asymmetry"] + PARTS["distances"] + PARTS["blendshapes"] + PARTS["asymmetry"]
    assert clf.session.get_inputs()[0].shape[1] == width == len(spec.names())
    # The design matrix: the measured blendshapes and asymmetry, then each delta part minus the reference face's.
    X = small_data.features(spec, 0)
    n = PARTS["blendshapes"] + PARTS["asymmetry"]
    measured = small_data.features(FeatureSpec(spec.delta_parts))
    np.testing.assert_allclose(X[:, n:], measured - measured[ref], atol=1e-6)
    np.testing.assert_array_equal(X[:, :n], small_data.features(FeatureSpec(spec.parts)))
    unknown = small_data.subset(np.ones(len(small_data), bool))
    unknown.groups = np.full(len(unknown), -1)
    with pytest.raises(InputError, match="subject id"):
        unknown.features(spec)


def test_nuisance_projection_makes_the_model_blind_to_head_shape_and_identity(small_data, tmp_path):
    """--nuisance-projection (NAP, Solomonoff et al. 2005) folded into an ordinary exported logistic regression: its
    output does not move when a face's features move along a smooth head-shape warp of the canonical face or along
    the training identities' leading direction of variation at rest; same data and seed, same bytes."""
    import train_emotion

    spec = train_emotion.DEFAULT_FEATURE_SPEC
    train_ids = np.unique(small_data.groups)[:11]
    train = small_data.subset(np.isin(small_data.groups, train_ids))
    test = small_data.subset(~np.isin(small_data.groups, train_ids))
    kwargs = dict(spec=spec, heldout=test, n_splits=3, families=("logreg",), nuisance=4, log=lambda *a: None)
    onnx_bytes, summary = train_emotion.train(train, **kwargs)
    assert train_emotion.train(train, **kwargs)[0] == onnx_bytes
    assert summary["nuisance_projection"]["identity_rank"] == 4 and "nuisance=4" in summary["chosen"]["model"]
    path = tmp_path / "nap.onnx"
    path.write_bytes(onnx_bytes)
    clf = ec.EmotionClassifier(path)
    assert clf.spec == spec  # the runtime contract is that of a model without the projection

    X = test.features(spec).astype(np.float64)
    base = clf.predict(X)
    model = train_emotion.fit("logreg", {"C": 0.1, "nuisance": 4}, train.features(spec), train.y, 0, train.groups, spec)
    scale = model.named_steps["scale"].scale_
    warps = train_emotion.head_shape_directions(spec)
    blendshapes = slice(PARTS["distances"], PARTS["distances"] + PARTS["blendshapes"])
    assert warps.shape == (3 * len(train_emotion.HEAD_WARP_MONOMIALS), spec.size)
    assert np.abs(warps[:, blendshapes]).max() == 0  # a head's shape, not its expression
    # A face widened toward the chin (x * y^2 added to x) by as much as the test faces' own spread; every warp at once.
    wide = warps[train_emotion.HEAD_WARP_MONOMIALS.index((1, 2, 0))]
    plain = train_emotion.fit("logreg", {"C": 0.1}, train.features(spec), train.y, 0)
    for direction in (wide, warps.sum(axis=0)):
        moved = X + direction * (np.abs(X - X.mean(0)).max() / np.abs(direction).max())
        np.testing.assert_allclose(clf.predict(moved), base, atol=2e-3)
        # (not to 1e-8: the warps' near-null directions, below NUISANCE_RANK_TOLERANCE, are left in)
        assert np.abs(model.predict_proba(moved) - model.predict_proba(X)).max() < 1e-3
        assert np.abs(plain.predict_proba(moved) - plain.predict_proba(X)).max() > 0.05  # without it, it moves
    # The first identity direction (scaled space): the regression's weights have no component along it.
    Z = model.named_steps["scale"].transform(train.features(spec))
    U = train_emotion.nuisance_basis(Z, train.y, train.groups, spec, scale, 4)
    coef = model.named_steps["logreg"].coef_
    # (1e-7, not machine precision: one projection of weights fitted in float64 leaves ~1e-8 on some data)
    assert U.shape[1] > 4 and np.abs(coef @ U).max() < 1e-7 * np.abs(coef).max()
    assert summary["heldout"]["accuracy"] > 0.3
    with pytest.raises(InputError, match="rest pose"):
        train_emotion.head_shape_directions(train_emotion.parse_spec("distances,blendshapes", relative=True))
    assert train_emotion.main(["--data", str(small_data.path), "--nuisance-projection", "-1"]) == 2
