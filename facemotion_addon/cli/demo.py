# SPDX-License-Identifier: GPL-3.0-or-later
"""The end-to-end demo (the README's first command).

Takes ICT-FaceKit's neutral head as an ordinary user mesh (imported with Blender's OBJ importer, rigged through the
same landmark -> fit -> transfer path as any mesh) and a real photo; poses the head like the photo, bakes a 6-second
timeline neutral -> photo's expression -> surprise -> sadness -> anger -> neutral at 24 fps, and writes under the
output folder a .blend, a .glb with ARKit morph targets and the animation, and a contact-sheet PNG of key frames.
"""

import time
from pathlib import Path

import bpy
import cv2
import numpy as np

from ...core.animation.demo_timeline import FPS, KEY_TIMES, demo_timeline
from ...core.arkit import ARKIT_NAMES
from ...core.detect.landmarks import default_detector
from ...core.emotion.presets import weights_from_blendshape_scores
from ...core.io import assets
from ...core.io.atomic_io import atomic_write_bytes
from ...core.io.image_io import load_image
from .. import pipeline
from ..console import print_stage as _stage
from ..preview_render import contact_sheet, render_frames


def run_demo(*, mesh=None, photo=None, out_dir=Path("out")):
    """Run the demo; prints each stage's time and returns a dict of the written paths.

    Raises:
        FacemotionError subclasses (missing assets, no face found...) with one-line messages.
    """
    total = time.perf_counter()
    mesh = Path(mesh) if mesh else assets.asset_path("ict-facekit/FaceXModel/generic_neutral_mesh.obj")
    photo = Path(photo) if photo else assets.asset_path("faces/astronaut.png")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"facemotion demo: {mesh.name} + {photo.name} -> {out_dir}/", flush=True)

    bpy.ops.wm.read_factory_settings(use_empty=True)
    t = time.perf_counter()
    objects = pipeline.load_mesh(mesh)
    _stage(f"import {mesh.name}", t)

    t = time.perf_counter()
    result, objects = pipeline.rig(objects, replace=True)
    for stage, seconds in result.timings.items():
        print(f"    {stage:<28s} {seconds:7.2f} s")
    _stage("rig (landmarks, fit, transfer)", t)
    if result.empty:
        print(f"    no template data for: {', '.join(result.empty)} (shape key kept at rest)")

    t = time.perf_counter()
    face = default_detector().detect_one(load_image(photo))
    photo_weights = weights_from_blendshape_scores(face.blendshapes)
    pipeline.pose(objects, photo_weights)
    top = np.argsort(photo_weights)[::-1][:3]
    print("    photo expression: " + ", ".join(f"{ARKIT_NAMES[i]} {photo_weights[i]:.2f}" for i in top))
    _stage("photo landmarks + pose", t)

    t = time.perf_counter()
    timeline = demo_timeline(photo_weights)
    weights = pipeline.bake(objects, timeline)
    _stage(f"bake timeline ({len(weights)} frames)", t)

    paths = {
        "blend": out_dir / "facemotion_demo.blend",
        "glb": out_dir / "facemotion_demo.glb",
        "sheet": out_dir / "facemotion_demo_contact_sheet.png",
    }
    t = time.perf_counter()
    pipeline.export(objects, paths["glb"], overwrite=True, animations=True)
    _stage("write .glb", t)

    t = time.perf_counter()
    landmarks = result.landmarks
    forward, up = _face_axes(result)
    extent = float(np.ptp(landmarks, axis=0).max())
    frames = [1 + round(k * FPS) for k in KEY_TIMES]
    images = render_frames(frames, centre=landmarks.mean(axis=0), forward=forward, up=up, extent=extent)
    labels = [
        f"{k:.1f}s {name}"
        for k, name in zip(KEY_TIMES, ("neutral", "photo", "surprise", "sadness", "anger", "neutral"))
    ]
    sheet = contact_sheet(images, labels)
    ok, png = cv2.imencode(".png", cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    atomic_write_bytes(paths["sheet"], png.tobytes())
    _stage("contact sheet (Cycles CPU)", t)

    t = time.perf_counter()
    bpy.context.scene.frame_set(1)
    pipeline.export(objects, paths["blend"], overwrite=True)
    _stage("write .blend", t)
    print(f"  {'total':<30s} {time.perf_counter() - total:7.2f} s")
    for path in paths.values():
        print(f"  wrote {path}")
    return paths


def _face_axes(result):
    """Forward and up of the face in world space, from the template fit (template +Z forward, +Y up)."""
    rotation = result.fit.rotation
    return rotation @ np.array([0.0, 0.0, 1.0]), rotation @ np.array([0.0, 1.0, 0.0])
