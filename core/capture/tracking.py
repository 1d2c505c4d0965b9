# SPDX-License-Identifier: GPL-3.0-or-later
"""MediaPipe's Face Landmarker in VIDEO mode: one face tracked through a stream of frames.

VIDEO mode runs BlazeFace only until a face is found and then tracks it from the previous frame's landmarks (the
Face Landmarker's tracking), which is both faster and steadier than detecting every frame as a still image. It
requires strictly increasing integer millisecond timestamps; :class:`FaceTracker` makes them so (a source whose
clock repeats or goes back, such as a webcam driver, would otherwise stop the graph).

The timestamps MediaPipe is given run :data:`CLOCK_SCALE` times faster than the video's: in VIDEO mode the Face
Landmarker smooths its landmarks with a One Euro filter of its own (its ``LandmarksSmoothingCalculator``, which the
tasks API neither exposes nor turns off), and that filter's cutoffs are counted in the stream's time, so a scaled
clock is how its smoothing is lightened (see :data:`CLOCK_SCALE`); the capture's own One Euro filter
(:mod:`.one_euro`, with settings the user sees) does the rest.

The task is created, used and closed like the still-image detectors (:mod:`facemotion.core.detect.landmarks`: the
same lifecycle class, signals held back while MediaPipe builds or tears the graph down, closed at exit).
"""

from ..detect.landmarks import (
    DEFAULT_MIN_DETECTION_CONFIDENCE,
    DEFAULT_MIN_PRESENCE_CONFIDENCE,
    MIN_DETECTION_SIDE,
    _MediaPipeTask,
    _read_model,
    _to_faces,
    _upscaled,
)
from ..detect.mediapipe_import import import_mediapipe
from ..io.image_io import as_rgb_uint8

#: Factor on the clock of the timestamps MediaPipe is given. A One Euro filter's step is ``alpha = 1 / (1 + 1 / (2 pi
#: cutoff dt))`` with ``cutoff = min_cutoff + beta |dx/dt|``: with every ``dt`` s times longer, MediaPipe's filter acts
#: as if its ``min_cutoff`` and derivative cutoff were s times higher, its ``beta`` unchanged. At s = 1 it holds back
#: small quick motions, which move few pixels (lips, lids, brows), by one or two frames: on the round trip
#: (``tools/capture_round_trip.py``) a 0.5 s funnel read 0 at 0.45 of its height on the way up and 0.9 at 0.65 on the
#: way down, and shifting the capture one frame earlier raised the smiles, brows and pucker by 0.01-0.03 in r (the
#: jaw, which moves far and fast, not at all). Measured on performances 1 / 2 / 3 (256 px; lowest r over the checked
#: channels, their mean r, jitter of the filtered weights on the still first second, performance 1 / 3), s = 1: 0.878,
#: 0.953, 0.00083 / 0.00129; 2: 0.901, 0.962, 0.00089 / 0.00161; 3: 0.907, 0.965, 0.00094 / 0.00171; 5: 0.909, 0.967,
#: 0.00105 / 0.00194; 10: 0.898, 0.967, 0.00119 / 0.00221; 1000 (no smoothing left): 0.902, 0.965, 0.00260 / 0.00422.
#: 3 takes the lag out (the lowest channel, mouthFunnel on performance 2, 0.878 -> 0.907) for the least jitter added.
#: Detecting every frame as a still image instead (no smoothing, no tracking) read the funnel better (0.942 / 0.955 /
#: 0.982) but lost the pucker on performance 3 (r 0.31).
CLOCK_SCALE = 3


class FaceTracker(_MediaPipeTask):
    """One face through a video: :meth:`track` per frame, in time order.

    ``model_path``: a ``face_landmarker.task`` (default: the pinned asset); ``min_detection_confidence`` and
    ``min_presence_confidence``: as :class:`facemotion.core.detect.landmarks.FaceLandmarkDetector`; tracking
    continues while the landmark model's presence score stays above the latter.
    Raises AssetError when the model is missing or corrupt.
    """

    def __init__(
        self,
        model_path=None,
        *,
        min_detection_confidence=DEFAULT_MIN_DETECTION_CONFIDENCE,
        min_presence_confidence=DEFAULT_MIN_PRESENCE_CONFIDENCE,
    ):
        import_mediapipe()  # first: where matplotlib is absent, MediaPipe's import needs a stand-in
        from mediapipe.tasks.python import BaseOptions, vision

        self.model_path, model = _read_model(model_path)
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model),
            running_mode=vision.RunningMode.VIDEO,
            num_faces=1,
            min_face_detection_confidence=float(min_detection_confidence),
            min_face_presence_confidence=float(min_presence_confidence),
            min_tracking_confidence=float(min_presence_confidence),
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        self._last_ms = -1
        self._start(lambda: vision.FaceLandmarker.create_from_options(options))

    def track(self, image, seconds):
        """The face in ``image`` at time ``seconds`` as :class:`facemotion.core.detect.landmarks.FaceLandmarks`,
        or None when there is none. ``image``: any layout :func:`.image_io.as_rgb_uint8` takes (frames under 256 px
        are upscaled, as for stills). MediaPipe is given ``seconds`` times :data:`CLOCK_SCALE`, made strictly
        increasing whole milliseconds.
        Raises InputError for a malformed image, RuntimeError once closed."""
        rgb = as_rgb_uint8(image)
        h, w = rgb.shape[:2]
        canvas_image, canvas = _upscaled(rgb, MIN_DETECTION_SIDE)
        stamp = max(self._last_ms + 1, round(float(seconds) * CLOCK_SCALE * 1000.0))
        result = self._run(canvas_image, stamp, call="detect_for_video")
        self._last_ms = stamp
        faces = _to_faces(result, canvas, h, w)
        return faces[0] if faces else None
