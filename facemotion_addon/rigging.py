# SPDX-License-Identifier: GPL-3.0-or-later
"""Blender glue for the auto-rig: objects -> arrays -> core -> shape keys. Shared by the operators and the CLI.

Several objects can form one head (face, eyes and teeth as separate objects), and a selection often holds objects
that are not part of the face at all (a body, clothes, hair, the default scene's cube). Each object's
``facemotion_part`` (:mod:`.settings.part_properties`: auto/skin/eyes/teeth/tongue/ignore) decides what it is:
objects set to *ignore* are left out entirely; the others are combined in world space, each vertex carrying its
object's role
(*auto* -> :data:`~facemotion.core.rig.parts.ROLE_AUTO`, which the core resolves from loose parts and the
landmarks: far-away parts become :data:`~facemotion.core.rig.parts.ROLE_IGNORE`) and, for *auto* objects, the role
its object, mesh or material name gives (:mod:`facemotion.core.rig.part_names`: ``helper-upper-teeth``,
``CC_Base_Tongue``, a Daz ``Cornea`` material...), which the core takes where the geometry confirms it
(:mod:`facemotion.core.rig.part_cues`). The resulting deltas are split
back per object and turned into each object's local space; an object whose vertices all resolved to *ignore*, or
that got no motion at all, gets no shape keys (it is left exactly as it was). Nothing is written until every
computation has succeeded and every clash has been checked, so a failure leaves the scene as it was.
"""

from collections import Counter
from dataclasses import dataclass, field

import bpy
import numpy as np

from ..core.arkit import ARKIT_NAMES
from ..core.detect.mesh_landmarks import detect_mesh_landmarks
from ..core.errors import InputError
from ..core.rig.autorig import rig_mesh
from ..core.rig.part_cues import cued_roles
from ..core.rig.part_names import name_role
from ..core.rig.parts import (
    ROLE_AUTO,
    ROLE_EYE,
    ROLE_IGNORE,
    ROLE_NAMES,
    ROLE_SKIN,
    ROLE_TEETH,
    ROLE_TEETH_LOWER,
    ROLE_TEETH_UPPER,
    ROLE_TONGUE,
    classify_parts,
)
from ..core.rig.transfer import EYE_LOOK_DEGREES
from . import bone_drivers, shading
from .bridge import CombinedMesh, combine_meshes, read_points, to_local, vertex_materials, write_points
from .selection import LANDMARKS_PROP, TARGETS_PROP
from .settings.part_properties import CORE_ROLE_NAMES, part_choice, set_detected_part
from .settings.strength_properties import object_strength, store_strength
from .shape_keys import check_shape_key_clashes, write_shape_keys

__all__ = [
    "FaceSelection",
    "RigPlan",
    "describe_parts",
    "describe_rig",
    "find_face",
    "landmark_object_for",
    "plan_rig",
    "read_landmark_object",
    "read_selection",
    "rig_objects",
    "rig_report",
    "selection_parts",
    "store_detected_parts",
    "write_landmark_object",
    "write_rig",
]


def landmark_object_for(objects):
    """The landmark object created for these objects (matched by its target list), or None."""
    names = sorted(o.name for o in objects)
    for obj in bpy.data.objects:
        if obj.get(LANDMARKS_PROP) and sorted(str(obj.get(TARGETS_PROP, "")).split("\n")) == names:
            return obj
    return None


def write_landmark_object(objects, points, context=None):
    """Create or update the editable landmark object (478 vertices at the landmark positions, world space).

    The artist can move its vertices in Edit Mode; :func:`read_landmark_object` returns the edited positions.
    """
    obj = landmark_object_for(objects)
    if obj is None:
        mesh = bpy.data.meshes.new(f"{objects[0].name}_landmarks")
        obj = bpy.data.objects.new(mesh.name, mesh)
        collection = (
            objects[0].users_collection[0] if objects[0].users_collection else (context or bpy.context).scene.collection
        )
        collection.objects.link(obj)
        obj[LANDMARKS_PROP] = True
        obj[TARGETS_PROP] = "\n".join(sorted(o.name for o in objects))
        obj.show_in_front = True
    obj.matrix_world.identity()
    write_points(obj.data, points)
    return obj


def read_landmark_object(obj):
    """``(478, 3) float64`` world-space landmark positions from a landmark object (including the artist's edits).

    Raises:
        InputError: the object does not have 478 vertices.
    """
    points = read_points(obj)
    if len(points) != 478:
        raise InputError(
            f"{obj.name}: a landmark object needs 478 vertices, it has {len(points)}; detect landmarks again"
        )
    return points


# ------------------------------------------------------------------------------------------------- parts / roles


@dataclass
class FaceSelection:
    """The selected meshes split by the artist's ``facemotion_part``, read by :func:`read_selection`.

    Attributes:
        objects: every selected mesh object (the landmark object is matched on this list, so changing a role does
            not lose edited landmarks).
        ignored: the objects set to *ignore* (left out of detection and rig).
        combined: the other objects as one world-space :class:`~facemotion.facemotion_addon.bridge.CombinedMesh`.
        roles: ``(N,) int8`` per combined vertex: the object's forced role, or ``ROLE_AUTO`` (-1).
        cues: ``(N,) int8`` per combined vertex of an *auto* object: the role its object or mesh name gives, else
            its material's name (:func:`facemotion.core.rig.part_names.name_role`), ``ROLE_AUTO`` where none.
    """

    objects: list
    ignored: list
    combined: CombinedMesh
    roles: np.ndarray
    cues: np.ndarray = None


def read_selection(objects):
    """Split mesh ``objects`` by their ``facemotion_part`` and combine the ones that take part; writes nothing.

    Raises:
        InputError: no mesh, no faces, or every mesh set to *ignore*.
    """
    meshes = [o for o in objects if o is not None and o.type == "MESH"]
    ignored = [o for o in meshes if part_choice(o) == "ignore"]
    included = [o for o in meshes if part_choice(o) != "ignore"]
    if meshes and not included:
        raise InputError(
            "every selected mesh is set to Ignore (Rig panel > Face Part); set the face's object(s) to Auto or Skin"
        )
    combined = combine_meshes(included)
    roles = np.empty(len(combined.vertices), dtype=np.int8)
    cues = np.full(len(combined.vertices), ROLE_AUTO, dtype=np.int8)
    for obj, (start, stop) in zip(combined.objects, combined.slices):
        roles[start:stop] = ROLE_NAMES[CORE_ROLE_NAMES[part_choice(obj)]]
        if roles[start] == ROLE_AUTO:
            cues[start:stop] = _name_cues(obj)
    return FaceSelection(meshes, ignored, combined, roles, cues)


def _name_cues(obj):
    """``(V,) int8`` the role ``obj``'s names give each of its vertices: its object or mesh name for all, else each
    vertex's material name (a Daz figure's ``Teeth`` / ``Cornea`` zones, VRoid's ``EyeIris``)."""
    role = name_role(obj.name, obj.data.name)
    if role != ROLE_AUTO:
        return np.full(len(obj.data.vertices), role, dtype=np.int8)
    names, slot = vertex_materials(obj)
    slot = np.where(slot < len(names), slot, -1)  # a face may point at a slot the object does not have
    by_slot = np.array([name_role(n) for n in names] + [ROLE_AUTO], dtype=np.int8)  # slot -1: the last entry
    return by_slot[slot]


#: A part is named for an object holding at least this share of the part's vertices or of the object's.
MINOR_SHARE = 0.05

#: Words for the parts in reports and in the Rig panel: role -> (singular, plural).
_PART_WORDS = {
    ROLE_SKIN: ("skin", "skin"),
    ROLE_EYE: ("eye", "eyes"),
    ROLE_TEETH: ("teeth", "teeth"),
    ROLE_TEETH_UPPER: ("upper teeth", "upper teeth"),
    ROLE_TEETH_LOWER: ("lower teeth", "lower teeth"),
    ROLE_TONGUE: ("tongue", "tongues"),
}


def _words(counts):
    """``"skin + 2 eyes + teeth"`` from ``{role: number of parts}`` (upper + lower teeth read as "teeth")."""
    counts = dict(counts)
    if counts.get(ROLE_TEETH_UPPER) and counts.get(ROLE_TEETH_LOWER):
        counts[ROLE_TEETH] = counts.get(ROLE_TEETH, 0) + 1
        counts.pop(ROLE_TEETH_UPPER), counts.pop(ROLE_TEETH_LOWER)
    words = []
    for role in (ROLE_SKIN, ROLE_EYE, ROLE_TEETH, ROLE_TEETH_UPPER, ROLE_TEETH_LOWER, ROLE_TONGUE):
        n = counts.get(role, 0)
        if n:
            singular, plural = _PART_WORDS[role]
            words.append(singular if n == 1 or role in (ROLE_SKIN, ROLE_TEETH) else f"{n} {plural}")
    ignored = counts.get(ROLE_IGNORE, 0)
    if not words:
        return "ignored"
    if ignored:
        words.append("ignored parts")
    return " + ".join(words)


def describe_parts(combined, face_parts):
    """What each combined object was found to be, from a :class:`~facemotion.core.rig.parts.FaceParts`.

    Each part (``PartInfo.vertices``: indices into the combined mesh) is counted for every object that holds at
    least :data:`MINOR_SHARE` of the part's or of the object's vertices, so an object holding several parts reads
    e.g. ``"skin + 2 eyes + teeth"`` (the ICT OBJ) while a few stray vertices do not rename an object; an object
    whose vertices all resolved to ``ROLE_IGNORE`` reads ``"ignored"``. Returns ``{object name: text}``.
    """
    starts = np.array([start for start, _ in combined.slices])
    sizes = np.array([stop - start for start, stop in combined.slices])
    counts = [Counter() for _ in combined.objects]
    for part in face_parts.parts:
        owner = np.searchsorted(starts, np.asarray(part.vertices), side="right") - 1
        held = np.bincount(owner, minlength=len(starts))
        for k in np.flatnonzero((held >= MINOR_SHARE * len(part.vertices)) | (held >= MINOR_SHARE * sizes)):
            if held[k]:
                counts[int(k)][int(part.role)] += 1
    texts = {}
    for obj, (start, stop), count in zip(combined.objects, combined.slices, counts):
        roles = face_parts.roles[start:stop]
        if stop == start or (roles == ROLE_IGNORE).all():
            texts[obj.name] = "ignored"
            continue
        if not count:  # no PartInfo reached this object: read its vertices' roles
            count = Counter(int(r) for r in np.unique(roles))
        texts[obj.name] = _words(count)
    return texts


def describe_rig(objects, result):
    """What each of ``objects`` became in a computed rig (``result``: a ``RigResult`` of :func:`rig_objects` on the
    same objects): ``{object name: text}``, e.g. ``{"helper-upper-teeth": "upper teeth", "Cube": "ignored"}``; the
    objects set to *ignore* read ``"ignored (set to Ignore)"``. Used by the command line's report."""
    selection = read_selection(objects)
    texts = describe_parts(selection.combined, result.parts)
    texts.update({obj.name: "ignored (set to Ignore)" for obj in selection.ignored})
    return texts


def store_detected_parts(selection, face_parts):
    """Remember what was found on each selected object (``Object.facemotion_detected_part``, shown in the Rig
    panel): the combined objects from ``face_parts``, the ignored ones as "ignored (set to Ignore)"."""
    texts = describe_parts(selection.combined, face_parts)
    for obj in selection.combined.objects:
        set_detected_part(obj, texts[obj.name])
    for obj in selection.ignored:
        set_detected_part(obj, "ignored (set to Ignore)")
    return texts


def selection_parts(selection, landmarks):
    """The face's parts on a :class:`FaceSelection` given ``(478, 3)`` world-space ``landmarks``: the artist's
    Face Parts, the name cues the geometry confirms (:func:`facemotion.core.rig.part_cues.cued_roles`), the
    geometry for the rest (:func:`facemotion.core.rig.parts.classify_parts`), as the rig decides them. No bpy."""
    combined = selection.combined
    roles = cued_roles(combined.vertices, combined.triangles, landmarks, selection.roles, selection.cues)
    return classify_parts(combined.vertices, combined.triangles, landmarks, roles=roles)


def find_face(selection, progress=None):
    """The landmarks and the face's parts on ``selection``'s combined mesh (no bpy: safe in a worker thread); the
    Detect Landmarks job (``operators.rig.DetectLandmarksJob``) runs :func:`read_selection`, this, then
    :func:`write_landmark_object` and :func:`store_detected_parts`.

    Returns ``(MeshLandmarks, FaceParts)`` (:func:`facemotion.core.detect.mesh_landmarks.detect_mesh_landmarks`,
    :func:`selection_parts`); raises NoFaceError when no view shows a face."""
    combined = selection.combined
    found = detect_mesh_landmarks(combined.vertices, combined.triangles, progress=progress)
    return found, selection_parts(selection, found.points)


# ----------------------------------------------------------------------------------------------------------- rig


@dataclass
class RigPlan:
    """Everything a rig needs, read from the scene by :func:`plan_rig`: the selection (combined world-space mesh and
    per-vertex roles), the artist's landmarks (``(478, 3) float64`` world space, or None to detect them), whether
    facemotion's keys are replaced, whether flat meshes are smooth-shaded, the gaze style (``(horizontal,
    vertical)`` degrees the eyeballs turn in eyeLook* at 1.0; ``(0, 0)``: lids only), and the character's armature
    when its jaw and eye bones are to be driven (:class:`.bone_drivers.CharacterBones`, else None)."""

    selection: FaceSelection
    landmarks: object
    replace: bool
    smooth_shading: bool = True
    gaze: tuple = EYE_LOOK_DEGREES
    bones: object = None
    rigged: list = field(default_factory=list)
    driven: dict = field(default_factory=dict)
    released: list = field(default_factory=list)
    smoothed: list = field(default_factory=list)
    flat_normals: list = field(default_factory=list)
    parts_text: dict = field(default_factory=dict)

    @property
    def combined(self):
        """The combined mesh of the objects that take part."""
        return self.selection.combined

    def compute(self, progress=None):
        """Run the auto-rig on the plan's arrays (no bpy: safe in a worker thread); returns a ``RigResult`` (its
        deltas fitted to the driven bones when :attr:`bones` is set)."""
        result = rig_mesh(
            self.combined.vertices,
            self.combined.triangles,
            landmarks=self.landmarks,
            progress=progress,
            roles=self.selection.roles,
            cues=self.selection.cues,
            gaze=self.gaze,
        )
        if self.bones is not None:
            bone_drivers.drive_bones(self.bones, self.combined.vertices, result, self.gaze)
        return result


def plan_rig(
    objects, *, replace=False, use_landmark_object=True, smooth_shading=True, gaze=EYE_LOOK_DEGREES, drive_bones=False
):
    """Read what rigging ``objects`` needs and check every shape-key clash; writes nothing. ``gaze``: see
    :class:`RigPlan`; ``drive_bones``: drive the character's jaw and eye bones by jawOpen and eyeLook*
    (:mod:`.bone_drivers`; refused when no armature with such bones deforms the face).

    Uses the artist's landmark object for these objects when there is one (and ``use_landmark_object``).

    Raises:
        FacemotionError subclasses with a one-line message (no mesh, no faces, a clash with the user's keys...).
    """
    selection = read_selection(objects)
    for obj in selection.combined.objects:
        check_shape_key_clashes(obj, ARKIT_NAMES, replace=replace)
    lm_obj = None
    if use_landmark_object:
        lm_obj = landmark_object_for(selection.objects) or landmark_object_for(selection.combined.objects)
    landmarks = read_landmark_object(lm_obj) if lm_obj is not None else None
    bones = bone_drivers.read_character_bones(selection.combined) if drive_bones else None
    return RigPlan(selection, landmarks, replace, smooth_shading, tuple(gaze), bones)


def _moving(result, start, stop, roles):
    """True when a combined object's slice takes part and moves in some expression."""
    if stop == start or (roles[start:stop] == ROLE_IGNORE).all():
        return False
    return bool(np.any(result.deltas[:, start:stop] != 0.0))


def write_rig(plan, result):
    """Write a computed rig's shape keys onto the plan's objects that move (world deltas turned into each object's
    local space), smooth-shade the flat ones (:func:`facemotion.facemotion_addon.shading.needs_smoothing`) when
    ``plan.smooth_shading``, drive the character's jaw and eye bones when ``plan.bones`` (:mod:`.bone_drivers`; the
    drivers of an earlier rig are removed otherwise: ``plan.driven``, ``plan.released``), and store each object's
    detected part for the Rig panel. Objects whose vertices all
    resolved to *ignore*, or that got no motion, are left as they were. Clashes are checked on every written object
    again before the first write, since the scene may have changed while the rig was computed. Returns the list of
    objects rigged (also kept in ``plan.rigged``; the smoothed ones in ``plan.smoothed``, the names of those whose
    flat custom normals were removed in ``plan.flat_normals``)."""
    combined = plan.combined
    roles = result.parts.roles
    written = [
        (obj, (start, stop))
        for obj, (start, stop) in zip(combined.objects, combined.slices)
        if _moving(result, start, stop, roles)
    ]
    if not written:
        raise InputError(
            f"nothing to rig: no part of {', '.join(o.name for o in combined.objects)} was found to "
            "belong to the face; set the face's object to Skin (Rig panel > Face Part)"
        )
    for obj, _ in written:
        check_shape_key_clashes(obj, ARKIT_NAMES, replace=plan.replace)
    strengths = [object_strength(obj) for obj, _ in written]  # kept when re-rigged; a bad one refused before writing
    # All 52 names get a key, so the rig is complete for ARKit-driven tools; keys the template has no data for
    # (result.empty, e.g. tongueOut) stay at the basis and the caller reports them.
    for obj, (start, stop) in written:
        write_shape_keys(obj, to_local(obj, result.deltas[:, start:stop]), result.names, replace=plan.replace)
    plan.rigged = [obj for obj, _ in written]
    for obj, strength in zip(plan.rigged, strengths):  # the Rig panel shows it, the files carry it
        store_strength(obj, strength)
    # facemotion's drivers of an earlier rig go: the new keys carry the turns again unless this rig drives bones.
    released = bone_drivers.release_bones(plan.rigged)
    if plan.bones is not None and plan.bones.drives:
        # The drivers read the head's own keys (the biggest rigged object: the skin), which every pose sets.
        head = max(plan.rigged, key=lambda obj: len(obj.data.vertices))
        plan.driven = bone_drivers.write_bone_drivers(plan.bones, head)
    plan.released = [name for name in released if name not in plan.driven]
    # Flat meshes without custom normals (OBJ without normals, most scans) look faceted; shading chosen by the
    # artist (custom normals, any smooth face) is never touched. A mesh shared by several objects is shaded once.
    plan.smoothed = []
    if plan.smooth_shading:
        seen = set()
        for obj in plan.rigged:
            if obj.data.as_pointer() not in seen and shading.needs_smoothing(obj):
                if shading.has_flat_custom_normals(obj):
                    plan.flat_normals.append(obj.name)
                shading.shade_smooth_by_angle(obj)
                plan.smoothed.append(obj)
            seen.add(obj.data.as_pointer())
    plan.parts_text = store_detected_parts(plan.selection, result.parts)
    rigged = set(o.name for o in plan.rigged)
    for obj in combined.objects:
        if obj.name not in rigged and plan.parts_text[obj.name] != "ignored":
            plan.parts_text[obj.name] += " (no motion)"
            set_detected_part(obj, plan.parts_text[obj.name])
    return plan.rigged


def rig_report(plan, result):
    """The one-line report of a written rig: the objects rigged and what each was treated as, the ones left out,
    the smoothed ones, the stage times, the empty ARKit names and what looked wrong (``RigResult.warnings``).
    ``str``."""
    stages = ", ".join(f"{stage} {value:.1f} s" for stage, value in result.timings.items())
    rigged = ", ".join(f"{obj.name} ({plan.parts_text.get(obj.name, '?')})" for obj in plan.rigged)
    message = f"Rigged {rigged} with {len(result.names)} ARKit shape keys ({stages})"
    rigged_names = {obj.name for obj in plan.rigged}
    unmoved = [obj for obj in plan.combined.objects if obj.name not in rigged_names]
    fixed = [
        f"{obj.name} ({plan.parts_text[obj.name].replace(' (no motion)', '')})"
        for obj in unmoved
        if not plan.parts_text.get(obj.name, "ignored").startswith("ignored")
    ]
    still = [obj.name for obj in unmoved if plan.parts_text.get(obj.name, "ignored").startswith("ignored")]
    still += [obj.name for obj in plan.selection.ignored]
    if fixed:
        message += f"; no keys needed (never moves): {', '.join(fixed)}"
    if still:
        message += f"; left still (not part of the face): {', '.join(still)}"
    if plan.smoothed:
        message += f"; smooth-shaded {', '.join(obj.name for obj in plan.smoothed)}"
        flat = [obj.name for obj in plan.smoothed if obj.name in plan.flat_normals]
        if flat:
            message += f" (custom normals of {', '.join(flat)} were all flat: removed)"
    if result.empty:
        message += f"; no template data for {', '.join(result.empty)} (kept at rest)"
    if plan.driven:
        drives = ", ".join(f"{bone} by {', '.join(shapes)}" for bone, shapes in plan.driven.items())
        message += f"; bones driven: {drives}"
    if plan.released:
        message += f"; bones no longer driven (back at rest): {', '.join(plan.released)}"
    for warning in getattr(result, "warnings", ()):
        message += f"; warning: {warning}"
    return message


def rig_objects(
    objects,
    *,
    replace=False,
    use_landmark_object=True,
    smooth_shading=True,
    progress=None,
    gaze=EYE_LOOK_DEGREES,
    drive_bones=False,
):
    """Auto-rig mesh objects with ARKit shape keys: :func:`plan_rig`, compute, :func:`write_rig`. ``gaze``: the
    eyeballs' turn in eyeLook* at 1.0, ``(horizontal, vertical)`` degrees; ``(0, 0)`` moves the lids only.
    ``drive_bones``: jawOpen and eyeLook* turn the character's jaw and eye bones (:func:`plan_rig`).

    Returns:
        (:class:`facemotion.core.rig.autorig.RigResult`, list of objects rigged).

    Raises:
        FacemotionError subclasses with a one-line message; the scene is unchanged then.
    """
    plan = plan_rig(
        objects,
        replace=replace,
        use_landmark_object=use_landmark_object,
        smooth_shading=smooth_shading,
        gaze=gaze,
        drive_bones=drive_bones,
    )
    result = plan.compute(progress)
    return result, write_rig(plan, result)
