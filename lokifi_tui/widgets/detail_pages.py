"""The pages of the detail screen (:mod:`lokifi_tui.screens.details`): a pattern, a recommendation, a
prediction and a component, each rendered for people — numbers with units and sensible precision, absent
values left out, evidence as sentences and small tables — and the root-cause section of a pattern's page.
Every piece of stored text goes through :func:`lokifi_tui.widgets.safe.clean` (no markup or escapes obeyed).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from analytics.patterns.multiline import context_lines
from analytics.predict.confidence import label as confidence_label
from analytics.predict.rules import DEVIATION_MEANS
from lokifi_tui.widgets import humanize
from lokifi_tui.widgets.render import (
    COLOUR_STYLE,
    SEVERITY_STYLE,
    TREND_ARROW,
    ago,
    confidence_bar,
    history_and_forecast,
    number,
    priority,
    spark,
)
from lokifi_tui.widgets.safe import clean, safe


def _kv(rows: list[tuple[str, Text | str]]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for k, v in rows:
        table.add_row(Text(k), v if isinstance(v, Text) else safe(v, single_line=False))
    return table


def _section(title: str) -> Text:
    return Text(f"\n{title}", style="bold underline")


def _when(value: dt.datetime | None) -> str:
    return "—" if value is None else value.strftime("%Y-%m-%d %H:%M")


def _playbook_note(error_type: str | None) -> str:
    """What stands in for a learned solution: the built-in playbook that y/n outcomes are recorded against."""
    from analytics.patterns.playbooks import playbook_for

    return (
        f"none learned yet; y/n record outcomes of the built-in playbook "
        f'"{playbook_for(error_type).title}" (press e to write one)'
    )


def _mutes(d: Any) -> list[tuple[str, Text | str]]:
    """The ``Muted`` row of a muted pattern: where and until when (each mute in force), and what ends it:
    keys of the details screen (lokifi_tui.bindings: ``m`` mute or unmute, ``u`` undo)."""
    mutes = getattr(d, "mutes", ())
    if not mutes:
        return []
    said = []
    for m in mutes:
        end = f"until {m.until:%Y-%m-%d %H:%M} UTC" if m.until else "until unmuted"
        said.append((f"on {m.host} " if m.host else "") + end + (f" ({m.reason})" if m.reason else ""))
    there = "" if any(not m.host for m in mutes) else " there"
    # the keys act where the dashboard looks: with every host shown 0 ends every mute, with one host shown
    # (H) that host's (the command line's `lokifi patterns unmute ID` is not named: in the demo it would
    # act on another database)
    keys = "m then 0 unmutes it (with H showing one host: there), m then 1/2/3 mutes it anew from now"
    return [
        (
            "Muted",
            Text.assemble(
                (clean("; ".join(said)) + f": no predictions or alerts{there}", "yellow"),
                ("\n" + keys + " · u undoes the last triage action", "dim"),
            ),
        )
    ]


def render_pattern(d: Any, now: dt.datetime) -> Group:
    p = d.pattern
    parts: list[Any] = [
        _kv(
            [
                ("Type", p.error_type),
                ("Component", p.component),
                *_mutes(d),
                ("Template", p.template or p.message),
                ("Seen", f"{p.count} time{'s' * (p.count != 1)}, last {ago(p.last_seen, now)}"),
                ("Confidence", confidence_bar(p.confidence, p.lo, p.hi, width=20)),
                ("Outcomes", f"{p.success} worked, {p.failure} failed (interval: 95 % Wilson)"),
                ("Auto-approved", "yes" if p.auto_approved else "no"),
                ("Solution", f"v{p.version}: {p.solution}" if p.solution else _playbook_note(p.error_type)),
            ]
        ),
        _section("Occurrences per day (30 days)"),
        Text(spark(d.occurrences, 60) or "none recorded", style=""),
        _section("Confidence over time (after each outcome)"),
        Text(spark(d.confidence_over_time, 60, 0, 1) or "no outcomes yet"),
    ]
    parts.append(_section("Examples"))
    if d.examples:
        from analytics.patterns.logline import message_of  # the example's time is shown before it

        for ts, comp, msg, context in d.examples:
            parts.append(Text.assemble((f"{_when(ts)} ", "dim"), (clean(comp) + " ", "bold"), clean(message_of(msg))))
            # what the server wrote with it (its DETAIL, its STATEMENT), under it
            parts.extend(Text("    " + clean(line), style="dim") for line in context_lines(context))
    else:
        parts.append(Text("(no raw events stored)", style="dim"))
    parts.append(_section("Fix history"))
    if d.fixes:
        t = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        for c in ("When", "Result", "Version", "Fix"):
            t.add_column(c)
        for when, ok, fix, version in d.fixes[-15:]:
            t.add_row(
                _when(when),
                Text("worked", "green") if ok else Text("failed", "red"),
                f"v{version}" if version else "—",
                safe(fix),
            )
        parts.append(t)
    else:
        parts.append(Text("(no outcomes recorded — press y or n after trying the fix)", style="dim"))
    parts.append(_section("Solution versions"))
    if d.versions:
        for version, sol, source, created in d.versions:
            parts.append(
                Text.assemble((f"v{version} ", "bold"), (f"{_when(created)} {clean(source)} ", "dim"), clean(sol))
            )
    else:
        parts.append(Text("(no versions yet — press e to write one)", style="dim"))
    return Group(*parts)


def render_rca(d: Any, analysis: Any = None, analysis_error: str | None = None, running: str | None = None) -> Group:
    """The root-cause analysis section, below the pattern: while it runs it says so, then the result or
    the failure takes that line's place (the screen scrolls to it); a cached analysis shows otherwise."""
    parts: list[Any] = [_section("Root-cause analysis")]
    shown = analysis if analysis is not None else d.analysis
    if running:
        parts.append(Text(f"running: {clean(running)} (esc cancels)", style="yellow"))
    elif analysis_error:
        parts.append(safe(f"failed: {analysis_error}", "red", single_line=False))
    if shown is not None and not running:
        parts.append(render_analysis(shown))
    elif not running and not analysis_error:
        parts.append(Text("(none yet — press r)", style="dim"))
    return Group(*parts)


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return None


def render_analysis(a: Any) -> Any:
    """An RCA result (analytics.rca AnalysisResult, or a cached row as a dict) as literal text."""
    data = a.to_dict() if hasattr(a, "to_dict") else (a if isinstance(a, dict) else {"analysis": str(a)})
    answer = data.get("answer") or {}
    if not answer and any(k in data for k in ("root_cause", "analysis", "reasoning")):
        answer = {
            "probable_root_cause": data.get("root_cause"),
            "analysis": data.get("analysis"),
            "reasoning": data.get("reasoning"),
            "confidence": data.get("confidence"),
            "recommended_commands": data.get("recommendations"),
        }
    rows: list[tuple[str, Text | str]] = []
    if data.get("status_text") or data.get("status"):
        rows.append(("Status", str(data.get("status_text") or data.get("status"))))
    for label, key in (("Root cause", "probable_root_cause"), ("Analysis", "analysis"), ("Reasoning", "reasoning")):
        if answer.get(key):
            rows.append((label, str(answer[key])))
    confidence = answer.get("confidence")
    if isinstance(confidence, (int, float)):
        rows.append(("Confidence", f"{confidence * 100:.0f}%"))
    commands = answer.get("recommended_commands")
    if isinstance(commands, str):
        try:
            commands = json.loads(commands)
        except ValueError:
            commands = [commands]
    if commands:
        rows.append(("Commands", "\n".join(str(c) for c in commands)))
    if data.get("candidate_solution"):
        rows.append(("Candidate fix", "saved as the pattern's candidate solution (outcomes decide approval)"))
    fallback = data.get("fallback")
    if fallback:
        rows.append(("Fallback", f"{fallback.get('title', '')} ({fallback.get('source', '')})"))
        steps = fallback.get("steps") or []
        if steps:
            rows.append(("Steps", "\n".join(f"{i}) {step}" for i, step in enumerate(steps, 1))))
    meta = []
    if data.get("model") and data.get("status") not in ("not_configured", "no_pattern", "cancelled"):
        meta.append(f"model {data['model']}")  # no call was made otherwise: no model to name
    if data.get("from_cache"):
        meta.append("cache hit (0 tokens)")
    elif data.get("tokens") is not None or data.get("tokens_used") is not None:
        meta.append(f"{data.get('tokens', data.get('tokens_used'))} tokens")
    if data.get("cost") is not None:
        meta.append(f"cost ${data['cost']:.4f}")
    if data.get("hit_count") is not None:
        meta.append(f"cache hits {data['hit_count']}")
    if meta:
        rows.append(("Run", ", ".join(meta)))
    if data.get("excerpt"):
        rows.append(("Answer began", str(data["excerpt"])))
    return _kv(rows or [("Analysis", "(empty)")])


def _amount(v: float, unit: str) -> str:
    if unit == "fraction":
        return humanize.number(round(v * 100, 1), "%")
    if unit in ("%", "% free"):
        return humanize.number(round(v, 1), "%") + (" free" if unit == "% free" else "")
    return humanize.number(round(v, 2) if abs(v) < 100 else round(v), unit)


def _reading(v: float, t: float, unit: str, below: bool, excess: Any) -> str:
    """The reading against its limit, plainly: ``1,153 ms, over the limit of 1,000 ms by 15 %.``; a count
    whose limit is none, ``4 secrets found, where there should be none.`` (it read 'above the threshold of
    0 secrets')."""
    if t == 0 and not below:  # a count of things (secrets, vulnerable packages): one of them is singular
        return f"{_amount(v, unit[:-1] if v == 1 and unit.endswith('s') else unit)} found, where there should be none."
    by = f" by {excess * 100:.0f} %" if isinstance(excess, (int, float)) and excess > 0 and t > 0 else ""
    limit = f"under the minimum of {_amount(t, unit)}" if below else f"over the limit of {_amount(t, unit)}"
    return f"{_amount(v, unit)}, {limit}{by}."


def _rec_evidence(ev: dict[str, Any]) -> list[Any]:
    """A recommendation's stored evidence for people: what was measured (a small table), the reading
    against its threshold in a sentence, and why it ranks where it does (the terms of its impact)."""
    out: list[Any] = []
    measured = ev.get("measured")
    if isinstance(measured, dict) and (rows := humanize.rows(measured)):
        out.append(_kv([(clean(k), v) for k, v in rows]))
    unit = str(ev.get("unit") or "")
    v, t = ev.get("value"), ev.get("threshold")
    if isinstance(t, (int, float)) and not isinstance(t, bool):
        limit = _amount(float(t), unit)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(Text(_reading(float(v), float(t), unit, ev.get("direction") == "below", ev.get("excess"))))
        else:
            out.append(Text(f"Never measured; the limit is {limit} (ranked as overdue)."))
    why = []
    sev = ev.get("severity")
    if isinstance(sev, (int, float)):
        why.append(f"severity {sev:.2g} of 1 for this kind of finding")
    comps = ev.get("components")
    if isinstance(comps, list) and comps:
        names = ", ".join(clean(str(c)) for c in comps[:5])
        why.append(f"{len(comps)} component{'s' if len(comps) != 1 else ''} ({names})")
    learned = ev.get("learned")
    if isinstance(learned, dict):
        dis, app, fac = learned.get("dismissed") or 0, learned.get("applied") or 0, learned.get("factor")
        if dis or app:
            damp = f", impact × {fac:.2f}" if isinstance(fac, (int, float)) else ""
            why.append(f"dismissed {dis} and applied {app} time{'s' if app != 1 else ''} on this host{damp}")
        else:
            why.append("never dismissed or applied here (impact not damped)")
    if why:
        out.append(Text("Ranked by: " + "; ".join(why) + ".", style="dim"))
    return out


def render_recommendation(d: Any, now: dt.datetime) -> Group:
    r = d.rec
    evidence: list[Any] = []
    try:
        parsed = json.loads(d.evidence) if d.evidence else None
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and "threshold" in parsed:
        evidence = _rec_evidence(parsed)
    elif isinstance(parsed, dict):
        rows = humanize.rows(parsed)
        evidence = [_kv([(clean(k), v) for k, v in rows])] if rows else []
    elif d.evidence:
        evidence = [safe(d.evidence, single_line=False)]
    parts: list[Any] = [
        _kv(
            [
                ("Title", r.title),
                ("Priority", priority(r.priority, short=False)),
                ("Impact", "—" if r.impact is None else f"{r.impact:.1f} / 10"),
                ("Category", r.category),
                ("Status", r.status + (f" until {_when(d.snoozed_until)}" if d.snoozed_until else "")),
                ("Created", f"{_when(r.created_at)} ({ago(r.created_at, now)})"),
            ]
        ),
        _section("Description"),
        safe(r.description, single_line=False),
        _section("Evidence"),
        *(evidence or [Text("(none stored)", style="dim")]),
        _section("Action"),
        safe(r.action or "(no command)", "bold", single_line=False),
        _section("History"),
    ]
    if d.history:
        for when, what in d.history:
            parts.append(Text.assemble((f"{_when(when)} ", "dim"), clean(what)))
    else:
        parts.append(Text("(no events)", style="dim"))
    return Group(*parts)


def render_prediction(d: Any, now: dt.datetime) -> Group:
    p = d.prediction
    precision = d.rule_precision
    parts: list[Any] = [
        _kv(
            [
                ("Severity", Text(p.severity, style=SEVERITY_STYLE.get(p.severity, ""))),
                ("Type", p.type),
                ("Component", p.component + (f" @ {p.host}" if p.host else "")),
                *([("Summary", p.brief)] if p.brief and p.brief != p.message else []),
                ("Message", p.message),
                (
                    "Confidence",
                    ("—" if p.confidence is None else f"{p.confidence * 100:.0f}%")
                    + f" ({confidence_label(p.confidence_kind, getattr(p, 'confidence_n', 0))})",
                ),
                (
                    "Rule precision",
                    "not measured yet (no scored outcomes)"
                    if precision is None
                    else f"{precision * 100:.0f}% of {d.rule_scored} scored predictions"
                    + (f" on {p.host}" if p.host else "")
                    + " came true",
                ),
                ("Made", f"{_when(p.made_at)} ({ago(p.made_at, now)})"),
                ("Due", _when(p.due_at)),
                ("Recommendation", p.recommendation or "—"),
            ]
        ),
        _section("Evidence"),
    ]
    ev = d.evidence or {}
    current = ev.get("current") if isinstance(ev, dict) else None
    context = current.get("example_context") if isinstance(current, dict) else None
    if context:  # the lines the example came with (its DETAIL, its STATEMENT): a row of their own, whole
        ev = {**ev, "current": {k: v for k, v in current.items() if k != "example_context"}}
    deviation = ev.get("deviation") if isinstance(ev, dict) else None
    if isinstance(deviation, (int, float)) and not isinstance(deviation, bool) and p.type in DEVIATION_MEANS:
        ev = {**ev, "deviation": humanize.number(float(deviation)) + DEVIATION_MEANS[p.type]}
    shown = humanize.rows(ev) if isinstance(ev, dict) else []
    if context:
        shown.insert(1, ("With it", str(context)))
    if shown:
        parts.append(_kv([(clean(k), v) for k, v in shown]))
    else:
        parts.append(Text("(no evidence stored)", style="dim"))
    if d.baseline:
        b = d.baseline
        parts.append(_section("Baseline"))
        unit = "ms" if str(b.get("metric_name", "")).endswith("_ms") else ""
        shown_as = {  # key: (label, unit of its value)
            "metric_name": ("Metric", ""),
            "baseline_value": ("Mean", unit),
            "std_deviation": ("Std deviation", unit),
            "median_value": ("Median", unit),
            "mad_value": ("MAD", unit),
            "sample_count": ("Samples", ""),
        }
        parts.append(
            _kv(
                [
                    (name, humanize.number(float(b[k]), u) if isinstance(b[k], (int, float)) else str(b[k]))
                    for k, (name, u) in shown_as.items()
                    if b.get(k) is not None
                ]
            )
        )
    return Group(*parts)


def render_component(d: Any, now: dt.datetime) -> Group:
    parts: list[Any] = [Text(clean(d.component), style="bold"), _section("Metrics (hourly means, 72 h)")]
    if d.metrics:
        t = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        for c in ("Metric", "Latest", "72 h"):
            t.add_column(c)
        for metric, latest, values in d.metrics:
            t.add_row(safe(metric), number(latest), spark(values, 48))
        parts.append(t)
    else:
        parts.append(Text("(no metrics stored)", style="dim"))
    parts.append(_section("Baselines"))
    if d.baselines:
        t = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        for c in ("Metric", "Mean", "Std", "Band (±2σ)", "n"):
            t.add_column(c)
        for b in d.baselines:
            mean, std = b.get("baseline_value"), b.get("std_deviation") or 0.0
            band = "—" if mean is None else f"{number(mean - 2 * std)} … {number(mean + 2 * std)}"
            t.add_row(safe(b.get("metric_name")), number(mean), number(std), band, str(b.get("sample_count")))
        parts.append(t)
    else:
        parts.append(Text("(no baselines yet: they are built from complete hours of data)", style="dim"))
    parts.append(_section("Forecast"))
    if d.forecasts:
        for f in d.forecasts:
            style = COLOUR_STYLE.get(f.colour, "")
            line = Text.assemble((clean(f.metric) + " ", "bold"))
            line.append_text(history_and_forecast(f.history, f.forecast, 48, style=style, note=f.note))
            if f.predicted is not None:
                pct = "—" if f.pct_change is None else f"{f.pct_change:+.1f}%"
                line.append(
                    f"  {number(f.current)} → {number(f.predicted)} {pct} {TREND_ARROW.get(f.trend, '')}", style=style
                )
            if f.model:
                line.append(f"  model {clean(f.model)}", style="dim")
            if f.backtest_error is not None:
                line.append(f" backtest error {f.backtest_error:.2f}", style="dim")
            parts.append(line)
    else:
        parts.append(Text("(no forecast)", style="dim"))
    return Group(*parts)


RENDERERS = {
    "pattern": render_pattern,
    "recommendation": render_recommendation,
    "prediction": render_prediction,
    "component": render_component,
}
