"""Data text printed by the CLI is inert: markup, emoji codes, escape and bidi characters are shown, never obeyed."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, strategies as st
from rich.console import Console
from rich.text import Text

from analytics.common.unseen import UNSEEN
from lokifi_tui.cli.output import inert, plain

_PIECES = list("[]/:\\ab smile bold red") + [
    "\x1b",
    "\x07",
    "\x00",
    "\u202e",
    "\n",
    "\t",
    "[bold]",
    "[/]",
    ":smile:",
    "\x1b[31m",
    "\x1b]52;c;aGk=\x07",
    "[link=http://x]y[/link]",
]
HOSTILE = st.lists(st.sampled_from(_PIECES), max_size=30).map("".join) | st.text(max_size=40)


@given(HOSTILE)
def test_inert_text_renders_with_no_style_and_no_control_characters(text):
    rendered = Text.from_markup(inert(text), emoji=False)
    assert [s for s in rendered.spans if s.end > s.start] == []
    assert not UNSEEN.search(rendered.plain)
    expected = plain(text.replace("\t", " ").replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎"))
    assert rendered.plain == expected
    # markup placed after the text still works and the text's last backslashes are not read as escapes
    after = Text.from_markup(f"[b]{inert(text)}[/][dim]!{inert(text)}[/dim]", emoji=False)
    assert after.plain == expected + "!" + expected
    assert [(s.start, s.end) for s in after.spans if s.end > s.start] == [
        (a, b) for a, b in ((0, len(expected)), (len(expected), 2 * len(expected) + 1)) if b > a
    ]


def test_a_trailing_backslash_prints_once():
    """A Windows path or a shell continuation at the end of a message printed with one backslash too many."""
    for text in ("dir\\", "C:\\temp\\\\", "\\"):
        buf = io.StringIO()
        Console(file=buf, width=80, emoji=False, highlight=False).print(inert(text))
        assert buf.getvalue() == text + "\n"


def test_console_output_keeps_codes_literal():
    buf = io.StringIO()
    c = Console(file=buf, emoji=False, highlight=False, width=200)
    c.print(inert("[bold red]boom[/] :smile: \x1b[31mred\x1b[0m \u202eabc"))
    out = buf.getvalue()
    assert "[bold red]boom[/] :smile: \\x1b[31mred\\x1b[0m \\u202eabc" in out
    assert "\x1b" not in out and "😄" not in out


_JSON_PIECES = _PIECES + [
    "\x9b31m",
    "\x9c",
    "\x9d0;evil\x07",
    "\u202d",
    "\u2066",
    "\u2069",
    "\u200b",
    "\u2028",
    "é",
    "日本",
]


@given(st.lists(st.sampled_from(_JSON_PIECES), max_size=30).map("".join) | st.text(max_size=40))
def test_json_output_escapes_every_terminal_dangerous_character_and_stays_valid(text):
    import json

    from lokifi_tui.cli.output import _UNSAFE_IN_JSON, json_text

    out = json_text({"message": text, text[:5]: [text]})
    assert not _UNSAFE_IN_JSON.search(out) and not any(ord(c) < 0x20 and c != "\n" for c in out)
    assert json.loads(out) == {"message": text, text[:5]: [text]}


@pytest.mark.slow
def test_patterns_list_and_scan_json_escape_c1_and_bidi(tmp_path):
    import json
    import subprocess
    import sys

    hostile = "ERROR upload failed for \u202egnp.exe \x9b31mred\x9b0m \x9d0;title\x9c user 42"
    log = tmp_path / "app.log"
    log.write_text(f"2026-11-21 10:00:00 {hostile}\n" * 3, encoding="utf-8")
    base = [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(tmp_path / "l.duckdb")]
    scan = subprocess.run(base + ["patterns", "scan", str(log), "--json"], capture_output=True, timeout=120)
    subprocess.run(base + ["error", "record", hostile, "-c", "api"], capture_output=True, timeout=120, check=True)
    listed = subprocess.run(base + ["patterns", "list", "--json"], capture_output=True, timeout=120)
    for r in (scan, listed):
        assert r.returncode == 0, r.stderr
        raw = r.stdout.decode("utf-8")
        assert not any(c in raw for c in "\x9b\x9c\x9d\u202e"), "a raw C1/bidi character reached the output"
        assert "\\u202e" in raw and "\\u009b" in raw
        json.loads(raw)


def _console(buf, width: int) -> Console:
    """A console like the CLI's (soft wrap, no highlighting, no emoji codes) of ``width`` columns."""
    return Console(file=buf, width=width, soft_wrap=True, highlight=False, emoji=False)


def _printed(monkeypatch, width: int, *args) -> list[str]:
    from lokifi_tui.cli import output

    buf = io.StringIO()
    monkeypatch.setattr(
        output.console, "_console", Console(file=buf, width=width, soft_wrap=True, highlight=False, emoji=False)
    )
    output.console.print(output.wrapped(*args))
    return buf.getvalue().splitlines()


def test_prose_wraps_at_words_under_itself_and_commands_stay_whole(monkeypatch):
    """At 80 columns `ai predict` broke its summaries mid-word ('res' / 'ponse'): the terminal wrapped them.
    Prose now wraps at words with a hanging indent; a URL or a backtick-quoted command longer than the
    room is kept whole on a line of its own, so it copies whole."""
    text = (
        "upstream timed out while reading response header from https://upstream.example/very/long/path?q=1 "
        "and `lokifi recs apply 12` then [bold]x[/]"
    )
    lines = _printed(monkeypatch, 40, "Summary:", text)
    assert lines[0].startswith("   Summary: upstream timed out")
    assert all(x.startswith(" " * 12) for x in lines[1:])
    assert "            https://upstream.example/very/long/path?q=1" in lines
    assert any("`lokifi recs apply 12`" in x for x in lines)
    assert lines[-1].endswith("[bold]x[/]")  # data markup shown, never obeyed
    assert all(len(x) <= 40 for x in lines if "https://" not in x)


@given(HOSTILE, st.integers(20, 120))
def test_wrapping_keeps_every_word_in_order(text, width):
    import re

    from rich.console import Console as C

    from lokifi_tui.cli import output

    buf = io.StringIO()
    saved = output.console._console
    output.console._console = C(file=buf, width=width, soft_wrap=True, highlight=False, emoji=False)
    try:
        output.console.print(output.wrapped("Label:", text))
    finally:
        output.console._console = saved
    got = buf.getvalue()
    whole = io.StringIO()  # the same line printed unwrapped
    C(file=whole, width=4096, soft_wrap=True, highlight=False, emoji=False).print("   Label: " + inert(text))
    assert re.sub(r"\s+", " ", got).strip() == re.sub(r"\s+", " ", whole.getvalue()).strip()


def test_a_line_of_markup_wraps_under_its_label_or_number(monkeypatch):
    from lokifi_tui.cli import output

    buf = io.StringIO()
    monkeypatch.setattr(
        output.console, "_console", Console(file=buf, width=40, soft_wrap=True, highlight=False, emoji=False)
    )
    output.console.print(output.fit("   2) Check recent changes to the [bold]component[/] (deploys, config edits)"))
    output.console.print(output.fit("  api_rule: precision 50% (1 of 2), false alarms 1, pending 0"))
    output.console.print(output.fit("short line stays as it is"))
    lines = buf.getvalue().splitlines()
    assert lines[:2] == ["   2) Check recent changes to the", "      component (deploys, config edits)"]
    assert lines[2:4] == ["  api_rule: precision 50% (1 of 2),", "            false alarms 1, pending 0"]
    assert lines[4] == "short line stays as it is"


def test_a_models_paragraphs_print_as_lines_wrapped_at_words(monkeypatch):
    """`ai analyze` printed the model's analysis as one line with ⏎ for its line breaks, left to the terminal
    to break mid-word; each of its lines is now its own, wrapped at words, blank runs kept to one, still inert."""
    from lokifi_tui.cli import output

    buf = io.StringIO()
    monkeypatch.setattr(
        output.console, "_console", Console(file=buf, width=40, soft_wrap=True, highlight=False, emoji=False)
    )
    text = (
        "The connection pool of the api is exhausted under the evening load.\n\n\n"
        "1. Raise [bold]max_conns[/] \x1b[31m\n2. Restart the api\n\n"
    )
    for line in output.prose(text):
        output.console.print(line)
    lines = buf.getvalue().splitlines()
    assert lines == [
        "The connection pool of the api is",
        "exhausted under the evening load.",
        "",
        "1. Raise [bold]max_conns[/] \\x1b[31m",
        "2. Restart the api",
    ]
    assert output.prose(None) == []


def test_an_unknown_price_says_where_to_give_one():
    """`[ai.prices]` in the cost's markup was taken for a style and printed as nothing."""
    from lokifi_tui.cli.rca import _money
    from lokifi_tui.cli.solution_report import money

    buf = io.StringIO()
    c = _console(buf, 200)
    c.print(f"cost {_money(None)}; fixes {money(None)}; {_money(0.00078, 'local')}; {money(1.5, 'cache')}")
    assert buf.getvalue().strip() == (
        "cost unknown (no price for this model: add it under [ai.prices]); "
        "fixes unknown (no priced model call: add prices under [ai.prices]); $0.000780 (local price); $1.5000"
    )


@given(
    st.lists(st.tuples(st.text("abcxyz.-/", min_size=1, max_size=30), st.integers(1, 3)), min_size=1, max_size=40),
    st.integers(20, 120),
)
def test_a_wrapped_line_fits_its_width_whatever_the_blanks_between_words(words, width):
    """Two blanks after a label's value (`type: not_found  seen 4x`) counted as one let a line run a column
    or two past the width, which the terminal then broke mid-word."""
    from rich.console import Console as C

    from lokifi_tui.cli import output

    text = "".join(w + " " * gap for w, gap in words).rstrip()
    buf = io.StringIO()
    saved = output.console._console
    output.console._console = C(file=buf, width=width, soft_wrap=True, highlight=False, emoji=False)
    try:
        output.console.print(output.fit("  Label: " + text))
    finally:
        output.console._console = saved
    for line in buf.getvalue().splitlines():
        # a word wider than the room stays whole: alone on its line, or after the label on the first
        assert len(line) <= width or len(line.split()) == 1 or (line.startswith("  Label: ") and len(line.split()) == 2)
