#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Accuracy of the auto-rig against ground truth: ICT identities, remeshed, rigged through the generic path.

A test head is an ICT-FaceKit identity (neutral + identity PCA modes), remeshed (Blender's collapse Decimate,
or midpoint subdivision), vertex order shuffled, scaled, rotated and moved. Its ground-truth expression deltas are
the template's deltas at the same surface point — the closest point on the un-remeshed identity surface — moved
by the same scale and rotation. The rig never sees that correspondence: it detects landmarks on the head, fits and
transfers like for any user mesh.

Error of expression k at vertex i: ``|pred_i - gt_i| / m_k`` where ``m_k`` is the mean ground-truth displacement
over the vertices the expression moves (``|gt_i| >= 10 %`` of its peak); mean and 95th percentile over those
vertices. Run: ``.venv/bin/python tools/rig_accuracy.py`` (prints the table; ~1 min).
"""
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
from facemotion.core.arkit import ARKIT_NAMES  # noqa: E402
from facemotion.core.geometry import MeshProximity, interpolate_on_surface  # noqa: E402

ACTIVE_FRACTION = 0.1


@dataclass
class TestHead:
    """A remeshed, transformed identity head with ground truth: ``vertices (N, 3)``, ``triangles (M, 3)``,
    ``gt_deltas (52, N, 3) float32`` in the head's own units and frame, and a description."""

    vertices: np.ndarray
    triangles: np.ndarray
    gt_deltas: np.ndarray
    description: str


def subdivide(vertices, triangles):
    """Midpoint subdivision (each triangle into four); new vertices lie exactly on the surface."""
    edges = np.sort(np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]]), axis=1)
    unique, inverse = np.unique(edges, axis=0, return_inverse=True)
    mid = len(vertices) + inverse.reshape(3, -1).T            # (T, 3): midpoints of edges 01, 12, 20
    verts = np.concatenate([vertices, vertices[unique].mean(axis=1)])
    a, b, c = triangles.T
    ab, bc, ca = mid.T
    tris = np.concatenate([np.stack([a, ab, ca], 1), np.stack([ab, b, bc], 1), np.stack([ca, bc, c], 1),
                           np.stack([ab, bc, ca], 1)])
    return verts, tris


def decimate(vertices, triangles, ratio):
    """Blender's collapse Decimate modifier (edge collapse with quadric error), through the bpy module."""
    import bpy
    mesh = bpy.data.meshes.new("rig_accuracy_decimate")
    mesh.from_pydata(vertices.tolist(), [], triangles.tolist())
    obj = bpy.data.objects.new(mesh.name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    modifier = obj.modifiers.new("decimate", "DECIMATE")
    modifier.ratio = ratio
    modifier.use_collapse_triangulate = True
    evaluated = obj.evaluated_get(bpy.context.evaluated_depsgraph_get())
    out = evaluated.to_mesh()
    out.calc_loop_triangles()
    verts = np.empty(len(out.vertices) * 3)
    out.vertices.foreach_get("co", verts)
    tris = np.empty(len(out.loop_triangles) * 3, dtype=np.int64)
    out.loop_triangles.foreach_get("vertices", tris)
    evaluated.to_mesh_clear()
    bpy.data.objects.remove(obj)
    bpy.data.meshes.remove(mesh)
    return verts.reshape(-1, 3), tris.reshape(-1, 3)


def make_test_head(template, identity, *, remesh="decimate", ratio=0.35, scale=1.0, rotation=None,
                   translation=(0.0, 0.0, 0.0), seed=0):
    """Build a :class:`TestHead` from a template (see the module docstring).

    Args:
        identity: identity PCA coefficients; remesh: "decimate", "subdivide" or "none"; ratio: decimation ratio;
        scale: units per metre of the output (1000 = millimetres); rotation ``(3, 3)``; translation ``(3,)``.
    """
    neutral = template.with_identity(identity)
    if remesh == "decimate":
        verts, tris = decimate(neutral, template.triangles, ratio)
    elif remesh == "subdivide":
        verts, tris = subdivide(neutral, template.triangles)
    else:
        verts, tris = neutral.copy(), template.triangles.copy()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(verts))                       # shuffled vertex order
    verts = verts[order]
    tris = np.argsort(order)[tris]
    tris = tris[rng.permutation(len(tris))]
    hit = MeshProximity(neutral, template.triangles).query(verts)
    gt = np.stack([interpolate_on_surface(d, template.triangles, hit.triangle, hit.barycentric)
                   for d in template.deltas])
    rot = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64)
    linear = scale * rot
    return TestHead(vertices=verts @ linear.T + np.asarray(translation), triangles=tris,
                    gt_deltas=(gt @ linear.T).astype(np.float32),
                    description=f"identity {list(np.round(identity, 2))}, {remesh}, {len(verts)} v, scale {scale}")


def expression_errors(pred, gt):
    """Per expression ``(mean, p95)`` relative errors (module docstring); NaN for expressions with no ground truth.

    Returns: ``(52, 2) float64``.
    """
    out = np.full((len(gt), 2), np.nan)
    for k in range(len(gt)):
        mag = np.linalg.norm(gt[k], axis=1)
        if mag.max() <= 0:
            continue
        active = mag >= ACTIVE_FRACTION * mag.max()
        err = np.linalg.norm(pred[k][active] - gt[k][active], axis=1) / mag[active].mean()
        out[k] = err.mean(), np.quantile(err, 0.95)
    return out


def rotation_matrix(axis, degrees):
    axis = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    a = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


STANDARD_HEADS = (
    dict(identity=[1.0, -0.8, 0.6, 0.5], remesh="decimate", ratio=0.35, scale=1000.0,
         rotation=rotation_matrix([1, 0.3, 0], 90), translation=(250, -40, 1200), seed=1),
    dict(identity=[-1.0, 0.7, -0.6, 0.0, 0.8], remesh="subdivide", scale=1.0,
         rotation=rotation_matrix([0, 0, 1], 30), translation=(0.3, 0.1, -2.0), seed=2),
)


def main():
    from facemotion.core.rig.autorig import rig_mesh
    from facemotion.core.rig.template import load_ict_template
    template = load_ict_template()
    for spec in STANDARD_HEADS:
        head = make_test_head(template, **spec)
        start = time.perf_counter()
        result = rig_mesh(head.vertices, head.triangles)
        errors = expression_errors(result.deltas, head.gt_deltas)
        print(f"\n{head.description}: rigged in {time.perf_counter() - start:.1f} s")
        print(f"{'expression':<22s} {'mean':>7s} {'p95':>7s}")
        for name, (mean, p95) in zip(ARKIT_NAMES, errors):
            if np.isfinite(mean):
                print(f"{name:<22s} {100 * mean:6.1f}% {100 * p95:6.1f}%")
        valid = np.isfinite(errors[:, 0])
        print(f"{'MEAN over ' + str(valid.sum()):<22s} {100 * errors[valid, 0].mean():6.1f}% "
              f"{100 * errors[valid, 1].mean():6.1f}%")


if __name__ == "__main__":
    main()
