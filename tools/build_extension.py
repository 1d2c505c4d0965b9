#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build the installable extension zip: ``dist/facemotion-<version>-linux_x64.zip``.

    python tools/build_extension.py [--out dist] [--wheels-dir build/wheels] [--no-assets]
                                    [--assets DIR [--asset-file REL ...]]

Steps:

1. Download (once; cached in ``--wheels-dir``) the CPython 3.11 manylinux x86_64 wheels of the run-time
   dependencies, ``pip download --no-deps --only-binary=:all:``, each pinned: ``tools/constraints.txt`` wins where it
   pins a package with ``==``, else the known-good pin below (the versions the test suite runs with). Every pin is
   also checked against ``tools/constraints.txt`` by pip (``-c``), so a conflict fails loudly.
2. Stage a clean copy of the extension source in a temporary folder: the repository minus dot-folders, build
   output, tests and tools (Blender's build applies the manifest's ``[build] paths_exclude_pattern`` as well), plus
   ``wheels/`` and, with ``--assets``, extra files in ``bundled_assets/`` (the layout ``core.io.assets`` reads). The
   staged manifest gets the ``wheels = [...]`` list; the committed manifest stays wheel-free and valid.
3. Unless ``--no-assets``: stage what the add-on reads at run time into ``bundled_assets/`` (:func:`stage_runtime_assets`),
   produced by the project's own code from the assets ``core.io.assets`` finds (``../shared/assets``,
   ``FACEMOTION_ASSETS``...), so the installed add-on works offline:
   ``mediapipe/face_landmarker.task`` and MediaPipe's ``LICENSE`` (Apache-2.0); ``ict-facekit/ict_template.npz``
   (``core.rig.template.load_ict_template``'s converted template, ~8 MB, instead of the ~200 MB of ICT-FaceKit OBJs,
   which are not shipped) and ICT-FaceKit's ``LICENSE`` (MIT); ``ict-facekit_landmarks_v<N>.npz`` (where MediaPipe's
   landmarks lie on the template, ``core.rig.autorig.template_landmarks``). Caches in the user cache are reused.
4. Build with Blender's own extension tool, shipped inside the ``bpy`` module
   (``bpy/<ver>/scripts/addons_core/bl_pkg/cli/blender_ext.py build --split-platforms``), validate the zip with its
   ``validate``, and move it into ``--out`` atomically.

Which wheels, and why (what mediapipe 1.2.2's Tasks FaceLandmarker imports at run time, measured with
``sys.modules`` after a detection): ``import mediapipe`` imports ``mediapipe.tasks.python.vision.drawing_utils``,
which imports ``cv2`` and ``matplotlib.pyplot``; ``base_options`` imports ``certifi``. mediapipe 1.x no longer
imports protobuf itself, but it is kept with absl-py and flatbuffers (declared dependencies of mediapipe and
onnxruntime; small). Not bundled: numpy (Blender's own; a second copy would break bpy), opencv-contrib-python
(mediapipe's declared cv2 provider; opencv-python-headless provides the same ``cv2`` module without GUI libraries,
and two cv2 providers conflict), sounddevice (audio tasks only; mediapipe guards that import).
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
    "protobuf": "6.33.6",
    "flatbuffers": "25.12.19",
    "absl-py": "2.5.1",
    "certifi": "2026.10.18",
    "packaging": "26.3",
    # matplotlib.pyplot (imported by mediapipe's drawing_utils) and its requirements.
    "matplotlib": "3.11.2",
    "contourpy": "1.3.3",
    "cycler": "0.12.1",
    "fonttools": "4.68.0",
    "kiwisolver": "1.5.1",
    "pillow": "13.0.0",
    "pyparsing": "3.3.3",
    "python-dateutil": "4.0.0",
    "tzdata": "2026.6",
}

#: Target interpreter and platforms: Blender 4.2 - 5.0 bundle CPython 3.11; Linux builds need glibc >= 2.28.
PYTHON_VERSION = "3.11"
PLATFORM_TAGS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
ABI_TAGS = ("cp311", "abi3", "none")

#: Pinned assets (``core/io/asset_manifest.json`` names) shipped in ``bundled_assets/`` as they are.
#: Emotion features align landmarks to MediaPipe's canonical face (core.emotion.features.canonical_face).
BUNDLED_ASSET_FILES = ("mediapipe/face_landmarker.task", "mediapipe/face_geometry/canonical_face_model.obj")

#: Licence files shipped with the bundled data, each taken from beside the pinned asset (same asset root) named here:
#: ``{licence path under the asset root: pinned asset found in that root}``.
BUNDLED_LICENSES = {
    "mediapipe/LICENSE": "mediapipe/face_landmarker.task",             # Apache-2.0
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


def wheel_is_compatible(filename):
    """True for a wheel Blender's CPython 3.11 on Linux x86_64 (glibc >= 2.28) can load, per its PEP 425 tags."""
    python_tags, abi_tags, platform_tags = (t.split(".") for t in filename[:-4].split("-")[-3:])
    pure = "none" in abi_tags and any(t in ("py3", "py311") for t in python_tags)
    cpython = "cp311" in python_tags and "cp311" in abi_tags
    stable_abi = "abi3" in abi_tags and any(re.fullmatch(r"cp3([2-9]|1[01])", t) for t in python_tags)
    platform_ok = any(t == "any" or t in PLATFORM_TAGS or re.fullmatch(r"manylinux_2_(1[7-9]|2[0-8])_x86_64", t)
                      for t in platform_tags)
    return (pure or cpython or stable_abi) and platform_ok


def cached_wheels(wheels_dir, pins):
    """``{name: Path}`` of the cached wheels matching the pins."""
    found = {}
    for path in sorted(wheels_dir.glob("*.whl")):
        name, version = wheel_name_version(path.name)
        if pins.get(name) == version and wheel_is_compatible(path.name):
            found[name] = path
    return found


def download_wheels(wheels_dir, pins, constraints):
    """Download the pinned wheels missing from ``wheels_dir``; returns ``{name: Path}`` for all of them."""
    wheels_dir.mkdir(parents=True, exist_ok=True)
    have = cached_wheels(wheels_dir, pins)
    missing = [f"{name}=={version}" for name, version in sorted(pins.items()) if name not in have]
    if missing:
        print(f"downloading {len(missing)} wheel(s) into {wheels_dir}: {' '.join(missing)}", flush=True)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--python-version", PYTHON_VERSION, "--implementation", "cp", "--dest", str(wheels_dir),
                   "--disable-pip-version-check", "--quiet"]
        for tag in PLATFORM_TAGS:
            command += ["--platform", tag]
        for tag in ABI_TAGS:
            command += ["--abi", tag]
        if constraints.is_file():
            command += ["-c", str(constraints)]
        subprocess.run(command + missing, check=True)
        have = cached_wheels(wheels_dir, pins)
    still = sorted(set(pins) - set(have))
    if still:
        raise SystemExit(f"error: no compatible wheel for {', '.join(still)} in {wheels_dir}")
    return have


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
    raise SystemExit("error: Blender's blender_ext.py not found; install the bpy module (tools/requirements.txt) "
                     "or pass --blender-ext")


def stage_source(stage, wheels, assets_dir=None, asset_files=()):
    """Copy the extension source, wheels and bundled assets into ``stage``; write the staged manifest's wheel list."""
    def ignore(directory, names):
        skipped = {n for n in names if n == "__pycache__" or n.endswith(".pyc")}
        if Path(directory).resolve() == ROOT:
            skipped |= {n for n in names if n.startswith(".") or n in STAGE_SKIP or n.endswith(".zip")}
        return skipped

    shutil.copytree(ROOT, stage, ignore=ignore)
    wheel_dir = stage / "wheels"
    wheel_dir.mkdir()
    for path in sorted(wheels.values()):
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
    manifest.write_text(with_wheels(manifest.read_text(), [f"./wheels/{p.name}" for p in sorted(wheels.values())]))


def stage_runtime_assets(target):
    """Write what the installed add-on reads at run time into ``target`` (the staged ``bundled_assets/``).

    Runs the project's own code, so the files are exactly what the add-on would otherwise compute (and cache) on
    first use: ``core.rig.template.load_ict_template()`` (converted ICT-FaceKit template, from the user cache when
    valid) and ``core.rig.autorig.template_landmarks()`` (MediaPipe's landmarks on the template: a render-and-detect
    run, ~10 s, also cached), plus the pinned assets of :data:`BUNDLED_ASSET_FILES` from ``core.io.assets.asset_path``
    (sha256-checked) and the licences of :data:`BUNDLED_LICENSES`. The ICT-FaceKit OBJs are not shipped.

    Returns ``{path relative to target: size in bytes}``. Raises SystemExit when an asset or licence is missing.
    """
    import_facemotion()
    from facemotion.core.io import assets
    from facemotion.core.rig import autorig
    from facemotion.core.rig import template
    from facemotion.core.errors import FacemotionError

    target = Path(target)

    def put(source, rel):
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)

    try:
        for name in BUNDLED_ASSET_FILES:
            put(assets.asset_path(name), name)
        for rel, beside in BUNDLED_LICENSES.items():
            path = assets.asset_path(beside)
            root = path.parents[len(Path(beside).parts) - 1]
            if not (root / rel).is_file():
                raise SystemExit(f"error: {root / rel} not found: the bundled data must ship its licence; put the "
                                 f"upstream LICENSE file there")
            put(root / rel, rel)
        face = template.load_ict_template()
        cached = assets.cache_dir() / template.ICT_TEMPLATE_FILE
        if not cached.is_file():
            raise SystemExit(f"error: load_ict_template() left no {cached}; is {assets.bundled_assets_dir()} "
                             f"present in the checkout? remove it")
        put(cached, template.BUNDLED_ICT_TEMPLATE)
        autorig.template_landmarks(face)
        # The name template_landmarks() looks for in bundled_assets/ and the user cache.
        name = f"{face.name.lower()}_landmarks_v{autorig.TEMPLATE_LANDMARKS_VERSION}.npz"
        cached = assets.cache_dir() / name
        if not cached.is_file():
            raise SystemExit(f"error: template_landmarks() left no {cached}")
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


def build(out_dir, wheels_dir, *, assets_dir=None, asset_files=(), bundle_assets=True, blender_ext=None,
          constraints=None):
    """Build, validate and return the ``Path`` of ``<out_dir>/<id>-<version>-linux_x64.zip``.

    ``assets_dir``/``asset_files``: extra files for ``bundled_assets/`` (see :func:`stage_source`).
    ``bundle_assets``: stage the add-on's run-time data (:func:`stage_runtime_assets`); False builds a zip that
    needs the assets from elsewhere (``FACEMOTION_ASSETS``, the add-on's asset folder or a download).
    """
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    constraints = Path(constraints) if constraints else ROOT / "tools" / "constraints.txt"
    wheels = download_wheels(Path(wheels_dir), pinned_requirements(constraints), constraints)
    if blender_ext:
        script = Path(blender_ext)
        tags = script.parents[3] / "modules" / "_bpy_internal" / "extensions" / "tags.py"
    else:
        script, tags = find_blender_ext()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    zip_name = f"{manifest['id']}-{manifest['version']}-linux_x64.zip"
    with tempfile.TemporaryDirectory(prefix="facemotion-build-") as tmp:
        stage, built = Path(tmp) / manifest["id"], Path(tmp) / "dist"
        built.mkdir()
        stage_source(stage, wheels, assets_dir, asset_files)
        if bundle_assets:
            bundled = stage_runtime_assets(stage / "bundled_assets")
            print("bundled_assets/: " + ", ".join(f"{rel} ({size / 1e6:.2f} MB)" for rel, size in bundled.items()),
                  flush=True)
        run_blender_ext(script, "build", "--source-dir", str(stage), "--output-dir", str(built),
                        f"--valid-tags={tags}", "--split-platforms")
        produced = built / zip_name
        if not produced.is_file():
            found = ", ".join(p.name for p in built.iterdir()) or "nothing"
            raise SystemExit(f"error: expected {zip_name} from the build, found {found}")
        run_blender_ext(script, "validate", f"--valid-tags={tags}", str(produced))
        with zipfile.ZipFile(produced) as archive:
            bad = archive.testzip()
            if bad is not None:
                raise SystemExit(f"error: corrupt member {bad} in {produced.name}")
        # Same file system as the destination is not guaranteed for /tmp: copy next to it, then rename.
        partial = out_dir / f".{zip_name}.partial"
        shutil.copyfile(produced, partial)
        os.replace(partial, out_dir / zip_name)
    return out_dir / zip_name


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(ROOT / "dist"), help="output folder for the zip (default: dist)")
    parser.add_argument("--wheels-dir", default=str(ROOT / "build" / "wheels"),
                        help="wheel download cache, kept between runs (default: build/wheels)")
    parser.add_argument("--no-assets", action="store_true",
                        help="do not bundle the run-time data (MediaPipe model, converted ICT template, template "
                             "landmarks, their licences); the add-on then needs the assets from elsewhere")
    parser.add_argument("--assets", default=None,
                        help="folder of extra asset files to ship in bundled_assets/ (same layout as "
                             "../shared/assets)")
    parser.add_argument("--asset-file", action="append", default=[],
                        help="with --assets: copy only this file (path relative to --assets); repeatable")
    parser.add_argument("--constraints", default=None, help="pip constraints file (default: tools/constraints.txt)")
    parser.add_argument("--blender-ext", default=None, help="path of Blender's blender_ext.py (default: from bpy)")
    args = parser.parse_args(argv)
    if args.asset_file and not args.assets:
        parser.error("--asset-file needs --assets")
    path = build(args.out, args.wheels_dir, assets_dir=args.assets, asset_files=args.asset_file,
                 bundle_assets=not args.no_assets, blender_ext=args.blender_ext, constraints=args.constraints)
    print(f"built {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
