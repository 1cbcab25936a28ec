"""`lokifi ai predict` and `lokifi baselines` against a real DuckDB file: the seed's output fields,
per-rule precision / false alarms / lead time, JSON for scripts, and hostile names printed inert."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from analytics.store.metrics import append_events, append_metrics
from lokifi_tui.cli.main import cli

HOSTILE = "api[bold]\x1b[31m"


@pytest.fixture
def db(migrated, tmp_path):
    path = tmp_path / "cli.duckdb"
    store = migrated(path)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    n = 8 * 24 * 6
    ts = np.array([now - dt.timedelta(minutes=10 * (n - k)) for k in range(n)], dtype="datetime64[us]")
    rng = np.random.default_rng(1)
    frames = [
        pl.DataFrame(
            {
                "ts": ts,
                "host": "h1",
                "component": "backend",
                "metric": "response_time_ms",
                "value": 1234.5 + rng.normal(0, 10, n),
            }
        ),
        pl.DataFrame(
            {
                "ts": ts,
                "host": "h1",
                "component": HOSTILE,
                "metric": "response_time_ms",
                "value": np.where(np.arange(n) % 50 == 0, 900.0, 100.0),
            }
        ),
    ]
    append_metrics(store, pl.concat(frames))
    append_events(
        store,
        pl.DataFrame(
            [
                {
                    "ts": now - dt.timedelta(hours=k + 1),
                    "host": "h1",
                    "component": "redis",
                    "message": f"ECONNREFUSED {k}",
                    "fingerprint": "fp1",
                    "type": "connection",
                }
                for k in range(5)
            ]
        ),
    )
    return path


def test_ai_predict_human_output(db):
    r = CliRunner().invoke(cli, ["--db", str(db), "ai", "predict", "--hours", "48"])
    assert r.exit_code == 0, r.output
    out = r.output
    assert "[HIGH] slow_response - backend" in out
    assert "backend response time exceeds threshold (avg: 123" in out
    assert "Confidence: 85% (prior)" in out
    assert "Recommendation: Investigate slow queries or add caching" in out
    assert "[HIGH] recurring_error - redis" in out and "connection_error occurring frequently in redis (5 times)" in out
    assert "Summary: 5× ECONNREFUSED" in out  # the pattern's own words, as the dashboard's row shows them
    assert "Summary: avg 1,23" in out and "limit 1,000 ms" in out
    assert "horizon 48 h" in out
    assert "precision" in out and "false alarms" in out and "lead time" in out
    assert "\x1b[31m" not in out and "api[bold]" in out  # hostile component name shown inert


def test_ai_predict_json_and_filters(db):
    r = CliRunner().invoke(
        cli, ["--db", str(db), "ai", "predict", "--json", "--sensitivity", "aggressive", "--component", "backend"]
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["sensitivity"] == "aggressive"
    assert {p["component"] for p in data["predictions"]} == {"backend"}
    p = next(p for p in data["predictions"] if p["type"] == "slow_response")
    for key in ("severity", "type", "component", "message", "confidence", "recommendation", "due_at", "evidence"):
        assert key in p
    assert p["confidence_kind"] == "prior"
    assert p["summary"].startswith("avg 1,23") and p["summary"].endswith("limit 1,000 ms")
    assert {s["rule"] for s in data["rules"]} >= {"slow_response"}
    bad = CliRunner().invoke(cli, ["--db", str(db), "ai", "predict", "--sensitivity", "wild"])
    assert bad.exit_code == 2


def test_baselines_command(db):
    r = CliRunner().invoke(cli, ["--db", str(db), "baselines", "--json", "--component", "backend"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert len(rows) == 1 and rows[0]["metric"] == "response_time_ms"
    assert rows[0]["mean"] == pytest.approx(1234.5, abs=3) and rows[0]["samples"] > 1000
    r = CliRunner().invoke(cli, ["--db", str(db), "baselines"])
    assert r.exit_code == 0 and "backend" in r.output and "\x1b[31m" not in r.output


def test_corrupt_db_is_a_store_error(tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 100)
    r = CliRunner().invoke(cli, ["--db", str(bad), "ai", "predict"])
    assert r.exit_code == 4
    assert bad.read_bytes() == b"this is not a duckdb file" * 100
