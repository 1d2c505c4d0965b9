# SPDX-License-Identifier: GPL-3.0-or-later
"""The one boundary between Blender data and numpy: every ``foreach_get``/``foreach_set`` of facemotion is here.

Everything else on the Blender side asks this module for arrays (vertices, triangles, shape-key coordinates,
matrices, image pixels) and hands arrays back (shape-key coordinates, point clouds, keyframes), so the pure-numpy
``core`` never sees a bpy type and no other module loops over Blender collections. All reads go through flat
float32/int32 buffers (no per-vertex Python loop).

Units: Blender's (scene units; metres with the default unit scale). "World" arrays are transformed by the object's
``matrix_world``; "local" arrays are the mesh's own coordinates (what shape keys store).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..core.detect.rasterize import linear_to_srgb
from ..core.errors import InputError
from ..core.io.image_io import from_blender_pixels, load_image

__all__ = [
    "ArmatureRest",
    "CombinedMesh",
    "armature_rest",
    "bool_attribute",
    "combine_meshes",
    "deform_weights",
    "evaluated_world_mesh",
    "image_rgb",
    "key_block_coords",
    "mesh_arrays",
    "read_points",
    "rest_world_vertices",
    "set_bool_attribute",
    "set_key_block_coords",
    "shape_key_deltas",
    "shift_fcurve_keys",
    "to_local",
    "vertex_materials",
    "world_matrix",
    "write_bezier_keyframes",
    "write_keyframes",
    "write_points",
    "set_preview_pixels",
]


def world_matrix(obj):
    """``(4, 4) float64`` copy of ``obj.matrix_world``."""
    return np.array(obj.matrix_world, dtype=np.float64)


def _transform(points, matrix):
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def to_local(obj, world_deltas):
    """Turn ``(..., V, 3)`` world-space displacements into ``obj``'s local space (inverse-transpose of the
    linear part of ``matrix_world``, so non-uniform scale is honoured); ``float32``."""
    linear = world_matrix(obj)[:3, :3]
    return (np.asarray(world_deltas, dtype=np.float64) @ np.linalg.inv(linear).T).astype(np.float32)


def _vertex_coords(collection, n):
    co = np.empty(n * 3, dtype=np.float32)
    collection.foreach_get("co", co)
    return co.reshape(n, 3)


def mesh_arrays(obj, *, world=True):
    """Read a mesh object's ORIGINAL vertices and triangulation as numpy arrays.

    The original mesh (not the modifier-evaluated one) is read, so vertex indices are the ones shape keys use.

    Args:
        obj: a mesh ``bpy.types.Object``.
        world: transform the vertices by ``obj.matrix_world`` (scene units, metres by default); else local space.

    Returns:
        ``(vertices (V, 3) float64, triangles (T, 3) int64 vertex indices, loop_tri_polygon (T,) int64)`` where
        ``loop_tri_polygon[t]`` is the polygon index triangle ``t`` came from (``Mesh.loop_triangles``).

    Raises:
        InputError: not a mesh object.
    """
    if obj is None or obj.type != "MESH":
        raise InputError("expected a mesh object")
    obj = obj.original
    mesh = obj.data
    if obj.mode == "EDIT":
        obj.update_from_editmode()  # Edit Mode edits live in BMesh until written back
    vertices = _vertex_coords(mesh.vertices, len(mesh.vertices)).astype(np.float64)
    mesh.calc_loop_triangles()
    n_tris = len(mesh.loop_triangles)
    tris = np.empty(n_tris * 3, dtype=np.int32)
    mesh.loop_triangles.foreach_get("vertices", tris)
    polys = np.empty(n_tris, dtype=np.int32)
    mesh.loop_triangles.foreach_get("polygon_index", polys)
    if world:
        vertices = _transform(vertices, world_matrix(obj))
    return vertices, tris.reshape(n_tris, 3).astype(np.int64), polys.astype(np.int64)


def vertex_materials(obj):
    """Each vertex's material of a mesh object: ``(names, slot)`` with ``names`` the material name of each material
    slot (``""`` for an empty slot) and ``slot (V,) int64`` the slot of the vertex's faces, -1 where its faces use
    different slots or it has none (a vertex on a seam between two materials belongs to neither)."""
    mesh = obj.original.data
    names = [slot.material.name if slot.material is not None else "" for slot in obj.original.material_slots]
    n_loops, n_polys = len(mesh.loops), len(mesh.polygons)
    loop_vertex = np.empty(n_loops, dtype=np.int32)
    mesh.loops.foreach_get("vertex_index", loop_vertex)
    material = np.empty(n_polys, dtype=np.int32)
    mesh.polygons.foreach_get("material_index", material)
    total = np.empty(n_polys, dtype=np.int32)
    mesh.polygons.foreach_get("loop_total", total)
    start = np.empty(n_polys, dtype=np.int32)
    mesh.polygons.foreach_get("loop_start", start)
    loop = np.repeat(start, total) + np.arange(int(total.sum())) - np.repeat(np.cumsum(total) - total, total)
    loop_material = np.empty(n_loops, dtype=np.int64)
    loop_material[loop] = np.repeat(material, total)
    low = np.full(len(mesh.vertices), np.iinfo(np.int32).max, dtype=np.int64)
    high = np.full(len(mesh.vertices), -1, dtype=np.int64)
    np.minimum.at(low, loop_vertex, loop_material)
    np.maximum.at(high, loop_vertex, loop_material)
    return names, np.where(low == high, high, -1)


@dataclass
class CombinedMesh:
    """World-space arrays of several mesh objects: ``vertices (N, 3) float64``, ``triangles (M, 3) int64``, and per
    object its ``[start, stop)`` vertex slice."""

    objects: list
    vertices: np.ndarray
    triangles: np.ndarray
    slices: list


def combine_meshes(objects):
    """Gather mesh objects into one world-space :class:`CombinedMesh` (non-meshes are skipped).

    Raises:
        InputError: no mesh objects, or the meshes have no faces.
    """
    meshes = [o for o in objects if o is not None and o.type == "MESH"]
    if not meshes:
        raise InputError("select the face mesh object(s) first: no mesh object is selected")
    verts, tris, slices, offset = [], [], [], 0
    for obj in meshes:
        v, t = mesh_arrays(obj, world=True)[:2]
        verts.append(v)
        tris.append(t + offset)
        slices.append((offset, offset + len(v)))
        offset += len(v)
    vertices = np.concatenate(verts)
    triangles = np.concatenate(tris)
    if len(triangles) == 0:
        names = ", ".join(o.name for o in meshes)
        raise InputError(f"{names}: the mesh has no faces to detect a face on")
    return CombinedMesh(meshes, vertices, triangles, slices)


@dataclass
class ArmatureRest:
    """An armature's bones at rest: ``names`` (B strings), ``heads`` ``(B, 3) float64`` world space, ``axes``
    ``(B, 3, 3) float64`` each bone's rest orientation in world space (columns: the bone's local X, Y, Z; a vector
    ``v`` in world space is ``axes[b].T @ v`` in the bone's own frame), ``deform`` ``(B,) bool`` (Deform bones)."""

    names: list
    heads: np.ndarray
    axes: np.ndarray
    deform: np.ndarray


def armature_rest(arm):
    """:class:`ArmatureRest` of an armature object (its rest pose, whatever its current pose)."""
    bones = arm.data.bones
    n = len(bones)
    heads = np.empty(n * 3, dtype=np.float32)
    bones.foreach_get("head_local", heads)
    matrices = np.empty(n * 16, dtype=np.float32)
    bones.foreach_get("matrix_local", matrices)
    deform = np.empty(n, dtype=bool)
    bones.foreach_get("use_deform", deform)
    world = world_matrix(arm)
    # foreach_get writes a matrix column by column: transposed, it is the matrix.
    local = matrices.reshape(n, 4, 4).transpose(0, 2, 1).astype(np.float64)
    linear = world[:3, :3] / np.linalg.norm(world[:3, :3], axis=0)  # the armature's rotation, without its scale
    axes = np.einsum("ij,bjk->bik", linear, local[:, :3, :3])
    return ArmatureRest(
        [b.name for b in bones], _transform(heads.reshape(n, 3).astype(np.float64), world), axes, deform
    )


def deform_weights(obj, deform_names, wanted):
    """Each vertex's share of the bones ``wanted`` in an Armature modifier's deformation: ``(V, len(wanted))
    float64``, the vertex group weight of each wanted bone over the sum of the vertex's weights in the groups named
    after ``deform_names`` (the armature's deforming bones; Blender's Armature modifier normalises so); 0 where a
    vertex has none."""
    index = {group.index: group.name for group in obj.vertex_groups if group.name in set(deform_names)}
    column = {name: k for k, name in enumerate(wanted)}
    out = np.zeros((len(obj.data.vertices), len(wanted)))
    for vertex in obj.data.vertices:  # vertex groups have no foreach access: one pass over the memberships
        total = 0.0
        for element in vertex.groups:
            name = index.get(element.group)
            if name is None:
                continue
            total += element.weight
            if name in column:
                out[vertex.index, column[name]] = element.weight
        if total > 0:
            out[vertex.index] /= total
    return out


def read_points(obj):
    """``(V, 3) float64`` world-space positions of a mesh object's vertices (Edit Mode edits included)."""
    if obj.mode == "EDIT":
        obj.update_from_editmode()
    points = _vertex_coords(obj.data.vertices, len(obj.data.vertices)).astype(np.float64)
    return _transform(points, world_matrix(obj))


def write_points(mesh, points):
    """Replace ``mesh``'s geometry by loose vertices at ``points`` ``(V, 3)`` (the mesh's local space)."""
    points = np.asarray(points, dtype=np.float32).reshape(-1, 3)
    mesh.clear_geometry()
    mesh.vertices.add(len(points))
    mesh.vertices.foreach_set("co", points.ravel())
    mesh.update()


def bool_attribute(mesh, name, domain):
    """``(K,) bool`` values of ``mesh``'s boolean attribute ``name`` on ``domain`` (``'FACE'``, ``'EDGE'``...), or
    None when the mesh has no such attribute (Blender then treats every element as False)."""
    attribute = mesh.attributes.get(name)
    if attribute is None or attribute.domain != domain or attribute.data_type != "BOOLEAN":
        return None
    values = np.zeros(len(attribute.data), dtype=bool)
    attribute.data.foreach_get("value", values)
    return values


def set_bool_attribute(mesh, name, domain, values):
    """Write ``(K,) bool`` ``values`` into ``mesh``'s boolean attribute ``name`` on ``domain``; ``values=None``
    removes the attribute (Blender's "all False"). Used to put shading flags (``sharp_face``, ``sharp_edge``) back
    exactly as they were."""
    attribute = mesh.attributes.get(name)
    if values is None:
        if attribute is not None:
            mesh.attributes.remove(attribute)
        return
    if attribute is None or attribute.domain != domain or attribute.data_type != "BOOLEAN":
        if attribute is not None:
            mesh.attributes.remove(attribute)
        attribute = mesh.attributes.new(name, "BOOLEAN", domain)
    attribute.data.foreach_set("value", np.asarray(values, dtype=bool))
    mesh.update()


def corner_normals(mesh):
    """``(corner normals (L, 3) float32, their faces' normals (L, 3) float32)``: the normals Blender shades each face
    corner with (custom normals included; ``Mesh.corner_normals``, 4.1+) beside the normal of the face it belongs
    to, one row per corner (``mesh.loops`` order)."""
    n_corners, n_faces = len(mesh.loops), len(mesh.polygons)
    corners = np.empty(n_corners * 3, dtype=np.float32)
    mesh.corner_normals.foreach_get("vector", corners)
    faces = np.empty(n_faces * 3, dtype=np.float32)
    mesh.polygons.foreach_get("normal", faces)
    sizes = np.empty(n_faces, dtype=np.int32)
    mesh.polygons.foreach_get("loop_total", sizes)
    return corners.reshape(n_corners, 3), np.repeat(faces.reshape(n_faces, 3), sizes, axis=0)


def set_custom_normals(mesh, normals):
    """Store ``(L, 3)`` ``normals`` (one per corner, ``mesh.loops`` order) as ``mesh``'s custom split normals."""
    mesh.normals_split_custom_set(np.asarray(normals, dtype=np.float32).tolist())
    mesh.update()


def shift_fcurve_keys(fcurve, offset):
    """Move every key of ``fcurve`` (and its Bézier handles) by ``offset`` frames (float), in bulk."""
    points = fcurve.keyframe_points
    for name in ("co", "handle_left", "handle_right"):
        co = np.empty(len(points) * 2, dtype=np.float32)
        points.foreach_get(name, co)
        co[0::2] += np.float32(offset)
        points.foreach_set(name, co)
    fcurve.update()


def key_block_coords(block):
    """``(V, 3) float32`` coordinates stored in a shape key block (local space)."""
    return _vertex_coords(block.data, len(block.data))


def shape_key_deltas(obj, names):
    """``(len(names), V, 3) float64`` local-space offsets of a mesh object's shape keys ``names`` from its reference
    key (the Basis); zero for a name the object has no key of, or for an object without shape keys."""
    n = len(obj.data.vertices)
    deltas = np.zeros((len(names), n, 3))
    keys = obj.data.shape_keys
    if keys is None:
        return deltas
    basis = key_block_coords(keys.reference_key).astype(np.float64)
    for k, name in enumerate(names):
        block = keys.key_blocks.get(name)
        if block is not None:
            deltas[k] = key_block_coords(block) - basis
    return deltas


def set_key_block_coords(block, coords):
    """Write ``(V, 3)`` local-space coordinates into a shape key block."""
    block.data.foreach_set("co", np.asarray(coords, dtype=np.float32).ravel())


def evaluated_world_mesh(objects, depsgraph):
    """The objects' evaluated meshes (shape keys and modifiers applied: the pose seen in the viewport) in world
    space, combined: ``(vertices (V, 3) float64, triangles (T, 3) int64)``.

    Raises:
        InputError: they hold no triangles.
    """
    verts, tris, offset = [], [], 0
    for obj in objects:
        evaluated = obj.evaluated_get(depsgraph)
        mesh = evaluated.to_mesh()
        try:
            co = _vertex_coords(mesh.vertices, len(mesh.vertices)).astype(np.float64)
            mesh.calc_loop_triangles()
            loop_tris = np.empty(len(mesh.loop_triangles) * 3, dtype=np.int32)
            mesh.loop_triangles.foreach_get("vertices", loop_tris)
            matrix = world_matrix(evaluated)
        finally:
            evaluated.to_mesh_clear()
        points = _transform(co, matrix)
        verts.append(points)
        tris.append(loop_tris.reshape(-1, 3).astype(np.int64) + offset)
        offset += len(points)
    triangles = np.concatenate(tris) if tris else np.zeros((0, 3), np.int64)
    if len(triangles) == 0:
        raise InputError(f"{', '.join(obj.name for obj in objects)}: no faces to render")
    return np.concatenate(verts), triangles


def rest_world_vertices(objects, vertex_count):
    """The objects' rest pose (each mesh's Basis shape key, or its vertices when it has no shape keys) in world space,
    combined in the order of :func:`evaluated_world_mesh`: ``(V, 3) float64``, or None when it cannot stand beside the
    evaluated pose: an object with a modifier shown in the viewport (a Subdivision Surface changes the vertices, a
    deforming modifier moves them away from the Basis), or a vertex count other than ``vertex_count``."""
    verts = []
    for obj in objects:
        if any(modifier.show_viewport for modifier in obj.modifiers):
            return None
        keys = obj.data.shape_keys
        source = keys.reference_key.data if keys is not None else obj.data.vertices
        verts.append(_transform(_vertex_coords(source, len(source)).astype(np.float64), world_matrix(obj)))
    rest = np.concatenate(verts) if verts else np.zeros((0, 3))
    return rest if len(rest) == vertex_count else None


def image_rgb(image):
    """``(H, W, 3) uint8`` sRGB of a Blender image data-block (top row first).

    Byte images are taken as stored (sRGB); float images (EXR, HDR, 16-bit PNG, which Blender keeps in scene-linear
    light) are encoded to sRGB first, as a viewer shows them.
    An unmodified JPEG file on disk is read from the file (:func:`..core.io.image_io.load_image`), upright by its EXIF
    orientation: Blender loads JPEGs without it, so a phone's portrait photo would lie on its side.

    Raises:
        InputError: the Render Result / Viewer Node images (their pixels cannot be read from Python: save the render
            first) and images without pixels (a missing file).
    """
    if image.type in ("RENDER_RESULT", "COMPOSITING"):
        raise InputError(
            f"'{image.name}' is a render or compositor result, whose pixels Python cannot read; save it "
            f"(Image > Save As) and choose the saved file"
        )
    if image.source == "FILE" and not image.packed_file and not image.is_dirty and image.file_format == "JPEG":
        path = Path(image.filepath_from_user())
        if path.is_file():
            return load_image(path)
    width, height = (int(v) for v in image.size)
    channels = int(image.channels)
    if width == 0 or height == 0 or not image.has_data and len(image.pixels) == 0:
        raise InputError(
            f"Blender image '{image.name}' has no pixels (is its file {image.filepath!r} missing?); "
            f"reload it or choose another image"
        )
    flat = np.empty(width * height * channels, dtype=np.float32)
    image.pixels.foreach_get(flat)
    pixels = flat.reshape(height * width, channels)
    if channels != 4:  # grey (1), grey + alpha (2) or RGB (3) buffers: expand to RGBA for from_blender_pixels
        rgb = np.repeat(pixels[:, :1], 3, axis=1) if channels < 3 else pixels[:, :3]
        alpha = pixels[:, 1:2] if channels == 2 else np.ones((len(pixels), 1), np.float32)
        pixels = np.concatenate([rgb, alpha], axis=1)
    if image.is_float:
        pixels = pixels.copy()
        pixels[:, :3] = linear_to_srgb(pixels[:, :3])
    return from_blender_pixels(pixels, width, height)


def fcurve_values(fcurves, frames):
    """Each F-Curve evaluated at ``frames`` (``(n,)`` scene frames, may be fractional): ``(n, len(fcurves))
    float64``; a None entry gives zeros."""
    frames = np.asarray(frames, dtype=np.float64)
    out = np.zeros((len(frames), len(fcurves)))
    for column, fcurve in enumerate(fcurves):
        if fcurve is not None:
            out[:, column] = [fcurve.evaluate(float(frame)) for frame in frames]
    return out


def write_keyframes(fcurve, frames, values, interpolation):
    """Append keyframes to ``fcurve`` in bulk.

    Args:
        frames, values: ``(n,)`` scene frames and values.
        interpolation: ``(n,)`` int enum values of ``Keyframe.interpolation``, or one int for all.

    Calls ``fcurve.update()`` afterwards, which sorts the points and recomputes automatic Bezier handles.
    """
    points = fcurve.keyframe_points
    old = len(points)
    n = len(frames)
    co = np.empty((old + n, 2), dtype=np.float32)
    interp = np.empty(old + n, dtype=np.int32)
    if old:  # foreach_set writes the whole collection: keep what is there
        points.foreach_get("co", co[:old].ravel())
        points.foreach_get("interpolation", interp[:old])
    co[old:, 0] = frames
    co[old:, 1] = values
    interp[old:] = interpolation
    points.add(n)
    points.foreach_set("co", co.ravel())
    points.foreach_set("interpolation", interp)
    fcurve.update()


def write_bezier_keyframes(fcurve, frames, values, handle_left, handle_right, handle_types, interpolation):
    """Write Bezier keyframes with explicit handles into an empty ``fcurve``, in bulk.

    Args:
        frames, values: ``(n,)`` scene frames and values, sorted by frame.
        handle_left, handle_right: ``(n, 2)`` absolute ``(frame, value)`` of each key's handles.
        handle_types: ``(n,)`` int enum values of ``Keyframe.handle_left_type`` (both sides get the same).
        interpolation: int enum value of ``Keyframe.interpolation`` (``'BEZIER'``).

    The handle types are written before the positions, and ``fcurve.update()`` (sorting, handle recalculation) is
    called once at the end; FREE and ALIGNED handles keep the positions given. Raises ValueError when the curve
    already has keys.
    """
    points = fcurve.keyframe_points
    if len(points):
        raise ValueError(f"write_bezier_keyframes needs an empty F-Curve; {fcurve.data_path} has {len(points)} keys")
    n = len(frames)
    points.add(n)
    types = np.broadcast_to(np.asarray(handle_types, np.int32), (n,)).copy()
    points.foreach_set("interpolation", np.full(n, interpolation, np.int32))
    points.foreach_set("handle_left_type", types)
    points.foreach_set("handle_right_type", types)
    points.foreach_set("co", np.column_stack([frames, values]).astype(np.float32).ravel())
    points.foreach_set("handle_left", np.asarray(handle_left, np.float32).ravel())
    points.foreach_set("handle_right", np.asarray(handle_right, np.float32).ravel())
    fcurve.update()


def set_preview_pixels(preview, rgba):
    """Show an image in a ``bpy.utils.previews`` ImagePreview (e.g. a panel's generated picture).

    ``rgba``: ``(H, W, 4)`` float RGBA in [0, 1], row 0 at the bottom (Blender's pixel order). Sets the preview's
    image and its icon to it (``image_size``/``icon_size`` then ``image_pixels_float``/``icon_pixels_float``
    through ``foreach_set``)."""
    rgba = np.ascontiguousarray(rgba, dtype=np.float32)
    height, width = rgba.shape[:2]
    flat = rgba.ravel()
    preview.image_size = (width, height)
    preview.image_pixels_float.foreach_set(flat)
    preview.icon_size = (width, height)
    preview.icon_pixels_float.foreach_set(flat)
