"""Signals turned into calls made by a thread, never by a signal handler.

Python runs a signal handler in the main thread, between two bytecodes of whatever it was doing. A
handler that takes a lock — ``threading.Event.set()`` does, so does ``logging``, ``Thread.start()`` — can
deadlock against the main thread itself: the signal arrived while the main thread held that lock (inside
``stop.wait()`` or ``reload.clear()``), or while an earlier handler for the same signal held it (a second
SIGTERM, as GNU ``timeout`` sends to the child and then to its group). The process then never exits. And
a handler written in Python can itself be interrupted by the next signal, at its first bytecode: a flood
of signals nests handlers until the recursion limit.

:func:`relay_signals` has the C signal handler write each signal's number to a pipe
(``signal.set_wakeup_fd``: no lock, no Python code), and gives Python a built-in no-op as the handler, so
no Python code runs in the main thread for a signal and nothing can nest. A daemon thread of this module
reads the pipe and calls the action each signal was given — ``stop.set`` for SIGTERM, say — at once, from a
thread where taking a lock is safe. One pipe and one thread per process, set up by the first call (from
the main thread); later calls replace the actions.
"""

from __future__ import annotations

import logging
import operator
import os
import signal
import threading
from collections.abc import Callable, Iterable, Mapping

log = logging.getLogger("lokifi.signals")

Action = Callable[[], object]


class _Relay:
    def __init__(self) -> None:
        self.actions: dict[int, Action] = {}
        self._read, self.write_fd = os.pipe()
        os.set_blocking(self.write_fd, False)
        # The pipe lives as long as the process: a signal may still arrive after any point it could be
        # closed at, and its number could by then belong to another file.
        os.set_inheritable(self._read, False)
        os.set_inheritable(self.write_fd, False)
        self._thread = threading.Thread(target=self._run, name="lokifi-signals", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                got = os.read(self._read, 65536)  # all that waits: a pipe holds 64 KiB
            except InterruptedError:
                continue
            if not got:
                return
            for signum in dict.fromkeys(got):  # a burst of one signal is one call
                action = self.actions.get(signum)
                if action is None:
                    continue
                try:
                    action()
                except Exception:  # keep relaying the next signals
                    log.exception("acting on signal %d failed", signum)


_relay: _Relay | None = None

#: The Python-level handler: a built-in that takes ``(signum, frame)`` and does nothing (it returns False).
#: Built in, so no bytecode of it runs, and the next signal has nothing to interrupt.
_NOTHING = operator.is_


def relay_signals(actions: Mapping[signal.Signals, Action]) -> None:
    """From now on, each signal in ``actions`` has its action called from the relay's thread, soon after it
    arrives (however many arrive, and however they interleave). Call it from the main thread."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    # A full pipe drops the signal's byte, quietly: the bytes already in it are acted on.
    signal.set_wakeup_fd(_relay.write_fd, warn_on_full_buffer=False)
    for signum, action in actions.items():
        _relay.actions[int(signum)] = action
        signal.signal(signum, _NOTHING)


def ignore_signals(signals: Iterable[signal.Signals]) -> None:
    """The process is done with what these signals asked for (a collector stopped and wrote what it had):
    ignore them from now on. Python's finalization would otherwise put back their default action, and a
    late signal of a burst would kill a process that had ended cleanly. Call it from the main thread."""
    for signum in signals:
        signal.signal(signum, signal.SIG_IGN)
