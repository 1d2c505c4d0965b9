#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Proxy evidence for the appearance channel's two models and their ensemble (development tooling).

No labelled real photographs are reachable from this machine, so everything here is a proxy; the real-photo numbers
(in-the-wild and posed lab photographs) are measured elsewhere.

``astronaut``: ``faces/astronaut.png`` (a smiling face) and degraded variants (48 px greyscale, blur, JPEG, tight and
    loose crops, a tight 48 px greyscale crop as FER2013 frames its faces): each model's label and happy probability,
    the ensemble's, with and without the mirror image.
``renders``: painted renders of ICT-FaceKit identities posed with the 7 FACS prototypes both models know (no
    contempt), each degraded by one of ``tools/fit_emotion_fusion.py``'s conditions (``clean``, ``grey48``,
    ``blur_jpeg``, ``occlusion``, ``turn``), detected with MediaPipe: each model's balanced accuracy (7 classes; the
    renders are out of both models' domain, so near chance is expected), the two models' top-1 agreement, the
    ensemble as a mean of probabilities vs a mean of log-probabilities, with and without the mirror; how far the
    mirror moves each model (mean total-variation distance between a crop's and its mirror's probabilities). Then the
    FER2013-style framing: each render cut to a tight square face crop (brows to chin, from the clean render's
    landmarks), 48 px greyscale; each model reads it (a) as a whole image resized to its input, (b) through
    MediaPipe's landmarks and its own crop (the crop upscaled 4x and padded so the Face Landmarker finds it).

Usage::

    nice .venv/bin/python tools/appearance_evidence.py astronaut
    nice .venv/bin/python tools/appearance_evidence.py renders --n 350 --seed 11 [--json R.json]
"""

import argparse
import json
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion  # noqa: E402

import_facemotion()
from facemotion.core.emotion import appearance  # noqa: E402
from facemotion.core.emotion.presets import CATEGORIES  # noqa: E402

#: The classes both models were trained on (every category but contempt).
SEVEN = tuple(c for c in CATEGORIES if c != "contempt")
#: First identity id of the renders (disjoint from the geometric model's ids and from fit_emotion_fusion's 2000+).
IDENTITY_OFFSET = 3000
MODELS = ("fer", "faceapi")


def _detector():
    from facemotion.core.detect.landmarks import default_detector

    return default_detector()


def _views(channel, image, face):
    """``{model: (2, 8) probabilities}``: each model on its crop (row 0) and the crop's mirror (row 1)."""
    fer = appearance.face_crop(image, face)
    faceapi = appearance.faceapi_crop(image, face)
    return {
        "fer": appearance.fer_to_categories(channel.predict_crops(np.stack([fer, fer[:, ::-1]]))),
        "faceapi": appearance.faceapi_to_categories(
            channel.predict_faceapi_crops(np.stack([faceapi, faceapi[:, ::-1]]))
        ),
    }


def _whole_image(channel, grey):
    """Each model on a whole greyscale image taken as the face crop (resized to its input, as FER2013 is fed)."""
    fer = cv2.resize(grey, (appearance.CROP_SIZE,) * 2, interpolation=cv2.INTER_LINEAR)
    rgb = cv2.cvtColor(
        cv2.resize(grey, (appearance.FACEAPI_SIZE,) * 2, interpolation=cv2.INTER_LINEAR), cv2.COLOR_GRAY2RGB
    )
    return {
        "fer": appearance.fer_to_categories(channel.predict_crops(np.stack([fer, fer[:, ::-1]]))),
        "faceapi": appearance.faceapi_to_categories(channel.predict_faceapi_crops(np.stack([rgb, rgb[:, ::-1]]))),
    }


def _padded_for_detection(grey48):
    """A tight 48 px crop made findable: upscaled 4x (cubic) and padded with its median onto twice the size."""
    big = cv2.resize(grey48, (192, 192), interpolation=cv2.INTER_CUBIC)
    canvas = np.full((384, 384), int(np.median(grey48)), np.uint8)
    canvas[96:288, 96:288] = big
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2RGB)


def _tight_grey48(image, face):
    """FER2013's framing: a square from the brows to the chin (face-api's box without padding), 48 px greyscale."""
    centre, w, h, _ = appearance.faceapi_frame(face.pixels)
    side = max(w, h) / (1.0 + appearance.FACEAPI_BOX_PADDING)
    x0, y0 = int(round(centre[0] - side / 2)), int(round(centre[1] - side / 2))
    x1, y1 = x0 + int(round(side)), y0 + int(round(side))
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    grey = cv2.copyMakeBorder(grey, 64, 64, 64, 64, cv2.BORDER_REPLICATE)
    return cv2.resize(grey[y0 + 64 : y1 + 64, x0 + 64 : x1 + 64], (48, 48), interpolation=cv2.INTER_AREA)


def _ensemble(views, mirror=True, log=False):
    """Ensemble of ``{model: (N, 2, 8)}`` views: mean over models (and views) of probabilities or log-probabilities."""
    stack = np.stack([v if mirror else v[:, :1] for v in views.values()], axis=1)  # (N, models, views, 8)
    stack = stack.reshape(len(stack), -1, stack.shape[-1])
    if not log:
        return stack.mean(axis=1)
    z = np.log(np.maximum(stack, 1e-6)).mean(axis=1)
    z[:, CATEGORIES.index("contempt")] = -np.inf
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _balanced(p, labels):
    pred = np.array([CATEGORIES[i] for i in p.argmax(axis=1)])
    per_class = {c: float((pred[labels == c] == c).mean()) for c in SEVEN if (labels == c).any()}
    return round(float(np.mean(list(per_class.values()))), 4), {c: round(v, 3) for c, v in per_class.items()}


# ------------------------------------------------------------------------------------------------------ astronaut


def astronaut_report(channel):
    from facemotion.core.io.assets import asset_path
    from facemotion.core.io.image_io import load_image

    image = load_image(asset_path("faces/astronaut.png"))
    face = _detector().detect(image)[0]
    grey48 = _tight_grey48(image, face)
    _, jpeg = cv2.imencode(".jpg", image[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 10])
    x0, y0 = (int(v) for v in face.pixels.min(axis=0))
    x1, y1 = (int(v) for v in face.pixels.max(axis=0))
    variants = {
        "original": image,
        "grey48 padded": _padded_for_detection(grey48),
        "blur sigma 4": cv2.GaussianBlur(image, (0, 0), 4.0),
        "jpeg q10": np.ascontiguousarray(cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[:, :, ::-1]),
        "small 64 px face": cv2.resize(image, (160, 160), interpolation=cv2.INTER_AREA),
        "crop tight (landmark box)": np.ascontiguousarray(image[y0:y1, x0:x1]),
        "crop loose": np.ascontiguousarray(image[max(y0 - 80, 0) : y1 + 80, max(x0 - 80, 0) : x1 + 80]),
    }
    rows = {}
    for name, img in variants.items():
        faces = _detector().detect(img)
        if not faces:
            rows[name] = "no face found"
            continue
        views = {k: v[None] for k, v in _views(channel, img, faces[0]).items()}
        rows[name] = _astronaut_row(views)
    rows["grey48 whole image (no landmarks)"] = _astronaut_row(
        {k: v[None] for k, v in _whole_image(channel, grey48).items()}
    )
    return rows


def _astronaut_row(views):
    row = {}
    for model, v in views.items():
        p = v[0, 0]
        row[model] = f"{CATEGORIES[int(p.argmax())]} (happy {p[CATEGORIES.index('happy')]:.3f})"
    for name, p in (("ensemble", _ensemble(views)[0]), ("ensemble, no mirror", _ensemble(views, mirror=False)[0])):
        row[name] = f"{CATEGORIES[int(p.argmax())]} (happy {p[CATEGORIES.index('happy')]:.3f})"
    return row


# -------------------------------------------------------------------------------------------------------- renders


def render_records(channel, n, seed):
    import emotion_data as ed
    from fit_emotion_fusion import draw_face

    renderer, detector = ed.FaceRenderer(), _detector()
    records, start = [], time.perf_counter()
    for index in range(n):
        label = SEVEN[index % len(SEVEN)]
        _, condition, clean, image = draw_face(renderer, seed, index, label, IDENTITY_OFFSET + index // len(SEVEN))
        faces = detector.detect(image)
        record = {"label": label, "condition": condition, "found": bool(faces)}
        if faces:
            record["views"] = _views(channel, image, faces[0])
        clean_faces = detector.detect(clean) if condition != "turn" else []
        if clean_faces:  # the FER2013-style tight crop of the undegraded render
            grey48 = _tight_grey48(clean, clean_faces[0])
            record["whole"] = _whole_image(channel, grey48)
            found = detector.detect(_padded_for_detection(grey48))
            record["tight_landmarks"] = _views(channel, _padded_for_detection(grey48), found[0]) if found else None
        records.append(record)
        if (index + 1) % 50 == 0:
            print(f"  {index + 1}/{n} renders, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    return records


def renders_report(records):
    kept = [r for r in records if r["found"]]
    labels = np.array([r["label"] for r in kept])
    views = {m: np.stack([r["views"][m] for r in kept]) for m in MODELS}
    report = {"renders": len(records), "found": len(kept)}
    for m in MODELS:
        report[f"{m} alone, crop only"] = _balanced(views[m][:, 0], labels)
        report[f"{m} alone, crop + mirror"] = _balanced(views[m].mean(axis=1), labels)
        report[f"{m}: mean total variation crop vs mirror"] = round(
            float(0.5 * np.abs(views[m][:, 0] - views[m][:, 1]).sum(axis=1).mean()), 4
        )
    top = {m: views[m].mean(axis=1).argmax(axis=1) for m in MODELS}
    report["agreement fer vs faceapi (top-1, with mirror)"] = round(float((top["fer"] == top["faceapi"]).mean()), 4)
    for mirror in (False, True):
        for log in (False, True):
            name = f"ensemble {'log-probabilities' if log else 'probabilities'}{', mirror' if mirror else ''}"
            report[name] = _balanced(_ensemble(views, mirror, log), labels)
    conditions = np.array([r["condition"] for r in kept])
    report["ensemble (probabilities, mirror) by condition"] = {
        c: _balanced(_ensemble({m: v[conditions == c] for m, v in views.items()}), labels[conditions == c])[0]
        for c in sorted(set(conditions))
    }
    tight = [r for r in records if r.get("whole") is not None]
    t_labels = np.array([r["label"] for r in tight])
    report["tight 48 px crops"] = len(tight)
    for m in MODELS:
        whole = np.stack([r["whole"][m] for r in tight])
        report[f"tight 48 px: {m} whole image"] = _balanced(whole.mean(axis=1), t_labels)[0]
        found = [r for r in tight if r["tight_landmarks"] is not None]
        lm = np.stack([r["tight_landmarks"][m] for r in found])
        report[f"tight 48 px: {m} landmark crop ({len(found)} found)"] = _balanced(
            lm.mean(axis=1), np.array([r["label"] for r in found])
        )[0]
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("astronaut")
    renders = sub.add_parser("renders")
    renders.add_argument("--n", type=int, default=350)
    renders.add_argument("--seed", type=int, default=11)
    renders.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    channel = appearance.default_appearance_channel()
    if args.command == "astronaut":
        report = astronaut_report(channel)
    else:
        report = renders_report(render_records(channel, args.n, args.seed))
        if args.json:
            from facemotion.core.io.atomic_io import atomic_write_text

            atomic_write_text(args.json, json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
