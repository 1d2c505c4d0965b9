# SPDX-License-Identifier: GPL-3.0-or-later
"""The plan of a batch run, without Blender: which files are heads, where each one's outputs go, which are already
up to date, and the JSON reports (``facemotion batch``; the Blender side is
:mod:`facemotion.facemotion_addon.cli.batch`).

- **Discovery** (:func:`discover_assets`): files and folders given on the command line; folders are walked
  recursively in sorted order for ``.obj``, ``.fbx``, ``.glb``, ``.gltf`` and ``.blend`` files (hidden files and
  folders, and the batch's own output folder, are skipped).
- **Naming**: a head ``IN/sub/head.obj`` found under the folder ``IN`` writes ``OUT/sub/head.glb`` (and ``.fbx``),
  ``OUT/sub/head.report.json``; a file given directly writes beside ``OUT``'s top. Two inputs that would share a
  name (``head.obj`` and ``head.fbx``) both keep their input type in the name (``head_obj.glb``, ``head_fbx.glb``).
- **Up to date** (:func:`is_up_to_date`): an asset's *job key* is the SHA-256 of its input's content (a ``.gltf``
  with the buffers and images it references), the options that change the output (formats, preset, clips with the
  content of each timeline file, fps) and facemotion's version. Its report records the key and the SHA-256 of every
  output; the asset is skipped when the report's key is the same and every output is still there with that content
  (a deleted or edited output is made again).
- **Ownership**: while a head's outputs are written its report is a journal (:func:`incomplete_report`, status
  ``"incomplete"``): before each output it lists the finished ones with their size and SHA-256 and names that one
  as ``pending``. A run stopped at any point (a signal, a lost worker, a power cut) thus leaves a report that names
  every output it may have written, so the next run knows them as the batch's own (:func:`owned_outputs`) and
  redoes the head, replacing them, instead of refusing them as a user's files. The final report (status ``"ok"``)
  is written last, after every output, so an ``"ok"`` report never claims an output that was not finished.
- **Clips** (``--clips``) are read and checked by :mod:`facemotion.core.animation.clips` (they need the timeline,
  which is above this package).
- **Reports**: one JSON per asset (:func:`asset_report`) and one summary (:func:`summary_report`), written
  atomically with sorted keys. A batch stopped by a signal still writes its summary, naming the signal and listing
  the heads it did not finish (:func:`unfinished_report`) with the outputs they had written; the next run rewrites
  it.
"""

import hashlib
import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .assets import file_sha256
from .atomic_io import atomic_write_text
from .input_file import check_not_special

__all__ = [
    "INPUT_SUFFIXES",
    "OUTPUT_FORMATS",
    "REPORT_SCHEMA",
    "Asset",
    "discover_assets",
    "parse_formats",
    "file_sha256",
    "input_sha256",
    "job_key",
    "is_up_to_date",
    "asset_report",
    "failure_report",
    "incomplete_report",
    "owned_entries",
    "owned_outputs",
    "unfinished_report",
    "summary_report",
    "write_json",
    "read_report",
    "facemotion_version",
]

#: Input types a batch picks up in folders (the single-file commands' inputs).
INPUT_SUFFIXES = (".obj", ".fbx", ".glb", ".gltf", ".blend")
#: Output formats (``--formats``), each a file suffix of :func:`facemotion.facemotion_addon.pipeline.export`.
OUTPUT_FORMATS = ("glb", "gltf", "fbx", "blend")
#: Layout version of the per-asset and summary reports.
REPORT_SCHEMA = 1
#: Suffix of each asset's report file (beside its outputs).
REPORT_SUFFIX = ".report.json"


@dataclass(frozen=True)
class Asset:
    """One head of the batch.

    Attributes:
        source: the input file (absolute ``Path``; a link is kept as the link, not its target).
        name: output base name relative to the output folder, POSIX separators, no suffix (``"sub/head"``).
    """

    source: Path
    name: str

    def output(self, out_dir, fmt):
        """``Path`` of this asset's output in format ``fmt`` (``"glb"``...) under ``out_dir``."""
        return Path(out_dir) / f"{self.name}.{fmt}"

    def clip_output(self, out_dir, fmt, clip):
        """``Path`` of one clip's own file (FBX: Unity's ``model@clip.fbx`` convention, one take per file)."""
        return Path(out_dir) / f"{self.name}@{clip}.{fmt}"

    def report_path(self, out_dir):
        """``Path`` of this asset's JSON report under ``out_dir``."""
        return Path(out_dir) / f"{self.name}{REPORT_SUFFIX}"


def facemotion_version():
    """facemotion's version string from ``blender_manifest.toml`` (``"unknown"`` when it cannot be read)."""
    try:
        with open(Path(__file__).resolve().parents[2] / "blender_manifest.toml", "rb") as handle:
            return str(tomllib.load(handle).get("version", "unknown"))
    except (OSError, tomllib.TOMLDecodeError):
        return "unknown"


def _is_hidden(path, root):
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def discover_assets(inputs, out_dir):
    """The batch's heads, in a stable order, with their output names.

    Args:
        inputs: paths (str or Path) of files and folders as given on the command line.
        out_dir: the batch's output folder (skipped when it lies inside an input folder, so outputs of an earlier
            run are never taken as inputs).

    Returns: list of :class:`Asset`, ordered as given (folders: sorted by path), each input file once (a file
    reached twice, also through a link, counts once). ``Asset.source`` is the path as found, made absolute but with
    links kept, so errors and reports name the file the user gave (a link ``head.obj``, not its target).

    Raises: InputError: a path that does not exist, a named pipe, device or socket given as a head (opening it
    would block or never end; in folders they are skipped), a file of another type, or no head found at all.
    """
    out_dir = Path(out_dir).resolve()
    found = []  # (source, base name without suffix)
    in_out_dir = 0  # head files skipped because they lie inside the output folder
    for given in inputs:
        path = Path(given)
        if not path.exists():
            raise InputError(f"{given}: no such file or folder")
        if path.is_dir():
            root = path.resolve()
            for item in sorted(root.rglob("*")):
                if item.is_file() and item.suffix.lower() in INPUT_SUFFIXES and not _is_hidden(item, root):
                    if item.resolve().is_relative_to(out_dir):
                        in_out_dir += 1
                    else:
                        found.append((item, item.relative_to(root).with_suffix("").as_posix()))
        elif path.suffix.lower() in INPUT_SUFFIXES:
            check_not_special(given, "give .obj, .fbx, .glb, .gltf or .blend files or folders")
            found.append((Path(os.path.abspath(path)), path.stem))
        else:
            raise InputError(f"{given}: not a head file; give .obj, .fbx, .glb, .gltf or .blend files or folders")
    seen, unique = set(), []
    for source, base in found:
        if source.resolve() not in seen:
            seen.add(source.resolve())
            unique.append((source, base))
    if not unique:
        if in_out_dir:
            raise InputError(
                f"the only head files in {', '.join(map(str, inputs))} lie inside the output folder {out_dir} "
                "(a batch never takes its outputs as inputs); give an --out folder outside the inputs"
            )
        raise InputError(f"no .obj, .fbx, .glb, .gltf or .blend files in {', '.join(map(str, inputs))}")
    # Names that clash (also case-insensitively: macOS and Windows file systems) keep their input type; those that
    # still clash (the same name in two folders given separately) get a short hash of their path as well.
    names = [base for _source, base in unique]
    for rename in (
        lambda source, base: f"{base}_{source.suffix.lower()[1:]}",
        lambda source, base: f"{base}_{hashlib.sha256(str(source).encode()).hexdigest()[:8]}",
    ):
        counts = {}
        for name in names:
            counts[name.lower()] = counts.get(name.lower(), 0) + 1
        names = [
            rename(source, name) if counts[name.lower()] > 1 else name for (source, _base), name in zip(unique, names)
        ]
    return [Asset(source, name) for (source, _base), name in zip(unique, names)]


def parse_formats(text):
    """``"glb,fbx"`` -> ``("glb", "fbx")`` (order kept, duplicates dropped). Raises InputError on unknown ones."""
    formats = []
    for item in str(text).split(","):
        item = item.strip().lower().lstrip(".")
        if not item:
            continue
        if item not in OUTPUT_FORMATS:
            raise InputError(f"--formats: unknown format '{item}'; use {', '.join(OUTPUT_FORMATS)}")
        if item not in formats:
            formats.append(item)
    if not formats:
        raise InputError(f"--formats: give at least one of {', '.join(OUTPUT_FORMATS)}")
    return tuple(formats)


def input_sha256(path):
    """Hex SHA-256 of an input head: the file's bytes, and for a ``.gltf`` also the relative buffers and images it
    references (their names and bytes, in the file's order), since those are part of the head. Raises OSError."""
    path = Path(path)
    digest = hashlib.sha256(file_sha256(path).encode())
    if path.suffix.lower() == ".gltf":
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            doc = {}
        uris = (
            [
                item.get("uri")
                for key in ("buffers", "images")
                for item in (doc.get(key) or [])
                if isinstance(item, dict)
            ]
            if isinstance(doc, dict)
            else []
        )
        for uri in uris:
            if isinstance(uri, str) and not uri.startswith("data:") and "://" not in uri:
                companion = path.parent / uri
                if companion.is_file():
                    digest.update(uri.encode() + file_sha256(companion).encode())
    return digest.hexdigest()


def job_key(input_hash, options, version):
    """Hex SHA-256 naming one asset's job: the input's hash, the output-changing ``options`` (a JSON-able dict) and
    facemotion's ``version``. Equal keys make equal outputs."""
    text = json.dumps({"input": input_hash, "options": options, "version": version}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def read_report(path):
    """The JSON report at ``path`` as a dict, or None when it is missing or unreadable."""
    try:
        report = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return report if isinstance(report, dict) else None


def is_up_to_date(asset, out_dir, key):
    """True when ``asset``'s last report under ``out_dir`` is a success with job key ``key`` and every output it
    lists is still there with the SHA-256 it recorded."""
    report = read_report(asset.report_path(out_dir))
    if not report or report.get("status") != "ok" or report.get("key") != key:
        return False
    outputs = report.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return False
    for relative, entry in outputs.items():
        target = Path(out_dir) / relative
        try:
            if not target.is_file() or file_sha256(target) != entry.get("sha256"):
                return False
        except (OSError, AttributeError):
            return False
    return True


def asset_report(asset, out_dir, *, key, status, written=(), error=None, **details):
    """The JSON-able report of one asset.

    Args:
        asset: the :class:`Asset`; out_dir: the output folder (outputs are listed relative to it).
        key: the job key (:func:`job_key`); status: ``"ok"``, ``"failed"``, ``"skipped"`` or ``"incomplete"``.
        written: output ``Path`` s; each is listed with its size (bytes) and SHA-256.
        error: one-line error message of a failed asset.
        details: more fields (vertex counts, shapes, landmark confidence, parts, timings in seconds, warnings).
    """
    outputs = {}
    for path in written:
        path = Path(path)
        outputs[path.relative_to(out_dir).as_posix()] = {"bytes": path.stat().st_size, "sha256": file_sha256(path)}
    return {
        "schema": REPORT_SCHEMA,
        "input": str(asset.source),
        "name": asset.name,
        "status": status,
        "key": key,
        "outputs": outputs,
        "error": error,
        **details,
    }


def failure_report(asset, out_dir, *, key, error):
    """The report of a failed asset. Outputs that an earlier report of this asset listed (or named as pending) stay
    listed under ``previous_outputs`` (so they are still known as the batch's own files, to be replaced next time,
    and not as a user's files in the way)."""
    previous = read_report(asset.report_path(out_dir)) if out_dir is not None else None
    return {
        **asset_report(asset, out_dir, key=key, status="failed", error=error),
        "previous_outputs": owned_entries(previous),
    }


def incomplete_report(asset, out_dir, *, key, written, pending, previous):
    """The report of a head whose outputs are being written (status ``"incomplete"``; see the module's
    "Ownership"): ``written`` the ``Path`` s finished so far (listed with size and SHA-256), ``pending`` the
    ``Path`` being written now (or None), ``previous`` the :func:`owned_entries` of the head's report before this
    run (kept under ``previous_outputs``: still the batch's own files)."""
    report = asset_report(asset, out_dir, key=key, status="incomplete", written=written)
    report["pending"] = [] if pending is None else [Path(pending).relative_to(out_dir).as_posix()]
    report["previous_outputs"] = dict(previous)
    return report


def owned_entries(report):
    """``{relative POSIX path: {"bytes", "sha256"}}`` of every output ``report`` says the batch wrote (its outputs
    and previous outputs) or was writing (pending: an empty entry, no hash known); ``{}`` for None."""
    report = report or {}
    owned = {name: {} for name in report.get("pending") or ()}
    owned.update(report.get("previous_outputs") or {})
    owned.update(report.get("outputs") or {})
    return owned


def owned_outputs(report):
    """The output paths (relative, POSIX) a report says the batch wrote or was writing (:func:`owned_entries`)."""
    return set(owned_entries(report))


def unfinished_report(asset, out_dir):
    """The summary's entry for a head an interruption stopped before its report was in (status ``"unfinished"``):
    ``outputs`` are the complete files its journal (:func:`incomplete_report`) lists as written, each with its size
    and SHA-256 (``{}`` when it had not begun writing, or left no journal); the same batch command again redoes the
    head and replaces them."""
    journal = read_report(asset.report_path(out_dir)) or {}
    written = journal.get("outputs") if journal.get("status") == "incomplete" else None
    return {
        "schema": REPORT_SCHEMA,
        "input": str(asset.source),
        "name": asset.name,
        "status": "unfinished",
        "outputs": dict(written or {}),
        "error": None,
    }


def summary_report(reports, *, options, version, seconds, workers, scheduler=None, interrupted=None):
    """The batch's summary: counts per status, total output bytes, the failed inputs with their errors, the
    unfinished inputs with the outputs they wrote, and every asset's report name and status.

    Args:
        reports: the per-asset dicts in batch order (an interrupted batch's unstarted or stopped heads as
            :func:`unfinished_report` s).
        seconds: wall time; workers, scheduler: how the heads ran.
        interrupted: the name of the signal that stopped the batch (``"SIGINT"``, ``"SIGTERM"``, ``"SIGHUP"``), or
            None for a batch that went through every head.
    """
    statuses = ("ok", "skipped", "failed", "unfinished")
    counts = {status: sum(1 for r in reports if r.get("status") == status) for status in statuses}
    return {
        "schema": REPORT_SCHEMA,
        "version": version,
        "options": options,
        "workers": workers,
        "scheduler": scheduler,
        "seconds": round(float(seconds), 3),
        "interrupted": interrupted,
        "assets": len(reports),
        **counts,
        "output_bytes": sum(entry.get("bytes", 0) for r in reports for entry in (r.get("outputs") or {}).values()),
        "failures": [
            {"input": r.get("input"), "error": r.get("error")} for r in reports if r.get("status") == "failed"
        ],
        "unfinished_heads": [
            {"input": r.get("input"), "outputs_written": sorted(r.get("outputs") or {})}
            for r in reports
            if r.get("status") == "unfinished"
        ],
        "results": [{"input": r.get("input"), "name": r.get("name"), "status": r.get("status")} for r in reports],
    }


def write_json(path, data):
    """Write ``data`` as indented JSON with sorted keys to ``path`` atomically; returns the ``Path``."""
    return atomic_write_text(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
