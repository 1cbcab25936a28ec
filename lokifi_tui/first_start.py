"""The dashboard's first start on a host without a config: propose what discovery found, and on `y`
write the file, read the history the logs already hold (a progress line in the banner), refresh the
engines on it and start watching with the new config. Discovery, writing and backfill run in a thread
worker; the UI thread only shows the proposal and the progress."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lokifi_tui.host import DashboardHost

DECLINED_KEY = "setup.proposal_declined"


def wanted(app: DashboardHost) -> bool:
    """A first start: a real host (not the demo), collecting, no config file, none named on the command line."""
    cfg = app.config
    return (
        app.propose_setup
        and not app.demo
        and app.collect
        and cfg is not None
        and getattr(cfg, "path", 1) is None
        and not getattr(cfg, "problems", ())
    )


def propose(app: DashboardHost) -> None:
    app.run_worker(lambda: _discover(app), thread=True, group="setup", exit_on_error=False, name="discovery")


def summary(found: list[Any], prometheus: str | None) -> list[str]:
    from analytics.config.listeners import MIN_UPTIME, skipped_summary, unseen_summary

    out = []
    left = [x for f in found for x, _ in getattr(f, "left_out", ())]
    for f in found:
        if getattr(f, "skipped", None):
            continue
        what = ", ".join([*f.http, *(f"{a}:{p}" for a, p in f.tcp)])
        logs = f" — logs: {', '.join(f.logs)}" if f.logs else ""
        note = f" ({f.note})" if getattr(f, "note", "") else ""
        out.append(f"• {f.name}{note}{': ' + what if what else ''}{logs}")
    if prometheus:
        out.append(f"• Prometheus at {prometheus} (a fleet source)")
    unseen = [(f.name, x) for f in found for x in getattr(f, "unseen", ())]
    out += [f"• {line}" for line in unseen_summary(unseen, MIN_UPTIME, option=False)]
    out += [f"• {line} (written commented out)" for line in skipped_summary(left, MIN_UPTIME)]
    return out


def _discover(app: DashboardHost) -> None:
    from analytics.config.paths import resolve_config
    from analytics.config.starter import discover, journal_readable, render

    if app.store.get_kv(DECLINED_KEY):
        return
    found, prom = discover()
    path = resolve_config(None)
    if path.exists():
        return
    journal = journal_readable()
    text = render(found, prometheus=prom, journal=journal)
    lines = summary(found, prom) + (["• the systemd journal (its errors, per unit)"] if journal else [])
    app.call_from_thread(_ask, app, lines, path, text)


def _ask(app: DashboardHost, lines: list[str], path: Path, text: str) -> None:
    from lokifi_tui.screens.modals import SetupProposal

    def answered(yes: bool | None) -> None:
        if yes:
            app.run_worker(
                lambda: _apply(app, path, text), thread=True, group="setup", exit_on_error=False, name="first start"
            )
        else:
            app.run_worker(
                lambda: app.store.set_kv(DECLINED_KEY, dt.datetime.now(dt.UTC).isoformat()),
                thread=True,
                group="setup",
                exit_on_error=False,
                name="remember",
            )
            # only what works with no config: `lokifi backfill` would read nothing yet (config init, once the
            # file is written, says to run it)
            app.say("Not now, and not asked again. `lokifi config init` writes this proposal when you want it.")

    app.push_screen(SetupProposal(lines, str(path)), answered)


def _apply(app: DashboardHost, path: Path, text: str) -> None:
    from analytics.collect.backfill import backfill, refresh_engines
    from analytics.config.settings import load_config
    from analytics.config.starter import write_text

    banner = app.dashboard.show_banner
    try:
        write_text(path, text)
    except (OSError, FileExistsError) as exc:
        app.call_from_thread(app.say, f"Could not write {path}: {exc}", severity="error")
        return
    config = load_config(path)
    app.stop_collector()  # it writes what it holds before backfill hands files to the tail
    app.config = config
    last = [0.0]

    def progress(done: int, total: int, name: str) -> None:
        if time.monotonic() - last[0] > 0.5:
            last[0] = time.monotonic()
            app.call_from_thread(banner, f"Reading the logs' history: {100 * done // max(total, 1)}%  {name[-60:]}")

    try:
        report = backfill(app.store, config, progress=progress)
        app.call_from_thread(banner, "Learning patterns, baselines and forecasts from the history…")
        problems = report.problems + refresh_engines(app.store, config)
    finally:
        app.call_from_thread(app.restart_collector)
    app.call_from_thread(banner, None)
    note = (
        f"Wrote {path}. Read {report.lines:,} log lines: {report.events:,} error events, "
        f"{report.metric_rows:,} metric rows."
    )
    if problems:
        note += f" {len(problems)} problem(s): {problems[0]}"
    app.call_from_thread(app.say, note, severity="warning" if problems else "information", timeout=12)
    app.call_from_thread(app.reload_now)
