"""Details written for people: labels as words, numbers with units and sensible precision, absent values
left out — for any evidence the engines store."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from lokifi_tui.widgets.humanize import label, rows, value

pytestmark = pytest.mark.slow  # measured: 2 s in all


def test_examples():
    assert rows({"baseline_mean_ms": 1118.157536954364}) == [("Baseline mean", "1,118 ms")]
    assert rows({"subject": None, "measured": {"last_scan": None, "age_days": 14.0}}) == [("Measured", "Age 14 days")]
    assert value(0.012345) == "0.0123" and value(3.14159) == "3.14" and value(True) == "yes"
    assert value({"last_scan": None}) is None and label("error_rate") == "Error rate"


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=12), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=15), json_values, max_size=6))
def test_any_evidence_reads_cleanly(ev):
    for k, v in rows(ev):
        assert k and v
        # no float noise: no number with more than 4 digits after the point, unless it was text already
        assert not re.search(r"\d\.\d{5,}", v) or any(isinstance(x, str) for x in _leaves(ev))
        assert "None" not in v or any(isinstance(x, str) and "none" in x.lower() for x in _leaves(ev))


def _leaves(v):
    if isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from _leaves(x)
    elif isinstance(v, list):
        for x in v:
            yield from _leaves(x)
    else:
        yield v


def test_sizes_in_bytes_read_in_the_unit_they_fill():
    from lokifi_tui.widgets.humanize import number

    assert number(512, "B") == "512 B"
    assert number(58_726_416, "B") == "56 MB"
    assert rows({"files": [{"path": "/l/app.log", "bytes": 3 * 2**30}]}) == [("Files", "Path /l/app.log, Bytes 3 GB")]


def test_stored_timestamps_read_to_the_minute_and_a_pair_as_a_window():
    assert rows({"window": ["2026-11-27T07:00:00", "2026-12-04T07:00:00"]}) == [
        ("Window", "2026-11-27 07:00 – 2026-12-04 07:00")  # the en dash the product prints (an allowed confusable)
    ]
    assert rows({"last_scan": "2026-03-01T12:34:56.789"}) == [("Last scan", "2026-03-01 12:34")]
    assert rows({"note": "2026-03-01 is a date, not a stamp"}) == [("Note", "2026-03-01 is a date, not a stamp")]
