"""`lokifi db series`: the stored metric series (the names `lokifi db export` takes), read from the hourly
rollup less the raw rows retention deleted, on a real DuckDB file; and `db export` pointing to it when
asked for a series that is not stored."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
from click.testing import CliRunner

from analytics.store.database import Store
from analytics.store.metrics import append_metrics
from analytics.store.retention import prune
from lokifi_tui.cli.main import cli

T0 = dt.datetime(2026, 1, 1)


def _rows(host: str, component: str, metric: str, n: int, step_min: int = 10, start: dt.datetime = T0) -> list:
    return [(start + dt.timedelta(minutes=step_min * i), host, component, metric, float(i)) for i in range(n)]


def _store(migrated, path, rows: list) -> Store:
    store = migrated(path)
    df = pl.DataFrame(rows, schema=["ts", "host", "component", "metric", "value"], orient="row")
    assert append_metrics(store, df)
    return store


def _run(db, *args: str):
    return CliRunner().invoke(cli, ["--db", str(db), "db", *args])


def test_each_series_is_listed_with_its_readings_and_span(migrated, tmp_path):
    db = tmp_path / "s.duckdb"
    _store(
        migrated,
        db,
        _rows("web-1", "api", "response_time_ms", 30)  # 10-minute readings: 5 hours, 00:00 to 04:50
        + _rows("web-2", "api", "response_time_ms", 7, step_min=60, start=T0 + dt.timedelta(days=1))
        + _rows("web-1", "db", "cpu_percent", 1),
    )
    r = _run(db, "series", "--json")
    assert r.exit_code == 0, r.output
    got = [(s["host"], s["component"], s["metric"], s["readings"], s["hours"]) for s in json.loads(r.stdout)]
    assert got == [
        ("web-1", "api", "response_time_ms", 30, 5),
        ("web-1", "db", "cpu_percent", 1, 1),
        ("web-2", "api", "response_time_ms", 7, 7),
    ]
    first = json.loads(r.stdout)[2]
    assert (first["first_hour"], first["last_hour"]) == ("2026-01-02T00:00:00", "2026-01-02T06:00:00")

    table = _run(db, "series")
    assert table.exit_code == 0, table.output
    lines = [line.split() for line in table.stdout.splitlines()]
    assert ["web-1", "api", "response_time_ms", "30", "5", "2026-01-01", "00:00", "2026-01-01", "04:00"] in lines
    assert "3 series" in table.stdout


def test_the_filters_narrow_the_list_and_a_wrong_name_is_refused(migrated, tmp_path):
    db = tmp_path / "s.duckdb"
    _store(
        migrated,
        db,
        _rows("web-1", "api", "latency", 3) + _rows("web-2", "db", "latency", 3) + _rows("web-2", "api", "x", 2),
    )

    def names(*args: str) -> list[tuple[str, str, str]]:
        r = _run(db, "series", "--json", *args)
        assert r.exit_code == 0, r.output
        return [(s["host"], s["component"], s["metric"]) for s in json.loads(r.stdout)]

    assert names("--host", "web-2") == [("web-2", "api", "x"), ("web-2", "db", "latency")]
    assert names("--component", "api") == [("web-1", "api", "latency"), ("web-2", "api", "x")]
    assert names("--host", "web-1", "--component", "db") == []
    assert (
        "no metric series stored for host 'web-1' component 'db'"
        in _run(db, "series", "--host", "web-1", "-c", "db").stdout
    )
    bad = _run(db, "series", "--host", "web-9")
    assert bad.exit_code == 3 and "web-1" in bad.stderr
    assert _run(db, "series", "--component", "apx").exit_code == 3


def _readings(db) -> list[tuple[int, int]]:
    r = _run(db, "series", "--json")
    assert r.exit_code == 0, r.output
    return [(s["readings"], s["hours"]) for s in json.loads(r.stdout)]


def test_readings_are_those_stored_now_and_export_hourly_writes_the_pruned_hours(migrated, tmp_path):
    """The raw rows retention deleted no longer count as readings; the series is still listed with its
    hours (its hourly means are what `db export --hourly` writes)."""
    db = tmp_path / "s.duckdb"
    store = _store(migrated, db, _rows("web-1", "api", "latency", 12))  # 00:00 to 01:50
    days = dict(metrics_days=1, events_days=1, predictions_days=1)
    prune(store, **days, now=T0 + dt.timedelta(days=1, minutes=60))  # those before 01:00
    assert _readings(db) == [(6, 2)]
    prune(store, **days, now=T0 + dt.timedelta(days=2))  # the rest: counted with the first six
    assert _readings(db) == [(0, 2)]
    hourly = CliRunner().invoke(cli, ["--db", str(db), "db", "export", "api", "latency", "--hourly"])
    assert hourly.exit_code == 0 and len(hourly.stdout.splitlines()) == 3


def test_rows_pruned_before_the_count_of_pruned_rows_existed_are_not_counted(migrated, tmp_path):
    """A database pruned by a Lokifi that counted readings as written: its migration counts what went."""
    from analytics.store import database

    db = tmp_path / "s.duckdb"
    store = _store(migrated, db, _rows("web-1", "api", "latency", 12) + _rows("web-1", "db", "cpu", 3))
    with store.write() as con:  # as that Lokifi left it: rows deleted, no record of them
        con.execute("DELETE FROM metrics WHERE component = 'api' AND ts < ?", [T0 + dt.timedelta(minutes=60)])
        con.execute("DROP TABLE metrics_pruned")
        con.execute("DELETE FROM schema_migrations WHERE name = 'metrics_pruned'")
    database._migrated.discard(str(db.resolve()))
    assert _readings(db) == [(6, 2), (3, 1)]
    assert Store(db).scalar("SELECT n FROM metrics_pruned") == 6


def test_export_of_a_series_not_stored_points_to_the_listing(migrated, tmp_path):
    db = tmp_path / "s.duckdb"
    _store(migrated, db, _rows("web-1", "api", "latency", 3))
    for args in (["api", "latncy"], ["apu", "latency"]):
        r = _run(db, "export", *args)
        assert r.exit_code == 3
        assert "`lokifi db series` lists the stored series" in r.stderr
    assert "lokifi db series" in _run(db, "export", "--help").stdout
    assert "series" in _run(db, "--help").stdout


def test_a_file_only_read_from_before_the_count_of_pruned_rows_has_its_raw_rows_counted(migrated, tmp_path):
    """Where nothing can be written the file is opened read-only and not migrated: no metrics_pruned."""
    import contextlib

    from analytics.store.engine import duckdb
    from analytics.store.stored_series import list_series

    db = tmp_path / "s.duckdb"
    store = _store(migrated, db, _rows("web-1", "api", "latency", 12))
    with store.write() as con:
        con.execute("DELETE FROM metrics WHERE ts < ?", [T0 + dt.timedelta(minutes=60)])
        con.execute("DROP TABLE metrics_pruned")
    con = duckdb.connect(str(db), read_only=True)

    class ReadOnly:
        @contextlib.contextmanager
        def read(self):
            yield con

    try:
        assert [(s.readings, s.hours) for s in list_series(ReadOnly())] == [(6, 2)]
    finally:
        con.close()
