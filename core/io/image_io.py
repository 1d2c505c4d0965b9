# SPDX-License-Identifier: GPL-3.0-or-later
"""Read images of any common kind into the one format the detector takes: ``(H, W, 3) uint8`` RGB, top row first.

Handles greyscale, grey + alpha, RGB, RGBA (alpha composited over white, the usual look of a transparent photo or
render in a viewer), 8/16-bit integers and float images (taken as [0, 1]). Reading is OpenCV's ``cv2.imread`` with
``IMREAD_UNCHANGED`` (so 16-bit and alpha survive), through ``cv2.imdecode`` on the file's bytes so that non-ASCII
paths work on Windows too. JPEG files (no alpha) are read with ``IMREAD_COLOR | IMREAD_ANYDEPTH`` instead, so that
OpenCV turns them upright by their EXIF orientation tag, as photo viewers show them (phone photos are stored
sideways with a tag; ``IMREAD_UNCHANGED`` ignores it).
"""

from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError

__all__ = ["as_rgb_uint8", "border_colour", "from_blender_pixels", "header_size", "load_image"]


def _to_uint8(array):
    """Scale an integer or float array to uint8: 16-bit by /257 (65535 -> 255), float by *255 from [0, 1]."""
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    if np.issubdtype(array.dtype, np.integer):
        info = np.iinfo(array.dtype)
        if info.max <= 255 and info.min >= 0:
            return array.astype(np.uint8)
        if array.dtype == np.uint16:
            return ((array.astype(np.uint32) + 128) // 257).astype(np.uint8)
        # Other integer types: no common convention; treat values as 8-bit and clip.
        return np.clip(array, 0, 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.floating):
        finite = np.nan_to_num(array.astype(np.float32), nan=0.0, posinf=1.0, neginf=0.0)
        return (np.clip(finite, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    raise InputError(f"unsupported image pixel type {array.dtype}; give an 8/16-bit integer or float image")


def _composite_on_white(rgb_u8, alpha_u8):
    alpha = alpha_u8.astype(np.float32)[..., None] / 255.0
    return (rgb_u8.astype(np.float32) * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)


def as_rgb_uint8(array, *, bgr=False, what="image"):
    """Return ``array`` as a C-contiguous ``(H, W, 3) uint8`` RGB image.

    Accepts ``(H, W)`` grey, ``(H, W, 1)``, ``(H, W, 2)`` grey + alpha, ``(H, W, 3)`` RGB, ``(H, W, 4)`` RGBA, of dtype
    uint8, uint16 (scaled /257), bool, or float in [0, 1] (clipped; NaN -> 0). Alpha is composited over white.
    ``bgr=True`` says the channels are OpenCV's BGR / BGRA order. ``what`` names the image in error messages.

    Raises InputError for an empty array, a wrong shape, or an unsupported dtype.
    """
    if array is None:
        raise InputError(f"{what} is missing (None); give an image array or file")
    array = np.asarray(array)
    if array.size == 0:
        raise InputError(f"{what} is empty (shape {array.shape}); give an image of at least 1x1 pixels")
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (2, 3, 4)):
        raise InputError(
            f"{what} has shape {array.shape}; expected (H, W) grey, (H, W, 2) grey+alpha, "
            f"(H, W, 3) RGB or (H, W, 4) RGBA"
        )
    array = _to_uint8(array)
    if array.ndim == 2:
        rgb = np.repeat(array[:, :, None], 3, axis=2)
    elif array.shape[2] == 2:
        rgb = _composite_on_white(np.repeat(array[:, :, :1], 3, axis=2), array[:, :, 1])
    else:
        rgb = array[:, :, :3]
        if bgr:
            rgb = rgb[:, :, ::-1]
        if array.shape[2] == 4:
            rgb = _composite_on_white(rgb, array[:, :, 3])
    return np.ascontiguousarray(rgb)


#: Most pixels an image file may hold (OpenCV's own decoder limit is 2**30); a face photo needs far fewer.
MAX_IMAGE_PIXELS = 100_000_000
#: Longest side / shortest side beyond which an image is refused (a 1x20000 strip holds no face and would be
#: tiled for seconds per pixel row).
MAX_ASPECT_RATIO = 16.0


def border_colour(rgb):
    """``(3,) uint8``: the mean colour of the outermost pixel rows and columns of ``rgb`` (``(H, W, 3) uint8``), the
    flat, neutral fill with which an image is padded (no edge for a detector to take for structure)."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).reshape(-1, 3)
    return border.mean(axis=0).round().astype(np.uint8)


def check_image_shape(height, width, what="image"):
    """Refuse an absurd image size early: more than :data:`MAX_IMAGE_PIXELS` pixels or an aspect ratio beyond
    :data:`MAX_ASPECT_RATIO`. ``height``/``width`` in pixels. Raises InputError (one line naming ``what``)."""
    height, width = int(height), int(width)
    if height * width > MAX_IMAGE_PIXELS:
        raise InputError(
            f"{what} is {width}x{height} px ({height * width / 1e6:.0f} megapixels); the limit is "
            f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels: downscale it"
        )
    if min(height, width) > 0 and max(height, width) / min(height, width) > MAX_ASPECT_RATIO:
        raise InputError(
            f"{what} is {width}x{height} px, an aspect ratio beyond {MAX_ASPECT_RATIO:g}:1; crop it to the face"
        )


#: JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic...): the segment that holds the size.
_JPEG_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # less DHT, JPG, DAC


def _jpeg_size(data):
    """``(width, height)`` from a JPEG's start-of-frame segment (ITU-T T.81, B.2.2), or None when none comes before
    the image data. Segments are skipped by their lengths, so no pixel data is read."""
    at = 2  # after SOI
    while at + 9 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in _JPEG_SOF_MARKERS:
            return int.from_bytes(data[at + 7 : at + 9], "big"), int.from_bytes(data[at + 5 : at + 7], "big")
        if marker == 0xDA:  # start of scan: pixel data follows
            return None
        at += 2 if 0xD0 <= marker <= 0xD8 or marker == 0x01 else 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    return None


def _webp_size(data):
    """``(width, height)`` from a WebP's first chunk (lossy ``VP8 ``, lossless ``VP8L`` or extended ``VP8X``; see
    the WebP container specification), or None."""
    chunk = bytes(data[12:16])
    if chunk == b"VP8 " and len(data) >= 30:
        return (int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF)
    if chunk == b"VP8L" and len(data) >= 25:
        bits = int.from_bytes(data[21:25], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8X" and len(data) >= 30:
        return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
    return None


def header_size(data):
    """``(width, height)`` in pixels read from the header of PNG, JPEG and WebP file bytes, or None (another format,
    or no size in the header). ``data``: the file's bytes (``bytes`` or a ``uint8`` array). Lets a huge image be
    refused before OpenCV allocates its pixels (a 16 MB JPEG can claim 30000x30000)."""
    data = memoryview(data if isinstance(data, bytes) else np.ascontiguousarray(data, dtype=np.uint8)).cast("B")
    if len(data) >= 24 and bytes(data[:8]) == b"\x89PNG\r\n\x1a\n":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if bytes(data[:3]) == b"\xff\xd8\xff":
        return _jpeg_size(data)
    if len(data) >= 16 and bytes(data[:4]) == b"RIFF" and bytes(data[8:12]) == b"WEBP":
        return _webp_size(data)
    return None


def load_image(path):
    """Read an image file into ``(H, W, 3) uint8`` RGB (see :func:`as_rgb_uint8` for the conversions), a JPEG
    turned upright by its EXIF orientation.

    Raises InputError naming the path when the file is missing, is a folder, cannot be read, is empty, is larger or
    narrower than :func:`check_image_shape` allows (PNG, JPEG and WebP: from the header, before decoding), or is not
    an image OpenCV can decode.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"image file {path} does not exist; check the path")
    if not path.is_file():
        raise InputError(f"image path {path} is not a file; give an image file (PNG, JPEG, TIFF, ...)")
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise InputError(f"cannot read image file {path}: {exc.strerror or exc}; check its permissions") from exc
    if data.size == 0:
        raise InputError(f"image file {path} is empty (0 bytes); give a valid image file")
    size = header_size(data)
    if size is not None:
        # The header gives the size before any decoding: refuse a huge or strip image without spending seconds (or
        # gigabytes: OpenCV allocates every pixel the header claims).
        check_image_shape(size[1], size[0], what=f"image {path}")
    is_jpeg = data[:3].tobytes() == b"\xff\xd8\xff"
    flags = cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH if is_jpeg else cv2.IMREAD_UNCHANGED
    try:
        image = cv2.imdecode(data, flags)
    except cv2.error as exc:
        # OpenCV's limit checks raise an assertion ("... pixels <= CV_IO_MAX_IMAGE_PIXELS"): say it in one line.
        text = str(exc)
        if any(words in text for words in ("MAX_IMAGE", "pixels", "validateInputImageSize", "Insufficient memory")):
            raise InputError(
                f"image {path} is too large to decode (over OpenCV's pixel limit); the limit is "
                f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels: downscale it"
            ) from None
        raise InputError(f"{path} is not an image OpenCV can read ({text.strip().splitlines()[-1][:120]})") from None
    if image is None or image.size == 0:
        raise InputError(
            f"{path} is not an image OpenCV can read (corrupt or unsupported format); save it as PNG or JPEG"
        )
    check_image_shape(image.shape[0], image.shape[1], what=f"image {path}")
    return as_rgb_uint8(image, bgr=True, what=f"image {path}")


def from_blender_pixels(pixels, width, height):
    """Convert Blender ``Image.pixels`` (flat float RGBA, rows bottom-up, values in [0, 1]) to ``(H, W, 3) uint8``
    RGB top-down. Use ``image.pixels.foreach_get(buffer)`` into a float32 numpy buffer for speed.

    Colour values are taken as stored (Blender keeps byte images in sRGB, float images linear; convert float
    images to display space before if needed). Alpha is composited over white.
    Raises InputError when ``pixels`` does not hold ``width * height * 4`` values or the size is empty.
    """
    width, height = int(width), int(height)
    flat = np.asarray(pixels, dtype=np.float32).ravel()
    if width <= 0 or height <= 0:
        raise InputError(f"Blender image size {width}x{height} is empty; load or render the image first")
    if flat.size != width * height * 4:
        raise InputError(
            f"Blender image pixels hold {flat.size} values, expected {width}x{height}x4 = "
            f"{width * height * 4}; pass image.size[0], image.size[1] and all RGBA pixels"
        )
    rgba = flat.reshape(height, width, 4)[::-1]
    return as_rgb_uint8(rgba, what="Blender image")
