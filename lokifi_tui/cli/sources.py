"""``lokifi sources``: the fleet sources (Prometheus, Loki) — their status, a live test, and a pull.

* ``lokifi sources`` / ``lokifi sources status`` — one line per configured source: state (up, slow,
  down, 4xx, 5xx, partial, stale, never), last success, freshness of the newest data, hosts reporting,
  clock skew, and what is wrong in words. Read from what the collector stored; no network.
* ``lokifi sources list`` — what the config defines (URLs shown without credentials).
* ``lokifi sources test NAME`` — ask the server now: reachable? each query valid? what hosts? No writes.
* ``lokifi sources pull [--once] [NAME...]`` — pull the fleet sources into the database (``--once``:
  catch up and exit; otherwise keep pulling until Ctrl-C). ``lokifi collect`` pulls them too.
* ``lokifi sources hosts`` — the hosts fleet data came from, with what each sent and when.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import click

from analytics.common.clock import utcnow
from lokifi_tui.cli.context import get_config, get_store, stored_db_path, stored_store
from lokifi_tui.cli.options import json_option
from lokifi_tui.cli.output import (
    BAD_INPUT,
    STORE,
    UNAVAILABLE,
    console,
    err_console,
    fail,
    fit,
    inert,
    print_json,
)

_STYLE = {
    "up": "green",
    "slow": "yellow",
    "partial": "yellow",
    "stale": "yellow",
    "never": "dim",
    "down": "red",
    "4xx": "red",
    "5xx": "red",
    "tls": "red",
}


def _fleet(cfg: Any, names: tuple[str, ...] = ()) -> list[Any]:
    out = [s for s in cfg.sources if s.type in ("prometheus", "loki")]
    if names:
        known = {s.name for s in out}
        missing = [n for n in names if n not in known]
        if missing:
            fail(
                f"no fleet source named {', '.join(missing)} in the config "
                f"(configured: {', '.join(sorted(known)) or 'none'})",
                BAD_INPUT,
            )
        out = [s for s in out if s.name in names]
    return out


def _build(src: Any, cfg: Any):
    """The source object, or (None, message) when its settings are wrong."""
    from analytics.sources.fleet.client import ConfigProblem

    if src.type == "prometheus":
        from analytics.sources.fleet.prometheus import from_config
    else:
        from analytics.sources.fleet.loki import from_config
    try:
        return from_config(src, cfg), None
    except ConfigProblem as exc:
        return None, str(exc)


@click.group("sources", invoke_without_command=True)
@json_option
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """Fleet sources (Prometheus, Loki): status, list, test NAME, pull [--once], hosts. Alone: the status
    (--json as `sources status --json`)."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(status, as_json=as_json)


@sources.command("list")
@json_option
@click.pass_context
def list_(ctx: click.Context, as_json: bool) -> None:
    """The fleet sources the config defines."""
    cfg = get_config(ctx)
    rows = []
    for src in _fleet(cfg):
        obj, problem = _build(src, cfg)
        s = getattr(obj, "settings", None)
        rows.append(
            {
                "name": src.name,
                "type": src.type,
                "url": s.http.describe() if s else src.url.split("@")[-1],
                "queries": [
                    {"query": q.query, "component": q.component, "metric": getattr(q, "metric", None)}
                    for q in (s.queries if s else [])
                ],
                "interval_s": s.interval if s else None,
                "problem": problem,
                "warnings": list(s.problems) if s else [],
            }
        )
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(
            fit(
                'No fleet sources configured. Add a \\[\\[sources]] entry (type = "prometheus" or "loki") '
                "to your lokifi.toml — see `lokifi locate` for where it is."
            )
        )
        return
    for r in rows:
        console.print(
            f"[bold]{inert(r['name'])}[/] ({r['type']}) {inert(r['url'])}"
            + (f" every {r['interval_s']:g}s" if r["interval_s"] else "")
        )
        if r["problem"]:
            console.print(f"  [red]config problem:[/] {inert(r['problem'])}")
        for w in r["warnings"]:
            console.print(f"  [yellow]warning:[/] {inert(w)}")
        for q in r["queries"]:
            target = f"{q['component']}/{q['metric']}" if q["metric"] else q["component"]
            console.print(f"  {inert(q['query'])}  →  {inert(target)}")


@sources.command("status")
@json_option
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """State, freshness and hosts of each fleet source (from what the collector stored)."""
    from analytics.sources.fleet.status import format_age, read_statuses, to_epoch

    store = stored_store(ctx)  # a --db naming no file is refused; the default one not made yet reads as empty
    cfg = get_config(ctx)
    fleet = _fleet(cfg)
    now = utcnow()
    t = to_epoch(now)
    problems = {}
    for src in fleet:
        _, problem = _build(src, cfg)
        if problem:
            problems[src.name] = problem
    statuses = {}
    if store.path.exists():
        statuses = read_statuses(store, [(s.name, s.type) for s in fleet])
    else:
        from analytics.sources.fleet.status import FleetHealth

        statuses = {s.name: FleetHealth(kind=s.type) for s in fleet}
    from analytics.collect.writer_lock import collector_running

    pid = collector_running(store.path) if store.path.exists() else None
    configured = {s.name for s in fleet}
    rows = []
    for name, h in sorted(statuses.items()):
        state = h.display_state(t)
        if name in problems:
            state, message = "config", problems[name]
        else:
            message = h.message
        rows.append(
            {
                "name": name,
                "kind": h.kind,
                "state": state,
                "configured": name in configured,
                "last_success": _iso(h.last_success),
                "last_success_age_s": None if h.last_success is None else t - h.last_success,
                "freshness_s": h.freshness(t),
                "hosts": h.hosts,
                "skew_s": h.skew_s,
                "latency_ms": h.latency_ms,
                "failures": h.failures,
                "message": message,
                "skew": h.skew_note(),
            }
        )
    if as_json:
        print_json({"collector_pid": pid, "sources": rows})
        return
    if not rows:
        console.print(
            fit(
                'No fleet sources configured. Add \\[\\[sources]] entries (type = "prometheus" or "loki") '
                "to your lokifi.toml; `lokifi sources test NAME` checks one."
            )
        )
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("source", "state", "last ok", "data age", "hosts", "what"):
        table.add_column(col, overflow="fold")
    for r in rows:
        style = _STYLE.get(r["state"], "red")
        what = r["message"] or ("waiting for the first pull" if r["state"] == "never" else "")
        if r["skew"]:
            what = f"{what}; {r['skew']}" if what else r["skew"]
        if not r["configured"]:
            what = "no longer in the config" + (f"; {what}" if what else "")
        table.add_row(
            f"{inert(r['name'])} [dim]{r['kind']}[/]",
            f"[{style}]{r['state']}[/]",
            format_age(r["last_success_age_s"]) + (" ago" if r["last_success_age_s"] is not None else ""),
            format_age(r["freshness_s"]),
            str(len(r["hosts"])),
            inert(what, 200),
        )
    console.print(table)
    if pid is None and fleet:
        console.print("[dim]No collector is running: `lokifi collect` (or `lokifi sources pull`) keeps these fresh.[/]")


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    from analytics.sources.fleet.status import from_epoch

    return from_epoch(t).isoformat(timespec="seconds")


@sources.command("test")
@click.argument("name")
@click.option("--window", default="5m", show_default=True, help="How far back each query looks.")
@json_option
@click.pass_context
def test(ctx: click.Context, name: str, window: str, as_json: bool) -> None:
    """Ask the server now: reachable, each query valid, which hosts answer. Writes nothing."""
    from analytics.sources.fleet.client import ConfigProblem, parse_duration

    cfg = get_config(ctx)
    (src,) = _fleet(cfg, (name,))
    obj, problem = _build(src, cfg)
    if obj is None:
        fail(f"{name}: {problem}", BAD_INPUT)
    try:
        span = parse_duration(window, "--window")
    except ConfigProblem as exc:
        fail(str(exc), BAD_INPUT)
    try:
        result = _probe(obj, span)
    finally:
        obj.close()
    if as_json:
        print_json(result)
    else:
        style = _STYLE.get(result["state"], "red")
        console.print(
            f"[bold]{inert(name)}[/] ({result['kind']}) {inert(result['url'])}: "
            f"[{style}]{result['state']}[/]"
            + (f" in {result['latency_ms']:.0f} ms" if result.get("latency_ms") is not None else "")
        )
        if result.get("message"):
            console.print(f"  {inert(result['message'])}")
        if result.get("skew"):
            console.print(f"  [yellow]{inert(result['skew'])}[/]")
        for q in result["queries"]:
            mark = "[green]ok[/]" if q["ok"] else "[red]failed[/]"
            console.print(f"  {mark} {inert(q['query'])}: {q['detail'] and inert(q['detail'])}")
    if result["state"] in ("down", "5xx", "tls", "slow"):
        raise SystemExit(UNAVAILABLE)
    if result["state"] != "up" or not all(q["ok"] for q in result["queries"]):
        raise SystemExit(BAD_INPUT)


def _probe(obj: Any, span: float) -> dict[str, Any]:
    """One live check of a built source, without touching its checkpoints or the database."""
    from analytics.sources.fleet.client import FetchError

    s = obj.settings
    out: dict[str, Any] = {"name": s.name, "kind": obj.kind, "url": s.http.describe(), "queries": []}
    try:
        server_now = obj._server_now() if obj.kind == "prometheus" else obj._server_now_ns() / 1e9
    except (FetchError, ValueError) as exc:
        out.update(state=getattr(exc, "kind", "partial"), message=str(exc))
        return out
    out["latency_ms"] = obj.health.latency_ms
    out["skew_s"] = obj.health.skew_s
    out["skew"] = obj.health.skew_note()
    out["state"] = "up"
    for q in s.queries:
        try:
            if obj.kind == "prometheus":
                from analytics.sources.fleet.prometheus import matrix_rows

                step = max(s.step, span / 100)
                r = obj.client.get_json(
                    "/api/v1/query_range",
                    {
                        "query": q.query,
                        "start": f"{server_now - span:.3f}",
                        "end": f"{server_now:.3f}",
                        "step": f"{step:g}",
                        "timeout": f"{s.query_timeout:g}s",
                    },
                    retries=0,
                )
                rows, collisions, hosts = matrix_rows(r.data, q, s.default_host or "?", obj.source_tag)
                series = {(x["host"], x["component"], x["metric"]) for x in rows}
                detail = f"{len(series)} series from {len(hosts)} host(s): {', '.join(sorted(hosts)[:8])}"
                if collisions:
                    detail += f"; {collisions} series collide — add a {{label}} to the metric or aggregate"
                ok = True
            else:
                from analytics.sources.fleet.loki import stream_entries

                end = int(server_now * 1e9)
                r = obj.client.get_json(
                    "/loki/api/v1/query_range",
                    {
                        "query": q.query,
                        "start": str(end - int(span * 1e9)),
                        "end": str(end),
                        "limit": "100",
                        "direction": "backward",
                    },
                    retries=0,
                )
                entries = stream_entries(r.data)
                from analytics.sources.fleet.prometheus import pick_host

                hosts = {pick_host(lb, q.host_labels, "?") for _, lb, _ in entries}
                detail = f"{len(entries)} line(s) in the last {span:g}s (up to 100 shown) from {len(hosts)} host(s)"
                ok = True
        except FetchError as exc:
            ok, detail = False, str(exc)
            if exc.kind in ("down", "5xx", "slow", "tls"):
                out["state"] = exc.kind
        except ValueError as exc:
            ok, detail = False, str(exc)
        out["queries"].append({"query": q.query, "ok": ok, "detail": detail})
    return out


@sources.command("pull")
@click.argument("names", nargs=-1)
@click.option("--once", is_flag=True, help="Catch up once and exit (default: keep pulling until Ctrl-C).")
@json_option
@click.pass_context
def pull(ctx: click.Context, names: tuple[str, ...], once: bool, as_json: bool) -> None:
    """Pull the fleet sources into the database (all of them, or the NAMEs given)."""
    from analytics.collect.loop import Collector, CollectorBusy

    cfg = get_config(ctx)
    fleet = _fleet(cfg, names)
    if not fleet:
        fail('no fleet sources configured: add [[sources]] entries (type = "prometheus" or "loki")', BAD_INPUT)
    built = []
    for src in fleet:
        obj, problem = _build(src, cfg)
        if obj is None:
            err_console.print(f"[yellow]skipping {inert(src.name)}:[/] {inert(problem)}")
            continue
        built.append(obj)
    if not built:
        raise SystemExit(BAD_INPUT)
    store = get_store(ctx)
    col = Collector(store, cfg, sources=built, persist=True, hooks=())
    try:
        col.open()
    except CollectorBusy as exc:
        fail(f"{exc} (it pulls the fleet sources too)", STORE)
    t0 = time.monotonic()
    try:
        if once:
            rows = col.step(force=True)
            for _ in range(1000):
                more = [s for s in col.sources if getattr(s, "has_more", False)]
                if not more:
                    break
                for s in more:
                    rows += col.poll_source(s, utcnow())
            col.flush()
        else:
            if not as_json:
                console.print(
                    f"Pulling {', '.join(inert(s.name) for s in built)} into {inert(store.path)} — Ctrl-C to stop."
                )
            try:
                col.run()
            except KeyboardInterrupt:
                pass
    finally:
        col.close()
    if not once:
        rows = col.stats.rows_written
    report = []
    for src in built:
        h = src.health
        report.append(
            {
                "name": src.name,
                "kind": src.kind,
                "state": h.state,
                "rows": h.rows_last,
                "hosts": h.hosts,
                "message": h.message,
                "skew": h.skew_note(),
            }
        )
    if as_json:
        print_json({"rows": rows, "seconds": round(time.monotonic() - t0, 3), "sources": report})
    else:
        for r in report:
            style = _STYLE.get(r["state"], "red")
            console.print(
                f"{inert(r['name'])} ({r['kind']}): [{style}]{r['state']}[/], {len(r['hosts'])} host(s)"
                + (f" — {inert(r['message'], 300)}" if r["message"] else "")
                + (f" — {inert(r['skew'])}" if r["skew"] else "")
            )
        console.print(f"{rows} rows read in {time.monotonic() - t0:.1f}s.")
    if any(r["state"] in ("down", "5xx", "tls") for r in report):
        raise SystemExit(UNAVAILABLE)


@sources.command("hosts")
@click.option("--since", default="1h", show_default=True, help="Only hosts with data newer than this.")
@json_option
@click.pass_context
def hosts(ctx: click.Context, since: str, as_json: bool) -> None:
    """The hosts fleet data came from: metrics and error lines per host, and when each was last heard."""
    from analytics.sources.fleet.client import ConfigProblem, parse_duration

    try:
        span = parse_duration(since, "--since")
    except ConfigProblem as exc:
        fail(str(exc), BAD_INPUT)
    path = stored_db_path(ctx)  # a --db naming no file is refused
    if not path.exists():  # the default database, not made yet: nothing pulled, an empty answer
        if as_json:
            print_json([])
        else:
            console.print(
                f"No fleet data yet (no database at {inert(str(path))}): "
                "`lokifi sources pull --once` reads the configured sources."
            )
        return
    store = stored_store(ctx)
    cutoff = utcnow() - dt.timedelta(seconds=span)
    df = store.query(
        """
        SELECT host, list(DISTINCT source ORDER BY source) AS sources, sum(metrics) AS metrics,
               sum(errors) AS errors, max(last_seen) AS last_seen,
               list(DISTINCT component ORDER BY component) AS components
        FROM (
            SELECT host, source, component, count(*) AS metrics, 0 AS errors, max(ts) AS last_seen FROM metrics
            WHERE ts >= ? AND (source LIKE 'prometheus:%' OR source LIKE 'loki:%') GROUP BY ALL
            UNION ALL
            SELECT host, source, component, 0, count(*), max(ts) FROM error_events
            WHERE ts >= ? AND (source LIKE 'prometheus:%' OR source LIKE 'loki:%') GROUP BY ALL
        ) GROUP BY host ORDER BY host
        """,
        [cutoff, cutoff],
    )
    rows = df.to_dicts()
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(f"No fleet data in the last {inert(since)}.")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("host", "components", "metrics", "errors", "last seen", "sources"):
        table.add_column(col, overflow="fold")
    now = utcnow()
    from analytics.sources.fleet.status import format_age

    for r in rows:
        age = (now - r["last_seen"]).total_seconds() if r["last_seen"] else None
        table.add_row(
            inert(r["host"]),
            inert(", ".join(r["components"]), 60),
            str(r["metrics"]),
            str(r["errors"]),
            format_age(age) + " ago",
            inert(", ".join(r["sources"]), 60),
        )
    console.print(table)
