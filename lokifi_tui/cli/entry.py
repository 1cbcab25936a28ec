"""The ``lokifi`` executable.

Bare ``lokifi`` — no command, only the root's dashboard options — opens the dashboard without
importing click (about 40 ms of a first paint budgeted at 0.7 s), and so does a bare ``lokifi demo`` once
the demo is built; anything else, ``--help`` and every malformed option included, goes to the click
command line (:mod:`lokifi_tui.cli.main`), which owns the messages.
``tests/unit/test_cli_entry.py`` keeps the root options it reads (:mod:`lokifi_tui.cli.root_options`) equal to click's.

Python's cyclic garbage collector is held off from here until the dashboard's first frame: start-up
builds the interpreter's longest-lived objects (some 400 modules) and frees almost nothing, so the
collections it triggers on the way (~30 ms measured) find nothing to free. The dashboard freezes what
start-up built and turns collection back on (:meth:`lokifi_tui.app.LokifiApp._after_first_paint`).
A command gets it back once it has run :data:`COMMAND_GC_HOLD` seconds: the cold read commands answer
sooner and never collect (their start-up collections, 10-20 ms, freed nothing); a longer command
(``collect``, ``demo``) freezes what it built by then, as the dashboard does, and collects as usual.

``lokifi status`` reports the host's CPU over a window of at least 0.2 s that leaves its own CPU out; its
first reading is taken here, before click is imported, so the window passes while the command loads
(:func:`take_status_cpu_reading`).

The read commands in :data:`READ_AHEAD` start opening the store on another thread here
(:mod:`analytics.store.ahead`): DuckDB opens the file while the command loads; once they have answered,
the executable (:func:`run`) ends them without the interpreter's teardown (:func:`_exit_now`). Plain
``ai learn`` and ``recs list`` (their flags only) are answered without click (:mod:`lokifi_tui.cli.quick`).
"""

from __future__ import annotations

import gc
import os
import sys
import time
from functools import partial
from pathlib import Path

from lokifi_tui.cli.root_options import DASHBOARD_OPTIONS, dashboard_args


def command_word(argv: list[str]) -> str | None:
    """The command ``argv`` names (its first word that is neither a root option nor an option's value)."""
    return _root_scan(argv)[1]


def _root_scan(argv: list[str]) -> tuple[str | None, str | None, str | None]:
    """(the root's ``--db`` value, the command word, the word right after it when that is not an option:
    a group's subcommand, ``recs list``)."""
    db = None
    i = 0
    while i < len(argv):
        flag, eq, value = argv[i].partition("=")
        if argv[i] in DASHBOARD_OPTIONS:
            if argv[i] == "--db" and i + 1 < len(argv):
                db = argv[i + 1]
            i += 2
        elif argv[i].startswith("-"):
            if flag == "--db" and eq:
                db = value
            i += 1
        else:
            after = argv[i + 1] if i + 1 < len(argv) and not argv[i + 1].startswith("-") else None
            return db, argv[i], after
    return db, None, None


#: Read commands whose first use of the store is a read: the store is opened on another thread while
#: the command line loads (analytics/store/ahead.py). None: any word (or none) may follow.
READ_AHEAD = {("status", None), ("recs", "list"), ("ai", "learn")}


def open_store_ahead(argv: list[str]) -> bool:
    """Start opening the store for a read command in :data:`READ_AHEAD` (not for ``--help``); True when
    it was started."""
    db, word, after = _root_scan(argv)
    if (word, after) not in READ_AHEAD and (word, None) not in READ_AHEAD:
        return False
    if "--help" in argv or "-h" in argv:
        return False
    from analytics.config.paths import resolve_db
    from analytics.store.ahead import open_ahead

    return open_ahead(resolve_db(db))


_status_cpu_reading: tuple[float, tuple[float, float, float]] | None = None

#: seconds a command runs with cyclic collection held off (reference counting frees as always)
COMMAND_GC_HOLD = 0.5


def _resume_collection() -> None:
    if not gc.isenabled():  # the dashboard may have resumed it first
        gc.freeze()  # start-up's objects are long-lived: one first collection over all of them frees nothing
        gc.enable()


def _resume_collection_later() -> None:
    import threading

    timer = threading.Timer(COMMAND_GC_HOLD, _resume_collection)
    timer.daemon = True
    timer.start()


def take_status_cpu_reading() -> tuple[float, tuple[float, float, float]] | None:
    """(monotonic time, :func:`analytics.sources.cpu_clock.cpu_clock`) read when this process started for
    ``lokifi status``, once; None when it was not (another command, a test invoking click directly)."""
    global _status_cpu_reading
    reading, _status_cpu_reading = _status_cpu_reading, None
    return reading


def _built_demo() -> Path | None:
    """The demo database when ``lokifi demo`` can open it as it is (built, with its config); None when the
    command must build it first (click's ``demo`` does, with its progress line)."""
    from analytics.config.paths import demo_config_path, demo_db_path

    path = demo_db_path()
    return path if path.is_file() and demo_config_path(path).is_file() else None


def run() -> None:
    """The ``lokifi`` executable: :func:`main`, ending a read command without the interpreter's teardown."""
    main(exit_quickly=True)


def _exit_now(code: object) -> None:
    """End a read command that has answered: its output flushed and the exit handlers run (the early store
    session released), then the process ends without Python tearing down some 400 modules and DuckDB's
    objects one by one (20-35 ms measured; nothing is left to write: every session closed when its block
    ended). Returns, for the usual exit, when the code is not a number or the output cannot be flushed (a
    reader that left: the usual path says nothing more)."""
    if code is not None and type(code) is not int:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    import atexit

    atexit._run_exitfuncs()
    os._exit(code or 0)


_program = False  # this process is the ``lokifi`` executable (:func:`run`), not a caller of :func:`main`


def reopen(argv: list[str]) -> None:
    """Replace this process by ``lokifi *argv``: a fresh interpreter, without the modules this one loaded
    (output flushed first). Only for the executable; returns when this process is not it."""
    if not _program:
        return
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "lokifi_tui.cli.entry", *argv])  # noqa: S606 - itself, no shell


def main(exit_quickly: bool = False) -> None:
    """Run ``lokifi`` (``exit_quickly``: end the read commands of :data:`READ_AHEAD` with :func:`_exit_now`;
    the executable does, an in-process caller such as a test must not)."""
    global _program
    _program = exit_quickly
    gc.disable()
    args = dashboard_args(sys.argv[1:])
    demo = _built_demo() if sys.argv[1:] == ["demo"] else None
    if args is None and demo is None:
        _resume_collection_later()
        if command_word(sys.argv[1:]) == "status":
            global _status_cpu_reading
            from analytics.sources.cpu_clock import cpu_clock

            _status_cpu_reading = (time.monotonic(), cpu_clock())
        read = open_store_ahead(sys.argv[1:])
        from lokifi_tui.cli.quick import quick_command

        quick = quick_command(sys.argv[1:])
        if quick is not None:  # answered without loading click (lokifi_tui/cli/quick.py)
            from lokifi_tui.cli.output import run_command

            command = partial(run_command, quick)
        else:
            from lokifi_tui.cli.main import main as command
        if not (read and exit_quickly):
            command()
            return
        try:
            command()
        except SystemExit as done:
            _exit_now(done.code)
            raise
        _exit_now(0)
        return
    from lokifi_tui.cli.context import Globals
    from lokifi_tui.cli.dashboard import open_dashboard, open_demo
    from lokifi_tui.cli.output import run_command

    try:
        if demo is not None:  # `lokifi demo` on a built demo: the same as click's `demo`, without click
            run_command(partial(open_demo, Globals(), demo))
        else:
            run_command(partial(open_dashboard, Globals(**args)))  # type: ignore[arg-type]
    finally:
        gc.enable()


if __name__ == "__main__":
    main()
