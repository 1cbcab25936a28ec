"""The health recorded for an Alertmanager endpoint (``alert_endpoint``) goes once the endpoint is no longer
configured, as the rest of retention does: it stayed for ever. Recorded by real deliveries (to a loopback
server, and to a closed port), pruned by `lokifi db prune` and the collector's retention as a user runs
them, counted by `lokifi db info`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from alert_servers import alerts_config
from loopback_support import free_port

from analytics.alerts.deliver import deliver
from analytics.collect.hooks import apply_retention
from analytics.config.settings import load_config
from analytics.store.database import Store

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _config(path: Path, url: str | None) -> Path:
    if not url:
        path.write_text("")
        return path
    return alerts_config(path, url, min_severity=None, resend_seconds=5)


def _endpoints(store: Store) -> dict[str, str]:
    return dict(store.query("SELECT endpoint, state FROM alert_endpoint").rows())


def test_the_health_of_an_endpoint_no_longer_configured_is_pruned(migrated, lokifi, tmp_path, recorder):
    store = migrated(tmp_path / "l.duckdb")
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, evidence, prediction_date, "
        "due_at) VALUES ('slow_response', 'api', 'web-1', 'HIGH', 'slow', '{}', ?, ?)",
        [NOW - dt.timedelta(minutes=5), NOW + dt.timedelta(hours=6)],
    )
    closed = f"http://127.0.0.1:{free_port()}"  # nobody listens: the post fails
    cfg = tmp_path / "lokifi.toml"
    assert deliver(store, load_config(_config(cfg, recorder.url)), NOW).posted == 1
    later = NOW + dt.timedelta(seconds=10)  # the firing alert is due to be posted again
    assert deliver(store, load_config(_config(cfg, closed)), later).error
    assert _endpoints(store) == {recorder.url: "ok", closed: "failing"}
    assert json.loads(lokifi(store, cfg, "db", "info", "--json"))["row_counts"]["alert_endpoint"] == 2

    assert "0 alert records, 0 notice records, 1 endpoint records" in lokifi(store, cfg, "db", "prune", "--dry-run")
    assert len(_endpoints(store)) == 2
    assert json.loads(lokifi(store, cfg, "db", "prune", "--yes", "--json"))["alert_endpoints"] == 1
    assert _endpoints(store) == {closed: "failing"}  # the one configured stays, failing as it is
    assert "0 endpoint records" in lokifi(store, cfg, "db", "prune", "--dry-run")

    apply_retention(store, load_config(_config(cfg, None)), now=NOW)  # the collector's, Alertmanager removed
    assert _endpoints(store) == {}


def test_a_prune_with_another_config_leaves_the_collectors_endpoint_record(migrated, lokifi, tmp_path, recorder):
    """`lokifi db prune --config other.toml` (other retention days, no Alertmanager) on the collector's
    database: the endpoint record the collector's deliveries made is not that config's to drop (it came
    back at the next delivery, its failure history lost); the collector's own config still drops it."""
    store = migrated(tmp_path / "l.duckdb")
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, evidence, prediction_date, "
        "due_at) VALUES ('slow_response', 'api', 'web-1', 'HIGH', 'slow', '{}', ?, ?)",
        [NOW - dt.timedelta(minutes=5), NOW + dt.timedelta(hours=6)],
    )
    closed = f"http://127.0.0.1:{free_port()}"
    collectors = _config(tmp_path / "lokifi.toml", closed)
    assert deliver(store, load_config(collectors), NOW).error
    other = tmp_path / "other.toml"
    other.write_text("[retention]\nmetrics_days = 30\n")

    assert "0 endpoint records" in lokifi(store, other, "db", "prune", "--dry-run")
    assert json.loads(lokifi(store, other, "db", "prune", "--yes", "--json"))["alert_endpoints"] == 0
    assert _endpoints(store) == {closed: "failing"}
    later = NOW + dt.timedelta(seconds=10)
    assert deliver(store, load_config(collectors), later).error
    failures = store.scalar("SELECT failures FROM alert_endpoint WHERE endpoint = ?", [closed])
    assert failures == 2  # the failure goes on, counted from its start

    _config(collectors, recorder.url)  # the collector's config moves to another Alertmanager
    assert json.loads(lokifi(store, collectors, "db", "prune", "--yes", "--json"))["alert_endpoints"] == 1
    assert _endpoints(store) == {}
