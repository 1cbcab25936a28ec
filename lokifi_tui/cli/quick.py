"""Read commands answered without loading the command line (click, about 35 ms of a cold start).

``lokifi ai learn [--json]`` and ``lokifi recs list [--all] [--json]``, with the root's ``--db`` and
``--config`` (or their environment variables) before the command, run the same code the click commands
run (:mod:`lokifi_tui.cli.learning_report`, :mod:`lokifi_tui.cli.rec_rows`) under the same ends
(:func:`lokifi_tui.cli.output.run_command`). Anything else — ``--help``, ``--host`` (click checks the
name against the store), an unknown or malformed option, another command — goes to click, which owns
every message. ``tests/unit/test_cli_quick.py`` runs both ways and compares what they print.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from lokifi_tui.cli.context import Globals
from lokifi_tui.cli.root_options import DASHBOARD_OPTIONS, dashboard_args

#: command words -> the options it may take here (flags only)
QUICK: dict[tuple[str, ...], frozenset[str]] = {
    ("ai", "learn"): frozenset({"--json"}),
    ("recs", "list"): frozenset({"--all", "--json"}),
}


def quick_command(argv: list[str]) -> Callable[[], None] | None:
    """The command ``argv`` runs, ready to call, when it is one answered here; None for click."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):  # the root's options, as the dashboard's parser reads them
        flag, eq, _ = argv[i].partition("=")
        if flag not in DASHBOARD_OPTIONS:
            return None
        if eq:
            i += 1
        elif i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            i += 2
        else:
            return None
    values = dashboard_args(argv[:i])
    if values is None:
        return None
    rest = argv[i:]
    for words, flags in QUICK.items():
        if tuple(rest[: len(words)]) == words and set(rest[len(words) :]) <= flags:
            return partial(_run, words, Globals(**values), frozenset(rest[len(words) :]))  # type: ignore[arg-type]
    return None


def _run(words: tuple[str, ...], g: Globals, flags: frozenset[str]) -> None:
    from analytics.store.database import Store

    store = Store(g.checked_db_path(stored=True))  # as the click commands: the store first, then the config
    if words == ("ai", "learn"):
        from lokifi_tui.cli.learning_report import show_learning

        show_learning(store, g.load_config(), as_json="--json" in flags)
    else:
        from lokifi_tui.cli.rec_rows import list_open

        list_open(store, g.load_config(), None, show_all="--all" in flags, as_json="--json" in flags)
