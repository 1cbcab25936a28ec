"""What an empty pane says — why it is empty, what will fill it, and the next step — and the collector's
state for the top bar, both from :class:`analytics.dashboard.setup_state.SetupState` (None: not known yet)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from lokifi_tui.widgets.render import ago

INIT = "`lokifi config init` proposes this host's services and logs"
BACKFILL = "`lokifi backfill` reads the history they already hold"


def _busiest(setup: Any) -> str:
    if not setup.busiest:
        return ""
    if all(b.cpu is None or b.cpu < 0.5 for b in setup.busiest):  # none busy, or the first reading
        return " Largest processes now: " + ", ".join(f"{b.name} {b.rss_mb:,.0f} MB" for b in setup.busiest) + "."
    parts = [f"{b.name} {b.cpu:.0f}% CPU {b.rss_mb:,.0f} MB" for b in setup.busiest]
    return " Busiest processes now: " + ", ".join(parts) + "."


def empty_text(name: str, setup: Any) -> str:
    if name == "predictions":
        base = "No live predictions: the rules run every 15 minutes on the stored metrics and errors."
        if setup is None:
            return base
        if setup.nothing_configured:
            return base + f" Nothing is configured to watch: {INIT}." + _busiest(setup)
        return base + " Press ? for the keys."
    if name == "forecast":
        base = "No forecasts yet: a component needs 7 days of response-time history"
        if setup is None:
            return base + "."
        have = f" (the longest has {setup.history_hours:.0f} h)" if setup.history_hours else ""
        if setup.log_paths and not setup.backfilled_files:
            return base + have + f". Access logs hold it: {BACKFILL}."
        if setup.nothing_configured:
            return base + have + f". {INIT}, then {BACKFILL}."
        return base + have + ". HTTP probes and access logs fill it."
    if name == "recommendations":
        base = "No open recommendations. Nothing to triage."
        if setup is not None and not setup.project_dirs:
            return (
                base + " Add [watch] project_dirs to the config to have projects scanned (dependencies, secrets, logs)."
            )
        return base
    if name == "patterns":
        base = "No error patterns learned yet."
        if setup is None:
            return base + " They appear as errors are recorded."
        if setup.unlearned_events:
            return base + f" {setup.unlearned_events:,} error event(s) recorded: learning their patterns…"
        if setup.nothing_configured:
            return base + f" No log files are watched: {INIT}, then {BACKFILL}."
        if not setup.backfilled_files:
            return base + f" Watching {setup.log_paths} log path(s) for new errors; {BACKFILL}."
        return base + f" Watching {setup.log_paths} log path(s): none of their lines so far is an error."
    return ""


def _ago(t: dt.datetime | None, now: dt.datetime) -> str:
    return "nothing written yet" if t is None else f"wrote {ago(t, now)}"


def collector_text(setup: Any, now: dt.datetime, *, short: bool = False, here: str | None = None) -> tuple[str, str]:
    """(text, style) of the collector's state: collecting here / in another process / stopped.
    ``here`` is what the dashboard's own collector is doing (``live_collector_mode``): the store read
    that ``setup`` comes from may predate its start by a read interval."""
    if setup is None:
        return "", ""
    ago = _ago(setup.last_write, now)
    if setup.collector_pid is None and here == "starting":
        return ("◌ starting" if short else "◌ starting to collect…"), "dim"
    if setup.collector_pid is None and here == "write":
        return ("● live" if short else "● collecting, started just now"), "green"
    if setup.collector_pid is None:
        return ("○ stopped" if short else "○ not collecting (lokifi collect)"), "yellow"
    if setup.collector_here:
        return ("● live" if short else f"● collecting, {ago}"), "green"
    who = f"pid {setup.collector_pid}" if setup.collector_pid > 0 else "another process"
    return (f"● {who}" if short else f"● collector {who}, {ago}"), "green"
