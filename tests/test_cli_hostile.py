# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line against hostile input and interruptions, run as a user runs it (``tools/cli_entry.py`` in a
subprocess): every case must end with its exit code, exactly one ``facemotion: ...`` line on stderr, no traceback and
no file (final or temporary) left behind. All inputs are small generated files; the bad-input cases fail before any
import or rig, so each run costs only the start of Python + bpy.
"""

import codecs
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from facemotion.core.errors import InputError
from facemotion.core.io import atomic_io, image_io
from facemotion.core.io.assets import asset_path
from facemotion.facemotion_addon import console
from facemotion.facemotion_addon.cli import entry, timeline_file

ROOT = Path(__file__).resolve().parent.parent
CLI = (sys.executable, str(ROOT / "tools" / "cli_entry.py"))
ICT_NEUTRAL = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"


def run_cli(*args, timeout=300):
    return subprocess.run([*CLI, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _one_line_error(proc, code, *fragments):
    described = f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-2000:]}"
    assert proc.returncode == code, described
    assert "Traceback" not in proc.stdout + proc.stderr, described
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("facemotion: "), described
    for fragment in fragments:
        assert fragment in lines[0], described
    return lines[0]


@pytest.fixture(scope="module")
def ict_mesh():
    return asset_path(ICT_NEUTRAL)


def test_version_names_facemotion_and_blender():
    proc = run_cli("--version")
    assert proc.returncode == 0, proc.stderr
    import tomllib

    version = tomllib.loads((ROOT / "blender_manifest.toml").read_text())["version"]
    assert proc.stdout.strip().startswith(f"facemotion {version} (Blender ")


# --- outputs that cannot be written: refused before any work --------------------------------------------------------


def test_out_under_a_file_is_one_line(tmp_path, ict_mesh):
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    proc = run_cli("rig", ict_mesh, "--out", blocker / "o.glb")
    _one_line_error(proc, 2, "is a file, not a folder")
    assert "import" not in proc.stdout  # refused before the import
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_out_with_a_300_character_name_is_one_line(tmp_path, ict_mesh):
    proc = run_cli("rig", ict_mesh, "--out", tmp_path / ("n" * 296 + ".glb"))
    _one_line_error(proc, 2, "bytes long")
    assert list(tmp_path.iterdir()) == []


def test_out_on_a_read_only_file_system_is_one_line(ict_mesh):
    # /proc is read-only even for root (os.access would say yes to root): the check really tries to create a file.
    proc = run_cli("rig", ict_mesh, "--out", "/proc/facemotion_out.glb")
    _one_line_error(proc, 2, "cannot write in /proc")
    assert "import" not in proc.stdout


def test_check_writable_leaves_nothing(tmp_path):
    atomic_io.check_writable(tmp_path / "ok.glb")
    assert list(tmp_path.iterdir()) == []


# --- hostile timeline files ------------------------------------------------------------------------------------------

GOOD_TIMELINE = '{"fps": 24, "keys": [{"time": 0, "emotion": "happy"}, {"time": 1, "emotion": "sad"}]}'


@pytest.mark.parametrize(
    "name, data, fragment",
    [
        ("binary", bytes(range(256)) * 4, "not a text file"),
        ("nul", b'{"fps": 24\x00}', "NUL bytes"),
        ("huge_float", b'{"fps": 1e400, "keys": []}', "out of range"),
        ("huge_int", b'{"fps": ' + b"9" * 5000 + b', "keys": []}', "out of range"),
        ("nan", b'{"fps": NaN, "keys": []}', "out of range"),
        ("deep", b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    ],
    ids=["binary", "nul", "huge_float", "huge_int", "nan", "deep"],
)
def test_hostile_timeline_is_one_line(name, data, fragment, tmp_path, ict_mesh):
    timeline = tmp_path / f"{name}.json"
    timeline.write_bytes(data)
    proc = run_cli("animate", ict_mesh, "--timeline", timeline, "--out", tmp_path / "o.glb")
    _one_line_error(proc, 2, fragment, timeline.name)
    assert sorted(p.name for p in tmp_path.iterdir()) == [timeline.name]


@pytest.mark.parametrize(
    "bom, encoding",
    [
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (b"", "utf-8"),
    ],
    ids=["utf16le", "utf16be", "utf8bom", "utf32le", "utf8"],
)
def test_timeline_encodings_with_a_bom_decode_like_utf8(bom, encoding, tmp_path):
    path = tmp_path / "t.json"
    path.write_bytes(bom + GOOD_TIMELINE.encode(encoding))
    assert timeline_file.read_timeline(path) == {
        "fps": 24,
        "keys": [{"time": 0, "emotion": "happy"}, {"time": 1, "emotion": "sad"}],
    }


def test_utf16_timeline_passes_the_reading_stage_in_the_cli(tmp_path, ict_mesh):
    # PowerShell's default: UTF-16 LE with BOM. A bad --fps after the read proves the file was decoded and parsed.
    path = tmp_path / "t.json"
    path.write_bytes(
        codecs.BOM_UTF16_LE + '{"fps": 24, "keys": [{"time": 0, "emotion": "nosuch"}]}'.encode("utf-16-le")
    )
    proc = run_cli("animate", ict_mesh, "--timeline", path, "--out", tmp_path / "o.glb")
    line = _one_line_error(proc, 2, "t.json")
    assert "not valid JSON" not in line and "not a text file" not in line


# --- Blender errors: the cause, not "Traceback" ----------------------------------------------------------------------


def test_blender_error_cause_keeps_the_last_line_of_a_traceback():
    exc = RuntimeError(
        'Error: Python: Traceback (most recent call last):\n  File "/x/io_import.py", line 12, in '
        "load\n    data = read()\nValueError: buffer is smaller than requested size\n"
    )
    assert console.blender_error_cause(exc) == "ValueError: buffer is smaller than requested size"
    assert console.blender_error_cause(RuntimeError("Error: Cannot read file 'x.fbx'\n")) == "Cannot read file 'x.fbx'"
    assert console.blender_error_cause(RuntimeError("")) == "RuntimeError"


# --- absurd images ---------------------------------------------------------------------------------------------------


def test_strip_image_is_refused_from_its_header(tmp_path):
    strip = tmp_path / "strip.png"
    cv2.imwrite(str(strip), np.zeros((1, 20000, 3), np.uint8))
    with pytest.raises(InputError, match=r"1x20000|20000x1") as info:
        image_io.load_image(strip)
    assert "\n" not in str(info.value)
    proc = run_cli("emotion", strip)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "aspect ratio" in proc.stdout and proc.stdout.count("\n") == 1


def test_oversized_png_header_is_one_line(tmp_path):
    # A real 8x8 PNG whose IHDR claims 60000x60000 (3.6 gigapixels): refused from the header, no OpenCV assertion.
    ok, encoded = cv2.imencode(".png", np.zeros((8, 8, 3), np.uint8))
    data = bytearray(encoded.tobytes())
    data[16:24] = (60000).to_bytes(4, "big") * 2
    big = tmp_path / "big.png"
    big.write_bytes(bytes(data))
    with pytest.raises(InputError, match="megapixels") as info:
        image_io.load_image(big)
    assert "\n" not in str(info.value) and "Assertion" not in str(info.value)


# --- interruptions ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), entry.Terminated(signal.SIGTERM)])
def test_atomic_output_removes_its_temp_file_when_interrupted(exc, tmp_path):
    with pytest.raises(type(exc)):
        with atomic_io.atomic_output(tmp_path / "o.glb") as tmp:
            tmp.write_bytes(b"half")
            raise exc
    assert list(tmp_path.iterdir()) == []


# Delays after the import stage's line: 0.5 s lands about where MediaPipe's graph is being made on this machine (a
# SIGTERM there once left its threads running and the process hung), 0 s and 1.5 s in the landmark search and later.
@pytest.mark.parametrize(
    "signum, code, word, delay",
    [
        (signal.SIGTERM, 143, "terminated", 0.5),
        (signal.SIGHUP, 129, "hung up", 0.5),
        (signal.SIGINT, 130, "interrupted", 0.5),
        (signal.SIGTERM, 143, "terminated", 0.0),
        (signal.SIGINT, 130, "interrupted", 1.5),
    ],
)
def test_signal_during_a_rig_exits_with_one_line_and_leaves_nothing(signum, code, word, delay, tmp_path, ict_mesh):
    out_dir, temp_dir = tmp_path / "out", tmp_path / "tmp"
    out_dir.mkdir()
    temp_dir.mkdir()
    # TMPDIR: Blender's own temporary folder (bpy.app.tempdir) and every tempfile go here, so the test can see that
    # nothing is left behind.
    proc = subprocess.Popen(
        [*CLI, "rig", str(ict_mesh), "--out", str(out_dir / "o.glb")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(temp_dir)},
    )
    # Wait (bounded by the rig's own length) for the import stage line: the rig (seconds of work) is then running.
    first = ""
    while "import" not in first:
        line = proc.stdout.readline()
        assert line, first + proc.stderr.read()
        first += line
    time.sleep(delay)
    proc.send_signal(signum)
    stdout, stderr = proc.communicate(timeout=120)
    finished = subprocess.CompletedProcess(proc.args, proc.returncode, first + stdout, stderr)
    _one_line_error(finished, code, word)
    assert list(out_dir.iterdir()) == []
    assert list(temp_dir.iterdir()) == []


def _rig_with_a_signal(injection, signum, mesh, tmp_path):
    """Rig ``mesh`` with tools/cli_entry.py in a subprocess where ``injection`` (Python source; ``signum`` and the
    package ``facemotion`` are defined) arranges for the signal, TMPDIR in ``tmp_path``: ``(CompletedProcess,
    output folder, TMPDIR)``."""
    out_dir, temp_dir = tmp_path / "out", tmp_path / "tmp"
    out_dir.mkdir()
    temp_dir.mkdir()
    script = (
        "import os, runpy, signal, sys\n"
        "cli, signum = sys.argv[1], int(sys.argv[2])\n"
        "sys.argv[:3] = [cli]\n"
        "sys.path.insert(0, os.path.dirname(cli))\n"
        "from package_path import import_facemotion\n"
        "import_facemotion()\n" + injection + "\nrunpy.run_path(cli, run_name='__main__')\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script, CLI[1], str(int(signum)), "rig", str(mesh), "--out", str(out_dir / "o.glb")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TMPDIR": str(temp_dir)},
    )
    return proc, out_dir, temp_dir


# The signal raised inside a finaliser, once, in the landmark stage (after its first render, in the main thread,
# outside any block that holds signals back): the CLI's handler runs inside ``__del__``, where Python drops its
# exception ("Exception ignored"), as MediaPipe's Image.__del__ once swallowed a SIGTERM and the rig wrote its output.
# (A GC callback raising it was tried first: the main thread's collections in that stage all fall inside MediaPipe's
# calls, and raise() from one of MediaPipe's threads sends the signal to that thread only, which ended the process
# with SIGSEGV now and then; kill() sends it to the process.)
SIGNAL_INSIDE_A_FINALISER = """
from facemotion.core.detect import mesh_landmarks
render = mesh_landmarks.render

class SignalWhenFinalised:
    def __del__(self):
        signal.raise_signal(signum)

def render_then_a_finaliser_signals(*args, **kwargs):
    mesh_landmarks.render = render
    shot = render(*args, **kwargs)
    SignalWhenFinalised()  # finalised at once: the handler's exception is dropped
    return shot

mesh_landmarks.render = render_then_a_finaliser_signals
"""


@pytest.mark.parametrize(
    "signum, code, word",
    [(signal.SIGTERM, 143, "terminated"), (signal.SIGHUP, 129, "hung up"), (signal.SIGINT, 130, "interrupted")],
)
def test_a_signal_a_finaliser_swallowed_still_stops_the_rig(signum, code, word, tmp_path, ict_mesh):
    proc, out_dir, temp_dir = _rig_with_a_signal(SIGNAL_INSIDE_A_FINALISER, signum, ict_mesh, tmp_path)
    _one_line_error(proc, code, word)
    assert list(out_dir.iterdir()) == []
    assert list(temp_dir.iterdir()) == []


# SIGTERM raised right after the output is placed (the file is finished and in place, the command has not exited
# yet): the one line must say the file was kept, not "nothing was written".
SIGNAL_AFTER_PLACING = """
from facemotion.core.io import atomic_io
record = atomic_io.record_placement

def signal_after_placing(path):
    record(path)
    signal.raise_signal(signum)

atomic_io.record_placement = signal_after_placing
"""


def test_a_signal_after_the_output_is_placed_says_it_was_kept(tmp_path, ict_mesh):
    proc, out_dir, temp_dir = _rig_with_a_signal(SIGNAL_AFTER_PLACING, signal.SIGTERM, ict_mesh, tmp_path)
    line = _one_line_error(proc, 143, "terminated", "o.glb was finished before the signal and kept")
    assert "nothing was written" not in line
    assert [p.name for p in out_dir.iterdir()] == ["o.glb"]
    assert (out_dir / "o.glb").read_bytes()[:4] == b"glTF"
    assert list(temp_dir.iterdir()) == []


# --- verbosity and the progress bar ----------------------------------------------------------------------------------


@pytest.mark.parametrize("argv", [["-q", "rig", "m.obj", "--out", "o.glb"], ["rig", "m.obj", "--out", "o.glb", "-q"]])
def test_quiet_is_accepted_before_and_after_the_command(argv):
    assert entry.build_parser().parse_args(argv).verbosity == console.QUIET
    assert entry.build_parser().parse_args(["rig", "m.obj", "--out", "o.glb"]).verbosity == console.NORMAL
    assert entry.build_parser().parse_args(["-v", "rig", "m.obj", "--out", "o.glb"]).verbosity == console.VERBOSE


def test_quiet_bad_input_still_prints_its_one_line(tmp_path):
    proc = run_cli("-q", "rig", tmp_path / "m.obj", "--out", tmp_path / "o.txt")
    _one_line_error(proc, 2, "unsupported output type")
    assert proc.stdout == ""


def test_progress_bar_draws_on_a_terminal_and_stays_silent_otherwise(tmp_path):
    import io

    master, slave = os.openpty()
    terminal = open(slave, "w")
    old = console.set_terminal(terminal)
    try:
        with console.progress_bar("rig") as progress:
            progress(0.5, "Fitting the template")
        terminal.flush()
        import select

        drawn = ""
        while "Fitting the template" not in drawn:
            ready, _, _ = select.select([master], [], [], 2.0)  # never block the test run
            assert ready, f"the progress bar wrote no more on the terminal: {drawn!r}"
            drawn += os.read(master, 65536).decode(errors="replace")
        assert "rig" in drawn and "50%" in drawn and "Fitting the template" in drawn
        console.set_terminal(io.StringIO())  # not a terminal: nothing is written
        with console.progress_bar("rig") as progress:
            progress(0.5, "x")
        assert console._state["terminal"].getvalue() == ""
    finally:
        console.set_terminal(old)
        terminal.close()
        os.close(master)


def test_truncated_glb_names_the_cause(tmp_path):
    """A .glb cut short: the importer's multi-line Python error is reduced to its cause, in one line."""
    import bpy

    from facemotion.facemotion_addon import export

    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.mesh.primitive_cube_add()
    whole = tmp_path / "whole.glb"
    export.export_gltf(whole, [bpy.context.active_object], animations=False)
    data = whole.read_bytes()
    truncated = tmp_path / "truncated.glb"
    truncated.write_bytes(data[: len(data) // 2])
    proc = run_cli("rig", str(truncated), "--out", str(tmp_path / "out.glb"))
    line = _one_line_error(proc, 2, "truncated.glb")
    assert "Bad GLB" in line and "Error: Python" not in line, line  # the cause, not the traceback header
    assert sorted(p.name for p in tmp_path.iterdir()) == ["truncated.glb", "whole.glb"]
