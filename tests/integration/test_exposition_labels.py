"""The /metrics exposition names components, hosts and metrics that a log source can name itself: a
hostile source that calls its component ``password=...`` or puts a quote and a line break in it gets the
value redacted, and every value escaped so that it stays one label -- Prometheus' own parser (here
prometheus_client's, in the text format and in OpenMetrics) reads back exactly the families Lokifi
serves. Served over real HTTP on loopback from a real store."""

from __future__ import annotations

import datetime as dt
import urllib.request

import pytest
from loopback_support import free_port
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_families
from prometheus_client.parser import text_string_to_metric_families

from analytics.alerts.exposition import serve

HOSTILE = 'api"} 1\nlokifi_injected 1\n# password=Hunter2exp \x1b[31m'
SHOWN = 'api"} 1 lokifi_injected 1 # password=[REDACTED:password] [31m'
HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


@pytest.fixture
def metrics(migrated, tmp_path):
    store = migrated(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, prediction_date, due_at) "
        "VALUES ('recurring_error', ?, 'web-1 token abcdefghij0123456789', 'HIGH', 'x', ?, ?)",
        [HOSTILE, now, now + dt.timedelta(hours=6)],
    )
    store.execute(
        "INSERT INTO forecast_runs (host, component, metric, made_at, horizon_days, current_value, forecast_value, "
        "lo, hi) VALUES ('web-1', ?, 'secret=Hunter2met', ?, 7, 1, 2, 1, 3)",
        [HOSTILE, now],
    )
    store.execute(
        "INSERT INTO error_patterns (error_hash, error_type, error_message, component, occurrence_count) "
        "VALUES (?, 'general', 'm', ?, 5)",
        [HASH, HOSTILE],
    )
    port = free_port()
    server = serve(store, f"127.0.0.1:{port}")
    yield f"http://127.0.0.1:{port}/metrics"
    server.shutdown()
    server.server_close()


def _get(url: str, accept: str = "") -> str:
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(req, timeout=5) as r:
        return r.read().decode()


def test_free_text_labels_are_redacted_and_stay_one_label(metrics):
    text = _get(metrics)
    assert "Hunter2" not in text and "abcdefghij0123456789" not in text and "\x1b" not in text
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert not any("injected" in name for name in families)
    (live,) = families["lokifi_predictions_live"].samples
    assert live.labels == {
        "type": "recurring_error",
        "component": SHOWN,
        "host": "web-1 token [REDACTED:secret]",
        "severity": "high",
    }
    (value,) = families["lokifi_forecast_value"].samples
    assert value.labels["component"] == SHOWN and value.labels["metric"] == "secret=[REDACTED:secret]"
    (occ,) = families["lokifi_pattern_occurrences"].samples
    assert occ.labels == {"pattern": HASH[:12], "type": "general", "component": SHOWN} and occ.value == 5


def test_openmetrics_readers_get_the_same_labels(metrics):
    text = _get(metrics, "application/openmetrics-text; version=1.0.0")
    assert text.rstrip().endswith("# EOF") and "Hunter2" not in text
    families = {f.name: f for f in openmetrics_families(text)}
    (live,) = families["lokifi_predictions_live"].samples
    assert live.labels["component"] == SHOWN and not any("injected" in name for name in families)


@pytest.mark.parametrize(
    ("ai", "hosts"), [("", {"[IP]": 3.0}), ("redact_ips = false", {"10.0.0.5": 2.0, "10.0.0.6": 1.0})]
)
def test_hosts_named_by_their_address_are_redacted_as_the_ai_settings_say_and_stay_one_series(
    migrated, tmp_path, ai, hosts
):
    """Fleet hosts are often named by their address: with ``[ai] redact_ips`` on (the default) each is
    [IP], as in a prompt and an alert, and their rows are one sample (Prometheus refuses two samples of one
    series in a scrape); with it off, each host is its own."""
    from analytics.config.settings import load_config

    store = migrated(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for host, metric in (("10.0.0.5", "cpu"), ("10.0.0.5", "mem"), ("10.0.0.6", "cpu")):
        store.execute(
            "INSERT INTO predictions (prediction_type, component, host, metric, severity, message, prediction_date, "
            "due_at) VALUES ('two_sigma', 'node', ?, ?, 'MEDIUM', 'x', ?, ?)",
            [host, metric, now, now + dt.timedelta(hours=6)],
        )
    (tmp_path / "lokifi.toml").write_text(f"[ai]\n{ai}\n")
    port = free_port()
    server = serve(store, f"127.0.0.1:{port}", load_config(tmp_path / "lokifi.toml"))
    try:
        text = _get(f"http://127.0.0.1:{port}/metrics")
    finally:
        server.shutdown()
        server.server_close()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    live = families["lokifi_predictions_live"].samples
    assert {s.labels["host"]: s.value for s in live} == hosts and len(live) == len(hosts)
