"""``lokifi db export``: a stored metric series as the ``timestamp,value`` CSV that ``lokifi forecast
series`` and ``lokifi anomalies detect`` read (:mod:`analytics.common.series_csv`), so
``lokifi db export api response_time_ms | lokifi anomalies detect`` runs the detector on what was stored."""

from __future__ import annotations

import datetime as dt
import sys

import click

from lokifi_tui.cli.options import host_option
from lokifi_tui.cli.output import BAD_INPUT, USAGE, console, fail, inert

#: where a refusal sends the user for the names a series is stored under
LISTED = "`lokifi db series` lists the stored series (host, component, metric, readings, first and last hour)"

#: rows formatted and written at a time: memory stays near one chunk of text whatever the series' length
CHUNK = 65536


def _since(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    if value is None:
        return None
    from analytics.common.durations import parse_seconds

    try:
        seconds = parse_seconds(value, unit_required=True)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a duration; use e.g. 30m, 6h, 7d, 2w") from None
    if seconds <= 0:
        raise click.BadParameter("the duration must be positive")
    return seconds


@click.command("export")
@click.argument("component")
@click.argument("metric")
@host_option("The series of this host (needed when several hosts have one by these names).")
@click.option(
    "--since",
    default=None,
    metavar="DURATION",
    callback=_since,
    help="Only the rows of this last while: 30m, 6h, 7d, 2w (default: every stored row).",
)
@click.option(
    "--hourly",
    is_flag=True,
    help="Each hour's mean instead of the raw readings (the hourly series the predictions' detector reads; "
    "kept when the raw rows have been pruned).",
)
@click.option(
    "--output",
    "-o",
    default="-",
    metavar="FILE",
    help="Write the CSV to FILE instead of stdout (a file or link at that name is replaced, never written through).",
)
@click.pass_context
def export(
    ctx: click.Context,
    component: str,
    metric: str,
    host: str | None,
    since: float | None,
    hourly: bool,
    output: str,
) -> None:
    """Write a stored metric series, COMPONENT's METRIC, as CSV `timestamp,value` (a header, then one row
    per reading in time order, ISO 8601 UTC times) to stdout or --output FILE: the CSV `lokifi anomalies
    detect` and `lokifi forecast series` read, e.g.

    \b
        lokifi db export api response_time_ms --since 7d | lokifi anomalies detect

    `lokifi db series` lists the series stored (COMPONENT, METRIC and host of each). A component or metric
    that is not stored is refused with the names that are (exit 3)."""
    from analytics.common.clock import utcnow
    from analytics.common.epoch_time import us_iso
    from analytics.store.components import UnknownComponent, require_component
    from analytics.store.stored_series import SeriesNotFound, read_series, require_metric, series_hosts
    from lokifi_tui.cli.context import stored_store

    store = stored_store(ctx)
    try:
        require_component(store, component)
        require_metric(store, component, metric)
    except (UnknownComponent, SeriesNotFound) as exc:
        fail(f"{exc}\n{LISTED}", BAD_INPUT)
    name = f"{component}/{metric}"
    hosts = series_hosts(store, component, metric)
    if host is None and len(hosts) > 1:
        fail(f"{name} is stored from {len(hosts)} hosts ({', '.join(hosts)}): choose one with --host NAME", USAGE)
    if host is not None and host not in hosts:
        fail(f"host {host!r} has no {name} rows; the hosts that have it: {', '.join(hosts)}", BAD_INPUT)
    host = host if host is not None else hosts[0]
    start = utcnow() - dt.timedelta(seconds=since) if since else None
    series = read_series(store, component, metric, host, since=start, hourly=hourly)
    if not series.times_us:
        within = f" since {start:%Y-%m-%d %H:%M} UTC" if start else ""
        hint = ""
        if not hourly and read_series(store, component, metric, host, since=start, hourly=True).times_us:
            hint = " (its raw rows were pruned: --hourly writes the hourly means, which are kept)"
        fail(f"{name} of host {host!r} has no rows{within}{hint}", BAD_INPUT)
    if output == "-":
        _write(sys.stdout, series)
        return
    from analytics.common.replaced_file import replaced

    try:
        with replaced(output) as out:  # never written through a link planted at that name
            _write(out, series)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}", BAD_INPUT)
    span = f"{us_iso(series.times_us[0])} → {us_iso(series.times_us[-1])}"
    what = "hourly means" if hourly else "rows"
    console.print(
        f"wrote {len(series.times_us):,} {what} of {inert(name)} on {inert(host)} ({span}) to {inert(output)}"
    )


def _write(out, series) -> None:
    from analytics.common.series_csv import HEADER, csv_rows

    out.write(HEADER)
    for a in range(0, len(series.times_us), CHUNK):
        out.write(csv_rows(series.times_us[a : a + CHUNK], series.values[a : a + CHUNK]))
