"""`lokifi forecast series` and `lokifi anomalies detect` read a series CSV through one reader
(analytics/common/series_csv.py): the same notes on stderr for messy input (and in forecast's --json),
the same malformed rows skipped up to 1 %, the same refusals (exit 3, naming the input and the line),
the same years (as `lokifi ingest`), the same order rule, and times printed in UTC the same way."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import example, given, settings, strategies as st

from analytics.common.epoch_time import MAX_SECONDS, text_seconds, utc_iso
from analytics.common.series_csv import SeriesInputError, read_series_csv
from lokifi_tui.cli.main import cli

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def rows(n: int, step_min: int = 5, start: dt.datetime = T0, zone: str = "+00:00") -> list[str]:
    """``n`` rows of a daily sine every ``step_min`` minutes, ISO 8601 with ``zone``."""
    tz = dt.timezone(dt.timedelta(hours=int(zone[:3]), minutes=int(zone[0] + zone[4:])))
    return [
        f"{(start + dt.timedelta(minutes=step_min * i)).astimezone(tz).isoformat()},"
        f"{50 + 10 * np.sin(2 * np.pi * i * step_min / 1440):.4f}"
        for i in range(n)
    ]


def both(text: str | bytes, *forecast_args: str):
    """(forecast --json result, detect result) on the same input through the real command line."""
    data = text.encode() if isinstance(text, str) else text
    fc = CliRunner().invoke(cli, ["forecast", "series", "--horizon", "2", "--json", *forecast_args], input=data)
    det = CliRunner().invoke(cli, ["anomalies", "detect"], input=data)
    return fc, det


def notes_of(stderr: str) -> list[str]:
    """The input notes on stderr, with what each command does with rows without a value left out."""
    out = []
    for line in stderr.splitlines():
        if line.startswith("note: ") and "this forecast is a guess" not in line:
            out.append(re.sub(r"; the (detector skips|value before is carried over) such rows$", "", line))
    return out


MESSY = {
    "out of order": lambda r: [r[0], *r[1:][::-1]],
    "a repeated timestamp with another value": lambda r: [*r[:100], r[100].split(",")[0] + ",99", *r[100:]],
    "a clock step back": lambda r: [*r[:300], *rows(300, start=T0 + dt.timedelta(minutes=5 * 300 - 55))],
    "a 25 h gap": lambda r: [*r[:200], *rows(200, start=T0 + dt.timedelta(hours=25 + 200 * 5 / 60))],
    "a 9-year jump": lambda r: [*r[:300], *rows(300, start=T0.replace(year=2035))],
    "a missing value": lambda r: [*r[:50], r[50].split(",")[0] + ",", *r[51:]],
    "one malformed row": lambda r: [*r[:150], "abc", *r[150:]],
    "a repeated header": lambda r: [*r[:150], "timestamp,value", *r[150:]],
}


@pytest.mark.parametrize("case", list(MESSY))
def test_messy_input_gets_the_same_notes_from_both_commands(case):
    body = MESSY[case](rows(600))
    fc, det = both("timestamp,value\n" + "\n".join(body) + "\n")
    assert fc.exit_code == det.exit_code == 0, (fc.output, det.output)
    said = notes_of(fc.stderr)
    assert said and said == notes_of(det.stderr), (fc.stderr, det.stderr)
    assert [f"note: {n}" for n in json.loads(fc.stdout)["notes"]] == [
        line for line in fc.stderr.splitlines() if line.startswith("note: ") and "guess" not in line
    ]


def test_a_clock_step_back_keeps_the_arrival_order_in_the_forecast_too():
    """A step back of 55 min is not sorted away: the rows stay in arrival order (the documented rule) and
    the forecast's steps follow the last row's own time."""
    body = [*rows(300), *rows(300, start=T0 + dt.timedelta(minutes=5 * 300 - 55))]
    text = "timestamp,value\n" + "\n".join(f"{r.split(',')[0]},{i}" for i, r in enumerate(body)) + "\n"
    read = read_series_csv(text)
    assert list(read.values) == list(range(600)) and np.all(np.diff(read.axis) > 0)
    fc = json.loads(CliRunner().invoke(cli, ["forecast", "series", "--horizon", "1", "--json"], input=text).stdout)
    last = T0 + dt.timedelta(minutes=5 * 599 - 55)
    assert fc["points"][0]["timestamp"] == f"{last + dt.timedelta(minutes=5):%Y-%m-%dT%H:%M:%SZ}"
    assert "clock steps back at line 302 (55 min)" in fc["notes"][0]


@pytest.mark.parametrize("text", ["", "\n\n", "timestamp,value\n", "\ufefftimestamp,value\r\n"])
def test_an_empty_or_header_only_input_is_refused_by_both(text):
    fc, det = both(text)
    assert fc.exit_code == det.exit_code == 3
    assert "<stdin>: no data rows (expected lines of timestamp,value)" in fc.stderr
    assert fc.stderr == det.stderr


def test_a_byte_order_mark_is_read_as_nothing_by_both():
    body = "timestamp,value\r\n" + "\r\n".join(rows(300)) + "\r\n"
    fc, det = both("\ufeff" + body)
    assert fc.exit_code == det.exit_code == 0 and fc.stderr == det.stderr == ""
    assert json.loads(fc.stdout)["rows"] == 300


def test_times_are_printed_in_utc_and_say_so():
    """A +02:00 series: the alarm is printed as the UTC instant with a Z, as forecast --timestamps prints."""
    body = rows(2000, zone="+02:00")
    body[1800] = body[1800].split(",")[0] + ",500"
    text = "timestamp,value\n" + "\n".join(body) + "\n"
    det = CliRunner().invoke(cli, ["anomalies", "detect"], input=text)
    assert det.exit_code == 0 and f"{T0 + dt.timedelta(minutes=5 * 1800):%Y-%m-%dT%H:%M:%SZ}" in det.stdout.split()
    fc = CliRunner().invoke(cli, ["forecast", "series", "--horizon", "1", "--timestamps"], input=text)
    assert fc.stdout.splitlines()[1].startswith(f"{T0 + dt.timedelta(minutes=5 * 2000):%Y-%m-%dT%H:%M:%SZ},")


@pytest.mark.parametrize(
    "stamp,ok",
    [
        ("1969-12-31T23:59:59Z", False),
        ("1970-01-01T00:00:00Z", True),
        ("2199-12-31T23:59:59Z", True),
        ("2200-01-01T00:00:00Z", False),
        ("2199-12-31T23:00:00-05:00", False),  # 2200 in UTC
        ("-1", False),
        ("0", True),
        ("7258118399", True),
        ("99999999999999999999", False),  # nanoseconds: year 5138
        ("1e30", False),
        ("1e16", False),  # microseconds: year 2286
        ("1.7e9", True),  # seconds, with an exponent
        ("9999-12-31T23:59:59+00:00", False),
    ],
)
def test_the_years_read_are_the_years_ingest_reads(tmp_path, store, stamp, ok):
    from analytics.store.ingest import ingest_file

    f = tmp_path / "one.csv"
    f.write_text(f"timestamp,value\n{stamp},1\n2026-01-01T00:00:00Z,2\n")
    report = ingest_file(store, f, component="c", metric="m")
    assert (report.rows_bad == 0) == ok, report.errors
    assert all(e.message == f"outside the years 1970-2199 (got '{stamp}')" for e in report.errors), report.errors
    fc, det = both(f"timestamp,value\n{stamp},1\n")
    assert det.exit_code == (0 if ok else 3), det.stderr
    assert (fc.exit_code == 3) == (not ok), fc.stderr  # at the last second of 2199 no step fits: exit 2
    if not ok:
        assert f"<stdin>:2: timestamp '{stamp}' is outside the years 1970-2199" in det.stderr


def test_the_tester_s_absurd_epochs_are_refused_saying_what():
    fc, det = both("timestamp,value\n99999999999999999999,1\n1e30,2\n")
    assert fc.exit_code == det.exit_code == 3
    assert (
        "<stdin>:2: timestamp '99999999999999999999' is outside the years 1970-2199 (and 1 more row that cannot "
        "be read)" in fc.stderr
    )


@pytest.mark.parametrize("bad", [1, 2, 3])
def test_malformed_rows_are_skipped_up_to_one_percent_by_both(bad):
    body = rows(200)
    for k in range(bad):
        body[40 + 50 * k] = "not,a row"
    fc, det = both("timestamp,value\n" + "\n".join(body) + "\n")
    assert fc.exit_code == det.exit_code == (0 if bad <= 2 else 3), (bad, fc.stderr)
    if bad <= 2:
        assert notes_of(fc.stderr) == notes_of(det.stderr)
        assert f"skipped {bad} row{'s' if bad > 1 else ''} that cannot be read" in fc.stderr
        assert "the first: <stdin>:42: timestamp 'not' is not ISO 8601" in fc.stderr
    else:
        assert "<stdin>:42: timestamp 'not'" in fc.stderr and "(and 2 more rows that cannot be read)" in fc.stderr
        assert fc.stderr == det.stderr


# Hostile input: any bytes, any rows. Neither command may answer with a traceback; a refusal is exit 3
# naming the input (and the line where one is to blame), and both refuse the same inputs saying the same.
_stamp = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**21).map(str),
    st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)).map(dt.datetime.isoformat),
    st.sampled_from(["", "timestamp", "\ufefftimestamp", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]),
    st.text(max_size=12),
)
_value = st.one_of(
    st.floats().map(repr), st.sampled_from(["", "nan", "NA", "null", "inf", "-", "value", "1e999"]), st.text(max_size=8)
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.tuples(_stamp, _value), max_size=30),
    st.sampled_from(["", "timestamp,value\n", "\ufefftimestamp,value\n"]),
    st.sampled_from(["\n", "\r\n"]),
)
@example([("9999-12-31T20:15:00", "1"), ("9999-12-31T20:20:00", "2")], "timestamp,value\n", "\n")
@example([("-5", "1"), ("1e30", "2")], "", "\n")
def test_hostile_rows_never_give_a_traceback_and_both_commands_agree(pairs, header, eol):
    text = header + eol.join(f"{a},{b}" for a, b in pairs) + eol
    data = text.encode("utf-8", "surrogatepass")
    fc, det = both(data)
    for res in (fc, det):
        assert res.exception is None or isinstance(res.exception, SystemExit), res.exc_info
        assert "Traceback" not in res.stderr
    assert det.exit_code in (0, 3) and fc.exit_code in (0, 2, 3)
    if det.exit_code == 3:
        assert fc.exit_code == 3 and fc.stderr == det.stderr and det.stderr.startswith("error: <stdin>")
    elif fc.exit_code == 0:
        assert notes_of(fc.stderr) == notes_of(det.stderr)
        assert all(p["timestamp"].endswith("Z") for p in json.loads(fc.stdout)["points"])
    elif fc.exit_code == 3:  # only the forecast needs a value, and steps a millisecond apart
        assert "every value is missing" in fc.stderr or "apart" in fc.stderr, fc.stderr
    else:
        assert "--horizon" in fc.stderr and "Lokifi's times end with the year 2199" in fc.stderr


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_the_same_by_both(data):
    fc, det = both(data)
    assert det.exit_code in (0, 3) and "Traceback" not in fc.stderr + det.stderr
    if det.exit_code == 3:
        assert fc.exit_code == 3 and fc.stderr == det.stderr and re.match(r"error: <stdin>(:\d+)?: ", det.stderr)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, int(MAX_SECONDS * 1e6) - 1))
def test_a_printed_time_reads_back_as_the_same_instant(us):
    """Every time a series command prints is ISO 8601 UTC with a Z, and reads back to the microsecond."""
    text = utc_iso(us / 1e6)
    assert text.endswith("Z") and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6})?Z", text)
    assert round(text_seconds(text) * 1e6) == us


def test_reader_errors_name_the_input_and_line():
    with pytest.raises(SeriesInputError, match=r"^s\.csv:3: binary data \(a NUL byte\)"):
        read_series_csv(b"t,v\n2026-01-01,1\n\x00,2\n", "s.csv")
