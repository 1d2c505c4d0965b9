# SPDX-License-Identifier: GPL-3.0-or-later
"""The extension zip: manifest validity, wheel selection, and (slow) a real build checked file by file.

The slow test downloads the pinned wheels once into build/wheels (cached between runs) and builds with Blender's own
``blender_ext.py`` from the bpy module. Skip it with ``pytest -m "not slow"``.
"""

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import build_extension  # tools/ is on sys.path (tests/conftest.py)
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _validate(path):
    script, tags = build_extension.find_blender_ext()
    return subprocess.run(
        [sys.executable, str(script), "validate", f"--valid-tags={tags}", str(path)], capture_output=True, text=True
    )


def test_committed_manifest_is_valid_and_wheel_free():
    result = _validate(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    assert (manifest["id"], manifest["version"], manifest["type"]) == ("facemotion", "0.1.0", "add-on")
    assert manifest["blender_version_min"] == "4.2.0" and manifest["blender_version_max"] == "5.3.0"
    assert manifest["platforms"] == ["linux-x64", "windows-x64", "macos-arm64"] == list(build_extension.PLATFORMS)
    assert set(manifest["permissions"]) == {"files", "network", "camera"}  # camera: webcam capture
    assert "wheels" not in manifest
    excluded = manifest["build"]["paths_exclude_pattern"]
    assert {"/tests/", "/tools/", "/.venv/", "/dist/", "__pycache__/"} <= set(excluded)


def test_with_wheels_inserts_a_top_level_list_and_replaces_an_old_one():
    text = (ROOT / "blender_manifest.toml").read_text()
    once = build_extension.with_wheels(text, ["./wheels/a-1.0-py3-none-any.whl"])
    twice = build_extension.with_wheels(once, ["./wheels/b-2.0-py3-none-any.whl"])
    manifest = tomllib.loads(twice)
    assert manifest["wheels"] == ["./wheels/b-2.0-py3-none-any.whl"]
    assert manifest["permissions"] == tomllib.loads(text)["permissions"]


@pytest.mark.parametrize(
    "filename, platform, python, ok",
    [
        ("mediapipe-1.2.2-py3-none-manylinux_2_28_x86_64.whl", "linux-x64", "3.11", True),
        ("mediapipe-1.2.2-py3-none-manylinux_2_28_x86_64.whl", "linux-x64", "3.13", True),
        ("scipy-1.17.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "linux-x64", "3.11", True),
        ("scipy-1.17.1-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", "linux-x64", "3.13", False),
        ("scipy-1.17.1-cp313-cp313-win_amd64.whl", "windows-x64", "3.13", True),
        ("scipy-1.17.1-cp313-cp313-win_amd64.whl", "linux-x64", "3.13", False),
        (
            "opencv_python_headless-4.11.0.86-cp37-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
            "linux-x64",
            "3.13",
            True,
        ),
        ("certifi-2026.10.18-py3-none-any.whl", "macos-arm64", "3.11", True),
        ("scipy-1.17.1-cp312-cp312-manylinux_2_27_x86_64.whl", "linux-x64", "3.11", False),  # other Python
        ("onnxruntime-1.31.1-cp311-cp311-macosx_13_0_arm64.whl", "linux-x64", "3.11", False),  # other platform
        ("onnxruntime-1.31.1-cp311-cp311-macosx_13_0_arm64.whl", "macos-arm64", "3.11", True),
        ("onnxruntime-1.31.1-cp311-cp311-macosx_13_0_x86_64.whl", "macos-arm64", "3.11", False),  # Intel Mac
        ("numpy-2.3.0-cp311-cp311-manylinux_2_34_x86_64.whl", "linux-x64", "3.11", False),  # newer glibc than Blender's
    ],
)
def test_wheel_compatibility_follows_the_tags(filename, platform, python, ok):
    assert build_extension.wheel_is_compatible(filename, platform, python) is ok


@pytest.mark.parametrize("python, version_range", [("3.11", ("4.2.0", "5.1.0")), ("3.13", ("5.1.0", "5.3.0"))])
def test_release_fields_set_all_platforms_and_the_version_range_of_the_python(python, version_range):
    text = (ROOT / "blender_manifest.toml").read_text()
    old = text.replace('blender_version_max = "5.3.0"\n', "").replace(
        'platforms = ["linux-x64", "windows-x64", "macos-arm64"]', 'platforms = ["linux-x64"]'
    )
    assert "blender_version_max" not in tomllib.loads(old)
    manifest = tomllib.loads(build_extension.with_release_fields(old, python))
    assert manifest["platforms"] == ["linux-x64", "windows-x64", "macos-arm64"]
    assert (manifest["blender_version_min"], manifest["blender_version_max"]) == version_range


def test_the_two_pythons_zips_span_the_committed_range_without_overlap():
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    (low_min, low_max, _), (high_min, high_max, _) = (build_extension.BLENDER_RANGES[p] for p in ("3.11", "3.13"))
    assert (low_min, high_max) == (manifest["blender_version_min"], manifest["blender_version_max"])
    assert low_max == high_min == "5.1.0"  # Blender 5.1 moved to CPython 3.13


def test_pins_come_from_the_constraints_file_first(tmp_path):
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("# comment\nMediaPipe==9.9.9  # newer\nscipy>=1.0\nprotobuf<7\n")
    pins = build_extension.pinned_requirements(constraints)
    assert pins["mediapipe"] == "9.9.9"
    assert pins["scipy"] == build_extension.RUNTIME_WHEELS["scipy"]  # a range is not a pin
    assert "numpy" not in pins and "opencv-contrib-python" not in pins and "protobuf" not in pins


@pytest.fixture(scope="session")
def built_zips(extension_zip):
    return extension_zip  # built once per session (conftest.py), shared with test_extension_install.py


WHEEL_PLATFORM = {"linux-x64": "manylinux", "windows-x64": "win_amd64", "macos-arm64": "macosx"}


@pytest.mark.slow
def test_six_zips_are_built_one_per_platform_and_blender_python(built_zips):
    assert {key: z.name for key, z in built_zips.items()} == {
        (p, python): f"facemotion-0.1.0-{p.replace('-', '_')}-{label}.zip"
        for p in ("linux-x64", "windows-x64", "macos-arm64")
        for python, label in (("3.11", "blender4.2-5.0"), ("3.13", "blender5.1-5.2"))
    }
    assert all(z.is_file() for z in built_zips.values())
    # One Python's wheels per zip: 142-178 MB before speech; pocketsphinx's wheel (its en-US acoustic model,
    # dictionary and phone language model) adds 29 MB to each.
    assert max(z.stat().st_size for z in built_zips.values()) < 215e6, {
        z.name: z.stat().st_size for z in built_zips.values()
    }


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.11", "3.13"])
@pytest.mark.parametrize("platform", ["linux-x64", "windows-x64", "macos-arm64"])
def test_built_zip_is_valid_and_holds_the_extension_and_its_wheels(built_zips, platform, python):
    built_zip = built_zips[(platform, python)]
    result = _validate(built_zip)
    assert result.returncode == 0, result.stdout + result.stderr
    with zipfile.ZipFile(built_zip) as archive:
        names = archive.namelist()
        manifest = tomllib.loads(archive.read("blender_manifest.toml").decode())
        assert archive.testzip() is None
    # Blender's --split-platforms keeps the source manifest and records the zip's own platform and wheels in
    # [build.generated] (which Blender reads instead of the top-level lists).
    generated = manifest["build"]["generated"]
    assert generated["platforms"] == [platform]
    assert manifest["platforms"] == list(build_extension.PLATFORMS)
    assert (manifest["blender_version_min"], manifest["blender_version_max"]) == build_extension.BLENDER_RANGES[python][
        :2
    ]
    tops = {n.split("/")[0] for n in names}
    assert {"__init__.py", "blender_manifest.toml", "core", "facemotion_addon", "wheels", "bundled_assets"} <= tops
    assert {
        "core/errors.py",
        "facemotion_addon/keyframes.py",
        "facemotion_addon/cli/entry.py",
        "facemotion_addon/settings/properties.py",
    } <= set(names)  # the sub-packages are packed too
    assert {"models/emotion_classifier.onnx", "models/emotion_classifier_relative.onnx"} <= set(names)  # both models
    assert "bundled_assets/mediapipe/face_landmarker.task" in names
    assert {
        "bundled_assets/fer/fer_mini_xception.onnx",
        "bundled_assets/fer/LICENSE",
        "bundled_assets/faceapi/faceapi_expression.onnx",
        "bundled_assets/faceapi/LICENSE",
    } <= set(names)  # the appearance channel's two models, each with its licence
    assert not tops & {"tests", "tools", "build", "dist", ".git", ".venv", ".ci", "pytest.ini", "facemotion"}
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    wheels = sorted(n for n in names if n.startswith("wheels/"))
    assert sorted(w.removeprefix("./") for w in generated["wheels"]) == wheels
    names_versions = [build_extension.wheel_name_version(Path(w).name) for w in wheels]
    bundled = {name for name, _ in names_versions}
    assert len(bundled) == len({nv for nv in names_versions})  # one version per package (Blender keeps the newest)
    assert {"mediapipe", "onnxruntime", "opencv-python-headless", "scipy", "libigl", "certifi"} <= bundled
    assert not bundled & {"numpy", "opencv-contrib-python", "sounddevice", "bpy"}
    # Only this platform's binary wheels, all loading under this zip's Python and none under the other's only.
    others = [tag for p, tag in WHEEL_PLATFORM.items() if p != platform]
    assert not [w for w in wheels if any(tag in w for tag in others)], wheels
    usable = {
        build_extension.wheel_name_version(Path(w).name)[0]
        for w in wheels
        if build_extension.wheel_is_compatible(Path(w).name, platform, python)
    }
    assert usable == bundled, (python, bundled - usable)
    other = "cp313" if python == "3.11" else "cp311"  # scipy and onnxruntime have one build per Python
    assert not [w for w in wheels if f"-{other}-" in w], wheels
