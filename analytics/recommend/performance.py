"""Performance rules over the stored metrics of this host: cache hit rate, response time, memory trend.

* ``performance.cache_hit_rate`` — per component, over the last ``perf_window_hours``: from
  ``cache_hit_rate`` (a ratio, or a percentage when above 1), or ``cache_hits``/``cache_misses``
  (per-interval counts), or Redis' cumulative ``keyspace_hits``/``keyspace_misses`` counters (the
  increase over the window; a counter reset restarts the count). Fires below ``cache_hit_rate_min`` once
  there were at least 100 lookups (fewer say nothing).
* ``performance.response_time`` — per component, the mean ``response_time_ms`` over the window (from the
  hourly rollup), above ``response_time_max_ms``.
* ``performance.memory_trend`` — per component ``proc_rss_bytes`` and the host's ``memory_percent``:
  a least-squares line through the hourly means of the last ``predictions.window_days`` days (at least 24
  hours spanning a day); fires when the fitted growth is at least ``memory_growth_pct_per_day`` of the
  mean per day *and* the line explains the data (R² >= 0.6), so noise is not a trend.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from analytics.recommend.finding import Finding, RuleRun

MIN_LOOKUPS = 100
MIN_R2 = 0.6


def _frame(store, sql: str, params: list):
    with store.read() as con:
        return con.execute(sql, params).fetchall()


def cache_rule(store, host: str, now: dt.datetime, window_h: int, min_rate: float) -> RuleRun:
    run = RuleRun(evaluated={"performance.cache_hit_rate"})
    since = now - dt.timedelta(hours=window_h)
    rows = _frame(
        store,
        """
        WITH w AS (
            SELECT component, metric, ts, value,
                   value - lag(value) OVER (PARTITION BY component, metric ORDER BY ts) AS d
            FROM metrics
            WHERE host = ? AND ts > ? AND ts <= ?
              AND metric IN ('cache_hit_rate', 'cache_hits', 'cache_misses', 'keyspace_hits', 'keyspace_misses')
        )
        SELECT component, metric, count(*) AS n, avg(value) AS mean, sum(value) AS total,
               sum(CASE WHEN d IS NULL THEN 0 WHEN d < 0 THEN value ELSE d END) AS increase
        FROM w GROUP BY component, metric
    """,
        [host, since, now],
    )
    by: dict[str, dict[str, tuple]] = {}
    for comp, metric, n, mean, total, inc in rows:
        by.setdefault(comp, {})[metric] = (int(n), float(mean or 0), float(total or 0), float(inc or 0))
    for comp, m in sorted(by.items()):
        rate = lookups = None
        source = ""
        if "keyspace_hits" in m and "keyspace_misses" in m:
            hits, misses = m["keyspace_hits"][3], m["keyspace_misses"][3]
            lookups, source = hits + misses, "keyspace_hits/misses"
            rate = hits / lookups if lookups else None
        elif "cache_hits" in m and "cache_misses" in m:
            hits, misses = m["cache_hits"][2], m["cache_misses"][2]
            lookups, source = hits + misses, "cache_hits/misses"
            rate = hits / lookups if lookups else None
        elif "cache_hit_rate" in m:
            n, mean, _, _ = m["cache_hit_rate"]
            rate = mean / 100.0 if mean > 1.0 else mean
            lookups, source = None, f"cache_hit_rate ({n} samples)"
        if rate is None or (lookups is not None and lookups < MIN_LOOKUPS):
            continue
        if rate < min_rate:
            count = f" over {lookups:,.0f} lookups" if lookups is not None else ""
            run.findings.append(
                Finding(
                    rule="performance.cache_hit_rate",
                    subject=comp,
                    category="performance",
                    title=f"Low cache hit rate on {comp}",
                    description=(
                        f"Cache hit rate is below {min_rate:.0%} (current: {rate:.1%}{count} in the last "
                        f"{window_h} h, from {source})."
                    ),
                    action=(
                        "Review the caching strategy: increase the cache size (maxmemory) or TTLs, check the "
                        "eviction policy and key design"
                    ),
                    severity=0.6,
                    value=rate,
                    threshold=min_rate,
                    higher_is_worse=False,
                    unit="fraction",
                    components=(comp,),
                    evidence={
                        "hit_rate": round(rate, 4),
                        "lookups": lookups,
                        "source": source,
                        "window_hours": window_h,
                    },
                )
            )
    return run


def response_rule(store, host: str, now: dt.datetime, window_h: int, max_ms: float) -> RuleRun:
    run = RuleRun(evaluated={"performance.response_time"})
    since = now - dt.timedelta(hours=window_h + 1)
    rows = _frame(
        store,
        """
        SELECT component, sum(sum) / sum(n) AS mean, max(max) AS worst, sum(n) AS n
        FROM metrics_hourly
        WHERE host = ? AND metric = 'response_time_ms' AND hour > ? AND hour <= ?
        GROUP BY component HAVING sum(n) > 0
    """,
        [host, since, now],
    )
    for comp, mean, worst, n in sorted(rows):
        if mean is None or mean <= max_ms:
            continue
        run.findings.append(
            Finding(
                rule="performance.response_time",
                subject=comp,
                category="performance",
                title=f"High response time on {comp}",
                description=(
                    f"Average response time {mean:,.0f} ms over the last {window_h} h exceeds {max_ms:,.0f} ms "
                    f"({int(n)} samples, worst {worst:,.0f} ms)."
                ),
                action=(
                    f"Investigate slow queries or endpoints of {comp}, add caching, or scale it "
                    "(see `lokifi ai predict`)"
                ),
                severity=0.7,
                value=float(mean),
                threshold=max_ms,
                unit="ms",
                components=(comp,),
                evidence={
                    "mean_ms": round(float(mean), 1),
                    "max_ms": round(float(worst), 1),
                    "samples": int(n),
                    "window_hours": window_h,
                },
            )
        )
    return run


def fit_trend(hours: np.ndarray, values: np.ndarray) -> tuple[float, float, float]:
    """Least-squares slope per day, mean, and R² of ``values`` against ``hours`` (epoch hours)."""
    x = (hours - hours.min()) / 24.0
    slope, intercept = np.polyfit(x, values, 1)
    pred = slope * x + intercept
    ss_res = float(np.sum((values - pred) ** 2))
    ss_tot = float(np.sum((values - values.mean()) ** 2))
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else 0.0
    return float(slope), float(values.mean()), r2


def memory_rule(store, host: str, now: dt.datetime, window_days: int, min_growth_pct: float) -> RuleRun:
    run = RuleRun(evaluated={"performance.memory_trend"})
    since = now - dt.timedelta(days=window_days)
    rows = _frame(
        store,
        """
        SELECT component, metric, epoch(hour) / 3600.0 AS h, sum / n AS v
        FROM metrics_hourly
        WHERE host = ? AND metric IN ('proc_rss_bytes', 'memory_percent') AND hour > ? AND hour <= ? AND n > 0
        ORDER BY component, metric, hour
    """,
        [host, since, now],
    )
    series: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for comp, metric, h, v in rows:
        series.setdefault((comp, metric), []).append((float(h), float(v)))
    for (comp, metric), pts in sorted(series.items()):
        if len(pts) < 24:
            continue
        hours = np.array([p[0] for p in pts])
        vals = np.array([p[1] for p in pts])
        if hours.max() - hours.min() < 24:
            continue
        slope, mean, r2 = fit_trend(hours, vals)
        if mean <= 0:
            continue
        growth = 100.0 * slope / mean
        if growth < min_growth_pct or r2 < MIN_R2:
            continue
        what = "memory use" if metric == "memory_percent" else "resident memory (RSS)"
        unit = (lambda x: f"{x:.1f}%") if metric == "memory_percent" else (lambda x: f"{x / 2**20:,.0f} MB")
        run.findings.append(
            Finding(
                rule="performance.memory_trend",
                subject=f"{comp}:{metric}",
                category="performance",
                title=f"Memory trending up on {comp}",
                description=(
                    f"{what.capitalize()} of {comp} grows {growth:.1f}% per day over the last "
                    f"{(hours.max() - hours.min()) / 24:.0f} days (fit R² {r2:.2f}; mean {unit(mean)}, "
                    f"latest {unit(vals[-1])}); a leak or an unbounded cache looks like this."
                ),
                action=(
                    f"Profile {comp}'s memory (heap snapshot, tracemalloc), look for caches without bounds; "
                    "restart it as a stopgap"
                    if comp != "host"
                    else "Find the process that grows (`lokifi` dashboard, `ps aux --sort=-rss`) and profile it"
                ),
                severity=0.6,
                value=growth,
                threshold=min_growth_pct,
                unit="% per day",
                components=(comp,),
                evidence={
                    "metric": metric,
                    "growth_pct_per_day": round(growth, 2),
                    "r2": round(r2, 3),
                    "points": len(pts),
                    "mean": mean,
                    "latest": float(vals[-1]),
                },
            )
        )
    return run


def performance_rules(store, config, host: str, now: dt.datetime) -> RuleRun:
    rc = config.recommendations
    run = RuleRun()
    run.extend(cache_rule(store, host, now, rc.perf_window_hours, rc.cache_hit_rate_min))
    run.extend(response_rule(store, host, now, rc.perf_window_hours, rc.response_time_max_ms))
    run.extend(memory_rule(store, host, now, config.predictions.window_days, rc.memory_growth_pct_per_day))
    return run
