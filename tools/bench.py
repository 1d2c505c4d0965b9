#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""facemotion benchmarks: every time printed beside a ratio against a named baseline measured in the same run.

    ./facemotion bench [--quick] [--repeat N] [--json OUT]
    .venv/bin/python tools/bench.py [--quick] [--repeat N] [--json OUT]

Sections (stage names as in the table and the JSON):

1. ``rig.<head>.template|landmarks|fit|transfer|total|total_cpu`` -- :func:`facemotion.core.rig.autorig.rig_mesh`'s
   own stage timings (``RigResult.timings``; ``total`` sums every stage it times, ``total_cpu`` is the call's
   ``time.process_time``, which other load on a shared machine barely changes), and ``rig.template_first_use`` (the
   template converted and its landmarks found in an empty user cache, once) on ICT-FaceKit's neutral head read as
   a user mesh (26,719 vertices, vertex and triangle order shuffled so nothing relies on ICT's order; head
   ``ict``) and, unless ``--quick``, on the same head
   midpoint-subdivided once (``tools/rig_accuracy.subdivide``: 105,569 vertices; head ``ict_subdivided``).
   Median of ``--repeat`` runs. Baselines: ``landmarker_512_render`` (one MediaPipe Face Landmarker call on a
   512 px render of the head: MediaPipe's own cost) for the landmark stage and the total; ``kdtree_<N>`` (a scipy
   ``cKDTree`` built over the head's N vertices, then N nearest-neighbour queries) for fit and transfer. The
   subdivided head's stages are also given as ratios against the same stage on the 26,719-vertex head (scaling).
2. ``keyframes.bulk_52x250`` -- :func:`facemotion_addon.keyframes.bake_shape_key_weights` writing 52 ARKit shape
   keys x 250 frames on the ICT head in the bpy module; baseline ``keyframe_insert_52x250``
   (:func:`facemotion_addon.keyframes.bake_with_keyframe_insert`, one ``keyframe_insert`` per key).
3. ``timeline.bake_6s_24fps`` -- :func:`facemotion.core.animation.timeline.bake_timeline` of the demo's 6 s emotion
timeline
   at 24 fps (145 frames; baseline ``linear_crossfade_145x52``: the same key poses linearly interpolated with
   ``np.interp``, the plain cross-fade); ``photo.landmarks_<px>`` -- the Face Landmarker on ``faces/astronaut.png``
   at 512 px and resized to 256 px, and ``photo.drive_<px>`` -- landmarks + ARKit weights + posing the head's shape
   keys (a frame of photo-driven animation); ``photo.every_face_512`` -- the every-face search on the 512 px photo
   (one pass), ``photo.small_face_1024`` -- the same on a 1024 px image whose one face is 64 px tall (the
   small-face search); ``photo.emotion_512`` -- ``classify_image`` on the photo as the CLI's ``emotion`` command
   runs it (the every-face search, each face's mirror view + the fused emotion of every face),
   ``photo.mirror_512`` -- the mirror view of one detected face (the geometric channel's second look: one Face
   Landmarker call on the mirrored crop), and ``photo.classify_512`` -- the fused emotion of one detected face and
   its mirror view (features and geometric model of both, crops, appearance CNNs, pooling; target <= 5 ms), all
   also as ratios to ``photo.landmarks_512`` (one Face Landmarker call on the photo; target for ``emotion``:
   <= 3x); ``photo.appearance_512`` -- its appearance channel alone (mini-Xception + FaceExpressionNet, each on its
   crop and the mirror) and ``photo.fercrop_512`` -- the mini-Xception alone on one crop (the channel before the
   ensemble), ``classify`` and ``appearance`` also as ratios to ``fercrop``; baseline ``landmarker_512_render``.
   Then the papers' figures
   (../shared/RESEARCH.md: Guo 2025, Liao 2025) are printed beside ours, labelled as theirs, on their hardware:
   no ratio is taken against numbers not measured here.
4. ``capture.track|solve|emotion|total_640x480`` -- performance capture per frame of a 640x480 video (the
   ground-truth round trip's clip, :mod:`capture_round_trip`): MediaPipe in VIDEO mode, the landmark solve and
   clean-up (:mod:`facemotion.core.capture.capture`), the emotion track (every ``EMOTION_EVERY``-th frame, against
   the calm frames), and all three, with frames per second; baselines ``landmarker_640x480_frame``
   (one Face Landmarker call in IMAGE mode on a frame of that video) and ``landmarker_512_render``.

``./facemotion bench speech [--repeat N] [--json OUT]`` (a section of its own, run alone; needs ``espeak-ng``):
speech processing as a real-time factor (audio seconds / processing seconds; >= 20 is the issue's bar) on ~20 s
of espeak-ng speech (``tools/speech_samples.LONG_READING``): ``speech.first_call`` (the whole path once, cold:
pocketsphinx's model and dictionary loaded), then warm, run by run with the baseline: ``speech.align`` (forced
alignment with the transcript), ``speech.lipsync`` (coarticulation + rules, from the alignment),
``speech.talking_face`` (read + align + lips + emotion from the transcript's words, the ``speak`` command's core)
``speech.talking_face_no_transcript`` (phone recognition instead) and ``speech.talking_face_cpu`` (the same as
``speech.talking_face`` in CPU seconds, which other work on a shared machine barely changes). Baseline:
``read_resample`` (reading the WAV
and resampling it to 16 kHz mono).

``./facemotion bench batch [--quick] [--json OUT]`` (a section of its own, run alone): heads per minute of
``facemotion batch`` at ``--workers 1`` and ``2`` on ``BATCH_HEADS`` copies of the ICT head (26,719 vertices) and,
unless ``--quick``, of the subdivided head, and output MB per head; baseline: the single-file ``rig`` command (one
process per head, as a shell loop runs it), measured in the same run. Wall-clock times of whole commands.

Cheap measurements (baselines, keyframing, timeline, photo) run ``max(--repeat, CHEAP_RUNS)`` times after one
warm-up call (``TIMELINE_RUNS`` for the sub-millisecond timeline); detectors and the template are loaded before any
timing, so every figure is a warm, steady-state cost. Baselines are sampled next to what they are compared with and
pooled into one median -- the landmarker before, between and after the rigs and call by call with the photo
stages, each kd-tree before and after its head's rigs, ``keyframe_insert`` and the bulk writer run by run, the
cross-fade and the timeline bake run by run -- so other work on a shared machine weighs on both sides of a ratio.

Writes nothing except ``--json OUT`` (and, on a first run, the project's usual derived-data cache, see
:mod:`facemotion.core.io.assets`). Exit code 2 with one line on stderr on a FacemotionError (e.g. missing assets).
"""

import argparse
import contextlib
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

ICT_NEUTRAL = "ict-facekit/FaceXModel/generic_neutral_mesh.obj"
PHOTO = "faces/astronaut.png"
#: Seed of the vertex/triangle shuffles and the random keyframe weights.
SEED = 0
#: Minimum number of timed runs of a cheap measurement (median reported; the machine may be shared, and a median
#: of 20 rides out a burst of slow runs).
CHEAP_RUNS = 20
#: Timed runs of the face search benchmarks (a 1024 px image with a small face takes a few hundred ms).
SEARCH_RUNS = 5
#: Timed runs of the timeline bake and its baseline (each well under a millisecond).
TIMELINE_RUNS = 50
#: Keyframing workload: frames x the 52 ARKit shape keys.
KEY_FRAMES = 250
#: Side of the render shown to the Face Landmarker for the ``landmarker_512_render`` baseline (pixels).
RENDER_PX = 512
#: JSON layout version.
SCHEMA = 1

#: Published figures we compare with (../shared/RESEARCH.md). ``ours``: the stages whose per-frame seconds add up
#: to our figure for the same quantity.
PAPERS = (
    dict(
        paper="Guo 2025",
        figure="time per generated animation frame",
        paper_seconds=0.048,
        note="48 ms (their baselines 45 and 50 ms)",
        ours=("timeline.bake_6s_24fps", "keyframes.bulk_52x250"),
        ours_note="emotion timeline bake + bulk keyframing, per frame",
    ),
    dict(
        paper="Liao 2025",
        figure="landmarks + rigging per frame at 256 px",
        paper_seconds=0.135,
        note="135 ms at 256 px",
        ours=("photo.drive_256",),
        ours_note="Face Landmarker + ARKit weights + shape keys set, 256 px photo",
    ),
    dict(
        paper="Liao 2025",
        figure="landmarks + rigging per frame at 512 px",
        paper_seconds=0.280,
        note="280 ms at 512 px",
        ours=("photo.drive_512",),
        ours_note="Face Landmarker + ARKit weights + shape keys set, 512 px photo",
    ),
    dict(
        paper="Liao 2025",
        figure="rigging one model",
        paper_seconds=12 * 60.0,
        note="12 min AI-assisted (45 min manual)",
        ours=("rig.ict.total",),
        ours_note="rig_mesh on the 26,719-vertex head (landmarks + fit + transfer)",
    ),
)


class Report:
    """Baselines and stages of one run: medians of raw runs, and ratios ``stage seconds / reference seconds``.

    A stage's reference is a baseline or another stage (the scaling ratios of the subdivided head). Baselines may
    be sampled several times through the run (:meth:`add_baseline` again with the same name pools the runs), so
    ratios are taken in :meth:`finish`, once every sample is in."""

    def __init__(self):
        self.baselines = {}
        self.stages = {}
        self.heads = {}
        self.papers = []

    def add_baseline(self, name, what, runs):
        entry = self.baselines.setdefault(name, {"what": what, "seconds": None, "runs": []})
        entry["runs"].extend(runs)
        entry["seconds"] = statistics.median(entry["runs"])

    def seconds(self, name):
        entry = self.baselines.get(name) or self.stages.get(name)
        if entry is None:
            raise KeyError(f"no baseline or stage named {name!r}")
        return entry["seconds"]

    def add_stage(self, name, what, runs, against, *, section, frames=1, **extra):
        """Record a stage: ``runs`` seconds, ``against`` names of baselines/stages to take ratios against."""
        seconds = statistics.median(runs)
        self.stages[name] = {
            "section": section,
            "what": what,
            "seconds": seconds,
            "runs": list(runs),
            "frames": frames,
            "seconds_per_frame": seconds / frames,
            "ratios": dict.fromkeys(against),
            **extra,
        }

    def finish(self):
        """Take every ratio and fill in the papers' rows (ours beside theirs)."""
        for stage in self.stages.values():
            stage["ratios"] = {ref: stage["seconds"] / self.seconds(ref) for ref in stage["ratios"]}
        self.papers = [
            {
                **paper,
                "ours": list(paper["ours"]),
                "ours_seconds": sum(self.stages[name]["seconds_per_frame"] for name in paper["ours"]),
            }
            for paper in PAPERS
            if all(name in self.stages for name in paper["ours"])
        ]

    def to_json(self, options, machine):
        return {
            "schema": SCHEMA,
            "machine": machine,
            "options": options,
            "baselines": self.baselines,
            "heads": self.heads,
            "stages": self.stages,
            "papers": self.papers,
        }


def machine_info():
    import numpy
    import scipy

    info = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }
    if hasattr(os, "sched_getaffinity"):
        info["cpus_usable"] = len(os.sched_getaffinity(0))
    if hasattr(os, "getloadavg"):
        info["load_average_1min"] = os.getloadavg()[0]  # other work on the machine makes every figure noisier
    for module in ("mediapipe", "bpy"):
        if module in sys.modules:
            mod = sys.modules[module]
            info[module] = getattr(mod, "__version__", None) or ".".join(map(str, getattr(mod.app, "version", ())))
    return info


def timed(fn, runs, *, warmup=True):
    """Seconds of ``runs`` calls of ``fn()`` (after one untimed call when ``warmup``)."""
    return interleaved({"fn": fn}, runs, warmup=warmup)["fn"]


def interleaved(fns, runs, *, warmup=True):
    """``{name: seconds of runs calls}`` of several ``fns`` (``{name: fn()}``) called in turn, round by round, so a
    stage and its baseline see the same moments of a shared, noisy machine. One untimed call each first."""
    if warmup:
        for fn in fns.values():
            fn()
    out = {name: [] for name in fns}
    for _ in range(runs):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            out[name].append(time.perf_counter() - start)
    return out


@contextlib.contextmanager
def quiet_stdout():
    """Silence file descriptor 1 (Blender's C code prints importer timings there) so the table stays clean."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def shuffled(vertices, triangles, seed):
    """The same mesh with its vertex order and triangle order shuffled (as ``tools/rig_accuracy`` does)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(vertices))
    tris = np.argsort(order)[triangles]
    return vertices[order], tris[rng.permutation(len(tris))]


def kdtree_baseline(vertices, seed):
    """``fn()`` building a cKDTree over ``vertices`` and querying as many points (the vertices moved by a fixed
    random offset of 0.1 % of the bounding-box diagonal)."""
    import numpy as np
    from scipy.spatial import cKDTree

    diagonal = float(np.linalg.norm(np.ptp(vertices, axis=0)))
    queries = vertices + np.random.default_rng(seed).normal(scale=1e-3 * diagonal, size=vertices.shape)
    return lambda: cKDTree(vertices).query(queries, k=1)


# ------------------------------------------------------------------------------------------------------ 1. rig stages


def bench_rig(report, args):
    from rig_accuracy import subdivide

    from facemotion.core.detect.landmarks import default_detector, default_face_detector
    from facemotion.core.detect.rasterize import OrthoCamera, render
    from facemotion.core.errors import NoFaceError
    from facemotion.core.geometry import MeshProximity
    from facemotion.core.io import assets
    from facemotion.core.io.mesh_io import read_obj
    from facemotion.core.rig.autorig import rig_mesh, template_landmarks
    from facemotion.core.rig.template import load_ict_template

    cheap = max(args.repeat, CHEAP_RUNS)
    cold = cold_template_seconds()
    template = load_ict_template()
    template_landmarks(template)  # cached beside the template; computed here once if not, outside any timing
    mesh = read_obj(assets.asset_path(ICT_NEUTRAL))
    heads = {"ict": shuffled(mesh.vertices, mesh.triangles, SEED)}
    if not args.quick:
        heads["ict_subdivided"] = shuffled(*subdivide(*heads["ict"]), SEED + 1)

    # MediaPipe's own cost: one landmarker call on a frontal render of the head (ICT looks along +Z, +Y up).
    vertices, triangles = heads["ict"]
    camera = OrthoCamera.framing(vertices, (0.0, 0.0, -1.0), (0.0, 1.0, 0.0), size=(RENDER_PX, RENDER_PX))
    image = render(vertices, triangles, camera).image
    detector, face_detector = default_detector(), default_face_detector()
    if not detector.detect(image):
        raise NoFaceError(f"the Face Landmarker found no face on the {RENDER_PX} px render of {ICT_NEUTRAL}")
    face_detector.score(image)  # created and warm before the landmark stage is timed

    def landmarker():
        detector.detect(image)

    def sample_landmarker():
        """More runs of the landmarker baseline, pooled into one median, so a load that comes and goes on a shared
        machine weighs on the baseline as it does on the stages."""
        report.add_baseline(
            "landmarker_512_render",
            f"one MediaPipe Face Landmarker call on a {RENDER_PX} px render of the ICT head "
            "(sampled before, between and after the rigs and beside the photo calls)",
            timed(landmarker, cheap),
        )

    sample_landmarker()
    for head, (vertices, triangles) in heads.items():
        n = len(vertices)
        kd = f"kdtree_{n}"
        kd_what = (
            f"scipy cKDTree build over {n:,} points + {n:,} nearest-neighbour queries (sampled before and "
            "after the head's rigs)"
        )
        kd_fn = kdtree_baseline(vertices, SEED)
        report.add_baseline(kd, kd_what, timed(kd_fn, cheap))
        runs = {"template": [], "landmarks": [], "fit": [], "transfer": [], "total": [], "total_cpu": []}
        result = None
        for _ in range(args.repeat):
            # Every run builds its closest-point structures afresh, as a user's first rig of a mesh does.
            MeshProximity.clear_cache()
            cpu = time.process_time()
            result = rig_mesh(vertices, triangles, template=template)
            runs["total_cpu"].append(time.process_time() - cpu)
            for stage in ("template", "landmarks", "fit", "transfer"):
                runs[stage].append(result.timings[stage])
            # Every stage rig_mesh times (weld and part classification too), as a user waits for them.
            runs["total"].append(sum(result.timings.values()))
        report.add_baseline(kd, kd_what, timed(kd_fn, cheap, warmup=False))  # before and after the rigs
        sample_landmarker()
        report.heads[head] = {
            "vertices": n,
            "triangles": len(triangles),
            "expressions_with_data": len(result.names) - len(result.empty),
        }
        label = f"{n:,} v"
        what = {
            "template": "template + its landmarks loaded (warm: from the cache)",
            "landmarks": f"landmarks on the mesh (render + MediaPipe + back-projection), {label}",
            "fit": f"template fit (similarity + identity, thin-plate warp, non-rigid ICP), {label}",
            "transfer": f"expression transfer (52 ARKit deltas), {label}",
            "total": f"rig_mesh: every stage it times (template, weld, landmarks, fit, parts, transfer), {label}",
            "total_cpu": f"rig_mesh's CPU time (time.process_time, all threads: robust to other load), {label}",
        }
        against = {
            "template": ["landmarker_512_render"],
            "landmarks": ["landmarker_512_render"],
            "fit": [kd],
            "transfer": [kd],
            "total": ["landmarker_512_render"],
            "total_cpu": ["landmarker_512_render"],
        }
        for stage, stage_runs in runs.items():
            refs = against[stage] + ([f"rig.ict.{stage}"] if head != "ict" else [])
            report.add_stage(f"rig.{head}.{stage}", what[stage], stage_runs, refs, section="rig", head=head)
    report.add_stage(
        "rig.template_first_use",
        "first use in a checkout: ICT-FaceKit OBJs converted and cached, "
        "then the template's landmarks found and cached (a built extension ships both)",
        [cold],
        ["landmarker_512_render"],
        section="rig",
        head="ict",
    )
    return landmarker


def cold_template_seconds():
    """Seconds of the template's first use in a checkout (:func:`load_ict_template` converting the OBJs, then
    :func:`template_landmarks`), measured in a fresh, temporary user cache (a checkout has no bundled copy)."""
    import tempfile

    from facemotion.core.io import assets
    from facemotion.core.rig.autorig import template_landmarks
    from facemotion.core.rig.template import load_ict_template

    with tempfile.TemporaryDirectory() as cache:
        assets.set_cache_dir(cache)
        try:
            start = time.perf_counter()
            template_landmarks(load_ict_template())
            return time.perf_counter() - start
        finally:
            assets.set_cache_dir(None)


# ------------------------------------------------------------------------------------------ 2. keyframes (bpy module)


def setup_blender_head():
    """The ICT head imported with Blender's OBJ importer, with 52 ARKit shape keys (zero deltas)."""
    import bpy
    import numpy as np

    from facemotion.core.arkit import ARKIT_NAMES
    from facemotion.core.io import assets
    from facemotion.facemotion_addon import mesh_import, shape_keys

    with quiet_stdout():
        bpy.ops.wm.read_factory_settings(use_empty=True)
        (obj,) = mesh_import.import_mesh_file(assets.asset_path(ICT_NEUTRAL))
    shape_keys.write_shape_keys(obj, np.zeros((len(ARKIT_NAMES), len(obj.data.vertices), 3), np.float32), ARKIT_NAMES)
    return obj


def bench_keyframes(report, args, obj):
    import bpy
    import numpy as np

    from facemotion.core.arkit import ARKIT_NAMES
    from facemotion.core.errors import FacemotionError
    from facemotion.facemotion_addon import compat, keyframes

    key = obj.data.shape_keys
    weights = np.random.default_rng(SEED).random((KEY_FRAMES, len(ARKIT_NAMES)))
    writers = {"bulk": keyframes.bake_shape_key_weights, "insert": keyframes.bake_with_keyframe_insert}
    counted = {}

    def once(kind):
        """Seconds of one bake from a clean state (no action); the keyframes written are counted afterwards."""
        start = time.perf_counter()
        result = writers[kind](obj, weights, ARKIT_NAMES)
        seconds = time.perf_counter() - start
        counted[kind] = sum(len(c.keyframe_points) for c in compat.action_fcurves(result.action, key))
        key.animation_data_clear()
        bpy.data.actions.remove(result.action)
        return seconds

    once("bulk")  # warm-up
    once("insert")
    runs = {"bulk": [], "insert": []}
    for _ in range(max(args.repeat, CHEAP_RUNS)):
        for kind in runs:  # interleaved, so that machine noise hits both writers alike
            runs[kind].append(once(kind))
    expected = KEY_FRAMES * len(ARKIT_NAMES)
    if set(counted.values()) != {expected}:
        raise FacemotionError(f"keyframe writers wrote {counted} keyframes, expected {expected} each")
    report.add_baseline(
        f"keyframe_insert_52x{KEY_FRAMES}",
        f"bake_with_keyframe_insert: 52 shape keys x {KEY_FRAMES} frames, one keyframe_insert each",
        runs["insert"],
    )
    report.add_stage(
        f"keyframes.bulk_52x{KEY_FRAMES}",
        f"bake_shape_key_weights (bulk foreach_set): 52 shape keys x {KEY_FRAMES} frames",
        runs["bulk"],
        [f"keyframe_insert_52x{KEY_FRAMES}"],
        section="keyframes",
        frames=KEY_FRAMES,
        keyframes=counted["bulk"],
    )


# ----------------------------------------------------------------------------------- 3. timeline and the real photo


def bench_timeline_and_photo(report, args, obj, landmarker):
    import cv2
    import numpy as np

    from facemotion.core.animation.demo_timeline import demo_timeline
    from facemotion.core.animation.timeline import bake_timeline, validate_keys
    from facemotion.core.arkit import ARKIT_NAMES
    from facemotion.core.detect.landmarks import FaceLandmarkDetector, default_detector
    from facemotion.core.emotion.classifier import classify_image, default_fused_classifier
    from facemotion.core.emotion.presets import weights_from_blendshape_scores
    from facemotion.core.errors import FacemotionError
    from facemotion.core.io import assets
    from facemotion.core.io.image_io import load_image
    from facemotion.facemotion_addon.shape_keys import set_weights

    detector = default_detector()
    photo = load_image(assets.asset_path(PHOTO))
    # astronaut.png is 512 x 512; INTER_AREA is the usual downscaling filter.
    images = {
        px: photo if photo.shape[:2] == (px, px) else cv2.resize(photo, (px, px), interpolation=cv2.INTER_AREA)
        for px in (512, 256)
    }
    photo_weights = weights_from_blendshape_scores(detector.detect_one(photo, what=PHOTO).blendshapes)

    timeline = demo_timeline(photo_weights)
    frames = len(bake_timeline(**timeline))
    times, poses, _ = validate_keys(timeline["keys"])
    t = np.arange(frames) / timeline["fps"]

    def crossfade():
        return np.stack([np.interp(t, times, poses[:, c]) for c in range(poses.shape[1])], axis=1)

    linear = f"linear_crossfade_{frames}x52"
    runs = interleaved(
        {"crossfade": crossfade, "bake": lambda: bake_timeline(**timeline)}, max(args.repeat, TIMELINE_RUNS)
    )
    report.add_baseline(
        linear,
        f"the demo timeline's key poses linearly interpolated (np.interp), {frames} frames x 52",
        runs["crossfade"],
    )
    report.add_stage(
        "timeline.bake_6s_24fps",
        f"bake_timeline: the demo's 6 s timeline at 24 fps ({frames} frames; easing, blinks)",
        runs["bake"],
        [linear],
        section="timeline",
        frames=frames,
    )

    def drive(image):
        face = detector.detect(image)[0]
        set_weights(obj, weights_from_blendshape_scores(face.blendshapes), ARKIT_NAMES)

    fns = {"render": landmarker}
    for px, image in images.items():
        detector.detect_one(image, what=f"{PHOTO} at {px} px")  # the face must be found at this size
        fns[f"landmarks_{px}"] = lambda image=image: detector.detect(image)
        fns[f"drive_{px}"] = lambda image=image: drive(image)
    # Emotion as `facemotion emotion` runs it (every face found, fused geometry + appearance classifier), the mirror
    # view of one face, and the classification alone after detection (features, geometric model, crop, CNN,
    # pooling; one face and its mirror view).
    fused = default_fused_classifier()
    faces = detector.detect(images[512])
    classify_image(images[512], classifier=fused)  # the multi-face detector created before timing
    fns["emotion_512"] = lambda: classify_image(images[512], classifier=fused)
    views = fused.mirror_views(images[512], faces)
    fns["classify_512"] = lambda: fused.classify_faces(images[512], faces, views)
    # The geometric channel's second look: the face landmarked again on the mirrored photo (one Landmarker call).
    fns["mirror_512"] = lambda: fused.mirror_views(images[512], faces)
    # Its appearance channel alone (two CNNs, each on its crop and the mirror), and the mini-Xception alone on one
    # crop (the appearance channel before the ensemble): what the second model and the mirror cost.
    fns["appearance_512"] = lambda: fused.appearance.predict(images[512], faces)
    fns["fercrop_512"] = lambda: fused.appearance.predict_fer(images[512], faces)
    runs = interleaved(fns, max(args.repeat, CHEAP_RUNS))  # with the baseline, call by call
    report.add_baseline("landmarker_512_render", None, runs.pop("render"))  # pooled with section 1's samples
    what = {
        "landmarks": "Face Landmarker on {photo} at {px} px",
        "drive": "{photo} at {px} px -> landmarks + ARKit weights -> 52 shape keys of the ICT head set",
        "emotion": "classify_image on {photo} at {px} px: detection + fused emotion of every face (the CLI's "
        "emotion command)",
        "classify": "fused emotion of one detected face of {photo} at {px} px and its mirror view (features and "
        "geometric model of both, crops, appearance CNNs, pooling, calibration)",
        "mirror": "the mirror view of one detected face of {photo} at {px} px (one Face Landmarker call on the "
        "mirrored crop)",
        "appearance": "appearance channel on one detected face of {photo} at {px} px (mini-Xception + "
        "FaceExpressionNet, each on its crop and the mirror)",
        "fercrop": "mini-Xception alone on one crop of one detected face of {photo} at {px} px",
    }
    for name, stage_runs in runs.items():
        kind, px = name.split("_")
        against = ["landmarker_512_render"]
        against += ["photo.landmarks_512"] if kind in ("emotion", "classify", "mirror", "appearance", "fercrop") else []
        against += ["photo.fercrop_512"] if kind in ("classify", "appearance") else []
        report.add_stage(f"photo.{name}", what[kind].format(photo=PHOTO, px=px), stage_runs, against, section="photo")

    # The face search (core/detect/landmarks.py) with every face wanted: a 512 px portrait (pass 1 alone), and a
    # 1024 px image whose only face is 64 px tall (passes 1-2 find nothing; the small-face search's tile pyramid).
    import face_composites

    small_face = face_composites.background("clutter", face_composites.CANVAS_SIDE, photo)
    face_composites.paste_face(
        small_face, photo, 64, (0.27 * face_composites.CANVAS_SIDE, 0.31 * face_composites.CANVAS_SIDE)
    )
    with FaceLandmarkDetector(max_faces=None) as every_face:
        if len(every_face.detect(small_face)) != 1:
            raise FacemotionError("the face search missed the 64 px face of the 1024 px benchmark image")
        runs = interleaved(
            {
                "render": landmarker,
                "portrait": lambda: every_face.detect(photo),
                "small": lambda: every_face.detect(small_face),
            },
            max(args.repeat, SEARCH_RUNS),
        )
    report.add_baseline("landmarker_512_render", None, runs.pop("render"))
    report.add_stage(
        "photo.every_face_512",
        f"every-face search on {PHOTO} (512 px, one face)",
        runs["portrait"],
        ["landmarker_512_render"],
        section="photo",
    )
    report.add_stage(
        "photo.small_face_1024",
        "every-face search on a 1024 px image with one 64 px face (tools/face_composites.py)",
        runs["small"],
        ["landmarker_512_render"],
        section="photo",
    )


def bench_capture(report, args):
    """Section 4: performance capture throughput on a 640x480 video (the round trip's rendered clip, scaled up and
    centred; ``tools/capture_round_trip.py``), per frame: tracking (MediaPipe VIDEO mode, forward and backward: two
    Face Landmarker calls a frame), the solve and clean-up, the emotion track of every ``EMOTION_EVERY``-th frame, and
    all three (what ``facemotion capture`` does onto a rig); baselines: one Face Landmarker call (IMAGE mode) on a
    frame of that video, and on the 512 px render."""
    import capture_round_trip
    import cv2
    import numpy as np

    from facemotion.core.capture.capture import EMOTION_EVERY, emotion_track, solve_take, track
    from facemotion.core.capture.solve import LandmarkSolver
    from facemotion.core.capture.sources import ArraySource
    from facemotion.core.capture.tracking import TWO_WAY_CLOCK_SCALE, FaceTracker
    from facemotion.core.detect.landmarks import default_detector

    clip, _, _ = capture_round_trip.render_clip(size=192, seconds=3.0)
    video = np.empty((len(clip), 480, 640, 3), np.uint8)
    video[:] = clip[0, 0, 0]
    for i, frame in enumerate(clip):
        video[i, :, 80:560] = cv2.resize(frame, (480, 480), interpolation=cv2.INTER_LINEAR)
    from facemotion.core.emotion.classifier import default_relative_classifier

    detector, solver = default_detector(), LandmarkSolver()  # loaded before any timing
    classifier = default_relative_classifier()
    report.add_baseline(
        "landmarker_640x480_frame",
        "one MediaPipe Face Landmarker call (IMAGE mode) on a 640x480 frame of the capture video",
        timed(lambda: detector.detect(video[0]), CHEAP_RUNS),
    )
    runs = {"track": [], "solve": [], "emotion": [], "total": []}
    for _ in range(args.repeat):
        with FaceTracker(clock_scale=TWO_WAY_CLOCK_SCALE) as tracker:  # the one track() makes for a video
            start = time.perf_counter()
            tracked = track(ArraySource(video, capture_round_trip.FPS), tracker=tracker, emotion_every=EMOTION_EVERY)
            runs["track"].append((time.perf_counter() - start) / len(video))
        start = time.perf_counter()
        solve_take(tracked, solver=solver)
        runs["solve"].append((time.perf_counter() - start) / len(video))
        start = time.perf_counter()
        emotion_track(tracked, classifier=classifier)
        runs["emotion"].append((time.perf_counter() - start) / len(video))
        runs["total"].append(runs["track"][-1] + runs["solve"][-1] + runs["emotion"][-1])
    what = {
        "track": "MediaPipe Face Landmarker in VIDEO mode, forward and backward, per frame",
        "solve": "landmark solve (bounded least squares) + calibration + One Euro filter, per frame",
        "emotion": f"emotion of every {EMOTION_EVERY}th frame against the calm frames, per video frame",
        "total": "capture per frame: tracking + solve + clean-up + emotion track",
    }
    for name, stage_runs in runs.items():
        report.add_stage(
            f"capture.{name}_640x480",
            f"{what[name]}, 640x480, {len(video)} frames",
            stage_runs,
            ["landmarker_640x480_frame", "landmarker_512_render"],
            section="capture",
            frames_per_second=1.0 / statistics.median(stage_runs),
        )


# ------------------------------------------------------------------------------------------------------------ output


def fmt_seconds(s):
    if s >= 60:
        return f"{s / 60:.1f} min"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} us"


def fmt_ratio(r):
    text = f"{r:.3g}x"
    if r < 0.5:  # small ratios read better as fractions
        text += f" (1/{1 / r:.3g})"
    return text


def print_report(report, options, info):
    cpus = info.get("cpus_usable", info["cpus"])
    load = info.get("load_average_1min", float("nan"))
    print(
        f"facemotion bench: median of {options['repeat']} rig run(s), >= {CHEAP_RUNS} runs of cheap stages; "
        f"{cpus} CPUs usable (1-min load average {load:.1f} at the end), Python {info['python']}, "
        f"numpy {info['numpy']}, scipy {info['scipy']}, mediapipe {info.get('mediapipe', '?')}, "
        f"bpy {info.get('bpy', '-')}"
    )
    print(
        "Every stage is shown with its ratio to baselines measured in this same run (stage seconds / baseline "
        "seconds).\n"
    )
    print("BASELINES")
    width = max(len(n) for n in report.baselines) + 2
    for name, b in report.baselines.items():
        print(f"  {name:<{width}s}{fmt_seconds(b['seconds']):>10s}   {b['what']}")
    sections = (
        ("rig", "1. RIG STAGES (core.rig.autorig.rig_mesh timings)"),
        ("keyframes", "2. KEYFRAMING IN BLENDER (bpy module, ICT head, 52 ARKit shape keys)"),
        ("timeline", "3a. EMOTION TIMELINE (core.animation.timeline.bake_timeline)"),
        ("photo", "3b. REAL PHOTO (faces/astronaut.png)"),
        ("capture", "4. PERFORMANCE CAPTURE (640x480 video, per frame)"),
    )
    width = max(len(n) for n in report.stages) + 2
    for section, title in sections:
        names = [n for n, s in report.stages.items() if s["section"] == section]
        if not names:
            continue
        print(f"\n{title}")
        print(f"  {'stage':<{width}s}{'seconds':>10s}  {'per frame':>10s}   ratio x baseline")
        for name in names:
            s = report.stages[name]
            per_frame = fmt_seconds(s["seconds_per_frame"]) if s["frames"] > 1 else ""
            ratios = ";  ".join(f"{fmt_ratio(r)} {ref}" for ref, r in s["ratios"].items())
            print(f"  {name:<{width}s}{fmt_seconds(s['seconds']):>10s}  {per_frame:>10s}   {ratios}")
            if section == "capture":
                print(f"  {'':<{width}s}{s['frames_per_second']:.1f} frames per second")
            if section == "keyframes":
                (r,) = s["ratios"].values()
                print(
                    f"  {'':<{width}s}bulk writer is {1 / r:.1f}x faster than keyframe_insert "
                    f"({s['keyframes']:,} keyframes each)"
                )
        if section == "rig" and "ict_subdivided" in report.heads:
            big, small = report.heads["ict_subdivided"]["vertices"], report.heads["ict"]["vertices"]
            kd_scaling = report.seconds(f"kdtree_{big}") / report.seconds(f"kdtree_{small}")
            print(
                f"  (rig.ict_subdivided.* against rig.ict.*: vertices x{big / small:.2f}; for scale, the kd-tree "
                f"baseline x{kd_scaling:.2f})"
            )
    if report.papers:
        print(
            "\nPAPERS' NUMBERS (../shared/RESEARCH.md), ON THEIR HARDWARE -- beside ours on this machine; "
            "not the same work or machine, so no ratio"
        )
        for p in report.papers:
            print(
                f"  {p['paper']}, {p['figure']}: theirs {p['note']}; ours {fmt_seconds(p['ours_seconds'])} "
                f"({p['ours_note']})"
            )


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


# --- batch section (``./facemotion bench batch``) ----------------------------------------------------------------

#: Heads per batch in the batch benchmark (copies of one head: the same work each).
BATCH_HEADS = 2


def _write_obj(path, vertices, triangles):
    import numpy as np

    with open(path, "w") as handle:
        handle.write("o head\n")
        np.savetxt(handle, vertices, fmt="v %.6f %.6f %.6f")
        np.savetxt(handle, np.asarray(triangles) + 1, fmt="f %d %d %d")


def _cli(*args):
    """Run facemotion's CLI in a new process (as ``./facemotion`` does); returns (seconds, CompletedProcess)."""
    import subprocess

    command = [sys.executable, str(Path(__file__).resolve().parent / "cli_entry.py"), *map(str, args)]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(f"{' '.join(map(str, args[:2]))} failed: {lines[-1] if lines else done.returncode}")
    return seconds, done


def bench_batch(args):
    """Heads per minute of ``facemotion batch`` at 1 and 2 workers against the single-file ``rig`` command (one
    process per head, as a shell loop would run it), on the ICT head (26,719 vertices) and, unless ``--quick``, the
    same head subdivided once (~105k vertices); output MB per head of both. Returns the JSON-able results."""
    import tempfile

    import numpy as np
    from rig_accuracy import subdivide

    from facemotion.core.io import assets
    from facemotion.core.io.mesh_io import read_obj

    mesh = read_obj(assets.asset_path(ICT_NEUTRAL))
    heads = {"ict": (np.asarray(mesh.vertices), np.asarray(mesh.triangles))}
    if not args.quick:
        heads["ict_subdivided"] = subdivide(*heads["ict"])
    results = {}
    with tempfile.TemporaryDirectory(prefix="facemotion-bench-batch-") as tmp:
        tmp = Path(tmp)
        for name, (vertices, triangles) in heads.items():
            inputs = tmp / name / "in"
            inputs.mkdir(parents=True)
            for i in range(BATCH_HEADS):
                _write_obj(inputs / f"head{i}.obj", vertices, triangles)
            seconds, _ = _cli("-q", "rig", inputs / "head0.obj", "--out", tmp / name / "single.glb")
            entry = {
                "vertices": int(len(vertices)),
                "heads": BATCH_HEADS,
                "rig_command": {
                    "seconds_per_head": seconds,
                    "heads_per_minute": 60.0 / seconds,
                    "mb_per_head": (tmp / name / "single.glb").stat().st_size / 1e6,
                },
            }
            for workers in (1, 2):
                out = tmp / name / f"out{workers}"
                seconds, _ = _cli("-q", "batch", inputs, "--out", out, "--workers", workers)
                summary = json.loads((out / "batch_summary.json").read_text())
                entry[f"batch_{workers}_workers"] = {
                    "seconds": seconds,
                    "heads_per_minute": 60.0 * BATCH_HEADS / seconds,
                    "mb_per_head": summary["output_bytes"] / 1e6 / BATCH_HEADS,
                    "ratio_vs_rig_command": (60.0 * BATCH_HEADS / seconds) / entry["rig_command"]["heads_per_minute"],
                }
            results[name] = entry
            print_batch_entry(name, entry)
    return results


def print_batch_entry(name, entry):
    rig = entry["rig_command"]
    print(f"\nBATCH  {name} ({entry['vertices']:,} vertices, {entry['heads']} heads per batch)")
    print(
        f"  rig command (1 process per head)  {rig['heads_per_minute']:6.2f} heads/min  "
        f"{rig['mb_per_head']:7.2f} MB/head   (baseline)"
    )
    for workers in (1, 2):
        b = entry[f"batch_{workers}_workers"]
        print(
            f"  batch --workers {workers}                  {b['heads_per_minute']:6.2f} heads/min  "
            f"{b['mb_per_head']:7.2f} MB/head   {fmt_ratio(b['ratio_vs_rig_command'])} rig command"
        )


def batch_main(argv):
    """``facemotion bench batch [--quick] [--json OUT]``."""
    parser = argparse.ArgumentParser(prog="facemotion bench batch", description=bench_batch.__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the ~105k-vertex subdivided head")
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    args = parser.parse_args(argv)
    import_facemotion()
    from facemotion.core.io.atomic_io import atomic_write_text

    machine = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }
    print(
        f"facemotion bench batch: {machine['cpus_usable'] or machine['cpus']} CPUs usable; every figure "
        "against the single-file rig command measured in this run"
    )
    try:
        results = bench_batch(args)
    except RuntimeError as exc:
        print(f"facemotion bench batch: error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        atomic_write_text(
            args.json, json.dumps({"schema": SCHEMA, "machine": machine, "batch": results}, indent=1) + "\n"
        )
        print(f"\nwrote {args.json}")
    return 0


# --- speech section (``./facemotion bench speech``) ---------------------------------------------------------------

#: Warm timed runs of each speech stage (each ~1 s on this machine).
SPEECH_RUNS = 5


def bench_speech(report, args, wav):
    """Real-time factors of the speech path on ``wav`` (section docstring). Adds stages to ``report``."""
    import speech_samples

    from facemotion.core.speech.audio import read_audio
    from facemotion.core.speech.lipsync import lip_sync
    from facemotion.core.speech.phones import align_transcript
    from facemotion.core.speech.talking_face import talking_face

    transcript = speech_samples.LONG_READING
    for pause in ("<break time='400ms'/>", "<break time='500ms'/>"):
        transcript = transcript.replace(pause, "")
    start = time.perf_counter()
    samples, duration = read_audio(wav)
    talking_face(samples, 24, transcript=transcript)
    first = time.perf_counter() - start
    alignment = align_transcript(samples, transcript)
    frames = int(duration * 24 + 0.5) + 1
    runs = interleaved(
        {
            "read": lambda: read_audio(wav),
            "align": lambda: align_transcript(samples, transcript),
            "lipsync": lambda: lip_sync(alignment, samples, 24, frames),
            "talking_face": lambda: talking_face(read_audio(wav)[0], 24, transcript=transcript),
            "talking_face_no_transcript": lambda: talking_face(read_audio(wav)[0], 24, emotion="joy"),
        },
        max(args.repeat, SPEECH_RUNS),
    )
    cpu = []
    for _ in range(max(args.repeat, SPEECH_RUNS)):  # CPU seconds: what other load on a shared machine barely changes
        start = time.process_time()
        talking_face(read_audio(wav)[0], 24, transcript=transcript)
        cpu.append(time.process_time() - start)
    runs["talking_face_cpu"] = cpu
    label = f"{duration:.1f}s"
    report.add_baseline(
        "read_resample",
        f"read the {duration:.1f} s espeak-ng WAV (22,050 Hz) and resample it to 16 kHz mono",
        runs.pop("read"),
    )
    whats = {
        "first_call": "read + align + lips + emotion, first call (pocketsphinx model loaded)",
        "align": "forced alignment of the transcript (pocketsphinx, warm decoder)",
        "lipsync": "coarticulation + closures + silences + loudness, from the alignment, 24 fps",
        "talking_face": "read + align + lips + emotion from the transcript's words, 24 fps",
        "talking_face_no_transcript": "read + phone recognition + lips + a named emotion, 24 fps",
        "talking_face_cpu": "talking_face's CPU seconds (time.process_time) instead of wall-clock",
    }
    for name, stage_runs in {"first_call": [first], **runs}.items():
        seconds = statistics.median(stage_runs)
        report.add_stage(
            f"speech.{name}",
            f"{whats[name]} ({label} of speech)",
            stage_runs,
            ["read_resample"],
            section="speech",
            frames=frames,
            audio_seconds=duration,
            realtime=duration / seconds,
        )


def speech_main(argv):
    """``facemotion bench speech [--repeat N] [--json OUT]``."""
    parser = argparse.ArgumentParser(
        prog="facemotion bench speech",
        description="speech processing as a real-time factor (audio seconds / processing seconds)",
    )
    parser.add_argument(
        "--repeat", type=positive_int, default=1, help=f"timed runs per stage (at least {SPEECH_RUNS}; median reported)"
    )
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    args = parser.parse_args(argv)
    import_facemotion()
    import tempfile

    import speech_samples

    from facemotion.core.errors import FacemotionError
    from facemotion.core.io.atomic_io import atomic_write_text

    if not speech_samples.espeak_available():
        print("facemotion bench speech: error: espeak-ng is not installed; apt-get install espeak-ng", file=sys.stderr)
        return 2
    report = Report()
    try:
        with tempfile.TemporaryDirectory(prefix="facemotion-bench-speech-") as tmp:
            wav = speech_samples.speak_to_wav(speech_samples.LONG_READING, Path(tmp) / "reading.wav")
            bench_speech(report, args, wav)
        report.finish()
    except FacemotionError as exc:
        print(f"facemotion bench speech: error: {exc}", file=sys.stderr)
        return 2
    machine = machine_info()
    print(
        f"facemotion bench speech: {machine.get('cpus_usable', machine['cpus'])} CPUs usable (1-min load "
        f"{machine.get('load_average_1min', float('nan')):.1f}), Python {machine['python']}; medians of "
        f"{max(args.repeat, SPEECH_RUNS)} warm runs; ratio = stage seconds / baseline seconds; real time = audio "
        "seconds / stage seconds"
    )
    for name, b in report.baselines.items():
        print(f"  baseline {name:<28s}{fmt_seconds(b['seconds']):>10s}   {b['what']}")
    for name, s in report.stages.items():
        (ratio,) = s["ratios"].values()
        print(
            f"  {name:<37s}{fmt_seconds(s['seconds']):>10s}   {s['realtime']:6.1f}x real time   "
            f"{fmt_ratio(ratio)} read_resample   {s['what']}"
        )
    if args.json:
        atomic_write_text(args.json, json.dumps(report.to_json({"repeat": args.repeat}, machine), indent=1) + "\n")
        print(f"\nwrote {args.json}")
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["batch"], ["--batch"]):
        return batch_main(argv[1:])
    if argv[:1] == ["speech"]:
        return speech_main(argv[1:])
    parser = argparse.ArgumentParser(prog="facemotion bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the ~105k-vertex subdivided head")
    parser.add_argument(
        "--repeat",
        type=positive_int,
        default=1,
        help=f"rig runs per head (median reported; cheap stages run at least {CHEAP_RUNS} times)",
    )
    parser.add_argument("--json", metavar="OUT", help="also write the results as JSON to OUT")
    args = parser.parse_args(argv)

    import_facemotion()
    from facemotion.core.errors import FacemotionError
    from facemotion.core.io.atomic_io import atomic_write_text

    options = {"repeat": args.repeat, "quick": args.quick}
    report = Report()
    try:
        landmarker = bench_rig(report, args)
        import bpy  # noqa: F401  (after the rig stages, which never need it; before the add-on modules)

        obj = setup_blender_head()
        bench_keyframes(report, args, obj)
        bench_timeline_and_photo(report, args, obj, landmarker)
        bench_capture(report, args)
        report.finish()
    except FacemotionError as exc:
        print(f"facemotion bench: error: {exc}", file=sys.stderr)
        return 2
    machine = machine_info()
    print_report(report, options, machine)
    if args.json:
        atomic_write_text(args.json, json.dumps(report.to_json(options, machine), indent=1) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
