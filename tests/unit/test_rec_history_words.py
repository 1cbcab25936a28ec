"""A recommendation's history reads as sentences (it read ``undone undid applied``), the same in
``lokifi recs history`` and the dashboard: :func:`analytics.recommend.history_words.event_sentence`."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from analytics.recommend.history_words import event_sentence


@pytest.mark.parametrize(
    ("event", "said"),
    [
        (("created", "Disk 91% full", "open", "engine"), "Created: Disk 91% full."),
        (("applied", None, "applied", "tui"), "Marked applied in the dashboard."),
        (("dismissed", None, "dismissed", "cli"), "Dismissed from the command line."),
        (
            ("snoozed", "until 2026-12-06 14:58 UTC", "snoozed", "tui"),
            "Snoozed in the dashboard, until 2026-12-06 14:58 UTC.",
        ),
        (("undone", "undid applied", "open", "tui"), "The apply was undone in the dashboard: open again."),
        (
            ("undone", "undid dismissed", "applied", "cli"),
            "The dismissal was undone from the command line: back to applied.",
        ),
        (("undone", "undid snoozed", "open", "engine"), "The snooze was undone: open again."),
        (("reopened", "snooze ended", "open", "engine"), "Open again: snooze ended."),
        (
            ("resolved", "the condition is no longer present", "resolved", "engine"),
            "Resolved: the condition is no longer present.",
        ),
    ],
)
def test_each_event_is_a_sentence(event, said):
    assert event_sentence(*event) == said


@given(
    action=st.sampled_from(["created", "applied", "dismissed", "snoozed", "undone", "reopened", "resolved", "x_y"]),
    note=st.one_of(st.none(), st.text(max_size=30)),
    to_status=st.one_of(st.none(), st.sampled_from(["open", "applied", "dismissed", "snoozed", "resolved"])),
    source=st.one_of(st.none(), st.text(max_size=8)),
)
def test_any_event_reads_as_one_capitalised_sentence(action, note, to_status, source):
    said = event_sentence(action, note, to_status, source)
    assert said[:1].isupper() and said.endswith((".", "!", "?", "…"))
    assert not said.startswith(("undone", "undid"))
