# SPDX-License-Identifier: GPL-3.0-or-later
"""Atomic file writes: a reader never sees a half-written file, and a failed write leaves the old file untouched.

The data goes to a temporary file in the destination's own directory (so the final rename never crosses a
file-system boundary), is flushed and fsync'ed, then ``os.replace`` swaps it in. ``os.replace`` is atomic on POSIX and
on Windows (same volume). Every module that writes a cache, a download or an export uses these two helpers.

An output that must not replace anything (no ``--overwrite``) is placed with :func:`place_new` instead: created
exclusively, so of two runs writing the same new file at once one wins and the other fails with one line, where a
check for the file followed by a rename would let the second silently replace the first.
"""

import contextlib
import os
import tempfile
from pathlib import Path

from ..errors import InputError
from ..interrupts import deferred_interrupts, stop_if_asked

__all__ = [
    "atomic_output",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_file",
    "check_writable",
    "place_new",
    "MAX_NAME_BYTES",
]

# Longest file name (one path component, in bytes) accepted: the limit of ext4, APFS, NTFS (255) less the room the
# temporary name needs (a leading ".", a "." and mkstemp's 8 random characters, then the extension again).
MAX_NAME_BYTES = 255


def check_writable(path):
    """Check before any work that ``path`` can be written: its folder exists and is a folder, its name is not too
    long, and a temporary file (the name :func:`atomic_output` would use) can really be created there and removed.

    Trying for real is the only reliable test: ``os.access`` says yes to root on a read-only file system (``/proc``)
    and knows nothing of quotas. Returns ``Path(path)``. Raises InputError (one line naming the path and the reason).
    """
    path = Path(path)
    name_bytes = len(os.fsencode(path.name))
    if name_bytes > MAX_NAME_BYTES - 10 - len(os.fsencode(path.suffix)):
        raise InputError(
            f"{path.name[:40]}...: output file name is {name_bytes} bytes long; keep it under "
            f"{MAX_NAME_BYTES - 10 - len(os.fsencode(path.suffix))} bytes"
        )
    parent = path.parent
    if not parent.exists():
        # A file somewhere above makes the folder impossible, not just missing: say which.
        blocker = next((p for p in parent.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            raise InputError(f"{path}: cannot write there: {blocker} is a file, not a folder")
        raise InputError(f"{path}: folder {parent} does not exist")
    if not parent.is_dir():
        raise InputError(f"{path}: cannot write there: {parent} is a file, not a folder")
    # One step: a signal between the probe's creation and its removal would leave it in the user's folder.
    with deferred_interrupts():
        try:
            fd, tmp_name = tempfile.mkstemp(prefix="." + path.name + ".", suffix=path.suffix, dir=parent)
        except OSError as exc:
            raise InputError(f"{path}: cannot write in {parent} ({exc.strerror or exc})") from None
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
    return path


def check_output_file(path, suffixes, *, overwrite, what=None, probe=True):
    """Check an output file before any work: its suffix is one of ``suffixes`` (lower-case, with the dot), it is
    not a folder, and not an existing file unless ``overwrite``; with ``probe``, also :func:`check_writable` (a
    command line's outputs: a too-long name, a file in the way or a read-only folder fail now, not after the rig).

    ``what``: the hint for a wrong suffix (default ``"use .a or .b"``). ``probe=False`` where the folder may be
    created later (the exporters). Returns ``Path(path)``. Raises InputError (one line naming the path and how to
    fix it); the same wording for the CLI, the operators and scripts.
    """
    out = Path(path)
    if out.suffix.lower() not in suffixes:
        raise InputError(f"{out}: unsupported output type '{out.suffix}'; {what or 'use ' + ' or '.join(suffixes)}")
    if probe:
        check_writable(out)
    if out.is_dir():
        raise InputError(f"{out}: is a folder; give a file name")
    if out.exists() and not overwrite:
        raise _exists_error(out)
    return out


def _exists_error(path):
    return InputError(
        f"{path}: already exists; choose another file name, or replace it with --overwrite "
        "(the Overwrite option in Blender)"
    )


#: Paths placed while :func:`recorded_placements` is active, else None (nothing is kept: Blender's session is long).
_placements = None


@contextlib.contextmanager
def recorded_placements():
    """Context manager yielding a list that collects, in order, every output path :func:`atomic_output` (or a caller
    through :func:`record_placement`) places while the block runs. The command line runs in one, so a signal that
    comes after a file was placed is reported as "FILE was finished and kept", not "nothing was written". Nests (the
    inner block's list only)."""
    global _placements
    outer, _placements = _placements, []
    try:
        yield _placements
    finally:
        _placements = outer


def record_placement(path):
    """Note that ``path`` (a finished output) is now in place (see :func:`recorded_placements`)."""
    if _placements is not None:
        _placements.append(Path(path))


def place_new(source, path):
    """Move the finished file ``source`` to ``path`` (same folder) only if ``path`` does not exist: ``os.link``
    creates the name exclusively and atomically (it fails when another process made ``path`` first), then
    ``source`` is removed. Where the file system has no hard links, ``path`` is created with ``O_EXCL`` and
    ``source`` renamed onto it. Raises InputError (the one line of :func:`check_output_file`) when ``path``
    exists; ``source`` is then left for the caller to remove."""
    source, path = Path(source), Path(path)
    try:
        os.link(source, path)
    except FileExistsError:
        raise _exists_error(path) from None
    except OSError:  # no hard links here (FAT, some network shares): claim the name, then rename onto it
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            raise _exists_error(path) from None
        os.replace(source, path)
        return
    os.unlink(source)


@contextlib.contextmanager
def atomic_output(path, *, suffix=None, exclusive=False, output=True):
    """Context manager yielding a temporary ``Path`` beside ``path``; on success it replaces ``path`` atomically
    (``exclusive``: creates it, :func:`place_new`; raises InputError when ``path`` exists by then).

    Write the temporary path with any library (``np.save``, ``cv2.imwrite``, ``open``); when the ``with`` block ends
    without an exception the file is fsync'ed and renamed onto ``path``. On an exception the temporary file is removed,
    ``path`` is left as it was, and the exception propagates. Parent directories are created.

    ``suffix``: extension of the temporary file (default: ``path``'s own, so libraries that pick a format from the
    file name, e.g. ``cv2.imwrite`` or ``np.save``, still do the right thing). ``output``: the file is one of the
    user's outputs, noted by :func:`recorded_placements` (False for caches and downloads).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = None
    try:
        # Hidden, recognisable temporary name ending with the real extension: ".mesh.npz.a1b2c3.npz". Made with
        # signals held back, so one that comes meanwhile finds it named here and removed below.
        with deferred_interrupts():
            fd, tmp_name = tempfile.mkstemp(
                prefix="." + path.name + ".", suffix=path.suffix if suffix is None else suffix, dir=path.parent
            )
            os.close(fd)
            tmp = Path(tmp_name)
        yield tmp
        stop_if_asked()  # a stop a signal asked for, and a finaliser swallowed, ends here: the file is not placed
        # fsync so a crash after the rename cannot leave a renamed-but-empty file (ext4 delayed allocation).
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        # mkstemp creates 0600 files; keep an existing file's mode, else the usual 0644.
        try:
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = 0o644
        os.chmod(tmp, mode)
        if exclusive:
            place_new(tmp, path)
        else:
            os.replace(tmp, path)
        if output:
            record_placement(path)
    except BaseException:
        if tmp is not None:
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
