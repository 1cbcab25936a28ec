"""Performance baselines per host, component and metric, kept up to date incrementally from rollups.

Owns the baseline tables of migration 020 and the readable ``performance_baselines`` (seed 000 /
seed 003 PerformanceBaseline): mean, standard deviation, sample count and period; robust median and
MAD; and a seasonal baseline per hour of day x weekday.

How it stays cheap: the baseline covers a rolling window of ``BASELINE_DAYS`` of complete hours. Its
sums (n, sum, sum of squares of the raw samples) are additive, so ``update`` adds the hourly rollups
(``metrics_hourly``) of the hours that entered the window since the last update and subtracts those
that left it — it reads a handful of rollup rows, never the raw metrics and never all history. The
median and MAD are order statistics (not additive); they are taken over the window's hourly means in
the rollup (hundreds of rows per series), and only for series that changed. If the clock moves
backwards (a replay) or jumps by more than the window, the sums are rebuilt from the window's rollups.

Samples written late into an hour already folded into the sums (a collector batch flushed after the
hour turned, a spooled batch replayed, a backfill or an import of history) make the store forget the
baselines' state (analytics.store.metrics), and the next update rebuilds them from the rollup.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from analytics.common.clock import utcnow
from analytics.store.database import Store

BASELINE_DAYS = 28
STATE_KEY = "rolling"


def hour_floor(t: dt.datetime) -> dt.datetime:
    return t.replace(minute=0, second=0, microsecond=0)


_SUMS_UPSERT = """
INSERT INTO baseline_sums (host, component, metric, n, sum, sumsq)
SELECT host, component, metric, {sign} sum(n), {sign} sum(sum), {sign} sum(sumsq)
FROM metrics_hourly WHERE hour >= ? AND hour < ? GROUP BY host, component, metric
ON CONFLICT (host, component, metric) DO UPDATE SET
    n = baseline_sums.n + excluded.n, sum = baseline_sums.sum + excluded.sum,
    sumsq = baseline_sums.sumsq + excluded.sumsq
"""

_SEASONAL_UPSERT = """
INSERT INTO baseline_seasonal (host, component, metric, dow, hod, n, sum, sumsq)
SELECT host, component, metric, (isodow(hour) - 1)::INTEGER, hour(hour)::INTEGER,
       {sign} sum(n), {sign} sum(sum), {sign} sum(sumsq)
FROM metrics_hourly WHERE hour >= ? AND hour < ? GROUP BY ALL
ON CONFLICT (host, component, metric, dow, hod) DO UPDATE SET
    n = baseline_seasonal.n + excluded.n, sum = baseline_seasonal.sum + excluded.sum,
    sumsq = baseline_seasonal.sumsq + excluded.sumsq
"""


def _apply(con, lo: dt.datetime, hi: dt.datetime, sign: str) -> None:
    if hi <= lo:
        return
    con.execute(_SUMS_UPSERT.format(sign=sign), [lo, hi])
    con.execute(_SEASONAL_UPSERT.format(sign=sign), [lo, hi])


def update(
    store: Store, now: dt.datetime | None = None, *, days: int = BASELINE_DAYS, rebuild: bool = False
) -> dict[str, Any]:
    """Bring the baselines to the last complete hour before ``now``. Returns what was done:
    ``{"mode": "none"|"incremental"|"rebuild", "added_hours", "removed_hours", "hour_to"}``."""
    with store.write() as con:
        return update_con(con, now or utcnow(), days=days, rebuild=rebuild)


def update_con(con, now: dt.datetime, *, days: int = BASELINE_DAYS, rebuild: bool = False) -> dict[str, Any]:
    """``update`` on an open write connection (inside the caller's transaction)."""
    new_to = hour_floor(now)
    new_from = new_to - dt.timedelta(days=days)
    row = con.execute(
        "SELECT window_days, hour_from, hour_to FROM baseline_state WHERE key = ?", [STATE_KEY]
    ).fetchall()
    if row and not rebuild and row[0][0] == days and row[0][2] == new_to:
        return {"mode": "none", "added_hours": 0, "removed_hours": 0, "hour_to": new_to}
    incremental = (
        bool(row)
        and not rebuild
        and row[0][0] == days
        and row[0][2] < new_to
        and new_to - row[0][2] < dt.timedelta(days=days)
    )
    if incremental:
        old_from, old_to = row[0][1], row[0][2]
        _apply(con, old_from, min(old_to, new_from), "-")  # hours that left the window
        _apply(con, max(old_to, new_from), new_to, "")  # hours that entered it
        changed_from = max(old_to, new_from)
        con.execute("DELETE FROM baseline_sums WHERE n <= 0.5")
        con.execute("DELETE FROM baseline_seasonal WHERE n <= 0.5")
        added = int((new_to - max(old_to, new_from)).total_seconds() // 3600)
        removed = int((min(old_to, new_from) - old_from).total_seconds() // 3600)
        mode = "incremental"
    else:
        con.execute("DELETE FROM baseline_sums")
        con.execute("DELETE FROM baseline_seasonal")
        _apply(con, new_from, new_to, "")
        changed_from = new_from
        added, removed, mode = days * 24, 0, "rebuild"
    con.execute(
        "INSERT OR REPLACE INTO baseline_state (key, window_days, hour_from, hour_to, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [STATE_KEY, days, new_from, new_to, now],
    )
    _materialise(con, new_from, new_to, changed_from, now, full=(mode == "rebuild"))
    return {"mode": mode, "added_hours": added, "removed_hours": removed, "hour_to": new_to}


def _materialise(
    con, lo: dt.datetime, hi: dt.datetime, changed_from: dt.datetime, now: dt.datetime, full: bool
) -> None:
    """Write performance_baselines from the sums; median/MAD over the window's hourly means, for the
    series that have rollup rows since ``changed_from`` (all of them on a rebuild)."""
    changed = (
        ""
        if full
        else (
            "AND (host, component, metric) IN (SELECT DISTINCT host, component, metric FROM metrics_hourly "
            "WHERE hour >= ? AND hour < ?)"
        )
    )
    params: list[Any] = [lo, hi] + ([] if full else [changed_from, hi])
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE _bl_robust AS
        WITH h AS (SELECT host, component, metric, sum / n AS m FROM metrics_hourly
                   WHERE hour >= ? AND hour < ? AND n > 0 {changed}),
             med AS (SELECT host, component, metric, median(m) AS med FROM h GROUP BY ALL)
        SELECT h.host, h.component, h.metric, any_value(med.med) AS med, median(abs(h.m - med.med)) AS mad,
               count(*) AS hours
        FROM h JOIN med USING (host, component, metric) GROUP BY ALL""",
        params,
    )
    if full:
        con.execute("DELETE FROM performance_baselines")
    else:
        con.execute(
            "DELETE FROM performance_baselines WHERE (host, component, metric_name) NOT IN "
            "(SELECT host, component, metric FROM baseline_sums)"
        )
    con.execute(
        """
        INSERT INTO performance_baselines (host, component, metric_name, baseline_value, std_deviation,
            sample_count, median_value, mad_value, period_start, period_end, last_updated)
        SELECT s.host, s.component, s.metric, s.sum / s.n,
               sqrt(greatest(s.sumsq / s.n - (s.sum / s.n) * (s.sum / s.n), 0)), s.n::BIGINT,
               r.med, r.mad, ?, ?, ?
        FROM baseline_sums s LEFT JOIN _bl_robust r USING (host, component, metric)
        WHERE s.n > 0
        ON CONFLICT (host, component, metric_name) DO UPDATE SET
            baseline_value = excluded.baseline_value, std_deviation = excluded.std_deviation,
            sample_count = excluded.sample_count,
            median_value = coalesce(excluded.median_value, performance_baselines.median_value),
            mad_value = coalesce(excluded.mad_value, performance_baselines.mad_value),
            period_start = excluded.period_start, period_end = excluded.period_end,
            last_updated = excluded.last_updated""",
        [lo, hi, now],
    )
    con.execute("DROP TABLE IF EXISTS _bl_robust")


def list_baselines(store: Store, component: str | None = None, host: str | None = None) -> list[dict[str, Any]]:
    """The stored baselines (sorted by host, component, metric)."""
    where, params = [], []
    if component is not None:
        where.append("component = ?")
        params.append(component)
    if host is not None:
        where.append("host = ?")
        params.append(host)
    sql = (
        "SELECT host, component, metric_name AS metric, baseline_value AS mean, std_deviation AS std, "
        "sample_count AS samples, median_value AS median, mad_value AS mad, period_start, period_end, "
        "last_updated FROM performance_baselines"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY host, component, metric_name"
    )
    return store.query(sql, params).to_dicts()


def seasonal(store: Store, host: str, component: str, metric: str) -> list[dict[str, Any]]:
    """The hour-of-day x weekday baseline of one series: dow (0 = Monday), hod, n, mean, std."""
    df = store.query(
        "SELECT dow, hod, n, sum / n AS mean, sqrt(greatest(sumsq / n - (sum / n) * (sum / n), 0)) AS std "
        "FROM baseline_seasonal WHERE host = ? AND component = ? AND metric = ? AND n > 0 ORDER BY dow, hod",
        [host, component, metric],
    )
    return df.to_dicts()


def expected(store: Store, host: str, component: str, metric: str, at: dt.datetime) -> dict[str, Any] | None:
    """The seasonal expectation for the hour containing ``at`` (mean, std, n), or None without data."""
    df = store.query(
        "SELECT n, sum / n AS mean, sqrt(greatest(sumsq / n - (sum / n) * (sum / n), 0)) AS std "
        "FROM baseline_seasonal WHERE host = ? AND component = ? AND metric = ? AND dow = ? AND hod = ? AND n > 0",
        [host, component, metric, at.weekday(), at.hour],
    )
    return df.to_dicts()[0] if df.height else None


def zscore(value: float, mean: float, std: float) -> float:
    if std is None or not math.isfinite(std) or std <= 0:
        return 0.0 if value == mean else math.copysign(math.inf, value - mean)
    return (value - mean) / std
