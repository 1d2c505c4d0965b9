# SPDX-License-Identifier: GPL-3.0-or-later
"""What the command line prints while it works: verbosity, stage times, a progress bar, quiet native libraries, and
one-line Blender errors (shared by the CLI commands and the demo).

Verbosity is process-wide and set once by the CLI (:func:`set_verbosity`): ``-1`` quiet (``-q``: errors and results
only), ``0`` normal (stage times), ``1`` verbose (``-v``: native library logging is let through too).
"""

import contextlib
import os
import sys
import time

from ..core.interrupts import stop_if_asked

__all__ = [
    "QUIET",
    "NORMAL",
    "VERBOSE",
    "set_verbosity",
    "verbosity",
    "print_stage",
    "info",
    "progress_bar",
    "silence_native_logs",
    "held_stdout",
    "held_stderr",
    "blender_error_cause",
    "set_terminal",
    "warn",
]

QUIET, NORMAL, VERBOSE = -1, 0, 1
_state = {"verbosity": NORMAL, "terminal": None}

# Environment read by MediaPipe (glog/absl) and TensorFlow Lite when they load: only errors and worse.
_QUIET_LOG_ENV = {
    "GLOG_minloglevel": "2",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "ABSL_MIN_LOG_LEVEL": "2",
    "GLOG_logtostderr": "0",
}


def set_verbosity(level):
    """Set the process-wide verbosity (:data:`QUIET`, :data:`NORMAL` or :data:`VERBOSE`); returns the old one."""
    old, _state["verbosity"] = _state["verbosity"], int(level)
    return old


def set_terminal(stream):
    """Set the stream the progress bar draws on (the CLI's real stderr while it holds descriptor 2 back; ``None``:
    ``sys.stderr``); returns the old one."""
    old, _state["terminal"] = _state["terminal"], stream
    return old


def verbosity():
    """The current verbosity level (see :func:`set_verbosity`)."""
    return _state["verbosity"]


def info(text):
    """Print one progress line on stdout unless quiet."""
    if _state["verbosity"] > QUIET:
        print(text, flush=True)


def warn(text):
    """Print ``warning: text`` on the real stderr (the terminal the CLI keeps while it holds descriptor 2 back), even
    when quiet: a doubt about a result is part of the result."""
    print(f"warning: {text}", file=_state["terminal"] or sys.stderr, flush=True)


def print_stage(name, started):
    """Print one stage's wall time since ``started`` (a ``time.perf_counter()`` value), unless quiet. A stage
    boundary: a stop a signal asked for and a finaliser swallowed is raised here
    (:func:`.core.interrupts.stop_if_asked`)."""
    stop_if_asked()
    info(f"  {name:<30s} {time.perf_counter() - started:7.2f} s")


def silence_native_logs():
    """Quieten MediaPipe's glog/absl and TensorFlow Lite's C++ logging (unless verbose): sets their environment
    variables (read when the libraries load, so call it before ``mediapipe`` is imported; variables the user set are
    kept) and absl's Python log level when absl is importable."""
    if _state["verbosity"] >= VERBOSE:
        return
    for key, value in _QUIET_LOG_ENV.items():
        os.environ.setdefault(key, value)
    with contextlib.suppress(Exception):
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)


def _flush_c_stdio():
    """Flush Python's and C's stdio buffers (Blender's ``printf`` output), so nothing written inside a redirection
    leaks out after it; best effort where the C library cannot be reached (then Python's own buffers are still
    flushed)."""
    sys.stdout.flush()
    sys.stderr.flush()
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None) if os.name != "nt" else ctypes.cdll.msvcrt
        libc.fflush(None)


@contextlib.contextmanager
def _held_descriptor(fd, *, replay=False):
    """Point file descriptor ``fd`` (1 or 2) at a temporary file while the block runs, so that C/C++ libraries'
    output is held back as well as Python's (redirecting ``sys.stdout``/``sys.stderr`` does not reach them).

    Yields the original descriptor as a text stream (None, and nothing held, when ``fd`` is not usable, e.g.
    closed). Afterwards the held text is dropped, or written to ``fd`` after all when ``replay`` is true or the
    block raised something other than a FacemotionError or an interruption (a bug: the log helps).
    """
    _flush_c_stdio()
    try:
        saved = os.dup(fd)
    except OSError:  # no usable descriptor: nothing to hold back
        yield None
        return
    import shutil
    import tempfile

    from ..core.errors import FacemotionError

    with tempfile.TemporaryFile() as held, open(saved, "w", closefd=False) as original:
        os.dup2(held.fileno(), fd)
        try:
            yield original
        except (FacemotionError, KeyboardInterrupt):
            raise
        except BaseException:
            replay = True
            raise
        finally:
            _flush_c_stdio()
            os.dup2(saved, fd)
            os.close(saved)
            if replay:
                held.seek(0)
                with open(fd, "wb", closefd=False) as stream:
                    shutil.copyfileobj(held, stream)


@contextlib.contextmanager
def held_stdout():
    """Hold back what native code prints on file descriptor 1 while the block runs (unless verbose).

    Blender's renderer writes its log from C straight to descriptor 1 (``Fra:1 Mem:...`` progress lines,
    ``render | Saved: '...'``), which ``sys.stdout`` redirection does not reach; the CLI's stdout is for results.
    The held text is dropped, or written to stdout after all when the block raises something other than a
    FacemotionError (a bug: the log helps). Verbose (``-v``), or without a usable descriptor 1, nothing is held.
    """
    if _state["verbosity"] >= VERBOSE:
        yield
        return
    with _held_descriptor(1):
        yield


@contextlib.contextmanager
def held_stderr():
    """Hold back file descriptor 2 (C++ libraries and Python alike) while a CLI command runs.

    What was held back is written to the real stderr afterwards only when the block ends with an unexpected exception
    (a bug: its traceback needs the context) or the CLI is verbose (``-v``); a success, a FacemotionError (which the
    caller reports as one line) and an interruption drop it. The progress bar draws on the real stderr meanwhile
    (:func:`set_terminal`). Some libraries log from C++ straight to descriptor 2 (MediaPipe's "Logging before
    InitGoogle()", TensorFlow Lite's delegate messages), and Blender's FBX importer prints a traceback before it
    reports a bad file, so redirecting ``sys.stderr`` alone is not enough.
    """
    with _held_descriptor(2, replay=_state["verbosity"] >= VERBOSE) as terminal:
        old_terminal = set_terminal(terminal)
        try:
            yield
        finally:
            set_terminal(old_terminal)


@contextlib.contextmanager
def progress_bar(description):
    """Context manager yielding a ``progress(fraction, message)`` callable that drives a tqdm bar on stderr.

    The bar is shown only when stderr is a terminal and the CLI is not quiet; otherwise the callable draws nothing
    (logs and pipes get no carriage-return noise). The bar closes when the block ends. Each call is a stage boundary
    of the work it reports on: a stop a signal asked for and a finaliser swallowed is raised there
    (:func:`.core.interrupts.stop_if_asked`).
    """
    stream = _state["terminal"] or sys.stderr
    try:
        show = _state["verbosity"] > QUIET and stream.isatty()
    except (AttributeError, ValueError, OSError):
        show = False
    if not show:

        def stop_check_only(fraction, message=""):
            stop_if_asked()

        yield stop_check_only
        return
    from tqdm import tqdm

    bar = tqdm(
        total=1000, desc=description, file=stream, leave=False, bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}"
    )

    def update(fraction, message=""):
        stop_if_asked()
        bar.n = int(round(min(max(float(fraction), 0.0), 1.0) * 1000))
        if message:
            bar.set_postfix_str(str(message)[:40], refresh=False)
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()


def blender_error_cause(exc):
    """The one line that says why a Blender operator failed, from its (often multi-line) ``RuntimeError`` text.

    ``bpy.ops`` failures read like ``"Error: Python: Traceback (most recent call last):\\n  File ...\\n
    ValueError: buffer is smaller than requested size"``: the first line is boilerplate and the cause is the last
    meaningful line. Returns that line without the ``Error:``/``Python:`` prefixes, or the exception's type name
    when the text is empty.
    """
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    meaningful = [
        line
        for line in lines
        if not line.startswith(("File ", "Traceback", "Error: Python: Traceback", "^", "~"))
        and line not in ("Error: Python:", "Error:")
    ]
    if not meaningful:
        return type(exc).__name__
    # In a traceback the cause is the last line; a plain message ("Error: Cannot read file") is its first.
    line = meaningful[-1] if any("Traceback" in line for line in lines) else meaningful[0]
    for prefix in ("Error:", "Python:"):
        if line.startswith(prefix):
            line = line[len(prefix) :].strip()
    return line or type(exc).__name__
