# SPDX-License-Identifier: GPL-3.0-or-later
"""core.interrupts: signals held back during a block are raised, each once and by their own handler, after it; a stop
whose exception a finaliser dropped is raised again before an output is placed."""

import signal
import sys
import threading

import numpy as np
import pytest

from facemotion.core import interrupts
from facemotion.core.detect.landmarks import default_face_detector
from facemotion.core.detect.mediapipe_import import import_mediapipe
from facemotion.core.interrupts import deferred_interrupts
from facemotion.core.io import atomic_io


class Stopped(KeyboardInterrupt):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum, frame):
    """A handler like the CLI's: notes the stop (for :func:`interrupts.stop_if_asked`), then raises."""
    interrupts.ask_to_stop(signum, _raise_stopped)
    raise Stopped(signum)


@pytest.fixture
def sigterm_raises():
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    yield
    signal.signal(signal.SIGTERM, previous)
    interrupts.forget_stop()


def test_ctrl_c_inside_the_block_is_raised_after_it():
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with deferred_interrupts():
            signal.raise_signal(signal.SIGINT)
            steps.append("block ran to its end")
    assert steps == ["block ran to its end"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_each_signal_is_raised_once_by_its_own_handler_and_nesting_holds(sigterm_raises):
    steps = []
    with pytest.raises(Stopped) as raised:
        with deferred_interrupts():
            with deferred_interrupts():
                signal.raise_signal(signal.SIGTERM)
                signal.raise_signal(signal.SIGTERM)
                steps.append("inner")
            steps.append("outer")  # the inner block's end hands the signal to the outer one, not to the user
    assert steps == ["inner", "outer"] and raised.value.signum == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is _raise_stopped


def test_no_signal_no_change_and_default_actions_are_left_alone():
    before = signal.getsignal(signal.SIGTERM)  # SIG_DFL under pytest: must keep its immediate default action
    with deferred_interrupts():
        assert signal.getsignal(signal.SIGTERM) is before
        assert signal.getsignal(signal.SIGINT) is not signal.default_int_handler  # held back
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_outside_the_main_thread_nothing_is_touched():
    seen = []

    def work():
        with deferred_interrupts():
            seen.append(signal.getsignal(signal.SIGINT))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert seen == [signal.default_int_handler]


def test_a_ctrl_c_wrapped_by_a_library_import_is_still_an_interruption(monkeypatch, capsys):
    """Ctrl+C inside a class body's ``__set_name__`` (matplotlib's, imported by MediaPipe) reaches the CLI as a
    RuntimeError raised from the KeyboardInterrupt: exit 130 and one line, not a traceback; a plain bug still raises."""
    from facemotion.facemotion_addon.cli import entry

    def wrapped_ctrl_c(args):
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise RuntimeError("Error calling __set_name__ on '_Hook' instance") from exc

    def bug(args):
        raise RuntimeError("a bug")

    monkeypatch.setitem(entry.COMMANDS, "demo", wrapped_ctrl_c)
    assert entry.main(["demo"]) == 130
    assert capsys.readouterr().err.strip() == "facemotion: interrupted; nothing was written"
    monkeypatch.setitem(entry.COMMANDS, "demo", bug)
    with pytest.raises(RuntimeError, match="a bug"):
        entry.main(["demo"])


# --- a signal at a chosen point: sys.setprofile calls its handler there, as Python does when a signal is pending ------


def _signal_at_start_of(code, signum, nth=1):
    """A profile function that raises ``signum`` (runs its handler) once, when a function with ``code`` starts for
    the ``nth`` time: where Python runs the handler of a signal that arrived just before (at the next function's
    start)."""
    calls = []

    def profile(frame, event, arg):
        if event == "call" and frame.f_code is code:
            calls.append(frame)
            if len(calls) == nth:
                sys.setprofile(None)
                signal.raise_signal(signum)

    return profile


def test_a_signal_between_the_handler_swaps_puts_back_every_handler(sigterm_raises):
    """The second swap (SIGTERM's) is where the signal is handled: the block never starts, and SIGINT's handler,
    swapped already, must come back (it stayed the block's recorder, so every later Ctrl+C was lost)."""
    sys.setprofile(_signal_at_start_of(signal.signal.__code__, signal.SIGTERM, nth=2))
    try:
        with pytest.raises(Stopped):
            with deferred_interrupts():
                pytest.fail("the block ran although the signal came before it")
    finally:
        sys.setprofile(None)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is _raise_stopped


def test_a_signal_at_mediapipes_image_finaliser_is_not_lost(sigterm_raises):
    """MediaPipe's Image frees its C image in a Python ``__del__``; a signal handled there had its exception dropped
    ("Exception ignored in Image.__del__") and the detection, and the rig, went on. It must reach the caller."""
    mp = import_mediapipe()
    detector = default_face_detector()
    sys.setprofile(_signal_at_start_of(mp.Image.__del__.__code__, signal.SIGTERM))
    try:
        with pytest.raises(Stopped):
            detector.detect(np.zeros((128, 128, 3), np.uint8))
    finally:
        sys.setprofile(None)


class _SignalsWhenCollected:
    def __init__(self, signum):
        self.signum = signum

    def __del__(self):
        signal.raise_signal(self.signum)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")  # the dropped exception
def test_a_stop_a_finaliser_swallowed_is_raised_before_an_output_is_placed(sigterm_raises, tmp_path):
    _SignalsWhenCollected(signal.SIGTERM)  # collected at once: the handler's Stopped is printed and dropped
    with pytest.raises(Stopped):
        with atomic_io.atomic_output(tmp_path / "o.txt") as tmp:
            tmp.write_text("made after the signal")
    assert list(tmp_path.iterdir()) == []


def test_a_stop_on_its_way_out_is_not_raised_again(sigterm_raises, tmp_path):
    """While the interruption is handled (a batch writes its summary), outputs are still written."""
    with pytest.raises(Stopped):
        try:
            signal.raise_signal(signal.SIGTERM)
        except Stopped:
            atomic_io.atomic_write_text(tmp_path / "summary.json", "{}")
            raise
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
    interrupts.forget_stop()
    interrupts.stop_if_asked()  # forgotten: nothing to raise
