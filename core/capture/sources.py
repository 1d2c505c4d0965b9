# SPDX-License-Identifier: GPL-3.0-or-later
"""Where capture frames come from: one interface (:class:`Source`) over a video file, a webcam or frames in memory.

A source yields ``(seconds, rgb)`` pairs: the frame's time from the source's start and an ``(H, W, 3) uint8`` RGB
image. Live Link Face takes carry curves, not images, and are read by :mod:`.live_link` straight into a
:class:`.take.Take`.
"""

import time
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from ..io.image_io import as_rgb_uint8

#: Video file types the capture reads (anything OpenCV's FFmpeg back end decodes would do; these are checked).
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")


class Source:
    """A stream of frames. ``fps``: nominal frames per second; ``frame_count``: frames expected (None: unknown, a
    webcam); ``live``: frames arrive as they are filmed (a webcam: they cannot be read twice or out of order).
    Iterate for ``(seconds, rgb)``; :meth:`close` releases the device or file (also a context manager)."""

    fps = 30.0
    frame_count = None
    live = False

    def __iter__(self):
        raise NotImplementedError

    def close(self):
        """Release what the source holds (idempotent)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class ArraySource(Source):
    """Frames already in memory: ``frames`` a sequence of images (any layout :func:`.image_io.as_rgb_uint8` takes)
    at ``fps``. Raises InputError for no frames or a non-positive fps."""

    def __init__(self, frames, fps):
        if len(frames) == 0:
            raise InputError("no frames to capture")
        if not float(fps) > 0:
            raise InputError(f"frame rate must be positive, got {fps!r}")
        self.frames, self.fps, self.frame_count = frames, float(fps), len(frames)

    def __iter__(self):
        for i, frame in enumerate(self.frames):
            yield i / self.fps, as_rgb_uint8(frame)


class _CaptureSource(Source):
    """An OpenCV ``VideoCapture`` (a file or a camera) read frame by frame."""

    def _open(self, target, what):
        self.what = what
        self._capture = cv2.VideoCapture(target)
        if not self._capture.isOpened():
            self._capture.release()
            raise InputError(f"{what}: cannot open it (not a video OpenCV can decode, or the device is busy)")

    def _frames(self):
        while self._capture is not None:
            ok, bgr = self._capture.read()
            if not ok:
                return
            yield cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self):
        capture, self._capture = getattr(self, "_capture", None), None
        if capture is not None:
            capture.release()


class VideoSource(_CaptureSource):
    """A video file decoded with OpenCV. Frame ``i`` is at ``i / fps`` seconds (the container's nominal rate:
    OpenCV's per-frame timestamps are unreliable across back ends). ``fps`` overrides a missing or wrong rate.

    Raises InputError: missing file, not a video, no frame rate (and none given)."""

    def __init__(self, path, *, fps=None):
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: no such video file")
        self._open(str(path), str(path))
        rate = float(fps) if fps is not None else float(self._capture.get(cv2.CAP_PROP_FPS) or 0.0)
        if not np.isfinite(rate) or rate <= 0:
            self.close()
            raise InputError(f"{path}: the video has no frame rate; pass the rate it was filmed at (--source-fps)")
        self.fps = rate
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count = count if count > 0 else None

    def __iter__(self):
        for i, rgb in enumerate(self._frames()):
            yield i / self.fps, rgb


class CameraSource(_CaptureSource):
    """A webcam (OpenCV device ``index``), timed by the wall clock (monotonic). ``size``: requested
    ``(width, height)`` (the camera may pick another). Raises InputError when the device cannot be opened."""

    live = True

    def __init__(self, index=0, *, size=(640, 480)):
        self._open(int(index), f"camera {index}")
        self._capture.set(cv2.CAP_PROP_FRAME_WIDTH, int(size[0]))
        self._capture.set(cv2.CAP_PROP_FRAME_HEIGHT, int(size[1]))
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS) or 30.0)

    def __iter__(self):
        start = None
        for rgb in self._frames():
            now = time.monotonic()
            start = now if start is None else start
            yield now - start, rgb


def open_video(path, *, fps=None):
    """:class:`VideoSource` for ``path``, with a clear error for a file type that is not a video."""
    if Path(path).suffix.lower() not in VIDEO_SUFFIXES:
        raise InputError(f"{path}: not a video file; use {', '.join(VIDEO_SUFFIXES)} (or a Live Link .csv take)")
    return VideoSource(path, fps=fps)
