"""A hypothesis fuzz of every parser Lokifi runs on input it does not control: ingest (CSV, JSONL,
Parquet), the config file, raw log lines (headers, ``patterns scan``), the forecast and anomaly CSV
input, and the command line's arguments.

Each parser may only answer with its documented failure (IngestError, SeriesInputError, an exit code in
0-5 for the command line); anything else is a traceback a user would see. The process's resident memory
stays within 300 MB of where it started, and the whole file is time-bounded (``max_examples`` and a
deadline per example) so it runs in the normal test run: well under 60 s on 2 cores."""

from __future__ import annotations

import contextlib
import functools
import io
import json
import os
import sys
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

FUZZ = settings(
    max_examples=int(os.environ.get("LOKIFI_FUZZ_EXAMPLES", "60")),
    deadline=5000,
    derandomize=False,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
MEMORY_BUDGET = 300 << 20
_proc = psutil.Process()


def bounded(test):
    """Resident memory may not grow by the budget while one example is parsed."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        before = _proc.memory_info().rss
        test(*args, **kwargs)
        grown = _proc.memory_info().rss - before
        assert grown < MEMORY_BUDGET, f"resident memory grew by {grown >> 20} MB"

    return run


# -- building blocks -------------------------------------------------------------------------------------

_nasty = st.sampled_from(
    [
        "",
        " ",
        ",",
        '"',
        '""',
        "\n",
        "\r\n",
        "\r",
        "\t",
        "\x00",
        "\x1b[31m",
        "\u202e",
        "\ufeff",
        "nan",
        "inf",
        "-inf",
        "1e309",
        "-0",
        "0000-01-01T00:00:00Z",
        "9999-12-31",
        "1" * 400,
        "[" * 200,
        "{" * 200,
        "é",
        "\udcff",
        "2026-01-01T00:00:00Z",
        "1700000000",
        "api",
        "cpu",
    ]
)
_field = st.one_of(_nasty, st.text(max_size=30), st.integers().map(str), st.floats().map(repr))
_headers = st.sampled_from(
    [
        "timestamp,component,metric,value",
        "ts,service,name,val,host",
        "timestamp,value",
        "time,app,message,level",
        "@timestamp,job,msg",
        "a,b",
        "",
        "timestamp,component,message",
    ]
)


def _csv_bytes(header: str, rows: list[list[str]], junk: bytes) -> bytes:
    body = "\n".join(",".join(r) for r in rows)
    return (header + "\n" + body).encode("utf-8", "surrogateescape") + junk


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from analytics.store.database import Store

    return Store(tmp_path_factory.mktemp("fuzzdb") / "f.duckdb")


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzzin")


def _ingest(store, path: Path, **kw) -> None:
    from analytics.store.ingest import IngestError, ingest_file

    try:
        r = ingest_file(store, path, force=True, **kw)
    except IngestError as exc:
        assert str(exc)
        return
    assert r.rows_valid + r.rows_bad <= r.rows_read + 1
    for e in r.errors:
        assert e.line >= 1 and str(e)


# -- ingest ----------------------------------------------------------------------------------------------


@pytest.mark.slow
@FUZZ
@given(
    header=_headers,
    rows=st.lists(st.lists(_field, max_size=6), max_size=12),
    junk=st.binary(max_size=64),
    gz=st.booleans(),
)
@bounded
def test_fuzz_ingest_csv(store, work, header, rows, junk, gz):
    import gzip

    data = _csv_bytes(header, rows, junk)
    p = work / ("in.csv.gz" if gz else "in.csv")
    p.write_bytes(gzip.compress(data) if gz else data)
    _ingest(store, p)


_json = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | _field,
    lambda kids: (
        st.lists(kids, max_size=4)
        | st.dictionaries(
            st.sampled_from(["ts", "timestamp", "component", "message", "value", "metric", "host", "level", "x"]),
            kids,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@pytest.mark.slow
@FUZZ
@given(objs=st.lists(_json, max_size=10), raw=st.lists(st.binary(max_size=40), max_size=3), deep=st.integers(0, 3000))
@bounded
def test_fuzz_ingest_jsonl(store, work, objs, raw, deep):
    lines = [json.dumps(o).encode() for o in objs] + raw + [b"[" * deep]
    p = work / "in.jsonl"
    p.write_bytes(b"\n".join(lines))
    _ingest(store, p)


@pytest.mark.slow
@FUZZ
@given(
    cols=st.dictionaries(
        st.sampled_from(["ts", "component", "metric", "value", "message", "host", "y"]),
        st.sampled_from(["str", "int", "float", "bool", "null"]),
        min_size=1,
        max_size=5,
    ),
    n=st.integers(0, 20),
    cut=st.integers(0, 400),
    flip=st.binary(min_size=0, max_size=8),
)
@bounded
def test_fuzz_ingest_parquet(store, work, cols, n, cut, flip):
    import pyarrow as pa
    import pyarrow.parquet as pq

    make = {
        "str": lambda i: [f"2026-01-01T00:00:{i % 60:02d}Z" if i % 3 else "x" for i in range(n)],
        "int": lambda i: list(range(n)),
        "float": lambda i: [float("nan") if i % 5 == 0 else i * 0.5 for i in range(n)],
        "bool": lambda i: [bool(i % 2) for i in range(n)],
        "null": lambda i: [None] * n,
    }
    table = pa.table({name: make[kind](0) for name, kind in cols.items()})
    p = work / "in.parquet"
    pq.write_table(table, p)
    data = p.read_bytes()
    if cut:  # damage it: cut short, or overwrite bytes inside
        data = data[: max(4, len(data) - cut)] if cut % 2 else data[:cut] + flip + data[cut + len(flip) :]
    p.write_bytes(data)
    _ingest(store, p)


# -- config ----------------------------------------------------------------------------------------------

_toml_bits = st.sampled_from(
    [
        "[general]",
        "[[components]]",
        "[ai]",
        "name = 'api'",
        "refresh_seconds = 5",
        "refresh_seconds = nan",
        "x = [",
        "]",
        "x = {",
        "}",
        'x = """',
        '"""',
        "= = =",
        "[general",
        "probes = [{url='http://127.0.0.1'}]",
        "a.b.c = 1",
        "# comment",
        "[" * 100,
        "x = " + "[" * 60 + "]" * 60,
        "k = 1e999",
        "\x00",
        "é = 1",
    ]
)


@FUZZ
@given(lines=st.lists(st.one_of(_toml_bits, st.text(max_size=40)), max_size=25))
@bounded
def test_fuzz_config(work, lines):
    from analytics.config.settings import load_config

    p = work / "fuzz.toml"
    p.write_text("\n".join(lines), encoding="utf-8", errors="surrogateescape")
    cfg = load_config(p)  # never raises: a bad config never stops Lokifi
    for i in cfg.issues:
        assert i.line is None or i.line >= 1


# -- log lines ---------------------------------------------------------------------------------------------

_log_bits = st.sampled_from(
    [
        "2024-01-01 00:00:00",
        "2024-01-01T00:00:00.123Z",
        "Jan  1 00:00:00 host prog[12]:",
        "ERROR",
        "[main]",
        "INFO ",
        "E0101 12:00:00.123 1 file.go:1]",
        "E1299 99:99:99.999999 ",
        '{"level":50,"time":',
        '"ts": 9999999999999,',
        '"time": "2024-13-45T99:99:99Z", ',
        '"msg": "x"}',
        "1234:M 01 Jan 2024 ",
        "|",
        "--- ",
        "* ",
        "org.x.Y:",
        "Traceback (most recent call last):",
        '  File "x"',
        "ValueError: x",
        "\tat a.b(C.java:1)",
        "1" * 3000,
        "[" * 300,
        " " * 100,
        "\r",
        "\x1b[0m",
    ]
)


@pytest.mark.slow
@FUZZ
@given(
    lines=st.lists(st.lists(st.one_of(_log_bits, st.text(max_size=20)), max_size=6).map("".join), max_size=30),
    errors_only=st.booleans(),
)
@bounded
def test_fuzz_log_lines(work, lines, errors_only):
    import polars as pl

    from analytics.patterns.json_message import json_level, json_message, json_time, structured_message
    from analytics.patterns.log_scan import scan_paths
    from analytics.patterns.logline import parse_line, strip_headers, time_inside
    from analytics.patterns.severity import keyed_level

    for ln in lines:
        parse_line(ln)
        json_time(ln), json_level(ln), json_message(ln), time_inside(ln), structured_message(ln), keyed_level(ln)
    strip_headers(pl.Series([ln.encode("utf-8", "replace").decode("utf-8") for ln in lines], dtype=pl.String))
    p = work / "fuzz.log"
    p.write_bytes("\n".join(lines).encode("utf-8", "surrogateescape"))
    r = scan_paths([str(p)], errors_only=errors_only, chunk_bytes=256)
    assert r["scanned"] <= r["events"] and sum(x["count"] for x in r["patterns"]) == r["scanned"]


@FUZZ
@given(
    data=st.lists(
        st.sampled_from([b"a", b" ", b"\r", b"\n", b"\r\n", b"\x1b[2K", b"\xff", b"\x00", b"ERROR x"]), max_size=80
    ).map(b"".join),
    size=st.integers(1, 64),
)
def test_the_lines_read_do_not_depend_on_where_blocks_end(work, data, size):
    """Line ends are decided once per stream (\\n, or \\r in a file with no \\n in its start), so a \\r is
    never a line end in one block and progress inside a line in the next."""
    from analytics.patterns.logread import LineStats, line_chunks

    p = work / "blocks.log"
    p.write_bytes(data)
    whole = [x for c in line_chunks(str(p), LineStats(), 1 << 20) for x in c]
    for n in (1, 2, 3, 5, size):
        assert [x for c in line_chunks(str(p), LineStats(), n) for x in c] == whole, n
    assert all("\r" not in x for x in whole)


# -- forecast / anomaly input ------------------------------------------------------------------------------


@FUZZ
@given(
    rows=st.lists(
        st.tuples(st.one_of(_nasty, st.integers(0, 2_000_000_000).map(str)), st.one_of(_nasty, st.floats().map(repr))),
        max_size=40,
    ),
    header=st.sampled_from(["timestamp,value\n", "", "a,b,c\n"]),
    horizon=st.integers(1, 50),
)
@bounded
def test_fuzz_series_input(rows, header, horizon):
    from analytics.forecast.series_csv import HorizonError, SeriesInputError, forecast_csv
    from analytics.predict.detect_csv import detect_csv

    text = header + "\n".join(f"{a},{b}" for a, b in rows)
    data = text.encode("utf-8", "surrogateescape")
    with contextlib.suppress(SeriesInputError, HorizonError):
        fc = forecast_csv(data, horizon)
        assert len(fc.mean) == horizon
    with contextlib.suppress(SeriesInputError):
        detect_csv(data, "<fuzz>")


# -- command-line arguments ----------------------------------------------------------------------------------

# Commands that neither open the dashboard, run forever, nor act on the machine (clean, recs apply).
_COMMANDS = [
    ["ingest"],
    ["patterns", "scan"],
    ["patterns", "list"],
    ["patterns", "show"],
    ["fix", "suggest"],
    ["error", "record"],
    ["forecast", "series"],
    ["anomalies", "detect"],
    ["db", "info"],
    ["config", "check"],
    ["config", "show"],
    ["locate"],
    ["baselines"],
    ["recs", "list"],
    ["patterns", "group"],
]
_args = st.sampled_from(
    [
        "--json",
        "--host",
        "--component",
        "--horizon",
        "--step",
        "--level",
        "--limit",
        "--type",
        "--kind",
        "--format",
        "--strict",
        "--force",
        "--metric",
        "--threshold",
        "--errors",
        "--input",
        "-",
        "nan",
        "inf",
        "-1",
        "0",
        "1e999",
        "",
        "\udcff",
        "\x00",
        "x" * 300,
        "--",
        "-h",
    ]
)


@pytest.mark.slow
@FUZZ
@given(
    cmd=st.sampled_from(_COMMANDS),
    extra=st.lists(st.one_of(_args, st.text(max_size=12)), max_size=5),
    stdin=st.binary(max_size=200),
)
@bounded
def test_fuzz_cli_arguments(tmp_path_factory, monkeypatch, cmd, extra, stdin):
    from lokifi_tui.cli import main as cli_main

    home = tmp_path_factory.mktemp("cli")
    monkeypatch.chdir(home)
    argv = ["lokifi", "--db", str(home / "c.duckdb"), *cmd, *extra]
    if "\x00" in "".join(argv):  # the kernel cannot pass a NUL in an argument: not a real command line
        return
    monkeypatch.setattr(sys, "argv", argv)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    monkeypatch.setenv("LOKIFI_PIPE_WAIT", "0.2")
    # as a terminal in a UTF-8 locale gives them: stdout strict, stderr backslashreplace
    out, err = io.TextIOWrapper(io.BytesIO(), "utf-8"), io.TextIOWrapper(io.BytesIO(), "utf-8", "backslashreplace")
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            cli_main.main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    err.flush()
    assert 0 <= code <= 5 and code != 1, (argv, code, err.buffer.getvalue()[-2000:])
