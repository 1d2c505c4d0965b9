# SPDX-License-Identifier: GPL-3.0-or-later
"""Scene-level steps shared by the CLI, the demo and the operators: load, rig, pose, bake, export.

Each step is a thin wrapper over one module (:mod:`.mesh_import`, :mod:`.rigging`, :mod:`.keyframes`,
:mod:`.export`) that takes Blender objects and plain data.
"""

from pathlib import Path

import bpy
import numpy as np

from ..core.animation.keys import timeline_bezier_keys
from ..core.animation.timeline import bake_timeline
from ..core.arkit import ARKIT_NAMES
from ..core.errors import InputError
from ..core.io.atomic_io import check_output_file
from ..core.rig.transfer import EYE_LOOK_DEGREES
from . import export as export_module
from .keyframes import bake_objects, push_to_nla
from .mesh_import import head_meshes, import_mesh_file, open_blend
from .rigging import rig_objects
from .shape_keys import set_weights


def load_mesh(path):
    """Import a mesh file into the current scene; returns its mesh objects (raises InputError on bad files)."""
    return import_mesh_file(Path(path))


def load_file(path, note=None):
    """Load ``path`` for rigging and return the head's mesh objects (:func:`.mesh_import.head_meshes`).

    A ``.blend`` is opened as the current file (every data-block of the user's file stays, so saving it back loses
    nothing); other formats are imported into an empty scene (the home file without its objects). ``note(text)``
    receives one line per mesh left out of the head. Raises InputError on bad files.
    """
    path = Path(path)
    if path.suffix.lower() == ".blend" and not path.is_dir():
        objects = open_blend(path)
    else:
        bpy.ops.wm.read_homefile(use_empty=True)
        objects = load_mesh(path)
    head, _left_out = head_meshes(objects, note=note)
    return head


def rig(objects, *, replace=False, progress=None, gaze=EYE_LOOK_DEGREES, smooth_shading=True, drive_bones=False):
    """Auto-rig ``objects`` (see :func:`.rigging.rig_objects`; ``gaze``: (horizontal, vertical) degrees the eyeballs
    turn in eyeLook*, ``(0, 0)`` lids only; ``smooth_shading``: smooth-shade the flat meshes rigged; ``drive_bones``:
    jawOpen and eyeLook* turn the character's jaw and eye bones)."""
    return rig_objects(
        objects,
        replace=replace,
        progress=progress,
        gaze=gaze,
        smooth_shading=smooth_shading,
        drive_bones=drive_bones,
    )


def pose(objects, weights):
    """Set the 52 ARKit shape-key values of every object to ``weights`` ``(52,)`` (0..1)."""
    for obj in objects:
        set_weights(obj, np.asarray(weights, dtype=np.float32), ARKIT_NAMES)


def bake(
    objects,
    timeline,
    *,
    fps=None,
    replace=False,
    scene=None,
    progress=None,
    frame_start=1,
    set_frame_range=True,
    sparse=False,
    push_nla=False,
):
    """Bake a timeline onto the objects' shape keys as keyframes (``frame_start`` = time 0).

    Args:
        timeline: :func:`facemotion.core.animation.timeline.bake_timeline`'s keyword arguments, as returned by
            :func:`facemotion.core.animation.timeline.timeline_from_json` (``keys``, ``fps``, ``duration``, blink and
            noise settings).
        fps: overrides the timeline's frame rate.
        replace: replace an action on the shape keys that facemotion did not make (kept with a fake user);
            without it such an action raises FacemotionError and nothing is written. facemotion's own actions
            are always replaced.
        frame_start, set_frame_range, sparse, push_nla: as :func:`write_bake`. The defaults (frame 1, set the
            range, a key per frame) are the CLI's: a fresh scene exported as a whole.

    Sets the scene's frame rate (and, with ``set_frame_range``, its range). Returns the ``(n_frames, 52)`` weights.
    """
    weights, rate, curves = compute_bake(timeline, fps=fps, sparse=sparse, progress=progress)
    write_bake(
        objects,
        weights,
        rate,
        replace=replace,
        scene=scene,
        frame_start=frame_start,
        set_frame_range=set_frame_range,
        sparse=sparse,
        push_nla=push_nla,
        curves=None if curves is None else [curves] * len(objects),
    )  # the same curves for every object
    return weights


def compute_bake(timeline, *, fps=None, sparse=False, progress=None):
    """The computing half of :func:`bake` (pure numpy: safe in a worker thread, as the Bake operator runs it).

    Returns ``(weights (n_frames, 52) float, fps float, curves)``: ``curves`` is None, or with ``sparse`` the 52
    :class:`facemotion.core.animation.keys.BezierKeys` placed at the timeline's emotion keys and blinks, for
    :func:`write_bake`."""
    weights, rate = bake_weights(timeline, fps=fps, progress=progress)
    if not sparse:
        return weights, rate, None
    if progress is not None:
        progress(0.5, "Fitting Bezier keys")
    return weights, rate, timeline_bezier_keys(dict(timeline, fps=rate), weights)


def bake_weights(timeline, *, fps=None, progress=None):
    """The per-frame ARKit weights of a timeline (pure numpy: safe in a worker thread).

    Returns ``(weights (n_frames, 52) float, fps float)``."""
    settings = dict(timeline)
    if fps is not None:
        settings["fps"] = float(fps)
    if progress is not None:
        progress(0.0, "Sampling the timeline")
    return bake_timeline(**settings), float(settings["fps"])


def write_bake(
    objects,
    weights,
    rate,
    *,
    replace=False,
    scene=None,
    frame_start=1,
    set_frame_range=True,
    sparse=False,
    push_nla=False,
    curves=None,
    action_name=None,
    names=ARKIT_NAMES,
):
    """Key ``weights`` (from :func:`bake_weights`) onto the objects' shape keys, row 0 at ``frame_start``.

    Args:
        weights: one ``(n_frames, 52)`` array for every object, or a list with one such array per object (each
            face baked with its own timeline; lengths may differ).
        frame_start: scene frame of the timeline's time 0 (int).
        set_frame_range: also set the scene's range to ``frame_start .. frame_start + n - 1`` (n: the longest
            bake); off, the range is left as it is (a shot's range is the user's).
        sparse: eased Bezier keys at the timeline's keys and blinks, plus extra keys only where needed, within
            1e-3 of every frame (:func:`facemotion.core.animation.keys.bezier_keys`) instead of one key per
            frame.
        curves: with ``sparse``, optional precomputed Bezier keys, one list of 52
            :class:`facemotion.core.animation.keys.BezierKeys` per object (from
            :func:`~facemotion.core.animation.keys.timeline_bezier_keys`, which places keys at the timeline's
            emotion keys and blinks); without them each curve is fitted from its samples alone.
        push_nla: push each baked action to a strip at ``frame_start`` on the ``facemotion`` NLA track and
            unassign it (:func:`.keyframes.push_to_nla`), so the next bake makes a new action.
        action_name: see :func:`.keyframes.bake_objects` (None: ``facemotion_<object name>``).
        names: the shape key of each column of ``weights`` (default the 52 ARKit names; speech on viseme keys
            adds the 15 ``viseme_*`` names).

    The scene's frame rate is always set to ``rate`` (the keys are per frame at that rate).
    Returns the list of :class:`.keyframes.BakeResult`.
    """
    scene = scene or bpy.context.scene
    frame_start = int(frame_start)
    per_object = isinstance(weights, (list, tuple))
    if per_object and len(weights) != len(objects):
        raise InputError(f"write_bake got {len(weights)} weight arrays for {len(objects)} objects; pass one each")
    results = bake_objects(
        objects,
        weights,
        names,
        frame_start=frame_start,
        replace=replace,
        sparse=sparse,
        curves=curves,
        action_name=action_name,
    )
    n_frames = max(len(w) for w in weights) if per_object else len(weights)
    scene.render.fps = max(1, int(round(rate)))
    scene.render.fps_base = scene.render.fps / rate
    if set_frame_range:
        scene.frame_start = frame_start
        scene.frame_end = frame_start + n_frames - 1
    if push_nla:
        seen = set()
        for obj in objects:
            key = obj.data.shape_keys
            if key.as_pointer() not in seen:
                seen.add(key.as_pointer())
                push_to_nla(obj, frame_start)
    return results


#: The file types :func:`export` writes.
OUTPUT_SUFFIXES = (".glb", ".gltf", ".fbx", ".blend")


def export(objects, path, *, overwrite=False, animations=True, preset=None, **options):
    """Write ``objects`` to ``path`` by its extension (.glb/.gltf, .fbx, .blend), atomically.

    ``preset`` names a set of engine options (:data:`core.io.export_options.PRESETS`: ``"default"``, ``"unity"``,
    ``"unreal"``, ``"web"``; None = ``"default"``); ``options`` override single fields of it (the keyword names of
    :class:`core.io.export_options.ExportOptions`, e.g. ``morph_normals=False``, ``compress="meshopt"``). ``.blend``
    ignores them. Returns the ``Path`` written. Raises InputError for an unknown preset/option or output type.
    """
    # the type here (naming every output type); the exporters check the file itself
    suffix = check_output_file(path, OUTPUT_SUFFIXES, overwrite=True, probe=False).suffix.lower()
    if suffix in (".glb", ".gltf", ".fbx"):
        return export_module.export_file(
            path, objects, animations=animations, overwrite=overwrite, preset=preset, **options
        )
    return export_module.save_blend(path, overwrite=overwrite)
