# SPDX-License-Identifier: GPL-3.0-or-later
"""The built extension zip works offline: installed as Blender installs it, it rigs the real ICT head, recognises the
emotion of the real photo, bakes the demo timeline and exports a GLB from what it bundles alone (wheels, MediaPipe
model, converted ICT template, template landmarks, ONNX classifiers), without the wheels it leaves out
(:data:`LEFT_OUT`: matplotlib's tree and others nothing imports at run time, tools/build_extension.py).

The slow test builds the zips once per session (``extension_zip`` in conftest.py, shared with
test_build_extension.py) and installs the Linux one into the Blender the suite runs on (bpy 4.2, 5.0 or 5.2:
``FACEMOTION_BLENDER``; CI runs all three), in a subprocess that cannot see the checkout's data or Python packages:

- ``BLENDER_USER_RESOURCES`` is a fresh temporary folder (the extension, its wheels and its user folder go there);
- ``FACEMOTION_CACHE`` is an empty folder and ``FACEMOTION_ASSETS`` is unset, so the add-on's asset roots are its
  own ``bundled_assets/`` and an empty download folder (an installed extension's ``../shared/assets`` lies in the
  temporary folder and does not exist). ``FACEMOTION_ASSETS`` is not pointed at an empty folder because an
  explicit folder is taken at its word (test_assets.py): it would hide ``bundled_assets/`` too;
- Python runs isolated (``-I -S``: no site-packages, no user site, no ``PYTHON*`` variables) with ``sys.path`` =
  the standard library plus a folder of links to the venv's ``bpy`` and ``numpy`` only, so mediapipe, cv2, scipy
  and onnxruntime can only come from the wheels the zip bundles.

The head OBJ and the photo are the user's input, passed by absolute path. The rig's expressions are compared with
ICT's own (the head *is* the ICT neutral, so the transferred deltas must be the template's).
"""

import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import build_extension  # tools/ is on sys.path (tests/conftest.py)
import numpy as np
import pytest

from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES
from facemotion.core.capture import landmark_basis
from facemotion.core.emotion.presets import CATEGORIES
from facemotion.core.errors import AssetError
from facemotion.core.io import assets
from facemotion.core.rig import autorig, template
from facemotion.core.rig.template import ICT_UNIT_M, load_ict_template

ICT_NEUTRAL = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"
EXTENSION = "bl_ext.user_default.facemotion"

#: Venv entries the isolated Blender may import: bpy and what it needs to start. Nothing the extension bundles.
VISIBLE_PACKAGES = ("bpy", "numpy", "numpy.libs", "zstandard")

#: Distributions pip installs with mediapipe/onnxruntime that the zips leave out (tools/build_extension.py says
#: why): nothing imports them at run time, or Blender provides them (numpy). Normalised project names.
LEFT_OUT = (
    "matplotlib",
    "contourpy",
    "cycler",
    "fonttools",
    "kiwisolver",
    "pillow",
    "pyparsing",
    "python-dateutil",
    "tzdata",
    "protobuf",
    "absl-py",
    "flatbuffers",
    "packaging",
    "numpy",
    "opencv-contrib-python",
    "sounddevice",
)

#: Top-level modules of :data:`LEFT_OUT` (what ``import`` names), none of which may be loaded in the installed add-on.
LEFT_OUT_MODULES = (
    "matplotlib",
    "mpl_toolkits",
    "contourpy",
    "cycler",
    "fontTools",
    "kiwisolver",
    "PIL",
    "pyparsing",
    "dateutil",
    "tzdata",
    "google",
    "absl",
    "flatbuffers",
    "packaging",
    "sounddevice",
)

PHOTO = "faces/astronaut.png"

#: Largest mean error allowed for every expression, relative to its mean displacement over the vertices it moves
#: (the measure of tools/rig_accuracy.py). Measured here: 0.016 (browDownLeft) to 0.17 (eyeBlinkRight).
MAX_MEAN_ERROR = 0.3

INSTALL_SCRIPT = r"""
import json, os, sys, time
links, zip_path, head_path, deltas_path, photo_path, glb_path = sys.argv[1:7]
sys.path.insert(0, links)
import bpy  # BLENDER_USER_RESOURCES is set by the caller, before this import
import numpy as np

out = {"sys_path_before": list(sys.path)}
started = time.perf_counter()
result = bpy.ops.extensions.package_install_files(filepath=zip_path, repo="user_default", enable_on_install=True)
out["install"] = sorted(result)
out["install_s"] = time.perf_counter() - started
name = "bl_ext.user_default.facemotion"
assets = sys.modules[name + ".core.io.assets"]
out["extension_dir"] = os.path.dirname(sys.modules[name].__file__)
out["asset_roots"] = [str(p) for p in assets.asset_roots()]
out["cache_dir"] = str(assets.cache_dir(create=False).parent)

for obj in list(bpy.data.objects):
    bpy.data.objects.remove(obj)
bpy.ops.wm.obj_import(filepath=head_path)
head = bpy.context.selected_objects[0]
bpy.context.view_layer.objects.active = head
out["n_objects"] = len(bpy.context.selected_objects)

out["preloaded"] = sorted(m for m in ("mediapipe", "cv2", "scipy") if m in sys.modules)
started = time.perf_counter()
out["rig"] = sorted(bpy.ops.facemotion.rig_face())
out["rig_s"] = time.perf_counter() - started
out["report"] = bpy.context.scene.facemotion.last_report
out["used"] = sorted(m for m in ("mediapipe", "cv2", "scipy") if m in sys.modules)
import mediapipe, cv2, scipy, onnxruntime
out["modules"] = {m.__name__: m.__file__ for m in (mediapipe, cv2, scipy, onnxruntime, np, bpy)}
out["sys_path_after"] = list(sys.path)

keys = head.data.shape_keys.key_blocks
out["keys"] = [k.name for k in keys]
n = len(head.data.vertices)
basis = np.empty(n * 3, np.float32)
keys[0].data.foreach_get("co", basis)
deltas = np.zeros((len(out["keys"]) - 1, n, 3), np.float32)
for i, key in enumerate(list(keys)[1:]):
    co = np.empty(n * 3, np.float32)
    key.data.foreach_get("co", co)
    deltas[i] = (co - basis).reshape(n, 3)
np.save(deltas_path, deltas)
out["max_delta"] = {k: float(np.linalg.norm(d, axis=1).max()) for k, d in zip(out["keys"][1:], deltas)}

# Emotion recognition (MediaPipe + the ONNX classifier through onnxruntime), bake, export: the artist's path.
out["recognize"] = sorted(bpy.ops.facemotion.detect_emotion_image(filepath=photo_path))
props = bpy.context.scene.facemotion
out["recognized"] = {"label": props.recognized_label, "faces": props.recognized_faces,
                     "probabilities": list(props.recognized_probabilities)}
out["demo_keys"] = sorted(bpy.ops.facemotion.timeline_demo_keys())
out["bake"] = sorted(bpy.ops.facemotion.bake_timeline())
compat = sys.modules[name + ".facemotion_addon.compat"]
shape_keys = head.data.shape_keys
out["baked_curves"] = len(compat.action_fcurves(shape_keys.animation_data.action, shape_keys))
out["export"] = sorted(bpy.ops.facemotion.export(filepath=glb_path, export_format="GLB"))
with open(glb_path, "rb") as glb:
    data = glb.read()
gltf = json.loads(data[20:20 + int.from_bytes(data[12:16], "little")])  # GLB: 12-byte header, then the JSON chunk
out["target_names"] = gltf["meshes"][0]["extras"]["targetNames"]
out["animations"] = len(gltf.get("animations", []))
site_dirs = [p for p in sys.path if p.endswith("site-packages")]
out["loaded_from_wheels"] = sorted({name.split(".")[0] for name, module in list(sys.modules.items())
                                    if any(str(getattr(module, "__file__", None) or "").startswith(d)
                                           for d in site_dirs)})
out["top_modules"] = sorted({name.split(".")[0] for name in sys.modules})
cache_root = __import__("pathlib").Path(out["cache_dir"])
out["user_files"] = sorted(str(p.relative_to(cache_root)) for p in cache_root.rglob("*") if p.is_file())
print("RESULT " + json.dumps(out), flush=True)
"""


def _visible_venv_packages(folder):
    """A folder of links to the venv's bpy and numpy (with their metadata): the isolated Blender's only packages."""
    site_packages = Path(np.__file__).resolve().parents[1]  # not bpy.__file__: Blender rewrites it at start-up
    folder.mkdir()
    for entry in site_packages.iterdir():
        base = entry.name.split("-")[0] if entry.name.endswith(".dist-info") else entry.name
        if base in VISIBLE_PACKAGES:
            (folder / entry.name).symlink_to(entry)
    return folder


def _mean_error(predicted, truth):
    """Mean ``|predicted - truth|`` over the vertices ``truth`` moves (>= 10 % of its peak), relative to the mean
    ``|truth|`` there (the measure of tools/rig_accuracy.py)."""
    size = np.linalg.norm(truth, axis=1)
    active = size >= 0.1 * size.max()
    return float(np.linalg.norm(predicted[active] - truth[active], axis=1).mean() / size[active].mean())


@pytest.fixture(scope="module")
def linux_zip(extension_zip):
    return build_extension.zip_for(extension_zip, "linux-x64")  # the zip of this Blender's Python


@pytest.fixture(scope="module")
def installed_rig(linux_zip, tmp_path_factory):
    """Install the Linux zip in an isolated Blender, rig the ICT head; returns (result dict, deltas array)."""
    tmp = tmp_path_factory.mktemp("install")
    links = _visible_venv_packages(tmp / "packages")
    script = tmp / "install_and_rig.py"
    script.write_text(INSTALL_SCRIPT)
    (tmp / "cache").mkdir()
    env = dict(os.environ, BLENDER_USER_RESOURCES=str(tmp / "user"), FACEMOTION_CACHE=str(tmp / "cache"))
    for name in (assets.ENV_ASSETS, assets.ENV_ALLOW_DOWNLOAD, assets.ENV_BASE_URL):
        env.pop(name, None)
    deltas_path = tmp / "deltas.npy"
    run = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            str(script),
            str(links),
            str(linux_zip),
            str(assets.asset_path(ICT_NEUTRAL)),
            str(deltas_path),
            str(assets.asset_path(PHOTO)),
            str(tmp / "face.glb"),
        ],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert run.returncode == 0 and lines, run.stdout[-3000:] + run.stderr[-3000:]
    out = json.loads(lines[-1][len("RESULT ") :])
    out["tmp"], out["stderr"] = str(tmp), run.stderr
    return out, np.load(deltas_path)


@pytest.mark.slow
def test_installed_zip_rigs_the_ict_head_offline(installed_rig):
    out, _ = installed_rig
    assert out["install"] == ["FINISHED"] and out["rig"] == ["FINISHED"], out["stderr"][-3000:]
    tmp, extension = Path(out["tmp"]), Path(out["extension_dir"])
    assert extension == tmp / "user" / "extensions" / "user_default" / "facemotion"
    # The only places assets could come from: the zip's bundled_assets/ and the (empty) download folder.
    assert out["asset_roots"] == [str(extension / "bundled_assets"), str(Path(out["cache_dir"]) / "assets")]
    assert all(Path(root).is_relative_to(tmp) for root in out["asset_roots"])
    assert Path(out["cache_dir"]).is_relative_to(tmp / "user")
    # The bundled template and template landmarks were used: nothing was converted or detected into the cache.
    assert not [f for f in out["user_files"] if f.endswith(".npz")], out["user_files"]

    assert out["n_objects"] == 1
    keys = out["keys"]
    assert keys[0] == "Basis" and len(keys) == 53 and set(keys[1:]) == set(ARKIT_NAMES)
    moved = {name for name, size in out["max_delta"].items() if size > 0.01}  # file units: cm
    assert moved == set(ARKIT_NAMES) - {"tongueOut"}  # ICT-FaceKit has no tongueOut
    assert out["max_delta"]["tongueOut"] == 0.0
    assert 0.5 < out["max_delta"]["jawOpen"] < 5.0  # ICT's jawOpen moves the chin ~2 cm
    assert "Rigged" in out["report"] and "tongueOut" in out["report"]


@pytest.mark.slow
def test_installed_rig_reproduces_icts_own_expressions(installed_rig):
    out, deltas = installed_rig
    reference = load_ict_template()
    keys = out["keys"][1:]
    errors = {}
    for name in ARKIT_NAMES:
        if name not in reference.missing:
            truth = reference.deltas[ARKIT_INDEX[name]] / ICT_UNIT_M  # metres -> the OBJ's centimetres
            errors[name] = _mean_error(deltas[keys.index(name)], truth)
    assert len(errors) == 51
    worst = max(errors, key=errors.get)
    assert errors[worst] < MAX_MEAN_ERROR, (worst, errors[worst])


@pytest.mark.slow
def test_installed_extension_runs_its_bundled_wheels(installed_rig):
    out, _ = installed_rig
    python = f"python{sys.version_info.major}.{sys.version_info.minor}"  # 3.11 (Blender 4.2, 5.0) or 3.13 (5.2)
    wheels_dir = Path(out["tmp"]) / "user" / "extensions" / ".local" / "lib" / python / "site-packages"
    # cv2 and scipy are imported when the add-on is enabled, mediapipe by the rig (landmark detection).
    assert "mediapipe" not in out["preloaded"] and out["used"] == ["cv2", "mediapipe", "scipy"]
    for name in ("mediapipe", "cv2", "scipy", "onnxruntime"):
        assert Path(out["modules"][name]).is_relative_to(wheels_dir), (name, out["modules"][name])
    assert Path(out["modules"]["numpy"]).resolve().is_relative_to(Path(np.__file__).resolve().parents[1])
    # Nothing else could have provided them: the only venv folders on sys.path are Blender's own scripts (inside
    # the bpy module), and the only site-packages is the extensions' own.
    venv_site = Path(np.__file__).resolve().parents[1]
    for path in out["sys_path_after"]:
        inside = Path(path).resolve()
        assert not inside.is_relative_to(venv_site) or inside.is_relative_to(venv_site / "bpy"), path
    assert [p for p in out["sys_path_after"] if p.endswith("site-packages")] == [str(wheels_dir)]


@pytest.mark.slow
def test_installed_zip_recognises_bakes_and_exports_without_the_left_out_wheels(installed_rig):
    out, _ = installed_rig
    assert out["recognize"] == out["demo_keys"] == out["bake"] == out["export"] == ["FINISHED"], out["stderr"][-3000:]
    recognized = out["recognized"]
    assert recognized["faces"] == 1 and recognized["label"] in CATEGORIES
    assert sum(recognized["probabilities"]) == pytest.approx(1.0, abs=1e-3)
    assert out["baked_curves"] >= 51  # every ARKit shape with data is keyed
    assert out["target_names"] == list(ARKIT_NAMES) and out["animations"] == 1
    # What ran came from the bundled wheels, and nothing of what the zip leaves out was imported (not even a
    # stand-in: core.detect.mediapipe_import takes its matplotlib stand-ins out again).
    assert {"certifi", "cv2", "igl", "mediapipe", "onnxruntime", "scipy"} <= set(out["loaded_from_wheels"])
    assert not set(out["top_modules"]) & set(LEFT_OUT_MODULES), out["loaded_from_wheels"]


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.11", "3.13"])
@pytest.mark.parametrize("platform", ["linux-x64", "windows-x64", "macos-arm64"])
def test_zip_leaves_out_the_wheels_nothing_imports(extension_zip, platform, python):
    with zipfile.ZipFile(extension_zip[(platform, python)]) as archive:
        wheels = [Path(n).name for n in archive.namelist() if n.startswith("wheels/") and n.endswith(".whl")]
    bundled = {build_extension.wheel_name_version(w)[0] for w in wheels}
    assert bundled == set(build_extension.RUNTIME_WHEELS)
    assert not bundled & set(LEFT_OUT)


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.11", "3.13"])
@pytest.mark.parametrize("platform", ["linux-x64", "windows-x64", "macos-arm64"])
def test_zip_bundles_the_runtime_assets_and_no_ict_meshes(extension_zip, platform, python):
    with zipfile.ZipFile(extension_zip[(platform, python)]) as archive:
        names = set(archive.namelist())
        with np.load(io.BytesIO(archive.read("bundled_assets/" + template.BUNDLED_ICT_TEMPLATE))) as data:
            key, n_modes = str(data["key"]), len(data["identity_modes"])
    assert {
        "bundled_assets/mediapipe/face_landmarker.task",
        "bundled_assets/mediapipe/LICENSE",
        "bundled_assets/ict-facekit/LICENSE",
        "bundled_assets/ict-facekit/ict_template.npz",
        f"bundled_assets/{autorig.template_landmarks_file(template.load_ict_template())}",
        f"bundled_assets/{landmark_basis.observed_basis_file(template.load_ict_template())}",
    } <= names
    # The ICT meshes stay out (only the derived template); MediaPipe's small canonical face is needed by the
    # emotion features.
    assert not [n for n in names if n.endswith(".obj") and "ict-facekit" in n]
    assert "bundled_assets/mediapipe/face_geometry/canonical_face_model.obj" in names
    assert len(key) == 16 and n_modes == 20


# ------------------------------------------------------------------------------------------- the bundled template


def test_bundled_template_is_used_without_the_ict_files(tmp_path, monkeypatch):
    """load_ict_template() takes bundled_assets/ict-facekit/ict_template.npz as is: no OBJ, no user cache needed."""
    reference = load_ict_template()  # from the checkout's assets (user cache or OBJs)
    bundled = tmp_path / "bundled"
    (bundled / "ict-facekit").mkdir(parents=True)
    shutil.copyfile(assets.cache_dir() / template.ICT_TEMPLATE_FILE, bundled / template.BUNDLED_ICT_TEMPLATE)
    monkeypatch.setattr(assets, "bundled_assets_dir", lambda: bundled)
    (tmp_path / "no_assets").mkdir()
    monkeypatch.setenv(assets.ENV_ASSETS, str(tmp_path / "no_assets"))  # the ICT OBJs are out of reach
    monkeypatch.setenv(assets.ENV_ALLOW_DOWNLOAD, "0")
    monkeypatch.setenv(assets.ENV_CACHE, str(tmp_path / "cache"))

    loaded = load_ict_template()
    np.testing.assert_array_equal(loaded.vertices, reference.vertices)
    np.testing.assert_array_equal(loaded.triangles, reference.triangles)
    np.testing.assert_array_equal(loaded.deltas, reference.deltas)
    np.testing.assert_array_equal(loaded.identity_modes, reference.identity_modes)
    assert loaded.missing == ("tongueOut",)
    fewer = load_ict_template(n_identity_modes=5)
    np.testing.assert_array_equal(fewer.identity_modes, reference.identity_modes[:5])
    assert not (tmp_path / "cache" / "derived" / template.ICT_TEMPLATE_FILE).exists()

    # More identity modes than bundled: the OBJs would be needed, and they are not there.
    with pytest.raises(AssetError, match="not found"):
        load_ict_template(n_identity_modes=21)
    # A damaged bundled copy is reported as such (there is nothing to fall back to in an installed add-on).
    good = (bundled / template.BUNDLED_ICT_TEMPLATE).read_bytes()
    for damaged in (b"not an npz", good[: len(good) // 2]):
        (bundled / template.BUNDLED_ICT_TEMPLATE).write_bytes(damaged)
        with pytest.raises(AssetError, match="reinstall the extension"):
            load_ict_template()
