# SPDX-License-Identifier: GPL-3.0-or-later
"""Scene-level steps shared by the CLI, the demo and the operators: load, rig, pose, bake, export.

Each step is a thin wrapper over one module (:mod:`.mesh_import`, :mod:`.rigging`, :mod:`.keyframes`,
:mod:`.export`) that takes Blender objects and plain data.
"""
from pathlib import Path

import bpy
import numpy as np

from ..core.arkit import ARKIT_NAMES
from ..core.errors import InputError
from ..core.animation.timeline import bake_timeline
from . import export as export_module
from .keyframes import bake_objects
from .mesh_import import import_mesh_file
from .rigging import rig_objects
from .shape_keys import set_weights


def load_mesh(path):
    """Import a mesh file into the current scene; returns its mesh objects (raises InputError on bad files)."""
    return import_mesh_file(Path(path))


def rig(objects, *, replace=False, progress=None):
    """Auto-rig ``objects`` (see :func:`.rigging.rig_objects`)."""
    return rig_objects(objects, replace=replace, progress=progress)


def pose(objects, weights):
    """Set the 52 ARKit shape-key values of every object to ``weights`` ``(52,)`` (0..1)."""
    for obj in objects:
        set_weights(obj, np.asarray(weights, dtype=np.float32), ARKIT_NAMES)


def bake(objects, timeline, *, fps=None, replace=False, scene=None, progress=None):
    """Bake a timeline onto the objects' shape keys as keyframes (frame 1 = time 0).

    Args:
        timeline: :func:`facemotion.core.animation.timeline.bake_timeline`'s keyword arguments, as returned by
            :func:`facemotion.core.animation.timeline.timeline_from_json` (``keys``, ``fps``, ``duration``, blink and
            noise settings).
        fps: overrides the timeline's frame rate.
        replace: replace an action on the shape keys that facemotion did not make (kept with a fake user);
            without it such an action raises FacemotionError and nothing is written. facemotion's own actions
            are always replaced.

    Sets the scene's frame rate and frame range to the timeline. Returns the ``(n_frames, 52)`` weights baked.
    """
    weights, rate = bake_weights(timeline, fps=fps, progress=progress)
    write_bake(objects, weights, rate, replace=replace, scene=scene)
    return weights


def bake_weights(timeline, *, fps=None, progress=None):
    """The per-frame ARKit weights of a timeline (pure numpy: safe in a worker thread).

    Returns ``(weights (n_frames, 52) float, fps float)``."""
    settings = dict(timeline)
    if fps is not None:
        settings["fps"] = float(fps)
    if progress is not None:
        progress(0.0, "Sampling the timeline")
    return bake_timeline(**settings), float(settings["fps"])


def write_bake(objects, weights, rate, *, replace=False, scene=None):
    """Key ``weights`` (from :func:`bake_weights`) onto the objects' shape keys from frame 1 and set the scene's frame
    rate and range to them."""
    scene = scene or bpy.context.scene
    bake_objects(objects, weights, ARKIT_NAMES, frame_start=1, replace=replace)
    scene.render.fps = max(1, int(round(rate)))
    scene.render.fps_base = scene.render.fps / rate
    scene.frame_start = 1
    scene.frame_end = len(weights)


def export(objects, path, *, overwrite=False, animations=True):
    """Write ``objects`` to ``path`` by its extension (.glb/.gltf, .fbx, .blend), atomically."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".glb", ".gltf"):
        export_module.export_gltf(path, objects, animations=animations, overwrite=overwrite)
    elif suffix == ".fbx":
        export_module.export_fbx(path, objects, overwrite=overwrite)
    elif suffix == ".blend":
        export_module.save_blend(path, overwrite=overwrite)
    else:
        raise InputError(f"{path}: unsupported output type '{path.suffix}'; use .glb, .gltf, .fbx or .blend")
