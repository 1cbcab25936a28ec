"""A frame handed to a writer's SQL is registered for that write only (analytics/store/engine.py
``registered``): a write that fails leaves no view behind on its connection, raises its own error (not the
"transaction is aborted" that unregistering inside the failed transaction meets), and the next write works."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics.forecast.stored import write_forecasts
from analytics.store.engine import duckdb, registered
from analytics.store.metrics import write_metrics

RUN = {"host": "h", "component": "api", "metric": "latency", "made_at": "2026-01-01T00:00:00", "last_hour": None}


def _views(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


@pytest.fixture
def con(migrated, tmp_path):
    """A connection that goes on after a failed write (no transaction of the store's around it)."""
    store = migrated(tmp_path / "l.duckdb")
    store.execute("SELECT 1")  # created and migrated
    c = duckdb.connect(str(store.path))
    yield c
    c.close()


def _metrics(values: list[float | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts": [dt.datetime(2026, 1, 1, 0, i) for i in range(len(values))],
            "host": "h",
            "component": "api",
            "metric": "latency",
            "value": values,
        }
    )


def test_a_failed_forecast_write_leaves_no_view_and_the_next_one_is_written(con):
    with pytest.raises(duckdb.ConstraintException):  # made_at is NOT NULL
        write_forecasts(con, None, runs=[{**RUN, "made_at": None}], predictions=[])
    assert _views(con) == set()
    write_forecasts(con, None, runs=[RUN], predictions=[])
    assert con.execute("SELECT component FROM forecast_runs").fetchall() == [("api",)]
    assert _views(con) == set()


def test_a_failed_metrics_write_in_a_transaction_raises_its_own_error_and_leaves_no_view(con):
    con.execute("BEGIN TRANSACTION")
    with pytest.raises(duckdb.ConstraintException):  # value is NOT NULL; not "transaction is aborted"
        write_metrics(con, _metrics([1.0, None]))
    con.execute("ROLLBACK")
    assert _views(con) == set()
    assert write_metrics(con, _metrics([1.0, 2.0])) == 2
    assert _views(con) == set()


def _temp_tables(con) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE temporary").fetchall()}


def test_a_failed_metrics_write_outside_a_transaction_leaves_no_scratch_table(con):
    """A batch overlapping stored rows is narrowed through a temporary table; a failed write drops it too
    (outside a transaction no rollback would), and the next write works."""
    assert write_metrics(con, _metrics([1.0])) == 1
    with pytest.raises(duckdb.ConstraintException):  # value is NOT NULL: the insert after the narrowing fails
        write_metrics(con, _metrics([1.0, None]))
    assert _temp_tables(con) == set() and _views(con) == set()
    assert write_metrics(con, _metrics([1.0, 2.0, 3.0])) == 2
    assert _temp_tables(con) == set()


def test_the_guard_unregisters_after_a_failure_and_after_a_frame_registered_again_in_it():
    c = duckdb.connect()
    with pytest.raises(ZeroDivisionError), registered(c, "_x", pl.DataFrame({"a": [1]})):
        assert _views(c) == {"_x"}
        1 / 0  # noqa: B018 - the block fails
    assert _views(c) == set()
    with registered(c, "_x", pl.DataFrame({"a": [1, 1]})):
        c.register("_x", pl.DataFrame({"a": [2]}))
        assert c.execute("SELECT sum(a) FROM _x").fetchall() == [(2,)]
    assert _views(c) == set()
