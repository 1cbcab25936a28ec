"""Performance forecasting commands: ``lokifi forecast series`` and ``lokifi ai forecast``.

``forecast series`` is the harness interface (CSV ``timestamp,value`` on stdin, one ``value,lo,hi``
line per step on stdout) and imports only NumPy and the forecasting modules, so it starts fast.
``ai forecast`` is the seed's command over the store.
"""

from __future__ import annotations

import math
import sys

import click

from lokifi_tui.cli.options import Finite, component_option, host_option, json_option

#: the furthest --horizon: about the rows the input may hold (8 MB, the longest history read), so a
#: forecast goes no further ahead than the history it could be measured on; at this horizon the process
#: stays under 300 MB, as its output is written a chunk at a time
MAX_HORIZON = 250_000

MODELS = ("linear", "seasonal", "auto")


@click.group("forecast")
def forecast() -> None:
    """Forecast a series: `lokifi forecast series --horizon N < data.csv`."""


@forecast.command("series")
@click.option(
    "--horizon",
    type=click.IntRange(1, MAX_HORIZON),
    envvar=["LOKIFI_HORIZON", "EVAL_HORIZON"],
    required=True,
    help=f"Steps to forecast, at most {MAX_HORIZON:,}: about the rows the input may hold, so no further "
    "ahead than the longest history read, and memory stays under 300 MB (env LOKIFI_HORIZON or EVAL_HORIZON).",
)
@click.option(
    "--step",
    type=Finite(min=0.001),
    envvar="EVAL_STEP_SECONDS",
    default=None,
    help="Seconds between rows, at least 0.001 (default: the median spacing of the timestamps).",
)
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default="auto",
    show_default=True,
    help="linear: a straight line through 30 days; seasonal: robust daily/weekly combination; "
    "auto: whichever has the lower backtest error on this series.",
)
@click.option(
    "--level", type=Finite(0.5, 0.99), default=0.8, show_default=True, help="Coverage of the prediction interval."
)
@click.option(
    "--input",
    "input_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    help="CSV file (default: stdin).",
)
@click.option("--explain", is_flag=True, help="Also print the chosen model and its backtest error to stderr.")
@click.option(
    "--timestamps",
    is_flag=True,
    help="Print a header and `timestamp,value,lo,hi` lines (ISO 8601 UTC, 6 significant digits).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts: model, backtest and the points.")
def series(
    horizon: int,
    step: float | None,
    model: str,
    level: float,
    input_path: str,
    explain: bool,
    timestamps: bool,
    as_json: bool,
) -> None:
    """Read a CSV of timestamp,value and print HORIZON lines `value,lo,hi` (lo-hi: the prediction
    interval; full precision, the format scoring harnesses read), or with --timestamps
    `timestamp,value,lo,hi`. The CSV is read as `lokifi anomalies detect` reads it: the same notes on
    stderr (and in --json) on repeated timestamps, missing values, gaps and time going back, and a few
    malformed rows (up to 1%) skipped. Rows are taken as equally spaced steps in the order read (a day is
    as many rows as the last week of timestamps holds per day); missing values are carried forward.
    Timestamps are read in the years 1970-2199 and the forecast's steps must end before 2200.

    The interval is measured: the spread of this model's errors when backtested on the series' own
    history. A series too short for that (fewer than 4 backtest origins: 11 rows for 3 steps ahead,
    more for longer horizons) gets a guess: each line is `value` alone, with no interval (--timestamps
    leaves lo and hi empty, --json gives null and "measured": false), and a note on stderr says how
    many rows it was made from and how many a measured forecast needs. A band from one row, or from a
    few backtest errors, would only look like a measured 80%."""
    from analytics.forecast.stored import HorizonError, SeriesInputError, forecast_csv_timed
    from lokifi_tui.cli.series_input import MAX_INPUT, print_notes, read_series

    source, data = read_series(input_path, f"lokifi forecast series --horizon {horizon}")
    try:
        run = forecast_csv_timed(data, horizon, step=step, model=model, level=level, source=source, max_input=MAX_INPUT)
    except SeriesInputError as exc:
        _fail(str(exc))
    except HorizonError as exc:
        from lokifi_tui.cli.output import USAGE, fail

        fail(str(exc), USAGE)
    del data
    print_notes(run.notes)
    out = sys.stdout
    if as_json:
        _write_json(out, run, level)
    elif timestamps:
        out.write("timestamp,value,lo,hi\n")
        _write_lines(out, run, timed=True)
    else:
        _write_lines(out, run, timed=False)
    if run.guess:
        sys.stderr.write(f"note: {run.guess}\n")
    if explain:
        fc = run.forecast

        def num(x: float, fmt: str) -> str:
            return format(x, fmt) if math.isfinite(x) else "–"  # not measured (too short to backtest)

        cands = ", ".join(f"{k} {num(v, '.4g')}" for k, v in fc.candidates.items())
        origins = f"{fc.backtest_origins} origin{'' if fc.backtest_origins == 1 else 's'}"
        sys.stderr.write(
            f"model: {fc.model}   backtest MAE: {num(fc.backtest_mae, '.4g')}   MASE: {num(fc.backtest_mase, '.3f')}"
            f"   ({origins}; {cands})\n"
        )


CHUNK = 4096  # forecast lines formatted and written at a time: memory stays flat for any horizon


def _chunks(run):
    """(times, values, lo, hi) of the forecast's steps, :data:`CHUNK` at a time."""
    fc = run.forecast
    for a in range(0, len(run.times), CHUNK):
        b = a + CHUNK
        yield run.times[a:b], fc.mean[a:b].tolist(), fc.lo[a:b].tolist(), fc.hi[a:b].tolist()


def _write_lines(out, run, *, timed: bool) -> None:
    from analytics.common.epoch_time import utc_iso

    measured = run.forecast.measured
    for times, vs, los, his in _chunks(run):
        if timed:
            out.write(
                "".join(
                    f"{utc_iso(t)},{v:.6g},{f'{lo:.6g},{hi:.6g}' if measured else ','}\n"
                    for t, v, lo, hi in zip(times, vs, los, his, strict=True)
                )
            )
        else:
            out.write(
                "".join(
                    f"{v!r},{lo!r},{hi!r}\n" if measured else f"{v!r}\n" for v, lo, hi in zip(vs, los, his, strict=True)
                )
            )


def _write_json(out, run, level: float) -> None:
    """The forecast as JSON, its points written a chunk at a time (the same JSON as one ``json_text``)."""
    import json

    from analytics.common.epoch_time import utc_iso
    from lokifi_tui.cli.output import json_text

    fc, measured = run.forecast, run.forecast.measured

    def finite(x):
        return float(x) if x is not None and math.isfinite(float(x)) else None

    head = json_text(
        {
            "model": fc.model,
            "level": level,
            "measured": measured,
            "rows": run.rows,
            "rows_to_measure": run.rows_to_measure,
            "note": run.guess,
            "notes": list(run.notes),
            "backtest_mae": finite(fc.backtest_mae),
            "backtest_mase": finite(fc.backtest_mase),
            "backtest_origins": fc.backtest_origins,
            "points": [],
        }
    )
    out.write(head.removesuffix("[]\n}") + "[")
    sep = "\n"
    for times, vs, los, his in _chunks(run):
        parts = []
        for t, v, lo, hi in zip(times, vs, los, his, strict=True):
            lo_s = json.dumps(finite(lo)) if measured else "null"
            hi_s = json.dumps(finite(hi)) if measured else "null"
            parts.append(
                f'{sep}    {{\n      "timestamp": "{utc_iso(t)}",\n      "value": {json.dumps(finite(v))},\n'
                f'      "lo": {lo_s},\n      "hi": {hi_s}\n    }}'
            )
            sep = ",\n"
        out.write("".join(parts))
    out.write("\n  ]\n}\n" if len(run.times) else "]\n}\n")


def _fail(message: str) -> None:
    from lokifi_tui.cli.output import BAD_INPUT, fail

    fail(message, BAD_INPUT)


_TREND = {"increasing": ("📈", "Increasing"), "decreasing": ("📉", "Decreasing"), "stable": ("➡️ ", "Stable")}


def _unit(metric: str) -> str:
    return "ms" if metric.endswith("_ms") else ("%" if metric.endswith("percent") else "")


def _num(x: float | None, unit: str) -> str:
    if x is None:
        return "–"
    return f"{x:,.1f}{unit}" if abs(x) >= 1 or x == 0 else f"{x:.3g}{unit}"


@click.command("forecast")
@component_option("Only this component (default: every component).")
@click.option(
    "--days", type=Finite(min=1 / 24, max=90), default=7.0, show_default=True, help="Forecast horizon in days."
)
@click.option(
    "--model",
    type=click.Choice(MODELS),
    default="auto",
    show_default=True,
    help="linear (a 30-day regression line), seasonal, or auto (chosen per component by backtest).",
)
@click.option("--metric", default="response_time_ms", show_default=True, help="Metric to forecast.")
@host_option(
    "Forecast that host's own series, recorded and scored as that host's (default: each "
    "component's series over all hosts together, the fleet-wide view the dashboard shows)."
)
@json_option
@click.option("--no-record", is_flag=True, help="Do not store these forecasts as predictions.")
@click.pass_context
def ai_forecast(
    ctx: click.Context,
    component: str | None,
    days: float,
    model: str,
    metric: str,
    host: str | None,
    as_json: bool,
    no_record: bool,
) -> None:
    """Forecast performance per component: current, forecast, percent change, trend and significance
    (the built-in rules), with the chosen model, its 80% interval and its measured backtest error.

    Without --host a component's series is all hosts together (fleet-wide); with --host NAME it is that
    host's own series, and the accuracy shown is that of the forecasts made for that host."""
    from analytics.forecast.stored import forecast_accuracy, forecast_all, record
    from lokifi_tui.cli.context import stored_store
    from lokifi_tui.cli.output import console, fit, inert, print_json

    store = stored_store(ctx)
    from analytics.forecast.components import readings_without_an_hour

    with store.shared():  # forecast, recorded, the accuracy read: the file opened once
        forecasts = forecast_all(store, component=component, metric=metric, horizon_days=days, model=model, host=host)
        if forecasts and not no_record:
            record(store, forecasts, host=host or "")
        acc = forecast_accuracy(store, metric=metric, host=host or "")
        fresh = readings_without_an_hour(store, metric=metric, host=host) if not forecasts and not as_json else None
    if as_json:
        print_json(
            {
                "metric": metric,
                "horizon_days": days,
                "model": model,
                "host": host,
                "forecasts": [f.to_dict() for f in forecasts],
                "accuracy": acc,
            }
        )
        return
    unit = _unit(metric)
    on = f" on host {inert(host)}" if host else ""
    console.print(f"[bold]📈 Performance Forecasting[/]{on}\n")
    if not forecasts:
        from analytics.forecast.linear import MIN_DAYS

        if fresh:
            since = min(fresh.values())
            console.print(
                fit(
                    f"{inert(', '.join(fresh))}: {inert(metric)} readings since {since:%H:%M} UTC, no complete "
                    f"hour yet. Forecasts are made from hourly means and need {MIN_DAYS} days of them; "
                    "`lokifi backfill` reads the history access logs already hold."
                )
            )
            return
        console.print(
            fit(
                f"No {inert(metric)} data{' from host ' + inert(host) if host else ''} in the database yet. "
                "Collect some with `lokifi collect`, or see it work on demo data with `lokifi demo`."
            )
        )
        return
    console.print(
        fit(
            f"Forecasting performance trends for next {days:g} days"
            f"{on if host else ' (all hosts together; --host NAME for one host)'}..."
        )
    )
    console.print()
    label = metric.replace("_ms", "").replace("_", " ").capitalize()
    for f in forecasts:
        console.print(f"📊 Component: [bold]{inert(f.component)}[/]")
        if not f.ok:
            console.print(f"   [yellow]{inert(f.message)}[/]\n")
            continue
        console.print(f"   {inert(label)}:")
        console.print(f"     Current: {_num(f.current, unit)}")
        pct = f"{f.percent_change:+.1f}%" if f.percent_change is not None else "n/a"
        console.print(
            f"     Forecast ({f.horizon_days:g} days): {_num(f.forecast, unit)} "
            f"([{f.colour}]{pct}[/])   80% interval {_num(f.lo, unit)} – {_num(f.hi, unit)}"
        )
        icon, word = _TREND[f.trend]
        console.print(f"     Trend: {icon} {word} ({f.slope_per_day:+.2f}{unit}/day)")
        if f.significant:
            console.print("     [bold yellow]⚠️  Significant trend detected![/]")
        maes = f.backtest.get("mae", {})
        others = ", ".join(f"{k} {_num(v, unit)}" for k, v in maes.items() if v is not None)
        mase = f"MASE {f.backtest_mase:.2f}" if f.backtest_mase is not None else "MASE n/a"
        console.print(
            fit(
                f"     Model: {f.model} — backtest error {_num(f.backtest_mae, unit)} ({mase}; "
                f"{'chosen by backtest: ' if f.requested_model == 'auto' else ''}{others})"
            )
        )
        if f.model != "linear" and f.linear:
            ln = f.linear
            console.print(
                f"     30-day line: {ln['slope']:+.2f}{unit}/day → {_num(ln['forecast'], unit)} "
                f"({ln['trend']}{', significant' if ln['significant'] else ''})"
            )
        console.print()
    if acc["scored"]:
        console.print(
            fit(
                f"Forecast accuracy{on or ' on this host'}: {acc['hits']} of {acc['scored']} scored forecasts "
                f"fell inside their 80% interval ({acc['hit_rate']:.0%})."
            )
        )
    else:
        console.print(f"Forecast accuracy{on or ' on this host'}: no forecast has fallen due yet.")
    console.print("\n💡 TIP: Keep monitoring with: lokifi  (the dashboard)")
