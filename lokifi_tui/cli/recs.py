"""Smart recommendations commands: ``lokifi ai recommendations``, ``lokifi recs ...`` and ``lokifi scan``.
The engine is :mod:`analytics.recommend.engine` (the cleanups: :mod:`lokifi_tui.cli.clean`)."""

from __future__ import annotations

import datetime as dt

import click

from lokifi_tui.cli.context import get_config, get_store, stored_store
from lokifi_tui.cli.options import host_option, json_option
from lokifi_tui.cli.output import (
    BAD_INPUT,
    USAGE,
    console,
    err_console,
    fail,
    fit,
    inert,
    print_json,
    wrapped,
)
from lokifi_tui.cli.rec_rows import ICONS, list_open, print_rec, rec_json


def parse_duration(text: str) -> dt.timedelta:
    from analytics.common.durations import parse_seconds

    try:
        seconds = parse_seconds(text or "", unit_required=True)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a duration; use e.g. 30m, 4h, 1d, 2w") from None
    if seconds <= 0:
        raise click.BadParameter("the duration must be positive")
    return dt.timedelta(seconds=seconds)


def _problems(problems: list[str]) -> None:
    for p in problems:
        err_console.print(f"[yellow]warning:[/] {inert(p)}")


def _engine():
    from analytics.recommend import engine

    return engine


def _lookup_errors():
    e = _engine()
    return (e.RecNotFound, e.BadTransition)


# -- lokifi ai recommendations ----------------------------------------------------------------------


_OTHER_HOST = (
    "for a host other than this machine only the rules over its stored metrics run (cache hit rate, "
    "response time, memory trend); the project, dependency, security and live disk/CPU/memory checks "
    "are this machine's"
)


@click.command("recommendations")
@json_option
@click.option("--no-refresh", is_flag=True, help="Show the stored recommendations without running the rules.")
@host_option(f"That host's recommendations (default: this machine's); {_OTHER_HOST}.")
@click.pass_context
def ai_recommendations(ctx: click.Context, as_json: bool, no_refresh: bool, host: str | None) -> None:
    """Smart recommendations from the host, the project directories, the metrics and the logs."""
    engine = _engine()
    # --no-refresh only reads what is stored; a refresh runs the rules and stores what they find
    store, config = stored_store(ctx) if no_refresh else get_store(ctx), get_config(ctx)
    host = host or config.host
    other = host != config.host
    if not as_json:
        console.print("[bold]💡 Smart Recommendations[/]" + (f" for host {inert(host)}" if other else "") + "\n")
    report = None
    if not no_refresh:
        if not as_json:
            console.print(
                f"[dim]{inert(_OTHER_HOST)}.[/]\n"
                if other
                else "🧠 Looking at the projects, stored metrics, logs and this host...\n"
            )
        report = engine.refresh_stored(store, config, host) if other else engine.refresh(store, config)
        _problems(report.problems)
    now = engine.utcnow()
    recs = engine.list_recs(store, host, now=now)
    if as_json:
        print_json(
            {
                "host": host,
                "generated_at": now,
                "recommendations": [rec_json(r, now) for r in recs],
                "problems": report.problems if report else [],
                "scope": "stored metrics" if other else "all rules",
            }
        )
        return
    if not recs:
        console.print("✅ No open recommendations: nothing past its threshold.\n")
    for r in recs:
        print_rec(r, now, show_id=True)
    console.print(
        wrapped(
            "💡 TIP:",
            "Run recommendations regularly with `lokifi ai recommendations`; triage with "
            "`lokifi recs apply|dismiss|snooze ID`",
            0,
        )
    )


# -- lokifi recs ------------------------------------------------------------------------------------


@click.group("recs")
def recs() -> None:
    """Triage recommendations: list, apply, dismiss, snooze, undo, history (one's changes), learning
    (what dismissals taught) and reset-learning."""


@recs.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include applied, dismissed, snoozed and resolved ones.")
@host_option("That host's recommendations (default: this machine's).")
@json_option
@click.pass_context
def recs_list(ctx: click.Context, show_all: bool, host: str | None, as_json: bool) -> None:
    """Open recommendations, most urgent first (no rules are run; see `lokifi scan`).

    The --json rows carry their host, so with --host every row shows the filter."""
    list_open(stored_store(ctx), get_config(ctx), host, show_all=show_all, as_json=as_json)


def _transition(ctx: click.Context, fn, rec_id: int, as_json: bool, **kwargs):
    engine = _engine()
    try:
        r = fn(stored_store(ctx), rec_id, **kwargs)
    except _lookup_errors() as exc:
        fail(str(exc), BAD_INPUT)
    if as_json:
        print_json(rec_json(r, engine.utcnow()))
    return r


@recs.command("apply")
@click.argument("rec_id", type=int, metavar="ID")
@json_option
@click.pass_context
def recs_apply(ctx: click.Context, rec_id: int, as_json: bool) -> None:
    """Mark a recommendation applied and show its command (Lokifi does not run it)."""
    r = _transition(ctx, _engine().apply, rec_id, as_json)
    if not as_json:
        console.print(f"✅ Applied #{r.id}: {inert(r.title)}")
        console.print(f"   Run: [bold]{inert(r.action)}[/]")
        console.print(
            "   [dim]Lokifi did not run anything. Commands Lokifi owns (lokifi clean ..., lokifi db ...) "
            "ask before they act.[/]"
        )


@recs.command("dismiss")
@click.argument("rec_id", type=int, metavar="ID")
@json_option
@click.pass_context
def recs_dismiss(ctx: click.Context, rec_id: int, as_json: bool) -> None:
    """Dismiss a recommendation; it returns only if the condition gets materially worse."""
    r = _transition(ctx, _engine().dismiss, rec_id, as_json)
    if not as_json:
        console.print(f"🙈 Dismissed #{r.id}: {inert(r.title)}")
        console.print(
            f"   [dim]It comes back only if it gets materially worse. `lokifi recs undo {r.id}` reverses this.[/]"
        )


@recs.command("snooze")
@click.argument("rec_id", type=int, metavar="ID")
@click.option("--for", "for_", default="1d", show_default=True, help="How long: 30m, 4h, 1d, 2w.")
@json_option
@click.pass_context
def recs_snooze(ctx: click.Context, rec_id: int, for_: str, as_json: bool) -> None:
    """Hide a recommendation for a while; it returns when the time is up."""
    try:
        delta = parse_duration(for_)
    except click.BadParameter as exc:
        fail(f"--for: {exc.message}", USAGE)
    r = _transition(ctx, _engine().snooze, rec_id, as_json, delta=delta)
    if not as_json:
        console.print(f"💤 Snoozed #{r.id} until {r.snoozed_until:%Y-%m-%d %H:%M} UTC: {inert(r.title)}")


@recs.command("undo")
@click.argument("rec_id", type=int, metavar="ID")
@json_option
@click.pass_context
def recs_undo(ctx: click.Context, rec_id: int, as_json: bool) -> None:
    """Reverse the latest apply / dismiss / snooze of a recommendation."""
    r = _transition(ctx, _engine().undo, rec_id, as_json)
    if not as_json:
        console.print(f"↩️  #{r.id} is {r.status} again: {inert(r.title)}")


@recs.command("history")
@click.argument("rec_id", type=int, metavar="ID")
@json_option
@click.pass_context
def recs_history(ctx: click.Context, rec_id: int, as_json: bool) -> None:
    """Every state change of one recommendation."""
    engine = _engine()
    store = stored_store(ctx)
    try:
        r = engine.get(store, rec_id)
    except engine.RecNotFound as exc:
        fail(str(exc), BAD_INPUT)
    events = engine.history(store, rec_id)
    if as_json:
        print_json({"recommendation": rec_json(r, engine.utcnow()), "events": events})
        return
    from analytics.recommend.history_words import event_sentence

    console.print(f"[bold]#{r.id} {inert(r.title)}[/] — {r.status}")
    for e in events:
        said = event_sentence(e["action"], e.get("note"), e.get("to_status"), e.get("source"))
        console.print(fit(f"  {e['event_at']:%Y-%m-%d %H:%M:%S}  {inert(said)}"))


@recs.command("learning")
@host_option("What that host's dismissals taught (default: this machine's).")
@json_option
@click.pass_context
def recs_learning(ctx: click.Context, host: str | None, as_json: bool) -> None:
    """What dismissals taught on this host: per rule, dismissed / applied counts and the impact factor."""
    engine = _engine()
    where = f"host {inert(host)}" if host else "this host"
    host = host or get_config(ctx).host
    data = engine.learning(stored_store(ctx), host)
    if as_json:
        print_json({"host": host, "rules": data})
        return
    if not any(v.get("dismissed") or v.get("applied") for v in data.values()):
        console.print(
            f"Nothing learned yet: no recommendation has been dismissed or applied on {where} since the last reset."
        )
        return
    for rule, v in sorted(data.items()):
        reset = f"  (reset {v['reset_at']:%Y-%m-%d %H:%M})" if v.get("reset_at") else ""
        console.print(
            f"  {inert(rule):<28} dismissed {v.get('dismissed', 0):>3}  applied {v.get('applied', 0):>3}"
            f"  impact × {v.get('factor', 1.0):.2f}{reset}"
        )


@recs.command("reset-learning")
@click.argument("rule", required=False)
@json_option
@click.pass_context
def recs_reset_learning(ctx: click.Context, rule: str | None, as_json: bool) -> None:
    """Forget what dismissals taught (one RULE, e.g. maintenance.large_logs, or all). History is kept."""
    engine = _engine()
    config = get_config(ctx)
    before = engine.reset_learning(stored_store(ctx), config.host, rule)
    if as_json:
        print_json({"host": config.host, "rule": rule or "*", "reset": before})
        return
    what = rule or "every rule"
    n = sum(v.get("dismissed", 0) for v in before.values())
    console.print(
        f"Learning reset for {inert(what)} on {inert(config.host)} ({n} dismissal(s) forgotten; history kept)."
    )


# -- lokifi scan ------------------------------------------------------------------------------------


@click.command("scan")
@click.argument("paths", nargs=-1, type=click.Path())
@json_option
@click.pass_context
def scan(ctx: click.Context, paths: tuple[str, ...], as_json: bool) -> None:
    """Run every rule, the security scan included (detect-secrets, audit reports), and record its time.

    With PATHS: scan just those directories or files for secrets and vulnerable-dependency reports, print
    one finding per file and store nothing; exit 1 when something is found (for hooks and CI). The same
    rules apply: .gitignore, a .secrets.baseline, [recommendations] secret_excludes."""
    if paths:
        _scan_paths(ctx, paths, as_json)
        return
    engine = _engine()
    store, config = get_store(ctx), get_config(ctx)
    report = engine.refresh(store, config, security_scan=True)
    _problems(report.problems)
    now = report.now
    recs_now = engine.list_recs(store, config.host, now=now)
    if as_json:
        print_json(
            {
                "host": report.host,
                "scanned_at": now,
                "seconds": round(report.seconds, 3),
                "stats": report.stats,
                "summary": report.summary.__dict__,
                "problems": report.problems,
                "findings": len(report.findings),
                "open": [rec_json(r, now) for r in recs_now],
            }
        )
        return
    s = report.summary
    st = report.stats
    console.print(
        fit(
            f"🔎 Scanned {st.get('files_seen', 0):,} files in {len(config.watch.project_dirs) or 1} "
            f"project dir(s) in {report.seconds:.2f}s; "
            f"secret scanner read {st.get('secret_files_read', 0):,} "
            f"({st.get('secret_engine', '')} pre-filter, "
            f"{st.get('secret_lines_checked', 0):,} lines checked by detect-secrets)."
        )
    )
    console.print(
        fit(
            f"   {len(report.findings)} finding(s): {s.created} new, {s.reopened} reopened, {s.updated} updated, "
            f"{s.resolved} resolved, {s.still_dismissed} still dismissed. Security scan time recorded."
        )
    )
    console.print()
    for r in recs_now:
        print_rec(r, now)


def _scan_paths(ctx: click.Context, paths: tuple[str, ...], as_json: bool) -> None:
    import os

    from analytics.recommend.lifecycle import utcnow
    from analytics.recommend.security import scan_paths

    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        fail(f"{missing[0]}: no such file or directory")
    run = scan_paths(paths, get_config(ctx), utcnow())
    _problems(run.problems)
    found = sorted(run.findings, key=lambda f: (-f.severity, f.subject))
    if as_json:
        print_json(
            {
                "paths": list(paths),
                "stats": run.stats,
                "problems": run.problems,
                "findings": [
                    {
                        "rule": f.rule,
                        "file": f.subject,
                        "title": f.title,
                        "description": f.description,
                        "action": f.action,
                        "severity": f.severity,
                        "evidence": f.evidence,
                    }
                    for f in found
                ],
            }
        )
    else:
        st = run.stats
        console.print(
            f"🔎 Read {st.get('secret_files_read', 0):,} file(s) under {len(paths)} path(s); {len(found)} finding(s)."
        )
        for f in found:
            console.print(f"{ICONS.get(f.category, '💡')} [bold]{inert(f.title)}[/]")
            console.print(f"   {inert(f.description)}")
            console.print(f"   Action: {inert(f.action)}")
            console.print()
    if found:
        ctx.exit(1)
