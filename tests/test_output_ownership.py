# SPDX-License-Identifier: GPL-3.0-or-later
"""Outputs are never silently replaced or mislabelled, and an interrupted batch resumes (issue 18): two runs racing
for one new file, a signal while Blender's exporter runs, a batch stopped half-way through a head, and facemotion's
own GLB re-animated after an export under Unreal's names. The CLI runs as a user runs it (a subprocess) on the small
ICT head of ``tests/test_batch.py``; each case checks the exit code, the one ``facemotion: ...`` line, that there
is no traceback and that nothing is left behind or lost.
"""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_batch import CLI, ROOT, glb_json, run_cli, write_small_head

from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.errors import InputError
from facemotion.core.io import atomic_io, batch_plan
from facemotion.core.io.export_options import export_name
from facemotion.facemotion_addon.cli import batch


@pytest.fixture(scope="module")
def small_head(tmp_path_factory):
    return write_small_head(tmp_path_factory.mktemp("head") / "head.obj")


def _one_line(stderr, code, returncode, *fragments):
    described = f"exit {returncode}\n--- stderr\n{stderr[-3000:]}"
    assert returncode == code, described
    assert "Traceback" not in stderr, described
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("facemotion: "), described
    for fragment in fragments:
        assert fragment in lines[0], described
    return lines[0]


def _hidden(folder):
    return [p for p in Path(folder).rglob(".*")]


def _wait_for(condition, proc, what):
    """Poll ``condition()`` every 5 ms until it is true; fails when ``proc`` ends first."""
    while not condition():
        assert proc.poll() is None, f"{what}: the run ended first\n{proc.stderr.read()}"
        time.sleep(0.005)


# --- exclusive creation ----------------------------------------------------------------------------------------------


def test_exclusive_output_never_replaces_a_file_made_meanwhile(tmp_path):
    target = tmp_path / "o.glb"
    with pytest.raises(InputError, match="o.glb: already exists; .*--overwrite"):
        with atomic_io.atomic_output(target, exclusive=True) as tmp:
            tmp.write_bytes(b"ours")
            target.write_bytes(b"theirs")  # another run finished first
    assert target.read_bytes() == b"theirs" and sorted(tmp_path.iterdir()) == [target]
    with atomic_io.atomic_output(tmp_path / "new.glb", exclusive=True) as tmp:
        tmp.write_bytes(b"ours")
    assert (tmp_path / "new.glb").read_bytes() == b"ours" and len(list(tmp_path.iterdir())) == 2


def test_two_rigs_racing_for_one_new_file_one_wins_one_line_for_the_other(tmp_path, small_head):
    """The race made certain: the first run is held (SIGSTOP) inside its export, after every existence check, while
    the second writes the file; let go, the first must not replace it."""
    out = tmp_path / "same.glb"
    argv = [*CLI, "rig", str(small_head), "--out", str(out)]
    first = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: any(tmp_path.iterdir()), first, "the first export")  # its temporary file: exporting
    first.send_signal(signal.SIGSTOP)
    try:
        second = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 0, second.stderr
    winner = out.read_bytes()
    _stdout, stderr = first.communicate(timeout=600)
    _one_line(stderr, 2, first.returncode, "same.glb: already exists", "--overwrite")
    assert out.read_bytes() == winner and sorted(tmp_path.iterdir()) == [out]  # kept whole; no temporary file


# --- a signal while Blender's exporter runs --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "signum, code, word, suffix",
    [
        (signal.SIGTERM, 143, "terminated", ".glb"),
        (signal.SIGHUP, 129, "hung up", ".gltf"),
        (signal.SIGINT, 130, "interrupted", ".glb"),
    ],
)
def test_signal_during_the_export_exits_with_its_code_and_one_line(signum, code, word, suffix, tmp_path, small_head):
    # On a loaded machine the signal can arrive after the run has finished (exit 0, the file written): that run
    # proves nothing either way, so it is tried again (three tries), never counted as a pass.
    for attempt in range(3):
        out_dir, temp_dir = tmp_path / f"out{attempt}", tmp_path / f"tmp{attempt}"
        out_dir.mkdir()
        temp_dir.mkdir()
        proc = subprocess.Popen(
            [*CLI, "rig", str(small_head), "--out", str(out_dir / f"o{suffix}")],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "TMPDIR": str(temp_dir)},
        )
        # The export's temporary file (or .gltf's staging folder) appears just before Blender's exporter starts.
        _wait_for(lambda folder=out_dir: any(folder.iterdir()), proc, "the export")
        time.sleep(0.1)  # into the exporter's own Python code
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=300)
        if proc.returncode != 0 or not (out_dir / f"o{suffix}").is_file():
            break
    _one_line(stderr, code, proc.returncode, word, "nothing was written")
    assert "Traceback" not in stdout and "export failed" not in stdout + stderr
    assert list(out_dir.iterdir()) == [] and list(temp_dir.iterdir()) == []


# --- a batch stopped half-way through a head -------------------------------------------------------------------------


def test_journal_names_every_output_a_stopped_head_may_have_written(tmp_path):
    asset = batch_plan.Asset(tmp_path / "head.obj", "head")
    done, being_written = asset.output(tmp_path, "glb"), asset.output(tmp_path, "fbx")
    done.write_bytes(b"glb")
    journal = batch_plan.incomplete_report(
        asset, tmp_path, key="k", written=[done], pending=being_written, previous={"old.glb": {}}
    )
    assert journal["status"] == "incomplete"
    assert journal["outputs"]["head.glb"]["sha256"] == batch_plan.file_sha256(done)
    assert batch_plan.owned_outputs(journal) == {"head.glb", "head.fbx", "old.glb"}
    batch_plan.write_json(asset.report_path(tmp_path), journal)
    failed = batch_plan.failure_report(asset, tmp_path, key="k", error="head.obj: failed")
    assert batch_plan.owned_outputs(failed) == {"head.glb", "head.fbx", "old.glb"}  # still the batch's own
    assert not batch_plan.is_up_to_date(asset, tmp_path, "k")


def test_an_interrupted_batchs_summary_and_last_line_state_the_same_facts(tmp_path):
    finished, stopped = (batch_plan.Asset(tmp_path / f"{name}.obj", name) for name in ("done", "stopped"))
    done_glb, stopped_glb = finished.output(tmp_path, "glb"), stopped.output(tmp_path, "glb")
    done_glb.write_bytes(b"finished")
    stopped_glb.write_bytes(b"half")
    journal = batch_plan.incomplete_report(
        stopped, tmp_path, key="k", written=[stopped_glb], pending=stopped.output(tmp_path, "fbx"), previous={}
    )
    batch_plan.write_json(stopped.report_path(tmp_path), journal)
    reports = [
        batch_plan.asset_report(finished, tmp_path, key="k", status="ok", written=[done_glb]),
        batch_plan.unfinished_report(stopped, tmp_path),
    ]
    summary = batch_plan.summary_report(reports, options={}, version="v", seconds=1.0, workers=1, interrupted="SIGTERM")
    assert (summary["assets"], summary["ok"], summary["unfinished"], summary["interrupted"]) == (2, 1, 1, "SIGTERM")
    assert summary["unfinished_heads"] == [{"input": str(stopped.source), "outputs_written": ["stopped.glb"]}]
    assert summary["output_bytes"] == len(b"finished") + len(b"half")
    line = batch._interrupted_outcome(summary, tmp_path)
    assert line.startswith("1 of 2 heads finished") and "1 output file(s) of unfinished heads" in line
    assert "run the same command again" in line
    # A head that had not begun writing has nothing listed; a whole batch's summary names no signal.
    stopped.report_path(tmp_path).unlink()
    assert batch_plan.unfinished_report(stopped, tmp_path)["outputs"] == {}
    whole = batch_plan.summary_report(reports[:1], options={}, version="v", seconds=1.0, workers=1)
    assert whole["interrupted"] is None and whole["unfinished"] == 0 and whole["unfinished_heads"] == []


# SIGTERM to the batch alone (a job scheduler), SIGINT to its whole process group (Ctrl+C in a terminal: the
# workers get it too).
@pytest.mark.parametrize(
    "signum, code, word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")]
)
def test_batch_stopped_during_a_heads_second_format_resumes(signum, code, word, tmp_path, small_head):
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    (inputs / "a.obj").write_bytes(small_head.read_bytes())
    command = ["batch", inputs, "--out", out, "--workers", 1, "--formats", "glb,fbx", "--clips", "happy"]
    proc = subprocess.Popen(
        [*CLI, *map(str, command)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    out.mkdir()
    (out / batch.SUMMARY_NAME).write_text('{"ok": 1, "assets": 1}\n')  # an earlier run's, stale from now on
    report_path = out / "a.report.json"

    def on_fbx():
        report = batch_plan.read_report(report_path) or {}
        return report.get("pending") == ["a.fbx"]

    _wait_for(on_fbx, proc, "the FBX export")  # a.glb is finished, a.fbx is being written
    if signum == signal.SIGINT:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    _stdout, stderr = proc.communicate(timeout=300)
    line = _one_line(stderr, code, proc.returncode, word, "0 of 1 heads finished", "run the same command")
    assert "nothing was written" not in line
    report = batch_plan.read_report(report_path)
    # (Ctrl+C: the worker may end before the batch stops it, and its head is then reported failed, still owning it.)
    assert report["status"] == "incomplete" or signum == signal.SIGINT, report
    assert "a.glb" in batch_plan.owned_outputs(report), report
    for relative, entry in batch_plan.owned_entries(report).items():  # what it lists is there, whole
        assert "sha256" not in entry or batch_plan.file_sha256(out / relative) == entry["sha256"]
    assert not _hidden(out)
    summary = batch_plan.read_report(out / batch.SUMMARY_NAME)  # rewritten: the same facts as the line
    assert summary["interrupted"] == signal.Signals(signum).name, summary
    assert (summary["assets"], summary["unfinished"], summary["ok"] + summary["failed"]) == (1, 1, 0), summary
    written = summary["unfinished_heads"][0]["outputs_written"]
    assert written == ["a.glb"] or signum == signal.SIGINT, summary
    assert (f"{len(written)} output file(s)" in line) == bool(written), line
    first_glb = (out / "a.glb").read_bytes()

    again = run_cli(*command)
    assert again.returncode == 0, again.stderr
    report = batch_plan.read_report(report_path)
    assert report["status"] == "ok" and set(report["outputs"]) == {"a.glb", "a.fbx", "a@happy.fbx"}
    assert (out / "a.glb").read_bytes() == first_glb  # the same bytes as the interrupted run's
    summary = batch_plan.read_report(out / batch.SUMMARY_NAME)  # the resumed run's, whole
    assert summary["interrupted"] is None and summary["ok"] == 1 and summary["unfinished_heads"] == [], summary
    assert not _hidden(out)


# --- facemotion's own Unreal-named output ----------------------------------------------------------------------------


def test_animating_an_unreal_named_output_drives_facemotions_own_targets(tmp_path, small_head):
    rigged, animated = tmp_path / "rigged.glb", tmp_path / "animated.glb"
    done = run_cli("rig", small_head, "--out", rigged, "--names", "unreal", "-q")
    assert done.returncode == 0, done.stderr
    done = run_cli("animate", rigged, "--text", "smile", "--out", animated, "--names", "unreal")
    assert done.returncode == 0, done.stderr
    assert "already rigged" in done.stdout  # known as facemotion's: not rigged a second time
    gltf = glb_json(animated)
    names = gltf["meshes"][0]["extras"]["targetNames"]
    assert len(names) == 52 and set(names) == {export_name(name, "unreal") for name in ARKIT_NAMES}  # not 104
    assert [a["channels"][0]["target"]["path"] for a in gltf["animations"]] == ["weights"]
