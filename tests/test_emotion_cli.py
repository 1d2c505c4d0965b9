"""``facemotion emotion IMAGE_DIR_OR_VIDEO [--json]`` run as a user runs it (``python tools/cli_entry.py`` in a
subprocess
from the repository root, what ``./facemotion`` runs), and through Blender's ``--command`` handler in this process.

The folder holds the real photo as it is, a grey copy, a 16-bit copy (in a sub-folder), the photo beside a half-size
copy of itself, a corrupt PNG, an image without a face and a text file; each image gives its JSON line(s) in sorted
path order, the bad ones with ``"label": null`` and an ``"error"``, and the run exits 0. Output lines are parsed with
the standard library's json.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from test_emotion_recognition import two_faces, write_tiny_model

from facemotion.core.emotion.classifier import DEFAULT_MODEL_PATH
from facemotion.core.emotion.features import FeatureSpec
from facemotion.core.emotion.presets import CATEGORIES
from facemotion.core.io.assets import asset_path
from facemotion.core.io.image_io import load_image
from facemotion.facemotion_addon.cli.entry import cli_command

ROOT = Path(__file__).resolve().parent.parent
CLI = (sys.executable, str(ROOT / "tools" / "cli_entry.py"))
# "PATH: LABEL (intensity 0.73)  neutral 0.02 happy 0.91 ..." (all 8 classes, in order)
TEXT_LINE = re.compile(
    r"^(?P<path>.+?)(?: \[face (?P<face>\d+)\])?: (?P<label>[a-z]+)(?P<uncertain>, uncertain)? "
    r"\(intensity (?P<i>\d\.\d\d)\)  " + " ".join(rf"{name} (?P<{name}>\d\.\d\d)" for name in CATEGORIES) + "$"
)


def photo_label_ok(record):
    """The astronaut smiles: the shipped model must not call her face a negative emotion."""
    return record["label"] in ("happy", "neutral")


def run_cli(*args, timeout=600):
    return subprocess.run([*CLI, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _describe(proc):
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    photo = load_image(asset_path("faces/astronaut.png"))
    bgr = cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)
    (folder / "sub").mkdir()
    cv2.imwrite(str(folder / "a_photo.png"), bgr)
    cv2.imwrite(str(folder / "b_grey.JPG"), cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY))
    cv2.imwrite(str(folder / "sub" / "c_16bit.png"), bgr.astype(np.uint16) * 257)
    (folder / "d_corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    cv2.imwrite(str(folder / "e_no_face.png"), np.full((240, 320, 3), 128, np.uint8))
    cv2.imwrite(str(folder / "f_two_faces.png"), cv2.cvtColor(two_faces(photo), cv2.COLOR_RGB2BGR))
    (folder / "notes.txt").write_text("not an image, not listed\n")
    return folder


@pytest.fixture(scope="module")
def json_run(image_folder):
    assert DEFAULT_MODEL_PATH.is_file(), f"{DEFAULT_MODEL_PATH} is missing: build it with tools/train_emotion.py"
    return run_cli("emotion", image_folder, "--json")  # the shipped model, the default


def test_json_lines_for_every_image_in_sorted_order_with_errors_inline(json_run, image_folder):
    proc = json_run
    assert proc.returncode == 0, _describe(proc)
    assert "Traceback" not in proc.stdout + proc.stderr, _describe(proc)
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    names = [Path(r["path"]).relative_to(image_folder).as_posix() for r in records]
    assert names == [
        "a_photo.png",
        "b_grey.JPG",
        "d_corrupt.png",
        "e_no_face.png",
        "f_two_faces.png",
        "f_two_faces.png",
        "sub/c_16bit.png",
    ]
    by_name = dict(zip(names, records))
    for record in records:
        if record["label"] is None:
            assert record["probabilities"] is None and record["intensity"] is None and record["face"] is None
            assert record["error"] and "\n" not in record["error"]
            continue
        assert "error" not in record
        assert record["label"] in CATEGORIES
        assert list(record["probabilities"]) == list(CATEGORIES)
        assert sum(record["probabilities"].values()) == pytest.approx(1.0, abs=1e-3)
        assert record["label"] == max(record["probabilities"], key=record["probabilities"].get)
        assert isinstance(record["uncertain"], bool)
        assert record["intensity"] == pytest.approx(1.0 - record["probabilities"]["neutral"], abs=2e-4)
    assert photo_label_ok(by_name["a_photo.png"]) and not by_name["a_photo.png"]["uncertain"]
    assert "not an image" in by_name["d_corrupt.png"]["error"]
    assert "no face" in by_name["e_no_face.png"]["error"]
    # The 16-bit copy holds the photo's pixels exactly; the grey copy is the same face.
    photo, sixteen, grey = by_name["a_photo.png"], by_name["sub/c_16bit.png"], by_name["b_grey.JPG"]
    assert sixteen["probabilities"] == photo["probabilities"] and sixteen["face"] == 0
    assert np.allclose(grey["bbox"], photo["bbox"], atol=6)
    # Two faces: one object each, "face" 0 the larger (the original on the left), 1 the half-size copy.
    big, small = records[4], records[5]
    assert (big["face"], small["face"]) == (0, 1)
    area = [(r["bbox"][2] - r["bbox"][0]) * (r["bbox"][3] - r["bbox"][1]) for r in (big, small)]
    assert 2.5 < area[0] / area[1] < 6.5 and big["bbox"][2] < 512 <= small["bbox"][0]


def test_text_lines_name_the_label_intensity_and_all_eight_classes(image_folder, json_run):
    proc = run_cli("emotion", image_folder)
    assert proc.returncode == 0, _describe(proc)
    lines = proc.stdout.splitlines()
    records = [json.loads(line) for line in json_run.stdout.splitlines()]
    assert len(lines) == len(records)
    for line, record in zip(lines, records):
        assert line.startswith(record["path"])
        if record["label"] is None:
            assert line.startswith(f"{record['path']}: error: ")
            continue
        match = TEXT_LINE.match(line)
        assert match, line
        assert match["label"] == record["label"] and bool(match["uncertain"]) == record["uncertain"]
        assert float(match["i"]) == pytest.approx(record["intensity"], abs=0.006)
        for name in CATEGORIES:
            assert float(match[name]) == pytest.approx(record["probabilities"][name], abs=0.006)
        two = record["path"].endswith("f_two_faces.png")
        assert (match["face"] is not None) == two and (not two or int(match["face"]) == record["face"])


def test_help_documents_the_output_and_exit_status():
    proc = run_cli("emotion", "--help")
    assert proc.returncode == 0, _describe(proc)
    assert proc.stdout.startswith("usage: facemotion emotion") and proc.stderr == ""
    for word in (
        "IMAGE_DIR_OR_VIDEO",
        "--json",
        "--model",
        "--max-faces",
        "--every",
        "--reference",
        "left_out",
        '"face"',
        '"label": null',
        "exit status",
    ):
        assert word in proc.stdout, (word, proc.stdout)
    top = run_cli("--help")
    assert top.returncode == 0 and "emotion" in top.stdout


@pytest.mark.parametrize("case", ["missing-path", "empty-folder", "mismatched-model", "missing-model", "bad-max-faces"])
def test_bad_input_is_one_line_exit_2(case, tmp_path):
    (tmp_path / "empty").mkdir()
    photo = str(asset_path("faces/astronaut.png"))
    spec = FeatureSpec(parts=("blendshapes",))
    args, words = {
        "missing-path": (["emotion", tmp_path / "nowhere"], ["nowhere", "no such file or folder"]),
        "empty-folder": (["emotion", tmp_path / "empty"], ["empty", "no image files"]),
        # The metadata says 52 blendshape features, the model takes 23: both are named.
        "mismatched-model": (
            ["emotion", photo, "--model", write_tiny_model(tmp_path / "mismatched.onnx", spec=spec)],
            ["mismatched.onnx", "52", "23"],
        ),
        "missing-model": (["emotion", photo, "--model", tmp_path / "none.onnx"], ["none.onnx", "--model"]),
        "bad-max-faces": (["emotion", photo, "--max-faces", "0"], ["--max-faces"]),
    }[case]
    proc = run_cli(*args)
    assert proc.returncode == 2, _describe(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("facemotion: error: "), _describe(proc)
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert proc.stdout == ""


def test_blender_command_handler_runs_emotion(capfd):
    photo = asset_path("faces/astronaut.png")
    assert cli_command(["emotion", str(photo), "--json", "--max-faces", "1"]) == 0
    (line,) = capfd.readouterr().out.splitlines()
    record = json.loads(line)
    assert record["path"] == str(photo) and record["face"] == 0 and record["label"] in CATEGORIES
