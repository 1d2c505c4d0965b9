# SPDX-License-Identifier: GPL-3.0-or-later
"""``facemotion emotions`` and ``animate --text / --save-timeline``, run as a user runs them (subprocess from the
repository root, like tests/test_cli.py). One rig in all: the canonical face (the smallest real mesh)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from facemotion.core.animation.timeline import timeline_from_json
from facemotion.core.emotion.wheel import DYADS, all_names
from facemotion.core.io.assets import asset_path

ROOT = Path(__file__).resolve().parent.parent
CLI = (sys.executable, str(ROOT / "tools" / "cli_entry.py"))
SENTENCE = "start calm, grow annoyed, then burst into laughter and end hopeful"


def run_cli(*args):
    return subprocess.run([*CLI, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_emotions_lists_every_name():
    proc = run_cli("emotions", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {row["name"]: row for row in json.loads(proc.stdout)["names"]}
    assert set(rows) == set(all_names())
    for dyad, (first, second, kind) in DYADS.items():
        assert [c for c, _ in rows[dyad]["components"]] == [first, second] and rows[dyad]["dyad_kind"] == kind
    assert rows["love"]["components"] == [["joy", 0.6], ["trust", 0.4]]
    assert rows["ecstasy"]["intensity"] == 1.0 and rows["serenity"]["intensity"] == 0.5
    assert rows["joy"]["intensity"] == 1.0 and rows["joy"]["components"] == [["joy", 1.0]]  # one meaning of "joy"
    assert rows["contempt"]["kind"] == "preset" and rows["plutchik_contempt"]["components"][1][0] == "anger"
    assert rows["furious"]["resolves_to"] == "rage"
    text = run_cli("emotions")
    assert text.returncode == 0 and "plutchik_contempt  primary dyad: disgust 0.6 + anger 0.4" in text.stdout
    assert "EMFACS contempt preset" in text.stdout


def test_text_to_saved_timeline_without_mesh(tmp_path):
    out = tmp_path / "t.json"
    proc = run_cli("animate", "--text", SENTENCE, "--save-timeline", out, "--fps", 30)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    timeline = timeline_from_json(doc)
    assert [k.emotion for k in timeline["keys"]] == ["neutral", "annoyance", "ecstasy", "hope"]
    assert timeline["fps"] == 30 and timeline["duration"] == 7.2


def test_text_prints_what_it_understood(tmp_path):
    out = tmp_path / "t.json"
    text = "annoyed at first, then absolutely enraged at the postman"
    proc = run_cli("animate", "--text", text, "--save-timeline", out)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert "--text gives 2 key(s), 3 s in all:" in lines[0]
    assert lines[2].split() == ["0.00", "s", "annoyance", "1.00", "0.00", "s", "ease_in_out", "1", "s"]
    assert lines[3].split() == ["2.00", "s", "rage", "1.00", "1.00", "s", "ease_in_out", "1", "s"]
    assert lines[4].strip() == "skipped: 'postman' is not in the vocabulary"
    quiet = run_cli("-q", "animate", "--text", text, "--save-timeline", out, "--overwrite")
    assert quiet.returncode == 0 and quiet.stdout == "", quiet.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--text", "blurp then blarg", "--save-timeline", "{t}"],
            "no emotion found in 'blurp then blarg' ('blurp' (nearest known: blue, burst",
        ),
        (["--text", "happy", "--timeline", "x.json", "--save-timeline", "{t}"], "either --timeline FILE or --text"),
        (["--text", "happy"], "give --out OUT (and MESH), --save-timeline"),
        (["--text", "happy", "--out", "{o}"], "MESH is needed with --out"),
    ],
)
def test_bad_text_arguments(tmp_path, args, message):
    t, o = tmp_path / "t.json", tmp_path / "o.glb"
    proc = run_cli("animate", *[a.format(t=t, o=o) for a in args])
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    assert not t.exists() and not o.exists()


def test_animate_text_on_a_mesh(tmp_path):
    out, saved = tmp_path / "face.glb", tmp_path / "face.json"
    proc = run_cli(
        "-q",
        "animate",
        asset_path("mediapipe/face_geometry/canonical_face_model.obj"),
        "--text",
        "slightly happy, then suddenly joy+trust for 1 s",
        "--out",
        out,
        "--save-timeline",
        saved,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 10_000
    keys = json.loads(saved.read_text())["keys"]
    assert [(k["emotion"], k["intensity"]) for k in keys] == [("joy", 0.3), ("joy+trust", 1.0)]
