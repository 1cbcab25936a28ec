"""The command palette's actions: what the screen it was opened on shows, run on that screen.

On the dashboard, the active pane's row actions and the ones that act anywhere; on a details screen,
what its keys do to its item. A row action of another pane is not offered: it would act on a row the
person cannot see (Snooze from a pattern's details snoozed a recommendation).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from textual.app import SystemCommand
from textual.screen import Screen

from lokifi_tui.bindings import ACTIONS, BY_NAME, DETAIL_ACTIONS, ON_DETAIL


def palette_commands(app: Any, screen: Screen) -> Iterator[SystemCommand]:
    """The palette's entries for ``screen`` (quit and help are the app's own)."""
    detail = screen is not app.dashboard
    for spec in (*ACTIONS, *DETAIL_ACTIONS):
        if spec.name in ("quit", "help"):
            continue
        if detail:
            acts = hasattr(screen, f"action_{spec.action_name}")
            ok = acts and (spec.scope == "detail" or spec.name in ON_DETAIL)
        else:
            ok = spec.scope in ("dashboard", "list")
        if ok and screen.check_action(spec.action_name, ()) is not False:
            yield SystemCommand(spec.title, spec.help, partial(run_palette_action, app, screen, spec.name))


def run_palette_action(app: Any, screen: Screen, name: str) -> None:
    """Run the action ``name`` on ``screen`` (a list action on the active pane's table)."""
    spec = BY_NAME[name]
    if screen is not app.screen:
        return  # the screen the palette was opened on has gone since
    if spec.scope == "list":
        if not app.dashboard.tables_ready:
            return
        getattr(app.dashboard.box(app.dashboard.active_pane).table, f"action_{spec.action_name}")()
    else:
        getattr(screen, f"action_{spec.action_name}")()
