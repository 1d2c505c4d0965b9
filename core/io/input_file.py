# SPDX-License-Identifier: GPL-3.0-or-later
"""What an input path is before anything opens it: a regular file, or a named pipe, device or socket.

A named pipe (FIFO) with no writer blocks the reader that opens it for ever, and a device streams without end
(``/dev/zero``) or not at all, so an input of that kind is refused by name, in one line, before it is opened.
"""

import os
import stat

from ..errors import InputError

__all__ = ["special_file_kind", "check_not_special"]

#: ``stat`` tests of the file types that are neither a regular file nor a folder, with the words that name them.
_SPECIAL_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def special_file_kind(path):
    """The kind of ``path`` (links followed) when it is a named pipe, a device or a socket (``"a named pipe
    (FIFO)"``...), else None (a regular file, a folder, or nothing there). Never opens it."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return None
    return next((words for test, words in _SPECIAL_KINDS if test(mode)), None)


def check_not_special(path, fix):
    """Raise InputError ``"PATH: is a named pipe (FIFO), not a file; FIX"`` when ``path`` is a special file (see
    :func:`special_file_kind`); ``fix`` says what to give instead."""
    kind = special_file_kind(path)
    if kind is not None:
        raise InputError(f"{path}: is {kind}, not a file; {fix}")
