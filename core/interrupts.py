# SPDX-License-Identifier: GPL-3.0-or-later
"""Hold Ctrl+C / SIGTERM / SIGHUP back while native code builds or tears down an object that must not be left half
made.

Why: Python runs a signal's handler in the main thread between bytecodes, so a ``KeyboardInterrupt`` (or the CLI's
``Terminated``) can land inside a library's Python wrapper after its native object exists but before the wrapper
returns it. MediaPipe's ``create_from_options`` is such a case: its graph threads are already running, nobody holds
the task to close it, they keep logging after the CLI printed its one line, and the orphaned task's finaliser can
block interpreter exit (measured: a rig sent SIGTERM 0.44 s after its import stage hung for over 120 s).
:func:`deferred_interrupts` makes such a block atomic: a signal that arrives meanwhile is recorded and delivered to
its own handler right after the block, so the object is either not made or made and owned.

Only handlers installed from Python (``signal.default_int_handler``, the CLI's) are replaced, and only in the main
thread (the only one Python delivers signals to): C-level handlers (Blender's own) cannot be put back from Python
and are left alone, and a signal whose handler is ``SIG_DFL``/``SIG_IGN`` keeps its immediate default action.

A handler's exception can still be lost: Python runs a pending handler at the next bytecode check of the main thread,
and when that lands inside a finaliser (a ``__del__``, a weakref or GC callback: MediaPipe's ctypes ``Image`` and task
objects free their C side in ``__del__``) the exception is printed as "Exception ignored in ..." and dropped, so the run
went on and wrote its output. :func:`ask_to_stop` / :func:`stop_if_asked` close that window: the CLI's handlers note
the stop before raising, and the stage boundaries and every output's final rename raise it again if it was lost.
"""

import contextlib
import signal
import sys
import threading

#: Signals held back: the ones a user or a job scheduler sends to stop a run.
DEFERRED_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def deferred_interrupts():
    """Context manager: signals in :data:`DEFERRED_SIGNALS` that arrive while the block runs are delivered (to the
    handler that was installed before, in arrival order, each once) when it ends, so their exception is raised after
    the block, not inside it. Nests; a no-op outside the main thread. Raises whatever the re-delivered handlers raise
    (``KeyboardInterrupt`` for Ctrl+C)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []

    def record(signum, frame):
        if signum not in pending:
            pending.append(signum)

    previous = {}
    try:
        # Swapped inside the try: a signal between two swaps raises here, and the finally still puts back the ones
        # already swapped (else ``record`` stayed installed and every later Ctrl+C was recorded for nobody).
        for signum in DEFERRED_SIGNALS:
            handler = signal.getsignal(signum)
            if callable(handler):
                previous[signum] = signal.signal(signum, record)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in pending:
            signal.raise_signal(signum)


#: The stop a signal asked for in this run, noted by its handler (:func:`ask_to_stop`): ``(signum, handler)``.
_asked = []


def ask_to_stop(signum, handler):
    """Note that signal ``signum`` asked the run to stop; ``handler(signum, frame)`` is its Python handler, which
    raises the interruption (``KeyboardInterrupt`` or a subclass). Called by that handler before it raises, so
    :func:`stop_if_asked` can raise it again if the exception is lost (see the module's docstring)."""
    _asked[:] = [(signum, handler)]


def forget_stop():
    """Forget the stop :func:`ask_to_stop` noted (the run that was asked to stop has ended)."""
    _asked.clear()


def stop_if_asked():
    """Checkpoint: raise the interruption a signal asked for (:func:`ask_to_stop`) if it did not reach the caller,
    e.g. because its handler ran inside a finaliser and Python dropped the exception. Call it where a run may still
    stop cleanly (a stage boundary, before an output is renamed into place), never inside a
    :func:`deferred_interrupts` block. Does nothing when no stop was asked, outside the main thread (where signals
    are handled), or while an interruption is being handled (``except``/``finally`` on its way out, e.g. writing a
    batch's summary). Raises what the handler raises."""
    if not _asked or threading.current_thread() is not threading.main_thread():
        return
    handled = sys.exc_info()[1]
    while handled is not None:
        if isinstance(handled, KeyboardInterrupt):
            return
        handled = handled.__context__
    signum, handler = _asked[0]
    handler(signum, None)
