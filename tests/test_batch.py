"""``facemotion batch``: discovery, naming, resume checks (pure), and a real batch of two rigged heads plus one broken
file on two worker processes (real bpy, real MediaPipe, the ICT head decimated to ~8k vertices for speed)."""

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from facemotion.core.animation.clips import parse_clips
from facemotion.core.errors import FacemotionError, InputError
from facemotion.core.io import assets, batch_plan

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, str(ROOT / "tools" / "cli_entry.py")]
ICT_NEUTRAL = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"


def write_small_head(path, ratio=0.3):
    """The ICT neutral head decimated by Blender's collapse Decimate to ``ratio`` (~8k vertices), as an OBJ."""
    import rig_accuracy  # tools/ (on sys.path through conftest)

    from facemotion.core.io.mesh_io import read_obj

    mesh = read_obj(assets.asset_path(ICT_NEUTRAL))
    vertices, triangles = rig_accuracy.decimate(np.asarray(mesh.vertices), np.asarray(mesh.triangles), ratio)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        handle.write("o head\n")
        np.savetxt(handle, vertices, fmt="v %.6f %.6f %.6f")
        np.savetxt(handle, np.asarray(triangles) + 1, fmt="f %d %d %d")
    return path


def make_inputs(root, *, broken=True):
    """``root/a/head.obj`` and ``root/b/head.obj`` (the same small head: equal outputs expected) and, with
    ``broken``, ``root/broken.fbx`` (text, not an FBX)."""
    first = write_small_head(root / "a" / "head.obj")
    (root / "b").mkdir(parents=True, exist_ok=True)
    (root / "b" / "head.obj").write_bytes(first.read_bytes())
    if broken:
        (root / "broken.fbx").write_text("this is not an FBX file\n")
    return root


def glb_json(path):
    data = Path(path).read_bytes()
    (length,) = struct.unpack("<I", data[12:16])
    return json.loads(data[20 : 20 + length])


def run_cli(*args):
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, timeout=600)


# --- the plan (pure) --------------------------------------------------------------------------------------------


def test_discovery_names_and_skips(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    for name in ("in/head.obj", "in/head.fbx", "in/sub/b.glb", "in/.hidden.obj", "in/notes.txt", "single.blend"):
        (tmp_path / name).write_text("x")
    (tmp_path / "in" / "out").mkdir()
    (tmp_path / "in" / "out" / "old.glb").write_text("x")  # an earlier run's output inside the input folder
    found = batch_plan.discover_assets(
        [tmp_path / "in", tmp_path / "single.blend", tmp_path / "in" / "head.obj"], tmp_path / "in" / "out"
    )
    assert [a.name for a in found] == ["head_fbx", "head_obj", "sub/b", "single"]
    assert found[2].output(tmp_path, "glb") == tmp_path / "sub" / "b.glb"
    (tmp_path / "in2" / "sub").mkdir(parents=True)
    (tmp_path / "in2" / "sub" / "b.glb").write_text("x")
    twice = batch_plan.discover_assets([tmp_path / "in" / "sub", tmp_path / "in2" / "sub"], tmp_path / "o")
    assert len({a.name for a in twice}) == len(twice) == 2 and all(a.name.startswith("b_") for a in twice)
    assert found[0].clip_output(tmp_path, "fbx", "happy") == tmp_path / "head_fbx@happy.fbx"
    with pytest.raises(InputError, match="no such file"):
        batch_plan.discover_assets([tmp_path / "missing"], tmp_path / "o")
    with pytest.raises(InputError, match="not a head file"):
        batch_plan.discover_assets([tmp_path / "in" / "notes.txt"], tmp_path / "o")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .obj"):
        batch_plan.discover_assets([tmp_path / "empty"], tmp_path / "o")


def test_formats_and_clips(tmp_path):
    assert batch_plan.parse_formats("GLB, fbx,glb") == ("glb", "fbx")
    with pytest.raises(InputError, match="unknown format 'obj'"):
        batch_plan.parse_formats("glb,obj")
    timeline = tmp_path / "shot01.json"
    timeline.write_text(
        json.dumps({"fps": 30, "keys": [{"time": 0, "emotion": "neutral"}, {"time": 1, "emotion": "anger"}]})
    )
    clips = parse_clips(f"happy, love,{timeline}", read_timeline=lambda p: json.loads(p.read_text()))
    assert [c.name for c in clips] == ["happy", "love", "shot01"]  # a preset, a Plutchik dyad, a timeline file
    assert clips[2].digest == batch_plan.file_sha256(timeline) and clips[0].digest != clips[1].digest
    with pytest.raises(FacemotionError, match="--clips nosuchemotion"):
        parse_clips("nosuchemotion", read_timeline=None)
    with pytest.raises(InputError, match="two clips are named 'happy'"):
        parse_clips("happy,happy", read_timeline=None)


def test_job_key_and_up_to_date(tmp_path):
    source = tmp_path / "head.obj"
    source.write_text("v 0 0 0\n")
    asset = batch_plan.Asset(source, "head")
    key = batch_plan.job_key(batch_plan.input_sha256(source), {"formats": ["glb"]}, "1.0.0")
    assert key != batch_plan.job_key(batch_plan.input_sha256(source), {"formats": ["fbx"]}, "1.0.0")
    assert key != batch_plan.job_key(batch_plan.input_sha256(source), {"formats": ["glb"]}, "1.0.1")
    out = asset.output(tmp_path, "glb")
    out.write_bytes(b"glb data")
    assert not batch_plan.is_up_to_date(asset, tmp_path, key)  # no report yet
    batch_plan.write_json(
        asset.report_path(tmp_path), batch_plan.asset_report(asset, tmp_path, key=key, status="ok", written=[out])
    )
    assert batch_plan.is_up_to_date(asset, tmp_path, key)
    assert not batch_plan.is_up_to_date(asset, tmp_path, "other key")
    out.write_bytes(b"edited")
    assert not batch_plan.is_up_to_date(asset, tmp_path, key)
    out.unlink()
    assert not batch_plan.is_up_to_date(asset, tmp_path, key)
    # The content, not the name or time, makes the key: a renamed copy has the same input hash.
    copy = tmp_path / "copy.obj"
    copy.write_bytes(source.read_bytes())
    assert batch_plan.input_sha256(copy) == batch_plan.input_sha256(source)


# --- a real batch ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch_run(tmp_path_factory):
    """One batch on 2 workers: two copies of the small head in sub-folders and one broken file, glb + fbx, two
    clips, --json. Returns (inputs folder, output folder, CompletedProcess)."""
    root = tmp_path_factory.mktemp("batch")
    inputs = make_inputs(root / "in")
    out = root / "out"
    done = run_cli(
        "batch", inputs, "--out", out, "--workers", 2, "--formats", "glb,fbx", "--clips", "happy,sad", "--json"
    )
    return inputs, out, done


def test_batch_outputs_reports_and_failure(batch_run):
    inputs, out, done = batch_run
    # One bad file does not stop the batch; it is reported and the exit status says so.
    assert done.returncode == 2, done.stderr
    error_lines = [line for line in done.stderr.splitlines() if line.startswith("facemotion: error:")]
    assert len(error_lines) == 1 and "1 of 3 heads failed" in error_lines[0] and "broken.fbx" in error_lines[0]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line.get("summary") is not None for line in lines] == [False, False, False, True]
    reports = {Path(r["input"]).relative_to(inputs).as_posix(): r for r in lines[:3]}
    assert reports["broken.fbx"]["status"] == "failed" and "broken.fbx" in reports["broken.fbx"]["error"]
    summary = json.loads((out / "batch_summary.json").read_text())
    assert (summary["ok"], summary["failed"], summary["skipped"], summary["assets"]) == (2, 1, 0, 3)
    assert summary == lines[3]["summary"]
    for name in ("a", "b"):
        report = json.loads((out / name / "head.report.json").read_text())
        assert report == reports[f"{name}/head.obj"]
        assert report["status"] == "ok" and report["vertices"] == report["meshes"][0]["vertices"] > 5000
        assert len(report["shapes_made"]) == 51 and report["shapes_empty"] == ["tongueOut"]
        assert 0.5 <= report["landmark_confidence"] <= 1.0
        assert report["parts"][0]["name"] == "skin" and report["parts"][0]["vertices"] > 1000
        assert set(report["outputs"]) == {
            f"{name}/head.glb",
            f"{name}/head.fbx",
            f"{name}/head@happy.fbx",
            f"{name}/head@sad.fbx",
        }
        assert report["timings"]["rig"] > 0 and [c["name"] for c in report["clips"]] == ["happy", "sad"]
        assert not [w for w in report["warnings"] if "confidence" in w or "mouth" in w]  # a human head: no doubt
        for relative, entry in report["outputs"].items():
            assert batch_plan.file_sha256(out / relative) == entry["sha256"]
    # Each clip is its own named glTF animation, starting at time 0.
    gltf = glb_json(out / "a" / "head.glb")
    assert [a["name"] for a in gltf["animations"]] == ["happy", "sad"]
    for animation in gltf["animations"]:
        times = gltf["accessors"][animation["samplers"][0]["input"]]
        assert times["min"] == [0] and times["max"][0] == pytest.approx(2.0, abs=1e-3)
    assert len(gltf["meshes"][0]["extras"]["targetNames"]) == 52
    # No temporary file is left behind.
    assert not [p for p in out.rglob(".*")]


def test_batch_is_byte_identical_across_processes(batch_run):
    """The same head rigged in two different worker processes gives the same bytes (glTF and FBX, whose creation
    time is fixed)."""
    _inputs, out, _done = batch_run
    for name in ("head.glb", "head.fbx", "head@happy.fbx", "head@sad.fbx"):
        assert (out / "a" / name).read_bytes() == (out / "b" / name).read_bytes(), name


def test_batch_resume_skips_up_to_date(batch_run):
    inputs, out, _done = batch_run
    again = run_cli(
        "batch", inputs, "--out", out, "--workers", 2, "--formats", "glb,fbx", "--clips", "happy,sad", "--json"
    )
    assert again.returncode == 2, again.stderr  # the broken file is tried again, and fails again
    lines = [json.loads(line) for line in again.stdout.splitlines()]
    assert sorted(line["status"] for line in lines[:3]) == ["failed", "skipped", "skipped"]
    assert lines[3]["summary"]["skipped"] == 2


def test_batch_never_replaces_a_users_file(tmp_path):
    """An output path taken by a file no batch report lists (the user's) fails that head before any work, and the
    file is left as it was."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "x.obj").write_text("v 0 0 0\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x.glb").write_text("mine")
    blocked = run_cli("batch", tmp_path / "in", "--out", tmp_path / "out", "-q")
    assert blocked.returncode == 2 and "x.glb: exists and no batch report lists it" in blocked.stderr
    assert (tmp_path / "out" / "x.glb").read_text() == "mine"


def test_batch_worker_crash_fails_only_that_head(tmp_path):
    """A worker process that dies (here: one that segfaults at start) fails its head; the batch goes on to the
    next head, with a fresh worker, and reports each."""
    for name in ("one.obj", "two.obj"):
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_text("v 0 0 0\n")
    crash = f"{sys.executable} -c 'import os, signal; os.kill(os.getpid(), signal.SIGSEGV)'"
    done = run_cli(
        "batch", tmp_path / "in", "--out", tmp_path / "out", "--workers", 1, "--worker-command", crash, "--json"
    )
    assert done.returncode == 2
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["status"] for line in lines[:2]] == ["failed", "failed"]
    assert all("worker process ended (signal SIGSEGV)" in line["error"] for line in lines[:2])
    assert json.loads((tmp_path / "out" / "one.report.json").read_text())["status"] == "failed"


def test_batch_reports_what_looked_wrong(tmp_path):
    """MediaPipe's canonical face is a mask whose lips are one surface and has no eyeballs: it is rigged, the shapes
    that would tear it are left empty, and its report says so. ``--no-smooth`` leaves the flat OBJ flat in the
    GLB (one vertex per face corner) and ``--strength`` is stored on the head and reported."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "mask.obj").write_bytes(
        assets.asset_path("mediapipe/face_geometry/canonical_face_model.obj").read_bytes()
    )
    done = run_cli(
        "batch", tmp_path / "in", "--out", tmp_path / "out", "--formats", "glb", "--json", "--no-smooth",
        "--strength", "0.8", "--region-strength", "jaw=1.5",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "out" / "mask.report.json").read_text())
    assert report["status"] == "ok"
    assert any(w.startswith("no mouth opening found") for w in report["warnings"]), report["warnings"]
    assert {"jawOpen", "mouthClose", "eyeLookUpLeft"} <= set(report["shapes_skipped"])
    assert not set(report["shapes_skipped"]) & set(report["shapes_made"])
    assert report["strength"] == "0.8; jaw=1.5"
    doc = glb_json(tmp_path / "out" / "mask.glb")
    (node,) = [n for n in doc["nodes"] if "mesh" in n]
    assert node["extras"]["facemotion_strength"] == pytest.approx(0.8)
    assert node["extras"]["facemotion_strength_jaw"] == pytest.approx(1.5)
    positions = doc["accessors"][doc["meshes"][0]["primitives"][0]["attributes"]["POSITION"]]
    assert positions["count"] > 2500  # flat: 898 triangles' corners (smooth: ~570)


def test_batch_bad_command_line(tmp_path):
    done = run_cli("batch", tmp_path, "--out", tmp_path / "out", "--formats", "obj")
    assert done.returncode == 2 and "unknown format 'obj'" in done.stderr
