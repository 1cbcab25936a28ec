"""Ingestion: formats, bad rows with file:line:field, --strict, re-ingest, timestamps, hostile input."""

from __future__ import annotations

import datetime as dt
import json
import string

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings, strategies as st

from analytics.common.timeparse import parse_timestamps
from analytics.store.ingest import IngestError, detect_format, ingest_file
from lokifi_tui.cli.main import cli

CSV = """timestamp,component,metric,value,host
2026-01-01T00:00:00Z,backend,response_time_ms,120,h1
2026-01-01 00:01:00,backend,response_time_ms,abc,h1
1767225720,backend,response_time_ms,130,
1767225780000,backend,response_time_ms,inf,h1
bad-ts,backend,response_time_ms,1,h1
2026-01-01T02:05:00+02:00,,response_time_ms,5,h1
"""


def test_csv_bad_rows_are_reported_with_line_and_field_and_skipped(store, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text(CSV)
    r = ingest_file(store, f, host="fallback")
    assert (r.kind, r.rows_read, r.rows_valid, r.rows_bad) == ("metrics", 6, 2, 4)
    where = [(e.line, e.field) for e in r.errors]
    assert where == [(3, "value"), (5, "value"), (6, "ts"), (7, "component")]
    rows = store.query("SELECT ts, host, value FROM metrics ORDER BY ts")
    assert rows["ts"].to_list() == [dt.datetime(2026, 1, 1, 0, 0), dt.datetime(2026, 1, 1, 0, 2)]
    assert rows["host"].to_list() == ["h1", "fallback"]


def test_strict_rejects_the_whole_file_and_writes_nothing(store, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text(CSV)
    r = ingest_file(store, f, strict=True)
    assert r.rejected and r.rows_bad == 4
    assert store.scalar("SELECT count(*) FROM metrics") == 0
    assert store.scalar("SELECT count(*) FROM ingested_files") == 0


def test_reingesting_adds_nothing_twice(store, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text(CSV)
    ingest_file(store, f)
    again = ingest_file(store, f)
    assert again.already_ingested
    forced = ingest_file(store, f, force=True)  # read again: rows deduplicated on their key
    assert forced.rows_valid == 2 and forced.rows_written == 0
    assert store.scalar("SELECT count(*) FROM metrics") == 2


def test_a_row_repeated_in_the_file_is_written_once_and_the_count_says_what_was_written(store, tmp_path):
    stored = "2026-01-01T00:00:00Z,backend,response_time_ms,120,h1\n"
    twice = "2026-01-01T00:05:00Z,backend,response_time_ms,130,h1\n"
    (tmp_path / "a.csv").write_text("timestamp,component,metric,value,host\n" + stored)
    ingest_file(store, tmp_path / "a.csv")
    f = tmp_path / "m.csv"
    f.write_text("timestamp,component,metric,value,host\n" + stored + twice + twice.replace("130", "999"))
    r = ingest_file(store, f)
    assert (r.rows_valid, r.rows_written) == (3, 1)
    rows = store.query("SELECT ts, value FROM metrics ORDER BY ts")
    assert rows["value"].to_list() == [120.0, 130.0]  # the first row of a key is kept
    assert store.scalar("SELECT sum(n) FROM metrics_hourly") == 2
    out = CliRunner().invoke(cli, ["--db", str(store.path), "ingest", "--force", str(f)]).output
    assert "0 metrics rows (3 already stored or repeated in the file, not written twice)" in out, out


def test_jsonl_events_with_hostile_text_are_stored_verbatim(store, tmp_path):
    hostile = "Connection refused [bold red]boom[/] \x1b[31mred\x1b[0m \x07"
    lines = [
        json.dumps({"ts": "2026-01-01T00:00:00Z", "component": "redis", "message": hostile}),
        "not json at all",
        "[1, 2]",
        json.dumps({"ts": 1767225600, "component": "redis", "message": "   "}),
        json.dumps({"ts": "2026-01-01T00:00:01Z", "component": "redis", "message": "x" * 100_000}),
    ]
    f = tmp_path / "e.jsonl"
    f.write_text("\n".join(lines) + "\n")
    r = ingest_file(store, f)
    assert r.kind == "events"
    assert [(e.line, e.field) for e in r.errors] == [(2, "(line)"), (3, "(line)"), (4, "message")]
    msgs = store.query("SELECT message FROM error_events ORDER BY ts")["message"].to_list()
    assert msgs[0] == hostile
    assert len(msgs[1]) < 20_000 and msgs[1].endswith("…[cut]")


def test_parquet_and_two_column_series(store, tmp_path):
    f = tmp_path / "s.parquet"
    pl.DataFrame(
        {"timestamp": [dt.datetime(2026, 1, 1, 0, i) for i in range(10)], "value": [float(i) for i in range(10)]}
    ).write_parquet(f)
    r = ingest_file(store, f, component="backend", metric="latency_ms")
    assert r.format == "parquet" and r.rows_valid == 10
    assert store.scalar("SELECT count(*) FROM metrics WHERE component = 'backend' AND metric = 'latency_ms'") == 10


def test_unknown_layout_and_missing_file_are_clear(store, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(IngestError, match="cannot tell what the columns"):
        ingest_file(store, f)
    with pytest.raises(IngestError, match="no such file"):
        ingest_file(store, tmp_path / "nope.csv")
    b = tmp_path / "bin.parquet"
    b.write_bytes(b"PAR1\x00\x01garbage")
    with pytest.raises(IngestError, match="not a readable Parquet"):
        ingest_file(store, b)


def test_binary_junk_lines_are_bad_rows(store, tmp_path):
    junk = bytes(b for b in range(256) if b not in b'\n\r"') * 20
    f = tmp_path / "junk.csv"
    f.write_bytes(b"timestamp,component,metric,value\n" + junk + b"\n2026-01-01T00:00:00,a,m,1\n")
    r = ingest_file(store, f)
    assert r.rows_valid == 1 and r.rows_bad >= 1


def test_unparseable_csv_says_which_file(store, tmp_path):
    f = tmp_path / "broken.csv"
    f.write_bytes(b"timestamp,component,metric,value\n" + bytes(range(256)) * 50 + b"\n")
    try:
        r = ingest_file(store, f)
    except IngestError as exc:
        assert "broken.csv" in str(exc) and "CSV" in str(exc)
    else:
        assert r.rows_valid == 0


def test_format_detection_by_content(tmp_path):
    a = tmp_path / "noext"
    a.write_text('{"ts": 1}\n')
    assert detect_format(a) == "jsonl"
    b = tmp_path / "noext2"
    pl.DataFrame({"a": [1]}).write_parquet(b)
    assert detect_format(b) == "parquet"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2026-03-01T10:00:00", dt.datetime(2026, 3, 1, 10)),
        ("2026-03-01 10:00:00.250", dt.datetime(2026, 3, 1, 10, 0, 0, 250000)),
        ("2026-03-01T10:00:00Z", dt.datetime(2026, 3, 1, 10)),
        ("2026-03-01T12:00:00+02:00", dt.datetime(2026, 3, 1, 10)),
        ("2026-03-01T05:00:00-0500", dt.datetime(2026, 3, 1, 10)),
        ("2026-03-01", dt.datetime(2026, 3, 1)),
        ("1772359200", dt.datetime(2026, 3, 1, 10)),
        ("1772359200000", dt.datetime(2026, 3, 1, 10)),
        ("1772359200.5", dt.datetime(2026, 3, 1, 10, 0, 0, 500000)),
        ("yesterday", None),
        ("", None),
    ],
)
def test_timestamp_forms(text, expected):
    assert parse_timestamps(pl.Series("t", [text])).to_list() == [expected]


@given(
    st.lists(
        st.datetimes(min_value=dt.datetime(1980, 1, 1), max_value=dt.datetime(2200, 1, 1)), min_size=1, max_size=30
    ),
    st.sampled_from(["iso", "space", "zulu", "epoch_ms"]),
)
def test_timestamp_roundtrip(values, form):
    values = [v.replace(microsecond=(v.microsecond // 1000) * 1000) for v in values]
    if form == "iso":
        texts = [v.isoformat() for v in values]
    elif form == "space":
        texts = [v.isoformat(sep=" ") for v in values]
    elif form == "zulu":
        texts = [v.isoformat() + "Z" for v in values]
    else:
        texts = [str((v - dt.datetime(1970, 1, 1)) // dt.timedelta(milliseconds=1)) for v in values]
    assert parse_timestamps(pl.Series("t", texts)).to_list() == values


@given(st.lists(st.text(alphabet=string.printable + "é€\x1b", max_size=40), max_size=30))
def test_timestamp_parser_never_crashes(texts):
    out = parse_timestamps(pl.Series("t", texts, dtype=pl.String))
    assert len(out) == len(texts)


_cell = st.one_of(
    st.text(alphabet=string.ascii_letters + string.digits + " .:-+T", max_size=25),
    st.sampled_from(["", "nan", "inf", "-inf", "1e308", "NULL", "2026-01-01T00:00:00", "1767225600"]),
)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(st.booleans(), _cell, _cell, st.floats(allow_nan=True, allow_infinity=True)), min_size=1, max_size=40
    )
)
def test_malformed_rows_are_counted_exactly(store, tmp_path_factory, rows):
    """Every row is either written or reported; good rows are never lost, bad ones never written."""
    d = tmp_path_factory.mktemp("h")
    store.execute("DELETE FROM metrics")
    store.execute("DELETE FROM ingested_files")
    lines = ["timestamp,component,metric,value"]
    expected_good = 0
    for i, (good, junk_ts, junk_comp, val) in enumerate(rows):
        if good:
            lines.append(f"2026-01-01T00:{i // 60:02d}:{i % 60:02d},svc,m,{i}")
            expected_good += 1
        else:
            lines.append(f"{junk_ts},{junk_comp.replace(',', '')},m,{val}")
    f = d / "f.csv"
    f.write_text("\n".join(lines) + "\n")
    r = ingest_file(store, f)
    assert r.rows_valid + r.rows_bad == r.rows_read == len(rows)
    assert r.rows_valid >= expected_good
    stored = store.scalar("SELECT count(*) FROM metrics")
    assert stored <= r.rows_valid and stored >= expected_good
    assert all(e.line >= 2 for e in r.errors)


def test_ingested_error_events_are_learned_as_patterns(store, tmp_path):
    f = tmp_path / "errors.jsonl"
    f.write_text(
        "\n".join(
            json.dumps(
                {
                    "timestamp": f"2026-01-01T00:0{i}:00Z",
                    "service": "db",
                    "msg": f"connect ECONNREFUSED 10.0.0.{i}:5432",
                }
            )
            for i in range(5)
        )
        + "\n"
    )
    from analytics.collect.ingest import ingest_and_learn  # `lokifi ingest`: the store, then the patterns engine

    ingest_and_learn(store, f)
    pats = store.query("SELECT error_type, occurrence_count FROM error_patterns")
    assert pats.height == 1 and pats["error_type"][0] == "connection" and pats["occurrence_count"][0] == 5


def test_jsonl_lines_may_name_the_timestamp_differently_and_nested_values_are_bad(store, tmp_path):
    f = tmp_path / "e.jsonl"
    f.write_text(
        "\n".join(
            [
                json.dumps({"timestamp": "2026-01-01T00:00:00Z", "service": "api", "msg": "boom one"}),
                json.dumps({"@timestamp": "2026-01-01T00:01:00Z", "service": "api", "msg": "boom two"}),
                json.dumps({"timestamp": "2026-01-01T00:02:00Z", "service": ["x"], "msg": {"a": 1}}),
                "not json",
            ]
        )
        + "\n"
    )
    r = ingest_file(store, f)
    assert r.rows_valid == 2
    assert r.rows_read == r.rows_valid + r.rows_bad == 4
    assert [(e.line, e.field) for e in r.errors] == [(4, "(line)"), (3, "component")]
    assert "JSON list/object" in r.errors[1].message


def test_the_same_file_read_with_other_options_is_not_skipped(store, tmp_path):
    f = tmp_path / "series.csv"
    f.write_text("timestamp,value\n2026-01-01T00:00:00,1\n2026-01-01T00:01:00,2\n")
    ingest_file(store, f, component="wrong", metric="latency_ms")
    r = ingest_file(store, f, component="backend", metric="latency_ms")
    assert not r.already_ingested and r.rows_valid == 2
    assert ingest_file(store, f, component="backend", metric="latency_ms").already_ingested


@pytest.mark.parametrize("codec", ["gz", "bz2", "xz", "zst"])
@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_every_compression_is_read_by_content_and_a_cut_one_keeps_nothing_half_read(store, tmp_path, codec, kind):
    """gzip was read, an xz export was 'columns [...binary...]'; the codec is now known by the first bytes."""
    import bz2
    import gzip
    import lzma

    import zstandard

    compress = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}.get(
        codec, zstandard.ZstdCompressor().compress
    )
    if kind == "csv":
        text = CSV
    else:
        text = "".join(
            json.dumps({"timestamp": f"2026-01-01T00:0{i}:00Z", "component": "api", "message": f"boom {i}"}) + "\n"
            for i in range(5)
        )
    f = tmp_path / f"m.{kind}.{codec}"
    f.write_bytes(compress(text.encode()))
    assert detect_format(f) == kind
    r = ingest_file(store, f, host="h")
    assert r.rows_read == (6 if kind == "csv" else 5) and r.rows_valid == (2 if kind == "csv" else 5)
    plain = tmp_path / f"plain.{kind}"  # the content decides, not the name
    plain.write_bytes(compress(text.encode()))
    assert detect_format(plain) == kind
    cut = tmp_path / f"cut.{kind}.{codec}"
    cut.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 2])
    with pytest.raises(IngestError, match=r"cut\..*damaged or cut short"):
        ingest_file(store, cut, host="h")
    pq = tmp_path / f"x.parquet.{codec}"
    pq.write_bytes(compress(b"PAR1"))
    with pytest.raises(IngestError, match="Parquet compresses itself"):
        detect_format(pq)


def test_event_rows_whose_level_is_routine_are_not_error_events(store, tmp_path):
    """A `"level":"info"` row was learned as an error pattern ('ok'). A row's level is read as a log line's
    would be: info, debug, pino's 30 and a warning without error words are not error events; an error
    level, a warning that says what failed and a row without a level are."""
    rows = [
        ("ok", "info"),
        ("db down", "error"),
        ("disk almost full", "warn"),
        ("connection refused", "warn"),
        ("boom", 30),
        ("crash", None),
    ]
    f = tmp_path / "ev.jsonl"
    f.write_text(
        "".join(
            json.dumps(
                {"timestamp": f"2026-12-06T01:00:0{i}Z", "component": "api", "message": m}
                | ({} if lv is None else {"level": lv})
            )
            + "\n"
            for i, (m, lv) in enumerate(rows)
        )
    )
    from analytics.collect.ingest import ingest_and_learn

    r = ingest_and_learn(store, f)
    assert (r.rows_valid, r.rows_routine, r.rows_written) == (6, 3, 3)
    stored = store.query("SELECT message FROM error_events ORDER BY ts")["message"].to_list()
    assert stored == ["db down", "connection refused", "crash"]
    out = CliRunner().invoke(cli, ["--db", str(store.path), "ingest", "--force", str(f)]).output
    assert "3 not errors by their level (info, debug, a plain warning)" in out, out
