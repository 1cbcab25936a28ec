"""Retention and imported history: the collector's automatic retention never deletes rows imported with
`lokifi ingest` (it says so when they are imported); `lokifi db prune` deletes them, after asking."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import pytest

from analytics.store.database import Store

pytestmark = pytest.mark.slow  # measured: 6 s in all


def lokifi(db, conf, *args, input=None):
    return subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(db), "--config", str(conf), *args],
        capture_output=True,
        text=True,
        timeout=180,
        input=input,
    )


def test_collect_keeps_imported_history_and_db_prune_asks_before_deleting_it(tmp_path):
    db, conf = tmp_path / "l.duckdb", tmp_path / "lokifi.toml"
    conf.write_text("[retention]\nmetrics_days = 90\nevents_days = 180\n")
    start = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=400)
    rows = ["timestamp,component,metric,value"] + [
        f"{(start + dt.timedelta(hours=i)).isoformat()},api,latency_ms,{100 + i % 7}" for i in range(1000)
    ]
    (tmp_path / "old.csv").write_text("\n".join(rows) + "\n")
    events = [
        json.dumps(
            {
                "timestamp": (start + dt.timedelta(hours=i)).isoformat(),
                "component": "api",
                "message": f"timeout after {i} ms",
                "source": "nginx",
            }
        )
        for i in range(50)
    ]
    (tmp_path / "old.jsonl").write_text("\n".join(events) + "\n")
    r = lokifi(db, conf, "ingest", str(tmp_path / "old.csv"), str(tmp_path / "old.jsonl"))
    assert r.returncode == 0, r.stderr
    assert "older than the 90-day retention of metrics" in r.stdout and "lokifi db prune" in r.stdout
    # the collector gathered an old row too (a probe result stored long ago): its retention applies to that
    store = Store(db)
    store.execute(
        "INSERT INTO metrics (ts, host, component, metric, value, source) VALUES (?, 'h', 'api', 'cpu', 1, 'vitals')",
        [start],
    )
    r = lokifi(db, conf, "collect", "--once")
    assert r.returncode == 0, r.stderr
    assert store.scalar("SELECT count(*) FROM metrics WHERE source LIKE 'ingest:%'") == 1000
    assert store.scalar("SELECT count(*) FROM metrics WHERE source = 'vitals' AND ts = ?", [start]) == 0
    assert store.scalar("SELECT count(*) FROM error_events WHERE source = 'ingest:nginx'") == 50
    r = lokifi(db, conf, "db", "prune", "--dry-run", "--json")
    assert json.loads(r.stdout)["imported"] == 1050
    r = lokifi(db, conf, "db", "prune", input="n\n")  # no terminal: refuses without --yes
    assert store.scalar("SELECT count(*) FROM metrics WHERE source LIKE 'ingest:%'") == 1000
    r = lokifi(db, conf, "db", "prune", "--yes")
    assert r.returncode == 0, r.stderr
    assert "deleted 1,000 metric rows, 50 error events" in r.stdout
    assert store.scalar("SELECT count(*) FROM metrics WHERE source LIKE 'ingest:%'") == 0
