"""Smoke tests of tools/evaluate_emotion.py on real (small) data: the feature table on renders from
tools/emotion_data.py with identities held out, and the rig's emotional consistency on one head."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import evaluate_emotion  # noqa: E402

from facemotion.core.emotion.presets import CATEGORIES  # noqa: E402


@pytest.fixture(scope="module")
def split_data(tmp_path_factory):
    """120 rendered faces (15 identities): identities 0-10 for training, 11-14 held out."""
    import emotion_data

    folder = tmp_path_factory.mktemp("emotion_eval")
    data = emotion_data.generate_synthetic(n_faces=120, seed=3, progress=False)
    held = np.isin(data["groups"], np.arange(11, 15))
    paths = []
    for name, mask in (("train", ~held), ("test", held)):
        part = {k: (v if k == "meta" else v[mask]) for k, v in data.items()}
        paths.append(emotion_data.save_dataset(folder / f"{name}.npz", part))
    return paths


def test_features_command_prints_the_table_with_guo_beside_ours(split_data, capsys):
    train, test = split_data
    assert evaluate_emotion.main(["features", "--train", str(train), "--test", str(test)]) == 0
    out = capsys.readouterr().out
    rows = {}
    for line in out.splitlines():
        m = re.match(
            r"^(distances\+lbp|distances|blendshapes|all|shipped spec)\s+(\d+)\s+(.*)\|\s+(\S+)\s+(\S+)\s+(\S+)$", line
        )
        if m:
            rows[m.group(1)] = (
                int(m.group(2)),
                [float(v) for v in m.group(3).split()],
                float(m.group(4)),
                float(m.group(6)),
            )
    assert set(rows) == {"distances", "distances+lbp", "blendshapes", "all", "shipped spec"}
    assert rows["distances"][0] == 23 and rows["distances+lbp"][0] == 23 + 1180 and rows["all"][0] == 2684
    for _dims, per_class, mean8, _overall in rows.values():
        assert len(per_class) == 8 and all(0.0 <= v <= 100.0 for v in per_class)
        assert mean8 == pytest.approx(np.mean(per_class), abs=0.06)
    # Guo's figures printed beside ours, and the geometry is learned on unseen identities (chance 12.5 %).
    assert re.search(r"\[Guo 2025\] distances\+lbp\s.*98\.9.*92\.1", out)
    assert re.search(r"\[Guo 2025\] distances\s.*91\.7.*96\.5.*89\.1", out)
    assert rows["distances"][3] > 30.0 and rows["shipped spec"][3] > 30.0
    # One confusion matrix per feature set, 8 rows each summing to the held-out count per class.
    assert out.count("Confusion matrix") == 5
    n_test = int(np.load(test)["labels"].shape[0])
    block = out[out.index("Confusion matrix, distances ") :].splitlines()[2:10]
    counts = np.array([[int(v) for v in line.split()[1:]] for line in block])
    assert [line.split()[0] for line in block] == list(CATEGORIES) and counts.sum() == n_test


def test_consistency_on_one_head_reports_a_share(capsys, tmp_path):
    code = evaluate_emotion.main(
        [
            "consistency",
            "--heads",
            "canonical",
            "--emotions",
            # Not surprise: MediaPipe's canonical face is a mask whose lips are one surface, so its rig has no
            # jawOpen (a shape that would tear it) and its surprise cannot drop the jaw.
            "happy,anger,sad",
            "--intensities",
            "1.0",
            "--no-bench",
            "--json",
            str(tmp_path / "c.json"),
            "--sheet",
            str(tmp_path / "sheet.png"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    # Per head every item's read class, a JSON per model (one rig shared by both) and a contact sheet per model.
    import json

    import cv2

    assert re.search(r"^canonical \(\d/3\): happy 1\.0->\w+\*?, anger 1\.0->", out, re.M), out
    runs = json.loads((tmp_path / "c.json").read_text())
    assert len(runs) == 2 and runs[1]["model"] == "emotion_classifier_relative.onnx"
    assert [r["emotion"] for r in runs[1]["records"]] == ["happy", "anger", "sad"]
    assert runs[1]["consistency_percent"] == pytest.approx(100.0 * np.mean([r["correct"] for r in runs[1]["records"]]))
    for model, tiles in (("emotion_classifier", 3), ("emotion_classifier_relative", 4)):  # + the rest pose
        sheet = cv2.imread(str(tmp_path / f"sheet_{model}.png"))
        assert sheet.shape == (160, tiles * 160, 3) and sheet.std() > 10
    # Both shipped models are judged: each pose alone, then against the head's rest pose.
    shares = re.findall(r"emotional consistency: (\d+)/(\d+) = ([\d.]+) %", out)
    assert len(shares) == 2 and "against the head's rest pose" in out
    for right, total, percent in shares:
        assert int(total) == 3 and float(percent) == pytest.approx(100.0 * int(right) / 3, abs=0.06)
    # Full-strength presets on MediaPipe's own face mesh, rigged by facemotion, all read right against its rest pose.
    assert shares[1][0] == "3", out
    # Every render showed a face to the detector (a missed face would read "no face").
    assert "no face" not in out
    assert re.search(r"^happy\s+\d/1\s+\d/1$", out, re.M) and re.search(r"^anger\s+\d/1", out, re.M)


def test_consistency_items_cover_every_preset_once_per_intensity():
    items = evaluate_emotion.consistency_items()
    assert ("neutral", 0.0) in items and len(items) == 1 + 7 * 2
    assert {e for e, _ in items} == set(CATEGORIES)


def test_non_ict_heads_are_built_by_name():
    """Issue 9's heads that are not ICT identities: warps and the full character come from synthetic_heads, the
    character seen along its own forward axis; unknown names fail with one line."""
    from facemotion.core.errors import FacemotionError

    assert evaluate_emotion.NON_ICT_HEADS.split(",")[:3] == ["canonical", "character", "warp-wide"]
    head = evaluate_emotion.synthetic_head("warp-long")
    assert head.follow_face and head.colours is None and len(head.vertices) > 20000
    assert head.triangles.max() < len(head.vertices)
    with pytest.raises(FacemotionError, match="unknown warp 'sideways'"):
        evaluate_emotion.synthetic_head("warp-sideways")
    with pytest.raises(FacemotionError, match="character or warp-KIND"):
        evaluate_emotion.consistency_heads(("nobody",))


def test_readability_reads_each_render_alone(capsys, tmp_path):
    """Issue 17's single-image readability on one head: every preset at 1.0 plus the rest pose, each render judged
    alone by the fused classifier; the relative model (which needs a rest pose) is refused."""
    import json

    import cv2

    code = evaluate_emotion.main(
        [
            "readability",
            "--heads",
            "canonical",
            "--intensities",
            "1.0",
            "--json",
            str(tmp_path / "r.json"),
            "--sheet",
            str(tmp_path / "r.png"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    run = json.loads((tmp_path / "r.json").read_text())
    assert run["model"] == "fused: emotion_classifier.onnx + appearance" and len(run["records"]) == 8  # + rest
    posed = [r for r in run["records"] if r["emotion"] != "neutral"]
    assert re.search(rf"read as intended from one frame: {sum(r['correct'] for r in posed)}/7 = ", out), out
    assert "resting faces (neutral or uncertain wanted): canonical -> " in out
    assert "no face" not in out
    assert cv2.imread(str(tmp_path / "r.png")).shape == (160, 8 * 160, 3)
    assert (
        evaluate_emotion.main(
            ["readability", "--heads", "canonical", "--model", str(evaluate_emotion.RELATIVE_MODEL_PATH)]
        )
        == 2
    )


def test_readability_counts_an_uncertain_resting_face_as_right():
    records = [
        dict(
            head="h", emotion="neutral", intensity=0.0, predicted="anger", p_intended=0.3, uncertain=True, correct=True
        ),
        dict(head="h", emotion="anger", intensity=1.0, predicted="anger", p_intended=0.9, correct=True),
        dict(head="h", emotion="sad", intensity=0.6, predicted="anger", p_intended=0.2, correct=False),
    ]
    text = evaluate_emotion.format_readability(records)
    assert "read as intended from one frame: 1/2 = 50.0 %" in text and "h -> anger (uncertain)" in text
    assert text.endswith("every resting face neutral or uncertain: True")
