# SPDX-License-Identifier: GPL-3.0-or-later
"""Shading of meshes for export: smooth normals for flat-shaded meshes that carry no normals of their own.

Why: a flat-shaded mesh (e.g. an OBJ without ``vn``/``s 1`` lines, such as ICT-FaceKit's head) has one normal per
face, so glTF/FBX exporters split every vertex per face corner: the 26,719-vertex ICT head becomes 104,982 glTF
vertices, and every morph target grows with it (issue 11: 108.8 MB -> 12.1 MB with smooth shading and no morph
normals). A mesh with custom split normals, or with any smooth face, was shaded on purpose and is left alone.

"Smooth by angle" is Blender's own rule (Shade Auto Smooth / the "Smooth by Angle" modifier): faces smooth, edges
whose dihedral angle exceeds the threshold kept sharp, so creases (eyelid rims, lip corners of a low-poly head) stay
crisp. Exports use :func:`smoothed_for_export`, which puts the user's shading flags back afterwards.
"""

import contextlib
import math

from . import bridge, compat

__all__ = ["needs_smoothing", "shade_smooth_by_angle", "smoothed_for_export", "DEFAULT_SMOOTH_ANGLE_DEG"]

#: Blender's default auto-smooth angle (degrees).
DEFAULT_SMOOTH_ANGLE_DEG = 30.0


def needs_smoothing(obj):
    """True when ``obj`` is a mesh with faces, no custom split normals and every face flat-shaded.

    Such a mesh has no shading intent worth keeping (its normals are just the face normals), so smoothing it for
    export or display changes nothing an artist chose. Reads the ``sharp_face`` face attribute (4.1+: a face is flat
    when it is True; a mesh without the attribute is all smooth). Returns ``bool``; never raises for non-meshes.
    """
    if obj is None or obj.type != "MESH":
        return False
    mesh = obj.data
    if len(mesh.polygons) == 0 or compat.mesh_has_custom_normals(mesh):
        return False
    sharp_face = bridge.bool_attribute(mesh, "sharp_face", "FACE")
    return sharp_face is not None and bool(sharp_face.all())


def shade_smooth_by_angle(obj, angle_deg=DEFAULT_SMOOTH_ANGLE_DEG):
    """Smooth-shade ``obj``'s mesh, keeping edges sharper than ``angle_deg`` (degrees, 0..180) sharp.

    Changes the mesh's ``sharp_face``/``sharp_edge`` attributes in place (custom normals, if any, are kept but then
    Blender ignores the sharp flags for them). Callers that must not change the user's mesh use
    :func:`smoothed_for_export`. Blender-version branches: :func:`compat.mesh_shade_smooth_by_angle`.
    Raises ValueError for a non-mesh object or an angle outside 0..180.
    """
    if obj is None or obj.type != "MESH":
        raise ValueError(f"{getattr(obj, 'name', obj)!r} is not a mesh object")
    if not 0.0 <= float(angle_deg) <= 180.0:
        raise ValueError(f"smoothing angle must be 0..180 degrees (got {angle_deg})")
    compat.mesh_shade_smooth_by_angle(obj.data, math.radians(float(angle_deg)))


@contextlib.contextmanager
def smoothed_for_export(objects, angle_deg=DEFAULT_SMOOTH_ANGLE_DEG, *, enabled=True):
    """Context manager: smooth the meshes among ``objects`` that :func:`needs_smoothing`, restore them on exit.

    The ``sharp_face`` and ``sharp_edge`` attributes are saved and written back exactly (also when the body raises),
    so the user's mesh is unchanged afterwards. Meshes shared by several objects are handled once. Yields the list
    of objects that were smoothed (empty when ``enabled`` is False or none needed it).
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
                saved.append(
                    (
                        mesh,
                        bridge.bool_attribute(mesh, "sharp_face", "FACE"),
                        bridge.bool_attribute(mesh, "sharp_edge", "EDGE"),
                    )
                )
                shade_smooth_by_angle(obj, angle_deg)
                smoothed.append(obj)
        yield smoothed
    finally:
        for mesh, sharp_face, sharp_edge in reversed(saved):
            bridge.set_bool_attribute(mesh, "sharp_face", "FACE", sharp_face)
            bridge.set_bool_attribute(mesh, "sharp_edge", "EDGE", sharp_edge)
