# SPDX-License-Identifier: GPL-3.0-or-later
"""MediaPipe's Face Landmarker in VIDEO mode: one face tracked through a stream of frames.

VIDEO mode runs BlazeFace only until a face is found and then tracks it from the previous frame's landmarks (the
Face Landmarker's tracking), which is both faster and steadier than detecting every frame as a still image. It
requires strictly increasing integer millisecond timestamps; :class:`FaceTracker` makes them so (a source whose
clock repeats or goes back, such as a webcam driver, would otherwise stop the graph).

In VIDEO mode the Face Landmarker smooths its landmarks with a One Euro filter of its own (its
``LandmarksSmoothingCalculator``, which the tasks API neither exposes nor turns off); like any causal filter it lags,
and most on slow small motions (a brow raise read one frame behind the truth, a funnel on the way up lower than on
the way down).

A recorded take (a video file, frames in memory) is therefore also tracked backwards in time (:func:`track_both_ways`)
and each frame's landmarks, scores and transformation matrix are the mean of the two passes: their lags are equal and
opposite, so the mean has none (zero-phase forward-backward filtering, as ``scipy.signal.filtfilt``; Gustafsson,
"Determining the initial states in forward-backward filtering", IEEE Trans. Signal Processing 44(4), 1996; here
through MediaPipe's own filter), and two smoothings of the sensor noise average it down further. Measured on the round
trip (``tools/capture_round_trip.py``, performances 1-7, 256 px; docs/capture.md): the lowest r over the checked
channels 0.894 -> 0.928, the still face's jitter halved, the head's yaw error lower. Tracking is twice the work, in two
threads (on two cores 12.7 ms a 640x480 frame against 10.0 one way). MediaPipe keeps its own clock there
(:data:`TWO_WAY_CLOCK_SCALE`).

A live source (a webcam) is tracked forward only, its frames wanted as they come; there MediaPipe is given timestamps
:data:`CLOCK_SCALE` times faster than the video's: the filter's cutoffs are counted in the stream's time, so a scaled
clock lightens its smoothing and its lag, and the capture's own One Euro filter (:mod:`.one_euro`, with settings the
user sees) does the rest.

The task is created, used and closed like the still-image detectors (:mod:`facemotion.core.detect.landmarks`: the
same lifecycle class, signals held back while MediaPipe builds or tears the graph down, closed at exit).
"""

import threading

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

#: Factor on the clock of the timestamps MediaPipe is given when tracking one way (live). A One Euro filter's step is
#: ``alpha = 1 / (1 + 1 / (2 pi cutoff dt))`` with ``cutoff = min_cutoff + beta |dx/dt|``: with every ``dt`` s times
#: longer, MediaPipe's filter acts as if its ``min_cutoff`` and derivative cutoff were s times higher, its ``beta``
#: unchanged. At s = 1 it holds back small quick motions, which move few pixels (lips, lids, brows), by one or two
#: frames: on the round trip (``tools/capture_round_trip.py``) a 0.5 s funnel read 0 at 0.45 of its height on the way up
#: and 0.9 at 0.65 on the way down, and shifting the capture one frame earlier raised the smiles, brows and pucker by
#: 0.01-0.03 in r (the jaw, which moves far and fast, not at all). Measured on performances 1 / 2 / 3 (256 px; lowest r
#: over the checked channels, their mean r, jitter of the filtered weights on the still first second, performance 1 /
#: 3), s = 1: 0.878, 0.953, 0.00083 / 0.00129; 2: 0.901, 0.962, 0.00089 / 0.00161; 3: 0.907, 0.965, 0.00094 / 0.00171;
#: 5: 0.909, 0.967, 0.00105 / 0.00194; 10: 0.898, 0.967, 0.00119 / 0.00221; 1000 (no smoothing left): 0.902, 0.965,
#: 0.00260 / 0.00422. 3 takes the lag out (the lowest channel, mouthFunnel on performance 2, 0.878 -> 0.907) for the
#: least jitter added. Detecting every frame as a still image instead (no smoothing, no tracking) read the funnel better
#: (0.942 / 0.955 / 0.982) but lost the pucker on performance 3 (r 0.31).
CLOCK_SCALE = 3
#: :data:`CLOCK_SCALE` for a take tracked both ways (:func:`track_both_ways`), where the two passes' lags cancel and
#: MediaPipe's smoothing costs no lag: lowest r over the checked channels on the round trip's performances 1 / 2 / 3 /
#: 4 (the rule :data:`CLOCK_SCALE` was chosen by: highest lowest r), scale 1: 0.929 / 0.950 / 0.951 / 0.940; 2:
#: 0.925 / 0.951 / 0.943 / 0.943; 3: 0.920 / 0.949 / 0.940 / 0.940; 5: 0.916 / 0.947 / 0.940 / 0.936; the still
#: face's jitter lowest at 1 too (0.00045 / 0.00074 / 0.00052 / 0.00030 against 0.00050 / 0.00091 / 0.00095 /
#: 0.00060 at 3). The held-out performances 5 / 6 / 7 then read 0.928 / 0.962 / 0.933 (at 3: 0.939 / 0.975 / 0.938).
TWO_WAY_CLOCK_SCALE = 1


class FaceTracker(_MediaPipeTask):
    """One face through a video: :meth:`track` per frame, in time order.

    ``model_path``: a ``face_landmarker.task`` (default: the pinned asset); ``min_detection_confidence`` and
    ``min_presence_confidence``: as :class:`facemotion.core.detect.landmarks.FaceLandmarkDetector`; tracking
    continues while the landmark model's presence score stays above the latter. ``clock_scale``: the factor on the
    timestamps MediaPipe is given (:data:`CLOCK_SCALE` for a tracker used one way, :data:`TWO_WAY_CLOCK_SCALE` for
    one of a two-way pair).
    Raises AssetError when the model is missing or corrupt.
    """

    def __init__(
        self,
        model_path=None,
        *,
        min_detection_confidence=DEFAULT_MIN_DETECTION_CONFIDENCE,
        min_presence_confidence=DEFAULT_MIN_PRESENCE_CONFIDENCE,
        clock_scale=CLOCK_SCALE,
    ):
        import_mediapipe()  # first: where matplotlib is absent, MediaPipe's import needs a stand-in
        from mediapipe.tasks.python import BaseOptions, vision

        self.model_path, model = _read_model(model_path)
        self.min_detection_confidence = float(min_detection_confidence)
        self.min_presence_confidence = float(min_presence_confidence)
        self.clock_scale = float(clock_scale)
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=model),
            running_mode=vision.RunningMode.VIDEO,
            num_faces=1,
            min_face_detection_confidence=self.min_detection_confidence,
            min_face_presence_confidence=self.min_presence_confidence,
            min_tracking_confidence=self.min_presence_confidence,
            output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
        )
        self._last_ms = -1
        self._start(lambda: vision.FaceLandmarker.create_from_options(options))

    def track(self, image, seconds):
        """The face in ``image`` at time ``seconds`` as :class:`facemotion.core.detect.landmarks.FaceLandmarks`,
        or None when there is none. ``image``: any layout :func:`.image_io.as_rgb_uint8` takes (frames under 256 px
        are upscaled, as for stills). MediaPipe is given ``seconds`` times ``clock_scale``, made strictly
        increasing whole milliseconds.
        Raises InputError for a malformed image, RuntimeError once closed."""
        rgb = as_rgb_uint8(image)
        h, w = rgb.shape[:2]
        canvas_image, canvas = _upscaled(rgb, MIN_DETECTION_SIDE)
        stamp = max(self._last_ms + 1, round(float(seconds) * self.clock_scale * 1000.0))
        result = self._run(canvas_image, stamp, call="detect_for_video")
        self._last_ms = stamp
        faces = _to_faces(result, canvas, h, w)
        return faces[0] if faces else None

    def fresh(self):
        """A new :class:`FaceTracker` with this one's model and thresholds, tracking no face yet (its own graph, so
        its own smoothing state). Raises AssetError as the constructor."""
        return FaceTracker(
            self.model_path,
            min_detection_confidence=self.min_detection_confidence,
            min_presence_confidence=self.min_presence_confidence,
            clock_scale=self.clock_scale,
        )


#: Bytes of decoded frames :func:`track_both_ways` holds at once: a block is as many frames as fit (640x480: 582,
#: 1920x1080: 86, at least ``2 * BACKWARD_LEAD_IN``), so a long take is never held whole.
BACKWARD_BLOCK_BYTES = 512 * 2**20
#: Frames after a block's last one where its backward tracker starts, tracked and discarded: MediaPipe's filter starts
#: on its first frame and its speed estimate settles over a few; half a second at 30 fps leaves the block's own
#: frames as a continuous backward track would give them.
BACKWARD_LEAD_IN = 15


def track_both_ways(frames, tracker, *, tick=None):
    """A recorded take tracked forward and backward in time (see the module docstring), block by block.

    ``frames``: ``(seconds, rgb)`` pairs in time order (a :class:`.sources.Source`); ``tracker``: the
    :class:`FaceTracker` of the forward pass (used across blocks, in order); each block's backward pass has its own
    (``tracker.fresh()``), which starts :data:`BACKWARD_LEAD_IN` frames after the block's end (the take's last block:
    at its last frame) and is given the time before that frame, which increases as it goes back. A block is
    :data:`BACKWARD_BLOCK_BYTES` of frames; its backward pass runs in a worker thread while the forward pass tracks it
    in the calling thread (MediaPipe releases the GIL: on two cores both ways take about as long as one).
    ``tick()``: called in the calling thread once per frame tracked either way (a progress and cancel point: what it
    raises stops both passes, the worker joined and its tracker closed first).

    Yields ``(index, seconds, forward, backward)`` per frame in time order, each face a
    :class:`facemotion.core.detect.landmarks.FaceLandmarks` or None. Raises what the trackers raise (AssetError for a
    missing model, InputError for a malformed frame)."""
    tick = tick or (lambda: None)
    held, block = [], None  # held: (index, seconds, rgb), oldest first
    for index, (seconds, rgb) in enumerate(frames):
        held.append((index, float(seconds), rgb))
        if block is None:
            block = max(2 * BACKWARD_LEAD_IN, BACKWARD_BLOCK_BYTES // max(1, rgb.nbytes))
        if len(held) == block + BACKWARD_LEAD_IN:
            yield from _block_both_ways(held, block, tracker, tick)
            held = held[block:]
    if held:
        yield from _block_both_ways(held, len(held), tracker, tick)


def _block_both_ways(held, keep, tracker, tick):
    """The first ``keep`` of ``held`` tracked forward here and, in a worker thread, all of ``held`` backward (the
    frames past ``keep`` are the lead-in). Yields as :func:`track_both_ways`."""
    backward = [None] * keep
    state = {"done": 0, "error": None}
    stop = threading.Event()
    reverse = tracker.fresh()  # made (and closed) in this thread: signals are held back only here
    latest = held[-1][1]

    def work():
        try:
            for k in range(len(held) - 1, -1, -1):
                if stop.is_set():
                    return
                face = reverse.track(held[k][2], latest - held[k][1])
                if k < keep:
                    backward[k] = face
                    state["done"] += 1  # read by the calling thread; only this one writes it
        except BaseException as exc:  # handed to the calling thread, which raises it
            state["error"] = exc

    worker = threading.Thread(target=work, name="facemotion: backward tracking", daemon=True)
    ticked = 0

    def tick_backward():
        nonlocal ticked
        while ticked < state["done"]:
            ticked += 1
            tick()

    try:
        worker.start()
        forward = []
        for _, seconds, rgb in held[:keep]:
            forward.append(tracker.track(rgb, seconds))
            tick()
            tick_backward()
        while worker.is_alive():
            worker.join(0.05)
            tick_backward()
        if state["error"] is not None:
            raise state["error"]
        tick_backward()
    finally:
        stop.set()
        if worker.ident is not None:
            worker.join()
        reverse.close()
    for (index, seconds, _), ahead, behind in zip(held[:keep], forward, backward):
        yield index, seconds, ahead, behind
