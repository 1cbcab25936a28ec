"""`lokifi ai predict` prints a prediction's texts as its alert sends them off the host: the pattern's own
words and the lines its example came with, redacted with the ``[ai]`` settings -- what the terminal shows
is byte for byte what Alertmanager (here a loopback HTTP server that records every body it is sent)
receives. Before, the terminal showed the log line as it was stored, secrets and all."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alert_servers import alerts_config
from click.testing import CliRunner
from collect_support import backfill_one_log

from analytics.alerts.deliver import deliver
from analytics.config.settings import load_config
from analytics.patterns.learning import learn_from_events
from analytics.store.database import Store
from lokifi_tui.cli.main import cli

LINE = "login failed for bob from 203.0.113.9: X-Auth: s3cr3tKey9 password=Hunter2xyz"
SECRETS = ("203.0.113.9", "s3cr3tKey9", "Hunter2xyz")


def _predict(db, cfg) -> str:
    r = CliRunner().invoke(cli, ["--db", str(db), "--config", str(cfg), "ai", "predict"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    return r.output


@pytest.mark.slow
def test_the_summary_printed_is_the_alerts_summary(recorder, tmp_path):
    db = tmp_path / "l.duckdb"
    cfg = alerts_config(tmp_path, recorder.url, resend_seconds=None, timeout=None)
    for _ in range(6):
        r = CliRunner().invoke(cli, ["--db", str(db), "--config", str(cfg), "error", "record", LINE, "-c", "api"])
        assert r.exit_code == 0, r.output
    out = _predict(db, cfg)
    assert not [s for s in SECRETS if s in out], out
    (summary,) = [line.split("Summary: ", 1)[1] for line in out.splitlines() if "Summary: " in line]
    assert summary == "6× login failed for bob from [IP]: X-Auth: [REDACTED:secret] password=[REDACTED:password]"
    report = deliver(Store(db), load_config(cfg))
    assert report is not None and report.posted == 1, report
    (alert,) = recorder.alerts()
    assert alert["annotations"]["summary"] == summary


@pytest.mark.slow
def test_the_lines_with_the_example_are_printed_redacted(tmp_path):
    """A PostgreSQL error whose STATEMENT sets a password: `With it:` shows the statement as the alert's
    evidence carries it, the password replaced."""
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    log = tmp_path / "pg.log"
    log.write_text(
        "".join(
            f"{recent}.{100 + i} UTC [{4000 + i}] admin@postgres {line}\n"
            for i in range(5)
            for line in (
                'ERROR:  role "app" does not exist',
                "STATEMENT:  alter role app with password 'hunter2-Secret'",
            )
        )
    )
    _, cfg = backfill_one_log(tmp_path, "postgres", log)
    store = Store(tmp_path / "l.duckdb")
    learn_from_events(store)
    out = _predict(tmp_path / "l.duckdb", cfg)
    assert "hunter2" not in out, out
    assert "   With it: STATEMENT:  alter role app with password '[REDACTED:password]'\n" in out
    (evidence,) = store.query("SELECT evidence FROM predictions WHERE rule = 'recurring_error'").to_series()
    assert "hunter2-Secret" in json.loads(evidence)["current"]["example_context"]  # stored whole, shown redacted
