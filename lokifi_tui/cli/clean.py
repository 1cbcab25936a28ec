"""``lokifi clean logs|temp``: the cleanups Lokifi owns, only inside the configured directories. The plan
and the work are :mod:`analytics.recommend.actions`; nothing runs on the user's behalf without a
confirmation (a terminal to ask on, or ``--yes``)."""

from __future__ import annotations

import click

from lokifi_tui.cli.context import get_config
from lokifi_tui.cli.options import json_option, yes_option
from lokifi_tui.cli.output import USAGE, console, err_console, fail, inert, print_json


@click.group("clean")
def clean() -> None:
    """Cleanups Lokifi owns, only inside the configured directories; each asks first: logs (compress and
    truncate large log files), temp (old temporary files)."""


def _run_clean(ctx: click.Context, kind: str, dry_run: bool, yes: bool, as_json: bool) -> None:
    from analytics.common.sizes import human_bytes
    from analytics.recommend import actions as cleanup

    config = get_config(ctx)
    try:
        plan = cleanup.plan_logs(config) if kind == "logs" else cleanup.plan_temp(config)
    except cleanup.NoScope as exc:
        fail(str(exc), USAGE)
    verb = "Compress and truncate" if kind == "logs" else "Remove"
    if as_json and (dry_run or not plan.steps):
        print_json(
            {
                "kind": kind,
                "dry_run": dry_run,
                "roots": plan.roots,
                "steps": [s.__dict__ for s in plan.steps],
                "skipped": plan.skipped,
                "total_bytes": plan.total_bytes,
            }
        )
        return
    if not as_json:
        console.print(f"Only inside: {', '.join(inert(r) for r in plan.roots)}")
        for p, why in plan.skipped:
            console.print(f"  [dim]skip {inert(p)}: {inert(why)}[/]")
    if not plan.steps:
        if not as_json:
            console.print(f"Nothing to clean ({kind}).")
        return
    if not as_json:
        for s in plan.steps:
            console.print(f"  {verb.lower()} {inert(s.path)} ({human_bytes(s.bytes)})")
        console.print(f"{len(plan.steps)} file(s), {human_bytes(plan.total_bytes)}.")
    if dry_run:
        console.print("[dim]--dry-run: nothing was changed.[/]")
        return
    if not yes:
        if not click.get_text_stream("stdin").isatty():
            fail(
                f"{verb} {len(plan.steps)} file(s)? Refusing without a terminal to ask on; pass --yes to confirm.",
                USAGE,
            )
        if not click.confirm(f"{verb} {len(plan.steps)} file(s) ({human_bytes(plan.total_bytes)})?", default=False):
            console.print("Nothing was changed.")
            return
    out = cleanup.run_plan(plan, config)
    if as_json:
        print_json(
            {
                "kind": kind,
                "done": [s.__dict__ for s in out.done],
                "failed": out.failed,
                "freed_bytes": out.freed_bytes,
                "archives": out.archives,
            }
        )
        return
    for a in out.archives:
        console.print(f"  archived → {inert(a)}")
    for p, why in out.failed:
        err_console.print(f"[yellow]not done:[/] {inert(p)}: {inert(why)}")
    console.print(
        f"✅ {len(out.done)} file(s) done, {human_bytes(out.freed_bytes)} freed. "
        "Run `lokifi ai recommendations` to update the queue."
    )


def _cleanup_options(f):
    """What every cleanup takes: ``--dry-run``, ``--yes`` and ``--json`` (in this order in its help)."""
    dry_run = click.option("--dry-run", is_flag=True, help="Show what would be done and stop.")
    return dry_run(yes_option(json_option(f)))


@clean.command("logs")
@_cleanup_options
@click.pass_context
def clean_logs(ctx: click.Context, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Compress (gzip beside it) and truncate log files larger than [recommendations] large_log_mb."""
    _run_clean(ctx, "logs", dry_run, yes, as_json)


@clean.command("temp")
@_cleanup_options
@click.pass_context
def clean_temp(ctx: click.Context, dry_run: bool, yes: bool, as_json: bool) -> None:
    """Remove temp files (*.tmp, *.swp, *~ ...) older than [recommendations] temp_min_age_hours."""
    _run_clean(ctx, "temp", dry_run, yes, as_json)
