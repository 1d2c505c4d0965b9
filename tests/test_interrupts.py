# SPDX-License-Identifier: GPL-3.0-or-later
"""core.interrupts: signals held back during a block are raised, each once and by their own handler, after it."""

import signal
import threading

import pytest

from facemotion.core.interrupts import deferred_interrupts


class Stopped(KeyboardInterrupt):
    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


def _raise_stopped(signum, frame):
    raise Stopped(signum)


@pytest.fixture
def sigterm_raises():
    previous = signal.signal(signal.SIGTERM, _raise_stopped)
    yield
    signal.signal(signal.SIGTERM, previous)


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
