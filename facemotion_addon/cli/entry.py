# SPDX-License-Identifier: GPL-3.0-or-later
"""The facemotion command line: ``blender --command facemotion ...`` and ``./facemotion ...`` in a checkout.

Every sub-command reports bad input as one line on stderr naming the file and what is wrong, exits non-zero, and
writes no output file (outputs are written atomically, at the end). While a command runs, whatever else is written to
stderr (MediaPipe's / TensorFlow Lite's C++ logging, tracebacks that Blender's importers print before they report a
failure) is held back: it is dropped when the command ends with that one-line error, and passed on otherwise.

This module is the entry (parser, :func:`main`, signals; :func:`..console.held_stderr` holds stderr back); the
sub-commands live in :mod:`.commands`, :mod:`.batch` and :mod:`..emotion_names`.
"""

import argparse
import contextlib
import signal
import sys
from pathlib import Path

from ...core import interrupts
from ...core.errors import FacemotionError, InputError
from ...core.io.atomic_io import recorded_placements
from .. import console, emotion_names
from . import batch, capture, commands, preview, speak
from .export_arguments import add_output_arguments
from .strength_arguments import add_strength_arguments

EXIT_BAD_INPUT = 2
#: Exit codes of a run stopped by a signal: 128 + the signal number (the shell convention).
EXIT_SIGINT, EXIT_SIGTERM, EXIT_SIGHUP = 130, 143, 129


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
        with open(Path(__file__).resolve().parents[2] / "blender_manifest.toml", "rb") as handle:
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
    group.add_argument(
        "-q",
        "--quiet",
        dest="verbosity",
        action="store_const",
        const=console.QUIET,
        default=default,
        help="print only results and errors (no stage times, no progress bar)",
    )
    group.add_argument(
        "-v",
        "--verbose",
        dest="verbosity",
        action="store_const",
        const=console.VERBOSE,
        default=default,
        help="also let MediaPipe/TensorFlow Lite/Blender logging through",
    )


def build_parser():
    parser = _Parser(prog="facemotion", description="Emotion-driven ARKit expression rigs for any face mesh.")
    parser.add_argument("--version", action="store_true", help="print facemotion's and Blender's versions and exit")
    _verbosity_options(parser, console.NORMAL)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = False  # checked in main(), so that `facemotion --version` needs no command

    rig = sub.add_parser(
        "rig",
        help="auto-rig a face mesh with 52 ARKit shape keys",
        description="Detect landmarks on MESH, fit the ICT-FaceKit template, write ARKit shape keys.",
    )
    rig.add_argument("mesh", help="input mesh: .obj, .glb/.gltf, .fbx or .blend")
    rig.add_argument(
        "--replace-keys",
        action="store_true",
        help="replace shape keys facemotion made before (a user's own keys are never replaced)",
    )
    rig.add_argument(
        "--gaze",
        default="turn",
        metavar="STYLE",
        help="gaze style of eyeLook*: 'turn' (default: eyeballs turn 30 deg horizontally, 25 vertically), "
        "'lids' (lids only, for eyes driven by bones or ARKit's eye transforms) or 'H,V' degrees",
    )
    add_strength_arguments(rig)
    rig.add_argument(
        "--drive-bones",
        action="store_true",
        help="a character skinned to an armature with jaw / eye bones (jaw, eye.L, CC_Base_JawRoot, lEye...): "
        "jawOpen and eyeLook* turn those bones (Blender drivers) instead of turning teeth and eyeballs in the keys",
    )
    add_output_arguments(rig, required=True)

    animate = sub.add_parser(
        "animate",
        help="bake an emotion timeline (JSON) on a face and export it",
        description="Rig MESH (or use its existing facemotion shape keys), bake the timeline and export the animation.",
    )
    animate.add_argument(
        "mesh",
        nargs="?",
        help="input mesh (.obj, .glb/.gltf, .fbx, .blend); rigged first if it "
        "has no ARKit shape keys (not needed for --save-timeline alone)",
    )
    animate.add_argument("--timeline", default=None, help="timeline JSON file (see README: Timeline format)")
    animate.add_argument(
        "--text",
        default=None,
        help='a direction sentence instead of --timeline, e.g. "start calm, grow annoyed, then burst into laughter"',
    )
    animate.add_argument(
        "--save-timeline",
        default=None,
        metavar="T.json",
        help="also write the timeline's keys (README timeline format); without --out, only this",
    )
    animate.add_argument("--fps", type=float, default=None, help="frames per second (default: the timeline's, or 24)")
    animate.add_argument(
        "--replace-action",
        action="store_true",
        help="replace an existing shape-key action that facemotion did not make (it is kept)",
    )
    add_strength_arguments(animate)
    add_output_arguments(animate, required=False)

    demo = sub.add_parser(
        "demo",
        help="the end-to-end demo on the bundled ICT head and photo",
        description="Rig the ICT-FaceKit head as a user mesh, pose it like a photo, bake a 6 s "
        "emotion timeline and write .blend, .glb and a contact sheet PNG.",
    )
    demo.add_argument("--mesh", default=None, help="head mesh (default: ICT-FaceKit generic_neutral_mesh.obj)")
    demo.add_argument("--photo", default=None, help="face photo (default: faces/astronaut.png from the assets)")
    demo.add_argument("--out-dir", default="out", help="output folder (default: out)")
    demo.add_argument("--overwrite", action="store_true", default=True, help=argparse.SUPPRESS)

    emotion = sub.add_parser(
        "emotion",
        help="recognise the emotion of the faces in images and videos",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Classify the emotion of every face in an image, in every image of a "
        "folder (walked recursively, sorted by path), or of the largest face in "
        "every Nth frame of a video.",
        epilog=EMOTION_EPILOG,
    )
    emotion.add_argument(
        "path",
        metavar="IMAGE_DIR_OR_VIDEO",
        help="an image file, a folder of images (png, jpg, tif, bmp, webp, ...; grey and 16-bit "
        "too), or a video file (mp4, mov, avi, mkv, webm, ...)",
    )
    emotion.add_argument(
        "--json", action="store_true", help="one JSON object per face or frame (per line) instead of text"
    )
    emotion.add_argument(
        "--model",
        default=None,
        help="ONNX geometric emotion model used alone (default: the "
        "shipped models, geometry + appearance fused; for a video "
        "with a reference models/emotion_classifier_relative.onnx)",
    )
    emotion.add_argument(
        "--max-faces",
        type=int,
        default=None,
        metavar="N",
        help="images: print the N largest faces and how many more were left out (default: every face)",
    )
    emotion.add_argument(
        "--every",
        type=int,
        default=5,
        metavar="N",
        help="videos: classify every Nth frame (default 5, as the Recognize panel; 1: every frame)",
    )
    emotion.add_argument(
        "--reference",
        default="calm",
        metavar="calm|none|FIRST-LAST",
        help="videos: judge each frame against the actor's calm frames, found automatically "
        "(calm, the default), against the frames FIRST-LAST (indices from 0), or alone (none)",
    )
    for command in (rig, animate, demo, emotion):
        _verbosity_options(command, argparse.SUPPRESS)
    emotion_names.add_emotions_parser(sub, _verbosity_options)
    _verbosity_options(batch.add_batch_parser(sub), argparse.SUPPRESS)
    _verbosity_options(capture.add_capture_parser(sub), argparse.SUPPRESS)
    _verbosity_options(preview.add_preview_parser(sub), argparse.SUPPRESS)
    _verbosity_options(speak.add_speak_parser(sub), argparse.SUPPRESS)
    return parser


EMOTION_EPILOG = """output, one line per face (images) or per sampled frame (videos), flushed as it is made:
  text:    PATH: LABEL (intensity 0.73)  neutral 0.02 happy 0.91 sad 0.00 ...   (all 8 classes)
           PATH: LABEL, uncertain (...)   when the top class is not clearly ahead (see uncertain below)
  --json:  {"path": ..., "face": 0, "label": ..., "uncertain": false, "probabilities": {"neutral": ..., ...},
            "intensity": ..., "bbox": [x0, y0, x1, y1], "whole_image": false}
  A small image (up to 128 px, about square) in which no face is found is read whole as a face crop by the
  appearance channel alone: "whole_image": true, always uncertain (text: "..., no face found: the whole image read
  as a face crop").
  Several faces in one image give one line each, "face" 0, 1, ... from the largest (text: "PATH [face k]: ...").
  With --max-faces N and more faces found, one more line says how many were left out (text: "PATH: K more
  face(s) left out"; --json: {"path": ..., "left_out": K, "faces_found": M}).
  An unreadable image or one without a face gives one line with "label": null and an "error" (text:
  "PATH: error: ..."), and the run goes on.
  Videos: the largest face of every Nth frame, judged against the actor's calm frames (see --reference):
  text:    PATH frame 10 (0.40 s): LABEL (intensity 0.73)  neutral 0.02 ...   ("[reference]" on the calm frames)
  --json:  {"path": ..., "frame": 10, "time": 0.4, "label": ..., "uncertain": false, "probabilities": {...},
            "intensity": ..., "reference": false}; a frame without a face has "label": null.
  uncertain: the top probability is less than 0.2 ahead of the second, or (photos) the pooled label is the top
  class of neither the geometric nor the appearance channel or neither backs it (core/emotion/fusion.py), or the
  whole image was read as a face crop; the label and probabilities are still given, but should not be acted on
  alone (the video track keys no emotion from them).
  intensity: how strongly the emotion shows, 0..1, as the model defines it (see core/emotion/classifier.py).

exit status: 0 once the images or frames were gone through, even if some had no face or could not be read;
  2 (one error line on stderr) when IMAGE_DIR_OR_VIDEO does not exist, a folder holds no image files, a video
  cannot be read, an option is out of range, or the model is missing or broken (e.g. its metadata does not match
  the feature spec)."""


COMMANDS = {
    "rig": commands.cmd_rig,
    "animate": commands.cmd_animate,
    "demo": commands.cmd_demo,
    "emotion": commands.cmd_emotion,
}
COMMANDS["emotions"] = emotion_names.cmd_emotions
COMMANDS["batch"] = batch.cmd_batch
COMMANDS["capture"] = capture.cmd_capture
COMMANDS["preview"] = preview.cmd_preview
COMMANDS["speak"] = speak.cmd_speak


def _raise_terminated(signum, frame):
    interrupts.ask_to_stop(signum, _raise_terminated)
    raise Terminated(signum)


def _raise_interrupted(signum, frame):
    interrupts.ask_to_stop(signum, _raise_interrupted)
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signal_handlers():
    """SIGTERM and SIGHUP raise :class:`Terminated`, SIGINT KeyboardInterrupt (when Python's default handler has it:
    an ignored Ctrl+C stays ignored), in the main thread while the block runs, so temporary files are removed on the
    way out; the previous handlers come back afterwards. Each handler also notes the stop
    (:func:`...core.interrupts.ask_to_stop`): one whose exception a finaliser swallowed is raised again at the next
    stage boundary or output rename. Outside the main thread (Blender's ``--command`` runs in it, but be safe)
    nothing is installed."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    wanted = {signal.SIGTERM: _raise_terminated}
    if hasattr(signal, "SIGHUP"):
        wanted[signal.SIGHUP] = _raise_terminated
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        wanted[signal.SIGINT] = _raise_interrupted
    previous, previous_hook = {}, sys.unraisablehook

    def unraisable(info):
        # The interruption a finaliser swallowed is noted and raised again: its "Exception ignored" report would
        # break the one-line promise (stderr is not yet held while the command line is read).
        if not issubclass(info.exc_type, KeyboardInterrupt):
            previous_hook(info)

    sys.unraisablehook = unraisable
    try:
        for signum, handler in wanted.items():  # inside the try: a signal meanwhile still puts back the ones swapped
            previous[signum] = signal.signal(signum, handler)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sys.unraisablehook = previous_hook
        interrupts.forget_stop()


def _left_behind(interruption, placed):
    """What an interrupted command leaves: the last note a command added to the exception (PEP 678; a batch's heads
    finished before the signal), or to the interruption a second signal cut short; else the outputs ``placed``
    before the signal came (finished files are kept; :func:`...core.io.atomic_io.recorded_placements`), else
    nothing."""
    while isinstance(interruption, KeyboardInterrupt):
        notes = getattr(interruption, "__notes__", None)
        if notes:
            return notes[-1]
        interruption = interruption.__context__
    kept = list(dict.fromkeys(placed))  # in order, each once
    if kept:
        return f"{', '.join(map(str, kept))} {'was' if len(kept) == 1 else 'were'} finished before the signal and kept"
    return "nothing was written"


def _wrapped_interruption(exc):
    """The KeyboardInterrupt (or :class:`Terminated`) an exception was raised from or during, else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return exc
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _interrupted(exc, placed):
    """One line for an interruption and its exit code: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP)."""
    if isinstance(exc, Terminated):
        hangup = exc.signum == getattr(signal, "SIGHUP", None)
        print(f"facemotion: {'hung up' if hangup else 'terminated'}; {_left_behind(exc, placed)}", file=sys.stderr)
        return EXIT_SIGHUP if hangup else EXIT_SIGTERM
    print(f"facemotion: interrupted; {_left_behind(exc, placed)}", file=sys.stderr)
    return EXIT_SIGINT


def main(argv=None):
    """Run the CLI; returns the process exit code: 0 done; 2 bad input or a failure, with one line on stderr;
    130 interrupted (Ctrl+C, SIGINT), 143 terminated (SIGTERM), 129 hung up (SIGHUP), one line each and no output
    file or temporary file left behind (a batch's heads finished before the signal stay: the interruption's last
    note, added by the command, says what it leaves); 1 only for a bug (a traceback)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    old_verbosity = console.verbosity()
    placed = []  # the outputs in place when a signal comes (rebound by recorded_placements)
    try:
        with _signal_handlers(), recorded_placements() as placed:
            args = build_parser().parse_args(argv)
            if args.version:
                print(_version_text())
                return 0
            if args.command is None:
                raise InputError("a COMMAND is required: rig, animate, capture, speak, demo or emotion (see --help)")
            console.set_verbosity(args.verbosity)
            console.silence_native_logs()
            with console.held_stderr():
                return COMMANDS[args.command](args)
    except FacemotionError as exc:
        print(f"facemotion: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SystemExit as exc:  # --help, or argparse's own exit inside Blender's --command handler
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt as exc:
        return _interrupted(exc, placed)
    except Exception as exc:
        # A signal inside a library's import or class creation reaches us wrapped (Python turns a KeyboardInterrupt
        # in ``__set_name__`` into a RuntimeError): still an interruption, not a bug.
        interruption = _wrapped_interruption(exc)
        if interruption is None:
            raise
        return _interrupted(interruption, placed)
    finally:
        console.set_verbosity(old_verbosity)
