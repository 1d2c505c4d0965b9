#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fit and measure the fusion of the geometric and appearance emotion channels (development tooling).

``data``: faces neither channel was trained on, made harder on purpose
    Renders of ICT-FaceKit identities with ids from 2000 (the geometric model saw ids 0-119, its held-out set
    1000-1059; the appearance model saw only FER2013 photos), posed with the 8 FACS prototypes as
    ``tools/emotion_data.py`` draws them, always in the painted style (skin, lips, brows, irises: the renders closest
    to a photo; the untextured and mask styles have no photographic counterpart for a model trained on photos), then
    each degraded by one of :data:`CONDITIONS`, all drawn from the face's own seeded stream:
    ``clean`` (256 px colour, the generator's mild blur/noise/JPEG), ``grey48`` (greyscale, down to 48 px like
    FER2013 and up again, padded onto a larger canvas so the Face Landmarker finds it), ``blur_jpeg`` (Gaussian blur
    sigma 1.5-3 px and JPEG quality 12-35), ``occlusion`` (a flat patch over 12-25 % of the face: a hand, a bar over
    the eyes, a scarf), ``turn`` (yaw 25-45 degrees either way, pitch up to 20). MediaPipe runs on the degraded image;
    the geometric channel's measured feature parts (:data:`GEOMETRY_PARTS`: its probabilities are computed when
    fitting, by whatever geometric model is shipped then) of the face and of its mirror view (the face landmarked
    again on the mirrored image, ``mirror_parts_*``; ``mirror_found`` says where there was one), the appearance
    channel's probabilities as the channel gives them (``appearance``: what the fusion is fitted on) and its CNN's
    for a grid of crop framings (``appearance_fer``) are stored, with the label, identity and condition. Faces
    MediaPipe misses are counted, not kept.

``fit``: split by identity into a fitting third, a calibration third and a test third
    1. the crop framing: the appearance channel's balanced accuracy on the fitting third for each framing of
       :data:`FRAMINGS` is reported; the fusion uses the module's own
       (:data:`facemotion.core.emotion.appearance.CROP_SCALE`, ``CROP_CENTRE_SHIFT``: FER2013's framing, checked on
       the astronaut photo), since on renders every framing is near chance (0.20-0.25: the renders are out of the
       appearance model's domain) and cannot choose one;
    2. the fusion (:mod:`facemotion.core.emotion.fusion`): weighted log-linear pooling, fitted by multinomial
       log-likelihood on the fitting third with ``w_appearance >= r * w_geometry`` for each ``r`` of :data:`RATIOS`;
       the largest ``r`` whose fusion beats both channels alone (balanced accuracy) on the calibration third is kept
       (why: :mod:`facemotion.core.emotion.fusion`), unless ``--ratio R`` (one of :data:`RATIOS`) fixes it;
    3. temperatures (one per channel and one for the fusion, which may only soften: T >= 1) on the calibration third;
    4. the *uncertain* verdict's channel-support threshold (``min_support``, :func:`fit_support_threshold`) on the
       fitting third's faces that the margin and the no-channel's-top-class test call certain;
    5. on the test third (other identities): per-class and balanced accuracy, ECE (15 bins) and reliability tables,
       before and after temperature scaling, per channel and fused; the uncertain rate and the accuracy of certain
       and uncertain faces, by the margin alone and by the whole verdict, and what each further test adds; the
       astronaut photo's variants (each channel's label). ``--write`` stores the fitted parameters in
       ``core/emotion/fusion.json``.

Usage::

    nice .venv/bin/python tools/fit_emotion_fusion.py data --n 2400 --seed 7 --out build/emotion_fusion_data.npz
    .venv/bin/python tools/fit_emotion_fusion.py fit --data build/emotion_fusion_data.npz [--write] [--json R.json]
"""

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
from facemotion.core.emotion import appearance, fusion  # noqa: E402
from facemotion.core.emotion.features import MEASURED_PARTS, assemble, extract_parts  # noqa: E402
from facemotion.core.emotion.presets import CATEGORIES  # noqa: E402
from facemotion.core.io.atomic_io import atomic_output, atomic_write_text  # noqa: E402

#: How each face is made harder (one per face, equal shares).
CONDITIONS = ("clean", "grey48", "blur_jpeg", "occlusion", "turn")
#: Crop framings evaluated per face: (scale, centre shift).
FRAMINGS = tuple((s, c) for s in (2.0, 2.25, 2.5, 2.75, 3.0) for c in (0.2, 0.35, 0.5))
#: Lower bounds tried for ``w_appearance / w_geometry`` (0: free).
RATIOS = (0.0, 0.5, 1.0, 1.25, 1.5, 2.0, 3.0)
#: Feature parts stored per face: the measured parts of every spec without texture (the renders' texture is not a
#: photo's, models/README.md), so the fusion is refitted for a retrained geometric model without rendering again.
GEOMETRY_PARTS = tuple(p for p in MEASURED_PARTS if p != "lbp")
#: First identity id of the data (disjoint from the geometric model's training and held-out ids).
IDENTITY_OFFSET = 2000

_state = {}


def _degrade(image, condition, rng):
    """The render made harder by ``condition`` (uint8 RGB in, uint8 RGB out)."""
    if condition == "grey48":
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        small = cv2.resize(grey, (48, 48), interpolation=cv2.INTER_AREA)
        big = cv2.resize(small, (192, 192), interpolation=cv2.INTER_CUBIC)
        canvas = np.full((384, 384), int(np.median(small)), np.uint8)
        canvas[96:288, 96:288] = big
        return cv2.cvtColor(canvas, cv2.COLOR_GRAY2RGB)
    if condition == "blur_jpeg":
        image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(1.5, 3.0)))
        _, buf = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(12, 36))])
        return np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1])
    if condition == "occlusion":
        h, w = image.shape[:2]
        out = image.copy()
        area = rng.uniform(0.12, 0.25) * (0.5 * w) * (0.6 * h)  # the face fills about half the width
        aspect = rng.uniform(0.4, 2.5)
        ow, oh = int(np.sqrt(area * aspect)), int(np.sqrt(area / aspect))
        x = int(rng.uniform(0.25 * w, 0.75 * w - ow))
        y = int(rng.uniform(0.2 * h, 0.8 * h - oh))
        out[y : y + oh, x : x + ow] = rng.integers(20, 235, 3).astype(np.uint8)
        return out
    return image


def draw_face(renderer, seed, index, label, identity_id):
    """Face ``index`` of the stream ``seed``: ICT identity ``identity_id`` posed as ``label`` (a
    :data:`CATEGORIES` name) by ``tools/emotion_data.py``'s sampler, in the painted style, made harder by one of
    :data:`CONDITIONS`, all drawn from the face's own seeded stream. Returns ``(sample, condition, clean, degraded)``:
    the ``emotion_data`` sample, the condition's name and the ``(256, 256, 3) uint8`` RGB render before and after."""
    import emotion_data as ed

    rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(index),)))
    identity = ed.sample_identity(identity_id, renderer.template.identity_modes.shape[0])
    sample = ed.sample_face(rng, label, identity)
    condition = CONDITIONS[int(rng.integers(len(CONDITIONS)))]
    sample = dataclasses.replace(sample, style="painted", albedo=None, eyes="blank", mouth_interior=True, crop=None)
    if condition == "turn":
        yaw = rng.uniform(25.0, 45.0) * rng.choice([-1.0, 1.0])
        sample = dataclasses.replace(sample, pose_deg=np.array([yaw, rng.uniform(-20.0, 20.0), sample.pose_deg[2]]))
    clean = ed.render_sample(renderer, sample, 256)
    return sample, condition, clean, _degrade(clean, condition, rng)


def _make_one(args):
    """Render, degrade, detect and classify face ``index`` (worker function)."""
    index, seed, n_identities = args
    import emotion_data as ed

    if "renderer" not in _state:
        from facemotion.core.detect.landmarks import default_detector

        _state.update(
            renderer=ed.FaceRenderer(),
            detector=default_detector(),
            appearance=appearance.default_appearance_channel(),
        )
    label = CATEGORIES[index % len(CATEGORIES)]
    identity_id = IDENTITY_OFFSET + (index // len(CATEGORIES)) % n_identities
    sample, condition, clean, image = draw_face(_state["renderer"], seed, index, label, identity_id)
    faces = _state["detector"].detect(image)
    if not faces:
        return {"index": index, "label": label, "condition": condition, "found": False}
    face = faces[0]
    crops = np.stack([appearance.face_crop(image, face, scale=s, centre_shift=c) for s, c in FRAMINGS])
    (mirror,) = _state["detector"].mirror_views(image, [face])
    return {
        "index": index,
        "label": label,
        "group": identity_id,
        "condition": condition,
        "found": True,
        "intensity": sample.intensity,
        "parts": extract_parts(face, image, GEOMETRY_PARTS),
        "mirror_found": mirror is not None,
        "mirror_parts": None if mirror is None else extract_parts(mirror, image[:, ::-1], GEOMETRY_PARTS),
        "appearance": _state["appearance"].predict(image, [face])[0],
        "appearance_fer": _state["appearance"].predict_crops(crops),
    }


def generate(n, seed, workers, n_identities):
    jobs = [(i, seed, n_identities) for i in range(n)]
    start = time.perf_counter()
    results = []
    if workers == 1:
        iterator = map(_make_one, jobs)
        pool = None
    else:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(workers)  # MediaPipe's threads do not survive a fork
        iterator = pool.imap(_make_one, jobs, chunksize=8)
    try:
        for result in iterator:
            results.append(result)
            if len(results) % 100 == 0:
                print(f"  {len(results)}/{n} faces, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    kept = [r for r in results if r["found"]]
    missed = {c: sum(1 for r in results if not r["found"] and r["condition"] == c) for c in CONDITIONS}
    return {
        "labels": np.array([r["label"] for r in kept], "<U16"),
        "groups": np.array([r["group"] for r in kept], np.int64),
        "conditions": np.array([r["condition"] for r in kept], "<U16"),
        "intensity": np.array([r["intensity"] for r in kept], np.float32),
        **{f"parts_{part}": np.stack([r["parts"][part] for r in kept]) for part in GEOMETRY_PARTS},
        # The mirror view's parts (the face's own where the mirror view found no face; mirror_found says which).
        "mirror_found": np.array([r["mirror_found"] for r in kept], bool),
        **{
            f"mirror_parts_{part}": np.stack([(r["mirror_parts"] or r["parts"])[part] for r in kept])
            for part in GEOMETRY_PARTS
        },
        "appearance": np.stack([r["appearance"] for r in kept]),
        "appearance_fer": np.stack([r["appearance_fer"] for r in kept]),
        "framings": np.array(FRAMINGS, np.float32),
        "meta": np.array(
            json.dumps(
                {
                    "seed": seed,
                    "requested": n,
                    "kept": len(kept),
                    "missed": missed,
                    "identity_offset": IDENTITY_OFFSET,
                    "n_identities": n_identities,
                    "seconds": round(time.perf_counter() - start),
                }
            )
        ),
    }


# ------------------------------------------------------------------------------------------------------------ fit


def _splits(groups):
    """Fitting / calibration / test masks: identities split in thirds by id (disjoint people)."""
    ids = np.unique(groups)
    thirds = np.array_split(ids, 3)
    return [np.isin(groups, t) for t in thirds]


def _summary(p, y):
    """Accuracy, balanced accuracy, per-class accuracy, ECE and reliability table of ``(N, 8)`` probabilities."""
    pred = p.argmax(axis=1)
    per_class = {c: float((pred[y == i] == i).mean()) for i, c in enumerate(CATEGORIES) if (y == i).any()}
    ece, table = fusion.expected_calibration_error(p, y)
    return {
        "accuracy": float((pred == y).mean()),
        "balanced_accuracy": float(np.mean(list(per_class.values()))),
        "per_class": per_class,
        "ece": ece,
        "reliability": table,
        "median_top_probability": float(np.median(p.max(axis=1))),
    }


def geometry_probabilities(data, classifier=None, *, mirror=True):
    """``(N, 8) float64`` probabilities of the fused classifier's geometric channel (``classifier``, an
    :class:`~facemotion.core.emotion.classifier.EmotionClassifier` without reference; default the shipped model) on
    the data's stored feature parts (``parts_<name>`` arrays of :func:`generate`): the face and its mirror view
    combined as :func:`~facemotion.core.emotion.classifier.mirror_mean` does, or (``mirror`` False, or data made
    before the mirror views were stored) the face's own reading alone."""
    from facemotion.core.emotion.classifier import default_classifier, mirror_mean

    classifier = classifier or default_classifier()

    def predict(prefix):
        parts = {part: data[f"{prefix}{part}"] for part in GEOMETRY_PARTS}
        return classifier.predict(assemble(parts, classifier.spec))

    p = predict("parts_")
    if mirror and "mirror_found" in data:
        p = mirror_mean(p, predict("mirror_parts_"), data["mirror_found"])
    return p.astype(np.float64)


def fit_support_threshold(support, correct):
    """The channel support (:func:`facemotion.core.emotion.fusion.channel_support`, float) at which "the pooled
    label is right" is as likely as not: a logistic regression of ``(N,) bool`` ``correct`` on ``log support``
    (``(N,)`` floats in (0, 1]), unpenalised (scikit-learn), solved for probability 1/2. Below it the pooled label
    is more often wrong than right. Raises ValueError when correctness does not grow with support."""
    from sklearn.linear_model import LogisticRegression

    x = np.log(np.clip(np.asarray(support, np.float64), fusion.PROBABILITY_FLOOR, 1.0))[:, None]
    model = LogisticRegression(C=np.inf).fit(x, np.asarray(correct, bool))
    slope, intercept = float(model.coef_[0, 0]), float(model.intercept_[0])
    if slope <= 0.0:
        raise ValueError("the pooled label is not more often right when a channel backs it: no support threshold")
    return float(min(np.exp(-intercept / slope), 1.0))


def _uncertain_report(p, y, uncertain):
    """Uncertain rate and the accuracy of the certain and the uncertain faces (``(N, 8)`` calibrated probabilities,
    ``(N,)`` labels and verdicts)."""
    right = p.argmax(axis=1) == y
    return {
        "rate": float(uncertain.mean()),
        "accuracy_certain": float(right[~uncertain].mean()),
        "accuracy_uncertain": float(right[uncertain].mean()),
    }


def _framing_scores(data, y, mask):
    scores = []
    for k in range(len(data["framings"])):
        p = appearance.fer_to_categories(data["appearance_fer"][mask, k])
        pred = p.argmax(axis=1)
        classes = [i for i in range(len(CATEGORIES)) if CATEGORIES[i] != "contempt"]
        scores.append(float(np.mean([(pred[y[mask] == i] == i).mean() for i in classes])))
    return [
        {"scale": float(s), "centre_shift": float(c), "balanced_accuracy_7": round(v, 4)}
        for (s, c), v in zip(data["framings"], scores)
    ]


def astronaut_variants():
    """``{name: RGB image}``: the astronaut photo and harder versions of it (all should read happy)."""
    from facemotion.core.io.assets import asset_path
    from facemotion.core.io.image_io import load_image

    image = load_image(asset_path("faces/astronaut.png"))
    grey = cv2.cvtColor(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
    _, buf = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 15])
    rotate = cv2.getRotationMatrix2D((256, 256), 20, 1.0)
    return {
        "original": image,
        "grey": grey,
        "mirrored": np.ascontiguousarray(image[:, ::-1]),
        "blur": cv2.GaussianBlur(image, (0, 0), 3.0),
        "jpeg15": np.ascontiguousarray(cv2.imdecode(buf, cv2.IMREAD_COLOR)[:, :, ::-1]),
        "small128": cv2.resize(image, (128, 128), interpolation=cv2.INTER_AREA),
        "rotated20": cv2.warpAffine(image, rotate, (512, 512), borderMode=cv2.BORDER_REFLECT),
    }


def fit(data, fixed_ratio=None, bias_ridge=1e-3, one_look=False):
    """Everything ``fit`` reports (see the module docstring) and the parameters to write; ``one_look``: the geometric
    channel as it was before its mirror views (:func:`geometry_probabilities` with ``mirror=False``)."""
    y = np.array([CATEGORIES.index(label) for label in data["labels"]])
    fit_mask, calib_mask, test_mask = _splits(data["groups"])
    framing_scores = _framing_scores(data, y, fit_mask)
    framings = [tuple(round(float(v), 3) for v in f) for f in data["framings"]]
    best = framings.index((appearance.CROP_SCALE, appearance.CROP_CENTRE_SHIFT))
    p_geometry = geometry_probabilities(data, mirror=not one_look)
    p_appearance = data["appearance"].astype(np.float64)
    yc = y[calib_mask]
    alone = max(
        _summary(p_geometry[calib_mask], yc)["balanced_accuracy"],
        _summary(p_appearance[calib_mask], yc)["balanced_accuracy"],
    )
    ratios = []
    for ratio in RATIOS:
        candidate = fusion.fit_pooling(
            p_geometry[fit_mask], p_appearance[fit_mask], y[fit_mask], l2=bias_ridge, min_appearance_ratio=ratio
        )
        score = _summary(fusion.pool(p_geometry[calib_mask], p_appearance[calib_mask], candidate), yc)
        ratios.append(
            {"ratio": ratio, "params": candidate, "balanced_accuracy_calibration": score["balanced_accuracy"]}
        )
    if fixed_ratio is not None:  # chosen by the caller (--ratio): renders cannot make that choice for photos
        chosen = next(r for r in ratios if r["ratio"] == fixed_ratio)
    else:
        chosen = max(
            (r for r in ratios if r["balanced_accuracy_calibration"] > alone),
            key=lambda r: r["ratio"],
            default=ratios[0],
        )
    params = dict(chosen["params"], ratio=chosen["ratio"])
    fused = fusion.pool(p_geometry, p_appearance, params)
    temperatures = {
        "geometry": fusion.fit_temperature(p_geometry[calib_mask], y[calib_mask]),
        "appearance": fusion.fit_temperature(p_appearance[calib_mask], y[calib_mask]),
        # The pooling is itself fitted by likelihood (its two weights scale its confidence), on renders; photos are
        # further from that data, so its temperature may soften (T > 1) but never sharpen it.
        "fused": fusion.fit_temperature(fused[calib_mask], y[calib_mask], bounds=(1.0, 20.0)),
    }
    params["temperature"] = temperatures["fused"]
    calibrated = fusion.apply_temperature(fused, params["temperature"])
    by_margin = fusion.is_uncertain(calibrated)
    # The faces the two parameter-free tests (the margin, a pooled label that is no channel's top class) leave
    # certain: the support threshold is fitted on those of the fitting third.
    by_rules = by_margin | fusion.no_channel_top(calibrated, (p_geometry, p_appearance))
    support = fusion.channel_support(calibrated, (p_geometry, p_appearance))
    right = calibrated.argmax(axis=1) == y
    params["min_support"] = fit_support_threshold(support[fit_mask & ~by_rules], right[fit_mask & ~by_rules])
    channels = {"geometry": p_geometry, "appearance": p_appearance, "fused": fused}
    report = {
        "framing": {"used": framing_scores[best], "grid": framing_scores},
        "parameters": params,
        "ratios": [
            {
                "ratio": r["ratio"],
                "w_geometry": round(r["params"]["w_geometry"], 4),
                "w_appearance": round(r["params"]["w_appearance"], 4),
                "balanced_accuracy_calibration": round(r["balanced_accuracy_calibration"], 4),
            }
            for r in ratios
        ],
        "best_channel_alone_calibration": round(alone, 4),
        "temperatures": temperatures,
        "test": {},
        "by_condition": {},
    }
    yt = y[test_mask]
    for name, p in channels.items():
        before = p[test_mask]
        after = fusion.apply_temperature(before, temperatures[name])
        report["test"][name] = {"before": _summary(before, yt), "after": _summary(after, yt)}
    uncertain = fusion.is_uncertain(calibrated, (p_geometry, p_appearance), params["min_support"])
    report["uncertain"] = {
        "min_support": params["min_support"],
        "margin_only": _uncertain_report(calibrated[test_mask], yt, by_margin[test_mask]),
        "verdict": _uncertain_report(calibrated[test_mask], yt, uncertain[test_mask]),
        "added_by_no_channel_top": {
            "rate": float((by_rules & ~by_margin)[test_mask].mean()),
            "accuracy": float(right[test_mask & by_rules & ~by_margin].mean()),
        },
        "added_by_support": {
            "rate": float((uncertain & ~by_rules)[test_mask].mean()),
            "accuracy": float(right[test_mask & uncertain & ~by_rules].mean()),
        },
    }
    for condition in CONDITIONS:
        m = test_mask & (data["conditions"] == condition)
        report["by_condition"][condition] = {
            name: round(float((p[m].argmax(1) == y[m]).mean()), 4) for name, p in channels.items()
        }
    report["sizes"] = {"fit": int(fit_mask.sum()), "calibration": int(calib_mask.sum()), "test": int(test_mask.sum())}
    report["astronaut"] = astronaut_report(params)
    return report, params, framings[best]


def astronaut_report(params):
    """``{variant: {channel: label}}`` on the astronaut photo's variants (a real face: what renders cannot show)."""
    from facemotion.core.emotion.classifier import FusedEmotionClassifier, _multi_face_detector

    fused = FusedEmotionClassifier(parameters=params)
    out = {}
    for name, image in astronaut_variants().items():
        faces = _multi_face_detector().detect(image)[:1]
        if not faces:
            out[name] = None
            continue
        geometry, appearance_p = fused.channel_probabilities(image, faces)
        result = fused.classify_faces(image, faces)[0]
        out[name] = {
            "geometry": CATEGORIES[int(geometry[0].argmax())],
            "appearance": CATEGORIES[int(appearance_p[0].argmax())],
            "fused": result.label + (" (uncertain)" if result.uncertain else ""),
            "p_fused": round(result.probabilities[result.label], 3),
        }
    return out


def _print_report(report):
    grid = ", ".join(
        f"{f['scale']:g}/{f['centre_shift']:g} {f['balanced_accuracy_7']:.3f}" for f in report["framing"]["grid"]
    )
    print(
        f"split sizes: {report['sizes']}; framing used {report['framing']['used']}; appearance balanced accuracy "
        f"(7 classes, fitting third) per framing: {grid}"
    )
    print(
        f"ratio grid (calibration third; best channel alone {report['best_channel_alone_calibration']}): "
        f"{json.dumps(report['ratios'])}"
    )
    print(f"parameters: {json.dumps(report['parameters'])}")
    for name, r in report["test"].items():
        for stage in ("before", "after"):
            s = r[stage]
            per = " ".join(f"{c[:4]} {v:.2f}" for c, v in s["per_class"].items())
            print(
                f"{name:10s} {stage:6s} acc {s['accuracy']:.3f} bal {s['balanced_accuracy']:.3f} "
                f"ECE {s['ece']:.3f} median top p {s['median_top_probability']:.2f} | {per}"
            )
    print(f"uncertain: {report['uncertain']}")
    print(f"by condition (test, accuracy): {json.dumps(report['by_condition'])}")
    print(f"astronaut variants: {json.dumps(report['astronaut'])}")
    for name in report["test"]:
        for stage in ("before", "after"):
            rows = [
                f"{b['range']} n={b['count']} conf={b['confidence']:.2f} acc={b['accuracy']:.2f}"
                for b in report["test"][name][stage]["reliability"]
                if b["count"]
            ]
            print(f"reliability {name} {stage}: " + "; ".join(rows))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("data")
    d.add_argument("--n", type=int, default=2400)
    d.add_argument("--seed", type=int, default=7)
    d.add_argument("--identities", type=int, default=150)
    d.add_argument("--workers", type=int, default=max(1, min(2, os.cpu_count() or 1)))
    d.add_argument("--out", type=Path, required=True)
    f = sub.add_parser("fit")
    f.add_argument("--data", type=Path, required=True)
    f.add_argument("--write", action="store_true", help="write core/emotion/fusion.json")
    f.add_argument(
        "--ratio",
        type=float,
        choices=RATIOS,
        default=None,
        help="fix w_appearance / w_geometry's lower bound instead of choosing it on the renders",
    )
    f.add_argument(
        "--bias-ridge",
        type=float,
        default=1e-3,
        help="ridge on the per-class biases (default 1e-3); larger keeps the biases fitted on renders small, so "
        "they cannot undo the appearance channel's reading of a resting face",
    )
    f.add_argument(
        "--one-look",
        action="store_true",
        help="the geometric channel without its mirror views (the single look it had before), for comparison",
    )
    f.add_argument("--json", type=Path, default=None, help="write the full report as JSON here")
    args = parser.parse_args(argv)
    if args.cmd == "data":
        data = generate(args.n, args.seed, args.workers, args.identities)
        with atomic_output(args.out) as handle:
            np.savez_compressed(handle, **data)
        print(f"wrote {args.out}: {json.loads(str(data['meta']))}")
        return 0
    with np.load(args.data) as archive:
        data = {k: archive[k] for k in archive.files}
    report, params, framing = fit(data, args.ratio, args.bias_ridge, args.one_look)
    _print_report(report)
    if args.json:
        atomic_write_text(args.json, json.dumps(report, indent=1))
    if args.write:
        fusion.save_parameters(
            params,
            {
                "data": args.data.name,
                "meta": json.loads(str(data["meta"])),
                "framing": {"scale": framing[0], "centre_shift": framing[1]},
                "bias_ridge": args.bias_ridge,
                "sizes": report["sizes"],
            },
        )
        print(f"wrote {fusion.PARAMETERS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
