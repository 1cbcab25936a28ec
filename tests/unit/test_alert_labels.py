"""Label values that leave the host: whatever a log source names its component or host, the value sent
is redacted, one line of printable text and bounded; a pattern id is hex or nothing."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings, strategies as st
from rca_support import passwords

from analytics.alerts.labels import LABEL_LIMIT, FreeText, pattern_id

_password = passwords(middle=4)


@settings(max_examples=200, deadline=None)
@given(
    before=st.text(max_size=300),
    password=_password,
    form=st.sampled_from(["password={p}", "token: {p}", "pwd is {p}", "https://bob:{p}@db/x", "--password {p}"]),
)
def test_a_free_text_value_is_redacted_printable_and_bounded(before, password, form):
    text = FreeText()
    value = before + "\n " + form.format(p=password)
    out = text(value)
    assert len(out) <= LABEL_LIMIT and out == out.strip()
    assert not any(unicodedata.category(c) == "Cc" for c in out) and "  " not in out
    if len(out) < LABEL_LIMIT:  # (cut short, the end -- where the secret stood -- is gone anyway)
        assert password not in out and "[REDACTED:" in out
    assert text(value) == out  # the same value, the same label: Alertmanager groups by it


@given(st.text(max_size=80))
def test_a_pattern_id_is_hex_or_nothing(value):
    out = pattern_id(value)
    assert out == "" or (len(out) <= 12 and all(c in "0123456789abcdef" for c in out))
    assert pattern_id("9f86d081884c7d659a2f") == "9f86d081884c"
