"""``facemotion emotion`` on every face of an image (five faces of five sizes built from faces/astronaut.png), with
``--max-faces`` printing the count left out, on a JPEG stored sideways with an EXIF orientation tag, and on a video
(``--every N``, one JSON line per sampled frame, judged against the calm frames or a chosen range), run as a user
runs it (a subprocess of tools/cli_entry.py). Bad options and unreadable videos: one line, exit 2."""

import json

import cv2
import face_composites as composites
import pytest
from test_emotion_cli import _describe, run_cli
from test_video_reference import detector, smile_calm_smile  # noqa: F401 (fixtures)

PLACED = [
    (256, (300, 330), False),
    (128, (760, 260), True),
    (96, (740, 700), False),
    (64, (260, 760), True),
    (48, (520, 900), False),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faces")
    photo = composites.astronaut()
    canvas = composites.background("clutter", composites.CANVAS_SIDE, photo)
    boxes = [composites.paste_face(canvas, photo, height, centre, flip=flip) for height, centre, flip in PLACED]
    cv2.imwrite(str(folder / "a_five_faces.png"), cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    (folder / "b_phone.jpg").write_bytes(composites.exif_rotated_jpeg(photo))
    return folder, boxes


def _records(proc):
    assert proc.returncode == 0, _describe(proc)
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_every_face_by_default_and_upright_jpegs(folder):
    folder, boxes = folder
    records = _records(run_cli("emotion", folder, "--json"))
    faces = [r for r in records if r["path"].endswith("a_five_faces.png")]
    assert [r["face"] for r in faces] == [0, 1, 2, 3, 4]  # every face, largest first: the order they were placed
    for record, box in zip(faces, boxes):
        assert composites.box_iou(record["bbox"], box) > 0.5
    (phone,) = [r for r in records if r["path"].endswith("b_phone.jpg")]
    x0, y0, x1, y1 = phone["bbox"]  # the face of the upright photo, not of the sideways pixels
    assert composites.box_iou((x0, y0, x1, y1), composites.ASTRONAUT_FACE_BOX) > 0.7
    assert phone["label"] == "happy"


def test_max_faces_prints_the_count_left_out(folder):
    image = folder[0] / "a_five_faces.png"
    records = _records(run_cli("emotion", image, "--json", "--max-faces", "2"))
    assert [r.get("face") for r in records] == [0, 1, None]
    assert records[2] == {"path": str(image), "left_out": 3, "faces_found": 5}
    text = run_cli("emotion", image, "--max-faces", "2")
    assert text.returncode == 0, _describe(text)
    assert text.stdout.splitlines()[-1] == f"{image}: 3 more face(s) left out (--max-faces 2; 5 found)"


def test_video_gives_one_json_line_per_sampled_frame(smile_calm_smile):  # noqa: F811
    records = _records(run_cli("emotion", smile_calm_smile, "--json", "--every", "2"))
    assert [r["frame"] for r in records] == list(range(0, 30, 2))
    assert [r["time"] for r in records] == pytest.approx([f / 10.0 for f in range(0, 30, 2)])
    assert [r["frame"] for r in records if r["reference"]] == [10, 12, 14, 16, 18]
    assert [r["label"] for r in records] == ["happy"] * 5 + ["neutral"] * 5 + ["happy"] * 5
    chosen = _records(run_cli("emotion", smile_calm_smile, "--json", "--every", "10", "--reference", "0-9"))
    assert [(r["frame"], r["reference"]) for r in chosen] == [(0, True), (10, False), (20, False)]
    text = run_cli("emotion", smile_calm_smile, "--every", "10", "--reference", "none")
    assert text.returncode == 0, _describe(text)
    lines = text.stdout.splitlines()
    assert len(lines) == 3 and lines[1].startswith(f"{smile_calm_smile} frame 10 (1.00 s): ")


@pytest.mark.parametrize("case", ["every", "reference", "range", "unreadable", "missing"])
def test_bad_video_input_is_one_line_exit_2(case, tmp_path, smile_calm_smile):  # noqa: F811
    (tmp_path / "text.mp4").write_text("not a video\n")
    args, words = {
        "every": ([smile_calm_smile, "--every", "0"], ["--every", "at least 1"]),
        "reference": ([smile_calm_smile, "--reference", "first"], ["--reference", "FIRST-LAST"]),
        "range": ([smile_calm_smile, "--reference", "40-50"], ["40-50", "no face"]),
        "unreadable": ([tmp_path / "text.mp4"], ["text.mp4", "not a video"]),
        "missing": ([tmp_path / "gone.mov"], ["gone.mov", "does not exist"]),
    }[case]
    proc = run_cli("emotion", *args)
    assert proc.returncode == 2, _describe(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("facemotion: error: "), _describe(proc)
    assert all(word in lines[0] for word in words), lines[0]
    assert proc.stdout == ""
