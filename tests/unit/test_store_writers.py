"""The store's named batch writers: each registered once, resolvable, and spool manifests written with the
former ``"module:function"`` names (before the registry, before the capability packages) still apply."""

from __future__ import annotations

import datetime as dt
import json

import polars as pl
import pytest

from analytics.store import database as store_mod
from analytics.store.database import Store
from analytics.store.metrics import COLLECTED_SCHEMA
from analytics.store.writers import WRITERS, UnknownWriter, is_raw_sql, resolve_writer, writer_name

T0 = dt.datetime(2026, 1, 1)


def test_every_registered_writer_resolves_once():
    assert len(set(WRITERS.values())) == len(WRITERS)
    for name in WRITERS:
        assert callable(resolve_writer(name))


@pytest.mark.parametrize(
    "old, name",
    [
        ("analytics.collector:write_collected", "collected"),
        ("analytics.collect.loop:write_collected", "collected"),
        ("analytics.metrics_store:write_metrics", "metrics"),
        ("analytics.store:append_table", "append"),
        ("analytics.forecast:write_forecasts", "forecasts"),
    ],
)
def test_former_names_map_to_the_registered_writer(old, name):
    assert writer_name(old) == name


@pytest.mark.parametrize("old", ["sql", "analytics.store.database:run_sql", "analytics.store:run_sql"])
def test_the_former_raw_sql_writer_is_known_only_to_be_refused(old):
    assert is_raw_sql(old)
    with pytest.raises(UnknownWriter):
        writer_name(old)


def test_an_unknown_writer_is_refused_before_anything_is_spooled(migrated, tmp_path):
    s = migrated(tmp_path / "db.duckdb")
    with pytest.raises(UnknownWriter):
        s.submit("analytics.nowhere:write_nothing", None)
    assert s.spooled() == 0


def _spool(store: Store, sid: str, writer: str, df: pl.DataFrame | None, **args) -> None:
    d = store_mod.spool_dir(store.path)
    d.mkdir(parents=True, exist_ok=True)
    manifest = {"id": sid, "writer": writer, "args": args}
    if df is not None:
        df.write_parquet(d / f"{sid}.parquet")
        manifest["data"] = f"{sid}.parquet"
    (d / f"{sid}.json").write_text(json.dumps(manifest))


def test_a_manifest_spooled_with_former_writer_names_is_applied(migrated, tmp_path):
    s = migrated(tmp_path / "db.duckdb")
    s.schema_version()
    row = {k: None for k in COLLECTED_SCHEMA} | {
        "_table": "m",
        "ts": T0,
        "host": "h1",
        "component": "web",
        "metric": "cpu_percent",
        "value": 5.0,
        "source": "vitals",
    }
    event = {k: None for k in COLLECTED_SCHEMA} | {
        "_table": "e",
        "ts": T0,
        "host": "h1",
        "component": "web",
        "message": "boom",
        "source": "tail",
    }
    collected = pl.DataFrame([row, event], schema=COLLECTED_SCHEMA)
    _spool(
        s,
        "00000000000000000001-1-0000a01d",
        "analytics.collector:write_collected",
        collected,
        checkpoints=[["tail", "/var/log/web.log", "42", T0.isoformat()]],
    )
    metrics = pl.DataFrame(
        {"ts": [T0 + dt.timedelta(minutes=1)], "host": "h1", "component": "web", "metric": "rss_mb", "value": 1.0}
    )
    _spool(s, "00000000000000000002-1-0000a01d", "analytics.metrics_store:write_metrics", metrics)
    _spool(
        s,
        "00000000000000000003-1-0000a01d",
        "analytics.store:run_sql",
        None,
        sql="INSERT INTO kv (key, value) VALUES ('old', 'yes')",
        params=[],
    )

    assert s.flush_spool() == 2  # the SQL text an older Lokifi spooled is reported and left, never run
    assert s.spooled() == 1
    assert "spooled as SQL text by an older Lokifi; it was not run and is left in place" in s.problems[0]
    assert s.scalar("SELECT count(*) FROM metrics") == 2
    assert s.scalar("SELECT sum(n) FROM metrics_hourly") == 2
    assert s.scalar("SELECT count(*) FROM error_events WHERE message = 'boom'") == 1
    assert s.scalar("SELECT position FROM source_checkpoints WHERE source = 'tail'") == "42"
    assert s.get_kv("old") is None
