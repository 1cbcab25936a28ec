"""`lokifi ingest` says what is wrong as the series commands say it: a binary file is "binary data,
expected CSV text" (never the CSV parser's internals), an empty field is "empty", a timestamp outside
the years read names them, and a UTF-8 byte order mark (Excel) is no part of the first column's name."""

from __future__ import annotations

import bz2
import gzip
import re

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings, strategies as st

from analytics.store.ingest import IngestError, ingest_file
from lokifi_tui.cli.main import cli

INTERNALS = re.compile(r"row_offset|in chunk|ComputeError|polars|expected \d+ rows, actual", re.I)


def test_a_binary_file_is_said_to_be_one(tmp_path):
    f = tmp_path / "binary.bin"
    f.write_bytes(bytes(range(7, 40)) + b"\x00" + bytes(range(200, 256)) * 60)
    res = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "t.duckdb"), "ingest", "--component", "c", "--metric", "m", str(f)]
    )
    assert res.exit_code == 3
    assert f"{f}:2: binary data (a NUL byte), expected CSV text" in res.output  # the first line with one
    assert not INTERNALS.search(res.output), res.output


def test_binary_data_after_good_lines_names_the_lines(store, tmp_path):
    f = tmp_path / "mid.csv"
    f.write_bytes(b"timestamp,value\n2026-01-01T00:00:00Z,1\n" + (b'\x00"\xff\n\x01,"' * 300))
    with pytest.raises(IngestError) as exc:
        ingest_file(store, f, component="c", metric="m")
    assert re.match(rf"{re.escape(str(f))}:\d+(-\d+)?: binary data \(a NUL byte\), expected CSV text", str(exc.value))
    assert not INTERNALS.search(str(exc.value))


def test_an_empty_field_is_said_to_be_empty(store, tmp_path):
    f = tmp_path / "e.csv"
    f.write_text("timestamp,value\n2026-01-01T00:00:00Z,\n,3\n2026-01-01T00:10:00Z,  \n2026-01-01T00:15:00Z,4\n")
    r = ingest_file(store, f, component="c", metric="m")
    assert [(e.line, e.field, e.message) for e in r.errors] == [
        (2, "value", "empty"),
        (3, "ts", "empty"),
        (4, "value", "empty"),
    ]
    assert r.rows_valid == 1


def test_a_timestamp_outside_the_years_read_says_which_years(store, tmp_path):
    """A number too large to be held as a time (`1e30`) was "not a timestamp": it is outside the years too."""
    f = tmp_path / "y.csv"
    f.write_text(
        "timestamp,value\n-5,1\n2200-01-01T00:00:00Z,2\n1e30,3\n99999999999999999999,4\n-1e30,5\nnope,6\n"
        "2026-01-01T00:00:00Z,7\n"
    )
    r = ingest_file(store, f, component="c", metric="m")
    assert [(e.line, e.message) for e in r.errors] == [
        (2, "outside the years 1970-2199 (got '-5')"),
        (3, "outside the years 1970-2199 (got '2200-01-01T00:00:00Z')"),
        (4, "outside the years 1970-2199 (got '1e30')"),
        (5, "outside the years 1970-2199 (got '99999999999999999999')"),
        (6, "outside the years 1970-2199 (got '-1e30')"),
        (7, "not a timestamp (ISO 8601 or epoch s/ms) (got 'nope')"),
    ]
    j = tmp_path / "big.jsonl"  # a JSON number: a float column
    j.write_text('{"ts": 1e30, "value": 1}\n{"ts": 1.7e9, "value": 2}\n')
    r = ingest_file(store, j, component="c", metric="m")
    assert [(e.line, e.message) for e in r.errors] == [(1, "outside the years 1970-2199 (got 1e+30)")]
    assert r.rows_valid == 1


# 30 examples of up to 20 numbers each (60 before): hypothesis draws the awkward floats (0, -0.0, the
# largest, the subnormals) with a raised chance, and each example costs a write to the store
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=20))
def test_any_number_is_a_time_or_outside_the_years(store, tmp_path_factory, numbers):
    """A finite number in the timestamp column is epoch time: read, or refused as outside the years."""
    f = tmp_path_factory.mktemp("numbers") / "n.csv"
    f.write_text("timestamp,value\n" + "".join(f"{x!r},1\n" for x in numbers))
    r = ingest_file(store, f, component="c", metric="m", force=True)
    assert all(e.message.startswith("outside the years 1970-2199") for e in r.errors), r.errors


@pytest.mark.parametrize(
    "name,pack",
    [
        ("m.csv", bytes),
        ("m.csv.gz", gzip.compress),
        ("m.csv.bz2", bz2.compress),
        ("m.tsv", bytes),
    ],
)
def test_a_byte_order_mark_is_no_part_of_the_header(store, tmp_path, name, pack):
    sep = "\t" if name.endswith(".tsv") else ","
    text = sep.join(["timestamp", "component", "metric", "value"]) + "\r\n"
    text += sep.join(["2026-01-01T00:00:00Z", "api", "cpu", "1"]) + "\r\n"
    f = tmp_path / name
    f.write_bytes(pack(b"\xef\xbb\xbf" + text.encode()))
    r = ingest_file(store, f)
    assert (r.kind, r.rows_valid, r.rows_bad) == ("metrics", 1, 0), r.errors
    two = tmp_path / f"two-{name}"
    two.write_bytes(pack(b"\xef\xbb\xbftimestamp,value\n2026-01-01T00:00:00Z,5\n".replace(b",", sep.encode())))
    r = ingest_file(store, two, component="c", metric="m")
    assert (r.rows_valid, r.rows_bad) == (1, 0), r.errors


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=3000), st.booleans())
@example(bytes(range(256)) * 10, False)
@example(b"timestamp,value\n" + b'"\x00' * 400, True)
def test_any_bytes_ingest_or_are_refused_in_plain_words(store, tmp_path_factory, data, header):
    f = tmp_path_factory.mktemp("bytes") / "any.csv"
    f.write_bytes((b"timestamp,value\n" if header else b"") + data)
    try:
        r = ingest_file(store, f, component="c", metric="m", force=True)
    except IngestError as exc:
        assert str(exc).startswith(str(f)) and not INTERNALS.search(str(exc)), str(exc)
    else:
        assert all(not INTERNALS.search(e.message) for e in r.errors)
