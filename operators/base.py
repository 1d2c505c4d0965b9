# SPDX-License-Identifier: GPL-3.0-or-later
"""What every facemotion operator shares: poll rules, one-line error reports, and long runs that stay responsive.

- :class:`FacemotionOperator`: ``requires`` picks the shared poll (``"faces"``: Object Mode and a selected face
  mesh; ``"rigged"``: one with the 52 ARKit keys), and :meth:`FacemotionOperator.run` is the body: a
  :class:`~facemotion.core.errors.FacemotionError` it raises becomes one error report and ``{'CANCELLED'}``
  (the operator changes nothing before it has everything it needs, so the scene is as it was).
- :class:`JobOperator`: a long run split into a :class:`Job` - ``prepare`` (main thread: read the scene, write
  nothing), ``compute`` (a worker thread: numpy and the core only, no bpy, reports progress), ``apply`` (main
  thread: write the result). Invoked from the UI it is modal: a timer polls the worker, the status bar shows the
  stage and a percentage, and Esc cancels; a cancelled run never reaches ``apply``, so the scene is exactly as it
  was, and a finished run is one undo step. Executed from a script, the CLI or in background mode, the same job runs
  to the end in the calling thread, so ``bpy.ops.facemotion.rig_face()`` still works as a plain call.

:class:`JobRunner` is the modal state machine without the operator, so tests drive it step by step in the bpy
module, which has no event loop: there ``bpy.ops.x('INVOKE_DEFAULT')`` reaches ``execute``, never ``invoke``
(background mode), no timer event is ever delivered and ``bpy.app.timers`` never fire. When Blender ends a modal
run itself (a file is loaded, the window closes) it calls :meth:`JobOperator.cancel`: the worker is told to stop
and nothing is applied. The window-manager calls used (``event_timer_add``, ``progress_begin/update/end``,
``modal_handler_add``, ``WorkSpace.status_text_set``) are the same in Blender 4.2 and 5.x.
"""

import threading
import time

import bpy

from ..core.errors import CancelledError, FacemotionError, Progress
from ..facemotion_addon.selection import face_meshes, rigged_meshes
from ..facemotion_addon.settings.properties import settings, timeline_object

__all__ = [
    "NO_TIMELINE",
    "FacemotionOperator",
    "Job",
    "JobOperator",
    "JobRunner",
    "poll_face_meshes",
    "poll_rigged_meshes",
    "poll_timeline_object",
]

#: Seconds between two looks at a running worker (the status bar's refresh rate).
TIMER_INTERVAL_S = 0.1

#: Events a modal run lets through to the viewport: navigation only, so the scene cannot change under the job.
_NAVIGATION_EVENTS = {
    "MIDDLEMOUSE",
    "WHEELUPMOUSE",
    "WHEELDOWNMOUSE",
    "TRACKPADPAN",
    "TRACKPADZOOM",
    "MOUSEMOVE",
    "INBETWEEN_MOUSEMOVE",
    "MOUSEROTATE",
    "NDOF_MOTION",
}


def poll_face_meshes(cls, context):
    """Shared poll: Object Mode and at least one selected face mesh; otherwise says why in the tooltip."""
    if getattr(context, "mode", "OBJECT") != "OBJECT":
        cls.poll_message_set("Switch to Object Mode first")
        return False
    if not face_meshes(context):
        cls.poll_message_set("Select the face mesh object(s) first")
        return False
    return True


def poll_rigged_meshes(cls, context):
    """Shared poll: Object Mode and at least one selected mesh with all 52 ARKit shape keys; else says why."""
    if not poll_face_meshes(cls, context):
        return False
    if not rigged_meshes(context):
        cls.poll_message_set("The selected mesh has no ARKit shape keys: rig it first (Facemotion > Rig > Rig Face)")
        return False
    return True


#: Why an operator on the active face's timeline is unavailable (tooltip; lower-cased in errors).
NO_TIMELINE = "Select a rigged face (a mesh with the 52 ARKit shape keys): the timeline is the face's own"


def poll_timeline_object(cls, context):
    """Shared poll: there is a timeline object (the active rigged face); otherwise says why in the tooltip."""
    if timeline_object(context) is None:
        cls.poll_message_set(NO_TIMELINE)
        return False
    return True


_POLLS = {None: None, "faces": poll_face_meshes, "rigged": poll_rigged_meshes, "timeline": poll_timeline_object}


class FacemotionOperator:
    """Mixin for ``bpy.types.Operator`` subclasses: shared poll (``requires``) and error reporting.

    Subclasses implement ``run(context)`` returning the message to report (``str``), a ``(level, message)`` pair
    (``level`` ``'INFO'`` or ``'WARNING'``), or an operator result set; a FacemotionError becomes one ERROR report.
    """

    #: None (always available), ``"faces"``, ``"rigged"`` or ``"timeline"``: which shared poll applies.
    requires = None
    #: An undo step and the redo panel (F9); operators that change nothing in the scene say ``{"REGISTER"}``.
    bl_options = {"REGISTER", "UNDO"}

    @classmethod
    def poll(cls, context):
        check = _POLLS[cls.requires]
        return True if check is None else check(cls, context)

    def finish(self, context, outcome):
        """Report what ``run``/``apply`` returned and remember it in the panel's *Last Result* line."""
        if isinstance(outcome, set):
            return outcome
        level, message = ("INFO", outcome) if isinstance(outcome, str) else outcome
        settings(context.scene).last_report = message
        self.report({level}, message)
        return {"FINISHED"}

    def fail(self, exc):
        """Report a FacemotionError as one line; returns ``{'CANCELLED'}``."""
        self.report({"WARNING"} if isinstance(exc, CancelledError) else {"ERROR"}, str(exc))
        return {"CANCELLED"}

    def execute(self, context):
        try:
            return self.finish(context, self.run(context))
        except FacemotionError as exc:
            return self.fail(exc)


class Job:
    """One long run of an operator, in three parts (subclass and override).

    ``prepare(context)`` and ``apply(context)`` run on Blender's main thread and are the only parts that touch bpy
    data; ``compute(progress)`` runs in a worker thread and must not touch bpy at all (only arrays and the core).
    ``prepare`` reads everything ``compute`` needs and must not write; ``apply`` writes the result and returns the
    message to report (as :meth:`FacemotionOperator.run` does). Each may raise FacemotionError.
    """

    #: Shown in the status bar before the first progress report.
    title = "Working"

    def prepare(self, context):
        """Read the scene (main thread, no writes)."""

    def compute(self, progress):
        """The heavy part (worker thread, no bpy): call ``progress(fraction, message)`` now and then."""

    def apply(self, context):
        """Write the result into the scene (main thread); returns the report."""
        return "Done"


class JobRunner:
    """Runs a :class:`Job`: ``start`` prepares and starts the worker, ``step`` (one timer tick) reports the state
    and applies the result once the worker is done, ``cancel`` asks the worker to stop.

    States: ``"running"``, ``"finished"`` (applied; ``outcome`` holds ``apply``'s return), ``"failed"`` (``error``
    holds the FacemotionError; nothing was applied) and ``"cancelled"`` (nothing was applied).
    """

    def __init__(self, job):
        self.job = job
        self.progress = Progress()
        self.progress.message = job.title
        self.state = "idle"
        self.outcome = None
        self.error = None
        self.started = None
        self._thread = None
        self._worker_error = None

    def _work(self):
        try:
            self.job.compute(self.progress)
        except BaseException as exc:  # handed to the main thread, which reports or re-raises it
            self._worker_error = exc

    def start(self, context):
        """Prepare on the calling (main) thread and start the worker; raises what ``prepare`` raises."""
        self.started = time.perf_counter()
        self.job.prepare(context)
        self.state = "running"
        self._thread = threading.Thread(target=self._work, name=f"facemotion: {self.job.title}", daemon=True)
        self._thread.start()

    def cancel(self):
        """Ask the worker to stop at its next progress report; :meth:`step` then reports ``"cancelled"``."""
        self.progress.cancel()

    def step(self, context, *, wait=0.0):
        """Look at the worker (waiting up to ``wait`` seconds); apply the result when it is done. Returns the state."""
        if self.state != "running":
            return self.state
        self._thread.join(wait)
        if self._thread.is_alive():
            return self.state
        error = self._worker_error
        if self.progress.cancelled or isinstance(error, CancelledError):
            self.state = "cancelled"
        elif isinstance(error, FacemotionError):
            self.state, self.error = "failed", error
        elif error is not None:
            self.state = "failed"
            raise error  # a bug, not bad input: let Blender show the traceback
        else:
            try:
                self.outcome = self.job.apply(context)
                self.state = "finished"
            except FacemotionError as exc:
                self.state, self.error = "failed", exc
        return self.state

    def run_to_end(self, context):
        """Prepare, compute and apply in the calling thread; returns ``apply``'s outcome (raises FacemotionError)."""
        self.started = time.perf_counter()
        self.job.prepare(context)
        self.job.compute(self.progress)
        self.outcome = self.job.apply(context)
        self.state = "finished"
        return self.outcome

    @property
    def seconds(self):
        """Wall time since :meth:`start` / :meth:`run_to_end` (s)."""
        return 0.0 if self.started is None else time.perf_counter() - self.started


def _status_text(context, text):
    """Set (or with None clear) the status bar text of the context's workspace, when there is one."""
    workspace = getattr(context, "workspace", None)
    if workspace is not None:
        workspace.status_text_set(text)


class JobOperator(FacemotionOperator):
    """Mixin for operators whose work is a :class:`Job` (``make_job(context)``): modal from the UI, blocking from
    scripts (see the module docstring)."""

    def make_job(self, context):
        raise NotImplementedError

    def run(self, context):
        return JobRunner(self.make_job(context)).run_to_end(context)

    def invoke(self, context, event):
        if bpy.app.background or context.window is None:
            return self.execute(context)
        try:
            self._runner = JobRunner(self.make_job(context))
            self._runner.start(context)
        except FacemotionError as exc:
            return self.fail(exc)
        wm = context.window_manager
        self._timer = wm.event_timer_add(TIMER_INTERVAL_S, window=context.window)
        wm.progress_begin(0, 100)
        wm.modal_handler_add(self)
        self._show(context)
        return {"RUNNING_MODAL"}

    def _show(self, context):
        progress = self._runner.progress
        percent = int(round(100 * progress.fraction))
        context.window_manager.progress_update(percent)
        text = f"Facemotion: {progress.message} ({percent} %) - Esc to cancel"
        if progress.cancelled:
            text = "Facemotion: cancelling..."
        _status_text(context, text)

    def _end(self, context):
        """Remove the timer, the progress display and the status text (once; safe to call again)."""
        timer, self._timer = getattr(self, "_timer", None), None
        wm = context.window_manager
        if timer is not None:
            wm.event_timer_remove(timer)
            wm.progress_end()
        _status_text(context, None)

    def cancel(self, context):
        """Called by Blender when it ends the modal run itself (a file is loaded, the window closes): the worker is
        asked to stop and its result is never applied."""
        runner = getattr(self, "_runner", None)
        if runner is not None:
            runner.cancel()
        self._end(context)

    def modal(self, context, event):
        runner = self._runner
        if event.type == "ESC" and event.value == "PRESS":
            runner.cancel()
        if event.type == "TIMER" or runner.progress.cancelled:
            try:
                state = runner.step(context)
            except BaseException:
                self._end(context)
                raise
            if state == "running":
                self._show(context)
            else:
                self._end(context)
                if state == "finished":
                    return self.finish(context, runner.outcome)
                if state == "cancelled":
                    return self.fail(CancelledError(f"{runner.job.title}: cancelled; nothing was changed"))
                return self.fail(runner.error)
        return {"PASS_THROUGH"} if event.type in _NAVIGATION_EVENTS or event.type == "TIMER" else {"RUNNING_MODAL"}


class FileJobOperator(JobOperator):
    """Mixin for a :class:`JobOperator` that starts from a file (with ``bpy_extras.io_utils.ImportHelper``): the
    file browser first; Blender then calls ``execute`` with the chosen file, which starts the modal run (blocking
    from scripts and in the background)."""

    def invoke(self, context, event):
        from bpy_extras.io_utils import ImportHelper

        return ImportHelper.invoke(self, context, event)

    def execute(self, context):
        if bpy.app.background or context.window is None:
            return JobOperator.execute(self, context)
        return JobOperator.invoke(self, context, None)
