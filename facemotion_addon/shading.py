# SPDX-License-Identifier: GPL-3.0-or-later
"""Shading of meshes for export: smooth normals for flat-shaded meshes that carry no shading of their own.

Why: a flat-shaded mesh (e.g. an OBJ without ``vn``/``s 1`` lines, such as ICT-FaceKit's head) has one normal per
face, so glTF/FBX exporters split every vertex per face corner: the 26,719-vertex ICT head becomes 104,982 glTF
vertices, and every morph target grows with it (issue 11: 108.8 MB -> 12.1 MB with smooth shading and no morph
normals). A mesh with any smooth face, or with custom split normals that are not all flat, was shaded on purpose and
is left alone. Custom normals that all equal their face's normal (what Blender's FBX export of a flat mesh writes,
and what its importer turns into custom normals) are flat shading in disguise: such a mesh counts as flat (issue
19: 42.7 MB instead of 13.6 MB for the ICT head's GLB), and smoothing it removes them.

"Smooth by angle" is Blender's own rule (Shade Auto Smooth / the "Smooth by Angle" modifier): faces smooth, edges
whose dihedral angle exceeds the threshold kept sharp, so creases (eyelid rims, lip corners of a low-poly head) stay
crisp. Exports use :func:`smoothed_for_export`, which puts the user's shading flags and custom normals back
afterwards.
"""

import contextlib
import math

import numpy as np

from . import bridge, compat

__all__ = [
    "DEFAULT_SMOOTH_ANGLE_DEG",
    "FLAT_NORMAL_DEG",
    "flat_normals_note",
    "has_flat_custom_normals",
    "needs_smoothing",
    "shade_smooth_by_angle",
    "smoothed_for_export",
]

#: Blender's default auto-smooth angle (degrees).
DEFAULT_SMOOTH_ANGLE_DEG = 30.0
#: A custom corner normal within this angle (degrees) of its face's normal is flat. Blender stores custom normals
#: quantised in each corner's normal space: the canonical face's flat normals, through Blender's FBX export and
#: import, come back up to 0.77 degrees off (median 0). Smooth normals of a head are tens of degrees off at its
#: creases; a mesh so dense that all its smooth normals are within this angle looks the same smooth-shaded by angle.
FLAT_NORMAL_DEG = 1.5


def has_flat_custom_normals(obj):
    """True when mesh object ``obj`` has custom split normals and every corner's is its face's normal (within
    :data:`FLAT_NORMAL_DEG`; degenerate faces, whose normal is zero, do not count against it). ``bool``."""
    if obj is None or obj.type != "MESH" or not compat.mesh_has_custom_normals(obj.data):
        return False
    corners, faces = bridge.corner_normals(obj.data)
    length = np.linalg.norm(faces, axis=1)
    dot = np.einsum("ij,ij->i", corners, faces) / np.maximum(np.linalg.norm(corners, axis=1) * length, 1e-12)
    return bool(np.all((dot >= math.cos(math.radians(FLAT_NORMAL_DEG))) | (length < 0.5)))


def flat_normals_note(objects, smooth):
    """One line naming the meshes among ``objects`` whose custom normals are all flat and what becomes of them
    (``smooth``: whether flat meshes are smooth-shaded), or None when there are none. Said before a rig or an export,
    since such a mesh looks smooth-capable but exports faceted (about 3x the file size)."""
    flat = [obj.name for obj in objects if has_flat_custom_normals(obj)]
    if not flat:
        return None
    what = "treated as flat and smooth-shaded" if smooth else "kept as they are (--no-smooth)"
    return f"custom normals of {', '.join(flat)} are all flat (faceted): {what}"


def needs_smoothing(obj):
    """True when ``obj`` is a mesh with faces whose shading is flat: every face flat-shaded and no custom split
    normals, or custom normals that are all flat (:func:`has_flat_custom_normals`).

    Such a mesh has no shading intent worth keeping (its normals are just the face normals), so smoothing it for
    export or display changes nothing an artist chose. Reads the ``sharp_face`` face attribute (4.1+: a face is flat
    when it is True; a mesh without the attribute is all smooth). Returns ``bool``; never raises for non-meshes.
    """
    if obj is None or obj.type != "MESH":
        return False
    mesh = obj.data
    if len(mesh.polygons) == 0:
        return False
    if compat.mesh_has_custom_normals(mesh):
        return has_flat_custom_normals(obj)
    sharp_face = bridge.bool_attribute(mesh, "sharp_face", "FACE")
    return sharp_face is not None and bool(sharp_face.all())


def shade_smooth_by_angle(obj, angle_deg=DEFAULT_SMOOTH_ANGLE_DEG):
    """Smooth-shade ``obj``'s mesh, keeping edges sharper than ``angle_deg`` (degrees, 0..180) sharp.

    Changes the mesh's ``sharp_face``/``sharp_edge`` attributes in place. Flat custom normals
    (:func:`has_flat_custom_normals`) are removed, since they would keep the mesh faceted whatever the flags; other
    custom normals are kept (Blender then ignores the flags for them). Callers that must not change the user's mesh
    use :func:`smoothed_for_export`. Blender-version branches: :func:`compat.mesh_shade_smooth_by_angle`.
    Raises ValueError for a non-mesh object or an angle outside 0..180.
    """
    if obj is None or obj.type != "MESH":
        raise ValueError(f"{getattr(obj, 'name', obj)!r} is not a mesh object")
    if not 0.0 <= float(angle_deg) <= 180.0:
        raise ValueError(f"smoothing angle must be 0..180 degrees (got {angle_deg})")
    if has_flat_custom_normals(obj):
        compat.mesh_clear_custom_normals(obj)
    compat.mesh_shade_smooth_by_angle(obj.data, math.radians(float(angle_deg)))


@contextlib.contextmanager
def smoothed_for_export(objects, angle_deg=DEFAULT_SMOOTH_ANGLE_DEG, *, enabled=True):
    """Context manager: smooth the meshes among ``objects`` that :func:`needs_smoothing`, restore them on exit.

    The ``sharp_face`` and ``sharp_edge`` attributes, and flat custom normals, are saved and written back (also when
    the body raises), so the user's mesh is shaded as before afterwards. Meshes shared by several objects are
    handled once. Yields the list of objects that were smoothed (empty when ``enabled`` is False or none needed it).
    """
    saved = []
    smoothed = []
    seen = set()
    try:
        if enabled:
            for obj in objects:
                if not needs_smoothing(obj) or obj.data.as_pointer() in seen:
                    continue
                mesh = obj.data
                seen.add(mesh.as_pointer())
                custom = bridge.corner_normals(mesh)[0] if compat.mesh_has_custom_normals(mesh) else None
                saved.append(
                    (
                        mesh,
                        bridge.bool_attribute(mesh, "sharp_face", "FACE"),
                        bridge.bool_attribute(mesh, "sharp_edge", "EDGE"),
                        custom,
                    )
                )
                shade_smooth_by_angle(obj, angle_deg)
                smoothed.append(obj)
        yield smoothed
    finally:
        for mesh, sharp_face, sharp_edge, custom in reversed(saved):
            bridge.set_bool_attribute(mesh, "sharp_face", "FACE", sharp_face)
            bridge.set_bool_attribute(mesh, "sharp_edge", "EDGE", sharp_edge)
            if custom is not None:
                bridge.set_custom_normals(mesh, custom)
