"""`lokifi collect --metrics-listen` serves Lokifi's numbers in the Prometheus text format, and a real
Prometheus (Debian's, on loopback) scrapes them: a PromQL query returns the stored forecast."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from types import SimpleNamespace

import pytest
from loopback_support import free_port
from prometheus_server import PrometheusServer, prometheus_binary
from repo_paths import ROOT

from analytics.store.database import Store

pytestmark = pytest.mark.slow  # measured: 13 s in all


def planted(migrated, tmp_path) -> Store:
    store = migrated(tmp_path / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store.execute(
        "INSERT INTO forecast_runs (host, component, metric, made_at, horizon_days, current_value, "
        "forecast_value, lo, hi) VALUES ('web-1', 'api', 'response_time_ms', ?, 7, 180, 240.5, 210, 275)",
        [now],
    )
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, prediction_date, due_at, "
        "outcome_date, accurate) VALUES ('slow_response', 'api', 'web-1', 'HIGH', 'x', ?, ?, NULL, NULL)",
        [now, now + dt.timedelta(hours=6)],
    )
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, prediction_date, due_at, "
        "outcome_date, accurate) VALUES ('slow_response', 'api', 'web-1', 'HIGH', 'x', ?, ?, ?, true)",
        [now - dt.timedelta(days=2), now - dt.timedelta(days=1), now - dt.timedelta(days=1)],
    )
    return store


def get(url: str, timeout: float = 2.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode()


def wait(fn, timeout: float = 30.0):
    end = time.monotonic() + timeout
    while True:
        try:
            out = fn()
            if out:
                return out
        except OSError:
            pass
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.2)


@pytest.fixture
def collector(migrated, tmp_path):
    store = planted(migrated, tmp_path)
    port = free_port()
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text("[collect]\nflush_seconds = 1.0\n")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lokifi_tui.cli.main",
            "--db",
            str(store.path),
            "--config",
            str(cfg),
            "collect",
            "--metrics-listen",
            f"127.0.0.1:{port}",
            "--duration",
            "60",
            "-q",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield store, port, proc
    proc.terminate()
    proc.wait(20)


def test_metrics_endpoint_serves_stored_figures(collector):
    _, port, _ = collector
    text = wait(lambda: get(f"http://127.0.0.1:{port}/metrics"))
    assert 'lokifi_predictions_live{component="api",host="web-1",severity="high",type="slow_response"} 1.0' in text
    assert (
        'lokifi_forecast_value{component="api",horizon_days="7",host="web-1",metric="response_time_ms"} 240.5' in text
    )
    assert (
        'lokifi_forecast_upper{component="api",horizon_days="7",host="web-1",metric="response_time_ms"} 275.0' in text
    )
    assert "lokifi_predictions_scored_total 1.0" in text and "lokifi_predictions_accurate_total 1.0" in text


@pytest.mark.skipif(not prometheus_binary(), reason="prometheus is not installed (apt-get install prometheus)")
def test_prometheus_scrapes_it_and_promql_returns_the_forecast(collector, tmp_path):
    _, port, _ = collector
    wait(lambda: get(f"http://127.0.0.1:{port}/metrics"))
    prom = PrometheusServer(tmp_path / "prom", [SimpleNamespace(target=f"127.0.0.1:{port}", host="web-1")]).start()
    try:
        q = urllib.parse.urlencode({"query": 'lokifi_forecast_value{component="api"}'})

        def result():
            data = json.loads(get(f"{prom.url}/api/v1/query?{q}"))["data"]["result"]
            return data or None

        got = wait(result)
        assert float(got[0]["value"][1]) == 240.5 and got[0]["metric"]["metric"] == "response_time_ms"
    finally:
        prom.stop()


def test_a_bad_listen_address_is_a_clear_usage_error(tmp_path):
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "lokifi_tui.cli.main",
            "--db",
            str(tmp_path / "l.duckdb"),
            "collect",
            "--metrics-listen",
            "nowhere",
            "--duration",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "expected HOST:PORT" in r.stderr


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:9464"])
def test_metrics_listen_with_once_is_a_usage_error_not_silence(tmp_path, listen):
    """--once collected a round and exited 0 with no word about --metrics-listen, even "nonsense"."""
    db = tmp_path / "l.duckdb"
    argv = [
        sys.executable,
        "-m",
        "lokifi_tui.cli.main",
        "--db",
        str(db),
        "collect",
        "--once",
        "--metrics-listen",
        listen,
    ]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--metrics-listen" in r.stderr and "--once" in r.stderr, r.stderr
    assert not db.exists()  # refused before anything was collected


def test_the_grafana_dashboard_charts_only_metrics_lokifi_serves(collector):
    import re

    _, port, _ = collector
    text = wait(lambda: get(f"http://127.0.0.1:{port}/metrics"))
    served = set(re.findall(r"^(lokifi_\w+?)(?:\{| )", text, re.M)) | set(
        re.findall(r"^# TYPE (lokifi_\w+)", text, re.M)
    )
    served |= {n.removesuffix("_total") for n in served}
    dash = json.loads((ROOT / "data" / "grafana" / "lokifi-dashboard.json").read_text())
    used = {m for p in dash["panels"] for t in p["targets"] for m in re.findall(r"lokifi_\w+", t["expr"])}
    assert used and used <= served | {n + "_total" for n in served}, used - served
