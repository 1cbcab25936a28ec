"""The forecast series on /metrics carry the host their series is of, as the live predictions' do: the
collector forecasts each component's series over all hosts together (stored under host ''), and on one
machine -- or for a component only one host has -- that is one host's series. Served over real HTTP on
loopback from a real store, forecasts made by the forecast engine from metrics written by the store's
own writer."""

from __future__ import annotations

import datetime as dt
import urllib.request

import polars as pl
from loopback_support import free_port
from prometheus_client.parser import text_string_to_metric_families

from analytics.alerts.exposition import serve
from analytics.forecast.components import forecast_all
from analytics.forecast.stored import record, refresh
from analytics.store.database import Store

NOW = dt.datetime(2026, 3, 2, 12, 30)


def _metrics(store: Store, host: str, component: str, days: float = 10, ago: float = 0) -> None:
    end = NOW.replace(minute=0) - dt.timedelta(days=ago)
    ts = [end - dt.timedelta(hours=h) for h in range(1, int(days * 24))]
    values = [10.0 + (t.hour % 6) for t in ts]
    frame = pl.DataFrame({"ts": ts, "host": host, "component": component, "metric": "cpu_percent", "value": values})
    store.submit("metrics", frame)


def _forecasts(store: Store) -> list[dict[str, str]]:
    port = free_port()
    server = serve(store, f"127.0.0.1:{port}")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            text = r.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    return sorted(
        ({**s.labels, "value": f"{s.value:g}"} for s in families["lokifi_forecast_value"].samples),
        key=lambda d: (d["component"], d["host"]),
    )


def _hosts(store: Store) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for s in _forecasts(store):
        out.setdefault(s["component"], []).append(s["host"])
    return out


def test_a_forecast_of_one_hosts_series_carries_that_host(migrated, tmp_path):
    """It carried host="": a dashboard or an alert rule on {host="vm"} never saw this machine's forecasts."""
    store = migrated(tmp_path / "l.duckdb")
    _metrics(store, "vm", "api")
    assert refresh(store, now=NOW, metric="cpu_percent", force=True)  # the collector's own forecast, host ''
    assert store.query("SELECT DISTINCT host FROM forecast_runs").rows() == [("",)]
    assert _hosts(store) == {"api": ["vm"]}


def test_several_hosts_together_carry_none_and_a_hosts_own_forecast_carries_it(migrated, tmp_path):
    store = migrated(tmp_path / "l.duckdb")
    _metrics(store, "vm", "api")
    _metrics(store, "web-1", "db")
    _metrics(store, "web-2", "db")
    refresh(store, now=NOW, metric="cpu_percent", force=True)
    assert _hosts(store) == {"api": ["vm"], "db": [""]}  # db: web-1 and web-2 together, no one host's
    record(store, forecast_all(store, metric="cpu_percent", now=NOW, host="web-1"), NOW, host="web-1")
    assert _hosts(store) == {"api": ["vm"], "db": ["", "web-1"]}


def test_a_host_that_left_the_forecasts_window_is_not_counted(migrated, tmp_path):
    """Hourly means older than what the forecast read (they are kept for ever) do not make it a fleet's."""
    store = migrated(tmp_path / "l.duckdb")
    _metrics(store, "old-vm", "api", days=5, ago=60)
    _metrics(store, "vm", "api")
    refresh(store, now=NOW, metric="cpu_percent", force=True)
    assert _hosts(store) == {"api": ["vm"]}


def test_where_a_hosts_own_forecast_and_the_fleets_name_one_host_its_own_is_shown_once(migrated, tmp_path):
    """Prometheus refuses two samples of one series: a host's own forecast and the all-hosts one that is
    that host's alone are one sample, the host's own."""
    store = migrated(tmp_path / "l.duckdb")
    _metrics(store, "vm", "api")
    for host, value in (("", 1.0), ("vm", 2.0)):
        store.execute(
            "INSERT INTO forecast_runs (host, component, metric, made_at, last_hour, horizon_days, forecast_value) "
            "VALUES (?, 'api', 'cpu_percent', ?, ?, 7, ?)",
            [host, NOW, NOW.replace(minute=0) - dt.timedelta(hours=1), value],
        )
    assert [(s["host"], s["value"]) for s in _forecasts(store)] == [("vm", "2")]
