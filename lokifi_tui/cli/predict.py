"""Predictive maintenance commands: ``lokifi anomalies detect``, ``lokifi baselines``, ``lokifi ai predict``.

``anomalies detect`` is the harness interface of ``shared/eval/nab_score.py``: CSV ``timestamp,value``
on stdin (or a FILE), one alarm timestamp per line on stdout (``--json``: one document with each alarm's
value, line and score, and the notes on the input). It needs no database.
"""

from __future__ import annotations

import math
import sys

import click

from lokifi_tui.cli.options import component_option, host_option, json_option
from lokifi_tui.cli.output import (
    BAD_INPUT,
    STORE,
    USAGE,
    console,
    fail,
    fit,
    inert,
    print_json,
    wrapped,
)

SEVERITY_STYLE = {"HIGH": "bold red", "MEDIUM": "yellow", "LOW": "cyan"}


@click.group("anomalies")
def anomalies() -> None:
    """Streaming anomaly detection (the detector the predictions use): detect. A stored series:
    `lokifi db export COMPONENT METRIC | lokifi anomalies detect`."""


@anomalies.command("detect")
@click.argument("input_path", required=False, default="-", metavar="[FILE]")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print JSON for scripts: the rows read, the notes on the input, and each alarm's timestamp, value, "
    "line, score and kind (spike or sustained, with rise_sd).",
)
def _anomalies_detect(input_path: str, as_json: bool) -> None:
    """Read CSV timestamp,value (FILE or stdin); print one alarm timestamp per line (ISO 8601 UTC,
    `...Z`). The CSV is read as `lokifi forecast series` reads it: notes on stderr (and in --json) on
    repeated timestamps, missing values, gaps and time going back, and a few malformed rows (up to 1%)
    skipped. An empty file, or a header alone, is refused (exit 3). One series a run: for a folder, run
    it on each file.

    Each decision uses only the rows before it (a streaming detector): robust level and daily-profile
    surprise, Numenta-style anomaly likelihood, a decaying novelty record and suppression after an alarm.
    An alarm's score in --json is its row's surprise: a robust z-score, the smallest of the recent
    level's, the daily profile's and the weekly model's, at most 10; its kind says why it rang: "spike"
    (one row far from normal) or "sustained" (the last rows' mean surprise rose above its own recent
    history, by rise_sd standard deviations; a row of such a run may itself be only mildly unusual).
    """
    from analytics.common.epoch_time import utc_iso
    from analytics.common.series_csv import SeriesInputError, read_series_csv
    from analytics.predict.detect import detect_scored
    from lokifi_tui.cli.series_input import print_notes, read_series

    source, data = read_series(input_path, "lokifi anomalies detect")
    try:
        series = read_series_csv(data, source)
        alarms = detect_scored(series.axis, series.values)
    except SeriesInputError as exc:
        fail(str(exc), BAD_INPUT)
    print_notes(series.notes)
    if not as_json:
        sys.stdout.write("".join(utc_iso(series.times[a[0]]) + "\n" for a in alarms))
        return
    print_json(
        {
            "rows": len(series.values),
            "notes": list(series.notes),
            "alarms": [
                {
                    "timestamp": utc_iso(series.times[i]),
                    "value": float(series.values[i]),
                    "line": int(series.lines[i]),
                    "score": score if math.isfinite(score) else None,
                    "kind": kind,
                    "rise_sd": round(rise, 3) if math.isfinite(rise) else None,
                }
                for i, score, kind, rise in alarms
            ],
        }
    )


def _store_errors():
    from analytics.store.database import StoreError

    return StoreError


@click.command("baselines")
@component_option()
@host_option("Only this host's baselines (each host has its own).")
@json_option
@click.pass_context
def baselines(ctx: click.Context, component: str | None, host: str | None, as_json: bool) -> None:
    """Performance baselines per host, component and metric (mean, std, median, MAD, period).

    The --json rows carry their host, so with --host every row shows the filter."""
    from analytics.predict import baselines as B
    from lokifi_tui.cli.context import stored_store

    store = stored_store(ctx)
    StoreError = _store_errors()
    cond = " AND ".join(c for c, v in (("component = ?", component), ("host = ?", host)) if v)
    try:
        with store.shared():  # updated, listed (or the rows counted when there is none): the file opened once
            B.update(store)
            rows = B.list_baselines(store, component=component, host=host)
            stored = None
            if not rows and not as_json:
                stored = store.scalar(
                    "SELECT count(*) FROM metrics" + (f" WHERE {cond}" if cond else ""),
                    [v for v in (component, host) if v],
                )
    except StoreError as exc:
        fail(str(exc), STORE)
    if as_json:
        print_json(rows)
        return
    if not rows:
        scope = (f" for component {inert(component)}" if component else "") + (
            f" from host {inert(host)}" if host else ""
        )
        if stored:  # rows, but no complete hour of them yet: a baseline is over whole hours
            console.print(
                f"No baselines yet{scope}: {stored:,} metric rows are stored, none in a complete hour of the "
                f"last {B.BASELINE_DAYS} days (a baseline is made of whole hours: the first appears when an hour "
                "of readings has ended)."
            )
        else:
            console.print(f"No baselines yet: no metrics in the store{scope}.")
        return
    from rich.table import Table

    t = Table(title="Performance baselines" + (f" of host {inert(host)}" if host else ""), title_justify="left")
    for col in ("host", "component", "metric", "mean", "std", "median", "MAD", "samples", "period"):
        t.add_column(col, justify="right" if col in ("mean", "std", "median", "MAD", "samples") else "left")
    for r in rows:
        period = "-"
        if r.get("period_start"):
            period = f"{r['period_start']:%Y-%m-%d %H:%M} – {r['period_end']:%Y-%m-%d %H:%M}"
        t.add_row(
            inert(r["host"]),
            inert(r["component"]),
            inert(r["metric"]),
            _num(r["mean"]),
            _num(r["std"]),
            _num(r.get("median")),
            _num(r.get("mad")),
            str(r["samples"]),
            period,
        )
    console.print(t)


def _num(x) -> str:
    if x is None:
        return "-"
    ax = abs(x)
    return f"{x:,.0f}" if ax >= 1000 else f"{x:.2f}" if ax >= 1 else f"{x:.4g}"


@click.command("predict")
@click.option("--hours", type=click.IntRange(1, 24 * 30), default=None, help="Prediction horizon (default 24).")
@click.option(
    "--sensitivity",
    type=click.Choice(["conservative", "moderate", "aggressive"]),
    default=None,
    help="Degradation rule: max > 3x / 2x / 1.5x the average.",
)
@component_option()
@host_option(
    "Only this host: its rules and detector run over its own rows, and the rule precision shown "
    "is that of its predictions."
)
@json_option
@click.pass_context
def ai_predict(
    ctx: click.Context,
    hours: int | None,
    sensitivity: str | None,
    component: str | None,
    host: str | None,
    as_json: bool,
) -> None:
    """Predictive maintenance: the built-in rules and the anomaly detector over the last 7 days, each
    prediction stored and later scored; confidence is each rule's measured hit rate on this host
    (its posterior mean: n hits of n never reads 100%). Each prediction's texts are printed as its alert
    sends them: redacted with the [ai] settings."""
    from analytics.alerts.deliver import sent_texts
    from analytics.predict import predictions as PR
    from analytics.predict.confidence import label as confidence_label
    from analytics.rca.redact import Redactor
    from lokifi_tui.cli.context import get_config, stored_store

    cfg = get_config(ctx)
    pc = cfg.predictions
    hours = hours if hours is not None else int(pc.horizon_hours)
    sensitivity = sensitivity or pc.sensitivity
    if sensitivity not in PR.SENSITIVITY:
        fail(
            f"unknown sensitivity {sensitivity!r} (config [predictions]); use conservative, moderate or aggressive",
            USAGE,
        )
    store = stored_store(ctx)
    StoreError = _store_errors()
    try:
        with store.shared():  # scored, refreshed, the rules' stats read: the file opened once
            PR.score_due(store)
            result = PR.refresh(
                store,
                hours=hours,
                sensitivity=sensitivity,
                component=component,
                host=host,
                window_days=pc.window_days,
                slow_ms=pc.slow_response_ms,
                recurring=pc.recurring_error_count,
            )
            stats = PR.rule_stats(store, host=host)
    except StoreError as exc:
        fail(str(exc), STORE)
    if as_json:
        print_json(
            {
                "hours": hours,
                "sensitivity": sensitivity,
                "host": host,
                "now": result.now,
                "predictions": [{**p.to_dict(), "summary": _summary(p)} for p in result.predictions],
                "rules": stats,
            }
        )
        return
    console.print("[bold]Predictive maintenance analysis[/]" + (f" of host {inert(host)}" if host else ""))
    console.print(
        wrapped(
            "", f"last {pc.window_days} days to {result.now:%Y-%m-%d %H:%M} UTC, horizon {hours} h, {sensitivity}", 2
        )
    )
    preds = result.predictions
    if not preds:
        scope = ", ".join(f"{k} {inert(v)}" for k, v in (("host", host), ("component", component)) if v)
        console.print("\n[green]No issues predicted.[/]" + (f" ({scope})" if scope else ""))
    else:
        console.print(f"\nPredicted issues ({len(preds)}):")
        redactor = Redactor.for_config(cfg)
        # a fleet store: say whose each one is (several hosts, or one that is not this machine), unless the
        # title names the one host asked for
        many_hosts = not host and (len({p.host for p in preds}) > 1 or any(p.host not in ("", cfg.host) for p in preds))
        for p in preds:
            style = SEVERITY_STYLE.get(p.severity, "")
            conf = f"{p.confidence * 100:.0f}% ({confidence_label(p.confidence_kind, p.confidence_n)})"
            console.print(
                f"\n[{style}][{p.severity}][/] {inert(p.type)} - {inert(p.component)}"
                + (f" on {inert(p.host or '(all hosts)')}" if many_hosts else "")
                + (f" [dim]({inert(p.metric)})[/]" if p.metric else "")
            )
            sent = sent_texts(p, redactor)  # what an alert sends of it, redacted: shown as it leaves
            console.print(wrapped("Message:", sent.message))
            if sent.summary != sent.message:  # the pattern's own words and count, the figures behind the rule
                console.print(wrapped("Summary:", sent.summary))
            for i, line in enumerate(sent.context):  # the key, the query that failed
                console.print(wrapped("With it:", line) if i == 0 else wrapped("", line, 12))
            console.print(f"   Confidence: {conf}")
            console.print(wrapped("Recommendation:", sent.recommendation))
    console.print(
        f"\n[bold]How right each rule has been{' on host ' + inert(host) if host else ''}[/] (its scored predictions):"
    )
    if not stats:
        console.print("  nothing scored yet: predictions are scored when their horizon has passed")
    for r in stats:
        prec = "-" if r["precision"] is None else f"{r['precision'] * 100:.0f}%"
        lead = "-" if r["mean_lead_hours"] is None else f"{r['mean_lead_hours']:.1f} h"
        console.print(
            fit(
                f"  {inert(r['rule'])}: precision {prec} ({r['hits']} of {r['scored']}), "
                f"false alarms {r['false_alarms']}, mean lead time {lead}, pending {r['pending']}"
            )
        )


def _summary(p) -> str:
    """What the dashboard's row says of a prediction (:func:`analytics.predict.brief.prediction_brief`):
    two recurring patterns of one component are told apart by their own words."""
    from analytics.predict.brief import prediction_brief

    return prediction_brief(p.type, p.component, p.message, p.evidence)
