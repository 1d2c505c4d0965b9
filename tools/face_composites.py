#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test images with faces of known size and place, built from ``faces/astronaut.png``, and the detection-rate sweep
by face size that the face search (:mod:`facemotion.core.detect.landmarks`) is measured with.

    .venv/bin/python tools/face_composites.py [--per-size N]

Prints, for each face height (24, 32, 48, 64, 128, 256, 512 px in a 1024 px image, and the face filling the whole
frame), how many of the variants the default multi-face search finds (flipped or not, flat grey or cluttered
background, four places), and the mean time per image. A face is "found" when a detected face's landmark box
overlaps the pasted face's box (IoU >= 0.3).

"Face height" is the height of MediaPipe's 478-landmark box (forehead to chin), the size the detector works with.
"""

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from package_path import import_facemotion

import_facemotion()
from facemotion.core.detect.landmarks import box_iou  # noqa: E402 (the package is registered just above)

#: The 478-landmark box of the face in astronaut.png (x0, y0, x1, y1; pixels of the 512 px photo), measured with
#: MediaPipe's Face Landmarker.
ASTRONAUT_FACE_BOX = (181.0, 72.0, 270.0, 177.0)
#: Face heights of the sweep in pixels; ``None`` = the face fills the frame.
SWEEP_SIZES = (24, 32, 48, 64, 128, 256, 512, None)
#: Side of the sweep's square images.
CANVAS_SIDE = 1024
#: Places of the face centre in the sweep, as fractions of the canvas (the centre, and off the window grids).
PLACES = ((0.5, 0.5), (0.27, 0.31), (0.71, 0.62), (0.43, 0.81))


def astronaut():
    """astronaut.png as ``(512, 512, 3) uint8`` RGB."""
    import_facemotion()
    from facemotion.core.io.assets import asset_path
    from facemotion.core.io.image_io import load_image

    return load_image(asset_path("faces/astronaut.png"))


def face_height():
    """Height of the face in astronaut.png, pixels."""
    return ASTRONAUT_FACE_BOX[3] - ASTRONAUT_FACE_BOX[1]


def background(kind, side, photo):
    """A ``(side, side, 3) uint8`` background without a face: ``"grey"`` (flat 128) or ``"clutter"`` (the lower part
    of astronaut.png, suit and flag, stretched over the canvas)."""
    if kind == "grey":
        return np.full((side, side, 3), 128, np.uint8)
    return cv2.resize(photo[330:512, 0:512], (side, side), interpolation=cv2.INTER_CUBIC)


def paste_face(canvas, photo, height, centre, *, flip=False, margin=1.1):
    """Paste astronaut's head scaled so its face is ``height`` px tall onto ``canvas`` (in place), face centred at
    ``centre`` (x, y pixels). ``margin``: the pasted square's half side in face heights (1.1 keeps the hair and
    neck). Returns the expected face box (x0, y0, x1, y1) in canvas pixels."""
    x0, y0, x1, y1 = ASTRONAUT_FACE_BOX
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    half = margin * face_height()
    pad = int(np.ceil(half))
    padded = cv2.copyMakeBorder(photo, pad, pad, pad, pad, cv2.BORDER_REFLECT_101)
    crop = padded[round(cy - half) + pad : round(cy + half) + pad, round(cx - half) + pad : round(cx + half) + pad]
    if flip:
        crop = crop[:, ::-1]
    scale = height / face_height()
    side = max(1, round(crop.shape[0] * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    crop = cv2.resize(crop, (side, side), interpolation=interpolation)
    ox, oy = round(centre[0] - side / 2.0), round(centre[1] - side / 2.0)
    H, W = canvas.shape[:2]
    sx0, sy0 = max(0, -ox), max(0, -oy)
    dx0, dy0 = max(0, ox), max(0, oy)
    w, h = min(side - sx0, W - dx0), min(side - sy0, H - dy0)
    canvas[dy0 : dy0 + h, dx0 : dx0 + w] = crop[sy0 : sy0 + h, sx0 : sx0 + w]
    face_w = (x1 - x0) * scale
    return (centre[0] - face_w / 2.0, centre[1] - height / 2.0, centre[0] + face_w / 2.0, centre[1] + height / 2.0)


def full_frame_face(photo, side=CANVAS_SIDE, *, flip=False, shift=(0.0, 0.0)):
    """The face alone filling a ``side`` px square (landmark box plus 8 %, moved by ``shift`` face sizes), and its
    expected box."""
    x0, y0, x1, y1 = ASTRONAUT_FACE_BOX
    half = 0.54 * face_height()
    cx = (x0 + x1) / 2.0 + shift[0] * face_height()
    cy = (y0 + y1) / 2.0 + shift[1] * face_height()
    crop = photo[round(cy - half) : round(cy + half), round(cx - half) : round(cx + half)]
    if flip:
        crop = crop[:, ::-1]
    scale = side / crop.shape[0]
    image = cv2.resize(crop, (side, side), interpolation=cv2.INTER_CUBIC)
    fx0 = (x0 - (cx - half)) * scale
    fx1 = (x1 - (cx - half)) * scale
    if flip:
        fx0, fx1 = side - fx1, side - fx0
    return image, (fx0, (y0 - (cy - half)) * scale, fx1, (y1 - (cy - half)) * scale)


def small_grey_crop(photo, side=48):
    """The face of astronaut.png cropped tightly (the in-the-wild datasets' framing) and downscaled to ``side`` px
    greyscale: ``(side, side) uint8``."""
    return cv2.cvtColor(
        cv2.resize(full_frame_face(photo, 256)[0], (side, side), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY
    )


def hidden_upper_face(photo, side=48, hidden=0.65):
    """:func:`small_grey_crop` with its top ``hidden`` share blacked out (a hat, a hand or a bar over brows and eyes):
    only the smile shows. MediaPipe's Face Landmarker finds no face in it (``tests/test_emotion_face_crop.py``)."""
    crop = small_grey_crop(photo, side)
    crop[: int(round(side * hidden))] = 20
    return crop


def exif_rotated_jpeg(rgb):
    """JPEG bytes of ``rgb`` stored sideways (turned 90 degrees counter-clockwise) with EXIF orientation 6 ("turn
    90 degrees clockwise to show"), as phone cameras save a portrait photo: a reader that honours the tag gets
    ``rgb`` back upright."""
    stored = cv2.rotate(np.ascontiguousarray(rgb[:, :, ::-1]), cv2.ROTATE_90_COUNTERCLOCKWISE)
    ok, jpeg = cv2.imencode(".jpg", stored, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    # APP1 "Exif" segment: big-endian TIFF header, one IFD with one entry, Orientation (0x0112, SHORT, 1) = 6.
    tiff = (
        b"MM\x00\x2a"
        + (8).to_bytes(4, "big")
        + (1).to_bytes(2, "big")
        + bytes.fromhex("0112 0003 00000001 0006 0000")
        + (0).to_bytes(4, "big")
    )
    payload = b"Exif\x00\x00" + tiff
    segment = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    data = jpeg.tobytes()
    return data[:2] + segment + data[2:]


def displaced(rgb, points, offsets, radius):
    """``rgb`` with the neighbourhood of each of ``points`` ((K, 2) pixels) moved by its ``offsets`` ((K, 2) pixels),
    fading out as a Gaussian of ``radius`` px: a smooth local warp (cv2.remap, bilinear) to change an expression."""
    h, w = rgb.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    map_x, map_y = xs.copy(), ys.copy()
    for (px, py), (dx, dy) in zip(np.asarray(points, np.float32), np.asarray(offsets, np.float32)):
        weight = np.exp(-((xs - px) ** 2 + (ys - py) ** 2) / (2.0 * radius**2))
        map_x -= dx * weight
        map_y -= dy * weight
    return cv2.remap(rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT_101)


def calmer(photo, face):
    """astronaut.png with a smaller smile: the mouth corners of ``face`` (its FaceLandmarks on ``photo``) pulled a
    third of the way to the mouth's centre and 4 % of the face height down; the lips closed over the teeth."""
    import_facemotion()
    from facemotion.core.detect import mediapipe_topology as topo

    right, left = face.pixels[topo.MOUTH_CORNER_RIGHT], face.pixels[topo.MOUTH_CORNER_LEFT]
    upper, lower = face.pixels[topo.UPPER_LIP_OUTER_MID], face.pixels[topo.LOWER_LIP_OUTER_MID]
    centre = (right + left) / 2.0
    drop = np.array([0.0, 0.04 * face_height()])
    gap = (lower - upper) / 2.0
    points = [right, left, upper, lower]
    offsets = [(centre - right) / 3.0 + drop, (centre - left) / 3.0 + drop, gap, -gap]
    return displaced(photo, points, offsets, radius=0.12 * face_height())


def sweep_images(photo, height):
    """``[(name, image, expected_box)]`` for one face height of the sweep (``None``: the face fills the frame)."""
    out = []
    if height is None:
        for flip in (False, True):
            for shift in ((0.0, 0.0), (0.04, -0.03)):
                image, box = full_frame_face(photo, flip=flip, shift=shift)
                out.append((f"full flip={flip} shift={shift}", image, box))
        return out
    for kind in ("grey", "clutter"):
        for flip in (False, True):
            for fx, fy in PLACES:
                canvas = background(kind, CANVAS_SIDE, photo)
                # Keep the face wholly inside the frame (a 512 px face cannot sit at a quarter of the width).
                lo, hi = 0.6 * height, CANVAS_SIDE - 0.6 * height
                centre = (min(max(fx * CANVAS_SIDE, lo), hi), min(max(fy * CANVAS_SIDE, lo), hi))
                box = paste_face(canvas, photo, height, centre, flip=flip)
                out.append((f"{kind} flip={flip} at {fx:.2f},{fy:.2f}", canvas, box))
    return out


def found(faces, box, min_iou=0.3):
    """True when one of ``faces`` (FaceLandmarks) has a landmark box overlapping ``box`` by ``min_iou``."""
    return any(box_iou(face.bbox, box) >= min_iou for face in faces)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-size", type=int, default=None, help="variants per face size (default: all)")
    args = parser.parse_args(argv)
    import_facemotion()
    from facemotion.core.detect.landmarks import FaceLandmarkDetector

    photo = astronaut()
    detector = FaceLandmarkDetector(max_faces=None)
    detector.detect(photo)  # warm-up
    print(f"{'face px':>9} {'found':>7} {'ms/image':>9}")
    for height in SWEEP_SIZES:
        images = sweep_images(photo, height)[: args.per_size]
        hits, start = 0, time.perf_counter()
        for _, image, box in images:
            hits += found(detector.detect(image), box)
        ms = (time.perf_counter() - start) * 1000.0 / len(images)
        print(f"{'full' if height is None else height:>9} {hits:>3}/{len(images):<3} {ms:>9.0f}")
    grey = small_grey_crop(photo)
    print(f"48 px greyscale crop: {'found' if detector.detect(grey) else 'NOT found'}")


if __name__ == "__main__":
    main()
