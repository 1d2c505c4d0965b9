"""A user's data is never lost on load/save, and odd meshes get one clear line (issue 8, "data loss" and "silent").

The CLI runs as a user runs it (subprocess); .blend files are built and read back with bpy in their own subprocesses
so each test sees exactly what is on disk.
"""

import json
import subprocess
import sys

import pytest
from blender_fixtures import CUBE_OBJ
from test_cli import ICT_NEUTRAL, _describe, _listing, run_cli

from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.io.assets import asset_path

# Builds a .blend holding the user's things around a head mesh: argv = [out.blend, head.obj or "cube"].
_BUILD = r"""
import sys, bpy
out, head = sys.argv[1], sys.argv[2]
bpy.ops.wm.read_homefile(use_empty=True)
scene = bpy.context.scene
if head == "cube":
    mesh = bpy.data.meshes.new("Head")
    mesh.from_pydata([(x, y, z) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], [],
                     [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)])
    obj = bpy.data.objects.new("Head", mesh)
    scene.collection.objects.link(obj)
else:
    bpy.ops.wm.obj_import(filepath=head)
    obj = bpy.context.selected_objects[0]
    obj.name = "Head"
obj.shape_key_add(name="Basis", from_mix=False)
smile = obj.shape_key_add(name="UserSmile", from_mix=False)
smile.value = 0.3
obj["user_note"] = "keep me"
floor = bpy.data.meshes.new("Floor")
floor.from_pydata([(-50, -50, -2), (50, -50, -2), (50, 50, -2), (-50, 50, -2)], [], [(0, 1, 2, 3)])
scene.collection.objects.link(bpy.data.objects.new("Floor", floor))
for name, data in (("Camera", bpy.data.cameras.new("Camera")), ("Light", bpy.data.lights.new("Light", "POINT")),
                   ("Empty", None)):
    scene.collection.objects.link(bpy.data.objects.new(name, data))
action = bpy.data.actions.new("UserAction")
action.use_fake_user = True
scene["user_prop"] = 42
bpy.data.scenes.new("OtherScene")
bpy.ops.wm.save_as_mainfile(filepath=out)
"""

# Prints what a .blend holds, as JSON: argv = [file.blend].
_INSPECT = r"""
import json, sys, bpy
bpy.ops.wm.open_mainfile(filepath=sys.argv[1], load_ui=False)
head = bpy.data.objects["Head"]
keys = head.data.shape_keys
print("JSON" + json.dumps({
    "objects": {o.name: o.type for o in bpy.data.objects},
    "actions": {a.name: a.use_fake_user for a in bpy.data.actions},
    "scenes": sorted(s.name for s in bpy.data.scenes),
    "user_prop": bpy.data.scenes["Scene"].get("user_prop"),
    "user_note": head.get("user_note"),
    "keys": {b.name: round(b.value, 4) for b in keys.key_blocks} if keys else {},
}))
"""


def _bpy(script, *args):
    proc = subprocess.run([sys.executable, "-c", script, *map(str, args)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, _describe(proc)
    return proc


def _inspect(path):
    out = _bpy(_INSPECT, path).stdout
    return json.loads(next(line[4:] for line in out.splitlines() if line.startswith("JSON")))


USER_OBJECTS = {"Head": "MESH", "Floor": "MESH", "Camera": "CAMERA", "Light": "LIGHT", "Empty": "EMPTY"}


def _assert_user_data(state):
    for name, kind in USER_OBJECTS.items():
        assert state["objects"].get(name) == kind, (name, state["objects"])
    assert state["actions"].get("UserAction") is True, state["actions"]
    assert state["scenes"] == ["OtherScene", "Scene"]
    assert state["user_prop"] == 42
    assert state["user_note"] == "keep me"
    assert state["keys"]["UserSmile"] == pytest.approx(0.3)


def _assert_one_line_error(proc, *words):
    assert proc.returncode == 2, _describe(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("facemotion: error: "), _describe(proc)
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert "Traceback" not in proc.stdout + proc.stderr, _describe(proc)


@pytest.mark.parametrize("case", ["folder", "faceless", "nan", "inf"])
def test_odd_mesh_files_are_refused_with_one_line(case, tmp_path):
    if case == "folder":
        mesh = tmp_path / "head.obj"
        mesh.mkdir()
        words = ["head.obj", "is a folder, not a mesh file"]
    elif case == "faceless":
        mesh = tmp_path / "points.obj"
        mesh.write_text("".join(line + "\n" for line in CUBE_OBJ.splitlines() if not line.startswith("f ")))
        words = ["points.obj", "has vertices but no faces"]
    else:
        mesh = tmp_path / f"{case}.obj"
        token = "nan" if case == "nan" else "-inf"
        mesh.write_text(CUBE_OBJ.replace("v 1 1 1", f"v 1 {token} 1").replace("v -1 1 1", f"v {token} 1 1"))
        words = [mesh.name, "2 vertices have non-finite coordinates (NaN/Inf)"]
    before = _listing(tmp_path)
    proc = run_cli("rig", mesh, "--out", tmp_path / "out.glb")
    _assert_one_line_error(proc, *words)
    assert _listing(tmp_path) == before


def test_a_blend_whose_rig_fails_is_left_byte_identical(tmp_path):
    """Not a face (a cube): exit 2, the floor plane named in a note, the user's .blend untouched, nothing written."""
    scene = tmp_path / "scene.blend"
    _bpy(_BUILD, scene, "cube")
    before = _listing(tmp_path)
    proc = run_cli("rig", scene, "--out", scene, "--overwrite")
    _assert_one_line_error(proc, "scene.blend")
    assert "'Floor' left out of the head (flat" in proc.stdout, _describe(proc)
    assert _listing(tmp_path) == before
    _assert_user_data(_inspect(scene))


def test_rig_a_blend_onto_itself_keeps_every_datablock_and_adds_the_52_keys(tmp_path):
    """``rig scene.blend --out scene.blend --overwrite`` with a real head: all the user's data plus facemotion's
    keys."""
    scene = tmp_path / "scene.blend"
    _bpy(_BUILD, scene, asset_path(ICT_NEUTRAL))
    proc = run_cli("rig", scene, "--out", scene, "--overwrite")
    assert proc.returncode == 0, _describe(proc)
    assert "'Floor' left out of the head" in proc.stdout, _describe(proc)
    state = _inspect(scene)
    _assert_user_data(state)
    assert set(ARKIT_NAMES) <= set(state["keys"]), sorted(state["keys"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.blend"]  # no .blend1 backup, no temporary file


# Rigs a cube's keys as facemotion would (write_shape_keys), exports it, imports it into an empty file and prints
# facemotion's key names as the import sees them: argv = [out file, tools dir].
_ROUND_TRIP = r"""
import sys
sys.path.insert(0, sys.argv[2])
import json, bpy, numpy as np
from package_path import import_facemotion
import_facemotion()
from facemotion.facemotion_addon import pipeline, shape_keys
bpy.ops.wm.read_homefile(use_empty=True)
mesh = bpy.data.meshes.new("Head")
mesh.from_pydata([(x, y, z) for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], [],
                 [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)])
obj = bpy.data.objects.new("Head", mesh)
bpy.context.scene.collection.objects.link(obj)
bpy.context.view_layer.update()
obj.shape_key_add(name="Basis", from_mix=False)
obj.shape_key_add(name="UserKey", from_mix=False)
deltas = np.zeros((2, 8, 3), np.float32); deltas[:, 0, 2] = 0.5
shape_keys.write_shape_keys(obj, deltas, ["jawOpen", "mouthClose"])
pipeline.export([obj], sys.argv[1], overwrite=True, animations=False, names=sys.argv[3])
bpy.ops.wm.read_homefile(use_empty=True)
objects = pipeline.load_mesh(sys.argv[1])
obj = next(o for o in objects if o.data.shape_keys)
ours = shape_keys.facemotion_key_names(obj)
keys = [block.name for block in obj.data.shape_keys.key_blocks]
shape_keys.check_shape_key_clashes(obj, ["jawOpen", "mouthClose"], replace=True)
try:
    shape_keys.check_shape_key_clashes(obj, ["UserKey"], replace=True)
    user = "overwritable"
except Exception as exc:
    user = str(exc)
print("JSON" + json.dumps({"ours": ours, "user": user, "keys": keys}))
from facemotion.facemotion_addon import compat
compat.exit_process(0)  # bpy 4.2 can crash in interpreter shutdown after a glTF export
"""


@pytest.mark.parametrize(
    "suffix, names", [(".glb", "arkit"), (".fbx", "arkit"), (".glb", "unreal"), (".fbx", "unreal")]
)
def test_ownership_marker_survives_export_and_import(suffix, names, tmp_path):
    """Re-rigging facemotion's own GLB/FBX with replace works, also when it was written with Unreal's names
    (JawOpen): its keys are known as facemotion's again under their ARKit names (so a re-rig replaces them instead
    of adding a second set), the user's key still is not."""
    from test_cli import ROOT

    out = _bpy(_ROUND_TRIP, tmp_path / f"head{suffix}", ROOT / "tools", names).stdout
    state = json.loads(next(line[4:] for line in out.splitlines() if line.startswith("JSON")))
    assert state["ours"] == ["jawOpen", "mouthClose"]
    assert state["keys"][1:] == ["UserKey", "jawOpen", "mouthClose"]
    assert "not made by facemotion" in state["user"], state
