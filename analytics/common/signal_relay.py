"""Signals turned into calls made by a thread, never by a signal handler.

Python runs a signal handler in the main thread, between two bytecodes of whatever it was doing. A
handler that takes a lock — ``threading.Event.set()`` does, so does ``logging``, ``Thread.start()`` — can
deadlock against the main thread itself: the signal arrived while the main thread held that lock (inside
``stop.wait()`` or ``reload.clear()``), or while an earlier handler for the same signal held it (a second
SIGTERM, as GNU ``timeout`` sends to the child and then to its group). The process then never exits. And
a handler written in Python can itself be interrupted by the next signal, at its first bytecode: a flood
of signals nests handlers until the recursion limit.

:func:`relay_signals` has the C signal handler write each signal's number to a pipe
(``signal.set_wakeup_fd``: no lock, no Python code), and gives Python a built-in as the handler, so no
Python code runs in the main thread for a signal and nothing can nest. A daemon thread of this module
reads the pipe and calls the action each signal was given — ``stop.set`` for SIGTERM, say — at once, from a
thread where taking a lock is safe. One pipe and one thread per process, set up by the first call (from
the main thread); later calls replace the actions.

The wakeup fd is one per process, and others use it too: an asyncio loop with signal handlers
(``loop.add_signal_handler``) sets its own. So the relay shares it:

* a wakeup fd set before the relay's (a loop already running) is kept: every byte the relay reads is
  handed on to it, so that loop's handlers still run, and :func:`ignore_signals` puts it back when the
  relay is done (none, if it was closed meanwhile: its number may be another file's by then);
* a wakeup fd set after the relay's (a loop started later, or one closing: -1) takes the signals' bytes
  away from the relay. The handler the relay gives Python is what tells it then: a built-in
  (``dict.__setitem__`` of a dict the relay's thread looks at every :data:`LOOK_SECONDS`, no lock), so
  still no Python code runs for a signal. A signal noted there whose byte did not come (the byte, written
  by the C handler, comes first) is acted on, at most :data:`LOOK_SECONDS` late.
"""

from __future__ import annotations

import logging
import os
import select
import signal
import threading
from collections.abc import Callable, Iterable, Mapping

log = logging.getLogger("lokifi.signals")

Action = Callable[[], object]

#: How often the relay's thread looks for signals whose byte went to another wakeup fd.
LOOK_SECONDS = 0.5


def _identity(fd: int) -> tuple[int, int] | None:
    """What ``fd`` is open on (device, inode); None when it is closed."""
    try:
        st = os.fstat(fd)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class _Relay:
    def __init__(self) -> None:
        self.actions: dict[int, Action] = {}
        self._read, self.write_fd = os.pipe()
        os.set_blocking(self.write_fd, False)
        # The pipe lives as long as the process: a signal may still arrive after any point it could be
        # closed at, and its number could by then belong to another file.
        os.set_inheritable(self._read, False)
        os.set_inheritable(self.write_fd, False)
        #: the signals whose handler ran, noted by the handler itself (see handler), taken by the thread
        self.caught: dict[int, object] = {}
        #: the wakeup fd set before the relay's and what it is open on: handed every byte, put back at the end
        self.previous: tuple[int, tuple[int, int] | None] = (-1, None)
        self._thread = threading.Thread(target=self._run, name="lokifi-signals", daemon=True)
        self._thread.start()

    def handler(self) -> Callable[[int, object], object]:
        """The Python-level handler: a built-in taking ``(signum, frame)`` that notes the signal, takes no
        lock and runs no bytecode, so the next signal has nothing to interrupt."""
        return self.caught.__setitem__

    def took_over(self, previous: int) -> None:
        """The relay's fd became the wakeup fd in place of ``previous`` (-1: none)."""
        if previous not in (-1, self.write_fd):
            self.previous = (previous, _identity(previous))

    def give_back(self) -> None:
        """Put back the wakeup fd set before the relay's, if the relay's is still the one set (one set
        since then stays)."""
        fd, ident = self.previous
        if fd < 0 or ident is None or _identity(fd) != ident:
            fd = -1
        try:
            current = signal.set_wakeup_fd(fd)
            if current != self.write_fd:  # someone else's since: theirs stays
                signal.set_wakeup_fd(current)
        except (ValueError, OSError) as exc:
            log.debug("the wakeup fd was not put back: %s", exc)
        self.previous = (-1, None)

    def _hand_on(self, got: bytes) -> None:
        fd, ident = self.previous
        if fd < 0 or not got:
            return
        if ident is None or _identity(fd) != ident:  # closed since: its number may be another file's now
            self.previous = (-1, None)
            return
        try:
            os.write(fd, got)
        except OSError:  # full (its reader has bytes waiting to wake it) or closed
            pass

    def _run(self) -> None:
        heard: set[int] = set()  # signals whose byte came, and whose handler's note has not been seen yet
        while True:
            try:
                ready, _, _ = select.select([self._read], [], [], LOOK_SECONDS)
                got = os.read(self._read, 65536) if ready else b""  # all that waits: a pipe holds 64 KiB
            except InterruptedError:
                continue
            if ready and not got:
                return
            self._hand_on(got)
            fired = list(dict.fromkeys(got))  # a burst of one signal is one call
            heard.update(fired)
            for signum in list(self.caught):
                self.caught.pop(signum, None)
                if signum in heard:
                    heard.discard(signum)  # acted on by its byte
                elif signum not in fired:
                    fired.append(signum)  # its byte went to another wakeup fd
            for signum in fired:
                action = self.actions.get(signum)
                if action is None:
                    continue
                try:
                    action()
                except Exception:  # keep relaying the next signals
                    log.exception("acting on signal %d failed", signum)


_relay: _Relay | None = None


def relay_signals(actions: Mapping[signal.Signals, Action]) -> None:
    """From now on, each signal in ``actions`` has its action called from the relay's thread, soon after it
    arrives (however many arrive, and however they interleave). A wakeup fd set before (an asyncio loop's)
    goes on getting every signal's byte. Call it from the main thread."""
    global _relay
    if _relay is None:
        _relay = _Relay()
    # A full pipe drops the signal's byte, quietly: the bytes already in it are acted on.
    _relay.took_over(signal.set_wakeup_fd(_relay.write_fd, warn_on_full_buffer=False))
    for signum, action in actions.items():
        _relay.actions[int(signum)] = action
        signal.signal(signum, _relay.handler())


def ignore_signals(signals: Iterable[signal.Signals]) -> None:
    """The process is done with what these signals asked for (a collector stopped and wrote what it had):
    ignore them from now on. Python's finalization would otherwise put back their default action, and a
    late signal of a burst would kill a process that had ended cleanly. The wakeup fd set before the
    relay's is put back. Call it from the main thread."""
    for signum in signals:
        signal.signal(signum, signal.SIG_IGN)
    if _relay is not None:
        _relay.give_back()
