"""The example beside a pattern's template starts where the template does: a log line's header (time,
level) is not shown twice over the column's width."""

from __future__ import annotations

from hypothesis import given, strategies as st

from lokifi_tui.widgets.panes import example_from


def test_a_log_lines_header_is_left_out():
    raw = "2026-12-04 22:26:24,332 ERROR shop: unhandled error in /cart for order 123 | KeyError: 'user_9'"
    template = "shop: unhandled error in <*> for order <*> | KeyError: '<*>'"
    assert example_from(template, raw) == "shop: unhandled error in /cart for order 123 | KeyError: 'user_9'"


def test_a_message_without_a_header_or_a_template_that_starts_with_a_variable_is_kept():
    assert example_from("Error: timed out after <*>ms", "Error: timed out after 10000ms") == (
        "Error: timed out after 10000ms"
    )
    assert example_from("<*> connect() failed", "10.0.0.1 connect() failed") == "10.0.0.1 connect() failed"
    assert example_from("disk full on <*>", "something else entirely") == "something else entirely"


@given(st.text(max_size=60), st.text(max_size=60))
def test_the_example_is_always_a_tail_of_the_message(template, message):
    out = example_from(template, message)
    assert message.endswith(out) and (out == message or out.startswith(template.split("<*>", 1)[0]))
