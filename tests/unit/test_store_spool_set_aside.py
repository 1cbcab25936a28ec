"""A spooled batch that can never be applied is set aside, said once, and never fails the write that met it.

Each batch here is a manifest as an older or damaged spool would hold it (arguments a writer cannot
take, a data file of another shape), planted beside a real database and drained by a real write.
"""

from __future__ import annotations

import datetime as dt
import inspect
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from analytics.store.database import Store
from analytics.store.writers import WRITERS, resolve_writer

SID = "00000000000000000001-1-0000beef"
RUN = {"host": "h", "component": "api", "metric": "latency", "made_at": "2026-01-01T00:00:00", "last_hour": None}


def _spool(db: Path) -> Path:
    return db.with_name(db.name + ".spool")


def _plant(db: Path, writer: str, args: dict, data: pl.DataFrame | None = None, sid: str = SID) -> Path:
    spool = _spool(db)
    spool.mkdir(mode=0o700, exist_ok=True)
    manifest: dict = {"id": sid, "writer": writer, "args": args}
    if data is not None:
        data.write_parquet(spool / f"{sid}.parquet")
        manifest["data"] = f"{sid}.parquet"
    m = spool / f"{sid}.json"
    m.write_text(json.dumps(manifest))
    os.chmod(m, 0o600)
    return m


@pytest.fixture
def seeded(migrated, tmp_path):
    s = migrated(tmp_path / "db.duckdb")
    s.set_kv("stored before", "yes")
    s.submit("forecasts", None, runs=[RUN], predictions=[])
    return s


def _made_at(s: Store) -> list[dt.datetime]:
    return s.query("SELECT made_at FROM forecast_runs")["made_at"].to_list()


BAD = {
    "a forecast run without its host": (
        "forecasts",
        {"runs": [{"component": "api", "metric": "latency"}], "predictions": []},
        None,
        "writer 'forecasts': KeyError: 'host'",
    ),
    "a time that is not one": (
        "statement",
        {"name": "kv.set", "params": ["k", {"$dt": "yesterday"}]},
        None,
        "writer 'statement': ValueError: Invalid isoformat string: 'yesterday'",
    ),
    "a date that is a number": (
        "statement",
        {"name": "kv.set", "params": ["k", {"$date": 5}]},
        None,
        "writer 'statement': TypeError: fromisoformat: argument must be str",
    ),
    "checkpoints of another shape": (
        "collected",
        {"checkpoints": [["only-a-source"]]},
        None,
        "writer 'collected': ShapeError: ",
    ),
    "a flush whose data has no table tags": (
        "collected",
        {},
        pl.DataFrame({"x": [1]}),
        "writer 'collected': ColumnNotFoundError: ",
    ),
    "metrics whose times are words": (
        "metrics",
        {},
        pl.DataFrame({"ts": ["yesterday"], "host": ["h"], "component": ["c"], "metric": ["m"], "value": [1.0]}),
        "writer 'metrics': InvalidOperationError: ",
    ),
    "a number beyond 64 bits in a forecast's prediction": (  # found by the property test below
        "forecasts",
        {
            "runs": [],
            "predictions": [{"prediction_date": "2026-01-01 00:00:00", "due_at": "2026-01-02 00:00:00", "x": 2**70}],
        },
        None,
        "Invalid Input Error: reading the object registered as '_fc_preds' as Arrow data failed",
    ),
    "a cached answer without its key": (
        "rca-outcome",
        {"cache_row": {"answer": "x"}},
        None,
        "writer 'rca-outcome': KeyError: 'input_hash'",
    ),
}


@pytest.mark.parametrize("writer, args, data, why", BAD.values(), ids=BAD.keys())
def test_a_batch_its_writer_cannot_take_is_set_aside_and_the_write_goes_on(seeded, writer, args, data, why):
    m = _plant(seeded.path, writer, args, data)
    seeded.set_kv("after", "written")  # before: the writer's error failed this write, and every later one
    seeded.set_kv("later", "written too")
    assert seeded.get_kv("after") == "written" and seeded.get_kv("later") == "written too"
    assert seeded.get_kv("stored before") == "yes" and seeded.get_kv("k") is None and len(_made_at(seeded)) == 1
    bad = m.with_suffix(".bad")
    assert not m.exists() and json.loads(bad.read_text())["writer"] == writer  # kept whole for a person
    assert seeded.spooled() == 0
    [said] = seeded.problems
    assert said.startswith(f"{m}: cannot be applied ({why}") and f"); set aside as {bad}" in said
    # why is kept beside it, in the words the line said, for whoever looks later
    reason = Path(f"{bad}.reason").read_text()
    assert reason.startswith(why) and reason.endswith("\n") and reason.count("\n") == 1
    assert (
        said.startswith(f"{m}: cannot be applied ({reason.rstrip()}); ")
        and os.stat(f"{bad}.reason").st_mode & 0o077 == 0
    )
    if data is not None:
        assert said.endswith(f", its data left beside it as {m.with_suffix('.parquet')}")
        assert m.with_suffix(".parquet").exists()


def test_what_a_writer_did_before_its_error_is_rolled_back(seeded):
    """The forecast writer replaces a component's run, then fails on the predictions: the run stored
    before stays as it was."""
    newer = {**RUN, "made_at": "2026-02-02T00:00:00"}
    m = _plant(seeded.path, "forecasts", {"runs": [newer], "predictions": [{"component": "api"}]})
    seeded.set_kv("after", "written")
    assert _made_at(seeded) == [dt.datetime(2026, 1, 1)]
    assert m.with_suffix(".bad").exists() and "writer 'forecasts': ColumnNotFoundError" in seeded.problems[0]


def test_good_batches_behind_a_bad_one_are_applied(seeded):
    _plant(seeded.path, "forecasts", {"runs": [{}], "predictions": []})
    _plant(seeded.path, "statement", {"name": "kv.set", "params": ["k", "v"]}, sid="00000000000000000002-1-0000beef")
    assert seeded.flush_spool() == 1
    assert seeded.get_kv("k") == "v" and len(seeded.problems) == 1


def test_a_manifest_nested_deeper_than_python_reads_is_set_aside(seeded):
    spool = _spool(seeded.path)
    spool.mkdir(mode=0o700)
    m = spool / f"{SID}.json"
    m.write_text("[" * 200_000)
    os.chmod(m, 0o600)
    seeded.set_kv("after", "written")
    assert seeded.get_kv("after") == "written" and m.with_suffix(".bad").exists()
    assert seeded.problems == [
        f"{m}: not a readable manifest (cut short or not JSON); set aside as {m.with_suffix('.bad')}"
    ]
    assert (
        Path(f"{m.with_suffix('.bad')}.reason").read_text() == f"{m}: not a readable manifest (cut short or not JSON)\n"
    )


def test_a_command_that_meets_it_says_so_once_on_stderr_and_does_its_own_write(seeded):
    m = _plant(seeded.path, "forecasts", {"runs": [{"component": "api"}], "predictions": []})
    cmd = [sys.executable, "-m", "lokifi_tui.cli.entry", "--db", str(seeded.path), "error", "record", "boom", "-c", "x"]
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "Recorded in x" in r.stdout
    assert r.stderr.splitlines() == [
        f"{m}: cannot be applied (writer 'forecasts': KeyError: 'host'); set aside as {m.with_suffix('.bad')}"
    ]
    again = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert again.returncode == 0 and again.stderr == ""  # set aside: the next command meets nothing
    assert seeded.scalar("SELECT count(*) FROM error_events WHERE message = 'boom'") == 2


def test_db_info_lists_a_set_aside_batch_apart_from_those_waiting(seeded):
    from click.testing import CliRunner

    from lokifi_tui.cli.main import cli

    m = _plant(seeded.path, "forecasts", {"runs": [{}], "predictions": []})
    flushed = CliRunner().invoke(cli, ["--db", str(seeded.path), "db", "flush-spool"])
    assert flushed.exit_code == 3 and "1 problem(s) above (`lokifi db info` lists them)" in flushed.output
    r = CliRunner().invoke(cli, ["--db", str(seeded.path), "db", "info", "--json"])
    info = json.loads(r.output)
    assert info["spooled_batches"] == 0 and info["refused_batches"] == 0
    bad = m.with_suffix(".bad")
    assert info["warnings"] == [
        f"{bad}: a spooled batch set aside because it can never be applied: writer 'forecasts': KeyError: 'host' "
        f"(said in {bad.name}.reason beside it); read it, then delete it, its .reason and its .parquet if it has one"
    ]
    # days later, in another process: the reason is still there to read, on the line that names the batch
    shown = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.entry", "--db", str(seeded.path), "db", "info"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "400"},
    ).stdout
    assert f"{bad}: a spooled batch set aside because it can never be applied: writer 'forecasts': KeyError:" in shown


def test_a_batch_set_aside_by_an_older_lokifi_is_listed_without_a_reason(seeded):
    """A ``.bad`` with no ``.reason`` beside it (an older Lokifi set it aside, or a person removed the
    reason): listed as before, pointing to the line its command said."""
    from analytics.store.spool_files import inspect

    _plant(seeded.path, "forecasts", {"runs": [{}], "predictions": []})
    seeded.flush_spool()
    bad = _spool(seeded.path) / f"{SID}.bad"
    Path(f"{bad}.reason").unlink()
    assert inspect(_spool(seeded.path)) == (
        [
            f"{bad}: a spooled batch set aside because it can never be applied (the command that met it said "
            "why); read it, then delete it and its .parquet if it has one"
        ],
        0,
    )


def _keywords(writer: str) -> list[str]:
    params = inspect.signature(resolve_writer(writer)).parameters.values()
    return [p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY]


_scalar = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_json = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
#: What a writer's argument most often holds: rows, as dicts under names it may or may not know.
_rows = st.lists(
    st.dictionaries(st.sampled_from([*RUN, "input_hash", "due_at", "prediction_date", "x"]), _scalar, max_size=6),
    max_size=2,
)
#: A statement's parameter as a spool encodes times, its text or type possibly wrong.
_param = st.one_of(_scalar, st.builds(lambda k, v: {k: v}, st.sampled_from(["$dt", "$date"]), _scalar))
_batch = st.sampled_from(sorted(WRITERS)).flatmap(
    lambda w: st.tuples(
        st.just(w),
        st.fixed_dictionaries({k: _rows | _json for k in _keywords(w)}),
        st.lists(_param, min_size=2, max_size=2),
    )
)


_ids = itertools.count(100)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=_batch)
def test_whatever_a_spooled_batch_holds_the_write_that_meets_it_goes_on(seeded, batch):
    """Any arguments under a registered writer's own keywords (the statement's parameters too): the
    batch is applied, set aside or left with a reason, and the write and what was stored stay."""
    writer, args, params = batch
    if writer == "statement":
        args = {"name": "kv.set", "params": params}
    seeded.problems.clear()
    m = _plant(seeded.path, writer, args, sid=f"{next(_ids):020d}-1-0000beef")  # each its own: applied once
    seeded.set_kv("after", repr(batch))
    assert seeded.get_kv("after") == repr(batch) and seeded.get_kv("stored before") == "yes"
    if m.exists():
        assert seeded.problems and "left in place" in seeded.problems[0]
        event(f"{writer}: left in place")
        m.unlink()
    elif m.with_suffix(".bad").exists():
        assert seeded.problems[0].startswith(f"{m}: cannot be applied (")
        event(f"{writer}: set aside")
        m.with_suffix(".bad").unlink()
        Path(f"{m.with_suffix('.bad')}.reason").unlink()  # written beside it
    else:
        assert not seeded.problems
        event(f"{writer}: applied")
