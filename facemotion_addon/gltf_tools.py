# SPDX-License-Identifier: GPL-3.0-or-later
"""The npm glTF tools facemotion drives: ``gltfpack`` (meshopt compression, quantisation) and the Khronos glTF
validator (``gltf-validator``'s ``validateBytes``), both run with Node.js as subprocesses.

Why gltfpack and not the meshoptimizer Python bindings: the bindings expose meshoptimizer's buffer codecs only
(encode a vertex/index stream), so writing EXT_meshopt_compression + KHR_mesh_quantization would mean re-writing the
glTF's accessors, buffer views, morph targets, sparse accessors and the extension JSON by hand: exactly what
gltfpack (by meshoptimizer's author, the reference producer of the extension) does, validator-clean, keeping
morph target names, extras and the animation (``-kn -ke -km -af 0``). It is one pinned npm package
(``tools/gltf_tools/package.json``; a WebAssembly build, so no native binary per platform), or any ``gltfpack``
executable on ``PATH`` (the native releases).

Where the tools are found, first match wins:

- gltfpack: ``FACEMOTION_GLTFPACK`` (an executable, or a ``cli.js`` run with ``node``), ``gltfpack`` on ``PATH``,
  the checkout's ``build/gltf_tools/node_modules/gltfpack/cli.js`` (installed by ``./facemotion`` on first use).
- the validator: ``FACEMOTION_GLTF_NODE_MODULES`` (a ``node_modules`` folder holding ``gltf-validator``), else
  the checkout's ``build/gltf_tools/node_modules``; run through ``tools/gltf_tools/validate.js``.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

from ..core.errors import FacemotionError, InputError

__all__ = ["gltfpack_args", "gltfpack_command", "node_modules", "run_gltfpack", "validate"]

_ROOT = Path(__file__).resolve().parent.parent
#: Where ``./facemotion`` installs ``tools/gltf_tools`` (``npm ci``), in the ignored ``build/`` folder.
NODE_PREFIX = _ROOT / "build" / "gltf_tools"
_VALIDATE_JS = _ROOT / "tools" / "gltf_tools" / "validate.js"
_TIMEOUT_S = 600


def node_modules():
    """The ``node_modules`` folder with the pinned npm tools (Path), or None when they are not installed."""
    folder = os.environ.get("FACEMOTION_GLTF_NODE_MODULES")
    folder = Path(folder) if folder else NODE_PREFIX / "node_modules"
    return folder if folder.is_dir() else None


def gltfpack_command():
    """The command (list of str) that runs gltfpack, or None when none is installed (see the module docstring)."""
    node = shutil.which("node")
    configured = os.environ.get("FACEMOTION_GLTFPACK")
    if configured:
        if configured.endswith(".js"):
            return [node, configured] if node else None
        return [configured]
    on_path = shutil.which("gltfpack")
    if on_path:
        return [on_path]
    modules = node_modules()
    script = modules / "gltfpack" / "cli.js" if modules else None
    if node and script is not None and script.is_file():
        return [node, str(script)]
    return None


def gltfpack_args(options):
    """gltfpack flags for :class:`facemotion.core.io.export_options.ExportOptions` ``options`` (list of str).

    Always: ``-kn`` (keep named nodes/meshes: the face keeps its node name), ``-ke`` (keep extras: facemotion's
    shape-key ownership list), ``-km`` (keep named materials: engines assign theirs by name), ``-af 0`` (no
    resampling: gltfpack would resample at 30 Hz; the bake's keys are kept). ``-cc`` for meshopt, ``-noq`` without
    quantisation, ``-kv`` (keep unused attributes, e.g. UVs for textures assigned later) unless ``drop_unused``.
    """
    args = ["-kn", "-ke", "-km", "-af", "0"]
    if options.compress == "meshopt":
        args.append("-cc")
    if not options.quantize:
        args.append("-noq")
    if not options.drop_unused:
        args.append("-kv")
    return args


def missing_gltfpack_error():
    """The InputError for an export that needs gltfpack where none is installed."""
    return InputError(
        "meshopt compression and quantisation need gltfpack (npm install -g gltfpack, or run "
        "./facemotion once in a checkout); export without them (compress none, no quantize) or set "
        "FACEMOTION_GLTFPACK"
    )


def run_gltfpack(source, target, options, *, name=None):
    """Run gltfpack from glTF ``source`` to ``target`` (Paths; the format follows ``target``'s suffix) with the flags
    of ``options``. ``name``: the file name errors give (default ``target``'s; the exporter writes to a hidden
    temporary file and passes the final name, and gltfpack's own message has both temporary paths replaced by it).
    Raises InputError when gltfpack is not installed, FacemotionError (with gltfpack's message) when it fails."""
    command = gltfpack_command()
    if command is None:
        raise missing_gltfpack_error()
    name = name or Path(target).name
    args = [*command, "-i", str(source), "-o", str(target), *gltfpack_args(options)]
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FacemotionError(f"{name}: gltfpack did not run ({exc})") from None
    if done.returncode != 0 or not Path(target).is_file():
        lines = (done.stderr or done.stdout or "no output").strip().splitlines()
        cause = lines[-1] if lines else str(done.returncode)
        cause = cause.replace(str(target), name).replace(str(source), f"Blender's export of {name}")
        raise FacemotionError(f"{name}: gltfpack failed ({cause})")


def validate(paths):
    """Validate glTF files with the Khronos glTF validator; one report dict per path, in order.

    Each report: ``file``, ``errors``, ``warnings``, ``infos``, ``hints`` (ints), ``messages`` (list of dicts
    with ``code``, ``severity`` 0 error .. 3 hint, ``message``, ``pointer``) and ``info`` (the validator's summary:
    ``extensionsUsed``, ``animationCount``, ``totalVertexCount``...). Raises FacemotionError when Node.js or the
    validator is not installed or the validator cannot run.
    """
    node = shutil.which("node")
    modules = node_modules()
    if node is None or modules is None or not (modules / "gltf-validator").is_dir():
        raise FacemotionError(
            "the glTF validator needs Node.js and the npm package gltf-validator "
            "(./facemotion installs it into build/gltf_tools on first use)"
        )
    env = dict(os.environ, NODE_PATH=str(modules))
    done = subprocess.run(
        [node, str(_VALIDATE_JS), *map(str, paths)],
        capture_output=True,
        text=True,
        env=env,
        timeout=_TIMEOUT_S,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise FacemotionError(f"the glTF validator failed: {done.stderr.strip() or done.returncode}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
