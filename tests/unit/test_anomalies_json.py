"""`lokifi anomalies detect --json`: one JSON document with the alarms the text output prints (each with
its row's value, line, score and why it rang) and the notes on the input that go to stderr, as `forecast series --json`
has them."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from lokifi_tui.cli.main import cli

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _rows(n: int, *, seed: int = 3) -> list[tuple[str, str]]:
    """``n`` 5-minute rows of a daily sine with noise, an excursion at 2/3 and one spike near the end."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        v = 50 + 10 * math.sin(2 * math.pi * i / 288) + rng.normal(0, 1)
        if 2 * n // 3 <= i < 2 * n // 3 + 10:
            v += 60
        if i == n - 200:
            v = 400.0
        out.append(((T0 + dt.timedelta(minutes=5 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"), f"{v:.4f}"))
    return out


def _csv(rows: list[tuple[str, str]]) -> str:
    return "timestamp,value\n" + "".join(f"{t},{v}\n" for t, v in rows)


def _both(text: str):
    """(the text run, the --json run) on the same input."""
    text_run = CliRunner().invoke(cli, ["anomalies", "detect"], input=text)
    json_run = CliRunner().invoke(cli, ["anomalies", "detect", "--json"], input=text)
    return text_run, json_run


def test_the_json_has_the_alarms_the_text_prints_with_their_rows_and_the_notes():
    rows = _rows(3000)
    rows[100] = (rows[100][0], "nan")  # a missing value: a note
    del rows[1200:1210]  # a 55-minute gap: a note
    text = _csv(rows)
    plain, as_json = _both(text)
    assert plain.exit_code == as_json.exit_code == 0, (plain.output, as_json.output)
    doc = json.loads(as_json.stdout)
    assert [a["timestamp"] for a in doc["alarms"]] == plain.stdout.split() and len(doc["alarms"]) >= 2
    assert doc["rows"] == len(rows)
    # the notes are those on stderr (still printed there, as forecast series does)
    said = [line.removeprefix("note: ") for line in plain.stderr.splitlines()]
    assert doc["notes"] == said and len(said) == 2 and as_json.stderr == plain.stderr
    lines = text.splitlines()
    for a in doc["alarms"]:
        t, v = lines[a["line"] - 1].split(",")  # the alarm's own row of the input
        assert t == a["timestamp"] and float(v) == a["value"]
        assert 0 < a["score"] <= 10
    spike = next(a for a in doc["alarms"] if a["value"] == 400.0)
    assert spike["score"] == 10  # the isolated spike: as surprising as a row can score
    assert spike["kind"] == "spike" and spike["rise_sd"] is None
    for a in doc["alarms"]:
        assert a["kind"] in ("spike", "sustained")
        assert (a["rise_sd"] is None) == (a["kind"] == "spike")


def test_a_level_shift_rings_as_sustained_with_how_far_the_mean_surprise_rose():
    """A rise of a few noise deviations that lasts: each row is only mildly unusual, the run is what
    rings, and the document says so (kind sustained, rise_sd above the detector's own tail threshold)."""
    from analytics.predict.detect import DEFAULT

    rng = np.random.default_rng(11)
    rows = []
    for i in range(4000):
        v = 100 + rng.normal(0, 1) + (4.0 if i >= 3000 else 0.0)
        rows.append(((T0 + dt.timedelta(minutes=5 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"), f"{v:.4f}"))
    _, as_json = _both(_csv(rows))
    doc = json.loads(as_json.stdout)
    after = [a for a in doc["alarms"] if a["line"] - 2 >= 3000]
    assert after and after[0]["line"] - 2 < 3000 + 36, doc["alarms"]  # found within three hours
    first = after[0]
    assert first["kind"] == "sustained" and first["rise_sd"] > DEFAULT.tail_z(), first


def test_a_quiet_series_gives_an_empty_list_and_bad_input_no_document():
    quiet = _csv([(t, "5") for t, _ in _rows(500)])
    plain, as_json = _both(quiet)
    assert plain.stdout == "" and json.loads(as_json.stdout) == {"rows": 500, "notes": [], "alarms": []}
    plain, as_json = _both("timestamp,value\n2026-01-01T00:00:00Z,\x1b[31mred\n")
    assert plain.exit_code == as_json.exit_code == 3 and as_json.stdout == ""
    assert "is not a number" in as_json.stderr and as_json.stderr == plain.stderr


@settings(max_examples=20, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(-1e9, 1e9), st.just(float("nan")), st.sampled_from([0.0, 1e300, -1e300])),
        min_size=1,
        max_size=400,
    ),
    st.integers(0, 2**32 - 1),
    st.booleans(),
)
def test_the_json_agrees_with_the_text_on_any_input(values, seed, shuffle):
    """Hostile series (NaN, huge values, rows out of order, repeated times): the document always parses,
    its alarms are the text output's, and its notes are stderr's."""
    rng = np.random.default_rng(seed)
    times = [(T0 + dt.timedelta(minutes=5 * int(i))).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(len(values))]
    if shuffle:
        times = [times[int(i)] for i in rng.integers(0, len(times), len(times))]
    text = _csv([(t, repr(v)) for t, v in zip(times, values, strict=True)])
    plain, as_json = _both(text)
    assert plain.exit_code == as_json.exit_code, (plain.output, as_json.output)
    if plain.exit_code:
        assert as_json.stdout == "" and as_json.stderr == plain.stderr
        return
    doc = json.loads(as_json.stdout)
    assert [a["timestamp"] for a in doc["alarms"]] == plain.stdout.split()
    assert doc["notes"] == [line.removeprefix("note: ") for line in plain.stderr.splitlines()]
    assert all(math.isfinite(a["value"]) and a["score"] is not None for a in doc["alarms"])
