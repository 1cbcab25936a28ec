"""The answer parser: tolerant of how local models wrap JSON, strict about what an analysis must hold."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from analytics.rca.parse import MalformedAnswer, RcaAnswer, parse_answer, validate

GOOD = {
    "analysis": "Postgres refuses connections.",
    "probable_root_cause": "max_connections exhausted by a leaking pool",
    "confidence": 0.82,
    "reasoning": "Errors started when active connections hit 100.",
    "recommended_commands": ["psql -c 'select count(*) from pg_stat_activity'", "systemctl restart backend"],
}


def test_plain_json():
    a = parse_answer(json.dumps(GOOD))
    assert a == RcaAnswer(
        GOOD["analysis"], GOOD["probable_root_cause"], 0.82, GOOD["reasoning"], tuple(GOOD["recommended_commands"])
    )


@pytest.mark.parametrize(
    "wrap",
    [
        "```json\n{}\n```",
        "Sure! Here is the analysis:\n{}\nHope this helps.",
        "<think>the user wants json {{ not this }}</think>\n{}",
        "```\n{}\n```",
    ],
)
def test_json_wrapped_the_way_local_models_do(wrap):
    assert parse_answer(wrap.format(json.dumps(GOOD))).confidence == 0.82


def test_aliases_percentages_and_command_shapes():
    text = json.dumps(
        {
            "Summary": "x happens",
            "Root Cause": "y",
            "confidence": "85%",
            "rationale": "because z",
            "commands": [{"command": "df -h", "why": "disk"}, "$ du -sh /var/log", "1) journalctl -u app"],
        }
    )
    a = parse_answer(text)
    assert (a.analysis, a.probable_root_cause, a.confidence, a.reasoning) == ("x happens", "y", 0.85, "because z")
    assert a.recommended_commands == ("df -h", "du -sh /var/log", "journalctl -u app")


def test_confidence_given_as_0_to_100_and_trailing_commas():
    text = (
        '{"analysis": "a", "probable_root_cause": "b", "confidence": 70, "reasoning": "c", '
        '"recommended_commands": ["ls",],}'
    )
    assert parse_answer(text).confidence == 0.7


def test_commands_as_one_multiline_string_and_missing_commands():
    a = parse_answer(json.dumps({**GOOD, "recommended_commands": "uptime\nfree -m\n"}))
    assert a.recommended_commands == ("uptime", "free -m")
    b = dict(GOOD)
    del b["recommended_commands"]
    assert parse_answer(json.dumps(b)).recommended_commands == ()


def test_control_characters_and_escape_codes_are_dropped_from_text():
    a = parse_answer(json.dumps({**GOOD, "analysis": "\x1b[31mred\x1b[0m alert\x07"}))
    assert "\x1b" not in a.analysis and "\x07" not in a.analysis


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("I think the database is down. Restart it.", "not JSON"),
        ("{not json at all", "not JSON"),
        ("[1, 2, 3]", "not JSON"),
        (json.dumps({**GOOD, "confidence": 1.7 * 100}), "outside 0-1"),
        (json.dumps({**GOOD, "confidence": -0.2}), "outside 0-1"),
        (json.dumps({**GOOD, "confidence": "very"}), "confidence"),
        (json.dumps({**GOOD, "confidence": True}), "confidence"),
        (json.dumps({k: v for k, v in GOOD.items() if k != "probable_root_cause"}), "probable_root_cause"),
        (json.dumps({**GOOD, "analysis": "   "}), "empty"),
        (json.dumps({**GOOD, "reasoning": 42}), "reasoning"),
    ],
)
def test_malformed_answers_are_reported_with_a_reason(text, reason):
    with pytest.raises(MalformedAnswer) as err:
        parse_answer(text)
    assert reason.lower() in err.value.reason.lower()


def test_commands_are_bounded():
    a = parse_answer(json.dumps({**GOOD, "recommended_commands": [f"echo {i}" for i in range(50)] + ["x" * 5000]}))
    assert len(a.recommended_commands) == 10


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_text_parses_or_raises_malformed_only(text):
    try:
        a = parse_answer(text)
    except MalformedAnswer:
        return
    assert 0 <= a.confidence <= 1 and a.analysis and a.probable_root_cause and a.reasoning


_nonblank = st.text(min_size=1, max_size=80).filter(lambda s: s.strip() and s.isprintable())


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(
    analysis=_nonblank,
    cause=_nonblank,
    conf=st.floats(0, 1),
    reasoning=_nonblank,
    cmds=st.lists(st.from_regex(r"[a-z]{2,8}( -[a-z]{1,3})?", fullmatch=True), max_size=5, unique=True),
)
def test_valid_answers_round_trip(analysis, cause, conf, reasoning, cmds):
    obj = {
        "analysis": analysis,
        "probable_root_cause": cause,
        "confidence": conf,
        "reasoning": reasoning,
        "recommended_commands": cmds,
    }
    a = validate(obj)
    assert a.analysis == analysis.strip() and a.probable_root_cause == cause.strip()
    assert a.confidence == round(conf, 4)
    assert a.recommended_commands == tuple(cmds)
    assert parse_answer(json.dumps(a.to_json())) == a
