"""Lokifi's own numbers in the Prometheus text format, for Prometheus to scrape and Grafana to chart.

:func:`serve` starts a ``/metrics`` endpoint (:mod:`.metrics_http`) whose values are read from the store
at each scrape, in one short read: live predictions by type, component, host and severity; the latest
forecast of each component and metric with its 80 % interval, labelled with the host whose series it is
of (no host for a series of several hosts together); pattern occurrences and confidence (the most
frequent 200); the recommendation queue by priority; prediction accuracy from scored outcomes; and the
collector's health (rows written, last write). Nothing is computed for the scrape that is not stored.
Label values that can carry a log source's text (component, host, metric) are redacted first, as the
alerts' are (:mod:`.labels`, with the ``[ai]`` settings); rows that redaction makes alike are one sample
(live predictions added up, the first forecast kept), never two samples of one series, which Prometheus
would refuse. prometheus_client escapes every label value for the text format.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CollectorRegistry, CounterMetricFamily, GaugeMetricFamily

from analytics.alerts.labels import FreeText, pattern_id
from analytics.forecast.components import HISTORY_DAYS
from analytics.forecast.linear import WINDOW_DAYS
from analytics.patterns.mutes import NOT_MUTED
from analytics.rca.redact import Redactor

TOP_PATTERNS = 200
#: the days of hourly means a forecast reads, up to its last complete hour (analytics.forecast.components)
FORECAST_READS_DAYS = int(max(HISTORY_DAYS, WINDOW_DAYS))
#: The latest forecast of each host, component and metric, with the host its series is of: a forecast of
#: one host's series is stored under that host; one of a component's series over all hosts together under
#: '' -- that is the host whose hourly rows it read when they are one host's (a single machine, or a
#: component only one host has), and stays '' when they are several hosts' together. A host's own forecast
#: comes first, so it is the one shown where both name the same host.
_FORECASTS = (
    "WITH latest AS (SELECT r.* FROM forecast_runs r JOIN (SELECT host, component, metric, max(made_at) AS m "
    "FROM forecast_runs GROUP BY ALL) l ON r.host = l.host AND r.component = l.component AND r.metric = l.metric "
    "AND r.made_at = l.m WHERE r.forecast_value IS NOT NULL), "
    "one_host AS (SELECT l.component, l.metric, min(h.host) AS host FROM latest l JOIN metrics_hourly h "
    "ON l.host = '' AND h.component = l.component AND h.metric = l.metric "
    "AND h.hour <= coalesce(l.last_hour, l.made_at) AND h.hour > coalesce(l.last_hour, l.made_at) - to_days(?) "
    "GROUP BY ALL HAVING count(DISTINCT h.host) = 1) "
    "SELECT r.component, r.metric, CASE WHEN r.host <> '' THEN r.host ELSE coalesce(o.host, '') END, "
    "r.horizon_days, r.forecast_value, r.lo, r.hi, r.current_value FROM latest r LEFT JOIN one_host o "
    "ON r.host = '' AND o.component = r.component AND o.metric = r.metric "
    "ORDER BY r.host = '', r.component, r.metric, r.horizon_days"
)


#: the forecast's four numbers, each a family of its own (lokifi_forecast_<name>)
_FORECAST_NUMBERS = ("value", "lower", "upper", "current")
_PATTERN_LABELS = ["pattern", "type", "component"]


def _families() -> dict[str, Any]:
    """Every family ``/metrics`` serves, empty and in the order served: what :meth:`StoreCollector.collect`
    fills and :meth:`StoreCollector.describe` names."""
    forecast = ["component", "metric", "host", "horizon_days"]
    fams = [
        GaugeMetricFamily(
            "lokifi_predictions_live",
            "Live predictions (not yet due or scored).",
            labels=["type", "component", "host", "severity"],
        ),
        *(
            GaugeMetricFamily(
                f"lokifi_forecast_{k}", f"Latest forecast: {k} (80% interval bounds for lower/upper).", labels=forecast
            )
            for k in _FORECAST_NUMBERS
        ),
        GaugeMetricFamily("lokifi_pattern_occurrences", "Occurrences of an error pattern.", labels=_PATTERN_LABELS),
        GaugeMetricFamily(
            "lokifi_pattern_confidence",
            "Confidence in the pattern's fix (patterns with outcomes).",
            labels=_PATTERN_LABELS,
        ),
        GaugeMetricFamily("lokifi_recommendations_open", "Open recommendations by priority.", labels=["priority"]),
        CounterMetricFamily("lokifi_predictions_scored", "Predictions scored against what happened.", labels=[]),
        CounterMetricFamily("lokifi_predictions_accurate", "Scored predictions that came true.", labels=[]),
        CounterMetricFamily("lokifi_collector_rows", "Rows the collector has written.", labels=[]),
        GaugeMetricFamily("lokifi_collector_last_write_seconds", "Unix time of the collector's last write."),
    ]
    return {f.name.removeprefix("lokifi_"): f for f in fams}


class StoreCollector:
    """A prometheus_client collector over a Lokifi store."""

    def __init__(self, store: Any, redactor: Redactor | None = None) -> None:
        self.store = store
        self.redactor = redactor

    def describe(self) -> list[Any]:
        """The families served, without reading the store: the registry maps the names a scrape asks for
        (``/metrics?name[]=...``) to this collector by them -- without it the filter finds nothing."""
        return list(_families().values())

    def collect(self) -> Iterator[Any]:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with self.store.read() as con:
            live = con.execute(
                "SELECT prediction_type, component, coalesce(host, ''), coalesce(severity, ''), count(*) "
                "FROM predictions "
                f"WHERE outcome_date IS NULL AND prediction_type <> 'forecast' AND due_at > ? AND {NOT_MUTED} "
                "GROUP BY ALL",
                [now, now, now],
            ).fetchall()
            fc = con.execute(_FORECASTS, [FORECAST_READS_DAYS]).fetchall()
            pats = con.execute(
                f"SELECT substr(error_hash, 1, 12), error_type, component, occurrence_count, confidence_score, "
                f"coalesce(success_count, 0) + coalesce(failure_count, 0) FROM error_patterns "
                f"ORDER BY occurrence_count DESC LIMIT {TOP_PATTERNS}"
            ).fetchall()
            recs = con.execute(
                "SELECT priority, count(*) FROM smart_recommendations WHERE status = 'open' GROUP BY ALL"
            ).fetchall()
            acc = con.execute("SELECT count(accurate), count(*) FILTER (WHERE accurate) FROM predictions").fetchone()
            col = con.execute(
                "SELECT coalesce(max(rows_total), 0), max(last_success) FROM source_status WHERE source = 'collector'"
            ).fetchone()
        fams = _families()
        # component, host and metric can carry a log source's text: redacted (analytics.alerts.labels); the
        # types are Lokifi's rule and error-type names, the pattern ids hex
        text = FreeText(self.redactor)
        counts: dict[tuple[str, ...], int] = {}
        for t, c, h, sev, n in live:
            key = (str(t), text(c), text(h), str(sev).lower())
            counts[key] = counts.get(key, 0) + n
        for labels, n in counts.items():
            fams["predictions_live"].add_metric(list(labels), n)
        shown: set[tuple[str, ...]] = set()
        for c, m, h, hz, v, lo, hi, cur in fc:
            lab = [text(c), text(m), text(h), f"{hz:g}" if hz is not None else ""]
            if tuple(lab) in shown:
                continue
            shown.add(tuple(lab))
            for k, x in zip(_FORECAST_NUMBERS, (v, lo, hi, cur), strict=True):
                if x is not None:
                    fams[f"forecast_{k}"].add_metric(lab, float(x))
        seen: set[tuple[str, ...]] = set()
        for pid, t, c, n, cs, outcomes in pats:
            lab = [pattern_id(pid), t or "", text(c)]
            if tuple(lab) in seen:  # (the most frequent first)
                continue
            seen.add(tuple(lab))
            fams["pattern_occurrences"].add_metric(lab, float(n or 0))
            if outcomes and cs is not None:
                fams["pattern_confidence"].add_metric(lab, float(cs))
        for p, n in recs:
            fams["recommendations_open"].add_metric([str(p)], n)
        scored, right = acc
        fams["predictions_scored"].add_metric([], scored)
        fams["predictions_accurate"].add_metric([], right)
        rows, last = col
        fams["collector_rows"].add_metric([], rows)
        if last is not None:
            fams["collector_last_write_seconds"].add_metric([], last.replace(tzinfo=dt.UTC).timestamp())
        yield from fams.values()


def serve(store: Any, listen: str, config: Any = None) -> Any:
    """Serve ``/metrics`` on ``HOST:PORT`` in a background thread (:mod:`.metrics_http`: GET and HEAD,
    404 elsewhere); returns the server (``close()`` stops it, letting a scrape under way finish).
    Free-text labels are redacted as ``config``'s ``[ai]`` settings say (None: their defaults)."""
    from analytics.alerts.metrics_http import start

    host, _, port = listen.rpartition(":")
    registry = CollectorRegistry()
    registry.register(StoreCollector(store, redactor=Redactor.for_config(config)))
    return start(registry, host.strip("[]") or "127.0.0.1", int(port))


def parse_listen(text: str) -> str:
    """Check ``HOST:PORT``; raise ValueError with what is wrong."""
    _host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{text!r}: expected HOST:PORT, e.g. 127.0.0.1:9464")
    return text


__all__ = ["StoreCollector", "parse_listen", "serve"]
