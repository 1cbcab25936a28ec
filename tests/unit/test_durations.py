"""One reading of durations for the configuration file and the command line (analytics/common/durations.py)."""

from __future__ import annotations

import pytest

from analytics.common.durations import parse_seconds, spoken_seconds


@pytest.mark.parametrize(
    "text, seconds",
    [
        ("90", 90.0),
        ("250ms", 0.25),
        ("15s", 15.0),
        (" 5m ", 300.0),
        ("1.5h", 5400.0),
        ("7D", 604800.0),
        ("2w", 1209600.0),
    ],
)
def test_durations_read_as_written(text, seconds):
    assert parse_seconds(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "m", "5 minutez", "-5m", "5mm", "1e3s", "5m5s"])
def test_anything_else_is_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        parse_seconds(text)


def test_a_command_line_option_can_insist_on_a_unit():
    with pytest.raises(ValueError):
        parse_seconds("30", unit_required=True)
    assert parse_seconds("30m", unit_required=True) == 1800.0


@pytest.mark.parametrize(
    "seconds, spoken",
    [
        (0.5, "0.5 s"),
        (45, "45 s"),
        (90, "1.5 min"),
        (600, "10 min"),
        (3600, "1 h"),
        (36000, "10 h"),
        (47 * 3600, "47 h"),
        (2 * 86400, "2 days"),
        (4.5 * 86400, "4.5 days"),
        (400 * 86400, "400 days"),
    ],
)
def test_messages_say_a_duration_in_a_unit_people_read(seconds, spoken):
    from analytics.common.durations import spoken_seconds

    assert spoken_seconds(seconds) == spoken


@pytest.mark.parametrize(
    "text,seconds",
    [("10 min", 600.0), ("10min", 600.0), ("4.5 days", 388800.0), ("1 hour", 3600.0), ("2 weeks", 1209600.0)],
)
def test_a_duration_as_messages_say_it_is_read(text, seconds):
    assert parse_seconds(text) == seconds
    assert parse_seconds(spoken_seconds(seconds)) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["10 minz", "5 parsecs", "3 mss", "h"])
def test_other_words_are_not_durations(text):
    with pytest.raises(ValueError):
        parse_seconds(text)
