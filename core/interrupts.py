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
"""

import contextlib
import signal
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
    for signum in DEFERRED_SIGNALS:
        handler = signal.getsignal(signum)
        if callable(handler):
            previous[signum] = signal.signal(signum, record)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in pending:
            signal.raise_signal(signum)
