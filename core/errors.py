# SPDX-License-Identifier: GPL-3.0-or-later
"""The project's error types. Operators and the CLI turn these into one readable line (no traceback)."""


class FacemotionError(Exception):
    """Base class: a problem with the user's input or environment, explained in the message."""


class AssetError(FacemotionError):
    """A third-party data file (ICT-FaceKit, MediaPipe model) is missing, corrupt or cannot be downloaded."""


class InputError(FacemotionError):
    """A file, image, mesh or parameter the user gave is unusable (missing, unreadable, empty, out of range)."""


class NoFaceError(FacemotionError):
    """The face landmark detector found no face (in an image, or on any view of a mesh)."""


class TimelineError(FacemotionError):
    """An emotion timeline key is invalid (unknown emotion, negative time, overlapping transitions...)."""


class CancelledError(FacemotionError):
    """The user cancelled a long run (Esc in Blender, Ctrl+C on the command line); nothing was changed."""


class Progress:
    """Progress of a long computation, shared between the thread doing it and the one showing it.

    Core functions take a ``progress(fraction, message)`` callable; this one records the last call (``fraction`` in
    [0, 1], ``message`` a short phrase) and raises :class:`CancelledError` from inside the computation once
    :meth:`cancel` was called, so a run stops at its next progress report and leaves nothing half-done. ``on_update``
    (optional) is called with ``(fraction, message)`` on every report, e.g. to drive a terminal progress bar.
    """

    def __init__(self, on_update=None):
        import threading

        self.fraction = 0.0
        self.message = ""
        self._cancelled = threading.Event()
        self._on_update = on_update

    def __call__(self, fraction, message=""):
        if self._cancelled.is_set():
            raise CancelledError("cancelled; nothing was changed")
        self.fraction = min(max(float(fraction), 0.0), 1.0)
        if message:
            self.message = str(message)
        if self._on_update is not None:
            self._on_update(self.fraction, self.message)

    def cancel(self):
        """Ask the computation to stop at its next progress report (thread-safe)."""
        self._cancelled.set()

    @property
    def cancelled(self):
        """True once :meth:`cancel` was called."""
        return self._cancelled.is_set()
