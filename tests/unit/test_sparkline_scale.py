"""The forecast sparkline puts history and forecast on one time scale: as many hours per cell on both sides,
each cell the mean of whole buckets. The forecast side was squeezed into a quarter of the width (18 cells for
7 days beside 56 for 7 days of history, 4 or 5 buckets a cell), so a smooth daily cycle drew erratic."""

from __future__ import annotations

import datetime as dt
import itertools
import math

from hypothesis import example, given, settings, strategies as st

from analytics.forecast.sparklines import day_steps, one_scale, sparkline_data
from lokifi_tui.widgets.render import history_and_forecast

DAY = 12  # 2-hour buckets in a day


def daily(n: int, start: int = 0) -> list[float]:
    """A smooth daily cycle in 2-hour buckets, from bucket ``start``."""
    return [100 + 50 * math.sin(2 * math.pi * (start + i) / DAY) for i in range(n)]


def test_a_daily_cycle_draws_the_same_every_day_on_both_sides():
    history, forecast = daily(168), daily(84, start=168)  # 14 days, then the next 7
    for width in (20, 35, 48, 57, 75, 100, 160):
        text = history_and_forecast(history, forecast, width).plain
        assert len(text) <= width and text.count("┊") == 1
        past, future = text.strip().split("┊")
        cells = past + future
        per_day = next(DAY // k for k in day_steps() if DAY % k == 0 and past and len(future) == -(-84 // k))
        # one pattern every day, carried on across the divider: a beat or a second scale breaks it
        assert all(cells[i] == cells[i + per_day] for i in range(len(cells) - per_day)), (width, text)
        assert len(future) * DAY // per_day == 84  # the whole forecast, at the history's scale
        assert len(past) >= len(future) or len(past) * DAY // per_day == 168


def test_the_tester_s_width_shows_a_day_in_four_cells_not_aliased():
    text = history_and_forecast(daily(168), daily(84, start=168), 75).plain
    past, future = text.strip().split("┊")
    assert len(future) == 28 and len(past) == 46  # 6 hours a cell on both sides; the history fills the rest
    assert len(set(future[i : i + 4] for i in range(0, 28, 4))) == 1


@settings(max_examples=200, deadline=None)
@given(
    history=st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), max_size=200),
    forecast=st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), max_size=120),
    cells=st.integers(3, 240),
)
@example(history=[None] * 5, forecast=[None, None, None, 1.0, None, 0.0, None], cells=4)  # cells of 6, not 4
def test_one_scale_fits_shows_the_whole_forecast_and_averages_whole_buckets(history, forecast, cells):
    hs, fs = one_scale(history, forecast, cells)
    assert len(hs) + len(fs) + (1 if forecast else 0) <= cells
    if not forecast:
        assert not fs
        return
    # one cell size on both sides, of those giving the forecast this many cells (several can: 7 buckets
    # are two cells of 4 or of 6; which one depends on the history's room)
    steps = itertools.takewhile(lambda k: k <= 2 * max(len(history), len(forecast)) + 24, day_steps())
    sizes = [k for k in steps if -(-len(forecast) // k) == len(fs)]
    assert sizes and all(24 % (2 * k) == 0 or (2 * k) % 24 == 0 for k in sizes)
    assert any(_whole_buckets(history, forecast, hs, fs, k) for k in sizes), (hs, fs, sizes)


def _whole_buckets(history, forecast, hs, fs, k) -> bool:
    """Each cell is the mean of its ``k`` buckets (None where none has data), counted from the divider."""

    def fits(v, chunk) -> bool:
        if v is None or not chunk:
            return v is None and not chunk
        return math.isclose(v, sum(chunk) / len(chunk), rel_tol=1e-9, abs_tol=1e-6)

    ok = all(fits(v, [x for x in forecast[j * k : (j + 1) * k] if x is not None]) for j, v in enumerate(fs))
    for j, v in enumerate(reversed(hs)):  # counted back from the divider
        end = len(history) - j * k
        ok = ok and fits(v, [x for x in history[max(end - k, 0) : end] if x is not None])
    return ok


def test_history_ends_where_the_forecast_begins_and_a_gap_keeps_its_width(migrated, tmp_path):
    store = migrated(tmp_path / "s.duckdb")
    last = dt.datetime(2026, 12, 6, 13)  # an odd hour: 2-hour buckets from midnight split the join
    hours = [last - dt.timedelta(hours=h) for h in range(48) if not 10 <= h < 14]  # 4 hours missing
    with store.write() as con:
        con.execute(
            "INSERT INTO metrics_hourly (host, component, metric, hour, n, sum, sumsq, min, max) "
            "SELECT 'h1', 'api', 'response_time_ms', unnest($h), 1, unnest($v), 0, 0, 0",
            {"h": hours, "v": [float(i) for i in range(len(hours))]},
        )
        con.execute(
            "INSERT INTO forecast_points (host, component, metric, hour, mean, lo, hi) "
            "SELECT '', 'api', 'response_time_ms', unnest($h), 5.0, 4.0, 6.0",
            {"h": [last + dt.timedelta(hours=h + 1) for h in range(7)]},
        )
        con.execute(  # another component, quiet for the last 6 hours: its row ends at the same time
            "INSERT INTO metrics_hourly (host, component, metric, hour, n, sum, sumsq, min, max) "
            "SELECT 'h1', 'db', 'response_time_ms', unnest($h), 1, 2, 0, 0, 0",
            {"h": [last - dt.timedelta(hours=h) for h in range(6, 48)]},
        )
    row, quiet = sparkline_data(store)
    assert len(row["history"]) == 24  # 48 hours in whole 2-hour buckets, the newest ending at 13:00
    assert row["history"][-1] == 0.5  # hours 13:00 and 12:00 (values 0 and 1), not 12:00 alone
    assert row["history"][-7:-5] == [None, None]  # the missing hours keep their place
    assert row["forecast"] == [5.0, 5.0, 5.0, 5.0]  # from 14:00 on: 3 whole buckets and the last hour
    assert len(quiet["history"]) == 24 and quiet["history"][-3:] == [None] * 3
