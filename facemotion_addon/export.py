# SPDX-License-Identifier: GPL-3.0-or-later
"""Exporting rigged, animated faces: glTF 2.0 (morph targets + weights animation), FBX (blend shapes), .blend.

Every export is atomic: Blender's exporter writes into a temporary name in the destination directory, and only a
complete file is renamed onto the destination (``core.io.atomic_io``), so a failed export leaves no file behind and
never a half-written one. An existing destination is refused unless ``overwrite=True``; without it the file is
created exclusively (:func:`core.io.atomic_io.place_new`), so a file another run made meanwhile is not replaced.

Ctrl+C, SIGTERM and SIGHUP are held back while Blender's exporter runs (:func:`core.interrupts.deferred_interrupts`):
raised inside the exporter's Python code, the interruption would become the operator's ``RuntimeError`` (a
traceback on stdout and an "export failed" error) instead of stopping the run; delivered after it, it stops the run
as anywhere else, and the temporary file is removed.

Only the given objects are exported (the exporters' "selected only" mode, with the selection restored afterwards).

Engine options (:mod:`core.io.export_options`: morph normals, sparse targets, smoothing, unused UVs, meshopt/Draco,
quantisation, keyed/sampled animation, clip name, ARKit/Unreal names) are applied for the export only: meshes are
smoothed, shape keys renamed and actions shifted to time 0 temporarily and put back exactly afterwards, also when
the export fails. Meshopt compression and quantisation run gltfpack on Blender's file (:mod:`.gltf_tools`).

Keyed glTF animation (``sampling="keyed"``): glTF animates a mesh's morph weights through one sampler, so every
target shares one list of key times, and Blender's glTF exporter keeps an action's keys only when all its shape-key
curves have keys at the same frames (``needs_baking`` in io_scene_gltf2); otherwise it samples every frame.
(Its ``export_optimize_animation_size`` only shortens a morph animation whose weights never change to two keys, and
``export_force_sampling=False`` alone therefore still samples a sparse bake.) The export hands the exporter a
temporary copy of each shape-key action whose curves all have keys at the same frames
(:func:`facemotion.core.animation.common_keys.cheapest_common_keys`: the union of the curves' key frames, refined
until every frame is within 1e-3 of the action's own curves; Bézier keys with handles at a third of each segment,
which the exporter writes as exact ``CUBICSPLINE`` tangents, or linear keys, whichever file is smaller), so the
glTF stays keyed. A bake with a key per frame stays a key per frame. The user's actions are never edited.

Timing: glTF and FBX both start at time 0 at the action's first key. Blender's glTF exporter slides the animation
to 0 (``export_anim_slide_to_zero``); its FBX exporter writes shape-key animation only in the scene-wide take, whose
times are absolute (``frame / fps``, ``fbx_animations_do(..., start_zero=False)`` in io_scene_fbx), so a bake at
frame 1 started at 1/fps. The FBX export therefore shifts a temporary copy of each action to frame 0 and the scene's
range to ``0 .. length`` while it writes.
"""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

import bpy
import numpy as np

from ..core.animation.common_keys import cheapest_common_keys
from ..core.animation.keys import DEFAULT_TOLERANCE
from ..core.errors import FacemotionError, InputError
from ..core.interrupts import deferred_interrupts, stop_if_asked
from ..core.io import export_options
from ..core.io.atomic_io import atomic_output, check_output_file, place_new, record_placement
from . import bridge, compat, gltf_tools, shading
from .bone_drivers import baked_driven_bones
from .console import blender_error_cause, held_stdout
from .mesh_import import check_blender_path
from .selection import with_armatures


def _destination(path, suffixes, overwrite):
    # "//" means relative to the open .blend in Blender; plain relative paths are relative to the working directory.
    path = Path(os.path.abspath(bpy.path.abspath(str(path))))
    return check_output_file(path, suffixes, overwrite=overwrite, probe=False)


@contextlib.contextmanager
def _only_selected(objects):
    """Select exactly ``objects`` (all must be in the current view layer) and restore the selection afterwards."""
    objects = list(objects)
    if not objects:
        raise InputError("nothing to export: no objects given")
    view_layer = bpy.context.view_layer
    layer_objects = set(view_layer.objects)
    for obj in objects:
        if obj not in layer_objects:
            raise InputError(
                f"object '{obj.name}' is not in the current view layer, so it cannot be exported; "
                "link it into the scene"
            )
    selected = [obj for obj in layer_objects if obj.select_get()]
    active = view_layer.objects.active
    try:
        for obj in selected:
            obj.select_set(False)
        for obj in objects:
            obj.select_set(True)
        view_layer.objects.active = objects[0]
        yield
    finally:
        for obj in layer_objects:
            if obj.name in view_layer.objects:
                obj.select_set(obj in selected)
        view_layer.objects.active = active


def _exporter_failed(path, exc):
    reason = blender_error_cause(exc)
    return FacemotionError(f"{Path(path).name}: export failed ({reason})")


def export_file(path, objects, *, animations=True, overwrite=False, preset=None, **options):
    """Export ``objects`` to ``path`` (.glb/.gltf/.fbx, by suffix) with the engine options of ``preset`` (a
    :data:`core.io.export_options.PRESETS` name, None = ``"default"``) and single ``options`` overrides (field names of
    :class:`core.io.export_options.ExportOptions`). The armatures deforming ``objects`` (their Armature modifiers)
    are exported with them: a skinned character's meshes without their joints would lose their skin. Returns the
    ``Path`` written; raises as :func:`export_gltf`."""
    settings = export_options.resolve(preset, **options)
    objects = with_armatures(objects)
    if Path(str(path)).suffix.lower() == ".fbx":
        return export_fbx(path, objects, animations=animations, overwrite=overwrite, options=settings)
    return export_gltf(path, objects, animations=animations, overwrite=overwrite, options=settings)


def export_gltf(path, objects, *, animations=True, overwrite=False, options=None):
    """Export ``objects`` to glTF 2.0 with their shape keys as morph targets and their shape-key animation.

    Args:
        path: destination ``.glb`` (binary, one file) or ``.gltf`` (JSON + ``.bin`` beside it).
        objects: mesh objects to export (in the current view layer).
        animations: export the shape-key animation as ``weights`` channels starting at time 0: with
            ``options.animation_mode`` ``"active"`` the active actions merged into one glTF animation named
            ``options.clip_name`` (default ``facemotion``: every face on one timeline), keyed at common key
            times when ``options.sampling`` is ``"keyed"`` (:func:`_common_key_actions`); ``"nla_tracks"`` one
            sampled animation per NLA track, named after it; ``"actions"`` one sampled animation per action.
        overwrite: replace an existing file instead of raising.
        options: :class:`core.io.export_options.ExportOptions` (None: the ``default`` preset).

    Morph target names go to ``mesh.extras.targetNames`` (the glTF convention read by three.js, Babylon, Unity
    glTFast). Y-up output (glTF's axis convention).

    Returns the ``Path`` written. Raises InputError (bad name, objects or options; the file exists without
    ``overwrite``; gltfpack missing for meshopt or quantisation; Draco missing in this Blender), FacemotionError
    (exporter or gltfpack failure; no file is left behind).
    """
    options = options or export_options.resolve()
    path = _destination(path, (".glb", ".gltf"), overwrite)
    export_format = compat.gltf_export_format(path.suffix)
    if options.compress == "draco" and options.quantize:
        raise InputError(
            "export options: quantisation (gltfpack) and Draco do not combine; choose compress "
            "meshopt or turn quantize off"
        )
    if options.compress == "draco" and not compat.gltf_draco_available():
        raise InputError(
            "Draco compression is not available in this Blender (its glTF add-on has no Draco "
            "library); choose compress meshopt or none"
        )
    if options.uses_gltfpack and gltf_tools.gltfpack_command() is None:
        raise gltf_tools.missing_gltfpack_error()
    settings = _gltf_settings(objects, animations, options)

    def blender_write(target):
        check_blender_path(target)
        # the exporter's INFO lines ("Starting glTF 2.0 export", ...) are not results
        with held_stdout(), deferred_interrupts():
            bpy.ops.export_scene.gltf(filepath=str(target), export_format=export_format, **settings)

    def packed_write(target):
        # Blender's file goes to a hidden folder beside the target; gltfpack writes the target from it.
        with tempfile.TemporaryDirectory(prefix=".facemotion-raw.", dir=Path(target).parent) as raw_dir:
            raw = Path(raw_dir) / f"raw{path.suffix}"
            blender_write(raw)
            gltf_tools.run_gltfpack(raw, target, options, name=path.name)

    write = packed_write if options.uses_gltfpack else blender_write
    # NLA tracks are baked by the exporter itself; the active actions' driven bones are baked for it.
    bake_bones = animations and options.animation_mode == "active"
    with (
        _export_state(objects, options),
        _common_key_actions(objects, options.animation_mode, enabled=animations and options.sampling == "keyed"),
        baked_driven_bones(objects) if bake_bones else contextlib.nullcontext(),
    ):
        if export_format == "GLB":
            _export_single_file(path, write, overwrite)
        else:
            _export_with_companions(path, write, overwrite)
    return path


def _gltf_settings(objects, animations, options):
    """Blender glTF exporter keyword arguments for ``options`` (the exporter's option names, 4.2 – 5.2)."""
    settings = dict(
        use_selection=True,
        export_apply=False,
        export_extras=True,  # extras: the shape-key ownership list
        export_morph=True,
        export_morph_normal=options.morph_normals,
        export_try_sparse_sk=options.sparse_morph,
        export_texcoords=not (options.drop_unused and not _materials_use_uvs(objects)),
        export_animations=animations,
        export_morph_animation=animations,
        export_animation_mode=_GLTF_ANIMATION_MODES[options.animation_mode],
        # keyed: the action's own keys (common key times: _common_key_actions), else one key per frame; the
        # "actions" mode is sampled (the exporter slides only sampled animations to time 0); NLA tracks always are
        export_force_sampling=options.sampling == "sampled" or options.animation_mode == "actions",
        export_frame_range=False,
        export_anim_slide_to_zero=True,
    )  # the action's first key is glTF time 0
    if options.animation_mode == "active":
        settings["export_nla_strips_merged_animation_name"] = options.clip_name
    if options.compress == "draco":
        settings["export_draco_mesh_compression_enable"] = True
    return settings


#: :data:`core.io.export_options.ANIMATION_MODES` -> the glTF exporter's ``export_animation_mode``.
_GLTF_ANIMATION_MODES = {"active": "ACTIVE_ACTIONS", "nla_tracks": "NLA_TRACKS", "actions": "ACTIONS"}
#: Blender's FBX exporter's ``bake_anim_simplify_factor`` for keyed exports (its default is 1.0).
FBX_SIMPLIFY_FACTOR = 0.5


@contextlib.contextmanager
def _common_key_actions(objects, animation_mode, *, enabled=True):
    """For a keyed glTF export of the active actions (``animation_mode="active"``): while the block runs, each
    active shape-key action of ``objects`` is replaced by a copy (:func:`_common_key_copy`) whose curves all have
    keys at the same frames, shifted so that the earliest key of all of them is frame 0 (one animation, one shift).

    The shift is needed because io_scene_gltf2 applies ``export_anim_slide_to_zero`` only to the animations it
    samples (the ``slide`` data is read in ``animation/sampled/*/sampler.py``, not on the F-Curve path), so a keyed
    action starting at frame 1 would start at 1/fps. The other modes are sampled by the exporter: ``"nla_tracks"``
    always (io_scene_gltf2's ``tracks.py`` bakes each track's NLA evaluation: strips can scale, repeat and blend),
    ``"actions"`` by :func:`_gltf_settings` (one animation per action, named after it: a copy would carry another
    name). The originals (and their slots) are assigned back and the copies removed afterwards.

    The objects' own active actions (a capture's head motion, :mod:`.takes`: node animation in glTF) are copied
    and moved by the same shift (:func:`_shifted_copy`), so the head turns in time with the face."""
    restore, made, groups = [], [], {}
    datablocks = [key for _obj, key in _shape_key_datablocks(objects)] + list(objects)
    try:
        for datablock in datablocks if enabled else ():
            anim = datablock.animation_data
            if anim is None:
                continue
            if animation_mode == "active" and anim.action is not None:
                groups.setdefault(None, []).append((anim, datablock, anim.action))
        for members in groups.values():
            starts = [_first_key(action, key) for _owner, key, action in members]
            starts = [frame for frame in starts if frame is not None]
            if not starts:
                continue
            offset = -min(starts)
            for owner, key, original in members:
                copy = (_common_key_copy if key.id_type == "KEY" else _shifted_copy)(original, key, offset)
                if copy is None:
                    continue
                made.append(copy)
                slot = getattr(owner, "action_slot", None)
                compat.assign_action(key, copy)
                restore.append(lambda anim=owner, original=original, slot=slot: _assign_back(anim, original, slot))
        yield
    finally:
        for undo in reversed(restore):
            undo()
        for copy in made:
            bpy.data.actions.remove(copy)


def _assign_back(anim, action, slot):
    anim.action = action
    if slot is not None:
        anim.action_slot = slot


def _shifted_copy(action, datablock, offset):
    """A copy of ``action`` with the keys of its F-Curves animating ``datablock`` moved by ``offset`` frames (None
    when it has none)."""
    if not any(len(fc.keyframe_points) for fc in compat.action_fcurves(action, datablock)):
        return None
    copy = action.copy()
    for fc in compat.action_fcurves(copy, datablock):
        bridge.shift_fcurve_keys(fc, offset)
    return copy


def _first_key(action, key):
    """The earliest key frame of ``action``'s curves animating ``key``, or None without keys."""
    frames = [fc.keyframe_points[0].co[0] for fc in compat.action_fcurves(action, key) if len(fc.keyframe_points)]
    return min(frames) if frames else None


def _key_block_of(key, fcurve):
    """The ``ShapeKey`` whose ``value`` ``fcurve`` animates (``key_blocks["name"].value``), or None."""
    path = fcurve.data_path
    if not (path.startswith("key_blocks[") and path.endswith("].value")):
        return None
    try:
        return key.path_resolve(path[: -len(".value")])
    except ValueError:
        return None


def _common_key_copy(action, key, offset=0.0, tolerance=DEFAULT_TOLERANCE):
    """A copy of ``action`` whose F-Curves animating ``key`` all have keys at the same frames, moved by ``offset``
    frames, and evaluate (moved back) within ``tolerance`` of the original at every whole frame from its first key
    (F-Curve modifiers included: the copy has none); None when ``action`` has no keys for ``key``.

    Curves that already share their key frames (and have no modifiers) keep their keys, only moved. Otherwise the
    keys are :func:`.cheapest_common_keys` of the curves sampled at every frame, seeded by the union of their key
    frames (the samples clamped to each shape key's slider range, as Blender applies it): CUBICSPLINE keys become
    FREE Bézier handles at a third of each neighbouring segment with the fitted
    slopes (what io_scene_gltf2 turns back into the same glTF tangents: ``(handle - key) / (handle frame - key
    frame)`` per frame, times fps), LINEAR keys linear keys."""
    fcurves = [fc for fc in compat.action_fcurves(action, key) if len(fc.keyframe_points)]
    if not fcurves:
        return None
    copy = action.copy()
    copied = {(fc.data_path, fc.array_index): fc for fc in compat.action_fcurves(copy, key)}
    key_frames = [tuple(point.co[0] for point in fc.keyframe_points) for fc in fcurves]
    if len(set(key_frames)) == 1 and not any(len(fc.modifiers) for fc in fcurves):
        for fc in copied.values():
            bridge.shift_fcurve_keys(fc, offset)
        return copy
    first = min(frames[0] for frames in key_frames)
    last = max(frames[-1] for frames in key_frames)
    frames = first + np.arange(int(np.ceil(last - first - 1e-6)) + 1)
    samples = np.array([[fc.evaluate(float(f)) for fc in fcurves] for f in frames])
    for column, fc in enumerate(fcurves):  # what the scene shows: Blender clamps a shape key to its slider range
        block = _key_block_of(key, fc)
        if block is not None:
            samples[:, column] = np.clip(samples[:, column], block.slider_min, block.slider_max)
    union = np.unique(np.concatenate([np.asarray(f, dtype=np.float64) for f in key_frames])) - first
    keys = cheapest_common_keys(samples, union, tolerance=tolerance)
    at = keys.frames + first + offset
    interpolation = bpy.types.Keyframe.bl_rna.properties["interpolation"].enum_items
    free = bpy.types.Keyframe.bl_rna.properties["handle_left_type"].enum_items["FREE"].value
    for column, original in enumerate(fcurves):
        fc = copied[(original.data_path, original.array_index)]
        for modifier in list(fc.modifiers):
            fc.modifiers.remove(modifier)
        fc.keyframe_points.clear()
        values = keys.values[:, column]
        if keys.interpolation == "LINEAR":
            bridge.write_keyframes(fc, at, values, interpolation["LINEAR"].value)
            continue
        width = np.diff(at)
        left = np.r_[width[:1], width] / 3.0  # a third of the segment before (the first key: after)
        right = np.r_[width, width[-1:]] / 3.0
        handle_left = np.column_stack([at - left, values - keys.in_slopes[:, column] * left])
        handle_right = np.column_stack([at + right, values + keys.out_slopes[:, column] * right])
        bridge.write_bezier_keyframes(fc, at, values, handle_left, handle_right, free, interpolation["BEZIER"].value)
    return copy


#: Shader nodes that read a mesh's UV map (directly or by default): with none of them, UVs are unused.
_UV_NODE_TYPES = {"UVMAP", "NORMAL_MAP", "TANGENT", "TEX_COORD", "UV_ALONG_STROKE"}


def _materials_use_uvs(objects):
    """True when a material of ``objects`` has a node that reads UVs (an image or other texture, a UV Map, a normal
    map...), looking into node groups; False for objects without materials."""

    def tree_uses(tree, seen):
        if tree is None or tree.as_pointer() in seen:
            return False
        seen.add(tree.as_pointer())
        for node in tree.nodes:
            if node.type in _UV_NODE_TYPES or node.type.startswith("TEX_"):
                return True
            if node.type == "GROUP" and tree_uses(node.node_tree, seen):
                return True
        return False

    for obj in objects:
        for slot in getattr(obj, "material_slots", ()):
            material = slot.material
            if material is not None and material.node_tree is not None and tree_uses(material.node_tree, set()):
                return True
    return False


def export_fbx(path, objects, *, animations=True, overwrite=False, options=None):
    """Export ``objects`` to FBX with shape keys as blend shapes (and their animation baked when ``animations``).

    Modifiers are not applied (``use_mesh_modifiers=False``): FBX blend shapes need the mesh the shape keys belong
    to. Only the actions assigned to the objects' shape keys are written, as one take named ``options.clip_name``
    whose first key is at time 0 (as in the glTF). ``options`` (:class:`core.io.export_options.ExportOptions`, None: the
    ``default`` preset): ``smooth``, ``names`` and ``sampling`` (keyed: Blender's curve simplification keeps the
    keys that carry information; sampled: one key per frame) apply; the glTF-only fields are ignored. Axes:
    Blender's FBX defaults (-Z forward, Y up).

    Returns the ``Path`` written. Raises InputError / FacemotionError as :func:`export_gltf`.
    """
    options = options or export_options.resolve()
    path = _destination(path, (".fbx",), overwrite)

    def write(target):
        check_blender_path(target)
        with held_stdout(), deferred_interrupts():  # the exporter's progress lines are not results
            bpy.ops.export_scene.fbx(
                filepath=str(target),
                use_selection=True,
                check_existing=False,
                object_types={"MESH", "ARMATURE", "EMPTY"},
                use_mesh_modifiers=False,
                mesh_smooth_type="FACE",
                add_leaf_bones=False,
                bake_anim=animations,
                bake_anim_use_all_actions=False,
                bake_anim_use_nla_strips=False,
                bake_anim_force_startend_keying=True,
                # Keyed: Blender's curve simplification, at half its default strength so that every frame stays
                # within 1e-3 of the bake as the glTF's common keys do (at 1.0 a full-strength preset moved 1.4e-3).
                bake_anim_simplify_factor=0.0 if options.sampling == "sampled" else FBX_SIMPLIFY_FACTOR,
                use_custom_props=True,
            )  # keeps the shape-key ownership list

    with _export_state(objects, options), _fbx_time_zero(objects, options.clip_name, enabled=animations):
        _export_single_file(path, write, overwrite)
    return path


@contextlib.contextmanager
def _export_state(objects, options):
    """Selection, smoothing and target names for one export, each put back on exit."""
    with (
        _only_selected(objects),
        shading.smoothed_for_export(objects, options.smooth_angle, enabled=options.smooth),
        _export_names(objects, options.names),
    ):
        yield


def _shape_key_datablocks(objects):
    """The distinct shape-key datablocks (``bpy.types.Key``) of ``objects``, in order, with their object."""
    seen, found = set(), []
    for obj in objects:
        key = getattr(obj.data, "shape_keys", None) if obj.type == "MESH" else None
        if key is not None and key.as_pointer() not in seen:
            seen.add(key.as_pointer())
            found.append((obj, key))
    return found


@contextlib.contextmanager
def _export_names(objects, style):
    """Rename ARKit-named shape keys to ``style`` (:func:`core.io.export_options.export_name`) for the export, and back.

    Blender renames the F-curves' data paths with a key block (``key_blocks["eyeBlinkLeft"]`` follows), so the
    animation keeps driving the renamed targets. Raises InputError, renaming nothing, when a new name is taken.
    """
    renamed = []
    try:
        for _obj, key in _shape_key_datablocks(objects) if style != "arkit" else ():
            names = {block.name for block in key.key_blocks}
            plan = [(block, export_options.export_name(block.name, style)) for block in key.key_blocks]
            plan = [(block, new) for block, new in plan if new != block.name]
            clash = next((new for _block, new in plan if new in names), None)
            if clash is not None:
                raise InputError(
                    f"shape key '{clash}' of '{key.user.name}' already exists, so the "
                    f"{style} names cannot be written; rename it or export with ARKit names"
                )
            for block, new in plan:
                old = block.name
                block.name = new
                renamed.append((block, old))
        yield
    finally:
        for block, old in reversed(renamed):
            block.name = old


@contextlib.contextmanager
def _fbx_time_zero(objects, clip_name, *, enabled=True):
    """For the FBX export: shape-key actions shifted so their first key is frame 0, the scene's range set to the
    shifted actions' range, and the scene named ``clip_name`` (Blender names the FBX take after the scene).

    The user's actions are never edited: a shifted copy is assigned while the exporter runs, then the original
    (with its slot on 4.4+) is assigned again and the copy removed; the frame range and scene name are put back.
    """
    scene = bpy.context.scene
    saved_range, saved_name = (scene.frame_start, scene.frame_end), scene.name
    swapped = []  # (key, original action, original slot, copy)
    try:
        animated = [
            (obj, key)
            for obj, key in _shape_key_datablocks(objects)
            if enabled and key.animation_data is not None and key.animation_data.action is not None
        ]
        if animated:
            ranges = [key.animation_data.action.frame_range for _obj, key in animated]
            first, last = min(r[0] for r in ranges), max(r[1] for r in ranges)
            for _obj, key in animated:
                anim = key.animation_data
                original, slot = anim.action, getattr(anim, "action_slot", None)
                copy = original.copy()
                swapped.append((key, original, slot, copy))
                compat.assign_action(key, copy)
                for fcurve in compat.action_fcurves(copy, key):
                    bridge.shift_fcurve_keys(fcurve, -first)
            scene.frame_start, scene.frame_end = 0, max(0, int(round(last - first)))
            if clip_name != scene.name and clip_name not in bpy.data.scenes:
                scene.name = clip_name
        yield
    finally:
        for key, original, slot, copy in reversed(swapped):
            anim = key.animation_data
            anim.action = original
            if slot is not None:
                anim.action_slot = slot
            bpy.data.actions.remove(copy)
        scene.frame_start, scene.frame_end = saved_range
        if scene.name != saved_name:
            scene.name = saved_name


def save_blend(path, *, overwrite=False):
    """Save a copy of the current Blender session to ``path`` (``.blend``) without changing the open file's path.

    Returns the ``Path`` written. Raises InputError / FacemotionError as :func:`export_gltf`.
    """
    path = _destination(path, (".blend",), overwrite)

    def write(target):
        # Blender backs up an existing file as "<name>.blend1" before saving over it; start from no file.
        check_blender_path(target)
        target.unlink()
        with held_stdout(), deferred_interrupts():  # Blender's 'Info: Saved copy as "..."' line is not a result
            bpy.ops.wm.save_as_mainfile(filepath=str(target), copy=True, check_existing=False)

    _export_single_file(path, write, overwrite)
    return path


def _export_single_file(path, write, overwrite):
    try:
        with atomic_output(path, exclusive=not overwrite) as tmp:
            write(tmp)
            if not tmp.is_file() or tmp.stat().st_size == 0:
                raise RuntimeError("the exporter wrote no data")
    except RuntimeError as exc:
        raise _exporter_failed(path, exc) from None


def _export_with_companions(path, write, overwrite):
    """Export a multi-file format (.gltf + .bin + textures): write everything in a hidden directory beside ``path``,
    then move the companion files first and the main file last, so the main file only appears once complete."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        try:
            write(stage / path.name)
        except RuntimeError as exc:
            raise _exporter_failed(path, exc) from None
        produced = sorted(p for p in stage.rglob("*") if p.is_file())
        if stage / path.name not in produced:
            raise FacemotionError(f"{path.name}: export failed (the exporter wrote no data)")
        placed = []
        stop_if_asked()  # before the moves (a lost SIGTERM must not place the files; see core/interrupts.py)
        # The moves are one step: an interruption waits for the last, and a file in the way (without overwrite)
        # takes back the ones already placed.
        with deferred_interrupts():
            try:
                for item in sorted(produced, key=lambda p: p == stage / path.name):
                    target = path.parent / item.relative_to(stage)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    if overwrite:
                        os.replace(item, target)
                    else:
                        place_new(item, target)
                        placed.append(target)
            except InputError:
                for target in placed:
                    target.unlink(missing_ok=True)
                raise
            record_placement(path)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
