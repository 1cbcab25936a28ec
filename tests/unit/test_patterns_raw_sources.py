"""Lines tailed from log files (or read from Loki) get the same pattern as `lokifi patterns scan` gives them."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from click.testing import CliRunner

from analytics.patterns.learning import learn_from_events
from analytics.store.metrics import append_events
from lokifi_tui.cli.main import cli

LINES = [
    "2026-11-21 22:00:00 ERROR [backend] database connection refused to 10.0.0.1:5432 (attempt 3)",
    "2026-11-21 22:00:05 ERROR [backend] database connection refused to 10.0.0.2:5432 (attempt 4)",
]


def test_tailed_lines_and_scan_agree_on_the_pattern(store, tmp_path):
    append_events(
        store,
        pl.DataFrame(
            {
                "ts": [dt.datetime(2026, 11, 21, 22, 0, s) for s in (0, 5)],
                "host": "h",
                "component": "backend",
                "message": LINES,
                "source": ["tail", "loki:logs"],
                "level": "ERROR",
            }
        ),
    )
    learn_from_events(store)
    stored = store.query("SELECT error_hash, template, occurrence_count FROM error_patterns")
    assert stored.height == 1 and stored["occurrence_count"][0] == 2
    assert stored["template"][0] == "database connection refused to <*> (attempt <*>)"
    log = tmp_path / "app.log"
    log.write_text("\n".join(LINES) + "\n")
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "other.duckdb"), "patterns", "scan", "--json", str(log)])
    assert r.exit_code == 0, r.output
    scanned = json.loads(r.output)
    ids = {p["id"] for p in (scanned["patterns"] if isinstance(scanned, dict) else scanned)}
    assert stored["error_hash"][0][:12] in ids
