# SPDX-License-Identifier: GPL-3.0-or-later
"""``facemotion batch``: rig many heads, bake emotion clips on each, export engine files and JSON reports.

The plan (which files, output names, up-to-date checks, report layout) is pure and lives in
:mod:`facemotion.core.io.batch_plan`; this module is the Blender side: the command line (:func:`add_batch_parser`,
:func:`cmd_batch`) and one head's job (:func:`run_asset`). Heads run in worker processes (:mod:`.distributed`:
``--workers N`` on this machine, ``--scheduler ADDRESS`` on a Dask cluster), because bpy holds one scene per process
and a crash in Blender's importers must cost one head, not the batch. ``--workers 0`` runs every head in this
process (no isolation; for debugging and for a Blender that cannot start itself again).

Every output is written atomically (a temporary file, then a rename; created exclusively where it is not the
batch's own file and there is no ``--overwrite``), and the head's report is its journal: before each output it lists
the finished ones with their hashes and names that one as pending (:func:`...core.io.batch_plan.incomplete_report`);
the final report is written last. A batch stopped by Ctrl+C, SIGTERM or SIGHUP writes its summary (the signal, the
heads finished, the unfinished ones with the outputs they had written) and ends with one line saying the same; the
same command again redoes the unfinished ones, replacing the outputs they had written, and rewrites the summary.

The same inputs and options give byte-identical GLB/FBX files: Blender's glTF exporter writes no time, the FBX
exporter's creation time is fixed to ``SOURCE_DATE_EPOCH`` (default 0) here, and worker processes run the
BLAS/OpenMP pools on one thread (:func:`fixed_threads`), so the bytes do not depend on the machine's core count either
(``--workers 0`` keeps the process's own pools).
"""

import argparse
import contextlib
import datetime
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

from ...core.animation.clips import parse_clips
from ...core.errors import FacemotionError, InputError
from ...core.interrupts import deferred_interrupts
from ...core.io import batch_plan, export_options
from ...core.io.atomic_io import check_writable
from .. import console
from ..console import info
from . import distributed
from .strength_arguments import add_strength_arguments, strength_option
from .timeline_file import check_fps_option, read_timeline

#: File name of the batch summary in the output folder.
SUMMARY_NAME = "batch_summary.json"


def add_batch_parser(subparsers):
    """Add the ``batch`` sub-command to the CLI's ``subparsers``; returns the sub-parser."""
    batch = subparsers.add_parser(
        "batch",
        help="rig many heads (files or folders), bake clips, export each, with JSON reports",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Rig every head in INPUT (files, or folders walked recursively for .obj .fbx .glb .gltf "
        ".blend), bake optional emotion clips (each its own action / glTF animation) and export each "
        "head; heads run in worker processes, on this machine or on a Dask cluster.",
        epilog=BATCH_EPILOG,
    )
    batch.add_argument("inputs", nargs="+", metavar="INPUT", help="head files or folders of heads")
    batch.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (created; sub-folders of the input folders are kept)"
    )
    batch.add_argument(
        "--formats", default="glb", help="comma-separated output formats: glb, gltf, fbx, blend (default: glb)"
    )
    batch.add_argument(
        "--preset",
        default="default",
        choices=tuple(export_options.PRESETS),
        help="export preset for game engines (default: default)",
    )
    batch.add_argument(
        "--smooth",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="smooth-shade flat meshes (and meshes whose custom normals are all flat) in the rig and the files "
        "(default: the preset's, on); --no-smooth leaves them flat",
    )
    add_strength_arguments(batch)
    batch.add_argument(
        "--clips",
        default=None,
        metavar="LIST",
        help="comma-separated emotion clips: preset or wheel names (a 2 s clip each: in, hold, out) "
        "and timeline JSON files (the file's stem names the clip)",
    )
    batch.add_argument(
        "--fps", type=float, default=None, help="frame rate of the clips (default: a timeline file's own, else 24)"
    )
    batch.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="worker processes on this machine (default: the CPU count; 0: in this process)",
    )
    batch.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run each head as a task on this Dask scheduler (e.g. tcp://farm:8786) instead",
    )
    batch.add_argument(
        "--worker-command",
        default=None,
        metavar="CMD",
        help="command that starts facemotion on the workers (default: the one running now, e.g. "
        "'/opt/facemotion/facemotion' or 'blender -b --command facemotion')",
    )
    batch.add_argument(
        "--replace-keys",
        action="store_true",
        help="replace shape keys facemotion made before on a head (e.g. a .blend rigged earlier; a user's own keys "
        "are never replaced)",
    )
    batch.add_argument(
        "--replace-action",
        action="store_true",
        help="bake the clips on heads whose shape keys a user's action animates (that action is kept)",
    )
    batch.add_argument("--force", action="store_true", help="redo heads whose outputs are up to date")
    batch.add_argument(
        "--overwrite",
        action="store_true",
        help="replace output files that no earlier batch report lists (files facemotion's batch "
        "wrote are always replaced when out of date)",
    )
    batch.add_argument(
        "--json", action="store_true", help="one JSON report per head (per line), then the summary, on stdout"
    )
    batch.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return batch


BATCH_EPILOG = """outputs, per head IN/sub/head.obj found under the folder IN:
  DIR/sub/head.glb (.fbx ...)         the rigged head; with clips: one named animation per clip
  DIR/sub/head@CLIP.fbx               FBX with clips: one take per file (Unity's model@clip convention)
  DIR/sub/head.report.json            vertex counts, shapes made, landmark confidence, parts, timings, warnings
  DIR/batch_summary.json              counts, failures, every head's status (after a signal too: what was
                                      finished and what was not)
A head whose report says it was made from the same input content, options and facemotion version, with its outputs
unchanged, is skipped (--force redoes it).

exit status: 0 when every head is done or up to date; 2 with one error line when any head failed (the others are
  done and reported) or the command line is bad; 130, 143 or 129 after Ctrl+C, SIGTERM or SIGHUP, with one line
  saying how many heads were finished (the same command again finishes the rest, replacing what the unfinished
  heads had written: their reports list it)."""


def _worker_count(requested):
    if requested is None:
        return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    if requested < 0:
        raise InputError(f"--workers must be 0 or more, got {requested}")
    return requested


def batch_options(args, clips):
    """The options that change a head's outputs (part of its job key), as a JSON-able dict. ``smooth`` and
    ``strength`` are in it only when given, so heads done before those flags existed stay up to date."""
    options = {
        "formats": list(batch_plan.parse_formats(args.formats)),
        "preset": args.preset,
        "fps": args.fps,
        "clips": [{"name": clip.name, "sha256": clip.digest} for clip in clips],
        "replace_keys": args.replace_keys,
        "replace_action": args.replace_action,
        "blender": _blender_version(),
    }  # another Blender's exporter writes other bytes
    if args.smooth is not None:
        options["smooth"] = args.smooth
    strength = strength_option(args)
    if strength is not None:
        options["strength"] = {"overall": strength.overall, **strength.regions}
    return options


def _clips(args):
    return parse_clips(args.clips, read_timeline=read_timeline, fps=args.fps)


def cmd_batch(args):
    """``facemotion batch INPUT... --out DIR`` (see :data:`BATCH_EPILOG`). Returns 0; raises InputError for a bad
    command line and, after every head was gone through, when any head failed."""
    if args.worker:
        return serve_worker(args)
    started = time.perf_counter()
    formats, clips, workers, out_dir, assets = _checked_command_line(args)
    options = batch_options(args, clips)
    version = batch_plan.facemotion_version()
    reports = [None] * len(assets)  # filled as each head's fate is known (planned, then finished)

    def summary(interrupted=None):
        return batch_plan.summary_report(
            [report or batch_plan.unfinished_report(asset, out_dir) for asset, report in zip(assets, reports)],
            options=options,
            version=version,
            seconds=time.perf_counter() - started,
            workers=workers,
            scheduler=args.scheduler,
            interrupted=interrupted,
        )

    try:
        todo = _plan_heads(args, assets, reports, out_dir, formats, clips, options, version)
        _run_heads(args, assets, reports, todo, out_dir, workers)
    except KeyboardInterrupt as exc:  # Ctrl+C, SIGTERM, SIGHUP: the summary and the CLI's last line say what was done
        stopped = summary(signal.Signals(getattr(exc, "signum", signal.SIGINT)).name)
        exc.add_note(_interrupted_outcome(stopped, out_dir))
        # Written whole even when a second signal comes meanwhile (it is delivered right after); a full disk leaves
        # the line to say what was done.
        with deferred_interrupts(), contextlib.suppress(OSError):
            batch_plan.write_json(out_dir / SUMMARY_NAME, stopped)
        raise
    _write_summary(summary(), out_dir, args.json)
    return 0


def _checked_command_line(args):
    """Check the batch's options and find its heads before any work, then create the output folder (so a bad
    command line leaves nothing behind); returns ``(formats, clips, worker count, resolved output folder, assets)``.
    Raises InputError naming the bad option or input."""
    formats = batch_plan.parse_formats(args.formats)
    check_fps_option(args.fps)
    clips = _clips(args)
    strength_option(args)  # a bad --strength / --region-strength is refused before any work
    workers = _worker_count(args.workers)
    if args.scheduler:
        distributed.check_scheduler(args.scheduler)
    out_dir = Path(args.out)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"{out_dir}: is a file; --out takes a folder")
    assets = batch_plan.discover_assets(args.inputs, out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"--out {out_dir}: cannot create the output folder ({exc.strerror or exc}); choose one you can write to"
        ) from None
    check_writable(out_dir / SUMMARY_NAME)
    return formats, clips, workers, out_dir.resolve(), assets


def _plan_heads(args, assets, reports, out_dir, formats, clips, options, version):
    """Decide each head's fate before any runs: sets ``reports[i]`` to the report of a head that is not run (up to
    date: skipped; unreadable, or its output is a file no batch report lists: failed) and returns ``todo``, the
    ``(index, request)`` pairs of the heads to run."""
    todo = []
    for index, asset in enumerate(assets):
        try:
            key = batch_plan.job_key(batch_plan.input_sha256(asset.source), options, version)
        except OSError as exc:
            link = f" (a link to {os.readlink(asset.source)})" if asset.source.is_symlink() else ""
            reports[index] = batch_plan.failure_report(
                asset, out_dir, key=None, error=f"{asset.source.name}{link}: cannot read ({exc.strerror})"
            )
            with contextlib.suppress(OSError):  # like a head that fails in a worker: its report says why
                batch_plan.write_json(asset.report_path(out_dir), reports[index])
            continue
        if not args.force and batch_plan.is_up_to_date(asset, out_dir, key):
            previous = batch_plan.read_report(asset.report_path(out_dir))
            reports[index] = {**previous, "status": "skipped", "previous_status": previous.get("status")}
            continue
        blocker = _unowned_output(asset, out_dir, formats, clips) if not args.overwrite else None
        if blocker is not None:
            reports[index] = batch_plan.failure_report(
                asset,
                out_dir,
                key=key,
                error=f"{blocker}: exists and no batch report lists it; pass --overwrite to replace it",
            )
            continue
        todo.append((index, {"source": str(asset.source), "name": asset.name, "key": key, "out_dir": str(out_dir)}))
    return todo


def _run_heads(args, assets, reports, todo, out_dir, workers):
    """Run the ``todo`` heads (on the Dask scheduler, in this process with ``--workers 0``, else in local worker
    processes), filling ``reports`` as each finishes and announcing every report (the planned ones first)."""
    done = sum(report is not None for report in reports)
    with console.progress_bar("batch") as progress:
        progress(done / len(assets), f"{done}/{len(assets)} heads")
        for report in reports:
            if report is not None:
                _announce(report, args.json)

        def finished(index, report):
            nonlocal done
            reports[index] = report
            done += 1
            progress(done / len(assets), f"{done}/{len(assets)} {Path(report['input']).name}")
            _announce(report, args.json)

        if not todo:
            return
        command = distributed.worker_command(args.worker_command) + _worker_argv(args)
        if args.scheduler:
            distributed.run_on_dask(args.scheduler, todo, command, finished)
        elif workers == 0:
            settings = worker_settings(args)
            for index, request in todo:
                finished(index, run_request(request, out_dir, settings))
        else:
            distributed.run_local(todo, command, min(workers, len(todo)), finished)


def _interrupted_outcome(summary, out_dir):
    """What an interrupted batch leaves, for the CLI's last line (:func:`.entry.main` prints it after "terminated;"),
    from the same facts as its summary (``summary``, :func:`...core.io.batch_plan.summary_report`): how many heads
    were finished (done, up to date or failed, each with its report), and the outputs the unfinished heads had
    written (listed in their reports, so the same command again replaces them)."""
    finished = summary["assets"] - summary["unfinished"]
    kept = sum(len(head["outputs_written"]) for head in summary["unfinished_heads"])
    text = f"{finished} of {summary['assets']} heads finished (reports in {out_dir})"
    if kept:
        text += f", {kept} output file(s) of unfinished heads written and listed in their reports"
    if summary["unfinished"]:
        text += "; run the same command again to finish the rest"
    return text


def _write_summary(summary, out_dir, as_json):
    """Write the batch summary and print its line (or JSON); raises FacemotionError when any head failed."""
    batch_plan.write_json(out_dir / SUMMARY_NAME, summary)
    if as_json:
        print(json.dumps({"summary": summary}, sort_keys=True), flush=True)
    else:
        info(
            f"batch: {summary['ok']} done, {summary['skipped']} up to date, {summary['failed']} failed of "
            f"{summary['assets']} heads in {summary['seconds']:.1f} s -> {out_dir / SUMMARY_NAME}"
        )
    if summary["failed"]:
        first = summary["failures"][0]
        raise FacemotionError(
            f"{summary['failed']} of {summary['assets']} heads failed (first: {first['error']}); "
            f"see {out_dir / SUMMARY_NAME}"
        )


def _announce(report, as_json):
    """One line per finished head: its report as JSON (``--json``), else a text line (failures even with -q)."""
    if as_json:
        print(json.dumps(report, sort_keys=True), flush=True)
        return
    name = Path(report["input"]).name
    if report["status"] == "failed":
        print(f"failed   {name}: {report.get('error')}", flush=True)
    elif report["status"] == "skipped":
        info(f"skipped  {name} (up to date)")
    else:
        size = sum(entry["bytes"] for entry in report["outputs"].values()) / 1e6
        info(
            f"done     {name} -> {', '.join(report['outputs'])} ({size:.1f} MB, "
            f"{report.get('timings', {}).get('total', 0.0):.1f} s)"
        )


def _unowned_output(asset, out_dir, formats, clips):
    """The first output path of ``asset`` that exists but is not listed in its last report (a file facemotion did
    not write, which must not be replaced silently), else None."""
    previous = batch_plan.read_report(asset.report_path(out_dir)) or {}
    listed = batch_plan.owned_outputs(previous)
    for path in expected_outputs(asset, out_dir, formats, clips) + [asset.report_path(out_dir)]:
        if (
            path.exists()
            and path.relative_to(out_dir).as_posix() not in listed
            and not (path == asset.report_path(out_dir) and previous)
        ):
            return path
    return None


def expected_outputs(asset, out_dir, formats, clips):
    """The output ``Path`` s one head writes for ``formats`` and ``clips``."""
    paths = []
    for fmt in formats:
        paths.append(asset.output(out_dir, fmt))
        if fmt == "fbx":
            paths.extend(asset.clip_output(out_dir, fmt, clip.name) for clip in clips)
    return paths


def _worker_argv(args):
    """The options a worker process needs (everything that shapes one head's job), as CLI arguments."""
    argv = [
        "-q",
        "batch",
        "--worker",
        "--out",
        str(Path(args.out).resolve()),
        "--formats",
        args.formats,
        "--preset",
        args.preset,
    ] + (["--overwrite"] if args.overwrite else [])
    if args.clips:
        # Timeline files as absolute paths: a worker may start in another folder (or on another machine that
        # mounts the same storage at the same place).
        items = [
            str(Path(item.strip()).resolve()) if item.strip().lower().endswith(".json") else item.strip()
            for item in args.clips.split(",")
            if item.strip()
        ]
        argv += ["--clips", ",".join(items)]
    if args.fps is not None:
        argv += ["--fps", repr(args.fps)]
    if args.smooth is not None:
        argv.append("--smooth" if args.smooth else "--no-smooth")
    for flag, value in (("--strength", args.strength), ("--region-strength", args.region_strength)):
        if value is not None:
            argv += [flag, str(value)]
    argv += [
        flag
        for flag, wanted in (("--replace-keys", args.replace_keys), ("--replace-action", args.replace_action))
        if wanted
    ]
    argv.append(".")  # the positional INPUT (unused by a worker; its heads come on stdin)
    return argv


@contextlib.contextmanager
def _reproducible_fbx_time():
    """Make Blender's FBX exporter write a fixed creation time (``SOURCE_DATE_EPOCH``, the reproducible-builds
    convention; default 1970-01-01) instead of the wall clock, so the same head gives the same bytes. The exporter
    reads ``datetime.datetime.now()`` through its module's ``datetime`` name; that name is swapped while the block
    runs and put back after."""
    try:
        import io_scene_fbx.export_fbx_bin as fbx_module
    except ImportError:
        yield
        return
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
    fixed = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=epoch)

    class _FixedDateTime(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return fixed

    class _Module:
        datetime = _FixedDateTime

    original = getattr(fbx_module, "datetime", None)
    fbx_module.datetime = _Module
    try:
        yield
    finally:
        fbx_module.datetime = original


# --- one head (runs in a worker process) -----------------------------------------------------------------------


def worker_settings(args):
    """The per-head settings of a worker: ``{"out_dir", "formats", "preset", "clips", "fps", "replace_keys",
    "replace_action", "smooth", "strength", "overwrite"}`` (``smooth``: the flag, None for the preset's; ``strength``:
    a ``Strength`` or None)."""
    return {
        "out_dir": Path(args.out).resolve(),
        "formats": batch_plan.parse_formats(args.formats),
        "preset": args.preset,
        "clips": _clips(args),
        "fps": args.fps,
        "replace_keys": args.replace_keys,
        "replace_action": args.replace_action,
        "smooth": args.smooth,
        "strength": strength_option(args),
        "overwrite": args.overwrite,
    }


def fixed_threads():
    """Run the numeric libraries' thread pools (OpenBLAS, OpenMP) on one thread in this worker process.

    A BLAS reduction split over another number of threads sums in another order, and the rig's last bits (so the
    exported bytes) change with the machine's core count; with one thread each head gives the same bytes on every
    worker and every machine, and the batch's parallelism comes from its worker processes. ``threadpoolctl``
    (installed with scikit-learn) limits the pools already loaded, after the libraries the rig needs are imported;
    local workers also start with ``OMP_NUM_THREADS=1`` and the like (:func:`.distributed.worker_env`)."""
    with contextlib.suppress(ImportError):
        import scipy.linalg  # noqa: F401  (load scipy's own BLAS before the limit, so it is limited too)
        import scipy.sparse.linalg  # noqa: F401
        import scipy.spatial  # noqa: F401
        from threadpoolctl import threadpool_limits

        # A user's own OMP_NUM_THREADS wins (more speed per worker; the same bytes only with the same value).
        try:
            threads = max(1, int(os.environ.get("OMP_NUM_THREADS", "1")))
        except ValueError:
            threads = 1
        threadpool_limits(limits=threads)


def serve_worker(args):
    """The worker loop (``batch --worker``): read one JSON request per line on stdin (``source``, ``name``,
    ``key``), run the head, print its report as one :data:`.distributed.RESULT_MARK` on stdout; ends at end of input.

    Stopped by a signal (the batch stops its workers with SIGTERM; Ctrl+C reaches the whole process group), the
    worker exits with 128 + the signal's number and prints nothing: the batch prints the one line."""
    settings = worker_settings(args)
    fixed_threads()
    try:
        for line in sys.stdin:
            line = line.strip()
            if not line:
                continue
            report = run_request(json.loads(line), settings["out_dir"], settings)
            sys.stdout.write(distributed.RESULT_MARK + json.dumps(report, sort_keys=True) + "\n")
            sys.stdout.flush()
    except KeyboardInterrupt as exc:
        return 128 + getattr(exc, "signum", signal.SIGINT)
    return 0


def run_request(request, out_dir, settings):
    """Run one head from a worker request dict; every failure becomes a ``"failed"`` report (never raised)."""
    asset = batch_plan.Asset(Path(request["source"]), request["name"])
    try:
        with _stdout_to_stderr():
            return run_asset(asset, Path(out_dir), settings, key=request["key"])
    except FacemotionError as exc:
        error = str(exc) if asset.source.name in str(exc) else f"{asset.source.name}: {exc}"
    except Exception as exc:  # noqa: BLE001  (a bug on one head must not stop the batch: reported with its trace)
        error = f"{asset.source.name}: internal error {type(exc).__name__}: {exc}"
        traceback.print_exc()
    report = batch_plan.failure_report(
        asset, Path(out_dir), key=request["key"], error=error.splitlines()[0] if error else "failed"
    )
    with contextlib.suppress(OSError):
        batch_plan.write_json(asset.report_path(out_dir), report)
    return report


@contextlib.contextmanager
def _stdout_to_stderr():
    """Send file descriptor 1 to descriptor 2 while the block runs: Blender's importers and exporters print their
    log lines on stdout, which carries only results (``--json`` lines, a worker's report lines)."""
    sys.stdout.flush()
    try:
        saved = os.dup(1)
    except OSError:
        yield
        return
    try:
        os.dup2(2, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def run_asset(asset, out_dir, settings, *, key):
    """Rig one head, bake its clips, write its outputs and its report; returns the report dict.

    Steps: :func:`.pipeline.load_file` (an empty scene, or the .blend itself), :func:`.pipeline.rig`, one action per
    clip (:func:`bake_clips`), one export per format (:func:`export_outputs`, each output journaled in the head's
    report: :class:`OutputJournal`), then the final JSON report.

    Raises: FacemotionError subclasses (bad file, no face, export failure), KeyboardInterrupt (a signal); outputs
    already written stay (they are complete files) and the head's report names them, so the head is redone next
    time and they are replaced.
    """
    from ...core.animation.timeline import timeline_from_json
    from .. import pipeline, shading
    from ..settings.strength_properties import store_strength

    warnings, timings = [], {}
    start = t = time.perf_counter()
    objects = pipeline.load_file(asset.source, note=warnings.append)
    timings["import"] = time.perf_counter() - t
    meshes = [
        {"name": obj.name, "vertices": len(obj.data.vertices), "polygons": len(obj.data.polygons)} for obj in objects
    ]
    t = time.perf_counter()
    smooth = export_options.resolve(settings["preset"], smooth=settings.get("smooth")).smooth
    note = shading.flat_normals_note(objects, smooth)
    if note:
        warnings.append(note)
    result, objects = pipeline.rig(objects, replace=settings["replace_keys"], smooth_shading=smooth)
    timings["rig"] = time.perf_counter() - t
    if settings.get("strength") is not None:
        for obj in objects:  # before the clips are baked: the keys and the files carry it
            store_strength(obj, settings["strength"])
    timings.update({f"rig.{stage}": seconds for stage, seconds in result.timings.items()})
    if result.empty:
        warnings.append(f"no template data for {', '.join(result.empty)} (kept at rest)")
    warnings.extend(getattr(result, "warnings", ()))  # low confidence, no mouth opening
    t = time.perf_counter()
    clips = [(clip.name, timeline_from_json(clip.timeline)) for clip in settings["clips"]]
    clip_info = bake_clips(objects, clips, fps=settings["fps"], replace=settings["replace_action"])
    timings["clips"] = time.perf_counter() - t
    t = time.perf_counter()
    written = export_outputs(asset, out_dir, objects, settings, clip_info, OutputJournal(asset, out_dir, key))
    timings["export"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - start
    parts = getattr(result, "parts", None)
    report = batch_plan.asset_report(
        asset,
        out_dir,
        key=key,
        status="ok",
        written=written,
        meshes=meshes,
        vertices=sum(m["vertices"] for m in meshes),
        shapes_made=[name for name in result.names if name not in result.empty and name not in result.skipped],
        shapes_empty=list(result.empty),
        shapes_skipped=list(result.skipped),  # left empty: the head lacks what they move (see warnings)
        landmark_confidence=_landmark_confidence(result),
        parts=_parts_report(parts),
        clips=clip_info,
        timings={stage: round(seconds, 3) for stage, seconds in timings.items()},
        warnings=warnings,
        strength=None if settings.get("strength") is None else settings["strength"].text(),
        blender=_blender_version(),
    )
    batch_plan.write_json(asset.report_path(out_dir), report)
    return report


def _blender_version():
    import bpy

    return bpy.app.version_string


def _landmark_confidence(result):
    """The face detector's confidence in the view the landmarks were found in (0..1), when the rig result carries
    it (``RigResult.landmark_score``), else None."""
    score = getattr(result, "landmark_score", None)
    return None if score is None else round(float(score), 4)


def _parts_report(parts):
    """``RigResult.parts`` (:class:`facemotion.core.rig.parts.FaceParts`) as ``[{"name", "vertices", ...}]``: each
    part found with its vertex count (and an eye's sphere radius, mesh units); None when the rig has no parts."""
    if parts is None:
        return None
    found = getattr(parts, "parts", None)
    if found is None:
        return _jsonable(parts)
    out = []
    for part in found:
        entry = {"name": str(getattr(part, "name", part)), "vertices": int(len(getattr(part, "vertices", ())))}
        radius = getattr(part, "radius", None)
        if radius is not None and str(entry["name"]).startswith("eye"):
            entry["radius"] = round(float(radius), 6)
        out.append(entry)
    return out


def _jsonable(value):
    """Any other parts data (dict of arrays, dataclass, list) as plain JSON data."""
    import dataclasses

    import numpy as np

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if dataclasses.is_dataclass(value):
        return _jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        # Per-vertex arrays would bloat a report: give their length (and the count of set entries for masks).
        if value.dtype == bool:
            return int(value.sum())
        return value.tolist() if value.size <= 64 else {"shape": list(value.shape)}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return str(value)


def bake_clips(objects, clips, *, fps=None, replace=False):
    """Bake each ``(name, timeline)`` clip as its own action, each on its own NLA track named after the clip
    (the glTF exporter's NLA-track mode then writes one animation per clip, with that name).

    Actions are named after the clip (``"happy"``; ``"happy.<object>"`` when the head has several meshes with their
    own shape keys). ``replace``: bake over a user's shape-key action (it is kept, with a fake user; see
    :func:`.pipeline.bake`). After the bakes no action is active, so the rig's rest pose is what the scene shows.
    Returns a list of ``{"name", "frames", "fps", "actions"}`` dicts, one per clip.
    """
    import bpy

    from .. import compat, pipeline
    from ..keyframes import ACTION_TAG

    scene = bpy.context.scene
    out = []
    for name, timeline in clips:
        weights = pipeline.bake(objects, timeline, fps=fps, frame_start=1, set_frame_range=True, replace=replace)
        actions, seen = [], set()
        keyed = [obj for obj in objects if obj.data.shape_keys is not None]
        for obj in keyed:
            key = obj.data.shape_keys
            if key.as_pointer() in seen or key.animation_data is None or key.animation_data.action is None:
                continue
            seen.add(key.as_pointer())
            action = key.animation_data.action
            action.name = name if len(keyed) == 1 else f"{name}.{obj.name}"
            action[ACTION_TAG] = True
            track = key.animation_data.nla_tracks.new()
            track.name = name
            compat.nla_strip_new(track, key, action, 1)
            key.animation_data.action = None
            action.use_fake_user = True  # kept in a .blend although no longer assigned
            actions.append(action.name)
        out.append(
            {
                "name": name,
                "frames": len(weights),
                "fps": float(scene.render.fps / scene.render.fps_base),
                "actions": actions,
            }
        )
    return out


class OutputJournal:
    """A head's report while its outputs are written (:func:`...core.io.batch_plan.incomplete_report`): before each
    output is written, the report lists the finished ones with their hashes and names this one as pending, so a run
    stopped at any point leaves a report naming every output it may have written (the next run knows them as the
    batch's own and redoes the head). Also says which paths the batch may replace without ``--overwrite``: those
    the head's earlier reports name."""

    def __init__(self, asset, out_dir, key):
        self.asset, self.out_dir, self.key = asset, Path(out_dir), key
        self.previous = batch_plan.owned_entries(batch_plan.read_report(asset.report_path(out_dir)))
        self.written = []

    def owns(self, path):
        """True when an earlier report of the head names ``path`` (the batch's own file, replaced when redone)."""
        return Path(path).relative_to(self.out_dir).as_posix() in self.previous

    @contextlib.contextmanager
    def writing(self, path):
        """Journal ``path`` as pending while the block writes it, then as written."""
        report = batch_plan.incomplete_report(
            self.asset, self.out_dir, key=self.key, written=self.written, pending=path, previous=self.previous
        )
        batch_plan.write_json(self.asset.report_path(self.out_dir), report)
        yield
        self.written.append(Path(path))


def export_outputs(asset, out_dir, objects, settings, clip_info, journal):
    """Write every format of one head, each output journaled (``journal``: an :class:`OutputJournal`); returns the
    list of ``Path`` s written (each atomically; created exclusively unless the batch owns the path or
    ``settings["overwrite"]``).

    glTF/GLB: the rig and, with clips, one named animation per clip. FBX: the rig (no animation) and one
    ``head@clip.fbx`` per clip with that clip as the file's take. .blend: the scene with the clips' actions on NLA
    tracks."""
    import bpy

    from .. import pipeline

    bpy.context.scene.frame_set(1)  # shape-key values at frame 1 (neutral) are the files' default weights
    options = {} if settings["preset"] == "default" else {"preset": settings["preset"]}
    if settings.get("smooth") is not None:
        options["smooth"] = settings["smooth"]

    def write(path, **export):
        with journal.writing(path):
            overwrite = settings["overwrite"] or journal.owns(path)
            pipeline.export(objects, path, overwrite=overwrite, **export)

    for fmt in settings["formats"]:
        path = asset.output(out_dir, fmt)
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt in ("glb", "gltf"):
            if clip_info:  # one animation per NLA track (the clips), every other setting of the preset kept
                write(path, animations=True, animation_mode="nla_tracks", **options)
            else:
                write(path, animations=False, **options)
        elif fmt == "fbx":
            with _reproducible_fbx_time():
                with _active_clip(objects, None):
                    write(path, animations=False, **options)
                for clip in clip_info:
                    with _active_clip(objects, clip):
                        write(asset.clip_output(out_dir, fmt, clip["name"]), animations=True, **options)
        else:
            write(path, animations=bool(clip_info))
    return list(journal.written)


@contextlib.contextmanager
def _active_clip(objects, clip):
    """While the block runs, every clip track is muted and (``clip`` given) that clip's actions are the active
    shape-key actions with the scene range set to the clip: an FBX take is the active action over the scene range,
    and muted tracks keep the other clips out of it. ``clip=None``: the rest pose alone. Undone afterwards."""
    import bpy

    from .. import compat

    scene = bpy.context.scene
    saved_range = scene.frame_start, scene.frame_end
    muted, assigned, seen = [], [], set()
    for obj in objects:
        key = obj.data.shape_keys
        anim = key.animation_data if key is not None else None
        if anim is None or anim.action is not None or key.as_pointer() in seen:
            continue
        seen.add(key.as_pointer())
        for track in anim.nla_tracks:
            if not track.mute:
                track.mute = True
                muted.append(track)
            if clip is not None and track.name == clip["name"] and track.strips:
                compat.assign_action(key, track.strips[0].action)
                assigned.append(key)
    if clip is not None:
        scene.frame_start, scene.frame_end = 1, int(clip["frames"])
    scene.frame_set(1)
    try:
        yield
    finally:
        for key in assigned:
            key.animation_data.action = None
        for track in muted:
            track.mute = False
        scene.frame_start, scene.frame_end = saved_range
        scene.frame_set(1)
