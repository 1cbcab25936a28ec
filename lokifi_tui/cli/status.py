"""``lokifi status``: the host and its services right now.

Host vitals are read live (psutil); each configured component shows its processes (live), its probe
results and its latest errors (from the store, as the collector recorded them), and whether a
collector is writing to this database. While no collector runs, the stored probe results can be days
old, so this machine's configured probes are run now instead (concurrently, while the store is read;
each bounded by its timeout) and shown as such; they are not stored. ``--host NAME`` shows that host's
stored rows only, and for a host other than this machine its latest stored vitals instead of live
ones (its processes cannot be seen from here). When an Alertmanager is configured, whether it takes the
alerts (as the collector's last delivery found it): since when it fails and why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any

import click

from analytics.sources.cpu_clock import cpu_clock
from lokifi_tui.cli.context import get_config, stored_db_path, stored_store
from lokifi_tui.cli.options import host_option, json_option
from lokifi_tui.cli.output import console, fit, inert, print_json


def _ago(ts: dt.datetime | None, now: dt.datetime) -> str:
    if ts is None:
        return "never"
    s = max(0, int((now - ts).total_seconds()))
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= n:
            return f"{s // n}{unit} ago"
    return f"{s}s ago"


@click.command()
@host_option(
    "Only this host's stored probes and errors; for a host other than this machine, its latest "
    "stored vitals instead of live ones (default: live vitals here, every host's probes and errors)."
)
@json_option
@click.pass_context
def status(ctx: click.Context, host: str | None, as_json: bool) -> None:
    """This machine's vitals now, each configured service (processes, last probe, last error) and the
    collector; with --host, a fleet host's stored vitals, probes and errors."""
    # Without --host this machine is shown: its CPU window starts before anything else is loaded (in the
    # `lokifi` executable, before click), so the 0.2 s it needs passes while the config, the store and its
    # library load (with --host the store was opened to check the name, and the config says whether the
    # host is this machine).
    from lokifi_tui.cli.entry import take_status_cpu_reading

    early = take_status_cpu_reading()
    if host is not None:
        early = None
    elif early is None:
        early = (time.monotonic(), cpu_clock())
    cfg = get_config(ctx)
    local = host is None or host == cfg.host
    from analytics.collect.writer_lock import collector_running

    pid = collector_running(stored_db_path(ctx))
    live = _start_probes(cfg) if local and not pid else None
    vitals_src = None
    if local:  # take the first CPU readings now: the sample's window passes while the store is read
        from analytics.sources.vitals import vitals_from_config

        vitals_src = vitals_from_config(cfg)
        vitals_src.prime(host_window_from=early[0] if early else None)
        window_start = early[1] if early else cpu_clock()
    from analytics.alerts.endpoint import configured
    from analytics.dashboard.service_status import service_state

    store = stored_store(ctx)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    alert_endpoint = configured(cfg)
    # this machine's status is its own rows: a fleet store also holds other hosts' probes and errors
    state = service_state(
        store, now, cfg.host if local else host, stored_vitals=not local, alert_endpoint=alert_endpoint
    )
    errors = state.errors
    # "live": run by this command now; else the collector's latest stored result
    probes = _live_results(live, cfg.host) if live is not None else [dict(p, live=False) for p in state.probes]
    if local:
        vitals_src.poll(dt.datetime.now(dt.UTC).replace(tzinfo=None))
        snap = _without_own_cpu(vitals_src.latest, window_start, cpu_clock())
        comps = sorted({c.name for c in cfg.components} | {p["component"] for p in probes})
    else:  # another host: its components are those it has probes or errors of
        snap = None
        comps = sorted({p["component"] for p in probes} | set(errors))
    probes_of: dict[str, list[dict]] = {}
    for p in probes:
        probes_of.setdefault(p["component"], []).append(p)
    rows = []
    for c in comps:
        cv = snap.component(c) if snap else None
        e = errors.get(c)
        rows.append(
            {
                "component": c,
                "processes": None if cv is None else cv.count,
                "cpu_percent": None if cv is None else round(cv.cpu_percent, 1),
                "rss_mb": None if cv is None else round(cv.rss_bytes / 2**20, 1),
                "probes": probes_of.get(c, []),
                "errors_last_hour": e["last_hour"] if e else 0,
                "muted_errors_last_hour": e["muted_last_hour"] if e else 0,
                "last_error": e["last_message"] if e else None,
                "last_error_at": e["last_ts"] if e else None,
                "last_error_muted": e["last_muted"] if e else False,
            }
        )
    vitals = _host_json(cfg.host, snap) if local else _stored_json(host, state.vitals)
    from analytics.store.private import exposure

    exposed = exposure(store.path)  # a database other users can read (it holds raw log lines)
    if as_json:
        print_json(
            {
                "host": vitals,
                "host_filter": host,
                "components": rows,
                "collector_pid": pid,
                "database": str(store.path),
                "database_warnings": exposed,
                "alertmanager": _alertmanager_json(alert_endpoint, state.alertmanager),
            }
        )
        return
    if local:
        _print_live(cfg.host, snap)
    else:
        _print_stored(host, state.vitals, now)
    collector = f"running (pid {pid})" if pid else "not running — `lokifi collect` records probes, logs and vitals"
    if live is not None:
        collector = "not running, so the probes below ran now (not stored) — `lokifi collect` records them"
    console.print(fit(f"collector: {collector}"))
    if alert_endpoint:
        console.print(_alertmanager_line(alert_endpoint, state.alertmanager, now))
    for w in exposed:
        console.print(f"[yellow]database:[/] {inert(w)}")
    if not rows:
        if not local:
            console.print(f"No probe results or errors stored from host {inert(host)}.")
            return
        console.print(
            fit(
                "No components configured: `lokifi config init` writes a starting config with the services "
                "found listening here."
            )
        )
        return
    from rich.table import Table

    t = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("component", "procs", "probe", "errors 1h", "last error"):
        t.add_column(col)
    for r in rows:
        if r["processes"] is None:
            procs = "–"
        elif r["processes"] == 0:
            procs = "[red]0 (down)[/]"
        else:
            procs = f"{r['processes']} · {r['cpu_percent']:g}% CPU · {r['rss_mb']:.0f} MB"
        probe_txt = []
        for p in r["probes"]:
            target = f"[dim]{inert(p['probe'], 40)}[/]"
            if p["ok"]:
                probe_txt.append(f"[green]✓[/] {p['elapsed_ms'] or 0:.0f} ms, {_when(p, now)} {target}")
            else:
                probe_txt.append(f"[red]✗ {inert(_probe_problem(p))}[/], {_when(p, now)} {target}")
        last = "–"
        if r["last_error"]:
            from analytics.patterns.logline import shown_message  # its time is the "ago" beside it

            last = f"{inert(shown_message(r['last_error']), 50)} ({_ago(r['last_error_at'], now)})"
            if r["last_error_muted"]:
                last += " [dim](muted)[/]"
        errs = str(r["errors_last_hour"])
        if r["muted_errors_last_hour"]:
            errs += f" [dim]+{r['muted_errors_last_hour']} muted[/]"
        t.add_row(inert(r["component"]), procs, "\n".join(probe_txt) or "–", errs, last)
    console.print(t)


def _alertmanager_json(endpoint: str | None, h: Any) -> dict | None:
    """The configured Alertmanager's state: ``never`` (nothing posted to it yet), ``ok`` or ``failing``."""
    if endpoint is None:
        return None
    if h is None:
        return {"endpoint": endpoint, "state": "never"}
    return h.to_dict()


def _alertmanager_line(endpoint: str, h: Any, now: dt.datetime) -> str:
    where = inert(endpoint)
    if h is None:
        return f"alertmanager: {where} — no alert sent yet"
    if not h.failing:
        return (
            f"alertmanager: {where} [green]takes the alerts[/] (last post {_ago(h.last_success, now)})"
            + _delivery_counts(h.deliveries)
        )
    since = h.failing_since.strftime("%Y-%m-%d %H:%M:%S UTC") if h.failing_since else "unknown"
    return (
        f"alertmanager: {where} [red]failing since {since} ({_ago(h.failing_since, now)}), "
        f"{h.failures} post{'s' if h.failures != 1 else ''} in a row: {inert(h.last_error, 200)}[/]; "
        f"{h.undelivered} alert{'s' if h.undelivered != 1 else ''} kept for the next try "
        f"(last try {_ago(h.last_attempt, now)})" + _delivery_counts(h.deliveries)
    )


def _delivery_counts(counts: dict[str, int]) -> str:
    """`` — 2 firing, 5 resolved, 1 abandoned (...)``: the alerts recorded, by state ("" for none)."""
    from analytics.alerts.endpoint import DELIVERY_STATES

    said = [f"{counts[s]} {s}" + (_POSTING if s == "posting" else "") for s in DELIVERY_STATES if counts.get(s)]
    if not said:
        return ""
    why = (
        " (its prediction was over, or below min_severity, before Alertmanager took it)"
        if counts.get("abandoned") == 1
        else ""
    )
    if counts.get("abandoned", 0) > 1:
        why = " (their predictions were over, or below min_severity, before Alertmanager took them)"
    return " — alerts: " + ", ".join(said) + why


#: what a delivery in the posting state means, said beside its count
_POSTING = " (posted, Alertmanager's answer not recorded: the next delivery sends it again, or its resolution)"


def _when(p: dict, now: dt.datetime) -> str:
    return "now" if p.get("live") else _ago(p["ts"], now)


def _start_probes(cfg) -> tuple[list[Any], list[Any], dt.datetime] | None:
    """This machine's configured probes, started now (specs, futures, when); None when it has none."""
    if not any(c.probes for c in cfg.components):
        return None
    from analytics.collect.wiring import probe_spec
    from analytics.sources.probes import probe_in_thread

    specs = [s for c in cfg.components for i, p in enumerate(c.probes) if (s := probe_spec(c.name, p, i)) is not None]
    if not specs:
        return None
    at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return specs, [probe_in_thread(s, at) for s in specs], at


def _live_results(live: tuple[list[Any], list[Any], dt.datetime], host: str) -> list[dict]:
    """The probes' results, in the store's row shape, marked live; a probe still running when the
    collector would stop waiting (a name lookup is not bounded by the timeout) is shown unanswered."""
    import concurrent.futures as cf

    from analytics.sources.probes import wait_limit

    specs, futures, at = live
    limit = wait_limit(specs)
    cf.wait(futures, timeout=limit)
    rows = []
    for spec, f in zip(specs, futures, strict=True):
        r = (
            f.result()
            if f.done()
            else spec.result(at, False, error_kind="timeout", message=f"no answer within {limit:.0f} s")
        )
        rows.append(dict(r.row(host), live=True))
    return sorted(rows, key=lambda r: (r["component"], r["probe"]))


def _probe_problem(p: dict) -> str:
    """What a failed probe met: the status code for an unexpected one (``HTTP 503``), else its kind
    (``refused``, ``timeout``, ...)."""
    if p.get("error_kind") == "status" and p.get("status_code"):
        return f"HTTP {p['status_code']}"
    return str(p.get("error_kind") or "failed")


def _without_own_cpu(snap, start: tuple[float, float, float], end: tuple[float, float, float]):
    """The host CPU figure with this command's own start-up left out: the sample's window overlaps
    opening the store, and a reading of the host should not count the reader."""
    busy = (end[0] - start[0]) - (end[2] - start[2])
    total = end[1] - start[1]
    if total <= 0:
        return snap
    return dataclasses.replace(snap, cpu_percent=round(max(0.0, min(100.0, 100.0 * busy / total)), 1))


def _host_json(name: str, snap) -> dict:
    return {
        "host": name,
        "live": True,
        "cpu_percent": snap.cpu_percent,
        "load": list(snap.load),
        "memory_percent": snap.memory_percent,
        "swap_percent": snap.swap_percent,
        "disks": [{"mount": d.mount, "percent": d.percent, "free_gb": round(d.free / 1e9, 1)} for d in snap.disks],
    }


def _stored_json(name: str, vitals: dict) -> dict:
    def v(metric: str):
        return vitals[metric][0] if metric in vitals else None

    return {
        "host": name,
        "live": False,
        "cpu_percent": v("cpu_percent"),
        "load": None if "load1" not in vitals else [v("load1")],
        "memory_percent": v("memory_percent"),
        "swap_percent": v("swap_percent"),
        "disks": [],
        "readings_at": max((ts for _, ts in vitals.values()), default=None),
    }


def _print_live(name: str, snap) -> None:
    console.print(
        f"[bold]{inert(name)}[/]  CPU {snap.cpu_percent:.0f}%  load {snap.load[0]:.2f}  "
        f"memory {snap.memory_percent:.0f}%  swap {snap.swap_percent:.0f}%"
    )
    for d in snap.disks:
        style = "red" if d.percent >= 90 else ("yellow" if d.percent >= 80 else "")
        mark = f"[{style}]" if style else ""
        console.print(
            f"  disk {inert(d.mount)}: {mark}{d.percent:.0f}% used{'[/]' if style else ''}, {d.free / 1e9:.1f} GB free"
        )


def _print_stored(name: str, vitals: dict, now: dt.datetime) -> None:
    if not vitals:
        console.print(
            f"[bold]{inert(name)}[/]  no vitals stored from it in the last day "
            "(live vitals are read on this machine only)"
        )
        return
    labels = {
        "cpu_percent": "CPU {:.0f}%",
        "load1": "load {:.2f}",
        "memory_percent": "memory {:.0f}%",
        "swap_percent": "swap {:.0f}%",
    }
    shown = "  ".join(fmt.format(vitals[m][0]) for m, fmt in labels.items() if m in vitals)
    at = max(ts for _, ts in vitals.values())
    console.print(
        f"[bold]{inert(name)}[/]  {shown}  [dim](stored readings, {_ago(at, now)}; processes are "
        "seen on their own machine only)[/]"
    )
