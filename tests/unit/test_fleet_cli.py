"""``lokifi sources``: status per source from what the collector stored, list, test, pull, hosts."""

from __future__ import annotations

import datetime as dt
import json
import time

from click.testing import CliRunner
from loopback_support import closed_port

from analytics.sources.fleet.status import STATUS_KEY, FleetHealth, fleet_summary
from analytics.store.database import Store
from lokifi_tui.cli.main import cli


def write_config(tmp_path, body: str):
    p = tmp_path / "lokifi.toml"
    p.write_text(body)
    return p


CONFIG = """
[[sources]]
name = "prom"
type = "prometheus"
url = "http://127.0.0.1:{port}"
retries = 0
[[sources.queries]]
query = "up"
component = "api"
metric = "up"

[[sources]]
name = "logs"
type = "loki"
url = "http://user:pa55word@127.0.0.1:{port}"
retries = 0
[[sources.queries]]
query = '{{job="api"}} |= "error"'
component = "api"
"""


def run(tmp_path, cfg, *args):
    return CliRunner().invoke(cli, ["--db", str(tmp_path / "db.duckdb"), "--config", str(cfg), *args])


def empty_store(migrated, tmp_path) -> None:
    """The empty database `run` names (the status commands refuse a --db that names none)."""
    migrated(tmp_path / "db.duckdb")


def put_status(store: Store, name: str, h: FleetHealth) -> None:
    store.execute(
        "INSERT INTO source_checkpoints (source, key, position) VALUES (?, ?, ?)", [name, STATUS_KEY, h.to_json()]
    )


def test_status_shows_each_source_clearly(migrated, tmp_path):
    cfg = write_config(tmp_path, CONFIG.format(port=closed_port()))
    empty_store(migrated, tmp_path)
    r = run(tmp_path, cfg, "sources")
    assert r.exit_code == 0, r.output
    assert "prom" in r.output and "never" in r.output and "waiting for the first pull" in r.output

    store = Store(tmp_path / "db.duckdb")
    now = time.time()
    put_status(
        store,
        "prom",
        FleetHealth(
            kind="prometheus",
            state="up",
            last_success=now - 5,
            data_until=now - 200,
            hosts=["web-1", "web-2"],
            skew_s=-90.0,
        ),
    )
    put_status(
        store,
        "logs",
        FleetHealth(
            kind="loki",
            state="5xx",
            last_success=now - 600,
            failures=3,
            message="http://127.0.0.1:1/loki: HTTP 502 \x1b[31m[red]bad gateway[/red]",
        ),
    )
    r = run(tmp_path, cfg, "sources", "status")
    assert r.exit_code == 0, r.output
    lines = {ln.split()[0]: ln for ln in r.output.splitlines() if ln.strip()}
    assert "up" in lines["prom"] and "5xx" in lines["logs"]
    assert "90s behind" in r.output  # the clock skew is said in words
    assert "\x1b" not in r.output and "\\x1b" in r.output  # hostile text from a server is made inert
    data = json.loads(run(tmp_path, cfg, "sources", "status", "--json").output)
    by = {s["name"]: s for s in data["sources"]}
    assert (
        by["prom"]["hosts"] == ["web-1", "web-2"] and 100 < by["prom"]["freshness_s"] < 120
    )  # judged on the server clock (90 s behind)
    assert by["logs"]["state"] == "5xx" and by["logs"]["failures"] == 3

    summary = fleet_summary(store, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    assert summary["hosts"] == 2
    with store.read() as con:  # the dashboard passes its open connection
        assert fleet_summary(con, dt.datetime.now(dt.UTC).replace(tzinfo=None))["hosts"] == 2


def test_list_hides_credentials(tmp_path):
    cfg = write_config(tmp_path, CONFIG.format(port=closed_port()))
    r = run(tmp_path, cfg, "sources", "list")
    assert r.exit_code == 0, r.output
    assert "pa55word" not in r.output and "user" not in r.output.split("logs")[1].split("\n")[0].replace("(basic)", "")
    assert '{job="api"} |= "error"' in r.output


def test_test_and_pull_against_a_dead_server(tmp_path):
    cfg = write_config(tmp_path, CONFIG.format(port=closed_port()))
    r = run(tmp_path, cfg, "sources", "test", "prom")
    assert r.exit_code == 5, r.output
    assert "down" in r.output and "cannot connect" in r.output
    r = run(tmp_path, cfg, "sources", "test", "nope")
    assert r.exit_code == 3 and "no fleet source named nope" in r.output
    r = run(tmp_path, cfg, "sources", "pull", "--once")
    assert r.exit_code == 5, r.output
    assert "down" in r.output
    data = json.loads(run(tmp_path, cfg, "sources", "status", "--json").output)
    assert {s["name"]: s["state"] for s in data["sources"]} == {"prom": "down", "logs": "down"}


def test_config_problems_name_the_key(migrated, tmp_path):
    cfg = write_config(
        tmp_path,
        """
[[sources]]
name = "prom"
type = "prometheus"
url = "http://127.0.0.1:9090"
step = "often"
[[sources.queries]]
query = "up"
component = "api"
metric = "up"
""",
    )
    empty_store(migrated, tmp_path)
    r = run(tmp_path, cfg, "sources", "test", "prom")
    assert r.exit_code == 3
    assert "step" in r.output and "often" in r.output
    r = run(tmp_path, cfg, "sources")
    assert r.exit_code == 0 and "config" in r.output


def test_no_sources_configured(migrated, tmp_path):
    cfg = write_config(tmp_path, "")
    empty_store(migrated, tmp_path)
    r = run(tmp_path, cfg, "sources")
    assert r.exit_code == 0 and "No fleet sources configured" in r.output
    r = run(tmp_path, cfg, "sources", "pull", "--once")
    assert r.exit_code == 3
