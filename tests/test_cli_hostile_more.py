# SPDX-License-Identifier: GPL-3.0-or-later
"""More hostile input (issue 18): scheduler addresses that are not Dask schedulers, named pipes, links to special
files, outputs that cannot be created, absurd images, and messages that must name the right option. As in
``test_cli_hostile.py``: exit 2, one ``facemotion: ...`` line, no traceback, nothing left behind. The CLI runs in a
subprocess only where the command's order of checks is the point; the rest is checked in this process."""

import http.server
import os
import socketserver
import subprocess
import sys
import threading

import bpy
import cv2
import numpy as np
import pytest
from primitives import cube_mesh
from test_cli_hostile import ROOT, _one_line_error, run_cli

from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.errors import FacemotionError, InputError
from facemotion.core.io import batch_plan, export_options, image_io
from facemotion.facemotion_addon import gltf_tools, mesh_import
from facemotion.facemotion_addon.cli import batch, distributed, entry, timeline_file


def _serve(handler_class):
    """A TCP server on a free localhost port in a daemon thread; returns ``(server, port)``."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


class _HTTPAnswerHandler(socketserver.BaseRequestHandler):
    """Answers a connection at once with an HTTP error and keeps it open (a web server or proxy with keep-alive):
    Dask read those bytes as a frame length and asked for 3.07 EiB."""

    def handle(self):
        self.request.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        while self.request.recv(65536):
            pass


class _QuietHTTPHandler(http.server.SimpleHTTPRequestHandler):
    """A real HTTP server: it waits for a request line that Dask's binary handshake does not end (the hang)."""

    def log_message(self, *args):
        pass


# --- --scheduler: what answers is not a Dask scheduler -----------------------------------------------------------


def test_scheduler_that_is_an_http_server_is_one_line(tmp_path):
    server, port = _serve(_HTTPAnswerHandler)
    try:
        head = tmp_path / "head.obj"
        head.write_text("v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        proc = run_cli("batch", head, "--out", tmp_path / "out", "--scheduler", f"tcp://127.0.0.1:{port}", timeout=120)
    finally:
        server.shutdown()
    _one_line_error(proc, 2, f"tcp://127.0.0.1:{port}", "as a Dask scheduler", "8786")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["head.obj"]  # no output folder made


@pytest.mark.parametrize(
    "address, fragment",
    [("not an address", "not a Dask scheduler address"), ("http://127.0.0.1:8787", "unknown address scheme 'http'")],
)
def test_scheduler_address_that_is_not_dask_is_refused(address, fragment):
    with pytest.raises(InputError, match=fragment) as info:
        distributed.check_scheduler(address)
    assert "\n" not in str(info.value) and "tcp://HOST:PORT" in str(info.value)


def test_scheduler_that_never_answers_times_out(monkeypatch):
    # Dask's own connect timeout does not cover the handshake: an HTTP server held the batch for good.
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT_S", 1)
    server, port = _serve(_QuietHTTPHandler)
    try:
        with pytest.raises(InputError, match="no Dask scheduler answered within 1 s"):
            distributed.check_scheduler(f"tcp://127.0.0.1:{port}")
    finally:
        server.shutdown()


def test_a_real_scheduler_passes_the_check():
    dask = pytest.importorskip("distributed", reason="Dask distributed is in tools/requirements.txt")
    with dask.LocalCluster(n_workers=0, processes=False, dashboard_address=None, silence_logs=50) as cluster:
        distributed.check_scheduler(cluster.scheduler_address)


# --- named pipes, links to special files, empty files ------------------------------------------------------------


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "head.obj"
    os.mkfifo(path)
    return path


def test_batch_refuses_a_named_pipe_before_any_head(fifo, tmp_path):
    good = tmp_path / "good.obj"
    good.write_text("v 0 0 0\n")
    # Opening the pipe to hash it blocked the whole batch; the timeout only keeps a regression from hanging CI.
    proc = run_cli("batch", good, fifo, "--out", tmp_path / "out", timeout=120)
    _one_line_error(proc, 2, "head.obj: is a named pipe (FIFO), not a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.obj", "head.obj"]
    # In a folder, special files are not heads: skipped like any other non-head file.
    assert [a.name for a in batch_plan.discover_assets([tmp_path], tmp_path / "out")] == ["good"]


def test_rig_names_a_named_pipe_and_an_empty_file(fifo, tmp_path):
    with pytest.raises(InputError, match="is a named pipe") as info:
        mesh_import.import_mesh_file(fifo)
    assert "not found" not in str(info.value)
    with pytest.raises(InputError, match="is a named pipe"):  # --timeline, --clips
        timeline_file.read_timeline(fifo)
    empty = tmp_path / "empty.fbx"
    empty.write_bytes(b"")
    # Blender's importer called a 0-byte file "ASCII FBX".
    with pytest.raises(InputError, match=r"empty.fbx: is empty \(0 bytes\)") as info:
        mesh_import.import_mesh_file(empty)
    assert "ASCII" not in str(info.value)


def test_batch_reports_a_link_to_a_special_file_by_its_own_name(tmp_path):
    heads = tmp_path / "heads"
    heads.mkdir()
    (heads / "mem.obj").symlink_to("/proc/self/mem")  # a "regular" file that cannot be read
    out = tmp_path / "out"
    proc = run_cli("batch", heads, "--out", out, "--workers", "0", timeout=120)
    line = _one_line_error(proc, 2, "mem.obj (a link to /proc/self/mem): cannot read")
    assert "first: mem:" not in line
    report = batch_plan.read_report(out / "mem.report.json")
    assert report["status"] == "failed" and "mem.obj (a link to /proc/self/mem)" in report["error"]
    assert report["input"] == str(heads / "mem.obj")


def test_a_folder_whose_heads_all_lie_in_out_says_so(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "head.obj").write_text("v 0 0 0\n")
    with pytest.raises(InputError, match="inside the output folder") as info:
        batch_plan.discover_assets([tmp_path], tmp_path / "out")
    assert "--out" in str(info.value) and "no .obj" not in str(info.value)


# --- outputs that cannot be made; options blamed on the wrong thing ----------------------------------------------


def test_batch_out_that_cannot_be_created_is_one_line(tmp_path):
    head = tmp_path / "head.obj"
    head.write_text("v 0 0 0\n")
    proc = run_cli("batch", head, "--out", "/proc/facemotion_batch_out", timeout=120)
    _one_line_error(proc, 2, "--out /proc/facemotion_batch_out: cannot create the output folder")


def test_animate_blames_a_bad_fps_on_the_option_not_the_file(tmp_path):
    timeline = tmp_path / "shot.json"
    timeline.write_text('{"fps": 24, "keys": [{"time": 0, "emotion": "happy"}]}')
    proc = run_cli("animate", tmp_path / "m.obj", "--timeline", timeline, "--fps", "1e6", "--out", tmp_path / "o.glb")
    line = _one_line_error(proc, 2, "--fps", "1000")
    assert "shot.json" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.json"]


def test_quiet_blend_prints_nothing_on_stdout(tmp_path):
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.object.empty_add()
    blend = tmp_path / "no_mesh.blend"
    bpy.ops.wm.save_as_mainfile(filepath=str(blend), copy=True)
    # Fails right after the open (no mesh), so the run costs only the start of bpy; "Read blend:" went to stdout.
    proc = run_cli("-q", "rig", blend, "--out", tmp_path / "o.glb", timeout=120)
    _one_line_error(proc, 2, "no mesh with faces")
    assert proc.stdout == ""


def test_gltfpack_error_names_the_output_not_the_temp_file(tmp_path, monkeypatch):
    fake = tmp_path / "gltfpack"
    fake.write_text('#!/bin/sh\necho "Error saving $4: disk full" >&2\nexit 1\n')
    fake.chmod(0o755)
    monkeypatch.setenv("FACEMOTION_GLTFPACK", str(fake))
    temp = tmp_path / ".head.glb.x1y2.glb"
    with pytest.raises(FacemotionError) as info:
        gltf_tools.run_gltfpack(tmp_path / "raw.glb", temp, export_options.resolve(), name="head.glb")
    message = str(info.value)
    assert message.startswith("head.glb: gltfpack failed") and "Error saving head.glb" in message, message
    assert ".x1y2" not in message


# --- replace: the option the user can actually give ------------------------------------------------------------


def _arkit_cube_with_a_users_action():
    """A cube with the 52 ARKit shape keys (as a rig makes them) whose keys a user's action animates."""
    from facemotion.facemotion_addon import shape_keys

    bpy.ops.wm.read_homefile(use_empty=True)
    vertices, triangles = cube_mesh()
    mesh = bpy.data.meshes.new("cube")
    mesh.from_pydata(vertices.tolist(), [], triangles.tolist())
    obj = bpy.data.objects.new("cube", mesh)
    bpy.context.scene.collection.objects.link(obj)
    shape_keys.write_shape_keys(obj, np.full((52, 8, 3), 0.01, np.float32), list(ARKIT_NAMES))
    block = obj.data.shape_keys.key_blocks["jawOpen"]
    block.keyframe_insert("value", frame=1)
    return obj, obj.data.shape_keys.animation_data.action


def test_batch_replace_action_bakes_clips_over_a_users_action(tmp_path):
    from facemotion.core.animation.timeline import timeline_from_json

    obj, users = _arkit_cube_with_a_users_action()
    clips = [("happy", timeline_from_json({"fps": 24, "keys": [{"time": 0, "emotion": "happy"}], "duration": 1}))]
    with pytest.raises(FacemotionError, match="--replace-action"):
        batch.bake_clips([obj], clips)
    (made,) = batch.bake_clips([obj], clips, replace=True)
    assert made["actions"] == ["happy"] and users.name in bpy.data.actions and users.use_fake_user
    args = entry.build_parser().parse_args(["batch", "x", "--out", str(tmp_path), "--replace-action", "--replace-keys"])
    settings = batch.worker_settings(args)
    assert settings["replace_action"] and settings["replace_keys"]
    assert {"--replace-action", "--replace-keys"} <= set(batch._worker_argv(args))
    assert batch.batch_options(args, [])["replace_action"] is True  # part of the job key: a change redoes the head


# --- images whose header claims gigapixels -----------------------------------------------------------------------


def _with_size(encoded, offset, width, height, order="big", size_bytes=2):
    data = bytearray(encoded.tobytes())
    data[offset : offset + 2 * size_bytes] = height.to_bytes(size_bytes, order) + width.to_bytes(size_bytes, order)
    return bytes(data)


def test_jpeg_bomb_is_refused_from_its_header(tmp_path):
    ok, encoded = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    sof = encoded.tobytes().index(b"\xff\xc0")
    bomb = tmp_path / "bomb.jpg"
    # 30000x30000 in the start-of-frame segment: OpenCV would allocate 2.7 GB before finding the data short.
    bomb.write_bytes(_with_size(encoded, sof + 5, 30000, 30000))
    assert (
        image_io.header_size(np.fromfile(bomb, np.uint8)) == image_io.header_size(bomb.read_bytes()) == (30000, 30000)
    )
    with pytest.raises(InputError, match="30000x30000 px .*megapixels") as info:
        image_io.load_image(bomb)
    assert "\n" not in str(info.value)


def test_webp_and_jpeg_header_sizes_match_the_decoded_image():
    image = np.zeros((37, 53, 4), np.uint8)
    for suffix, params in ((".jpg", []), (".jpg", [cv2.IMWRITE_JPEG_PROGRESSIVE, 1]), (".webp", []), (".png", [])):
        for channels in (3, 4) if suffix != ".jpg" else (3,):
            ok, encoded = cv2.imencode(suffix, image[:, :, :channels], params)
            assert image_io.header_size(encoded.ravel()) == (53, 37), (suffix, params, channels)
    ok, lossless = cv2.imencode(".webp", image[:, :, :3], [cv2.IMWRITE_WEBP_QUALITY, 101])
    assert image_io.header_size(lossless.ravel()) == (53, 37)
    assert image_io.header_size(cv2.imencode(".bmp", image[:, :, :3])[1].ravel()) is None


# --- the add-on's lifetime ---------------------------------------------------------------------------------------

_RELOAD_SCRIPT = """
import sys
sys.path.insert(0, {tools!r})
from package_path import import_facemotion

def install_rig_uninstall():
    facemotion = import_facemotion()
    facemotion.register()
    from facemotion.core.detect import landmarks
    from facemotion.core.io.assets import asset_path
    from facemotion.core.io.image_io import load_image
    detector = landmarks.default_detector()
    assert len(detector.detect(load_image(asset_path("faces/astronaut.png")))) == 1
    facemotion.unregister()
    assert detector.closed, "unregister() left MediaPipe's detector open"
    # Uninstalling drops the extension's modules; installing it again imports new copies.
    for name in [name for name in sys.modules if name.split(".")[0] == "facemotion"]:
        del sys.modules[name]

import bpy
install_rig_uninstall()
install_rig_uninstall()
print("quit")
# The interpreter's own exit runs the atexit handlers (where the tracebacks came from); Blender 4.2's bpy module
# crashes there, so it ends without them (compat.exit_process) and checks only that unregister() closed the detector.
import_facemotion()
from facemotion.facemotion_addon import compat
compat.exit_process(0)
"""


def test_install_uninstall_install_then_quit_prints_no_traceback():
    script = _RELOAD_SCRIPT.format(tools=str(ROOT / "tools"))
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip().endswith("quit"), proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
