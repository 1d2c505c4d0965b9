#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Accuracy of the auto-rig against ground truth: ICT identities, remeshed, rigged through the generic path.

A test head is an ICT-FaceKit identity (neutral + identity PCA modes), remeshed (Blender's collapse Decimate,
or midpoint subdivision), vertex order shuffled, scaled, rotated and moved. Its ground-truth expression deltas are
the template's deltas at the same surface point — the closest point on the un-remeshed identity surface, on the
template loose part (skin, eyeball, tooth...) that most of the vertex's own loose part lies on — moved by the same
scale and rotation. The rig never sees that correspondence: it detects landmarks on the head, fits and
transfers like for any user mesh.

The test heads keep ICT's eyeballs, teeth and mouth interior. ICT-FaceKit ships its eyeballs still in every shape
(its eyes are turned by a separate rotation), while ARKit's eyeLook* coefficients are eyeball rotations: the
ground truth of an eyeball vertex in eyeLook* is the rotation of the rig's convention
(:data:`facemotion.core.rig.transfer.EYE_LOOK_DEGREES` about the sphere-fit centre of the template's eyeball), and
zero in every other shape.

Error of expression k at vertex i: ``|pred_i - gt_i| / m_k`` where ``m_k`` is the mean ground-truth displacement
over the vertices the expression moves (``|gt_i| >= 10 %`` of its peak); mean and 95th percentile

* over those vertices (**measure**: motion where there should be none is not seen), and
* over every vertex that moves in the ground truth *or* in the result (``|pred_i| >= 10 %`` of the ground truth's
  peak too; **strict**: spurious motion counts), also broken down by region (skin / eye / teeth: which ICT part
  the vertex lies on).

"Eyeball deformation" is the largest non-rigid part of an eyeball vertex's motion (residual of the best rigid
motion of that eyeball, Kabsch) in a shape, as a fraction of the shape's peak ground-truth displacement.
Run: ``.venv/bin/python tools/rig_accuracy.py`` (prints the tables; ~1 min).
"""

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
from facemotion.core.arkit import ARKIT_INDEX, ARKIT_NAMES  # noqa: E402
from facemotion.core.geometry import (  # noqa: E402
    MeshProximity,
    connected_components,
    interpolate_on_surface,
    similarity_transform,  # noqa: E402
)
from facemotion.core.rig.parts import fit_sphere  # noqa: E402
from facemotion.core.rig.transfer import EYE_LOOK, eye_look_rotation  # noqa: E402

ACTIVE_FRACTION = 0.1

#: Regions of the strict breakdown: which ICT part a test-head vertex lies on.
REGION_IDS = {"skin": 0, "eye": 1, "teeth": 2}


@dataclass
class TestHead:
    """A remeshed, transformed identity head with ground truth: ``vertices (N, 3)``, ``triangles (M, 3)``,
    ``gt_deltas (52, N, 3) float32`` in the head's own units and frame, and a description."""

    vertices: np.ndarray
    triangles: np.ndarray
    gt_deltas: np.ndarray
    description: str
    regions: np.ndarray = None
    eyeballs: dict = None


def subdivide(vertices, triangles):
    """Midpoint subdivision (each triangle into four); new vertices lie exactly on the surface."""
    edges = np.sort(np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]]), axis=1)
    unique, inverse = np.unique(edges, axis=0, return_inverse=True)
    mid = len(vertices) + inverse.reshape(3, -1).T  # (T, 3): midpoints of edges 01, 12, 20
    verts = np.concatenate([vertices, vertices[unique].mean(axis=1)])
    a, b, c = triangles.T
    ab, bc, ca = mid.T
    tris = np.concatenate(
        [np.stack([a, ab, ca], 1), np.stack([ab, b, bc], 1), np.stack([ca, bc, c], 1), np.stack([ab, bc, ca], 1)]
    )
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


def make_test_head(
    template, identity, *, remesh="decimate", ratio=0.35, scale=1.0, rotation=None, translation=(0.0, 0.0, 0.0), seed=0
):
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
    order = rng.permutation(len(verts))  # shuffled vertex order
    verts = verts[order]
    tris = np.argsort(order)[tris]
    tris = tris[rng.permutation(len(tris))]
    hit = MeshProximity(neutral, template.triangles).query(verts)
    # Each loose part of the head takes its ground truth from the template loose part most of it lies on (a
    # decimated lid vertex closer to the eyeball than to the lid is still lid).
    template_part = connected_components(len(neutral), template.triangles)[template.triangles[:, 0]]
    head_part = connected_components(len(verts), tris)
    pairs = np.unique(np.stack([head_part, template_part[hit.triangle]], axis=1), axis=0, return_counts=True)
    majority = {}
    for (h, t), count in zip(*pairs):
        if count > majority.get(h, (None, 0))[1]:
            majority[h] = (t, count)
    source = np.array([majority[h][0] for h in head_part])
    triangle, barycentric = hit.triangle.copy(), hit.barycentric.copy()
    for t in np.unique(source):
        rows = np.flatnonzero(source == t)
        allowed = np.flatnonzero(template_part == t)
        sub = MeshProximity(neutral, template.triangles[allowed]).query(verts[rows])
        triangle[rows], barycentric[rows] = allowed[sub.triangle], sub.barycentric
    gt = np.stack([interpolate_on_surface(d, template.triangles, triangle, barycentric) for d in template.deltas])
    # Region of each vertex: the ICT part of its template triangle's first vertex.
    part_of = np.zeros(len(neutral), dtype=np.int8)
    for name, (a, b) in template.parts.items():
        if name.startswith("eyeball"):
            part_of[a:b] = REGION_IDS["eye"]
        elif name in ("teeth", "gums_and_tongue"):
            part_of[a:b] = REGION_IDS["teeth"]
    regions = part_of[template.triangles[triangle, 0]]
    centres = {side: fit_sphere(neutral[slice(*template.parts[f"eyeball_{side}"])])[0] for side in ("left", "right")}
    eye = np.flatnonzero(regions == REGION_IDS["eye"])
    nearer_left = np.linalg.norm(verts[eye] - centres["left"], axis=1) < np.linalg.norm(
        verts[eye] - centres["right"], axis=1
    )
    eyeballs = {"left": eye[nearer_left], "right": eye[~nearer_left]}
    for name, (side, _, _) in EYE_LOOK.items():
        rel = verts[eyeballs[side]] - centres[side]
        r = eye_look_rotation(np.eye(3), name)
        gt[ARKIT_INDEX[name], eyeballs[side]] = rel @ r.T - rel
    rot = np.eye(3) if rotation is None else np.asarray(rotation, dtype=np.float64)
    linear = scale * rot
    return TestHead(
        vertices=verts @ linear.T + np.asarray(translation),
        triangles=tris,
        gt_deltas=(gt @ linear.T).astype(np.float32),
        description=f"identity {list(np.round(identity, 2))}, {remesh}, {len(verts)} v, scale {scale}",
        regions=regions,
        eyeballs=eyeballs,
    )


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


def strict_errors(pred, gt, regions=None):
    """Per expression strict ``(mean, p95)`` relative errors over every vertex moving in ``gt`` or ``pred``
    (module docstring), and the strict mean per region.

    Args:
        pred, gt: ``(52, N, 3)`` deltas; regions: ``(N,) int`` region ids (:data:`REGION_IDS`) or None.

    Returns:
        ``(errors (52, 2) float64, by_region (52, R) float64)``: NaN for expressions with no ground truth, and for
        regions with no counted vertex in an expression.
    """
    out = np.full((len(gt), 2), np.nan)
    by_region = np.full((len(gt), len(REGION_IDS)), np.nan)
    for k in range(len(gt)):
        mag = np.linalg.norm(gt[k], axis=1)
        if mag.max() <= 0:
            continue
        active = mag >= ACTIVE_FRACTION * mag.max()
        counted = active | (np.linalg.norm(pred[k], axis=1) >= ACTIVE_FRACTION * mag.max())
        err = np.linalg.norm(pred[k] - gt[k], axis=1) / mag[active].mean()
        out[k] = err[counted].mean(), np.quantile(err[counted], 0.95)
        if regions is not None:
            for r in range(len(REGION_IDS)):
                sel = counted & (regions == r)
                if sel.any():
                    by_region[k, r] = err[sel].mean()
    return out, by_region


def eyeball_deformation(pred, gt, vertices, eyeballs):
    """``(52,) float64``: per expression, the largest non-rigid motion of an eyeball vertex (distance to the best
    rigid motion of its eyeball, Kabsch) over both eyeballs, as a fraction of the expression's peak ground-truth
    displacement; NaN without ground truth. ``eyeballs``: side -> ``(K,) int`` vertex indices."""
    out = np.full(len(gt), np.nan)
    for k in range(len(gt)):
        peak = np.linalg.norm(gt[k], axis=1).max()
        if peak <= 0:
            continue
        worst = 0.0
        for members in eyeballs.values():
            if len(members) < 3:
                continue
            src = vertices[members]
            dst = src + pred[k][members]
            if np.abs(pred[k][members]).max() <= 0:
                continue
            _, rotation, translation = similarity_transform(src, dst, with_scale=False)
            worst = max(worst, float(np.linalg.norm(src @ rotation.T + translation - dst, axis=1).max()))
        out[k] = worst / peak
    return out


def rotation_matrix(axis, degrees):
    axis = np.asarray(axis, dtype=np.float64) / np.linalg.norm(axis)
    a = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


STANDARD_HEADS = (
    dict(
        identity=[1.0, -0.8, 0.6, 0.5],
        remesh="decimate",
        ratio=0.35,
        scale=1000.0,
        rotation=rotation_matrix([1, 0.3, 0], 90),
        translation=(250, -40, 1200),
        seed=1,
    ),
    dict(
        identity=[-1.0, 0.7, -0.6, 0.0, 0.8],
        remesh="subdivide",
        scale=1.0,
        rotation=rotation_matrix([0, 0, 1], 30),
        translation=(0.3, 0.1, -2.0),
        seed=2,
    ),
)


def report(head, result, out=print):
    """Print the per-expression table (measure, strict measure, strict per region, eyeball deformation) of a
    rigged :class:`TestHead`; returns ``{"measure": mean, "strict": mean, "eye_max": worst eye strict, ...}``."""
    errors = expression_errors(result.deltas, head.gt_deltas)
    strict, by_region = strict_errors(result.deltas, head.gt_deltas, head.regions)
    deform = eyeball_deformation(result.deltas, head.gt_deltas, head.vertices, head.eyeballs)
    out(
        f"{'expression':<22s} {'mean':>6s} {'p95':>6s} | {'strict':>6s} {'p95':>6s} | "
        f"{'skin':>6s} {'eye':>6s} {'teeth':>6s} | {'eyeball deform':>14s}"
    )
    fmt = lambda x: f"{x:6.3f}" if np.isfinite(x) else f"{'-':>6s}"  # noqa: E731
    for k, name in enumerate(ARKIT_NAMES):
        if np.isfinite(errors[k, 0]):
            out(
                f"{name:<22s} {fmt(errors[k, 0])} {fmt(errors[k, 1])} | {fmt(strict[k, 0])} {fmt(strict[k, 1])} | "
                + " ".join(fmt(x) for x in by_region[k])
                + f" | {deform[k]:14.2e}"
            )
    valid = np.isfinite(errors[:, 0])
    region_mean = [
        np.nanmean(by_region[valid, r]) if np.isfinite(by_region[valid, r]).any() else np.nan
        for r in range(len(REGION_IDS))
    ]
    out(
        f"{'MEAN over ' + str(valid.sum()):<22s} {fmt(errors[valid, 0].mean())} {fmt(errors[valid, 1].mean())} | "
        f"{fmt(strict[valid, 0].mean())} {fmt(strict[valid, 1].mean())} | " + " ".join(fmt(x) for x in region_mean)
    )
    eye_shapes = [k for k, n in enumerate(ARKIT_NAMES) if n.startswith("eye") and valid[k]]
    blinks = [ARKIT_INDEX["eyeBlinkLeft"], ARKIT_INDEX["eyeBlinkRight"]]
    summary = {
        "measure": float(errors[valid, 0].mean()),
        "strict": float(strict[valid, 0].mean()),
        "eye_max": float(np.max(strict[eye_shapes, 0])),
        "eye_max_name": ARKIT_NAMES[eye_shapes[int(np.argmax(strict[eye_shapes, 0]))]],
        "blink_eyeball_deformation": float(np.nanmax(deform[blinks])),
        "non_look_eyeball_deformation": float(np.nanmax(np.delete(deform, [ARKIT_INDEX[n] for n in EYE_LOOK]))),
    }
    out(
        f"strict mean {summary['strict']:.3f}; worst eye shape {summary['eye_max_name']} {summary['eye_max']:.3f}; "
        f"eyeball max deformation in blinks {summary['blink_eyeball_deformation']:.2e}, in any non-eyeLook shape "
        f"{summary['non_look_eyeball_deformation']:.2e} (fraction of the shape's peak)"
    )
    return summary


def main():
    from facemotion.core.rig.autorig import rig_mesh
    from facemotion.core.rig.template import load_ict_template

    template = load_ict_template()
    summaries = []
    for spec in STANDARD_HEADS:
        head = make_test_head(template, **spec)
        start = time.perf_counter()
        result = rig_mesh(head.vertices, head.triangles)
        print(
            f"\n{head.description}: rigged in {time.perf_counter() - start:.1f} s "
            f"({', '.join(f'{k} {v:.2f} s' for k, v in result.timings.items())})"
        )
        if result.parts is not None:
            print("parts: " + result.parts.summary().replace("\n", "; "))
        summaries.append(report(head, result))
    print(
        "\nheads: measure "
        + " / ".join(f"{s['measure']:.3f}" for s in summaries)
        + "; strict "
        + " / ".join(f"{s['strict']:.3f}" for s in summaries)
    )


if __name__ == "__main__":
    main()
