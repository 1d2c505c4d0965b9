"""tools/emotion_data.py on real data: ICT-FaceKit renders through the real Face Landmarker, and a labeled folder
holding the real astronaut photo, a grey image and a corrupt file. One small synthetic set (24 faces) per module."""

import json
import shutil

import cv2
import emotion_data as ed
import numpy as np
import pytest

from facemotion.core.arkit import ARKIT_INDEX
from facemotion.core.emotion.features import MEASURED_PARTS, PARTS
from facemotion.core.emotion.presets import CATEGORIES
from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path

N_FACES = 24
SEED = 1


@pytest.fixture(scope="module")
def synth():
    return ed.generate_synthetic(N_FACES, seed=SEED, progress=False)


def _smile(data):
    b = data["blendshapes"]
    return (b[:, ARKIT_INDEX["mouthSmileLeft"]] + b[:, ARKIT_INDEX["mouthSmileRight"]]) / 2.0


def _assert_same(a, b):
    for key in (*MEASURED_PARTS, "labels", "groups", "intensity", "source", "weights", "head_pose_deg"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


def test_synthetic_arrays_have_the_agreed_shapes(synth):
    n = len(synth["labels"])
    assert n == synth["meta"]["detected"] and n + synth["meta"]["missed"] == N_FACES
    for part in MEASURED_PARTS:
        dim = PARTS[part]
        assert synth[part].shape == (n, dim) and synth[part].dtype == np.float32, part
        assert np.isfinite(synth[part]).all(), part
    assert synth["labels"].dtype.kind == "U" and synth["source"].dtype.kind == "U"
    assert synth["groups"].dtype == np.int64 and synth["intensity"].dtype == np.float32
    assert set(synth["source"]) == {"ict-render"}
    assert synth["meta"]["seed"] == SEED and synth["meta"]["generator_version"] == ed.GENERATOR_VERSION


def test_synthetic_labels_are_stratified_and_groups_repeat(synth):
    assert set(synth["labels"]) == set(CATEGORIES)  # 24 >= 16 faces: every label
    ids, counts = np.unique(synth["groups"], return_counts=True)
    assert len(ids) >= 2 and counts.min() >= 2  # subject-independent CV is possible
    neutral = synth["labels"] == "neutral"
    assert np.all(synth["intensity"][neutral] == 0.0)
    assert np.all((synth["intensity"][~neutral] >= 0.35) & (synth["intensity"][~neutral] <= 1.0))


def test_most_renders_are_detected(synth):
    assert synth["meta"]["detected"] >= 0.9 * N_FACES


def test_happy_renders_smile_more_than_neutral_ones(synth):
    smile = _smile(synth)
    happy = smile[synth["labels"] == "happy"].mean()
    neutral = smile[synth["labels"] == "neutral"].mean()
    assert happy > neutral + 0.1, (happy, neutral)


def test_same_seed_gives_identical_arrays_other_seed_differs(synth):
    _assert_same(ed.generate_synthetic(N_FACES, seed=SEED, progress=False), synth)
    other = ed.generate_synthetic(8, seed=SEED + 1, progress=False)
    assert not np.array_equal(other["landmarks"], synth["landmarks"][: len(other["labels"])])
    assert not np.array_equal(other["weights"], synth["weights"][: len(other["weights"])])


def test_workers_give_the_same_faces(synth):
    # Each face has its own seed, so 2 processes (each with its own detector) reproduce the first 8 faces exactly
    # (8 faces = one identity, identity 0, as in the 24-face set).
    two = ed.generate_synthetic(8, seed=SEED, workers=2, progress=False)
    first = {k: v[:8] for k, v in synth.items() if k != "meta"}
    _assert_same(two, first)


def _first_sample_of_style(style, eyes=None):
    identity = ed.sample_identity(2)
    for index in range(200):
        sample = ed.sample_face(ed._face_rng(SEED, index), "happy", identity)
        if sample.style == style and eyes in (None, sample.eyes):
            return sample
    raise AssertionError(f"no {style} face in 200 draws")


def test_styles_are_drawn_in_their_shares():
    identity = ed.sample_identity(0)
    styles = [ed.sample_face(ed._face_rng(SEED, i), "sad", identity).style for i in range(400)]
    for style, share in zip(ed.STYLES, ed.STYLE_SHARES):
        assert abs(styles.count(style) / 400 - share) < 0.07, style


def test_plain_and_mask_faces_drop_texture_and_parts_and_are_still_detected():
    from facemotion.core.detect.landmarks import default_detector

    renderer = ed.FaceRenderer()
    painted = _first_sample_of_style("painted")
    plain = _first_sample_of_style("plain", eyes="hidden")
    mask = _first_sample_of_style("mask")
    assert len(renderer.visible_triangles(painted)) == len(renderer.triangles)
    eyeball_vertices = np.arange(*ed.ICT_IRIS_BALLS[0])
    assert not np.isin(renderer.visible_triangles(plain), eyeball_vertices).any()  # the sockets show
    kept = np.unique(renderer.visible_triangles(mask))
    assert ed.ICT_LANDMARKS_68[8] in kept  # the chin stays on a mask...
    back = np.argmin(renderer.template.vertices[:, 2])  # ...the back of the head does not
    assert back not in kept and len(kept) < 0.8 * len(np.unique(renderer.triangles))
    for sample in (plain, mask):
        sample.noise_sigma, sample.jpeg_quality, sample.blur_sigma = 0.0, 0, 0.0
        image = ed.render_sample(renderer, sample)
        assert default_detector().detect(image), sample.style


def test_identity_offset_gives_other_heads():
    assert ed.identity_coefficients(0).shape == (20,)
    np.testing.assert_array_equal(ed.identity_coefficients(3), ed.identity_coefficients(3))
    assert not np.allclose(ed.identity_coefficients(3), ed.identity_coefficients(1003))
    people = [ed.sample_identity(i) for i in range(200)]
    caricatures = [p for p in people if not np.allclose(p.proportions, 1.0)]
    caricature_ids = {p.id for p in caricatures}
    assert abs(len(caricatures) / len(people) - ed.CARICATURE_SHARE) < 0.08
    for p in people:
        limit = 2.5 * (ed.CARICATURE_EXAGGERATION[1] if p.id in caricature_ids else 1.0)
        assert np.abs(p.coefficients).max() <= limit + 1e-9
    assert all(np.all((p.proportions >= 0.86) & (p.proportions <= 1.14)) for p in caricatures)


def test_dataset_round_trip_and_validation(tmp_path, synth):
    path = ed.save_dataset(tmp_path / "set.npz", synth)
    back = ed.load_dataset(path)
    _assert_same(back, synth)
    assert back["meta"]["per_class"] == synth["meta"]["per_class"]
    with np.load(path) as raw:  # the agreed on-disk form of meta: 0-d JSON string
        assert raw["meta"].shape == () and json.loads(str(raw["meta"]))["seed"] == SEED
    assert ed.save_dataset(tmp_path / "again.npz", synth).read_bytes() == path.read_bytes()  # reproducible bytes
    broken = dict(synth, lbp=synth["lbp"][:, :10])
    with pytest.raises(InputError, match="lbp"):
        ed.save_dataset(tmp_path / "broken.npz", broken)
    np.savez(tmp_path / "partial.npz", labels=synth["labels"])
    with pytest.raises(InputError, match="lacks"):
        ed.load_dataset(tmp_path / "partial.npz")
    with pytest.raises(InputError, match="does not exist"):
        ed.load_dataset(tmp_path / "missing.npz")


def test_synth_cli_rebuilds_the_same_file(tmp_path, capsys):
    args = ["synth", "--n", "8", "--seed", "3", "--workers", "1", "--identity-offset", "500"]
    assert ed.main([*args, "--out", str(tmp_path / "a.npz")]) == 0
    assert "detected" in capsys.readouterr().out
    assert ed.main([*args, "--out", str(tmp_path / "b.npz")]) == 0
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    data = ed.load_dataset(tmp_path / "a.npz")
    assert set(data["groups"]) == {500} and data["meta"]["identity_offset"] == 500


def test_label_names_map_case_insensitively():
    assert ed.resolve_label("Happiness") == "happy" and ed.resolve_label(" JOY ") == "happy"
    assert ed.resolve_label("Angry") == "anger" and ed.resolve_label("calm") == "neutral"
    assert ed.resolve_label("afraid") == "fear" and ed.resolve_label("surprised") == "surprise"
    assert ed.resolve_label("bored") is None


@pytest.fixture()
def photo_folder(tmp_path):
    root = tmp_path / "photos"
    (root / "happiness" / "session1").mkdir(parents=True)
    (root / "neutral").mkdir()
    shutil.copy(asset_path("faces/astronaut.png"), root / "happiness" / "session1" / "astronaut.png")
    cv2.imwrite(str(root / "neutral" / "grey.png"), np.full((200, 200), 128, np.uint8))
    (root / "happiness" / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (root / "happiness" / "notes.txt").write_text("not an image")
    return root


def test_labeled_folder_keeps_faces_and_reports_skipped_files(photo_folder):
    data = ed.load_labeled_folder(photo_folder)
    assert list(data["labels"]) == ["happy"]
    assert data["source"][0].endswith("astronaut.png")
    assert data["groups"].tolist() == [-1] and np.isnan(data["intensity"]).all()
    for part in MEASURED_PARTS:
        dim = PARTS[part]
        assert data[part].shape == (1, dim)
    assert _smile(data)[0] > 0.5  # the astronaut smiles
    skipped = data["meta"]["skipped"]
    assert skipped["no_face"]["count"] == 1 and skipped["no_face"]["examples"][0].endswith("grey.png")
    assert skipped["unreadable"]["count"] == 1 and skipped["unreadable"]["examples"][0].endswith("corrupt.jpg")
    assert data["meta"]["images"] == 3  # notes.txt is not an image


def test_labeled_folder_reads_subjects_from_groups_json(photo_folder):
    (photo_folder / "groups.json").write_text(json.dumps({"happiness/session1/astronaut.png": "nasa-01"}))
    data = ed.load_labeled_folder(photo_folder)
    assert data["groups"].tolist() == [0] and data["meta"]["subjects"] == ["nasa-01"]


def test_unknown_label_folder_is_an_input_error(photo_folder):
    (photo_folder / "bored").mkdir()
    with pytest.raises(InputError, match="bored") as info:
        ed.load_labeled_folder(photo_folder)
    assert "happiness" in str(info.value) and "contempt" in str(info.value)  # lists the accepted names


def test_folder_cli_writes_a_loadable_dataset(photo_folder, tmp_path, capsys):
    out = tmp_path / "photos.npz"
    assert ed.main(["folder", str(photo_folder), "--out", str(out)]) == 0
    assert "1 unreadable, 1 without a face" in capsys.readouterr().out
    assert ed.load_dataset(out)["labels"].tolist() == ["happy"]
    assert ed.main(["folder", str(tmp_path / "nowhere"), "--out", str(out)]) == 2
