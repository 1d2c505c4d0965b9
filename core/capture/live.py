# SPDX-License-Identifier: GPL-3.0-or-later
"""Live capture: one frame at a time (a webcam), each frame's weights ready as soon as it is tracked.

The offline clean-up looks at the whole take (the calmest span for the neutral, the channels' peaks for the rescale);
live, the first :data:`NEUTRAL_SECONDS` with a face are the neutral (the performer is asked to hold a neutral face
when the capture starts), channels keep scale 1 (no peak is known yet), and the One Euro filter runs as a stream
(:class:`.one_euro.OneEuroFilter`). Until the neutral is in, frames give MediaPipe's raw scores.
:meth:`LiveCapture.take` returns everything pushed as a :class:`.take.Take` (frames without a face bridged), to key
once the capture stops.
"""

import threading

import numpy as np

from ..arkit import ARKIT_NAMES
from .calibration import adjust
from .one_euro import OneEuroFilter
from .solve import LandmarkSolver, combine, head_rotation
from .take import Take
from .timing import bridge_gaps, resample

#: Seconds of the neutral face at the start of a live capture.
NEUTRAL_SECONDS = 1.0


class LiveCapture:
    """Stream ARKit weights from tracked faces.

    ``fps``: the source's nominal rate (the filter's step; frames are recorded at their own times and resampled to
    it by :meth:`take`); ``solver``: a :class:`.solve.LandmarkSolver` (default: on the ICT template);
    ``filter_parameters``: keyword arguments for :class:`.one_euro.OneEuroFilter` (None: no filter).
    """

    def __init__(self, fps, *, solver=None, filter_parameters=None):
        self.fps = float(fps)
        self.solver = solver or LandmarkSolver()
        self._filter = None if filter_parameters is None else OneEuroFilter(self.fps, **filter_parameters)
        self._neutral_frames = []
        self._score_neutral = None
        self.times, self.rows, self.found = [], [], []

    @property
    def calibrated(self):
        """True once the neutral is in (:data:`NEUTRAL_SECONDS` of frames with a face)."""
        return self._score_neutral is not None

    def push(self, seconds, face):
        """One frame: ``face`` a :class:`facemotion.core.detect.landmarks.FaceLandmarks` or None (no face) at
        ``seconds``. Returns the frame's ``(52,) float64`` weights in [0, 1] (the last ones again without a face;
        zeros before any face)."""
        if face is None:
            weights = self.rows[-1][:52] if self.rows else np.zeros(len(ARKIT_NAMES))
            self._record(seconds, weights, np.zeros(3), False)
            return weights
        aligned = self.solver.locate(face)
        head = head_rotation(face.head_pose)
        scores = np.asarray(face.blendshape_array, dtype=np.float64)
        if not self.calibrated:
            self._neutral_frames.append((aligned, scores))
            if len(self._neutral_frames) >= max(1, round(NEUTRAL_SECONDS * self.fps)):
                self.solver.set_neutral(np.stack([a for a, _ in self._neutral_frames]))
                self._score_neutral = np.median([s for _, s in self._neutral_frames], axis=0)
            weights = np.clip(scores, 0.0, 1.0)
        else:
            prior = scores - self._score_neutral
            solved = self.solver.solve(aligned[None], prior[None], yaw=head[:1])[0]
            weights = combine(prior[None], solved[None])[0]
        if self._filter is not None:
            weights = self._filter(weights)
        weights = adjust(weights[None])[0]
        self._record(seconds, weights, head, True)
        return weights

    def _record(self, seconds, weights, head, found):
        self.times.append(float(seconds))
        self.rows.append(np.concatenate([weights, head]))
        self.found.append(found)

    def take(self):
        """Every frame pushed so far as a :class:`.take.Take` at :attr:`fps` (frames without a face bridged,
        resampled from the frames' own times). Raises InputError when no frame had a face."""
        rows, gaps = bridge_gaps(np.array(self.rows), np.array(self.found))
        curves = resample(
            np.array(self.times) - self.times[0],
            np.concatenate([rows, np.array(self.found, float)[:, None]], axis=1),
            self.fps,
        )
        notes = [f"no face in {sum(b - a + 1 for a, b in gaps)} of {len(self.rows)} frames: bridged"] if gaps else []
        return Take(
            fps=self.fps, weights=curves[:, :52], head_rotation=curves[:, 52:55], found=curves[:, 55] > 0.5, notes=notes
        )


class LiveSession:
    """A :class:`LiveCapture` fed by a :class:`.sources.Source` (a webcam) in a worker thread, so a user interface
    stays responsive: :meth:`start`, read :meth:`latest` as often as the screen refreshes, :meth:`stop` for the take.

    ``source`` is closed by :meth:`stop`; ``tracker``: a :class:`.tracking.FaceTracker` (default: made here, closed by
    :meth:`stop`). An error in the worker (a camera unplugged) ends the session; :meth:`stop` raises it.
    """

    def __init__(self, source, live, *, tracker=None):
        self.source, self.live, self._tracker = source, live, tracker
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._latest = None
        self._error = None
        self._thread = threading.Thread(target=self._work, name="facemotion: live capture", daemon=True)

    def start(self):
        """Start reading frames (returns at once)."""
        if self._tracker is None:
            from .tracking import FaceTracker

            self._tracker = FaceTracker()
        self._thread.start()

    def _work(self):
        try:
            for seconds, rgb in self.source:
                if self._stop.is_set():
                    return
                weights = self.live.push(seconds, self._tracker.track(rgb, seconds))
                with self._lock:
                    self._latest = weights
        except Exception as exc:  # handed to stop(), which raises it on the caller's thread
            self._error = exc

    @property
    def running(self):
        """True while frames are being read (False once the source ran out, failed or :meth:`stop` was called)."""
        return self._thread.is_alive()

    def latest(self):
        """The newest frame's ``(52,)`` weights, or None before the first frame."""
        with self._lock:
            return self._latest

    def stop(self):
        """Stop reading, release the source and tracker, and return the take so far (:meth:`LiveCapture.take`).
        Raises the worker's error, or InputError when no frame had a face."""
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join()
        self.source.close()
        if self._tracker is not None:
            self._tracker.close()
        if self._error is not None:
            raise self._error
        return self.live.take()
