# SPDX-License-Identifier: GPL-3.0-or-later
"""The facemotion sub-commands ``rig``, ``animate``, ``demo`` and ``emotion`` (``batch`` is :mod:`.batch`,
``emotions`` is :mod:`..emotion_names`); :mod:`.entry` parses the command line and runs one of them.

``rig`` and ``animate`` start from an empty scene, so the outputs hold only the input file's objects (not Blender's
startup cube, camera and light).

``emotion`` is the exception to "one error line, exit 2" for the images it goes through: a folder of a few thousand
images is one run, so an unreadable image or one without a face is reported on its own output line and the run goes
on (see :func:`cmd_emotion`).
"""

import contextlib
import json
import os
import sys
import time
from pathlib import Path

from ...core.errors import FacemotionError, InputError
from ...core.io.atomic_io import check_output_file
from .. import console, emotion_names, shading
from ..console import info, print_stage
from .export_arguments import export_keywords, smooth_option
from .strength_arguments import store_strength_option, strength_option
from .timeline_file import check_fps_option, read_timeline


def check_mesh_output(path, overwrite):
    """``Path`` of a mesh output (.glb, .gltf, .fbx, .blend) of rig, animate, speak or capture, checked before any
    work (:func:`...core.io.atomic_io.check_output_file`: suffix, folder, an existing file without ``overwrite``).
    Raises InputError."""
    from ..pipeline import OUTPUT_SUFFIXES

    return check_output_file(path, OUTPUT_SUFFIXES, overwrite=overwrite)


def load_head(pipeline, mesh):
    """Load ``mesh`` and return the head's meshes (:func:`.pipeline.load_file`): a .blend is opened whole, so every
    data-block the user had is written back with the result; other files are imported into an empty scene (the home
    file without its objects; the preferences are left alone). Meshes left out of the head (hidden, flat floor
    planes) are named in a note."""
    t = time.perf_counter()
    objects = pipeline.load_file(mesh, note=info)
    print_stage("import", t)
    return objects


@contextlib.contextmanager
def naming_input(mesh):
    """Prefix the input file's name to errors that do not name it yet (e.g. no face found on the mesh)."""
    name = Path(mesh).name
    try:
        yield
    except FacemotionError as exc:
        if name in str(exc):
            raise
        raise type(exc)(f"{name}: {exc}") from None


def gaze_style(text):
    """``--gaze``: ``"turn"`` -> the default angles, ``"lids"`` -> ``(0, 0)``, ``"H,V"`` -> two floats (degrees;
    the rig checks their range). Raises InputError for anything else."""
    from ...core.rig.transfer import EYE_LOOK_DEGREES

    styles = {"turn": EYE_LOOK_DEGREES, "lids": (0.0, 0.0)}
    if text in styles:
        return styles[text]
    try:
        h, v = (float(a) for a in str(text).split(","))
    except ValueError:
        raise InputError(f"--gaze {text}: use 'turn', 'lids' or two angles in degrees like '20,15'") from None
    return h, v


def _rig(pipeline, loaded, mesh, replace, gaze=None, smooth=True, drive_bones=False):
    from ..bone_drivers import driven_bones
    from ..rigging import describe_rig

    t = time.perf_counter()
    options = {"smooth_shading": smooth} | ({} if gaze is None else {"gaze": gaze_style(gaze)})
    if drive_bones:
        options["drive_bones"] = True
    _note_flat_normals(loaded, smooth)
    with naming_input(mesh), console.progress_bar("rig") as progress:
        result, objects = pipeline.rig(loaded, replace=replace, progress=progress, **options)
    for stage, seconds in result.timings.items():
        info(f"    {stage:<28s} {seconds:7.2f} s")
    print_stage("rig", t)
    parts = getattr(result, "parts", None)
    if parts is not None:
        info(f"  parts: {parts.summary()}")
        # Which object became what (a character's separate eyes, teeth and tongue, its body and clothes).
        for name, text in describe_rig(loaded, result).items():
            info(f"    {name}: {text}")
    if result.empty:
        info(f"  note: no template data for {', '.join(result.empty)} (kept at rest)")
    if drive_bones:
        for bone, shapes in driven_bones(loaded).items():
            info(f"  bone {bone} driven by {', '.join(shapes)}")
    for warning in getattr(result, "warnings", ()):
        console.warn(f"{Path(mesh).name}: {warning}")
    return objects


def _note_flat_normals(loaded, smooth):
    """One line when meshes of ``loaded`` have custom normals that are all flat (they export ~3x larger)."""
    note = shading.flat_normals_note(loaded, smooth)
    if note:
        info(f"  note: {note}")


def face_objects(pipeline, loaded, mesh, smooth=True):
    """The meshes of ``loaded`` to animate: those that already carry the 52 ARKit keys; with none, the file is
    rigged first, like ``rig`` (``smooth``: smooth-shade its flat meshes). Other meshes in the file (a body, a
    floor, props) are not animated but are written back."""
    from ..selection import is_rigged

    rigged = [obj for obj in loaded if is_rigged([obj])]
    if rigged:
        info(f"  already rigged: {', '.join(obj.name for obj in rigged)} (not rigged again)")
        _note_flat_normals(loaded, smooth)  # the export smooths them (or, with --no-smooth, not)
        return rigged
    return _rig(pipeline, loaded, mesh, False, smooth=smooth)


def cmd_rig(args):
    from .. import pipeline

    out = check_mesh_output(args.out, args.overwrite)
    export_options = export_keywords(args, out)  # bad export flags are refused before any work
    gaze_style(args.gaze)  # a bad --gaze is refused before any work
    strength = strength_option(args)  # a bad --strength too
    loaded = load_head(pipeline, args.mesh)
    rigged = _rig(
        pipeline, loaded, args.mesh, args.replace_keys, args.gaze, smooth_option(export_options), args.drive_bones
    )
    store_strength_option(rigged, strength)
    t = time.perf_counter()
    # Everything the file held is written back (a character's body, clothes and props too), rigged or not.
    pipeline.export(loaded, out, overwrite=args.overwrite, animations=False, **export_options)
    print_stage(f"write {out.name}", t)
    return 0


def cmd_animate(args):
    from ...core.animation.timeline import bake_timeline, timeline_from_json
    from .. import pipeline

    out = None if args.out is None else check_mesh_output(args.out, args.overwrite)
    export_options = export_keywords(args, out)  # bad export flags are refused before any work
    check_fps_option(args.fps)
    timeline_path, spec = emotion_names.animate_spec(args, read_timeline, info)
    try:
        timeline = timeline_from_json(spec)
        # A trial bake (milliseconds): settings only the bake checks (noise amplitude, blink rate) fail here, named
        # against the timeline file, and not after the import and the rig.
        bake_timeline(**{**timeline, **({"fps": args.fps} if args.fps is not None else {})})
    except FacemotionError as exc:
        raise type(exc)(f"{timeline_path}: {exc}") from None
    strength = strength_option(args)  # a bad --strength is refused before any work
    if out is None:  # --save-timeline alone: no mesh
        return emotion_names.finish_animate(args, timeline, info)
    loaded = load_head(pipeline, args.mesh)
    objects = face_objects(pipeline, loaded, args.mesh, smooth_option(export_options))
    store_strength_option(objects, strength)
    t = time.perf_counter()
    with naming_input(args.mesh), console.progress_bar("bake") as progress:
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
    return {
        "path": str(path),
        "face": face,
        "label": result.label,
        "uncertain": bool(result.uncertain),
        "probabilities": {label: round(float(result.probabilities[label]), 4) for label in labels},
        "intensity": round(float(result.intensity), 4),
        "bbox": [round(float(v), 1) for v in result.face.bbox],
        "whole_image": result.face.landmarks is None,
    }


def _emotion_text(path, face, result, labels, several):
    where = f"{path} [face {face}]" if several else f"{path}"
    scores = " ".join(f"{label} {float(result.probabilities[label]):.2f}" for label in labels)
    verdict = f"{result.label}, uncertain" if result.uncertain else result.label
    if result.face.landmarks is None:
        verdict += ", no face found: the whole image read as a face crop"
    return f"{where}: {verdict} (intensity {float(result.intensity):.2f})  {scores}"


def _reference_option(text):
    """``--reference``: "calm" -> "calm", "none" -> None, "FIRST-LAST" -> (first, last). Raises InputError."""
    value = str(text).strip().lower()
    if value in ("calm", "none"):
        return None if value == "none" else "calm"
    first, dash, last = value.partition("-")
    if dash and first.isdigit() and last.isdigit():
        return int(first), int(last)
    raise InputError(f"--reference must be calm, none or a frame range FIRST-LAST (e.g. 0-24), got {text!r}")


def _video_lines(path, args, classifier, reference):
    """``emotion`` on a video: one line per sampled frame (see :data:`.entry.EMOTION_EPILOG`); ``reference`` as
    :func:`~...core.emotion.recognition.video_emotion_track` takes it."""
    from ...core.emotion.recognition import video_emotion_track

    with console.progress_bar(Path(path).name) as progress:
        track = video_emotion_track(path, args.every, progress=progress, classifier=classifier, reference=reference)
    labels = None
    for sample in track:
        labels = labels or (list(sample.probabilities) if sample.probabilities else None)
        if args.json:
            yield json.dumps(
                {
                    "path": str(path),
                    "frame": sample.frame,
                    "time": round(sample.time, 4),
                    "label": sample.label,
                    "uncertain": sample.uncertain,
                    "probabilities": None
                    if sample.probabilities is None
                    else {k: round(v, 4) for k, v in sample.probabilities.items()},
                    "intensity": None if sample.intensity is None else round(sample.intensity, 4),
                    "reference": sample.reference,
                }
            )
            continue
        where = f"{path} frame {sample.frame} ({sample.time:.2f} s)" + (" [reference]" if sample.reference else "")
        if sample.label is None:
            yield f"{where}: no face"
        else:
            scores = " ".join(f"{label} {sample.probabilities[label]:.2f}" for label in labels)
            verdict = f"{sample.label}, uncertain" if sample.uncertain else sample.label
            yield f"{where}: {verdict} (intensity {sample.intensity:.2f})  {scores}"


def _image_lines(images, args, classifier):
    """``emotion`` on images: one line per face, an error line per unreadable or faceless image, and with
    ``--max-faces`` a line with the count of faces left out (see :data:`.entry.EMOTION_EPILOG`)."""
    import cv2

    from ...core.detect.landmarks import FaceLandmarkDetector
    from ...core.emotion.recognition import recognize_file
    from ...core.errors import NoFaceError

    labels = tuple(classifier.labels)
    # Every face is searched for even with --max-faces: the count of those left out is printed.
    with FaceLandmarkDetector(max_faces=None) as detector:
        for path in images:
            try:
                results = recognize_file(path, detector=detector, classifier=classifier)
                if not results:
                    raise NoFaceError("no face found; use a well-lit image with a visible, roughly frontal face")
            except (FacemotionError, cv2.error) as exc:
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if args.json:
                    yield json.dumps(
                        {
                            "path": str(path),
                            "face": None,
                            "label": None,
                            "probabilities": None,
                            "intensity": None,
                            "error": message,
                        }
                    )
                else:
                    yield f"{path}: error: {message}"
                continue
            shown = results[: args.max_faces]
            for face, result in enumerate(shown):
                yield (
                    json.dumps(_emotion_record(path, face, result, labels))
                    if args.json
                    else _emotion_text(path, face, result, labels, len(results) > 1)
                )
            left_out = len(results) - len(shown)
            if left_out:
                yield (
                    json.dumps({"path": str(path), "left_out": left_out, "faces_found": len(results)})
                    if args.json
                    else f"{path}: {left_out} more face(s) left out (--max-faces {args.max_faces}; "
                    f"{len(results)} found)"
                )


def cmd_emotion(args):
    """``facemotion emotion IMAGE_DIR_OR_VIDEO [--json] [--model M] [--max-faces N] [--every N] [--reference R]``
    (output and exit status: see :data:`.entry.EMOTION_EPILOG`). The detector and the classifier are created once
    for the whole run; every line is flushed as soon as it is written, so a long run can be followed (or piped) as
    it goes. A file whose suffix is a video's (:data:`~...core.emotion.recognition.VIDEO_SUFFIXES`) is a video."""
    from ...core.emotion.classifier import RELATIVE_MODEL_PATH, EmotionClassifier, default_fused_classifier
    from ...core.emotion.recognition import VIDEO_SUFFIXES, iter_images

    if args.max_faces is not None and args.max_faces < 1:
        raise InputError(f"--max-faces must be at least 1, got {args.max_faces}")
    if args.every < 1:
        raise InputError(f"--every must be at least 1 (every frame), got {args.every}")
    video = Path(args.path).suffix.lower() in VIDEO_SUFFIXES
    reference = _reference_option(args.reference) if video else None
    images = None if video else iter_images(args.path)
    if args.model is not None and not Path(args.model).is_file():
        raise InputError(f"{args.model}: model file not found (given as --model)")
    model = args.model or (RELATIVE_MODEL_PATH if reference is not None else None)
    with naming_input(model or "emotion model"):
        # Without a model of one's own: geometry + appearance fused (images, videos judged frame by frame alone).
        classifier = EmotionClassifier(model) if model else default_fused_classifier()
    try:
        lines = (
            _video_lines(args.path, args, classifier, reference) if video else _image_lines(images, args, classifier)
        )
        for line in lines:
            print(line, flush=True)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly; point stdout at devnull so the interpreter's final
        # flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 0
