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
