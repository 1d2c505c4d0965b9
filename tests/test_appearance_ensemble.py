"""Tests of the appearance channel's second model (tools/convert_faceapi_expression.py: face-api's FaceExpressionNet
from the pinned npm tarball) and of the ensemble (core.emotion.appearance: two models, crop + mirror), on the real
tarball and the astronaut photo."""

import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from facemotion.core.emotion import appearance
from facemotion.core.emotion import classifier as ec
from facemotion.core.emotion.presets import CATEGORIES
from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path
from facemotion.core.io.image_io import load_image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))


@pytest.fixture(scope="module")
def astronaut():
    image = load_image(asset_path("faces/astronaut.png"))
    return image, ec._multi_face_detector().detect(image)[0]


@pytest.fixture(scope="module")
def faceapi_weights():
    import convert_faceapi_expression as cfe

    return cfe.read_weights(cfe.fetch_tarball())


def test_conversion_matches_the_numpy_reference_and_is_deterministic(faceapi_weights):
    import convert_faceapi_expression as cfe

    weights, license_text = faceapi_weights
    assert b"MIT License" in license_text
    # The manifest's uint8 weights are dequantised (min + scale * q): at most 256 values, the biases float32.
    assert len(np.unique(weights["dense3/conv3/pointwise_filter"])) <= 256
    assert weights["dense0/conv0/filters"].shape == (3, 3, 3, 32) and weights["fc/weights"].shape == (256, 7)
    model = cfe.build_onnx(weights)
    ops = [node.op_type for node in model.graph.node]
    assert ops.count("AveragePool") == 1 and ops[-2:] == ["Gemm", "Softmax"] and ops[:2] == ["Sub", "Div"]
    assert sum(any(a.name == "group" and a.i > 1 for a in n.attribute) for n in model.graph.node) == 15  # depthwise
    diff = cfe.check_against_reference(model.SerializeToString(), weights, n=2, seed=5)
    assert diff <= cfe.MAX_ABS_DIFF
    assert cfe.build_onnx(weights).SerializeToString() == model.SerializeToString()


def test_numpy_reference_notices_a_kernel_layout_mistake(faceapi_weights):
    """The reference is a real check: depthwise kernels with rows and columns swapped do not pass it."""
    import convert_faceapi_expression as cfe

    weights, _ = faceapi_weights
    slipped = {k: v.transpose(1, 0, 2, 3) if k.endswith("depthwise_filter") else v for k, v in weights.items()}
    with pytest.raises(cfe.ConversionError, match="differ"):
        cfe.check_against_reference(cfe.build_onnx(slipped).SerializeToString(), weights, n=2)


def test_an_altered_tarball_is_refused(tmp_path):
    import convert_faceapi_expression as cfe

    data = bytearray(cfe.fetch_tarball().read_bytes())
    data[len(data) // 2] ^= 0xFF
    altered = tmp_path / "face-api.tgz"
    altered.write_bytes(bytes(data))
    with pytest.raises(cfe.ConversionError, match="sha512"):
        cfe.fetch_tarball(altered)


def test_the_converter_writes_the_same_bytes_twice(tmp_path):
    import convert_faceapi_expression as cfe

    first, report = cfe.convert(out=tmp_path / "a" / "faceapi_expression.onnx")
    second, _ = cfe.convert(out=tmp_path / "b" / "faceapi_expression.onnx")
    assert first.read_bytes() == second.read_bytes()
    assert (first.parent / "faceapi_LICENSE.txt").read_bytes().startswith(b"MIT License")
    assert max(report["astronaut"], key=report["astronaut"].get) == "happy"


def test_faceapi_crop_frames_the_face_as_face_api_does(astronaut):
    image, face = astronaut
    crop = appearance.faceapi_crop(image, face)
    assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8
    centre, box_w, box_h, roll = appearance.faceapi_frame(face.pixels)
    # The box spans the jaw contour's width and brows-to-chin height, padded by 20 %: a near-square face box.
    assert 0.8 < box_w / box_h < 1.25 and abs(roll) < 0.2
    jaw_width = np.ptp(face.pixels[[234, 454], 0])
    assert box_w == pytest.approx(1.2 * jaw_width, rel=0.1)
    # padToSquare: the shorter side's bands are black, the face fills the rest.
    keep = int(round(112 * min(box_w, box_h) / max(box_w, box_h)))
    band = (112 - keep) // 2
    if box_w < box_h:
        assert band == 0 or not crop[:, :band].any()
    else:
        assert band == 0 or not crop[:band].any()
    assert crop[40:72, 40:72].mean() > 60  # skin in the middle, not padding


def test_ensemble_reads_the_astronaut_happy_with_both_models(astronaut):
    image, face = astronaut
    channel = appearance.default_appearance_channel()
    fer, faceapi = channel.predict_models(image, [face])
    for p in (fer, faceapi):
        assert CATEGORIES[int(np.argmax(p[0]))] == "happy" and p[0].max() > 0.9
        assert p[0][CATEGORIES.index("contempt")] == 0.0 and p[0].sum() == pytest.approx(1.0, abs=1e-5)
    ensemble = channel.predict(image, face)
    np.testing.assert_array_equal(ensemble, (fer + faceapi) / np.float32(2.0))
    assert CATEGORIES[int(np.argmax(ensemble[0]))] == "happy" and ensemble[0].max() > 0.95
    np.testing.assert_array_equal(channel.predict(image, face), ensemble)  # same input, same output
    assert channel.faceapi_session.get_session_options().intra_op_num_threads == 1
    assert channel.predict(image, []).shape == (0, len(CATEGORIES))


def test_ensemble_is_mirror_invariant(astronaut):
    """The channel reads every crop and its mirror image: mirrored crops give the same probabilities (to float
    rounding), and the mirrored photo (landmarks found again on it) reads the same."""
    image, face = astronaut
    channel = appearance.default_appearance_channel()
    fer_crop, faceapi_crop = appearance.face_crop(image, face)[None], appearance.faceapi_crop(image, face)[None]
    # Blurred crops whose two halves differ (lit from one side) stand in for an ambiguous, asymmetric face.
    shaded = (cv2.GaussianBlur(faceapi_crop[0], (0, 0), 4.0) * np.linspace(0.3, 1.0, 112)[None, :, None])[None]
    shaded_fer = (cv2.GaussianBlur(fer_crop[0], (0, 0), 2.5) * np.linspace(0.3, 1.0, 64)[None, :])[None]
    shaded, shaded_fer = shaded.astype(np.uint8), shaded_fer.astype(np.uint8)
    for fc, ac in ((fer_crop, faceapi_crop), (shaded_fer, shaded)):
        straight = channel.predict_from_crops(fc, ac)
        mirrored = channel.predict_from_crops(fc[:, :, ::-1], ac[:, :, ::-1])
        for a, b in zip(straight, mirrored):
            np.testing.assert_allclose(a, b, atol=1e-6)
    # One view alone is not invariant (so the test can fail).
    single = channel.predict_faceapi_crops(np.concatenate([shaded, shaded[:, :, ::-1]]))
    assert np.abs(single[0] - single[1]).max() > 0.01
    single = channel.predict_crops(np.concatenate([shaded_fer, shaded_fer[:, :, ::-1]]))
    assert np.abs(single[0] - single[1]).max() > 0.01
    flipped = np.ascontiguousarray(image[:, ::-1])
    p, q = channel.predict(image, face)[0], channel.predict(flipped, ec._multi_face_detector().detect(flipped)[0])[0]
    assert CATEGORIES[int(np.argmax(q))] == "happy" and 0.5 * np.abs(p - q).sum() < 0.01


def test_channel_says_how_to_build_a_missing_model(tmp_path):
    with pytest.raises(InputError, match="convert_faceapi_expression.py"):
        appearance.AppearanceChannel(faceapi_path=tmp_path / "missing.onnx")
    channel = appearance.default_appearance_channel()
    with pytest.raises(InputError, match="one per face"):
        channel.predict_from_crops(np.zeros((2, 64, 64), np.uint8), np.zeros((1, 112, 112, 3), np.uint8))
