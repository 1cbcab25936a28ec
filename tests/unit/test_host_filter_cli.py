"""``--host NAME`` on every command that shows per-host rows, against a real DuckDB store holding two
hosts (web-1, db-1): only that host's rows, the filter in the JSON, and an unknown host refused with
the hosts the store knows (exit code 3, bad input)."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import polars as pl
import pytest
from click.testing import CliRunner

from analytics.patterns.learning import learn_from_events
from analytics.store.database import Store
from analytics.store.hosts import UnknownHost, known_hosts, require_host
from analytics.store.metrics import append_events, append_metrics
from lokifi_tui.cli.main import cli
from lokifi_tui.cli.output import BAD_INPUT

CLOCK = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # recent rows (status counts errors of the last hour)
NOW = CLOCK.replace(minute=0, second=0, microsecond=0)  # the metrics end at the hour
DAYS = 14
# (host, component) -> mean response time; `api` runs on both hosts at very different levels, so a
# forecast of one host's series is told apart from the all-hosts one.
LEVELS = {("web-1", "api"): 100.0, ("web-1", "frontend"): 50.0, ("db-1", "api"): 2000.0, ("db-1", "postgres"): 3000.0}


def _seed(path) -> None:
    store = Store(path)
    n = DAYS * 24 * 3
    ts = np.array([NOW - dt.timedelta(minutes=20 * (n - k)) for k in range(n)], dtype="datetime64[us]")
    rng = np.random.default_rng(7)
    frames = [
        pl.DataFrame(
            {
                "ts": ts,
                "host": h,
                "component": c,
                "metric": "response_time_ms",
                "value": level + rng.normal(0, level * 0.02, n),
                "source": "test",
            }
        )
        for (h, c), level in LEVELS.items()
    ]
    vitals = pl.DataFrame(
        {
            "ts": [CLOCK - dt.timedelta(minutes=5)] * 2,
            "host": "db-1",
            "component": "host",
            "metric": ["cpu_percent", "memory_percent"],
            "value": [42.0, 73.0],
            "source": "test",
        }
    )
    append_metrics(store, pl.concat([*frames, vitals]))
    events = [
        {
            "ts": CLOCK - dt.timedelta(minutes=10 + k),
            "host": "web-1",
            "component": "api",
            "message": f"connect ECONNREFUSED 10.0.0.{k}:6379",
        }
        for k in range(4)
    ]
    events += [
        {
            "ts": CLOCK - dt.timedelta(minutes=20 + k),
            "host": "db-1",
            "component": "postgres",
            "message": f"ERROR: deadlock detected on relation {k}",
        }
        for k in range(3)
    ]
    append_events(store, pl.DataFrame(events))
    learn_from_events(store)
    probe = {"kind": "http", "ok": True, "status_code": 200, "error_kind": None, "message": None}
    store.append(
        "probe_results",
        pl.DataFrame(
            [
                {
                    "ts": CLOCK - dt.timedelta(minutes=1),
                    "host": "web-1",
                    "component": "frontend",
                    "probe": "home",
                    "target": "http://web-1/",
                    "elapsed_ms": 12.0,
                    **probe,
                },
                {
                    "ts": CLOCK - dt.timedelta(minutes=1),
                    "host": "db-1",
                    "component": "postgres",
                    "probe": "pg",
                    "target": "db-1:5432",
                    "elapsed_ms": 3.0,
                    **probe,
                },
            ]
        ),
    )


@pytest.fixture(scope="module")
def seeded_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("hosts") / "fleet.duckdb"
    _seed(path)
    return path


@pytest.fixture
def db(seeded_path, tmp_path):
    """A private copy of the two-host store per test (the commands write to it)."""
    dst = tmp_path / "fleet.duckdb"
    dst.write_bytes(seeded_path.read_bytes())
    return dst


def run(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), *args], env={"NO_COLOR": "1", "COLUMNS": "200"})


def ok_json(db, *args):
    r = run(db, *args, "--json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def refused(db, *args):
    r = run(db, *args, "--host", "web-9")
    assert r.exit_code == BAD_INPUT, r.output
    assert "no data from host 'web-9'" in r.output and "db-1, web-1" in r.output
    assert "did you mean 'web-1'?" in r.output
    return r


# -- the shared check -----------------------------------------------------------------------------


def test_known_hosts_and_the_refusal_message(migrated, db, tmp_path):
    store = Store(db)
    assert known_hosts(store) == ["db-1", "web-1"]
    assert require_host(store, "db-1") == "db-1"
    with pytest.raises(UnknownHost) as exc:
        require_host(store, "WEB-1")
    assert exc.value.known == ["db-1", "web-1"] and "did you mean 'web-1'?" in str(exc.value)
    with pytest.raises(UnknownHost, match="no rows from any host yet"):
        require_host(migrated(tmp_path / "empty.duckdb"), "web-1")
    r = run(db, "baselines", "--host", "  ")
    assert r.exit_code == 2 and "--host needs a host name" in r.output


@pytest.mark.parametrize("command", [("ai", "forecast"), ("ai", "predict"), ("baselines",)])
def test_a_misspelt_component_is_refused_with_the_ones_the_store_knows(db, command):
    """`-c bakend` said 'No issues predicted.' or '0 days of data' with exit code 0: all well, seemingly."""
    r = run(db, *command, "-c", "fronend")
    assert r.exit_code == BAD_INPUT
    assert (
        "the components it knows: api, frontend, host, postgres" in r.output and "did you mean 'frontend'?" in r.output
    )
    assert run(db, *command, "-c", "frontend").exit_code == 0


# -- forecast ---------------------------------------------------------------------------------------


def test_ai_forecast_for_one_host_uses_its_own_series_and_records_it_as_that_hosts(db):
    fleet = ok_json(db, "ai", "forecast", "--model", "linear", "--days", "1")
    assert fleet["host"] is None
    fleet_api = next(f for f in fleet["forecasts"] if f["component"] == "api")
    assert 900 < fleet_api["current"] < 1200  # both hosts together
    data = ok_json(db, "ai", "forecast", "--model", "linear", "--days", "1", "--host", "db-1")
    assert data["host"] == "db-1"
    assert {f["component"] for f in data["forecasts"]} == {"api", "postgres"}
    api = next(f for f in data["forecasts"] if f["component"] == "api")
    assert api["ok"] and 1900 < api["current"] < 2100  # db-1's own series only
    store = Store(db)
    runs = store.query("SELECT host, component FROM forecast_runs ORDER BY host, component").rows()
    assert ("db-1", "api") in runs and ("", "api") in runs and ("web-1", "api") not in runs
    hosts = set(store.query("SELECT DISTINCT host FROM predictions WHERE prediction_type = 'forecast'")["host"])
    assert hosts == {"", "db-1"}
    human = run(db, "ai", "forecast", "--host", "web-1", "--no-record")
    assert human.exit_code == 0, human.output
    assert "on host web-1" in human.output and "frontend" in human.output and "postgres" not in human.output
    refused(db, "ai", "forecast")


# -- predictions and baselines --------------------------------------------------------------------------


@pytest.mark.slow
def test_ai_predict_for_one_host(db):
    data = ok_json(db, "ai", "predict", "--host", "db-1")
    assert data["host"] == "db-1"
    assert data["predictions"] and {p["host"] for p in data["predictions"]} == {"db-1"}
    assert {p["component"] for p in data["predictions"] if p["type"] == "slow_response"} == {"api", "postgres"}
    stored = Store(db).query("SELECT DISTINCT host FROM predictions WHERE prediction_type <> 'forecast'")
    assert stored["host"].to_list() == ["db-1"]  # web-1 was not evaluated
    web = ok_json(db, "ai", "predict", "--host", "web-1")
    assert {p["host"] for p in web["predictions"]} <= {"web-1"}
    assert not any(p["type"] == "slow_response" for p in web["predictions"])
    assert ok_json(db, "ai", "predict")["host"] is None
    human = run(db, "ai", "predict", "--host", "db-1")
    assert "of host db-1" in human.output and "on host db-1" in human.output
    assert "slow_response - api\n" in human.output.replace(" (response_time_ms)", "")  # one host: not repeated
    refused(db, "ai", "predict")


@pytest.mark.slow
def test_ai_predict_over_the_fleet_says_whose_each_prediction_is(db):
    data = ok_json(db, "ai", "predict")
    assert {p["host"] for p in data["predictions"]} == {"db-1", "web-1"}
    out = run(db, "ai", "predict").output
    assert "slow_response - api on db-1" in out and " on web-1" in out
    assert "How right each rule has been (its scored" in out  # every host's, not "this host"


def test_baselines_for_one_host(db):
    rows = ok_json(db, "baselines", "--host", "web-1")
    assert rows and {r["host"] for r in rows} == {"web-1"}
    assert {r["component"] for r in rows} == {"api", "frontend"}
    assert {r["host"] for r in ok_json(db, "baselines")} == {"web-1", "db-1"}
    human = run(db, "baselines", "--host", "db-1")
    assert human.exit_code == 0 and "of host db-1" in human.output and "web-1" not in human.output
    refused(db, "baselines")


# -- recommendations ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_recommendations_for_a_fleet_host_run_only_its_stored_metric_rules(db):
    data = ok_json(db, "ai", "recommendations", "--host", "db-1")
    assert data["host"] == "db-1" and data["scope"] == "stored metrics"
    recs = data["recommendations"]
    assert {r["rule"] for r in recs} == {"performance.response_time"}
    assert {r["subject"] for r in recs} == {"api", "postgres"} and {r["host"] for r in recs} == {"db-1"}
    assert ok_json(db, "ai", "recommendations", "--host", "web-1")["recommendations"] == []  # 100 ms: fine
    listed = ok_json(db, "recs", "list", "--host", "db-1")
    assert {r["id"] for r in listed} == {r["id"] for r in recs} and {r["host"] for r in listed} == {"db-1"}
    assert ok_json(db, "recs", "list", "--host", "web-1") == []
    assert ok_json(db, "recs", "list") == []  # this machine's queue: nothing of db-1's
    human = run(db, "ai", "recommendations", "--host", "db-1", "--no-refresh")
    assert human.exit_code == 0 and "for host db-1" in human.output and "High response time on postgres" in human.output
    assert ok_json(db, "recs", "learning", "--host", "db-1")["host"] == "db-1"
    for cmd in (("ai", "recommendations"), ("recs", "list"), ("recs", "learning")):
        refused(db, *cmd)


# -- patterns -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_patterns_seen_on_one_host(db):
    every = ok_json(db, "patterns", "list")
    assert len(every) == 2
    rows = ok_json(db, "patterns", "list", "--host", "db-1")
    assert len(rows) == 1 and rows[0]["host"] == "db-1" and rows[0]["host_count"] == 3
    assert "deadlock" in rows[0]["template"] and rows[0]["host_components"] == "postgres"
    web = ok_json(db, "patterns", "list", "--host", "web-1")
    assert len(web) == 1 and "ECONNREFUSED" in web[0]["template"] and web[0]["host_count"] == 4
    human = run(db, "patterns", "list", "--host", "web-1")
    assert human.exit_code == 0 and "seen on host web-1" in human.output and "deadlock" not in human.output
    refused(db, "patterns", "list")

    pid = rows[0]["error_hash"][:12]
    shown = ok_json(db, "patterns", "show", pid, "--host", "db-1")
    assert shown["host"] == "db-1" and shown["host_count"] == 3 and len(shown["host_samples"]) == 3
    r = run(db, "patterns", "show", pid, "--host", "web-1")
    assert r.exit_code == BAD_INPUT and "no stored events from host 'web-1'" in r.output and "db-1" in r.output
    refused(db, "patterns", "show", pid)

    fixes = ok_json(db, "ai", "autofix", "--host", "web-1")
    assert len(fixes) == 1 and fixes[0]["host"] == "web-1" and "ECONNREFUSED" in fixes[0]["message"]
    refused(db, "ai", "autofix")


# -- status ---------------------------------------------------------------------------------------


def test_status_for_a_fleet_host_shows_its_stored_rows(db):
    data = ok_json(db, "status", "--host", "db-1")
    assert data["host_filter"] == "db-1"
    assert data["host"]["host"] == "db-1" and data["host"]["live"] is False
    assert data["host"]["cpu_percent"] == 42.0 and data["host"]["memory_percent"] == 73.0
    comps = {c["component"]: c for c in data["components"]}
    assert set(comps) == {"postgres"}
    assert comps["postgres"]["probes"][0]["probe"] == "pg" and comps["postgres"]["errors_last_hour"] == 3
    here = ok_json(db, "status")  # this machine: live vitals and its own rows, none of the fleet's
    assert here["host_filter"] is None and here["host"]["live"] is True
    assert not {"frontend", "postgres", "api"} & {c["component"] for c in here["components"]}
    human = run(db, "status", "--host", "web-1")
    assert human.exit_code == 0, human.output
    assert "no vitals stored from it" in human.output and "frontend" in human.output and "postgres" not in human.output
    refused(db, "status")
