# SPDX-License-Identifier: GPL-3.0-or-later
"""``facemotion speak MESH --audio A.wav [--transcript T.txt] [--text "..." | --timeline T.json | --emotion NAME]
--out OUT``: a voice becomes an emotional talking face (:func:`facemotion.core.speech.talking_face.talking_face`).

The speech is processed first (seconds), so a bad audio file, transcript, emotion or option fails before the mesh
is imported or rigged. MESH is rigged unless it already carries the ARKit shape keys (like ``animate``); with
``--visemes`` the 15 ``viseme_*`` keys are added and the speech is keyed on them (the emotion stays on the ARKit
keys). Unless ``-q``, what the speech gave is printed: words aligned, notes (skipped words), and the emotion keys
(time, emotion, level, transition). The output is written atomically; a user's shape keys and actions are never
changed (``--replace-action`` keeps theirs with a fake user).
"""

import argparse
import time
from pathlib import Path

from ...core.errors import FacemotionError, InputError
from .. import compat, console
from ..console import info, print_stage
from .commands import check_mesh_output, face_objects, load_head, naming_input
from .export_arguments import add_output_arguments, export_keywords, smooth_option
from .timeline_file import check_fps_option, read_timeline

#: Largest transcript read (bytes): a transcript is a few kB of text.
MAX_TRANSCRIPT_BYTES = 1024 * 1024


def add_speak_parser(sub):
    """Add the ``speak`` sub-command to the ``sub`` sub-parsers; returns its parser."""
    from ...core.speech.emotion_windows import DEFAULT_TRANSITION_S, DEFAULT_WINDOW_S
    from ...core.speech.talking_face import DEFAULT_MOUTH_DAMPING, EMOTION_SOURCES

    speak = sub.add_parser(
        "speak",
        help="lip sync and emotion from a voice recording, baked on a face and exported",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Align the speech in AUDIO (with its transcript, or by phone recognition), make lip shapes with "
        "coarticulation, add an emotion on the upper face, bake it on MESH and export it.",
        epilog="emotion source (default: the transcript's own words when a transcript is given, else none):\n"
        "  --emotion NAME  one wheel emotion throughout (--level 1-3)\n"
        '  --text "..."    a text direction, e.g. "calm, then slowly angry"\n'
        "  --timeline T    a timeline JSON file (README: Timeline format)\n"
        "  --source prosody --emotion NAME  the voice's arousal sets NAME's level window by window\n"
        "other languages: --model DIR with a PocketSphinx acoustic model, a .dict and a phone language "
        "model\n  (see core/speech/phones.py); nothing is downloaded.",
    )
    speak.add_argument(
        "mesh", help="input mesh (.obj, .glb/.gltf, .fbx, .blend); rigged first if it has no ARKit shape keys"
    )
    speak.add_argument("--audio", required=True, help="the voice: WAV or FLAC (any rate, mono or stereo)")
    speak.add_argument(
        "--transcript",
        default=None,
        metavar="T.txt",
        help="UTF-8 text file of the spoken words (forced alignment; without it phones are recognised)",
    )
    source = speak.add_mutually_exclusive_group()
    source.add_argument("--text", default=None, help="a text direction for the emotion")
    source.add_argument("--timeline", default=None, metavar="T.json", help="an emotion timeline JSON file")
    source.add_argument(
        "--emotion", default=None, metavar="NAME", help="a wheel emotion name (facemotion emotions lists them)"
    )
    speak.add_argument(
        "--source",
        choices=EMOTION_SOURCES,
        default=None,
        help="emotion source when more than one could apply (default: see below)",
    )
    speak.add_argument(
        "--level",
        type=int,
        choices=(1, 2, 3),
        default=2,
        help="intensity level of --emotion (1 mild, 2 basic, 3 intense; default 2)",
    )
    speak.add_argument(
        "--window",
        type=float,
        default=DEFAULT_WINDOW_S,
        help=f"emotion window t in seconds [ECAvatar 2024] (default {DEFAULT_WINDOW_S:g})",
    )
    speak.add_argument(
        "--transition",
        type=float,
        default=DEFAULT_TRANSITION_S,
        help=f"cross-fade t_trans between windows, seconds (default {DEFAULT_TRANSITION_S:g})",
    )
    speak.add_argument(
        "--mouth-damping",
        type=float,
        default=DEFAULT_MOUTH_DAMPING,
        help=f"share of the emotion's mouth shape removed while speaking, 0-1 (default {DEFAULT_MOUTH_DAMPING:g})",
    )
    speak.add_argument(
        "--visemes",
        action="store_true",
        help="add the 15 viseme_* shape keys and key the speech on them (emotion on the ARKit keys)",
    )
    speak.add_argument(
        "--model",
        default=None,
        metavar="DIR",
        help="a user-supplied PocketSphinx model folder (default: the bundled US English)",
    )
    speak.add_argument("--fps", type=float, default=24.0, help="frames per second (default 24)")
    speak.add_argument("--no-blinks", action="store_true", help="no spontaneous blinks")
    speak.add_argument(
        "--replace-action",
        action="store_true",
        help="replace an existing shape-key action that facemotion did not make (it is kept)",
    )
    speak.add_argument(
        "--replace-keys",
        action="store_true",
        help="with --visemes: replace viseme keys facemotion made before (never a user's own)",
    )
    add_output_arguments(speak, required=True)
    return speak


def _read_transcript(path):
    path = Path(path)
    try:
        if path.stat().st_size > MAX_TRANSCRIPT_BYTES:
            raise InputError(
                f"{path}: transcript is larger than {MAX_TRANSCRIPT_BYTES // 1024} KiB; give the spoken words only"
            )
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the transcript ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: the transcript is not UTF-8 text; save it as UTF-8") from None
    if not text.strip():
        raise InputError(f"{path}: the transcript is empty; give the spoken words, or leave --transcript out")
    return text


def _speech(args):
    """Everything that needs no Blender: the talking face (or a one-line InputError)."""
    from ...core.animation.timeline import timeline_from_json
    from ...core.speech.audio import read_audio
    from ...core.speech.phones import speech_model
    from ...core.speech.talking_face import talking_face

    check_fps_option(args.fps)
    transcript = _read_transcript(args.transcript) if args.transcript else None
    timeline = None
    if args.timeline:
        path = Path(args.timeline)
        try:
            timeline = timeline_from_json(read_timeline(path))["keys"]
        except FacemotionError as exc:
            raise type(exc)(f"{path}: {exc}") from None
    model = speech_model(args.model) if args.model else None
    samples, _ = read_audio(args.audio)
    try:
        return talking_face(
            samples,
            args.fps,
            transcript=transcript,
            source=args.source,
            emotion=args.emotion,
            level=args.level,
            text=args.text,
            timeline=timeline,
            window=args.window,
            transition=args.transition,
            mouth_damping=args.mouth_damping,
            blinks=not args.no_blinks,
            model=model,
        )
    except FacemotionError as exc:
        raise type(exc)(f"{Path(args.audio).name}: {exc}") from None


def _report(face):
    """Print what the speech gave (unless -q)."""
    alignment = face.alignment
    spoken = [p for p in alignment.phones if p.phone != "SIL"]
    what = f"{len(alignment.words)} words aligned" if alignment.words else "phones recognised (no transcript)"
    info(
        f"  speech: {face.duration:.2f} s, {what}, {len(spoken)} phones, {len(face.weights)} frames at {face.fps:g} fps"
    )
    for note in face.notes:
        info(f"  note: {note}")
    info(f"  emotion ({face.source}):")
    last = len(face.levels) - 1
    for key in face.keys:
        name = key.emotion if key.emotion is not None else (key.label or "custom")
        level = int(face.levels[min(round(key.time * face.fps), last)])
        info(
            f"    {key.time:6.2f} s  {name:<14s}"
            + (f" level {level}" if level else "")
            + f"  intensity {key.intensity:.2f}  transition {key.transition:.2f} s ({key.easing})"
        )


def cmd_speak(args):
    """Run ``facemotion speak``; returns 0. Raises InputError/FacemotionError with one line."""
    from ...core.speech.talking_face import speech_channels
    from .. import pipeline
    from ..viseme_keys import add_viseme_keys

    out = check_mesh_output(args.out, args.overwrite)
    export_options = export_keywords(args, out)  # bad export flags are refused before any work
    t = time.perf_counter()
    face = _speech(args)
    print_stage("speech", t)
    _report(face)
    loaded = load_head(pipeline, args.mesh)
    objects = face_objects(pipeline, loaded, args.mesh, smooth_option(export_options))
    if args.visemes:
        with naming_input(args.mesh):
            for obj in objects:
                _, missing = add_viseme_keys(obj, replace=args.replace_keys)
                if missing:
                    info(f"  note: '{obj.name}' has no {', '.join(missing)}; its visemes are made without them")
    weights, names = speech_channels(face, "visemes" if args.visemes else "arkit")
    t = time.perf_counter()
    with naming_input(args.mesh), console.progress_bar("bake"):
        pipeline.write_bake(objects, weights, face.fps, replace=args.replace_action, names=names)
    print_stage("bake speech", t)
    if out.suffix.lower() == ".blend":  # the voice in the sequencer, so the .blend plays with sound
        import bpy

        if compat.add_sound_strip(bpy.context.scene, Path(args.audio).stem, Path(args.audio).resolve(), 1) is None:
            info("  note: this Blender has no audio support; the .blend has no sound strip")
    t = time.perf_counter()
    pipeline.export(loaded, out, overwrite=args.overwrite, animations=True, **export_options)
    print_stage(f"write {out.name}", t)
    return 0
