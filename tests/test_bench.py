# SPDX-License-Identifier: GPL-3.0-or-later
"""tools/bench.py end to end: ``--quick --json`` in a subprocess, then the JSON read back.

Checks presence and consistency only — every stage measured, positive times, each ratio equal to its stage's time
over its named baseline's time, the papers' figures beside ours — never how fast anything is (the project forbids
timing assertions in tests). One bench run (~20 s: real ICT head, real MediaPipe, real bpy) serves every test.
"""

import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "tools" / "bench.py"

#: Stages a quick run must report, with the baselines each one's ratios are taken against.
QUICK_STAGES = {
    "rig.ict.template": {"landmarker_512_render"},
    "rig.ict.landmarks": {"landmarker_512_render"},
    "rig.ict.fit": {"kdtree_26719"},
    "rig.ict.transfer": {"kdtree_26719"},
    "rig.ict.total": {"landmarker_512_render"},
    "rig.ict.total_cpu": {"landmarker_512_render"},
    "rig.template_first_use": {"landmarker_512_render"},
    "keyframes.bulk_52x250": {"keyframe_insert_52x250"},
    "timeline.bake_6s_24fps": {"linear_crossfade_145x52"},
    "photo.landmarks_512": {"landmarker_512_render"},
    "photo.landmarks_256": {"landmarker_512_render"},
    "photo.drive_512": {"landmarker_512_render"},
    "photo.drive_256": {"landmarker_512_render"},
    "photo.emotion_512": {"landmarker_512_render", "photo.landmarks_512"},
    "photo.classify_512": {"landmarker_512_render", "photo.landmarks_512", "photo.fercrop_512"},
    "photo.appearance_512": {"landmarker_512_render", "photo.landmarks_512", "photo.fercrop_512"},
    "photo.fercrop_512": {"landmarker_512_render", "photo.landmarks_512"},
    "photo.mirror_512": {"landmarker_512_render", "photo.landmarks_512"},
    "capture.track_640x480": {"landmarker_640x480_frame", "landmarker_512_render"},
    "capture.solve_640x480": {"landmarker_640x480_frame", "landmarker_512_render"},
    "capture.emotion_640x480": {"landmarker_640x480_frame", "landmarker_512_render"},
    "capture.total_640x480": {"landmarker_640x480_frame", "landmarker_512_render"},
    "photo.every_face_512": {"landmarker_512_render"},
    "photo.small_face_1024": {"landmarker_512_render"},
}


def _run(*args, timeout=900):
    return subprocess.run(
        [sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT
    )


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    proc = _run("--quick", "--repeat", "1", "--json", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text()), proc.stdout


def _reference_seconds(report, name):
    entry = report["baselines"].get(name) or report["stages"].get(name)
    assert entry is not None, f"ratio against unknown baseline {name!r}"
    return entry["seconds"]


def test_every_stage_is_measured_with_positive_times(bench):
    report, _ = bench
    assert set(report["stages"]) == set(QUICK_STAGES)
    for name, stage in report["stages"].items():
        assert stage["runs"] and all(t > 0 for t in stage["runs"]), name
        assert stage["seconds"] == pytest.approx(statistics.median(stage["runs"]), rel=1e-12), name
        assert stage["seconds_per_frame"] == pytest.approx(stage["seconds"] / stage["frames"], rel=1e-12), name
    for name, baseline in report["baselines"].items():
        assert baseline["what"] and baseline["runs"] and all(t > 0 for t in baseline["runs"]), name
        assert baseline["seconds"] == pytest.approx(statistics.median(baseline["runs"]), rel=1e-12), name


def test_every_ratio_is_the_stage_time_over_its_named_baseline(bench):
    report, _ = bench
    for name, stage in report["stages"].items():
        assert set(stage["ratios"]) == QUICK_STAGES[name]
        for ref, ratio in stage["ratios"].items():
            assert ratio > 0
            assert ratio == pytest.approx(stage["seconds"] / _reference_seconds(report, ref), rel=1e-9), (name, ref)


def test_quick_run_rigs_only_the_ict_head_and_the_rig_really_ran(bench):
    report, _ = bench
    assert report["options"] == {"repeat": 1, "quick": True}
    assert report["heads"] == {"ict": {"vertices": 26719, "triangles": 52220, "expressions_with_data": 51}}
    stages = report["stages"]
    assert all(
        len(stages[f"rig.ict.{s}"]["runs"]) == 1
        for s in ("template", "landmarks", "fit", "transfer", "total", "total_cpu")
    )
    # The total also holds the stages not listed on their own (weld, part classification).
    parts = sum(stages[f"rig.ict.{s}"]["seconds"] for s in ("template", "landmarks", "fit", "transfer"))
    assert parts <= stages["rig.ict.total"]["seconds"] <= parts + 1.0
    assert len(stages["rig.template_first_use"]["runs"]) == 1


def test_keyframe_stage_counts_the_keyframes_written(bench):
    report, _ = bench
    bulk = report["stages"]["keyframes.bulk_52x250"]
    assert bulk["frames"] == 250 and bulk["keyframes"] == 52 * 250
    assert len(bulk["runs"]) == len(report["baselines"]["keyframe_insert_52x250"]["runs"])
    assert report["stages"]["timeline.bake_6s_24fps"]["frames"] == 6 * 24 + 1


def test_papers_figures_sit_beside_ours(bench):
    report, _ = bench
    papers = report["papers"]
    assert {p["paper"] for p in papers} == {"Guo 2025", "Liao 2025"}
    assert {p["paper_seconds"] for p in papers} == {0.048, 0.135, 0.280, 720.0}
    for p in papers:
        ours = sum(report["stages"][name]["seconds_per_frame"] for name in p["ours"])
        assert p["ours_seconds"] == pytest.approx(ours, rel=1e-12)


def test_table_names_every_stage_and_baseline(bench):
    report, stdout = bench
    for name in [*report["stages"], *report["baselines"]]:
        assert name in stdout
    assert "Guo 2025" in stdout and "Liao 2025" in stdout and "ON THEIR HARDWARE" in stdout


def test_bad_repeat_is_refused_before_any_work():
    proc = _run("--repeat", "0", timeout=60)
    assert proc.returncode == 2
    assert "--repeat" in proc.stderr and ">= 1" in proc.stderr


SPEECH_STAGES = {"first_call", "align", "lipsync", "talking_face", "talking_face_no_transcript", "talking_face_cpu"}


def test_speech_section_reports_real_time_factors(tmp_path):
    """``bench.py speech``: every stage measured on the same espeak-ng reading, its real-time factor = audio seconds
    over the stage's seconds, its ratio against read_resample consistent; printed in the table."""
    import speech_samples

    if not speech_samples.espeak_available():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng; .ci/run installs it)")
    out = tmp_path / "speech.json"
    proc = _run("speech", "--json", str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(out.read_text())
    assert set(report["stages"]) == {f"speech.{name}" for name in SPEECH_STAGES}
    audio = {stage["audio_seconds"] for stage in report["stages"].values()}
    assert len(audio) == 1 and audio.pop() > 15.0  # ~20 s of speech, the same for every stage
    for name, stage in report["stages"].items():
        assert stage["realtime"] == pytest.approx(stage["audio_seconds"] / stage["seconds"], rel=1e-12), name
        (ratio,) = stage["ratios"].values()
        assert ratio == pytest.approx(stage["seconds"] / _reference_seconds(report, "read_resample"), rel=1e-9)
        assert name in proc.stdout
    assert "x real time" in proc.stdout
