"""core/emotion/features.py on real faces: the astronaut photo (and its mirror image) and ICT-FaceKit renders posed
with a one-sided and a two-sided smile, all through the real Face Landmarker."""

import emotion_data as ed
import numpy as np
import pytest

from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.detect.landmarks import default_detector
from facemotion.core.emotion.features import (
    ASYMMETRY_BLENDSHAPES,
    ASYMMETRY_DISTANCES,
    DERIVED_PARTS,
    GUO_DISTANCES,
    MEASURED_PARTS,
    PARTS,
    FeatureSpec,
    assemble,
    extract_features,
    extract_parts,
)
from facemotion.core.emotion.presets import preset_weights
from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path
from facemotion.core.io.image_io import load_image


@pytest.fixture(scope="module")
def photo():
    image = load_image(asset_path("faces/astronaut.png"))
    return image, default_detector().detect(image)[0]


@pytest.fixture(scope="module")
def mirrored(photo):
    image = np.ascontiguousarray(photo[0][:, ::-1])
    return image, default_detector().detect(image)[0]


def test_every_part_has_its_documented_width_and_names(photo):
    parts = extract_parts(photo[1], photo[0])
    assert set(parts) == set(PARTS)
    for name, values in parts.items():
        assert values.shape == (PARTS[name],) and values.dtype == np.float32 and np.isfinite(values).all(), name
    spec = FeatureSpec(tuple(PARTS))
    assert len(spec.names()) == spec.size == sum(PARTS.values())
    assert set(MEASURED_PARTS) | set(DERIVED_PARTS) == set(PARTS)
    assert len(ASYMMETRY_DISTANCES) == 9  # every bilateral [Guo 2025] distance has its mirror
    for right, left in ASYMMETRY_DISTANCES:
        assert "right" in " ".join(GUO_DISTANCES[right]) and "left" in " ".join(GUO_DISTANCES[left])


def test_mirrored_photo_swaps_the_sides_and_keeps_the_asymmetry(photo, mirrored):
    a, b = extract_parts(photo[1], photo[0]), extract_parts(mirrored[1], mirrored[0])
    right, left = (list(side) for side in zip(*ASYMMETRY_DISTANCES))
    # The subject's right side in one image is the left side in the other: within the detector's own jitter.
    np.testing.assert_allclose(a["distances"][right], b["distances"][left], atol=0.05)
    # The geometric asymmetry is mirror-invariant too (MediaPipe's blendshape scores are not: its eyeSquint differs
    # by 0.17 between the photo and its mirror image, so only the distance half is compared).
    n = len(ASYMMETRY_BLENDSHAPES)
    np.testing.assert_allclose(a["asymmetry"][n:], b["asymmetry"][n:], atol=0.05)
    assert not np.allclose(a["distances"][right], a["distances"][left], atol=1e-4)  # the face is not symmetric


def test_derived_part_is_computed_from_the_measured_ones_in_a_batch(photo):
    parts = extract_parts(photo[1], photo[0], MEASURED_PARTS)
    assert "asymmetry" not in parts
    spec = FeatureSpec(("distances", "asymmetry"))
    one = assemble(parts, spec)
    batch = assemble({k: np.stack([v, v]) for k, v in parts.items()}, spec)
    np.testing.assert_array_equal(batch[1], one)
    np.testing.assert_array_equal(one, extract_features(photo[1], photo[0], spec))
    with pytest.raises(InputError, match="asymmetry"):
        assemble({"distances": parts["distances"]}, FeatureSpec(("asymmetry",)))


def _render_weights(renderer, weights, pose=(0.0, 0.0, 0.0)):
    identity = ed.sample_identity(5)
    sample = ed.sample_face(np.random.default_rng(0), "neutral", identity)
    sample.weights = np.asarray(weights, np.float32)
    sample.pose_deg = np.asarray(pose, np.float64)
    sample.style, sample.blur_sigma, sample.noise_sigma, sample.jpeg_quality = "painted", 0.0, 0.0, 0
    image = ed.render_sample(renderer, sample)
    return extract_parts(default_detector().detect(image)[0], image, ("blendshapes", "distances", "asymmetry"))


def test_one_sided_smile_is_more_asymmetric_than_a_smile():
    renderer = ed.FaceRenderer()
    smile = _render_weights(renderer, preset_weights("happy", 1.0))
    smirk = _render_weights(renderer, preset_weights("contempt", 1.0))
    # On renders MediaPipe reads ICT's one-sided smile + dimple mostly as a one-sided press and dimple.
    mouth = [ASYMMETRY_BLENDSHAPES.index(n) for n in ("mouthSmile", "mouthDimple", "mouthPress", "mouthStretch")]
    assert smirk["asymmetry"][mouth].sum() > smile["asymmetry"][mouth].sum() + 0.2
    b = smirk["blendshapes"]
    k = ASYMMETRY_BLENDSHAPES.index("mouthPress")
    assert smirk["asymmetry"][k] == pytest.approx(
        abs(b[ARKIT_INDEX["mouthPressLeft"]] - b[ARKIT_INDEX["mouthPressRight"]])
    )
