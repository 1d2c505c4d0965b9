# SPDX-License-Identifier: GPL-3.0-or-later
"""A captured performance as curves: the 52 ARKit weights, head and eye rotation per frame at one frame rate.

Every source (a video, a webcam, a Live Link Face CSV take) ends as a :class:`Take`; the clean-up
(:mod:`.cleanup`), the Live Link writer (:mod:`.live_link`) and the Blender write-out read nothing else.
"""

from dataclasses import dataclass, field

import numpy as np

from ..arkit import ARKIT_NAMES
from ..errors import InputError


@dataclass
class Take:
    """Curves of one performance, one row per frame at ``fps``.

    Attributes:
        fps: frames per second (float > 0).
        weights: ``(N, 52) float32`` ARKit weights in :data:`facemotion.core.arkit.ARKIT_NAMES` order.
        head_rotation: ``(N, 3) float32`` head yaw, pitch, roll in radians (turns about the camera's up, right and
            viewing axes; 0 = facing the camera; positive yaw = the subject turns to their left, positive pitch =
            looks down, positive roll = tilts toward their right shoulder, Live Link Face's convention).
        eye_rotation: ``(N, 2, 3) float32`` left and right eye yaw, pitch, roll in radians (same signs; roll is 0
            from video).
        head_translation: ``(N, 3) float32`` head position in metres in the camera's axes (x right, y up, z toward
            the camera); zeros where the source has none (Live Link Face takes).
        found: ``(N,) bool`` frames where a face was seen (the others were bridged, see :mod:`.cleanup`).
        start_seconds: time of row 0 in the source (a Live Link take's first timecode), seconds.
        emotion: the per-frame emotion of a video (:func:`.capture.emotion_track`): a list of
            :class:`facemotion.core.emotion.recognition.TrackSample` with ``time`` in seconds from row 0, or None
            (not classified; Live Link Face takes).
        notes: one-line reports of what the clean-up did (frames bridged, channels left unscaled), for the user.
    """

    fps: float
    weights: np.ndarray
    head_rotation: np.ndarray = None
    eye_rotation: np.ndarray = None
    head_translation: np.ndarray = None
    found: np.ndarray = None
    start_seconds: float = 0.0
    notes: list = field(default_factory=list)
    emotion: list = None

    def __post_init__(self):
        self.fps = float(self.fps)
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise InputError(f"a take's frame rate must be a positive number, got {self.fps!r}")
        self.weights = np.asarray(self.weights, dtype=np.float32)
        if self.weights.ndim != 2 or self.weights.shape[1] != len(ARKIT_NAMES):
            raise InputError(f"a take's weights must be (frames, 52), got shape {self.weights.shape}")
        n = len(self.weights)
        self.head_rotation = _rows(self.head_rotation, (n, 3), "head_rotation")
        self.eye_rotation = _rows(self.eye_rotation, (n, 2, 3), "eye_rotation")
        self.head_translation = _rows(self.head_translation, (n, 3), "head_translation")
        self.found = np.ones(n, bool) if self.found is None else np.asarray(self.found, dtype=bool).reshape(n)

    def __len__(self):
        return len(self.weights)

    @property
    def times(self):
        """``(N,) float64`` seconds of each row from the take's start."""
        return np.arange(len(self)) / self.fps

    def emotion_keys(self):
        """``[(seconds, label), ...]`` of the emotion track's samples that have a face and a clear top class (an
        ``uncertain`` sample is never keyed: its label should not be acted on alone), in time order; empty without
        a track."""
        return [(s.time, s.label) for s in self.emotion or () if s.label is not None and not s.uncertain]

    def emotion_changes(self):
        """``[(seconds, label), ...]`` of :meth:`emotion_keys` where the label differs from the previous key's (the
        first key always): where a timeline marker goes."""
        changes = []
        for seconds, label in self.emotion_keys():
            if not changes or changes[-1][1] != label:
                changes.append((seconds, label))
        return changes


def _rows(values, shape, name):
    if values is None:
        return np.zeros(shape, np.float32)
    values = np.asarray(values, dtype=np.float32)
    if values.shape != shape:
        raise InputError(f"a take's {name} must have shape {shape}, got {values.shape}")
    return values
