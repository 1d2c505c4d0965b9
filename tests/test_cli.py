# SPDX-License-Identifier: GPL-3.0-or-later
"""The command line end to end, run as a user runs it: ``python tools/cli_entry.py ...`` in a subprocess from the
repository root (what ``./facemotion`` runs once its .venv exists), on the real ICT-FaceKit head, MediaPipe's canonical
face and the demo photo.

Outputs are read back independently of facemotion: glTF with the standard library (GLB chunks with json + struct,
accessors decoded with numpy, sparse accessors included), .blend and .fbx with Blender (the bpy module) in a separate
process, the contact sheet with OpenCV. A full rig of the ICT head takes ~10 s on two cores, so the expensive runs are
module-scoped fixtures shared by the tests (four rigs in all: ICT to .glb, ICT to .blend, the canonical face, the
demo); the bad-input tests fail before any rig, except the cube, which costs one landmark search.
"""

import hashlib
import json
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from blender_fixtures import CUBE_OBJ

from facemotion.core.animation.timeline import bake_timeline, timeline_from_json
from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES
from facemotion.core.io.assets import asset_path

ROOT = Path(__file__).resolve().parent.parent
CLI = (sys.executable, str(ROOT / "tools" / "cli_entry.py"))
EXAMPLE_TIMELINE = ROOT / "examples" / "timeline_demo.json"
ICT_NEUTRAL = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"
CANONICAL_FACE = "mediapipe/face_geometry/canonical_face_model.obj"
NO_DATA = {"tongueOut"}  # ICT-FaceKit has no tongue shape: that key stays at rest
#: Left empty on the canonical face, a mask with joined lips and no eyeballs (tests/test_rig_confidence.py).
MASK_SKIPPED = {"jawOpen", "mouthClose"} | {n for n in ARKIT_NAMES if n.startswith("eyeLook")}
STAGE_LINE = r"^\s+{}\s+\d+\.\d\d s$"  # how the CLI prints a stage's time: "  import      0.04 s"


def run_cli(*args, timeout=600):
    """Run the CLI like a user from the repository root; returns the CompletedProcess (text stdout/stderr)."""
    return subprocess.run([*CLI, *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def _describe(proc):
    return f"exit {proc.returncode}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}"


def _assert_ok(proc):
    assert proc.returncode == 0, _describe(proc)
    assert "Traceback" not in proc.stdout + proc.stderr, _describe(proc)


def _stage_lines(stdout, name):
    return re.findall(STAGE_LINE.format(re.escape(name)), stdout, flags=re.MULTILINE)


# ---------------------------------------------------------------------------------------------------------------------
# Independent readers
# ---------------------------------------------------------------------------------------------------------------------

_GLB_MAGIC, _CHUNK_JSON, _CHUNK_BIN = 0x46546C67, 0x4E4F534A, 0x004E4942
_COMPONENT_DTYPES = {5120: "i1", 5121: "u1", 5122: "<i2", 5123: "<u2", 5125: "<u4", 5126: "<f4"}
_TYPE_SIZES = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}


def read_gltf(path):
    """``(document dict, [buffer bytes, ...])`` of a .glb (chunks parsed with struct) or a .gltf (+ its .bin files)."""
    path = Path(path)
    data = path.read_bytes()
    if path.suffix == ".gltf":
        doc = json.loads(data)
        return doc, [(path.parent / buf["uri"]).read_bytes() for buf in doc["buffers"]]
    magic, version, length = struct.unpack_from("<III", data, 0)
    assert (magic, version, length) == (_GLB_MAGIC, 2, len(data)), "not a complete glTF 2.0 binary file"
    doc, binary, offset = None, b"", 12
    while offset < length:
        chunk_length, chunk_type = struct.unpack_from("<II", data, offset)
        chunk = data[offset + 8 : offset + 8 + chunk_length]
        if chunk_type == _CHUNK_JSON:
            doc = json.loads(chunk)
        elif chunk_type == _CHUNK_BIN:
            binary = chunk
        offset += 8 + chunk_length
    assert doc is not None, "GLB without a JSON chunk"
    return doc, [binary]


def _view_array(doc, buffers, view_index, byte_offset, dtype, count, width):
    view = doc["bufferViews"][view_index]
    item = np.dtype(dtype).itemsize * width
    stride = view.get("byteStride") or item
    start = view.get("byteOffset", 0) + byte_offset
    buffer = buffers[view.get("buffer", 0)]
    assert start + stride * (count - 1) + item <= len(buffer), "accessor runs past its buffer"
    rows = np.ndarray(
        (count, width), dtype=dtype, buffer=buffer, offset=start, strides=(stride, np.dtype(dtype).itemsize)
    )
    return rows.astype(np.float64)


def accessor(doc, buffers, index):
    """An accessor's values as ``(count, components) float64`` (zeros without a bufferView; sparse applied)."""
    acc = doc["accessors"][index]
    dtype, width, count = _COMPONENT_DTYPES[acc["componentType"]], _TYPE_SIZES[acc["type"]], acc["count"]
    if "bufferView" in acc:
        values = _view_array(doc, buffers, acc["bufferView"], acc.get("byteOffset", 0), dtype, count, width).copy()
    else:
        values = np.zeros((count, width))
    sparse = acc.get("sparse")
    if sparse:
        idx = sparse["indices"]
        rows = _view_array(
            doc,
            buffers,
            idx["bufferView"],
            idx.get("byteOffset", 0),
            _COMPONENT_DTYPES[idx["componentType"]],
            sparse["count"],
            1,
        )[:, 0].astype(np.int64)
        val = sparse["values"]
        values[rows] = _view_array(
            doc, buffers, val["bufferView"], val.get("byteOffset", 0), dtype, sparse["count"], width
        )
    return values


def morph_target_extent(doc, buffers, mesh):
    """Per morph target, the largest ``|POSITION delta|`` over all primitives, from the data (``(n_targets,)``) and
    from the accessors' declared min/max (the two must agree)."""
    n_targets = len(mesh["primitives"][0]["targets"])
    from_data, from_bounds = np.zeros(n_targets), np.zeros(n_targets)
    for primitive in mesh["primitives"]:
        assert len(primitive["targets"]) == n_targets, "primitives disagree on the number of morph targets"
        for t, target in enumerate(primitive["targets"]):
            acc = doc["accessors"][target["POSITION"]]
            values = accessor(doc, buffers, target["POSITION"])
            from_data[t] = max(from_data[t], np.abs(values).max(initial=0.0))
            from_bounds[t] = max(from_bounds[t], np.abs(acc["min"]).max(), np.abs(acc["max"]).max())
    return from_data, from_bounds


def _check_morph_targets(path, empty=NO_DATA):
    """The glTF's single mesh carries the 52 ARKit morph targets, all with data but ``empty`` (tongueOut)."""
    doc, buffers = read_gltf(path)
    assert len(doc["meshes"]) == 1, [m.get("name") for m in doc["meshes"]]
    mesh = doc["meshes"][0]
    assert mesh["extras"]["targetNames"] == list(ARKIT_NAMES)
    from_data, from_bounds = morph_target_extent(doc, buffers, mesh)
    assert len(from_data) == 52
    np.testing.assert_allclose(from_data, from_bounds, rtol=1e-5, atol=1e-7)
    moving = {name for name, extent in zip(ARKIT_NAMES, from_data) if extent > 0}
    assert moving == set(ARKIT_NAMES) - set(empty)
    # Deltas are a part of the head's size (no unit mix-up): the largest (a jaw or lip key) is 1-40 % of the head.
    positions = np.concatenate([accessor(doc, buffers, p["attributes"]["POSITION"]) for p in mesh["primitives"]])
    head = np.ptp(positions, axis=0).max()
    assert 0.01 * head < from_data.max() < 0.4 * head, (from_data.max(), head)
    return doc, buffers


_INSPECT_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
from package_path import import_facemotion
import_facemotion()
import bpy
from facemotion.facemotion_addon import compat
path = sys.argv[1]
if path.endswith(".blend"):
    bpy.ops.wm.open_mainfile(filepath=path)
else:
    bpy.ops.wm.read_homefile(use_empty=True)
    bpy.ops.import_scene.fbx(filepath=path)
objects = []
for obj in bpy.data.objects:
    item = {"name": obj.name, "type": obj.type, "keys": [], "animated": []}
    key = obj.data.shape_keys if obj.type == "MESH" else None
    if key is not None:
        item["keys"] = [block.name for block in key.key_blocks]
        action = key.animation_data.action if key.animation_data else None
        if action is not None:
            item["animated"] = sorted({fc.data_path for fc in compat.action_fcurves(action, key)
                                       if len(fc.keyframe_points) > 1})
    objects.append(item)
print("INSPECT " + json.dumps(objects))
"""


def inspect_with_blender(path):
    """Open a .blend (or import an .fbx) in a separate Blender process; returns a list of dicts per object:
    ``name``, ``type``, ``keys`` (shape key names, Basis first) and ``animated`` (key data paths with > 1 key)."""
    proc = subprocess.run(
        [sys.executable, "-c", _INSPECT_SCRIPT, str(path), str(ROOT / "tools")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, _describe(proc)
    line = next(line for line in proc.stdout.splitlines() if line.startswith("INSPECT "))
    return json.loads(line[len("INSPECT ") :])


def _animation_check(path, timeline_file):
    """The glTF's one animation drives the mesh's morph ``weights`` with one key per frame, equal to the timeline
    baked by ``core.animation.timeline``; returns ``(times (n,), weights (n, 52))``."""
    doc, buffers = read_gltf(path)
    spec = timeline_from_json(json.loads(Path(timeline_file).read_text()))
    expected = bake_timeline(**spec)
    n_frames = round(spec["fps"] * spec["duration"]) + 1
    assert expected.shape == (n_frames, 52)
    (animation,) = doc["animations"]
    (channel,) = animation["channels"]
    assert channel["target"]["path"] == "weights"
    assert doc["nodes"][channel["target"]["node"]]["mesh"] == 0
    sampler = animation["samplers"][channel["sampler"]]
    times = accessor(doc, buffers, sampler["input"])[:, 0]
    weights = accessor(doc, buffers, sampler["output"])[:, 0]
    assert len(times) == n_frames, "one keyframe per frame, fps * duration + 1"
    assert len(weights) == n_frames * 52
    np.testing.assert_allclose(np.diff(times), 1.0 / spec["fps"], atol=1e-5)
    assert sampler.get("interpolation", "LINEAR") == "LINEAR"
    weights = weights.reshape(n_frames, 52)
    np.testing.assert_allclose(weights, expected, atol=1e-4)
    return times, weights


# ---------------------------------------------------------------------------------------------------------------------
# Shared runs (module scope: each full rig is ~10 s)
# ---------------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("cli")


@pytest.fixture(scope="module")
def ict_mesh():
    return asset_path(ICT_NEUTRAL)


@pytest.fixture(scope="module")
def rig_glb(workdir, ict_mesh):
    """``rig ICT.obj --out ict.glb``: (CompletedProcess, output path)."""
    out = workdir / "ict_rigged.glb"
    return run_cli("rig", ict_mesh, "--out", out), out


@pytest.fixture(scope="module")
def rig_blend(workdir, ict_mesh):
    """``rig ICT.obj --out ict.blend``: (CompletedProcess, output path)."""
    out = workdir / "ict_rigged.blend"
    return run_cli("rig", ict_mesh, "--out", out), out


@pytest.fixture(scope="module")
def animated_glb(workdir, rig_blend):
    """``animate ict_rigged.blend --timeline examples/timeline_demo.json --out ict_animated.glb``."""
    proc, blend = rig_blend
    _assert_ok(proc)
    out = workdir / "ict_animated.glb"
    return run_cli("animate", blend, "--timeline", EXAMPLE_TIMELINE, "--out", out), out


@pytest.fixture(scope="module")
def canonical_gltf(workdir):
    """``rig canonical_face_model.obj --out canonical.gltf -q`` (JSON + .bin; quiet)."""
    out = workdir / "canonical.gltf"
    return run_cli("rig", asset_path(CANONICAL_FACE), "--out", out, "-q"), out


@pytest.fixture(scope="module")
def demo_run(workdir):
    """``demo --out-dir DIR``: (CompletedProcess, DIR)."""
    out_dir = workdir / "demo"
    return run_cli("demo", "--out-dir", out_dir), out_dir


# ---------------------------------------------------------------------------------------------------------------------
# rig / animate on the ICT head
# ---------------------------------------------------------------------------------------------------------------------


def test_rig_to_glb_prints_stage_times_and_writes_52_arkit_morph_targets(rig_glb):
    proc, out = rig_glb
    _assert_ok(proc)
    for stage in ("import", "landmarks", "fit", "transfer", "rig", f"write {out.name}"):
        assert len(_stage_lines(proc.stdout, stage)) == 1, (stage, proc.stdout)
    assert "no template data for tongueOut" in proc.stdout
    # Which object became what: ICT's OBJ is one object holding every part.
    assert re.search(r"^    \S.*: skin \+ 2 eyes \+ teeth", proc.stdout, flags=re.MULTILINE), proc.stdout
    doc, _ = _check_morph_targets(out)
    # Only the head is written (not Blender's startup cube), at rest.
    assert [node.get("mesh") for node in doc["nodes"]] == [0]
    assert doc["meshes"][0].get("weights", [0.0] * 52) == [0.0] * 52
    assert "animations" not in doc


def test_rig_to_blend_keeps_the_head_with_basis_and_52_shape_keys(rig_blend, ict_mesh):
    proc, out = rig_blend
    _assert_ok(proc)
    assert len(_stage_lines(proc.stdout, f"write {out.name}")) == 1, proc.stdout
    objects = inspect_with_blender(out)
    assert [(o["name"], o["type"]) for o in objects] == [(Path(ict_mesh).stem, "MESH")], objects
    keys = objects[0]["keys"]
    assert len(keys) == 53 and keys[0] == "Basis" and sorted(keys[1:]) == sorted(ARKIT_NAMES)
    assert objects[0]["animated"] == []


def test_animate_a_rigged_blend_bakes_the_example_timeline_without_rigging_again(animated_glb, ict_mesh):
    proc, out = animated_glb
    _assert_ok(proc)
    assert f"already rigged: {Path(ict_mesh).stem}" in proc.stdout
    for rig_stage in ("landmarks", "fit", "transfer", "rig"):
        assert not _stage_lines(proc.stdout, rig_stage), proc.stdout
    for stage in ("import", "bake timeline", f"write {out.name}"):
        assert len(_stage_lines(proc.stdout, stage)) == 1, (stage, proc.stdout)
    _check_morph_targets(out)
    times, weights = _animation_check(out, EXAMPLE_TIMELINE)
    # The example's keys show up: happy (a smile) at 1 s, surprise (jaw open) at 2 s, the smirk is one-sided at 3 s.
    fps = 24
    smile = weights[:, [ARKIT_INDEX["mouthSmileLeft"], ARKIT_INDEX["mouthSmileRight"]]].mean(axis=1)
    assert smile[1 * fps] > 0.3 > smile[0]
    assert weights[2 * fps, ARKIT_INDEX["jawOpen"]] > 0.3
    assert weights[3 * fps, ARKIT_INDEX["mouthSmileLeft"]] > weights[3 * fps, ARKIT_INDEX["mouthSmileRight"]] + 0.3


def test_animation_starts_at_time_zero(animated_glb):
    proc, out = animated_glb
    _assert_ok(proc)
    times, _ = _animation_check(out, EXAMPLE_TIMELINE)
    assert times[0] == pytest.approx(0.0, abs=1e-6)


# ---------------------------------------------------------------------------------------------------------------------
# MediaPipe's canonical face: another topology, .gltf out, then animate it to .fbx
# ---------------------------------------------------------------------------------------------------------------------


def test_rig_canonical_face_to_gltf(canonical_gltf):
    proc, out = canonical_gltf
    _assert_ok(proc)
    # -q: nothing on stdout, not even the OBJ importer's or the glTF exporter's log lines (held back unless -v)
    assert proc.stdout == "", proc.stdout
    assert out.is_file() and out.with_suffix(".bin").is_file()
    # A mask: its lips are one surface and it has no eyeballs. The rig proceeds, leaves the shapes that would tear
    # it empty and says which, even with -q.
    _check_morph_targets(out, NO_DATA | MASK_SKIPPED)
    assert "warning: canonical_face_model.obj: no mouth opening found" in proc.stderr, proc.stderr
    assert "jawOpen, mouthClose, tongueOut left empty" in proc.stderr, proc.stderr
    assert "no eyeballs found: eyeLook* left empty" in proc.stderr, proc.stderr


def test_animate_the_rigged_gltf_to_fbx(canonical_gltf, workdir):
    proc, rigged = canonical_gltf
    _assert_ok(proc)
    out = workdir / "canonical_animated.fbx"
    proc = run_cli("animate", rigged, "--timeline", EXAMPLE_TIMELINE, "--out", out)
    _assert_ok(proc)
    assert "already rigged: canonical_face_model" in proc.stdout
    (head,) = [o for o in inspect_with_blender(out) if o["type"] == "MESH"]
    assert len(head["keys"]) == 53 and set(head["keys"][1:]) == set(ARKIT_NAMES)
    assert 'key_blocks["jawOpen"].value' in head["animated"]
    assert 'key_blocks["eyeBlinkLeft"].value' in head["animated"]


# ---------------------------------------------------------------------------------------------------------------------
# Bad input: exit 2, one line on stderr naming the file, no traceback, nothing written
# ---------------------------------------------------------------------------------------------------------------------


def _bad_input_files(folder):
    (folder / "random_text.obj").write_text("this is not a mesh\nv one two three\nf a b c\n")
    (folder / "photo.fbx").write_bytes(asset_path("faces/astronaut.png").read_bytes())
    (folder / "cube.obj").write_text(CUBE_OBJ)
    (folder / "empty.obj").write_text("# no vertices, no faces\n")
    (folder / "head.stl").write_text("solid head\nendsolid head\n")
    (folder / "unknown_emotion.json").write_text(
        json.dumps({"fps": 24, "keys": [{"time": 0, "emotion": "neutral"}, {"time": 1.0, "emotion": "grumpy"}]})
    )
    (folder / "loud_noise.json").write_text(
        json.dumps({"keys": [{"time": 0, "emotion": "happy"}], "duration": 1.0, "noise": {"amplitude": 2.0}})
    )
    (folder / "broken.json").write_text('{"fps": 24, "keys": [{"time": 0, "emotion": "neutral"},\n')
    (folder / "existing.glb").write_bytes(b"glTF precious bytes that must survive")
    (folder / "good.json").write_text(EXAMPLE_TIMELINE.read_text())


# id: (arguments with {d} = the test folder and {ict} = the ICT head, words the one error line must contain)
BAD_INPUT = {
    "missing-mesh": ("rig {d}/missing.obj --out {d}/out.glb", ["missing.obj", "not found"]),
    "missing-mesh-animate": (
        "animate {d}/missing.obj --timeline {d}/good.json --out {d}/out.glb",
        ["missing.obj", "not found"],
    ),
    "text-as-obj": ("rig {d}/random_text.obj --out {d}/out.glb", ["random_text.obj"]),
    "png-as-fbx": ("rig {d}/photo.fbx --out {d}/out.glb", ["photo.fbx"]),
    "cube-has-no-face": ("rig {d}/cube.obj --out {d}/out.glb", ["cube.obj", "no face"]),
    "empty-obj": ("rig {d}/empty.obj --out {d}/out.glb", ["empty.obj"]),
    "unsupported-mesh-type": ("rig {d}/head.stl --out {d}/out.glb", ["head.stl", ".stl"]),
    "unsupported-output": ("rig {ict} --out {d}/out.xyz", ["out.xyz", ".xyz"]),
    "output-folder-missing": ("rig {ict} --out {d}/no_such_folder/out.glb", ["no_such_folder"]),
    "existing-output": ("rig {ict} --out {d}/existing.glb", ["existing.glb", "--overwrite"]),
    "existing-output-animate": (
        "animate {ict} --timeline {d}/good.json --out {d}/existing.glb",
        ["existing.glb", "--overwrite"],
    ),
    "unknown-emotion": (
        "animate {ict} --timeline {d}/unknown_emotion.json --out {d}/out.glb",
        ["unknown_emotion.json", "grumpy", "key 1"],
    ),
    "noise-out-of-range": (
        "animate {ict} --timeline {d}/loud_noise.json --out {d}/out.glb",
        ["loud_noise.json", "noise amplitude"],
    ),
    "bad-fps": ("animate {ict} --timeline {d}/good.json --out {d}/out.glb --fps 0", ["--fps"]),
    "invalid-json": ("animate {ict} --timeline {d}/broken.json --out {d}/out.glb", ["broken.json", "JSON"]),
    "missing-timeline": ("animate {ict} --timeline {d}/missing.json --out {d}/out.glb", ["missing.json"]),
    "missing-out": ("rig {ict}", ["--out"]),
    "missing-out-animate": ("animate {ict} --timeline {d}/good.json", ["--out"]),
    "missing-timeline-option": ("animate {ict} --out {d}/out.glb", ["--timeline"]),
    "demo-missing-mesh": ("demo --mesh {d}/missing.obj --out-dir {d}/demo_out", ["missing.obj", "--mesh"]),
    "demo-missing-photo": ("demo --photo {d}/missing.png --out-dir {d}/demo_out", ["missing.png", "--photo"]),
    "no-command": ("", ["COMMAND"]),
    "unknown-command": ("bake {ict}", ["bake"]),
}


def _listing(folder):
    """Every file and folder under ``folder``, with the files' bytes."""
    return {p.relative_to(folder): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", BAD_INPUT, ids=list(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(case, tmp_path, ict_mesh):
    command, words = BAD_INPUT[case]
    _bad_input_files(tmp_path)
    before = _listing(tmp_path)
    args = command.format(d=tmp_path, ict=ict_mesh).split()
    proc = run_cli(*args)
    assert proc.returncode == 2, _describe(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, _describe(proc)
    assert lines[0].startswith("facemotion: error: "), _describe(proc)
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Traceback" not in proc.stdout, _describe(proc)
    # Nothing written, not even a temporary file; an existing output is byte-identical.
    assert _listing(tmp_path) == before


@pytest.mark.parametrize("command", ["", "rig", "animate", "demo"])
def test_help(command):
    proc = run_cli(*command.split(), "--help")
    assert proc.returncode == 0, _describe(proc)
    assert proc.stdout.startswith(f"usage: facemotion {command}".rstrip()), proc.stdout
    assert proc.stderr == ""
    expected = {
        "": ["rig", "animate", "demo"],
        "rig": ["--out", "--overwrite", "--replace-keys", "--drive-bones"],
        "animate": ["--timeline", "--out", "--fps", "--overwrite"],
        "demo": ["--out-dir", "--mesh"],
    }[command]
    for word in expected:
        assert word in proc.stdout, (word, proc.stdout)


def test_launcher_runs_the_cli_from_the_checkout_venv():
    venv = ROOT / ".venv"
    stamp = venv / ".facemotion-constraints"
    wanted = hashlib.sha256(
        (ROOT / "tools" / "requirements.txt").read_bytes() + (ROOT / "tools" / "constraints.txt").read_bytes()
    ).hexdigest()[:16]
    if not (venv / "bin" / "python").exists() or not stamp.is_file() or stamp.read_text().strip() != wanted:
        pytest.skip("no up-to-date .venv: the launcher would (re)install it, which a test must not do")
    env = {k: v for k, v in os.environ.items() if k not in ("FACEMOTION_VENV", "FACEMOTION_PYTHON")}
    proc = subprocess.run(
        [str(ROOT / "facemotion"), "--help"], cwd="/", env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, _describe(proc)
    assert proc.stdout.startswith("usage: facemotion"), proc.stdout
    assert "setting up" not in proc.stderr


# ---------------------------------------------------------------------------------------------------------------------
# demo
# ---------------------------------------------------------------------------------------------------------------------


def test_demo_writes_blend_glb_and_contact_sheet_with_stage_times(demo_run):
    proc, out_dir = demo_run
    _assert_ok(proc)
    for stage in (
        "import generic_neutral_mesh.obj",
        "rig (landmarks, fit, transfer)",
        "photo landmarks + pose",
        "bake timeline (145 frames)",
        "write .glb",
        "contact sheet (Cycles CPU)",
        "write .blend",
        "total",
    ):
        assert len(_stage_lines(proc.stdout, stage)) == 1, (stage, proc.stdout)
    blend = out_dir / "facemotion_demo.blend"
    glb = out_dir / "facemotion_demo.glb"
    sheet = out_dir / "facemotion_demo_contact_sheet.png"
    for path in (blend, glb, sheet):
        assert path.is_file() and f"wrote {path}" in proc.stdout
    # Blender's render log, written from C to descriptor 1 ("Fra:1 Mem:...", "render | Saved: '...'"), is held
    # back without -v: stdout has facemotion's own lines only.
    render_log = [
        line
        for line in proc.stdout.splitlines()
        if line.lstrip().startswith(("Fra:", "Info:"))
        or "| Saved:" in line
        or " render " in f" {line} "
        and "|" in line
    ]
    assert not render_log, render_log

    doc, buffers = _check_morph_targets(glb)
    (animation,) = doc["animations"]
    assert [c["target"]["path"] for c in animation["channels"]] == ["weights"]
    times = accessor(doc, buffers, animation["samplers"][0]["input"])[:, 0]
    assert len(times) == 6 * 24 + 1

    heads = [o for o in inspect_with_blender(blend) if o["type"] == "MESH"]
    assert len(heads) == 1 and len(heads[0]["keys"]) == 53
    assert 'key_blocks["jawOpen"].value' in heads[0]["animated"]

    image = cv2.imread(str(sheet), cv2.IMREAD_COLOR)
    assert image is not None, "the contact sheet is not a readable PNG"
    height, width = image.shape[:2]
    assert height >= 128 and width >= 3 * 128, image.shape
    assert image.std() > 10 and np.ptp(image) > 100, "the contact sheet is (nearly) uniform"
