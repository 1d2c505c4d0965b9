# SPDX-License-Identifier: GPL-3.0-or-later
"""``facemotion preview``: a rig's preview sheet (core/rig/preview.py), run as a user runs it on MediaPipe's canonical
face (468 vertices: a fast rig), and the sheet's layout rules."""

import cv2
import numpy as np
import pytest
from test_cli import _assert_ok, run_cli

from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path
from facemotion.core.rig.preview import KEY_SHAPE_COLUMNS, VIEWS, preview_sheet

CANONICAL_FACE = "mediapipe/face_geometry/canonical_face_model.obj"
SIZE = 64


@pytest.fixture(scope="module")
def sheet(tmp_path_factory):
    out = tmp_path_factory.mktemp("preview") / "canonical.png"
    proc = run_cli("preview", asset_path(CANONICAL_FACE), "--out", out, "--size", SIZE)
    _assert_ok(proc)
    return out, proc


def _cell(image, row, column):
    """The ``SIZE`` x ``SIZE`` image of ``row`` (0: shapes front, 1: shapes 3/4, 2: emotions front, 3: emotions
    3/4) and ``column``, per the layout of preview_sheet (heading 22 px, each row a 40 px bar above its cells)."""
    y = 22 + row * (SIZE + 40) + 40
    return image[y : y + SIZE, column * SIZE : (column + 1) * SIZE].astype(np.int16)


def test_preview_writes_a_sheet_of_every_shape_and_emotion_in_two_views(sheet):
    out, proc = sheet
    assert proc.stdout.strip().splitlines()[-1] == str(out)
    image = cv2.imread(str(out))
    assert image.shape == (22 + 4 * (SIZE + 40), len(KEY_SHAPE_COLUMNS) * SIZE, 3)
    rest = _cell(image, 0, 0)
    assert (np.abs(rest - rest[0, 0]).sum(axis=2) > 30).mean() > 0.2  # a face, not an empty background
    for column, title in enumerate(c.title for c in KEY_SHAPE_COLUMNS):
        if title in ("smile", "mouthFunnel", "brows up"):  # shapes the canonical face has
            assert np.abs(_cell(image, 0, column) - rest).max() > 40, title
        if title == "jawOpen":  # its lips are one surface: the rig leaves jawOpen empty rather than tear them
            assert np.array_equal(_cell(image, 0, column), rest), title
    for column in range(7):  # every emotion preset changes the face
        assert np.abs(_cell(image, 2, column) - rest).max() > 40, column
    assert np.abs(_cell(image, 1, 0) - rest).max() > 40  # the three-quarter view is another view


def test_preview_refuses_an_existing_file_and_a_bad_size_in_one_line(tmp_path):
    out = tmp_path / "sheet.png"
    out.write_bytes(b"mine")
    proc = run_cli("preview", asset_path(CANONICAL_FACE), "--out", out)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and "--overwrite" in proc.stderr
    assert out.read_bytes() == b"mine"
    proc = run_cli("preview", asset_path(CANONICAL_FACE), "--out", tmp_path / "b.png", "--size", "8")
    assert proc.returncode == 2 and "--size" in proc.stderr and not (tmp_path / "b.png").exists()


def test_sheet_rows_need_one_image_per_title():
    cell = np.zeros((32, 32, 3), dtype=np.uint8)
    sheet = preview_sheet([("a", ["x", "y"], [cell, cell]), ("b", ["z"], [cell])], heading="h")
    assert sheet.shape == (22 + 2 * (32 + 40), 64, 3)
    with pytest.raises(InputError):
        preview_sheet([("a", ["x", "y"], [cell])])
    assert VIEWS == ("front", "three_quarter")
