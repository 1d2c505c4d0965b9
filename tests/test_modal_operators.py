# SPDX-License-Identifier: GPL-3.0-or-later
"""The long operators' modal path, driven step by step in the bpy module with the real Job classes and a real scene.

The bpy module has no event loop (no window, no timer events), so the tests play the modal operator's part: they
``start`` a :class:`facemotion.operators.base.JobRunner`, ``step`` it as the timer would, ``cancel`` it as Esc would,
and compare a full snapshot of the scene before and after. Rigging uses the real ICT-FaceKit head.
"""

import threading

import bpy
import cv2
import numpy as np
import pytest

import facemotion
from facemotion.core.arkit import ARKIT_NAMES
from facemotion.core.errors import InputError
from facemotion.core.io.assets import asset_path
from facemotion.core.io.mesh_io import read_obj
from facemotion.facemotion_addon.selection import LANDMARKS_PROP, is_rigged
from facemotion.facemotion_addon.settings.properties import settings
from facemotion.operators.base import Job, JobRunner
from facemotion.operators.recognize import PoseEmotionJob, VideoEmotionJob
from facemotion.operators.rig import DetectLandmarksJob, RigJob
from facemotion.operators.timeline import BakeJob, demo_keys

#: Longest a test waits for the worker to reach a state (s); a bound against hangs, not a timed assertion.
PATIENCE_S = 120.0


# --------------------------------------------------------------------------------------------------------- helpers


def _co(collection):
    co = np.empty(len(collection) * 3, np.float32)
    collection.foreach_get("co", co)
    return co.reshape(-1, 3)


def _props(id_block):
    """Custom properties as plain Python values (IDPropertyArray/Group -> list/dict)."""
    out = {}
    # Blender 4.2-4.x list a registered PointerProperty (Object.facemotion) among the ID's keys once it has been
    # read; it is add-on data, not a user's custom property (5.0 keeps them apart).
    registered = set(id_block.bl_rna.properties.keys())
    for key in [key for key in id_block.keys() if key not in registered]:
        value = id_block[key]
        out[key] = (
            value.to_dict() if hasattr(value, "to_dict") else value.to_list() if hasattr(value, "to_list") else value
        )
    return out


def snapshot():
    """Everything a facemotion operator could change: objects (transform, parent, selection, custom properties),
    mesh coordinates, shape keys (names, values, coordinates, custom properties), actions, the frame range and
    rate, the active object and the scene's facemotion settings."""
    scene = bpy.context.scene
    view_layer = bpy.context.view_layer
    objects = {}
    for obj in bpy.data.objects:
        entry = {
            "type": obj.type,
            "data": obj.data.name if obj.data else None,
            "matrix": np.array(obj.matrix_world, np.float64),
            "parent": obj.parent and obj.parent.name,
            "selected": obj.select_get(view_layer=view_layer) if obj.name in view_layer.objects else None,
            "props": _props(obj),
            "modifiers": [m.name for m in getattr(obj, "modifiers", [])],
            "collections": sorted(c.name for c in obj.users_collection),
            "timeline": (
                [(k.time, k.emotion, k.intensity, k.transition, k.easing) for k in obj.facemotion.timeline_keys],
                obj.facemotion.active_key_index,
            ),
        }
        objects[obj.name] = entry
    meshes = {}
    for mesh in bpy.data.meshes:
        keys = mesh.shape_keys
        meshes[mesh.name] = {
            "co": _co(mesh.vertices),
            "polygons": len(mesh.polygons),
            "keys": None if keys is None else [(b.name, b.value, b.mute, _co(b.data)) for b in keys.key_blocks],
            "key_props": None if keys is None else _props(keys),
            "key_action": None
            if keys is None or keys.animation_data is None or keys.animation_data.action is None
            else keys.animation_data.action.name,
        }
    props = settings(scene)
    return {
        "objects": objects,
        "meshes": meshes,
        "actions": sorted(a.name for a in bpy.data.actions),
        "images": sorted(i.name for i in bpy.data.images),
        "active": view_layer.objects.active and view_layer.objects.active.name,
        "frames": (scene.frame_start, scene.frame_end, scene.frame_current, scene.render.fps, scene.render.fps_base),
        "scene_props": _props(scene),
        "facemotion": {
            "last_report": props.last_report,
            "recognized_label": props.recognized_label,
            "recognized_source": props.recognized_source,
            "recognized_faces": props.recognized_faces,
            "recognized_probabilities": list(props.recognized_probabilities),
        },
    }


def assert_same(before, after, path="scene"):
    """Exact equality of two snapshots, saying where they differ."""
    if isinstance(before, dict):
        assert isinstance(after, dict) and before.keys() == after.keys(), (
            f"{path}: {sorted(before)} != {sorted(after) if isinstance(after, dict) else after}"
        )
        for key in before:
            assert_same(before[key], after[key], f"{path}.{key}")
    elif isinstance(before, (list, tuple)):
        assert isinstance(after, (list, tuple)) and len(before) == len(after), f"{path}: {before!r} != {after!r}"
        for i, (a, b) in enumerate(zip(before, after)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(before, np.ndarray):
        assert isinstance(after, np.ndarray) and np.array_equal(before, after), f"{path}: arrays differ"
    else:
        assert before == after, f"{path}: {before!r} != {after!r}"


class Recorder:
    """Wraps a runner's Progress so every report the worker makes is recorded as ``(fraction, message)``."""

    def __init__(self, runner):
        self.calls = []
        self.lock = threading.Lock()
        inner = runner.progress._on_update

        def on_update(fraction, message):
            with self.lock:
                self.calls.append((fraction, message))
            if inner is not None:
                inner(fraction, message)

        runner.progress._on_update = on_update


def step_until(runner, done, context=None):
    """Step ``runner`` (as the modal timer does) until ``done(runner)``; returns the last state."""
    context = context or bpy.context
    state = runner.state
    for _ in range(int(PATIENCE_S / 0.05)):
        state = runner.step(context, wait=0.05)
        if done(runner):
            return state
    raise AssertionError(f"{runner.job.title}: still {state!r} after {PATIENCE_S} s")


def started_then_cancelled(job):
    """Start ``job``, wait until its worker has reported progress (it is running), cancel, step to the end."""
    runner = JobRunner(job)
    recorder = Recorder(runner)
    runner.start(bpy.context)
    assert runner.state == "running"
    step_until(runner, lambda r: r.state != "running" or r.progress.fraction > 0.0 or recorder.calls)
    assert runner.state == "running", f"{job.title} ended before it could be cancelled"
    runner.cancel()
    state = step_until(runner, lambda r: r.state != "running")
    assert state == "cancelled"
    assert runner.outcome is None and runner.error is None
    return runner, recorder


def select_only(*objects):
    for obj in bpy.context.view_layer.objects:
        obj.select_set(False)
    for obj in objects:
        obj.select_set(True)
    bpy.context.view_layer.objects.active = objects[0] if objects else None


def mesh_object(name, vertices, triangles):
    mesh = bpy.data.meshes.new(name)
    mesh.from_pydata(np.asarray(vertices).tolist(), [], np.asarray(triangles).tolist())
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj


# -------------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def ict():
    return read_obj(asset_path("ict-facekit/FaceXModel/generic_neutral_mesh.obj"))


@pytest.fixture()
def registered():
    bpy.ops.wm.read_factory_settings(use_empty=True)
    facemotion.register()
    yield bpy.context.scene
    facemotion.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


@pytest.fixture()
def head(registered, ict):
    """The ICT head (cm, as in the file) with a user's shape key and custom properties, some timeline keys, a frame
    range of the user's own, and a second unselected object."""
    obj = mesh_object("Head", ict.vertices, ict.triangles)
    obj.shape_key_add(name="Basis")
    user = obj.shape_key_add(name="MyKey", from_mix=False)
    user.data[0].co = (1.0, 2.0, 3.0)
    user.value = 0.25
    obj["artist_note"] = "keep me"
    other = mesh_object("Other", [(0, 0, 0), (1, 0, 0), (0, 1, 0)], [(0, 1, 2)])
    other.select_set(False)
    scene = registered
    scene.frame_start, scene.frame_end, scene.frame_current = 10, 70, 33
    scene["user_prop"] = 7
    settings(scene).last_report = "earlier report"
    for key in demo_keys()[:2]:
        item = obj.facemotion.timeline_keys.add()
        item.time, item.emotion, item.intensity = key.time, key.emotion, key.intensity
    select_only(obj)
    return obj


def _arkit_grid(name="Rigged"):
    """A small grid mesh with Basis + 52 ARKit shape keys (neutral): enough for Bake and the pose job to accept it."""
    n = 6
    xs = np.linspace(-0.1, 0.1, n)
    verts = [(x, y, 0.0) for y in xs for x in xs]
    quads = [
        (r * n + c, r * n + c + 1, (r + 1) * n + c + 1, (r + 1) * n + c) for r in range(n - 1) for c in range(n - 1)
    ]
    tris = [t for a, b, c, d in quads for t in ((a, b, c), (a, c, d))]
    obj = mesh_object(name, verts, tris)
    obj.shape_key_add(name="Basis", from_mix=False)
    for k, key_name in enumerate(ARKIT_NAMES):
        block = obj.shape_key_add(name=key_name, from_mix=False)
        block.value = 0.0
        block.data[k % len(verts)].co.z += 0.01
    assert is_rigged([obj])
    return obj


# ---------------------------------------------------------------------------------------------------------- tests


def test_cancelled_landmark_detection_leaves_the_scene_unchanged(head):
    before = snapshot()
    runner, recorder = started_then_cancelled(DetectLandmarksJob([head]))
    assert recorder.calls and all(message for _, message in recorder.calls)
    assert_same(before, snapshot())
    assert not any(obj.get(LANDMARKS_PROP) for obj in bpy.data.objects)


def test_cancelled_rig_leaves_the_scene_unchanged(head):
    before = snapshot()
    runner, recorder = started_then_cancelled(RigJob([head], replace=False))
    assert recorder.calls and all(message for _, message in recorder.calls)
    assert_same(before, snapshot())
    assert [b.name for b in head.data.shape_keys.key_blocks] == ["Basis", "MyKey"]


def test_modal_rig_equals_blocking_rig_and_reports_rising_progress(head, ict):
    """The modal path (start/step until finished) writes the same 52 keys as the blocking path (run_to_end) on a
    copy of the head; its progress messages are non-empty and the fraction rises monotonically to 1."""
    copy = mesh_object("HeadCopy", ict.vertices, ict.triangles)
    select_only(head)
    runner = JobRunner(RigJob([head], replace=False))
    recorder = Recorder(runner)
    runner.start(bpy.context)
    assert step_until(runner, lambda r: r.state != "running") == "finished", runner.error
    assert "Rigged Head (skin + 2 eyes + teeth) with 52 ARKit shape keys" in runner.outcome
    fractions = [f for f, _ in recorder.calls]
    assert len(fractions) >= 5 and all(message for _, message in recorder.calls)
    assert all(b >= a for a, b in zip(fractions, fractions[1:])), fractions
    assert fractions[-1] == 1.0

    blocking = JobRunner(RigJob([copy], replace=False))
    assert "Rigged HeadCopy" in blocking.run_to_end(bpy.context)
    for name in ARKIT_NAMES:
        modal_co = _co(head.data.shape_keys.key_blocks[name].data)
        blocking_co = _co(copy.data.shape_keys.key_blocks[name].data)
        assert np.allclose(modal_co, blocking_co, atol=1e-5), name
    assert "MyKey" in head.data.shape_keys.key_blocks  # the user's key stays


def test_cancelled_bake_leaves_the_scene_unchanged(registered):
    rigged = _arkit_grid()
    select_only(rigged)
    props = rigged.facemotion
    for key in demo_keys():
        item = props.timeline_keys.add()
        item.time, item.emotion, item.intensity = key.time, key.emotion, key.intensity
        item.transition, item.easing = key.transition, key.easing
    registered.frame_start, registered.frame_end = 5, 9
    before = snapshot()
    runner = JobRunner(BakeJob([rigged]))
    runner.start(bpy.context)
    runner.cancel()  # Esc right away: whatever the worker got to, nothing is applied
    assert step_until(runner, lambda r: r.state != "running") == "cancelled"
    assert_same(before, snapshot())
    assert rigged.data.shape_keys.animation_data is None


def test_cancelled_pose_recognition_leaves_the_scene_unchanged(registered, ict):
    face = mesh_object("Face", ict.vertices * 0.01, ict.triangles)  # metres, as a rig in a scene would be
    face.shape_key_add(name="Basis", from_mix=False)
    for name in ARKIT_NAMES:
        face.shape_key_add(name=name, from_mix=False).value = 0.0
    select_only(face)
    before = snapshot()
    started_then_cancelled(PoseEmotionJob([face], [face]))
    assert_same(before, snapshot())


@pytest.fixture()
def video(tmp_path):
    """A 12-frame MJPG AVI of the astronaut photo (a real face), 6 fps."""
    rgb = cv2.imread(str(asset_path("faces/astronaut.png")))
    path = tmp_path / "face.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 6.0, (rgb.shape[1], rgb.shape[0]))
    assert writer.isOpened()
    for _ in range(12):
        writer.write(rgb)
    writer.release()
    return path


def test_cancelled_video_recognition_leaves_the_scene_unchanged(registered, video):
    props = settings(registered)
    rigged = _arkit_grid()
    select_only(rigged)
    item = rigged.facemotion.timeline_keys.add()
    item.time, item.emotion, item.intensity = 0.0, "happy", 0.5
    props.recognize_every_n = 1
    before = snapshot()
    started_then_cancelled(VideoEmotionJob(str(video)))
    assert_same(before, snapshot())


class _Refusing(Job):
    title = "Refusing"

    def prepare(self, context):
        raise InputError("no usable input here")

    def compute(self, progress):  # pragma: no cover - must never run
        raise AssertionError("compute ran after prepare refused")


def test_a_job_whose_prepare_refuses_changes_nothing_and_says_why_in_one_line(head):
    before = snapshot()
    runner = JobRunner(_Refusing())
    with pytest.raises(InputError) as caught:
        runner.start(bpy.context)
    assert runner.state == "idle" and runner._thread is None
    assert "\n" not in str(caught.value) and str(caught.value) == "no usable input here"
    # The operators turn it into one report the same way; a real one: Rig Face on a non-face refuses in prepare.
    video_job = VideoEmotionJob("")
    with pytest.raises(InputError, match="choose a video file"):
        JobRunner(video_job).start(bpy.context)
    assert_same(before, snapshot())


def test_invoke_default_in_the_bpy_module_runs_the_operator_to_the_end(head):
    """The bpy module (background mode) has no event loop: Blender calls ``execute`` even for ``'INVOKE_DEFAULT'``
    (``invoke`` is skipped), so the operator must finish in the call - the blocking fallback - and say so once."""
    assert bpy.app.background
    before = snapshot()
    result = bpy.ops.facemotion.detect_landmarks("INVOKE_DEFAULT")
    assert result == {"FINISHED"}
    marks = [obj for obj in bpy.data.objects if obj.get(LANDMARKS_PROP)]
    assert len(marks) == 1 and len(marks[0].data.vertices) == 478
    assert settings(bpy.context.scene).last_report.startswith("Face found")
    with pytest.raises(AssertionError, match="objects"):  # the snapshot the cancel tests rely on sees a finished run
        assert_same(before, snapshot())


# -------------------------------------------------------------------------------------------------------- downloads

MODEL = "mediapipe/face_landmarker.task"


@pytest.fixture()
def empty_asset_folder(tmp_path, monkeypatch):
    """facemotion registered with an empty asset folder, downloads allowed by the environment, and a file:// mirror
    of the shared assets as the download source (set before registration, which remembers the environment)."""
    from facemotion.core.io import assets

    folder = tmp_path / "assets"
    folder.mkdir()
    monkeypatch.setenv(assets.ENV_ASSETS, str(folder))
    monkeypatch.setenv(assets.ENV_ALLOW_DOWNLOAD, "1")
    monkeypatch.setenv(assets.ENV_BASE_URL, assets.shared_assets_dir().as_uri())
    bpy.ops.wm.read_factory_settings(use_empty=True)
    facemotion.register()
    yield folder
    facemotion.unregister()
    bpy.ops.wm.read_factory_settings(use_empty=True)


def _gated(runner):
    """Hold the worker at its first progress report until the test lets it go (so a cancel lands mid-run)."""
    reached, release = threading.Event(), threading.Event()

    def on_update(fraction, message):
        reached.set()
        release.wait(PATIENCE_S)

    runner.progress._on_update = on_update
    return reached, release


def test_cancelled_download_leaves_no_file(empty_asset_folder):
    from facemotion.operators.assets import DownloadAssetsJob

    before = snapshot()
    runner = JobRunner(DownloadAssetsJob([MODEL], online_access=True))
    reached, release = _gated(runner)
    runner.start(bpy.context)
    assert reached.wait(PATIENCE_S) and runner.state == "running"
    runner.cancel()
    release.set()
    assert step_until(runner, lambda r: r.state != "running") == "cancelled"
    assert [p for p in empty_asset_folder.rglob("*") if not p.is_dir()] == []  # no partial or temporary file
    assert_same(before, snapshot())


def test_download_runs_modally_to_a_verified_file_with_rising_progress(empty_asset_folder):
    from facemotion.core.io import assets
    from facemotion.operators.assets import DownloadAssetsJob

    runner = JobRunner(DownloadAssetsJob([MODEL], online_access=True))
    recorder = Recorder(runner)
    runner.start(bpy.context)
    assert step_until(runner, lambda r: r.state != "running") == "finished", runner.error
    path = empty_asset_folder / MODEL
    assert path.is_file() and assets.asset_path(MODEL, download=False) == path  # verified against its sha256
    assert "Downloaded and verified 1 asset file" in runner.outcome
    fractions = [f for f, _ in recorder.calls]
    assert len(fractions) >= 4 and fractions[-1] == 1.0 and all(b >= a for a, b in zip(fractions, fractions[1:]))
    assert any(0.0 < f < 1.0 for f in fractions)  # per-chunk progress of the 3.7 MB file (1 MiB chunks)
    assert all(message for _, message in recorder.calls)


def test_download_is_refused_in_one_line_when_online_access_is_off(empty_asset_folder):
    from facemotion.core.errors import AssetError
    from facemotion.operators.assets import DownloadAssetsJob

    with pytest.raises(AssetError, match="downloads are off") as caught:
        JobRunner(DownloadAssetsJob([MODEL], online_access=False)).start(bpy.context)
    assert "\n" not in str(caught.value)
    assert [p for p in empty_asset_folder.rglob("*") if not p.is_dir()] == []


def test_preferences_offer_the_download_only_for_missing_files(empty_asset_folder, monkeypatch):
    from types import SimpleNamespace

    from test_addon_ui import RecordingLayout, labels_in, operators_in

    from facemotion.core.io import assets
    from facemotion.facemotion_addon.settings.preferences import FacemotionPreferences

    def draw():
        log = []
        prefs = SimpleNamespace(
            layout=RecordingLayout(log), bl_rna=FacemotionPreferences.bl_rna, asset_folder="", allow_download=True
        )
        FacemotionPreferences.draw(prefs, bpy.context)
        return log

    log = draw()  # the empty folder: every pinned file is missing
    assert operators_in(log) == ["facemotion.download_assets"]
    button = next(entry[2] for entry in log if entry[0] == "operator")
    assert f"Download {len(assets.asset_names())} Missing" in button["text"]
    monkeypatch.setenv(assets.ENV_ASSETS, str(assets.shared_assets_dir()))
    log = draw()  # the full shared folder: nothing to download
    assert operators_in(log) == [] and "All asset files are present" in labels_in(log)
