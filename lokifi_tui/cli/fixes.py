"""Fix commands: fix suggest/record, ai autofix (the fixes worth applying now) and ai learn (how often each
kind of fix worked), all counted from the store.

The engine is analytics.patterns (learning, confidence, playbooks, learning_stats, solution_accuracy); this
module only parses options and prints, every piece of data text through ``output.inert``.
"""

from __future__ import annotations

import click

from lokifi_tui.cli.options import host_option, json_option

THRESHOLDS = ("0.5", "0.7", "0.9")


def _threshold(ctx: click.Context, value: str | None) -> float:
    if value is not None:
        return float(value)
    from lokifi_tui.cli.context import get_config

    t = float(get_config(ctx).patterns.suggest_threshold)
    return t


# -- lokifi fix -----------------------------------------------------------------------------------------


@click.group("fix")
def fix() -> None:
    """Fix suggestions and outcomes: suggest, record."""


@fix.command("suggest")
@click.argument("message")
@click.option(
    "--threshold",
    type=click.Choice(THRESHOLDS),
    default=None,
    help="Confidence a learned solution needs to replace the playbook (0.5, 0.7 or 0.9; default from config).",
)
@json_option
@click.pass_context
def fix_suggest(ctx: click.Context, message: str, threshold: str | None, as_json: bool) -> None:
    """Suggest a fix for an error MESSAGE: the learned solution if confident enough, else the playbook."""
    from analytics.patterns.learning import suggest
    from lokifi_tui.cli.context import stored_store
    from lokifi_tui.cli.output import console, inert, print_json

    if not message.strip():
        from lokifi_tui.cli.output import BAD_INPUT, fail

        fail("the error message is empty; pass the text of the error in quotes", BAD_INPUT)
    th = _threshold(ctx, threshold)
    s = suggest(stored_store(ctx), message, threshold=th)
    if as_json:
        print_json(s.as_dict())
        return
    _print_suggestion(s, console, inert)


def _print_suggestion(s, console, inert) -> None:
    from lokifi_tui.cli.output import fit

    console.print(fit(f"   Error: {inert(s.message, 200)}"))
    console.print(
        f"   Pattern: {s.error_hash[:12]}  Type: {s.error_type}"
        + (f"  (seen {s.occurrences:,}x)" if s.known else "  (new pattern)")
    )
    console.print(
        f"   Confidence: {inert(s.confidence.describe())}" + ("  [green]auto-approved[/]" if s.auto_approved else "")
    )
    label = "Learned solution" if s.source == "learned" else "Playbook"
    console.print(f"   {label}:")
    for i, step in enumerate(s.steps, 1):
        console.print(fit(f"   {i}) {inert(step.lstrip('0123456789) ').strip() or step, 300)}"))
    if s.source == "playbook" and s.known and s.confidence.outcomes:
        if s.confidence.confidence > s.threshold:
            # above the threshold yet no learned solution: the outcomes were recorded for the playbook itself
            console.print(
                "   [dim]the recorded outcomes are for this playbook (the pattern has no solution of "
                "its own yet; `lokifi fix record PATTERN --solution ...` adds one)[/]"
            )
        else:
            console.print(f"   [dim]learned solution below the {s.threshold:.0%} threshold; showing the playbook[/]")


@fix.command("record")
@click.argument("pattern")
@click.option("--worked/--failed", "worked", default=None, help="Whether the fix worked.")
@click.option("--solution", default=None, help="The fix that was applied (a new solution version if it changed).")
@click.option("--time-ms", "time_ms", type=click.IntRange(min=0), default=None, help="How long the fix took.")
@click.option("--note", default=None)
@json_option
@click.pass_context
def fix_record(
    ctx: click.Context,
    pattern: str,
    worked: bool | None,
    solution: str | None,
    time_ms: int | None,
    note: str | None,
    as_json: bool,
) -> None:
    """Record that the fix for PATTERN (an id from `patterns list`, or the error message) worked or failed."""
    from analytics.patterns.learning import PatternNotFound, record_outcome
    from lokifi_tui.cli.context import get_config, stored_store
    from lokifi_tui.cli.output import BAD_INPUT, USAGE, console, fail, fit, inert, print_json

    if worked is None:
        fail("say whether the fix worked: --worked or --failed", USAGE)
    cfg = get_config(ctx).patterns
    store = stored_store(ctx)
    try:
        with store.shared():  # the pattern found, the outcome stored and read back: the file opened once
            p = record_outcome(
                store,
                pattern,
                worked,
                solution=solution,
                execution_time_ms=time_ms,
                note=note,
                min_confidence=cfg.auto_approve_confidence,
                min_samples=cfg.auto_approve_min_samples,
            )
    except PatternNotFound as exc:
        fail(str(exc), BAD_INPUT)
    except ValueError as exc:
        fail(str(exc), BAD_INPUT)
    if as_json:
        print_json({k: v for k, v in p.items() if k not in ("samples",)})
        return
    from analytics.patterns.confidence import assess

    c = assess(p["success_count"] or 0, p["failure_count"] or 0)
    console.print(
        f"Recorded: fix for {p['error_hash'][:12]} {'worked' if worked else 'failed'} (solution v{p['version']})."
    )
    console.print(
        fit(
            f"Confidence now {inert(c.describe())}"
            + ("; [green]auto-approved[/]" if p["auto_approved"] else "; not auto-approved")
            + f" (needs >= {cfg.auto_approve_min_samples} outcomes and >= {cfg.auto_approve_confidence:.0%})."
        )
    )


# -- lokifi ai autofix / learn --------------------------------------------------------------------------


@click.command("autofix")
@click.option(
    "--threshold",
    type=click.Choice(THRESHOLDS),
    default=None,
    help="Confidence a learned solution needs (0.5, 0.7 or 0.9; default from config).",
)
@click.option("--limit", type=click.IntRange(min=1), default=5, show_default=True, help="Patterns to show.")
@host_option("Only the most recent patterns seen on this host (its stored error events).")
@json_option
@click.pass_context
def ai_autofix(ctx: click.Context, threshold: str | None, limit: int, host: str | None, as_json: bool) -> None:
    """Intelligent auto-fix: fix suggestions for the most recent learned patterns.

    Nothing is executed: each suggestion says where it comes from (a learned solution with its measured
    confidence, or the built-in playbook) and whether it is auto-approved.
    """
    from analytics.patterns.learning import list_patterns, suggest
    from lokifi_tui.cli.context import stored_store
    from lokifi_tui.cli.output import console, inert, print_json

    store = stored_store(ctx)
    th = _threshold(ctx, threshold)
    with store.shared():  # the patterns and a suggestion for each: the file opened once
        df = list_patterns(store, limit=limit, order="last_seen", host=host)
        sugg = [suggest(store, m, threshold=th) for m in df["error_message"].to_list()] if df.height else []
    if as_json:
        print_json([{**s.as_dict(), **({"host": host} if host else {})} for s in sugg])
        return
    on_host = f" — patterns seen on host {inert(host)}" if host else ""
    console.print("[bold]Intelligent Auto-Fix System[/]" + on_host + "\n")
    if not sugg and host:
        console.print(f"No learned pattern has stored error events from host {inert(host)}.")
        return
    if not sugg:
        console.print(
            'No error patterns learned yet. Record one with `lokifi error record "message" -c COMPONENT`,\n'
            "or run `lokifi collect` to learn from your logs and probes."
        )
        return
    for s in sugg:
        _print_suggestion(s, console, inert)
        if s.confidence.successes:
            console.print(
                f"   [dim]this pattern's fix has worked {s.confidence.successes} of {s.confidence.outcomes} times[/]"
            )
        console.print()
    console.print("Record the outcome of a fix: lokifi fix record PATTERN --worked|--failed [--solution TEXT]")


@click.command("learn")
@json_option
@click.pass_context
def ai_learn(ctx: click.Context, as_json: bool) -> None:
    """Learning statistics and how often each kind of fix worked (model, playbook, hand-written), all counted
    from the store."""
    from lokifi_tui.cli.context import get_config, stored_store
    from lokifi_tui.cli.learning_report import show_learning

    show_learning(stored_store(ctx), get_config(ctx), as_json=as_json)
