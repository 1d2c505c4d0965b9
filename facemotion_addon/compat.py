# SPDX-License-Identifier: GPL-3.0-or-later
"""Every difference between the Blender versions facemotion supports (4.2 LTS .. 5.2 LTS), in one place.

The rest of the add-on calls these helpers instead of testing ``bpy.app.version`` itself.

Actions (the one big change):

- 4.2 – 4.3: an Action is a flat list of F-Curves, ``action.fcurves.new(data_path, index=...)``.
- 4.4 – 4.5: "slotted" (layered) actions: Action -> layers -> keyframe strips -> one channelbag per slot -> F-Curves.
  A data-block is animated by an (action, slot) pair. ``action.fcurves`` still exists there as a legacy proxy of the
  first slot, but we use the layered API from 4.4 on so that one code path serves 4.4 – 5.0.
- 5.0 – 5.2: the legacy proxy (``Action.fcurves``, ``Action.groups``, ``Action.id_root``) is removed.

Sources: Blender Python API reference 4.4 / 5.0, ``bpy.types.Action``, ``ActionSlot``, ``ActionChannelbag``;
``bpy_extras.anim_utils.action_get_channelbag_for_slot`` (4.4+).
"""

import os
import sys

import bpy

#: ``(major, minor, patch)`` of the running Blender.
BLENDER_VERSION = tuple(bpy.app.version)

#: bpy 4.2 as a Python module crashes (SIGSEGV, exit 139) in interpreter shutdown once a glTF export has run
#: (measured with bpy 4.2.23: export the factory cube, then a normal exit -> 139; disabling io_scene_gltf2 first
#: does not help; bpy 5.0.1 and 5.2.3 exit cleanly). :func:`exit_process` ends such a process without the shutdown.
UNCLEAN_MODULE_EXIT = BLENDER_VERSION < (4, 3, 0)

#: True where actions are layered (slots, layers, channelbags): Blender 4.4 and newer.
LAYERED_ACTIONS = BLENDER_VERSION >= (4, 4, 0)

# ``Action.fcurve_ensure_for_datablock`` gained its ``group_name`` argument in 5.0 (4.4 - 4.5 lack it).
_ENSURE_TAKES_GROUP = LAYERED_ACTIONS and "group_name" in (
    bpy.types.Action.bl_rna.functions["fcurve_ensure_for_datablock"].parameters.keys()
)


def exit_process(code):
    """End the process with exit status ``code`` (int), for scripts that run Blender as the bpy module.

    Flushes stdout/stderr, then ``sys.exit(code)``; where :data:`UNCLEAN_MODULE_EXIT` (Blender 4.2 - 4.3) it calls
    ``os._exit(code)`` instead, skipping the interpreter shutdown that crashes there (so atexit handlers do not run;
    files must be closed before). Never returns.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    if UNCLEAN_MODULE_EXIT:
        # os._exit skips Blender's own exit too, which would delete its session temp folder (bpy.app.tempdir,
        # "blender_XXXXXX" in TMPDIR): remove it here, as Blender does.
        import shutil

        session_temp = bpy.app.tempdir
        if session_temp and os.path.basename(os.path.normpath(session_temp)).startswith("blender_"):
            shutil.rmtree(session_temp, ignore_errors=True)
        os._exit(int(code))
    sys.exit(code)


def _slot_for(action, datablock, *, create):
    """Return the action slot that animates ``datablock`` (4.4+), optionally creating one.

    Prefers the slot already assigned to the data-block, then the first unassigned slot of the right ID type; with
    ``create`` a new slot named after the data-block is added when none fits.
    """
    anim = datablock.animation_data
    if anim is not None and anim.action == action and anim.action_slot is not None:
        return anim.action_slot
    for slot in action.slots:
        if slot.target_id_type in (datablock.id_type, "UNSPECIFIED") and not _slot_used_by_other(slot, datablock):
            return slot
    if not create:
        return None
    return action.slots.new(id_type=datablock.id_type, name=datablock.name)


def _slot_used_by_other(slot, datablock):
    # ``ActionSlot.users()`` lists the IDs animated by the slot; a slot bound to another data-block is not ours to take.
    users = getattr(slot, "users", None)
    return users is not None and any(user != datablock for user in users())


def assign_action(datablock, action):
    """Make ``action`` animate ``datablock`` (an ID with animation data, e.g. a shape-key ``Key``).

    Creates ``datablock.animation_data`` if needed. On 4.4+ also assigns an action slot for the data-block (the one
    already bound to it, an unused slot of its ID type, or a new slot), because an action without a slot animates
    nothing there. Returns ``datablock.animation_data``.
    """
    anim = datablock.animation_data or datablock.animation_data_create()
    if anim.action != action:
        anim.action = action
    if LAYERED_ACTIONS and anim.action_slot is None:
        anim.action_slot = _slot_for(action, datablock, create=True)
    return anim


def fcurve_ensure(action, datablock, data_path, index=0, *, group_name=""):
    """Return the F-Curve of ``action`` for ``datablock``'s ``data_path[index]``, creating it when missing.

    4.4+: ``action.fcurve_ensure_for_datablock`` (creates layer, keyframe strip, slot and channelbag as needed; the
    action must be assigned to the data-block, which this function does). 4.2 – 4.3: ``action.fcurves.find``/``new``.
    """
    if LAYERED_ACTIONS:
        assign_action(datablock, action)
        if _ENSURE_TAKES_GROUP:
            return action.fcurve_ensure_for_datablock(datablock, data_path, index=index, group_name=group_name)
        # 4.4 - 4.5: no group argument; put a new curve in the channelbag's group ourselves.
        fcurve = action.fcurve_ensure_for_datablock(datablock, data_path, index=index)
        if group_name and fcurve.group is None:
            bag = _channelbag(action, datablock)
            fcurve.group = bag.groups.get(group_name) or bag.groups.new(group_name)
        return fcurve
    fcurve = action.fcurves.find(data_path, index=index)
    if fcurve is None:
        fcurve = action.fcurves.new(data_path, index=index, action_group=group_name)
    return fcurve


def _channelbag(action, datablock):
    """The channelbag holding ``datablock``'s F-Curves in a layered ``action``, or None (4.4+ only)."""
    from bpy_extras import anim_utils  # action_get_channelbag_for_slot exists from 4.4 on

    slot = _slot_for(action, datablock, create=False)
    return anim_utils.action_get_channelbag_for_slot(action, slot)


def action_fcurves(action, datablock):
    """List the F-Curves of ``action`` that animate ``datablock`` (its slot's curves on 4.4+, all curves before)."""
    if LAYERED_ACTIONS:
        bag = _channelbag(action, datablock)
        return list(bag.fcurves) if bag is not None else []
    return list(action.fcurves)


def action_clear_fcurves(action, datablock):
    """Remove every F-Curve of ``action`` that animates ``datablock`` (other slots' curves are kept on 4.4+)."""
    if LAYERED_ACTIONS:
        bag = _channelbag(action, datablock)
        if bag is not None:
            bag.fcurves.clear()
        return
    action.fcurves.clear()


def action_remove_fcurve(action, datablock, fcurve):
    """Remove one F-Curve that animates ``datablock`` from ``action`` (from its slot's channelbag on 4.4+)."""
    if LAYERED_ACTIONS:
        bag = _channelbag(action, datablock)
        if bag is not None:
            bag.fcurves.remove(fcurve)
        return
    action.fcurves.remove(fcurve)


def gltf_export_format(suffix):
    """glTF exporter ``export_format`` for a file suffix: ``'GLB'`` for ``.glb``, ``'GLTF_SEPARATE'`` for ``.gltf``.

    (Same identifiers on 4.2 – 5.0; ``GLTF_EMBEDDED`` is only offered when the exporter's preference allows it.)
    """
    return "GLB" if suffix.lower() == ".glb" else "GLTF_SEPARATE"


def nla_strip_new(track, datablock, action, frame_start):
    """A new NLA strip of ``action`` on ``track`` (of ``datablock``'s animation data) starting at ``frame_start``,
    named after the action. 4.4+: the strip uses the action slot currently bound to ``datablock`` (a strip without
    a slot animates nothing); 4.2 - 4.3: flat actions have no slots."""
    strip = track.strips.new(action.name, int(frame_start), action)
    if LAYERED_ACTIONS and getattr(strip, "action_slot", None) is None:
        anim = datablock.animation_data
        slot = anim.action_slot if anim is not None and anim.action == action else None
        strip.action_slot = slot or _slot_for(action, datablock, create=False)
    return strip


#: The sequencer's collection of every strip (meta-strips' contents included): ``SequenceEditor.strips_all`` from
#: 5.0 on, ``sequences_all`` on 4.2 - 4.5 (checked in bpy 4.2.23, 5.0.1, 5.2.3).
ALL_STRIPS = "strips_all" if BLENDER_VERSION >= (5, 0, 0) else "sequences_all"


def sound_strips(scene):
    """The scene's sound strips (every meta-strip level), in the sequencer's order (:data:`ALL_STRIPS`)."""
    editor = scene.sequence_editor
    if editor is None:
        return []
    return [strip for strip in getattr(editor, ALL_STRIPS) if strip.type == "SOUND"]


def sound_strip_start(strip):
    """Scene frame where a sound strip's audio begins (its time 0, before any trim): ``content_start`` where Blender
    has it (checked in 5.2.3, which deprecates ``frame_start`` for removal in 6.0), else ``frame_start``
    (4.2 - 5.0)."""
    return strip.content_start if BLENDER_VERSION >= (5, 2, 0) else strip.frame_start


def add_sound_strip(scene, name, filepath, frame_start, channel=1):
    """A new sound strip of ``filepath`` at ``frame_start`` in ``scene``'s sequencer (``strips`` from 5.0 on,
    ``sequences`` before). Returns the strip, or None where this Blender has no audio (bpy 4.2 as a Python module is
    built without Audaspace: "Blender compiled without Audaspace support")."""
    editor = scene.sequence_editor_create()
    strips = editor.strips if BLENDER_VERSION >= (5, 0, 0) else editor.sequences
    try:
        return strips.new_sound(name, str(filepath), channel=channel, frame_start=int(frame_start))
    except RuntimeError:
        return None


def mesh_shade_smooth_by_angle(mesh, angle_rad):
    """Smooth-shade every face of ``mesh`` and mark edges sharper than ``angle_rad`` (radians) sharp, so normals are
    smooth across gentle edges and split only at creases (what Blender's "Shade Auto Smooth" gives).

    4.1+: ``Mesh.shade_smooth()`` (clears ``sharp_face``/``sharp_edge``) + ``Mesh.set_sharp_from_angle(angle=...)``;
    ``Mesh.use_auto_smooth`` was removed in 4.1, so 4.2 – 5.2 take this branch. Before 4.1 (not supported, kept so a
    stray old Blender fails softly): every polygon's ``use_smooth`` + ``use_auto_smooth``/``auto_smooth_angle``.
    """
    if hasattr(mesh, "set_sharp_from_angle"):
        mesh.shade_smooth()
        mesh.set_sharp_from_angle(angle=float(angle_rad))
    else:  # Blender < 4.1
        for polygon in mesh.polygons:
            polygon.use_smooth = True
        mesh.use_auto_smooth = True
        mesh.auto_smooth_angle = float(angle_rad)
    mesh.update()


def mesh_has_custom_normals(mesh):
    """True when ``mesh`` stores custom split normals (``Mesh.has_custom_normals``, 4.2 – 5.2)."""
    return bool(mesh.has_custom_normals)


def mesh_clear_custom_normals(obj):
    """Remove the custom split normals of mesh object ``obj`` (Blender's Clear Custom Split Normals Data, run on
    ``obj`` alone through ``Context.temp_override``; the same operator in 4.2 - 5.2, where custom normals are a
    ``custom_normal`` attribute from 4.4 on and a hidden layer before)."""
    with bpy.context.temp_override(object=obj, active_object=obj, selected_objects=[obj]):
        bpy.ops.mesh.customdata_custom_splitnormals_clear()


def gltf_draco_available():
    """True when Blender's glTF exporter can write Draco (``KHR_draco_mesh_compression``): its add-on ships the
    ``extern_draco`` library (module ``io_scene_gltf2.io.com.draco`` from 4.3 on,
    ``io_scene_gltf2.io.com.gltf2_io_draco_compression_extension`` before). Measured: the bpy 5.0.1 wheel (Linux)
    ships ``libextern_draco.so``, the bpy 4.2.23 wheel does not (False there); Blender's own downloads have it."""
    import importlib

    for name in ("io_scene_gltf2.io.com.draco", "io_scene_gltf2.io.com.gltf2_io_draco_compression_extension"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        return bool(module.dll_exists(quiet=True))
    return False


def gltf_imported_objects(gltf):
    """The Blender objects a running glTF import made, from io_scene_gltf2's importer state ``gltf`` (passed to an
    import user extension's hooks): each virtual node's ``blender_object`` (None for nodes that made none).

    The same in 4.2, 5.0 and 5.2 (checked in bpy 4.2.23, 5.0.1, 5.2.3: ``gltf.vnodes`` maps node ids to ``VNode``
    with ``blender_object``; the add-on discovers ``glTF2ImportUserExtension`` on each enabled add-on's top module
    and calls ``hook(*args, gltf)`` alike; only the importer's module names changed, ``blender/imp/gltf2_blender_*``
    up to 4.2). 5.2 adds an extension attribute ``is_critical`` (a failing hook then aborts the import); facemotion's
    hook leaves it unset, so a failure is logged and never costs the user the import."""
    objects = (getattr(vnode, "blender_object", None) for vnode in getattr(gltf, "vnodes", {}).values())
    return [obj for obj in objects if obj is not None]
