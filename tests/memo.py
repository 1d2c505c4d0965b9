# SPDX-License-Identifier: GPL-3.0-or-later
"""A memo for the test suite's expensive, deterministic computations (rigging the stability heads, ...).

The README's test command runs the suite once per supported Blender in one clone. Blender 4.2 and 5.0 use the same
Python build and identical pins except bpy (tools/constraints.txt, tools/constraints-bpy4.2.txt), so a computation
that never imports bpy gives them byte-identical results; computing it twice only costs time. A memo entry is
stored under the clone's git-ignored ``build/test-memo/`` (a fresh clone starts empty; nothing survives from one CI
run to the next) and named by a SHA-256 of everything the result depends on (:func:`memo_key`):

- the bytes of every file of the package's ``core/`` and of ``tools/*.py`` (the code that computes), and the
  package's ``__init__.py``;
- the Python build (``sys.version``, implementation, machine) and the name and version of every installed
  distribution except bpy (numpy 1.26 under Python 3.11 and numpy 2 under 3.13 never share an entry);
- the identity (path, size, modification time) of every file in the asset folders
  (:func:`facemotion.core.io.assets.asset_roots`);
- the call's own arguments (case, variants, BLAS thread count, ...), given by the test.

Only pure computations may be memoised: run in a fresh interpreter that does not import bpy (a subprocess), their
result a function of the key alone. The BLAS thread count is an argument of the key, so a 1-thread and a 2-thread
result are computed separately. On a hit the test loads the stored arrays and asserts on them exactly as on a fresh
result. ``FACEMOTION_TEST_MEMO=0`` turns the memo off (every computation runs).
"""

import functools
import hashlib
import importlib.metadata
import json
import os
import platform
import sys
from pathlib import Path

import numpy as np

from facemotion.core.io import assets

ROOT = Path(__file__).resolve().parent.parent
MEMO_DIR = ROOT / "build" / "test-memo"
#: Environment variable that turns the memo off when set to 0.
ENV_MEMO = "FACEMOTION_TEST_MEMO"


def _files_digest(paths, base):
    """SHA-256 over the relative path and bytes of each file of ``paths`` (sorted)."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(base)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _source_digest():
    """The computing code: every file of ``core/`` (no byte-code), ``tools/*.py`` and the package's __init__."""
    core = [p for p in (ROOT / "core").rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return _files_digest([*core, *(ROOT / "tools").glob("*.py"), ROOT / "__init__.py"], ROOT)


@functools.cache
def _environment():
    """The Python build and every installed distribution but bpy, as ``name==version`` lines (sorted); read once
    per process (reading every distribution's metadata takes a second)."""
    distributions = sorted(
        {
            f"{d.metadata['Name'].lower()}=={d.version}"
            for d in importlib.metadata.distributions()
            if d.metadata["Name"] and d.metadata["Name"].lower() != "bpy"
        }
    )
    return [sys.version, sys.implementation.cache_tag, platform.machine(), *distributions]


def _asset_identity():
    """``[path, size, mtime_ns]`` of every file in the asset folders (sorted)."""
    files = []
    for root in assets.asset_roots():
        if root.is_dir():
            for path in root.rglob("*"):
                if path.is_file():
                    stat = path.stat()
                    files.append([str(path.resolve()), stat.st_size, stat.st_mtime_ns])
    return sorted(files)


def memo_key(name, arguments):
    """SHA-256 hex digest naming the result of computation ``name`` with ``arguments`` (JSON-serialisable: the
    case, variants, BLAS threads, ...) under this checkout's code, Python, distributions and assets."""
    blob = json.dumps(
        {
            "name": name,
            "arguments": arguments,
            "sources": _source_digest(),
            "environment": _environment(),
            "assets": _asset_identity(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def memoized_arrays(name, arguments, compute):
    """``{name: ndarray}`` returned by ``compute()`` (a pure computation, see the module docstring), or the same
    arrays stored by an earlier call with the same :func:`memo_key`. Stored atomically (a temporary file renamed),
    so an interrupted run leaves no partial entry."""
    if os.environ.get(ENV_MEMO, "1") == "0":
        return compute()
    path = MEMO_DIR / f"{name}-{memo_key(name, arguments)}.npz"
    if path.is_file():
        with np.load(path) as data:
            return {key: data[key] for key in data.files}
    result = compute()
    MEMO_DIR.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.npz")
    np.savez(partial, **result)
    os.replace(partial, path)
    return result
