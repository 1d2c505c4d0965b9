# SPDX-License-Identifier: GPL-3.0-or-later
"""Atomic file writes: a reader never sees a half-written file, and a failed write leaves the old file untouched.

The data goes to a temporary file in the destination's own directory (so the final rename never crosses a
file-system boundary), is flushed and fsync'ed, then ``os.replace`` swaps it in. ``os.replace`` is atomic on POSIX and
on Windows (same volume). Every module that writes a cache, a download or an export uses these two helpers.
"""
import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_output", "atomic_write_bytes", "atomic_write_text"]


@contextlib.contextmanager
def atomic_output(path, *, suffix=None):
    """Context manager yielding a temporary ``Path`` beside ``path``; on success it replaces ``path`` atomically.

    Write the temporary path with any library (``np.save``, ``cv2.imwrite``, ``open``); when the ``with`` block ends
    without an exception the file is fsync'ed and renamed onto ``path``. On an exception the temporary file is removed,
    ``path`` is left as it was, and the exception propagates. Parent directories are created.

    ``suffix``: extension of the temporary file (default: ``path``'s own, so libraries that pick a format from the
    file name, e.g. ``cv2.imwrite`` or ``np.save``, still do the right thing).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Hidden, recognisable temporary name ending with the real extension: ".mesh.npz.a1b2c3.npz".
    fd, tmp_name = tempfile.mkstemp(prefix="." + path.name + ".", suffix=path.suffix if suffix is None else suffix,
                                    dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # fsync so a crash after the rename cannot leave a renamed-but-empty file (ext4 delayed allocation).
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        # mkstemp creates 0600 files; keep an existing file's mode, else the usual 0644.
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write_bytes(path, data):
    """Write ``data`` (bytes-like) to ``path`` atomically (see :func:`atomic_output`); returns ``Path(path)``."""
    path = Path(path)
    with atomic_output(path) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(data)
    return path


def atomic_write_text(path, text, encoding="utf-8"):
    """Write ``text`` to ``path`` atomically with ``encoding`` (default UTF-8); returns ``Path(path)``."""
    return atomic_write_bytes(path, text.encode(encoding))
