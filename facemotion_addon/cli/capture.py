# SPDX-License-Identifier: GPL-3.0-or-later
"""``facemotion capture INPUT --rig MESH --out OUT``: a filmed performance (a video, or a Live Link Face CSV take)
onto any facemotion rig, or into a Live Link Face CSV.

INPUT: a video (:data:`facemotion.core.capture.sources.VIDEO_SUFFIXES`; tracked with MediaPipe, solved, calibrated,
filtered: :mod:`facemotion.core.capture.capture`) or a ``.csv`` take (read as it is: filtered only with
``--filter``). OUT: ``.glb/.gltf/.fbx/.blend`` (MESH, rigged first unless it has the 52 ARKit keys, with the capture
keyed on its shape keys as its own action, the head's rotation on the mesh or ``--head-bone``, a video's emotion
track as the mesh's ``facemotion_emotion`` property with timeline markers, :mod:`..takes`; ``--background`` shows
the video behind the camera in a .blend) or ``.csv`` (the curves only, Live Link Face's layout, head and eye angles
included; no MESH needed). Same promises as the other commands: one error line and exit 2 for bad input, nothing written
unless all went well, outputs written atomically.
"""

import dataclasses
import math
import time
from contextlib import nullcontext
from pathlib import Path

from ...core.arkit import ARKIT_NAMES
from ...core.errors import InputError
from ...core.io.atomic_io import check_output_file
from .. import console
from ..console import info, print_stage
from .commands import face_objects, load_head, naming_input
from .export_arguments import add_export_arguments, export_keywords, smooth_option
from .strength_arguments import add_strength_arguments, store_strength_option, strength_option

#: Output types: the rig animated, or the curves as a Live Link Face CSV.
OUTPUT_SUFFIXES = (".glb", ".gltf", ".fbx", ".blend", ".csv")


def add_capture_parser(subparsers):
    """Add the ``capture`` sub-command to the CLI's ``subparsers``; returns the sub-parser."""
    from ...core.capture.capture import EMOTION_EVERY
    from ...core.capture.one_euro import DEFAULT_BETA, DEFAULT_D_CUTOFF, DEFAULT_MIN_CUTOFF

    capture = subparsers.add_parser(
        "capture",
        help="a filmed performance (video or Live Link Face CSV) onto a rig, or into a Live Link CSV",
        description="Track the face in a video with MediaPipe (or read a Live Link Face CSV take), solve the 52 "
        "ARKit weights, calibrate, filter, and key them on MESH's shape keys (OUT .glb/.gltf/.fbx/"
        ".blend) or write them as a Live Link Face CSV (OUT .csv).",
    )
    capture.add_argument(
        "input", metavar="INPUT", help="a video (.mp4 .mov .avi .mkv .webm .m4v) or a Live Link Face take (.csv)"
    )
    capture.add_argument(
        "--rig",
        default=None,
        metavar="MESH",
        help="the face to animate (.obj, .glb/.gltf, .fbx, .blend); rigged first if it has no ARKit "
        "shape keys (not needed for a .csv OUT)",
    )
    capture.add_argument(
        "--out",
        required=True,
        help="output: .glb, .gltf, .fbx, .blend (the rig animated) or .csv (Live Link Face curves)",
    )
    capture.add_argument("--fps", type=float, default=None, help="frame rate of the result (default: the source's)")
    capture.add_argument(
        "--source-fps", type=float, default=None, help="the source's frame rate when the file lacks or misstates it"
    )
    capture.add_argument(
        "--landscape",
        action="store_true",
        help="Live Link take filmed in landscape: swap MouthLeft/MouthRight, negate head yaw/pitch",
    )
    capture.add_argument(
        "--neutral",
        type=float,
        nargs=2,
        default=None,
        metavar=("START", "END"),
        help="seconds of a neutral face (default: the calmest half second is found); also zeroes "
        "the head's rotation there",
    )
    capture.add_argument(
        "--no-rescale", action="store_true", help="subtract the neutral only (do not rescale each channel to reach 1.0)"
    )
    capture.add_argument(
        "--filter",
        choices=("on", "off"),
        default=None,
        help="One Euro filter on or off (default: on for a video, off for a Live Link take)",
    )
    capture.add_argument(
        "--min-cutoff",
        type=float,
        default=DEFAULT_MIN_CUTOFF,
        help=f"One Euro minimum cutoff, Hz (default {DEFAULT_MIN_CUTOFF:g})",
    )
    capture.add_argument(
        "--beta", type=float, default=DEFAULT_BETA, help=f"One Euro speed coefficient (default {DEFAULT_BETA:g})"
    )
    capture.add_argument(
        "--d-cutoff",
        type=float,
        default=DEFAULT_D_CUTOFF,
        help=f"One Euro derivative cutoff, Hz (default {DEFAULT_D_CUTOFF:g})",
    )
    capture.add_argument(
        "--gain",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="multiply an ARKit channel, e.g. cheekPuff=3 (repeat for more)",
    )
    capture.add_argument(
        "--offset",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="add to an ARKit channel after the gain, e.g. mouthClose=-0.1 (repeat for more)",
    )
    capture.add_argument(
        "--clamp",
        type=float,
        nargs=2,
        default=(0.0, 1.0),
        metavar=("LOW", "HIGH"),
        help="range every channel is clamped to (default 0 1)",
    )
    capture.add_argument(
        "--head-bone",
        default=None,
        metavar="NAME",
        help="key the head's rotation on this pose bone of MESH's armature (default: on MESH itself)",
    )
    capture.add_argument(
        "--eye-bones",
        nargs=2,
        default=None,
        metavar=("LEFT", "RIGHT"),
        help="key the eyes' rotation on these pose bones (default: the eyes move with the eyeLook* shape keys)",
    )
    capture.add_argument(
        "--eye-objects",
        action="store_true",
        help="turn eyeballs that are separate objects about their own centres by the captured gaze (their eyeLook* "
        "keys then stay at 0, so they do not turn twice; the lids still follow; default: the eyeLook* keys turn them)",
    )
    capture.add_argument("--no-head", action="store_true", help="do not key the head's rotation and position")
    capture.add_argument(
        "--emotion-every",
        type=int,
        default=EMOTION_EVERY,
        metavar="N",
        help=f"classify the emotion of every Nth video frame against the video's calm frames (default {EMOTION_EVERY})",
    )
    capture.add_argument(
        "--no-emotion", action="store_true", help="do not classify the video's emotion (no emotion track, no markers)"
    )
    capture.add_argument(
        "--background", action="store_true", help="a .blend OUT: show the video as the scene camera's background"
    )
    capture.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    capture.add_argument(
        "--replace-action",
        action="store_true",
        help="capture onto shape keys animated by an action facemotion did not make (it is kept)",
    )
    add_strength_arguments(capture)
    add_export_arguments(capture)
    return capture


def _pairs(entries, option):
    """``["jawOpen=2", ...]`` -> ``{"jawOpen": 2.0}``; InputError naming ``option`` for a malformed entry."""
    out = {}
    for entry in entries:
        name, sep, value = entry.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = float(value)
        except ValueError:
            raise InputError(f"{option} takes NAME=VALUE, e.g. {option} jawOpen=1.5; got {entry!r}") from None
        if not math.isfinite(out[name.strip()]):
            raise InputError(f"{option} {entry}: the value must be a finite number")
    return out


def _settings(args, is_video):
    """:class:`CaptureSettings` from the options, every value checked before any work (InputError)."""
    from ...core.capture.calibration import adjust
    from ...core.capture.capture import CaptureSettings
    from ...core.capture.one_euro import OneEuroFilter

    for option, value in (("--fps", args.fps), ("--source-fps", args.source_fps)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise InputError(f"{option} must be a number of frames per second > 0, got {value:g}")
    if args.neutral is not None and not (0 <= args.neutral[0] < args.neutral[1]):
        raise InputError(
            f"--neutral START END must have 0 <= START < END seconds, got {args.neutral[0]:g} {args.neutral[1]:g}"
        )
    filtered = is_video if args.filter is None else args.filter == "on"
    settings = CaptureSettings(
        fps=args.fps,
        neutral=None if args.neutral is None else tuple(args.neutral),
        rescale=not args.no_rescale,
        filter=filtered,
        min_cutoff=args.min_cutoff,
        beta=args.beta,
        d_cutoff=args.d_cutoff,
        gain=_pairs(args.gain, "--gain"),
        offset=_pairs(args.offset, "--offset"),
        clamp=tuple(args.clamp),
    )
    OneEuroFilter(30.0, min_cutoff=settings.min_cutoff, beta=settings.beta, d_cutoff=settings.d_cutoff)
    adjust([[0.0] * 52], gain=settings.gain, offset=settings.offset, clamp=settings.clamp)  # bad names fail now
    return settings


def _take(args, settings, is_video, emotion_every):
    from ...core.capture import live_link
    from ...core.capture.capture import capture, clean_take
    from ...core.capture.sources import open_video

    t = time.perf_counter()
    if not is_video:
        take = clean_take(
            live_link.read_live_link_csv(args.input, fps=args.source_fps, landscape=args.landscape), settings
        )
        print_stage(f"read {Path(args.input).name}", t)
        return take
    with open_video(args.input, fps=args.source_fps) as source, console.progress_bar("capture") as progress:
        info(f"  {Path(args.input).name}: {source.frame_count or '?'} frames at {source.fps:g} fps")
        take = capture(source, settings, emotion_every=emotion_every, progress=progress)
    print_stage("capture", t)
    return take


def cmd_capture(args):
    import bpy

    from ...core.capture import live_link
    from .. import pipeline
    from ..review_camera import video_behind
    from ..takes import write_take

    out = check_output_file(
        args.out, OUTPUT_SUFFIXES, overwrite=args.overwrite, what="use .glb, .gltf, .fbx, .blend or .csv"
    )
    export_options = export_keywords(args, out)  # bad export flags are refused before any work
    source = Path(args.input)
    if not source.is_file():
        raise InputError(f"{source}: no such file; give a video or a Live Link Face .csv take")
    is_video = source.suffix.lower() != ".csv"
    if out.suffix.lower() != ".csv" and args.rig is None:
        raise InputError(f"{out.name}: --rig MESH is needed to write an animated rig (or write a .csv)")
    if args.emotion_every < 1:
        raise InputError(f"--emotion-every must be a whole number of frames >= 1, got {args.emotion_every}")
    if args.background and (out.suffix.lower() != ".blend" or not is_video):
        raise InputError("--background shows the video in a .blend's camera: give a video INPUT and a .blend OUT")
    settings = _settings(args, is_video)
    strength = strength_option(args)  # a bad --strength is refused before any work
    keyed = out.suffix.lower() != ".csv"  # a Live Link CSV has no emotion column: nothing to classify for it
    emotion_every = args.emotion_every if is_video and keyed and not args.no_emotion else None
    with naming_input(args.input):
        take = _take(args, settings, is_video, emotion_every)
    for note in take.notes:
        info(f"  note: {note}")
    info(f"  {len(take)} frames at {take.fps:g} fps")
    t = time.perf_counter()
    if out.suffix.lower() == ".csv":
        if strength is not None:  # no character to store it on: the curves carry it
            take = dataclasses.replace(take, weights=strength.apply(take.weights, ARKIT_NAMES))
        live_link.write_live_link_csv(out, take)
        print_stage(f"write {out.name}", t)
        return 0
    loaded = load_head(pipeline, args.rig)
    objects = face_objects(pipeline, loaded, args.rig, smooth_option(export_options))
    store_strength_option(objects, strength)
    t = time.perf_counter()
    scene = bpy.context.scene
    with naming_input(args.rig), video_behind(scene, source.resolve(), objects) if args.background else nullcontext():
        write_take(
            objects,
            take,
            replace=args.replace_action,
            head=not args.no_head,
            head_bone=args.head_bone,
            eye_bones=args.eye_bones,
            eye_objects=args.eye_objects,
        )
    print_stage("key the capture", t)
    t = time.perf_counter()
    pipeline.export(loaded, out, overwrite=args.overwrite, animations=True, **export_options)
    print_stage(f"write {out.name}", t)
    return 0
