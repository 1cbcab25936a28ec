"""``lokifi ai status|analyze|preview|cache``: AI root-cause analysis from the command line.

Thin faces over :mod:`analytics.rca`: ``status`` says what is configured and whether it answers,
``analyze`` runs :func:`analytics.rca.analyze.analyze_pattern` (Ctrl-C cancels it cleanly),
``preview`` prints exactly what would be sent, ``cache stats|clean`` manage the answer cache.
Model text is data: it is printed inert (no markup, no escape codes) and suggested commands are
never run.
"""

from __future__ import annotations

import threading
from typing import Any

import click

from lokifi_tui.cli.context import get_config, stored_store
from lokifi_tui.cli.options import json_option
from lokifi_tui.cli.output import (
    BAD_INPUT,
    UNAVAILABLE,
    console,
    err_console,
    fail,
    fit,
    inert,
    json_text,
    print_json,
    prose,
)

CANCELLED = 130


def _money(x: float | None, source: str = "") -> str:
    from lokifi_tui.cli.solution_report import money

    return money(x, source, unknown="no price for this model: add it")


def _resolve(store: Any, ref: str) -> str:
    """A pattern reference (hash, hash prefix, or a recorded message) to its hash."""
    try:
        from analytics.patterns.learning import PatternNotFound as Missing, resolve
    except ImportError:  # pragma: no cover - the patterns engine is part of the product
        from analytics.rca.prompt import PatternNotFound as Missing, resolve_pattern as resolve
    try:
        return resolve(store, ref)
    except Missing as exc:
        fail(str(exc), BAD_INPUT)
    except LookupError as exc:
        fail(str(exc), BAD_INPUT)


# --- status ---------------------------------------------------------------------------------------
@click.command("status")
@click.option("--no-check", is_flag=True, help="Only show the configuration; do not contact the endpoint.")
@json_option
@click.pass_context
def ai_status(ctx: click.Context, no_check: bool, as_json: bool) -> None:
    """What AI endpoint and model are configured, and whether they answer (spends no tokens)."""
    from analytics.rca import cache as cache_mod, ledger
    from analytics.rca.client import check_status, endpoint_from_config, shown_url

    store = stored_store(ctx)  # before the endpoint is asked: a --db naming no file is refused at once
    cfg = get_config(ctx)
    ai = cfg.ai
    endpoint = endpoint_from_config(ai)
    if no_check or not endpoint.configured:
        from analytics.rca.client import StatusReport

        report = StatusReport(
            endpoint.configured,
            endpoint.base_url,
            endpoint.model,
            endpoint.key_source,
            None,
            "not_configured" if not endpoint.configured else "not_checked",
            endpoint.reason or ("not checked (--no-check)" if endpoint.configured else ""),
        )
    else:
        report = check_status(endpoint)
    price = ledger.price_for(ai.prices, endpoint.model, endpoint.base_url)
    stats = cache_mod.stats(store)
    spent = ledger.summary(store)
    data = {
        "configured": report.configured,
        "status": report.status,
        "message": report.message,
        "base_url": shown_url(report.base_url),
        "model": report.model,
        "key_source": report.key_source,
        "reachable": report.reachable,
        "latency_ms": report.latency_ms,
        "model_listed": report.model_listed,
        "timeout": endpoint.timeout,
        "max_retries": endpoint.max_retries,
        "response_format": endpoint.response_format,
        "cache_ttl_days": ai.cache_ttl_days,
        "redact_ips": ai.redact_ips,
        "redact_hostnames": ai.redact_hostnames,
        "price": None
        if price is None
        else {"input_per_1m": price.input_per_m, "output_per_1m": price.output_per_m, "source": price.source},
        "cache": {"entries": stats.entries, "hit_rate": stats.hit_rate, "tokens_saved": stats.tokens_saved},
        "ledger": {
            "diagnoses": spent.diagnoses,
            "model_calls": spent.model_calls,
            "cost": spent.cost,
            "cost_per_diagnosis": spent.cost_per_diagnosis,
        },
    }
    if as_json:
        print_json(data)
    else:
        mark = {"ok": "[green]✓[/]", "not_configured": "[yellow]–[/]", "not_checked": "[yellow]?[/]"}.get(
            report.status, "[red]✗[/]"
        )
        if not report.configured:
            console.print(fit(f"{mark} AI root-cause analysis: [bold]offline[/] — {inert(report.message)}"))
            console.print(
                fit(
                    "  Analyses fall back to the built-in playbooks. To use a model, set \\[ai] base_url "
                    "and model in the config (or export OPENAI_API_KEY for OpenAI)."
                )
            )
        else:
            console.print(
                fit(
                    f"{mark} {inert(report.model)} @ {inert(shown_url(report.base_url))}: {inert(report.message)}"
                    + (f" ({report.latency_ms} ms)" if report.latency_ms is not None else "")
                )
            )
            console.print(
                fit(
                    f"  API key: {inert(report.key_source)}   timeout {endpoint.timeout:g}s, "
                    f"{endpoint.max_retries} retries, structured output: {inert(endpoint.response_format)}"
                )
            )
        if price is not None:
            console.print(
                f"  price: ${price.input_per_m:g} in / ${price.output_per_m:g} out per 1M tokens ({price.source})"
            )
        elif report.configured:
            console.print(f"  price: unknown for {inert(endpoint.model)} (add it under \\[ai.prices])")
        red = ", ".join(
            ["secrets", "e-mails"]
            + (["IPs"] if ai.redact_ips else [])
            + (["host names"] if ai.redact_hostnames else [])
        )
        console.print(f"  redacted before sending: {red}")
        rate = "n/a" if stats.hit_rate is None else f"{stats.hit_rate:.0%}"
        console.print(
            fit(
                f"  cache: {stats.entries} entries, hit rate {rate}, {stats.tokens_saved:,} tokens saved; "
                f"TTL {ai.cache_ttl_days} days"
            )
        )
        per = "n/a" if spent.cost_per_diagnosis is None else _money(spent.cost_per_diagnosis)
        console.print(
            fit(
                f"  spent: {spent.model_calls} model calls, {spent.prompt_tokens + spent.completion_tokens:,} "
                f"tokens, ${spent.cost:.4f}; cost per diagnosis {per}"
            )
        )
    if report.status not in ("ok", "not_checked", "not_configured"):
        raise SystemExit(UNAVAILABLE)


# --- analyze --------------------------------------------------------------------------------------
def _run_with_cancel(fn: Any, show_progress: bool) -> Any:
    """Run ``fn(cancel, progress)`` in a thread so Ctrl-C cancels it instead of killing it mid-write."""
    cancel = threading.Event()
    box: dict[str, Any] = {}
    status_cm = err_console.status("starting…") if show_progress else None

    def progress(p: Any) -> None:
        if status_cm is not None:
            status_cm.update(inert(p.message, 100))

    def run() -> None:
        try:
            box["result"] = fn(cancel, progress)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the calling thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="lokifi-ai-analyze", daemon=True)
    if status_cm is not None:
        status_cm.start()
    try:
        worker.start()
        while worker.is_alive():
            try:
                worker.join(0.1)
            except KeyboardInterrupt:
                cancel.set()
                err_console.print("cancelling…")
    finally:
        if status_cm is not None:
            status_cm.stop()
    if "error" in box:
        raise box["error"]
    return box["result"]


def _print_result(r: Any) -> None:
    head = f"[bold]{inert(r.error_hash[:12])}[/] {inert(r.error_type)} in {inert(r.component)}"
    console.print(head)
    if r.answer is not None:
        a = r.answer
        for heading, body in (
            ("[bold]Analysis[/]", a.analysis),
            (f"[bold]Probable root cause[/] (model confidence {a.confidence:.0%})", a.probable_root_cause),
            ("[bold]Reasoning[/]", a.reasoning),
        ):
            console.print(f"\n{heading}")
            for line in prose(body):  # the model's paragraphs, wrapped at words
                console.print(line)
        if a.recommended_commands:
            console.print("\n[bold]Suggested commands[/] [dim](not run — review before running)[/]")
            for i, cmd in enumerate(a.recommended_commands, 1):
                console.print(f"  {i}) {inert(cmd)}")
        if r.candidate_solution:
            console.print()
            console.print(
                fit(
                    "[cyan]These commands are now the pattern's candidate solution (not approved: "
                    "record outcomes with `lokifi fix record`).[/]"
                )
            )
        console.print()
        if r.from_cache:
            console.print(
                fit(
                    f"[green]cache hit[/]: 0 tokens, $0 — {inert(r.message)}; "
                    f"saved {r.tokens_saved if r.tokens_saved is not None else '?'} tokens; "
                    f"expires {r.expires_at:%Y-%m-%d}"
                )
            )
        else:
            tokens = (
                "not reported by the server"
                if r.tokens is None
                else f"{r.tokens:,} ({r.prompt_tokens:,} in, {r.completion_tokens:,} out)"
            )
            console.print(
                fit(
                    f"model {inert(r.model)}: {r.response_ms / 1000:.1f}s, {r.attempts} call(s), "
                    f"tokens {tokens}, cost {_money(r.cost, r.price_source)}"
                )
            )
    else:
        colour = "yellow" if r.status in ("not_configured", "cancelled") else "red"
        console.print()
        console.print(fit(f"[{colour}]{inert(r.status_text)}[/]: {inert(r.message)}"))
        if r.excerpt:
            console.print(f"[dim]the answer began:[/] {inert(r.excerpt, 300)}")
        fb = r.fallback
        if fb is not None:
            if fb.steps:
                console.print(f"\n[bold]{inert(fb.title)}[/] [dim]({inert(fb.source)})[/]")
                for i, step in enumerate(fb.steps, 1):
                    console.print(fit(f"  {i}) {inert(step)}"))  # commands in backticks stay whole
            else:
                console.print(f"\n{inert(fb.title)}")
            if fb.learned:
                console.print(f"\n[bold]The pattern's current solution[/] [dim]({inert(fb.learned_record)})[/]")
                for i, step in enumerate(fb.learned, 1):
                    console.print(f"  {i}) {inert(step)}")
    if r.redactions:
        removed = ", ".join(f"{n} {k}" for k, n in sorted(r.redactions.items()))
        console.print(f"[dim]redacted before sending: {inert(removed)}[/]")


@click.command("analyze")
@click.argument("pattern")
@click.option("--force", is_flag=True, help="Ask the model even if a cached answer exists (replaces it).")
@json_option
@click.pass_context
def ai_analyze(ctx: click.Context, pattern: str, force: bool, as_json: bool) -> None:
    """Explain an error PATTERN (its id/hash, a unique prefix, or a recorded message) with the model.

    Falls back to the built-in playbook when no model is configured or the model fails.
    """
    from analytics.rca.analyze import analyze_pattern

    cfg = get_config(ctx)
    store = stored_store(ctx)
    error_hash = _resolve(store, pattern)
    show = not as_json and err_console.is_terminal
    result = _run_with_cancel(
        lambda cancel, progress: analyze_pattern(store, cfg, error_hash, force=force, cancel=cancel, progress=progress),
        show,
    )
    if as_json:
        print_json(result.to_dict())
    else:
        _print_result(result)
    if result.status == "cancelled":
        raise SystemExit(CANCELLED)
    if result.status == "no_pattern":
        raise SystemExit(BAD_INPUT)
    if not result.ok:
        raise SystemExit(UNAVAILABLE)


# --- preview --------------------------------------------------------------------------------------
@click.command("preview")
@click.argument("pattern")
@json_option
@click.pass_context
def ai_preview(ctx: click.Context, pattern: str, as_json: bool) -> None:
    """Print exactly what `ai analyze PATTERN` would send (after redaction). Sends nothing."""
    from analytics.rca.analyze import preview_pattern
    from analytics.rca.cache import input_hash
    from analytics.rca.client import shown_url
    from analytics.rca.prompt import PROMPT_VERSION

    cfg = get_config(ctx)
    store = stored_store(ctx)
    error_hash = _resolve(store, pattern)
    rin, endpoint, params = preview_pattern(store, cfg, error_hash)
    key = input_hash(endpoint.model, rin.messages, PROMPT_VERSION)
    url = shown_url(endpoint.base_url, "/chat/completions") if endpoint.base_url else ""
    if as_json:
        print_json(
            {
                "endpoint": shown_url(endpoint.base_url) or None,
                "configured": endpoint.configured,
                "url": url or None,
                "body": params,
                "redactions": rin.redactions,
                "input_hash": key,
            }
        )
        return
    where = (
        f"POST {url}"
        if endpoint.configured
        else f"nothing would be sent: {endpoint.reason or 'no model configured'} (the playbook would be shown)"
    )
    console.print(f"[bold]{inert(where)}[/]")
    removed = ", ".join(f"{n} {k}" for k, n in sorted(rin.redactions.items())) or "nothing"
    console.print(f"[dim]redacted: {inert(removed)}; cache key {key[:16]}…[/]")
    console.print("[dim]request body (JSON, exactly as sent; the API key goes in a header and is not shown):[/]")
    # the JSON text itself, printed without markup interpretation: what you see is what is sent
    for line in json_text(params).splitlines():
        console.print(inert(line), soft_wrap=True)


# --- cache ----------------------------------------------------------------------------------------
@click.group("cache")
def ai_cache() -> None:
    """The AI answer cache: stats, clean."""


@ai_cache.command("stats")
@json_option
@click.pass_context
def _ai_cache_stats(ctx: click.Context, as_json: bool) -> None:
    """Entries, hit rate, tokens and money saved, and what was spent."""
    from analytics.patterns.solution_accuracy import solution_accuracy
    from analytics.rca import cache as cache_mod, ledger
    from lokifi_tui.cli.solution_report import print_accuracy, print_fix_cost

    store = stored_store(ctx)
    s = cache_mod.stats(store)
    spent = ledger.summary(store)
    sa = solution_accuracy(store, min_samples=get_config(ctx).patterns.auto_approve_min_samples)
    if as_json:
        print_json(
            {
                **s.__dict__,
                "diagnoses": spent.diagnoses,
                "model_calls": spent.model_calls,
                "cost_per_diagnosis": spent.cost_per_diagnosis,
                "fix_cost": sa.cost.as_dict(),
                "solution_accuracy": sa.as_dict(),
            }
        )
        return
    rate = "n/a (no analyses yet)" if s.hit_rate is None else f"{s.hit_rate:.1%} ({s.hits} hits, {s.misses} misses)"
    console.print(
        f"entries: {s.entries} live" + (f", {s.expired} expired (run `lokifi ai cache clean`)" if s.expired else "")
    )
    console.print(f"hit rate: {rate}")
    console.print(f"saved: {s.tokens_saved:,} tokens, ${s.cost_saved:.4f}")
    console.print(f"spent: {s.tokens_spent:,} tokens, ${s.cost_spent:.4f} over {spent.model_calls} model calls")
    per = "n/a" if spent.cost_per_diagnosis is None else _money(spent.cost_per_diagnosis)
    console.print(f"cost per diagnosis: {per}")
    print_fix_cost(console, sa.cost)
    if s.oldest:
        console.print(f"oldest entry {s.oldest:%Y-%m-%d}, newest {s.newest:%Y-%m-%d}")
    console.print()
    print_accuracy(console, sa, inert)


@ai_cache.command("clean")
@json_option
@click.pass_context
def _ai_cache_clean(ctx: click.Context, as_json: bool) -> None:
    """Delete expired cache entries."""
    from analytics.rca import cache as cache_mod

    n = cache_mod.clean(stored_store(ctx))
    if as_json:
        print_json({"deleted": n})
    else:
        console.print(f"deleted {n} expired entr{'y' if n == 1 else 'ies'}")
