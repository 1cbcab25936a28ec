"""Which predictions rang the terminal's bell (``prediction_notices``) is pruned with the predictions, as
the rest of retention is: it grew for ever. On a real DuckDB file, the notices written by a real
:func:`notify` to a bell file, `lokifi db info` and `lokifi db prune` run as a user runs them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from analytics.alerts.deliver import notify
from analytics.collect.hooks import apply_retention
from analytics.config.settings import load_config
from analytics.store.database import Store
from lokifi_tui.cli.main import cli

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)  # `lokifi db prune` prunes from now
OLD = NOW - dt.timedelta(days=400)  # past predictions_days = 365


@pytest.fixture
def setup(migrated, tmp_path):
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text("[notify]\nbell = true\n")
    return migrated(tmp_path / "l.duckdb"), cfg, tmp_path / "tty"


def _plant(store: Store, made: dt.datetime, component: str) -> int:
    return store.scalar(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, prediction_date, due_at) "
        "VALUES ('slow_response', ?, 'web-1', 'HIGH', 'slow', ?, ?) RETURNING id",
        [component, made, made + dt.timedelta(hours=6)],
    )


def _rung(store: Store, cfg: Path, tty: Path, made: dt.datetime, component: str) -> int:
    """A HIGH prediction made at ``made`` that rang the bell then (a BEL written to the bell file)."""
    pid = _plant(store, made, component)
    tty.write_text("")
    assert notify(store, load_config(cfg), made + dt.timedelta(minutes=1), tty=str(tty)) == 1
    assert tty.read_text() == "\a"
    return pid


def _notices(store: Store) -> set[int]:
    return {pid for (pid,) in store.query("SELECT prediction_id FROM prediction_notices").rows()}


def test_db_prune_deletes_the_notices_of_the_predictions_it_deletes(lokifi, setup):
    """They stayed after their predictions were pruned, and no command counted them."""
    store, cfg, tty = setup
    old, recent = _rung(store, cfg, tty, OLD, "api"), _rung(store, cfg, tty, NOW, "db")
    gone = _rung(store, cfg, tty, NOW - dt.timedelta(days=2), "cache")
    store.execute("DELETE FROM predictions WHERE id = ?", [gone])  # deleted by hand: its notice is left alone
    info = json.loads(lokifi(store, cfg, "db", "info", "--json"))
    assert info["row_counts"]["prediction_notices"] == 3
    assert any(line.split() == ["prediction_notices", "3"] for line in lokifi(store, cfg, "db", "info").splitlines())
    dry = json.loads(lokifi(store, cfg, "db", "prune", "--dry-run", "--json"))
    assert (dry["predictions"], dry["prediction_notices"]) == (1, 2) and _notices(store) == {old, recent, gone}
    out = lokifi(store, cfg, "db", "prune", "--yes")
    assert "1 predictions, 0 alert records, 2 notice records" in out
    assert _notices(store) == {recent}
    # the one kept is still remembered: it does not ring again
    assert notify(store, load_config(cfg), NOW + dt.timedelta(minutes=2), tty=str(tty)) == 0


def test_db_prune_asks_before_deleting_them_alone(lokifi, setup):
    """Counted with the rest, they are worth asking about (without a terminal: refused unless --yes)."""
    store, cfg, tty = setup
    _rung(store, cfg, tty, NOW, "api")
    store.execute("DELETE FROM predictions")  # nothing else to prune
    r = CliRunner().invoke(cli, ["--db", str(store.path), "--config", str(cfg), "db", "prune"])
    assert r.exit_code != 0 and "pass --yes to confirm" in r.output and _notices(store) != set()
    assert "0 predictions, 0 alert records, 1 notice records" in lokifi(store, cfg, "db", "prune", "--yes")
    assert _notices(store) == set()


def test_the_collectors_retention_prunes_them_too(setup):
    store, cfg, tty = setup
    _rung(store, cfg, tty, OLD, "api")
    apply_retention(store, load_config(cfg), now=NOW)
    assert _notices(store) == set()
