# SPDX-License-Identifier: GPL-3.0-or-later
"""How recognisable are the wheel's dyads? ``tools/evaluate_emotion.py dyads`` (development tooling).

For every named dyad of :data:`facemotion.core.emotion.wheel.DYADS` whose two primaries are both classifier
categories (joy = ``happy``, sadness = ``sad``, fear, surprise, disgust, anger: awe, disapproval, remorse,
Plutchik's contempt, guilt, despair, unbelief, envy, pride, delight, shame, outrage, morbidness), on several
differently shaped rigs (:func:`evaluate_emotion.consistency_heads`: ``ict-A`` an ICT identity with its parts
coloured, ``canonical`` MediaPipe's canonical face mask, ``stylised`` a caricature beyond the human range; and
helper heads of ``tools/synthetic_heads.py`` as ``warped:KIND`` when that module is there), each blend method
poses the rig (``vertices + weights @ deltas``), the pose is rendered frontally with the project's rasterizer
(256 px, as the consistency check and the training renders), detected (MediaPipe) and classified by the shipped
model (each pose alone) and the shipped relative model (against the head's rest pose). Per dyad and method:

* ``mass``: the probability on the two constituents, p(E1) + p(E2) (1 = nothing else is read);
* ``top2``: whether the two constituents are the two most probable classes (in either order);
* ``e1_first``: whether p(E1) > p(E2) (the dominant emotion reads as dominant);
* ``p_neutral`` (1 - the classifier's intensity) and ``weight_norm``, the L2 distance of the ARKit weights from the
  neutral pose (0): how far from neutral the blend is, as the classifier sees it and in weight space.

Methods: ``linear`` (:func:`~facemotion.core.emotion.blending.blend_linear`), ``correlation`` ([Ma 2025]'s rule
with the shipped ARKit-space statistics), ``correlation_pca`` (the rule in a 16-component PCA space, k = 6, as the
paper works in PCA space; statistics built in-process by ``tools/build_blend_stats.build``),
``correlation_weighted`` (facemotion's dominance-keeping variant of the rule,
:func:`~facemotion.core.emotion.blending.blend_correlation_weighted`) and ``linear_matched_weighted``, its
control: the linear blend scaled up (and clipped) to that blend's ARKit norm, so that what the rule gains over it is
the rule's and not only a stronger expression's; ``salient`` (an earlier candidate, see :func:`blend_salient`) and
``linear_matched``, its control the same way. Default methods: :data:`DEFAULT_METHODS`. Dyads use
:data:`~facemotion.core.emotion.wheel.DYAD_MIX` (E1 weight 0.6) at intensity 1.0.

Usage::

    .venv/bin/python tools/evaluate_emotion.py dyads --json build/dyads.json [--heads ict-A,canonical,stylised]
    .venv/bin/python tools/evaluate_emotion.py dyads --heads ict-A,canonical,stylised,warped:wide,warped:bulge \
        --json build/dyads_weighted.json              # the table of README "Compound emotions"
"""

import json
import time
from pathlib import Path

import numpy as np

from facemotion.core.emotion.blending import blend_correlation, blend_correlation_weighted, blend_linear, default_stats
from facemotion.core.emotion.presets import CATEGORIES, preset_weights
from facemotion.core.emotion.wheel import DYAD_MIX, DYADS
from facemotion.core.errors import FacemotionError

#: Plutchik primary -> classifier category.
CATEGORY_OF = {
    "joy": "happy",
    "sadness": "sad",
    "fear": "fear",
    "surprise": "surprise",
    "disgust": "disgust",
    "anger": "anger",
}
METHODS = (
    "linear",
    "correlation",
    "correlation_weighted",
    "linear_matched_weighted",
    "correlation_pca",
    "salient",
    "linear_matched",
)
#: What ``dyads`` measures unless ``--methods`` says otherwise.
DEFAULT_METHODS = ("linear", "correlation", "correlation_weighted", "linear_matched_weighted")
DEFAULT_HEADS = ("ict-A", "canonical", "stylised")


def measurable_dyads():
    """``[(dyad, first primary, second primary)]`` whose primaries are both classifier categories (table order)."""
    return [(name, a, b) for name, (a, b, _) in DYADS.items() if a in CATEGORY_OF and b in CATEGORY_OF]


def blend_salient(e1, e2, label1, label2, w1, stats=None):
    """Candidate rule: like [Ma 2025]'s, each emotion's top-k correlated channels carry that emotion, but at its own
    full strength instead of a weighted share: ``E[i] = max(lin[i], E1[i])`` on I_E1 \\ I_o, ``max(lin[i], E2[i])``
    on I_E2 \\ I_o, ``max(E1[i], E2[i])`` on I_o, ``lin = w1·E1 + w2·E2`` elsewhere; clipped as the rule is. So each
    constituent's signature survives the blend (a dyad should read as both), and w1 still decides the rest.
    ``e1``, ``e2`` (52,) ARKit weights; returns (52,) float32."""
    stats = stats or default_stats()
    a, b = np.asarray(e1, np.float64), np.asarray(e2, np.float64)
    lin = w1 * a + (1.0 - w1) * b
    i1, i2 = set(map(int, stats.indices(label1))), set(map(int, stats.indices(label2)))
    out = lin.copy()
    for i in i1 - i2:
        out[i] = max(lin[i], a[i])
    for i in i2 - i1:
        out[i] = max(lin[i], b[i])
    for i in i1 & i2:
        out[i] = max(a[i], b[i])
    return np.clip(np.clip(out, stats.emin, stats.emax), 0.0, 1.0).astype(np.float32)


def dyad_weights(first, second, method, *, mix=DYAD_MIX, intensity=1.0, pca_stats=None):
    """ARKit weights ``(52,) float32`` of the pair (first = E1) blended by ``method`` (:data:`METHODS`)."""
    e1, e2 = preset_weights(first, intensity), preset_weights(second, intensity)
    if method == "linear":
        return blend_linear(e1, e2, mix)
    if method == "correlation":
        return blend_correlation(e1, e2, first, second, mix)
    if method == "correlation_pca":
        return blend_correlation(e1, e2, first, second, mix, stats=pca_stats)
    if method == "correlation_weighted":
        return blend_correlation_weighted(e1, e2, first, second, mix)
    if method == "salient":
        return blend_salient(e1, e2, first, second, mix)
    if method in ("linear_matched", "linear_matched_weighted"):
        # control for "salient" / "correlation_weighted": the linear blend scaled up to that blend's ARKit norm
        # (clipped), so a difference between the two is the rule's, not just a stronger expression's
        lin = blend_linear(e1, e2, mix).astype(np.float64)
        rule = blend_salient if method == "linear_matched" else blend_correlation_weighted
        target = float(np.linalg.norm(rule(e1, e2, first, second, mix)))
        scale = 1.0
        for _ in range(30):  # clipping loses norm: grow the scale until the clipped norm matches (bisection-free)
            cur = float(np.linalg.norm(np.clip(lin * scale, 0.0, 1.0)))
            if cur >= target - 1e-4 or cur == 0.0:
                break
            scale *= target / cur
        return np.clip(lin * scale, 0.0, 1.0).astype(np.float32)
    raise FacemotionError(f"unknown method {method!r}; use one of: {', '.join(METHODS)}")


def _heads(names):
    import evaluate_emotion

    plain = [n for n in names if not n.startswith("warped:")]
    heads = evaluate_emotion.consistency_heads(tuple(plain)) if plain else []
    for name in names:
        if name.startswith("warped:"):
            import synthetic_heads  # helper D's module (tools/synthetic_heads.py)

            kind = name.split(":", 1)[1]
            verts, tris, _ = synthetic_heads.joined(synthetic_heads.warped_ict(kind))  # its default strength
            heads.append(
                evaluate_emotion.Head(
                    name, verts, tris, tris, None, f"ICT head with helper D's '{kind}' warp, plain shading"
                )
            )
    return heads


def run_dyads(heads, models, *, methods=DEFAULT_METHODS, log=print, save_dir=None):
    """Rig each head, pose every measurable dyad by every method, render, detect, classify with every model.

    ``heads``: list of ``evaluate_emotion.Head``; ``models``: list of EmotionClassifier. Returns ``list[dict]``
    records (head, model, dyad, first, second, method, predicted, probabilities, mass, top2, e1_first, p_neutral,
    weight_norm)."""
    import build_blend_stats
    import evaluate_emotion

    from facemotion.core.detect.landmarks import default_detector
    from facemotion.core.rig.autorig import rig_mesh

    pca_stats = build_blend_stats.build(space="pca", components=16, k=6) if "correlation_pca" in methods else None
    detector = default_detector()
    records = []
    for head in heads:
        start = time.perf_counter()
        rig = rig_mesh(head.vertices, head.triangles)
        deltas = rig.deltas.reshape(len(rig.deltas), -1)
        camera = evaluate_emotion.head_camera(rig.landmarks)
        log(f"  {head.name}: {head.description}; rigged in {time.perf_counter() - start:.1f} s")
        rest_image = evaluate_emotion.render_head(head, head.vertices, camera)
        rest = detector.detect(rest_image)
        references = {}
        for model in models:
            if model.needs_reference:
                if not rest:
                    raise FacemotionError(f"no face found on the rest pose of {head.name}")
                references[model.path.name] = model.reference_parts(rest[0], rest_image)
        for dyad, first, second in measurable_dyads():
            c1, c2 = CATEGORY_OF[first], CATEGORY_OF[second]
            for method in methods:
                weights = dyad_weights(first, second, method, pca_stats=pca_stats)
                posed = head.vertices + (weights.astype(np.float64) @ deltas).reshape(-1, 3)
                image = evaluate_emotion.render_head(head, posed, camera)
                if save_dir is not None:
                    import cv2

                    Path(save_dir).mkdir(parents=True, exist_ok=True)
                    cv2.imwrite(str(Path(save_dir) / f"{head.name}_{dyad}_{method}.png"), image[:, :, ::-1])
                faces = detector.detect(image)
                for model in models:
                    base = dict(
                        head=head.name,
                        model=model.path.name,
                        dyad=dyad,
                        first=c1,
                        second=c2,
                        method=method,
                        weight_norm=round(float(np.linalg.norm(weights)), 4),
                    )
                    if not faces:
                        records.append(
                            {
                                **base,
                                "predicted": None,
                                "probabilities": None,
                                "mass": 0.0,
                                "top2": False,
                                "e1_first": False,
                                "p_neutral": None,
                            }
                        )
                        continue
                    result = model.classify_face(faces[0], image, reference=references.get(model.path.name))
                    p = result.probabilities
                    top = sorted(p, key=p.get, reverse=True)[:2]
                    records.append(
                        {
                            **base,
                            "predicted": result.label,
                            "probabilities": {k: round(float(v), 4) for k, v in p.items()},
                            "mass": round(float(p[c1] + p[c2]), 4),
                            "top2": set(top) == {c1, c2},
                            "e1_first": bool(p[c1] > p[c2]),
                            "p_neutral": round(float(p["neutral"]), 4),
                        }
                    )
        log(f"    {head.name}: {len(measurable_dyads()) * len(methods)} poses in {time.perf_counter() - start:.1f} s")
    return records


def summarise(records):
    """``{model: {method: {dyad or "all": {mass, top2, e1_first, p_neutral, weight_norm, n}}}}``: means over
    heads (top2 and e1_first as shares)."""
    out = {}
    for model in dict.fromkeys(r["model"] for r in records):
        out[model] = {}
        for method in dict.fromkeys(r["method"] for r in records):
            rows = [r for r in records if r["model"] == model and r["method"] == method]
            groups = {d: [r for r in rows if r["dyad"] == d] for d in dict.fromkeys(r["dyad"] for r in rows)}
            groups["all"] = rows
            out[model][method] = {
                d: {
                    "mass": round(float(np.mean([r["mass"] for r in rs])), 4),
                    "top2": round(float(np.mean([r["top2"] for r in rs])), 4),
                    "e1_first": round(float(np.mean([r["e1_first"] for r in rs])), 4),
                    "p_neutral": round(
                        float(np.mean([r["p_neutral"] for r in rs if r["p_neutral"] is not None] or [np.nan])), 4
                    ),
                    "weight_norm": round(float(np.mean([r["weight_norm"] for r in rs])), 4),
                    "n": len(rs),
                }
                for d, rs in groups.items()
            }
    return out


def format_table(summary):
    """Text table per model: rows dyads, columns per method ``mass top2 e1>e2``."""
    lines = []
    for model, methods in summary.items():
        names = list(methods)
        lines.append(
            f"\nmodel {model}: mass = p(E1)+p(E2), top2 = both constituents are the top two classes "
            f"(share of heads), e1 = p(E1) > p(E2), pN = p(neutral), |w| = ARKit distance from neutral"
        )
        header = f"{'dyad':<18s}" + "".join(f"{m:>30s}" for m in names)
        sub = f"{'':<18s}" + "".join(f"{'mass  top2   e1   pN   |w|':>30s}" for _ in names)
        lines += [header, sub, "-" * len(header)]
        for dyad in methods[names[0]]:
            cells = []
            for m in names:
                s = methods[m][dyad]
                cells.append(
                    f"{s['mass']:6.2f}{s['top2']:6.2f}{s['e1_first']:6.2f}{s['p_neutral']:5.2f}"
                    f"{s['weight_norm']:6.2f}".rjust(30)
                )
            if dyad == "all":
                lines.append("-" * len(header))
            lines.append(f"{dyad:<18s}" + "".join(cells))
    return "\n".join(lines)


def cmd_dyads(args):
    """``evaluate_emotion.py dyads``: run, print the table, write ``--json``."""
    from facemotion.core.emotion.classifier import DEFAULT_MODEL_PATH, RELATIVE_MODEL_PATH, EmotionClassifier
    from facemotion.core.io.atomic_io import atomic_write_text

    start = time.perf_counter()
    heads = _heads(tuple(args.heads.split(",")))
    models = [EmotionClassifier(p) for p in (args.model or [DEFAULT_MODEL_PATH, RELATIVE_MODEL_PATH])]
    methods = tuple(args.methods.split(","))
    print(
        f"Dyads: {len(measurable_dyads())} dyads x {len(methods)} methods on {len(heads)} heads, mix {DYAD_MIX}, "
        f"intensity 1.0; models {', '.join(m.path.name for m in models)}"
    )
    records = run_dyads(heads, models, methods=methods, save_dir=args.save)
    summary = summarise(records)
    print(format_table(summary))
    print(f"\n{len(records)} records in {time.perf_counter() - start:.0f} s")
    if args.json:
        doc = {
            "command": "tools/evaluate_emotion.py dyads",
            "heads": [h.name for h in heads],
            "mix": DYAD_MIX,
            "intensity": 1.0,
            "methods": list(methods),
            "categories": list(CATEGORIES),
            "summary": summary,
            "records": records,
        }
        atomic_write_text(args.json, json.dumps(doc, indent=1) + "\n")
        print(f"wrote {args.json}")
    return 0


def add_parser(sub):
    """Add the ``dyads`` sub-command to ``evaluate_emotion.py``'s sub-parsers; returns the parser."""
    p = sub.add_parser("dyads", help="how recognisable the wheel's dyads are, per blend method, on several rigs")
    p.add_argument("--json", type=Path, help="write the table and every record here")
    p.add_argument(
        "--heads",
        default=",".join(DEFAULT_HEADS),
        help="comma-separated consistency heads (and warped:KIND with tools/synthetic_heads.py)",
    )
    p.add_argument("--methods", default=",".join(DEFAULT_METHODS), help=f"comma-separated, of: {', '.join(METHODS)}")
    p.add_argument("--model", type=Path, action="append", help="model (repeatable; default: shipped + relative)")
    p.add_argument("--save", type=Path, help="write every render here (PNG)")
    return p
