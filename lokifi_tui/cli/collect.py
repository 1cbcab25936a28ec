"""``lokifi collect``: the headless collector (e.g. under systemd)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

import click

from analytics.common.signal_relay import ignore_signals, relay_signals
from lokifi_tui.cli.context import config_path, get_config, get_store
from lokifi_tui.cli.options import Finite, json_option
from lokifi_tui.cli.output import (
    STORE,
    USAGE,
    console,
    err_console,
    fail,
    inert,
    print_json,
)


def _describe(col: Any) -> str:
    parts = []
    for s in col.sources:
        kind = getattr(s, "kind", s.name)
        if kind == "vitals":
            parts.append(f"vitals every {s.interval:g}s ({len(getattr(s, '_tracked', []))} components with processes)")
        elif kind == "probes":
            parts.append(f"{len(s.specs)} probe(s) every {s.interval:g}s")
        elif kind == "tail":
            parts.append(f"{len(s.specs)} log path(s) every {s.interval:g}s")
        else:
            parts.append(f"{s.name} every {s.interval:g}s")
    return "; ".join(parts)


@click.command("collect")
@click.option("--once", is_flag=True, help="Collect one round, write it, print a summary and exit.")
@click.option(
    "--from-start",
    is_flag=True,
    help="Read configured log files from their beginning (only files with no stored position).",
)
@click.option(
    "--duration",
    type=Finite(),
    default=None,
    metavar="SECONDS",
    help="Stop after this many seconds (default: run until SIGTERM / Ctrl-C).",
)
@click.option("--no-hooks", is_flag=True, help="Do not run the engines' refresh hooks (pattern learning, ...).")
@click.option("-q", "--quiet", is_flag=True, help="Only print problems.")
@click.option(
    "--metrics-listen",
    metavar="HOST:PORT",
    default=None,
    help="Serve Lokifi's numbers at http://HOST:PORT/metrics for Prometheus (e.g. 127.0.0.1:9464).",
)
@json_option
@click.pass_context
def collect(
    ctx: click.Context,
    once: bool,
    from_start: bool,
    duration: float | None,
    no_hooks: bool,
    quiet: bool,
    metrics_listen: str | None,
    as_json: bool,
) -> None:
    """Collect host vitals, probe results and log errors into the database, headless.

    Runs until SIGTERM or SIGINT (it writes what it has read before exiting), so it suits a systemd
    service. It can run while the dashboard and other commands use the same database. Only one
    collector writes to a database at a time: a dashboard that is collecting hands over to it.

    A change to the config file is taken within seconds (SIGHUP: at once), without a restart; a file
    that does not parse is reported and the configuration in force stays. A log the change adds (or the
    journal it turns on) has its last 7 days read first, as `lokifi backfill` reads them.
    """
    if metrics_listen is not None:
        from analytics.alerts.exposition import parse_listen

        if once:
            fail("--metrics-listen serves /metrics while the collector runs; --once collects one round and ends", USAGE)
        try:
            parse_listen(metrics_listen)
        except ValueError as exc:
            fail(f"--metrics-listen: {inert(str(exc))}", USAGE)
    stop = threading.Event()
    reload = threading.Event()
    actions: dict[signal.Signals, Callable[[], object]] = {}
    if not once:
        # First thing: a SIGTERM that arrives while Lokifi is still starting also ends it cleanly. The
        # events are set by the relay's thread, never by the handler (which could deadlock on their lock).
        actions.update({signal.SIGTERM: stop.set, signal.SIGINT: stop.set})
        if hasattr(signal, "SIGHUP"):  # read the config file again (also noticed by itself within seconds)
            actions[signal.SIGHUP] = reload.set
        relay_signals(actions)

    from analytics.collect.loop import Collector, CollectorBusy, collect_once

    store = get_store(ctx)
    cfg = get_config(ctx)
    if once:
        try:
            rep = collect_once(store, cfg, from_start=from_start, hooks=not no_hooks)
        except CollectorBusy as exc:
            fail(str(exc), STORE)
        if rep.store_failure:
            fail(f"database problem: {rep.store_failure}", STORE)
        if as_json:
            print_json(
                {
                    "rows": rep.rows,
                    "written": rep.written,
                    "sources": [s.__dict__ for s in rep.statuses],
                    "probes": [p.__dict__ for p in rep.probes],
                }
            )
            return
        console.print(
            f"collected {rep.rows} rows into {inert(store.path)}"
            + ("" if rep.written else " (database busy: spooled, written by the next process)")
        )
        for s in rep.statuses:
            line = f"  {inert(s.name):10} {s.state:8} {inert(s.detail)}"
            if s.last_error:
                line += f"  [red]{inert(s.last_error, 200)}[/]"
            console.print(line)
        for p in rep.probes:
            ms = f"{p.elapsed_ms:.1f} ms" if p.elapsed_ms is not None else "-"
            state = "[green]up[/]" if p.ok else f"[red]{inert(p.error_kind)}[/]"
            console.print(
                f"  probe {inert(p.component)} {inert(p.target)}: {state} {ms}"
                + (f"  {inert(p.message)}" if p.message and not p.ok else "")
            )
        return

    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx says every request it makes at INFO (a line per alert delivery and per fleet poll): what failed
    # is said by the collector itself, once when it starts failing and once when it works again
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # "wait": if a dashboard is collecting into this database, it hands over and this takes over.
    col = Collector(
        store,
        cfg,
        from_start=from_start,
        hooks=() if no_hooks else None,
        persist="wait",
        stop=stop,
        config_file=config_path(ctx),
        reload=reload,
    )
    try:
        col.open()
    except CollectorBusy as exc:
        fail(str(exc), STORE)
    if col.mode != "write":
        err_console.print("lokifi collect: stopped before it could start writing")
        col.close()
        ignore_signals(actions)
        return
    if not quiet:
        err_console.print(
            f"lokifi collect: writing to {inert(store.path)} every {col.flush_seconds:g}s as host {inert(col.host)}"
        )
        err_console.print(f"  {inert(_describe(col))}")
    exporter = None
    if metrics_listen:
        from analytics.alerts.exposition import parse_listen, serve

        try:
            exporter = serve(store, parse_listen(metrics_listen), cfg)
        except (ValueError, OSError) as exc:
            col.close()
            fail(f"--metrics-listen {inert(metrics_listen)}: {exc}", USAGE)
        if not quiet:
            err_console.print(f"  serving /metrics on http://{inert(metrics_listen)}/metrics")
    from analytics.collect.reporter import Reporter

    report = Reporter(col, quiet)
    watcher = threading.Thread(target=report.loop, args=(stop,), daemon=True)
    watcher.start()
    try:
        col.run(stop, duration=duration)
    finally:
        stop.set()
        if exporter is not None:
            exporter.close()  # before the store closes: a scrape under way reads it to the end
        col.close()
        if not quiet:
            s = col.stats
            err_console.print(
                f"lokifi collect: stopped; {s.rows_written} rows written in {s.flushes} batches"
                + (f" ({s.spooled} spooled while the database was busy)" if s.spooled else "")
            )
        # Stopped and written: the rest of a burst of SIGTERMs (or a late SIGHUP) changes nothing.
        ignore_signals(actions)
