"""``lokifi status``: the host and its services right now (the seed's `status` command).

Host vitals are read live (psutil); each configured component shows its processes (live) and its
latest probe results and errors (from the store, as the collector recorded them), and whether a
collector is writing to this database.
"""

from __future__ import annotations

import datetime as dt

import click
from rich.table import Table

from lokifi_tui.cli.context import db_path, get_config, get_store
from lokifi_tui.cli.output import console, inert, json_option, print_json


def _ago(ts: dt.datetime | None, now: dt.datetime) -> str:
    if ts is None:
        return "never"
    s = max(0, int((now - ts).total_seconds()))
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= n:
            return f"{s // n}{unit} ago"
    return f"{s}s ago"


@click.command()
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Host vitals now, each configured service (processes, last probe, last error) and the collector."""
    from analytics.collector import build_sources, collector_running
    from analytics.sources.vitals import VitalsSource

    cfg = get_config(ctx)
    store = get_store(ctx)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    vitals = next(s for s in build_sources(cfg) if isinstance(s, VitalsSource))
    vitals.poll(now)
    snap = vitals.latest
    comps = [c.name for c in cfg.components]
    with store.read() as con:
        probes = con.sql(
            "SELECT component, probe, target, ok, status_code, elapsed_ms, error_kind, message, ts FROM ("
            " SELECT *, row_number() OVER (PARTITION BY component, probe ORDER BY ts DESC) AS rn FROM probe_results"
            ") WHERE rn = 1 ORDER BY component, probe").pl()
        errors = con.sql(
            "SELECT component, count(*) FILTER (WHERE ts > ?::TIMESTAMP - INTERVAL 1 HOUR) AS last_hour, "
            "max(ts) AS last_ts, arg_max(message, ts) AS last_message FROM error_events GROUP BY component",
            params=[now]).pl()
    pid = collector_running(db_path(ctx))
    comps = sorted(set(comps) | set(probes["component"].to_list()))
    rows = []
    for c in comps:
        cv = snap.component(c) if snap else None
        p = probes.filter(probes["component"] == c)
        e = errors.filter(errors["component"] == c)
        rows.append({
            "component": c,
            "processes": None if cv is None else cv.count,
            "cpu_percent": None if cv is None else round(cv.cpu_percent, 1),
            "rss_mb": None if cv is None else round(cv.rss_bytes / 2**20, 1),
            "probes": p.to_dicts(),
            "errors_last_hour": int(e["last_hour"][0]) if e.height else 0,
            "last_error": e["last_message"][0] if e.height else None,
            "last_error_at": e["last_ts"][0] if e.height else None,
        })
    host = {
        "host": cfg.host, "cpu_percent": snap.cpu_percent, "load": list(snap.load),
        "memory_percent": snap.memory_percent, "swap_percent": snap.swap_percent,
        "disks": [{"mount": d.mount, "percent": d.percent, "free_gb": round(d.free / 1e9, 1)} for d in snap.disks],
    }
    if as_json:
        print_json({"host": host, "components": rows, "collector_pid": pid, "database": str(store.path)})
        return
    console.print(f"[bold]{inert(cfg.host)}[/]  CPU {snap.cpu_percent:.0f}%  load {snap.load[0]:.2f}  "
                  f"memory {snap.memory_percent:.0f}%  swap {snap.swap_percent:.0f}%")
    for d in snap.disks:
        style = "red" if d.percent >= 90 else ("yellow" if d.percent >= 80 else "")
        mark = f"[{style}]" if style else ""
        console.print(f"  disk {inert(d.mount)}: {mark}{d.percent:.0f}% used{'[/]' if style else ''}, "
                      f"{d.free / 1e9:.1f} GB free")
    console.print(f"collector: {'running (pid ' + str(pid) + ')' if pid else 'not running — `lokifi collect` records probes, logs and vitals'}")
    if not rows:
        console.print("No components configured: `lokifi config init` writes a starting config with the services "
                      "found listening here.")
        return
    t = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("component", "procs", "probe", "errors 1h", "last error"):
        t.add_column(col)
    for r in rows:
        procs = "–" if r["processes"] is None else (
            f"[red]0 (down)[/]" if r["processes"] == 0 else f"{r['processes']} ({r['cpu_percent']}% CPU, {r['rss_mb']} MB)")
        probe_txt = []
        for p in r["probes"]:
            if p["ok"]:
                probe_txt.append(f"[green]✓[/] {inert(p['probe'], 30)} {p['elapsed_ms'] or 0:.0f} ms, {_ago(p['ts'], now)}")
            else:
                probe_txt.append(f"[red]✗[/] {inert(p['probe'], 30)} {inert(p['error_kind'])}, {_ago(p['ts'], now)}")
        last = "–" if not r["last_error"] else f"{inert(r['last_error'], 50)} ({_ago(r['last_error_at'], now)})"
        t.add_row(inert(r["component"]), procs, "\n".join(probe_txt) or "–", str(r["errors_last_hour"]), last)
    console.print(t)
