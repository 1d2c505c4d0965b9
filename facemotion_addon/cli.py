# SPDX-License-Identifier: GPL-3.0-or-later
"""The facemotion command line: ``blender --command facemotion ...`` and ``./facemotion ...`` in a checkout.

Every sub-command reports bad input as one line on stderr naming the file and what is wrong, exits non-zero, and
writes no output file (outputs are written atomically, at the end). While a command runs, whatever else is written to
stderr (MediaPipe's / TensorFlow Lite's C++ logging, tracebacks that Blender's importers print before they report a
failure) is held back: it is dropped when the command ends with that one-line error, and passed on otherwise.

``rig`` and ``animate`` start from an empty scene, so the outputs hold only the input file's objects (not Blender's
startup cube, camera and light).

``emotion`` is the exception to "one error line, exit 2" for the images it goes through: a folder of a few thousand
images is one run, so an unreadable image or one without a face is reported on its own output line and the run goes
on (see :func:`cmd_emotion`).
"""
import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from ..core.errors import FacemotionError, InputError
from ..core.io.atomic_io import check_output_file
from . import console, emotion_names, export_presets
from .console import info, print_stage
from . import batch  # noqa: E402  (facemotion batch: its parser and command live there)

EXIT_BAD_INPUT = 2
#: Exit codes of a run stopped by a signal: 128 + the signal number (the shell convention).
EXIT_SIGINT, EXIT_SIGTERM, EXIT_SIGHUP = 130, 143, 129
#: Largest timeline file read (bytes); a timeline is a few kB of JSON.
MAX_TIMELINE_BYTES = 16 * 1024 * 1024


class Terminated(KeyboardInterrupt):
    """Raised in the main thread by the SIGTERM/SIGHUP handlers: a KeyboardInterrupt, so every ``finally`` (the
    atomic writer's temporary file, the staged .gltf folder) runs on the way out, exactly as for Ctrl+C."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def cli_command(argv):
    """Handler of ``blender --command facemotion ARGS`` (registered by ``facemotion.register``): runs :func:`main`
    and returns its exit code."""
    return main(list(argv))


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so usage errors become our one-line messages too."""

    def error(self, message):
        raise InputError(f"{self.prog}: {message} (see --help)")


def _version_text():
    """``facemotion X.Y.Z (Blender A.B.C)``: the extension version from blender_manifest.toml, Blender's own."""
    import tomllib
    try:
        with open(Path(__file__).resolve().parent.parent / "blender_manifest.toml", "rb") as handle:
            version = tomllib.load(handle).get("version", "unknown")
    except (OSError, tomllib.TOMLDecodeError):
        version = "unknown"
    try:
        import bpy
        blender = bpy.app.version_string
    except ImportError:
        blender = "not loaded"
    return f"facemotion {version} (Blender {blender})"


def _verbosity_options(parser, default):
    """-q/-v on the main parser and on every sub-command (the sub-commands' defaults are SUPPRESS so that
    ``facemotion -q rig ...`` is not undone by the sub-parser)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=console.QUIET, default=default,
                       help="print only results and errors (no stage times, no progress bar)")
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=console.VERBOSE,
                       default=default, help="also let MediaPipe/TensorFlow Lite/Blender logging through")


def build_parser():
    parser = _Parser(prog="facemotion", description="Emotion-driven ARKit expression rigs for any face mesh.")
    parser.add_argument("--version", action="store_true", help="print facemotion's and Blender's versions and exit")
    _verbosity_options(parser, console.NORMAL)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = False  # checked in main(), so that `facemotion --version` needs no command

    rig = sub.add_parser("rig", help="auto-rig a face mesh with 52 ARKit shape keys",
                         description="Detect landmarks on MESH, fit the ICT-FaceKit template, write ARKit shape keys.")
    rig.add_argument("mesh", help="input mesh: .obj, .glb/.gltf, .fbx or .blend")
    rig.add_argument("--out", required=True, help="output file: .glb, .gltf, .fbx or .blend")
    rig.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    rig.add_argument("--replace-keys", action="store_true",
                     help="replace shape keys facemotion made before (a user's own keys are never replaced)")
    export_presets.add_export_arguments(rig)

    animate = sub.add_parser("animate", help="bake an emotion timeline (JSON) on a face and export it",
                             description="Rig MESH (or use its existing facemotion shape keys), bake the timeline "
                                         "and export the animation.")
    animate.add_argument("mesh", nargs="?", help="input mesh (.obj, .glb/.gltf, .fbx, .blend); rigged first if it "
                                                 "has no ARKit shape keys (not needed for --save-timeline alone)")
    animate.add_argument("--timeline", default=None, help="timeline JSON file (see README: Timeline format)")
    animate.add_argument("--text", default=None, help="a direction sentence instead of --timeline, e.g. \"start "
                                                      "calm, grow annoyed, then burst into laughter\"")
    animate.add_argument("--save-timeline", default=None, metavar="T.json",
                         help="also write the timeline's keys (README timeline format); without --out, only this")
    animate.add_argument("--out", default=None, help="output file: .glb, .gltf, .fbx or .blend")
    animate.add_argument("--fps", type=float, default=None, help="frames per second (default: the timeline's, or 24)")
    animate.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    animate.add_argument("--replace-action", action="store_true",
                         help="replace an existing shape-key action that facemotion did not make (it is kept)")
    export_presets.add_export_arguments(animate)

    demo = sub.add_parser("demo", help="the end-to-end demo on the bundled ICT head and photo",
                          description="Rig the ICT-FaceKit head as a user mesh, pose it like a photo, bake a 6 s "
                                      "emotion timeline and write .blend, .glb and a contact sheet PNG.")
    demo.add_argument("--mesh", default=None, help="head mesh (default: ICT-FaceKit generic_neutral_mesh.obj)")
    demo.add_argument("--photo", default=None, help="face photo (default: faces/astronaut.png from the assets)")
    demo.add_argument("--out-dir", default="out", help="output folder (default: out)")
    demo.add_argument("--overwrite", action="store_true", default=True, help=argparse.SUPPRESS)

    emotion = sub.add_parser("emotion", help="recognise the emotion of the faces in images",
                             formatter_class=argparse.RawDescriptionHelpFormatter,
                             description="Classify the emotion of every face in an image, or in every image of a "
                                         "folder (walked recursively, sorted by path).",
                             epilog=EMOTION_EPILOG)
    emotion.add_argument("path", metavar="IMAGE_OR_DIR", help="an image file, or a folder of images (png, jpg, tif, "
                                                               "bmp, webp, ...; grey and 16-bit too)")
    emotion.add_argument("--json", action="store_true", help="one JSON object per face (per line) instead of text")
    emotion.add_argument("--model", default=None, help="ONNX emotion model (default: the shipped "
                                                       "models/emotion_classifier.onnx)")
    emotion.add_argument("--max-faces", type=int, default=None, metavar="N",
                         help="most faces classified per image, largest first (default 4; 1 is fastest)")
    for command in (rig, animate, demo, emotion):
        _verbosity_options(command, argparse.SUPPRESS)
    emotion_names.add_emotions_parser(sub, _verbosity_options)
    _verbosity_options(batch.add_batch_parser(sub), argparse.SUPPRESS)
    return parser


EMOTION_EPILOG = """output, one line per face, flushed as it is made:
  text:    PATH: LABEL (intensity 0.73)  neutral 0.02 happy 0.91 sad 0.00 ...   (all 8 classes)
  --json:  {"path": ..., "face": 0, "label": ..., "probabilities": {"neutral": ..., ...}, "intensity": ...,
            "bbox": [x0, y0, x1, y1]}
  Several faces in one image give one line each, "face" 0, 1, ... from the largest (text: "PATH [face k]: ...").
  An unreadable image or one without a face gives one line with "label": null and an "error" (text:
  "PATH: error: ..."), and the run goes on.
  intensity: how strongly the emotion shows, 0..1, as the model defines it (see core/emotion/classifier.py).

exit status: 0 once the images were gone through, even if some had no face or could not be read;
  2 (one error line on stderr) when IMAGE_OR_DIR does not exist, a folder holds no image files, or the model is
  missing or broken (e.g. its metadata does not match the feature spec)."""


def _check_output(path, overwrite):
    return check_output_file(path, (".glb", ".gltf", ".fbx", ".blend"), overwrite=overwrite,
                             what="use .glb, .gltf, .fbx or .blend")


def _read_timeline(path):
    """Parse the timeline JSON file ``path``: UTF-8 (with or without BOM), UTF-16 or UTF-32 with a BOM (what
    Windows PowerShell writes); binary files, huge numbers (1e400, 5000-digit integers) and deeply nested JSON are
    refused with one line. Returns the decoded JSON value. Raises InputError."""
    import codecs
    try:
        size = path.stat().st_size
        if size > MAX_TIMELINE_BYTES:
            raise InputError(f"{path}: timeline file is {size} bytes; a timeline is JSON of at most "
                             f"{MAX_TIMELINE_BYTES // (1024 * 1024)} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read timeline ({exc.strerror or exc})") from None
    boms = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
            (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
    encoding = next((enc for bom, enc in boms if data.startswith(bom)), "utf-8")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file (not valid {encoding.upper()}); a timeline is a JSON text "
                         "file") from None
    if "\x00" in text:
        raise InputError(f"{path}: not a text file (it holds NUL bytes); a timeline is a JSON text file")

    def number(kind):
        def parse(token):
            value = kind(token)
            if not math.isfinite(value):
                raise InputError(f"{path}: number {token[:20]}{'...' if len(token) > 20 else ''} is out of range")
            return value
        return parse

    def integer(token):
        if len(token.lstrip("-")) > 15:
            raise InputError(f"{path}: integer {token[:20]}{'...' if len(token) > 20 else ''} is out of range")
        return int(token)

    try:
        return json.loads(text, parse_float=number(float), parse_int=integer,
                          parse_constant=lambda token: number(float)(token))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise InputError(f"{path}: JSON nested too deeply; a timeline is a flat list of keys") from None


def _load(pipeline, mesh):
    """Load ``mesh`` and return the head's meshes (:func:`.pipeline.load_file`): a .blend is opened whole, so every
    data-block the user had is written back with the result; other files are imported into an empty scene (the home
    file without its objects; the preferences are left alone). Meshes left out of the head (hidden, flat floor
    planes) are named in a note."""
    t = time.perf_counter()
    objects = pipeline.load_file(mesh, note=info)
    print_stage("import", t)
    return objects


@contextlib.contextmanager
def _naming_input(mesh):
    """Prefix the input file's name to errors that do not name it yet (e.g. no face found on the mesh)."""
    name = Path(mesh).name
    try:
        yield
    except FacemotionError as exc:
        if name in str(exc):
            raise
        raise type(exc)(f"{name}: {exc}") from None


def _rig(pipeline, objects, mesh, replace):
    t = time.perf_counter()
    with _naming_input(mesh), console.progress_bar("rig") as progress:
        result, objects = pipeline.rig(objects, replace=replace, progress=progress)
    for stage, seconds in result.timings.items():
        info(f"    {stage:<28s} {seconds:7.2f} s")
    print_stage("rig", t)
    parts = getattr(result, "parts", None)
    if parts is not None:
        info(f"  parts: {parts.summary()}")
    if result.empty:
        info(f"  note: no template data for {', '.join(result.empty)} (kept at rest)")
    return objects


def cmd_rig(args):
    from . import pipeline
    out = _check_output(args.out, args.overwrite)
    export_options = export_presets.export_options(args)  # bad export flags are refused before any work
    loaded = _load(pipeline, args.mesh)
    _rig(pipeline, loaded, args.mesh, args.replace_keys)
    t = time.perf_counter()
    # Everything the file held is written back (a character's body, clothes and props too), rigged or not.
    pipeline.export(loaded, out, overwrite=args.overwrite, animations=False, **export_options)
    print_stage(f"write {out.name}", t)
    return 0


def cmd_animate(args):
    from ..core.animation.timeline import bake_timeline, timeline_from_json
    from . import pipeline
    from .selection import is_rigged
    out = None if args.out is None else _check_output(args.out, args.overwrite)
    export_options = export_presets.export_options(args)  # bad export flags are refused before any work
    if args.fps is not None and not (math.isfinite(args.fps) and args.fps > 0):
        raise InputError(f"--fps must be a number of frames per second > 0, got {args.fps:g}")
    timeline_path, spec = emotion_names.animate_spec(args, _read_timeline)
    try:
        timeline = timeline_from_json(spec)
        # A trial bake (milliseconds): settings only the bake checks (noise amplitude, blink rate) fail here, named
        # against the timeline file, and not after the import and the rig.
        bake_timeline(**{**timeline, **({"fps": args.fps} if args.fps is not None else {})})
    except FacemotionError as exc:
        raise type(exc)(f"{timeline_path}: {exc}") from None
    if out is None:  # --save-timeline alone: no mesh
        return emotion_names.finish_animate(args, timeline, info)
    loaded = _load(pipeline, args.mesh)
    # Meshes that already carry the 52 ARKit keys are the face; other meshes in the file (a body, a floor, props)
    # are not animated but are written back. With none rigged, the file is rigged first, like `rig`.
    rigged = [obj for obj in loaded if is_rigged([obj])]
    if rigged:
        objects = rigged
        info(f"  already rigged: {', '.join(obj.name for obj in rigged)} (not rigged again)")
    else:
        objects = _rig(pipeline, loaded, args.mesh, False)
    t = time.perf_counter()
    with _naming_input(args.mesh), console.progress_bar("bake") as progress:
        pipeline.bake(objects, timeline, fps=args.fps, replace=args.replace_action, progress=progress)
    print_stage("bake timeline", t)
    t = time.perf_counter()
    pipeline.export(loaded, out, overwrite=args.overwrite, animations=True, **export_options)
    print_stage(f"write {out.name}", t)
    return emotion_names.finish_animate(args, timeline, info)


def cmd_demo(args):
    from .demo import run_demo
    # Checked here, before run_demo creates the output folder and spends seconds rigging (it reads the photo last).
    for option, value in (("--mesh", args.mesh), ("--photo", args.photo)):
        if value is not None and not Path(value).is_file():
            raise InputError(f"{value}: file not found (given as {option})")
    run_demo(mesh=args.mesh, photo=args.photo, out_dir=Path(args.out_dir))
    return 0


def _emotion_record(path, face, result, labels):
    """The JSON object of one classified face (probabilities and intensity rounded to 4 decimals)."""
    return {"path": str(path), "face": face, "label": result.label,
            "probabilities": {label: round(float(result.probabilities[label]), 4) for label in labels},
            "intensity": round(float(result.intensity), 4),
            "bbox": [round(float(v), 1) for v in result.face.bbox]}


def _emotion_text(path, face, result, labels, several):
    where = f"{path} [face {face}]" if several else f"{path}"
    scores = " ".join(f"{label} {float(result.probabilities[label]):.2f}" for label in labels)
    return f"{where}: {result.label} (intensity {float(result.intensity):.2f})  {scores}"


def cmd_emotion(args):
    """``facemotion emotion IMAGE_OR_DIR [--json] [--model M] [--max-faces N]`` (output and exit status: see
    :data:`EMOTION_EPILOG`). The detector and the classifier are created once for the whole run; every line is
    flushed as soon as it is written, so a long run can be followed (or piped) as it goes."""
    import cv2

    from ..core.emotion.classifier import DEFAULT_MAX_FACES, EmotionClassifier
    from ..core.emotion.recognition import iter_images, recognize_file
    from ..core.errors import NoFaceError
    from ..core.detect.landmarks import FaceLandmarkDetector

    max_faces = DEFAULT_MAX_FACES if args.max_faces is None else args.max_faces
    if max_faces < 1:
        raise InputError(f"--max-faces must be at least 1, got {max_faces}")
    images = iter_images(args.path)
    if args.model is not None and not Path(args.model).is_file():
        raise InputError(f"{args.model}: model file not found (given as --model)")
    with _naming_input(args.model or "emotion model"):
        classifier = EmotionClassifier(args.model)
    labels = tuple(classifier.labels)
    try:
        with FaceLandmarkDetector(max_faces=max_faces) as detector:
            for path in images:
                try:
                    results = recognize_file(path, detector=detector, classifier=classifier)
                    if not results:
                        raise NoFaceError("no face found; use a well-lit image with a visible, roughly frontal face")
                except (FacemotionError, cv2.error) as exc:
                    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                    if args.json:
                        print(json.dumps({"path": str(path), "face": None, "label": None, "probabilities": None,
                                          "intensity": None, "error": message}), flush=True)
                    else:
                        print(f"{path}: error: {message}", flush=True)
                    continue
                for face, result in enumerate(results):
                    line = json.dumps(_emotion_record(path, face, result, labels)) if args.json else \
                        _emotion_text(path, face, result, labels, len(results) > 1)
                    print(line, flush=True)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly; point stdout at devnull so the interpreter's final
        # flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 0


COMMANDS = {"rig": cmd_rig, "animate": cmd_animate, "demo": cmd_demo, "emotion": cmd_emotion}
COMMANDS["emotions"] = emotion_names.cmd_emotions
COMMANDS["batch"] = batch.cmd_batch


@contextlib.contextmanager
def _held_stderr():
    """Redirect file descriptor 2 (C++ libraries and Python alike) into a temporary file while the block runs.

    What was held back is written to the real stderr afterwards only when the block ends with an unexpected exception
    (a bug: its traceback needs the context) or the CLI is verbose (``-v``); a success, a FacemotionError (which the
    caller reports as one line) and an interruption drop it. The progress bar draws on the real stderr meanwhile. Some libraries log from C++ straight to descriptor 2 (MediaPipe's "Logging
    before InitGoogle()", TensorFlow Lite's delegate messages), and Blender's FBX importer prints a traceback before
    it reports a bad file, so redirecting ``sys.stderr`` alone is not enough.
    """
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no usable descriptor 2 (closed): nothing to hold back
        saved = None
    if saved is None:
        yield
        return
    with tempfile.TemporaryFile() as held, open(saved, "w", closefd=False) as terminal:
        os.dup2(held.fileno(), 2)
        replay = console.verbosity() >= console.VERBOSE
        old_terminal = console.set_terminal(terminal)
        try:
            yield
        except (FacemotionError, KeyboardInterrupt):
            raise
        except BaseException:
            replay = True
            raise
        finally:
            console.set_terminal(old_terminal)
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            if replay:
                held.seek(0)
                with open(2, "wb", closefd=False) as stderr:
                    shutil.copyfileobj(held, stderr)


def _raise_terminated(signum, frame):
    raise Terminated(signum)


@contextlib.contextmanager
def _signal_handlers():
    """SIGTERM and SIGHUP raise :class:`Terminated` in the main thread while the block runs (so temporary files are
    removed on the way out); the previous handlers come back afterwards. Outside the main thread (Blender's
    ``--command`` runs in it, but be safe) nothing is installed."""
    import threading
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = [signal.SIGTERM] + ([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])
    previous = {signum: signal.signal(signum, _raise_terminated) for signum in wanted}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv=None):
    """Run the CLI; returns the process exit code: 0 done; 2 bad input or a failure, with one line on stderr;
    130 interrupted (Ctrl+C, SIGINT), 143 terminated (SIGTERM), 129 hung up (SIGHUP), one line each and no output
    file or temporary file left behind; 1 only for a bug (a traceback)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    old_verbosity = console.verbosity()
    try:
        with _signal_handlers():
            args = build_parser().parse_args(argv)
            if args.version:
                print(_version_text())
                return 0
            if args.command is None:
                raise InputError("a COMMAND is required: rig, animate, demo or emotion (see --help)")
            console.set_verbosity(args.verbosity)
            console.silence_native_logs()
            with _held_stderr():
                return COMMANDS[args.command](args)
    except FacemotionError as exc:
        print(f"facemotion: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help, or argparse's own exit inside Blender's --command handler
        return exc.code if isinstance(exc.code, int) else 0
    except Terminated as exc:
        hangup = exc.signum == getattr(signal, "SIGHUP", None)
        print(f"facemotion: {'hung up' if hangup else 'terminated'}; nothing was written", file=sys.stderr)
        return EXIT_SIGHUP if hangup else EXIT_SIGTERM
    except KeyboardInterrupt:
        print("facemotion: interrupted; nothing was written", file=sys.stderr)
        return EXIT_SIGINT
    finally:
        console.set_verbosity(old_verbosity)
