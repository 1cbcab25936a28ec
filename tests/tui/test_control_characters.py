"""One rule for control characters: the CLI and the dashboard show every one as its escape (``\\x1b``,
``\\x07``), as README says. ESC was ``␛`` in both while BEL was ``\\x07`` in ``lokifi patterns show`` and ``␇``
in the dashboard."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys

import pytest
from hypothesis import given, settings, strategies as st
from rich.text import Text
from tui_support import screen_text, wait_until

from lokifi_tui.app import LokifiApp
from lokifi_tui.cli.output import inert, plain, shell_word
from lokifi_tui.widgets.safe import clean

MESSAGE = "worker crashed \x1b]0;pwned\x07 after the deploy"
SHOWN = "worker crashed \\x1b]0;pwned\\x07 after the deploy"


@given(st.text(alphabet=st.characters(codec=None, exclude_characters="\n\r\t"), max_size=40))
def test_the_cli_and_the_dashboard_show_any_text_alike(text):
    assert Text.from_markup(inert(text), emoji=False).plain == clean(text) == plain(text)


@pytest.mark.parametrize("ch", [chr(c) for c in [*range(0x20), 0x7F, 0x9B]] + ["\u202e"])
def test_every_control_character_is_its_escape(ch):
    if ch in "\n\t":
        return  # a line break and a tab are layout, not characters to show
    shown = clean(f"a{ch}b")
    if ch == "\r":
        assert shown == "a ⏎ b"  # a line break, as the CLI draws it
        return
    assert re.fullmatch(r"a\\(x[0-9a-f]{2}|u[0-9a-f]{4})b", shown), shown


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30))
def test_a_suggested_message_is_one_shell_word_bash_reads_back(text):
    """`lokifi error record` suggested `lokifi fix suggest '...\\x1b...'`: pasted, the escapes' backslashes
    went on as text and the fix was looked up for another message. $'...' is read back as written."""
    word = shell_word(text)
    run = subprocess.run(["bash", "-c", f"printf %s {word}"], capture_output=True, timeout=10)
    assert run.stdout.decode("utf-8") == text, word


@pytest.mark.anyio
@pytest.mark.slow
async def test_a_title_setting_message_reads_the_same_in_patterns_show_and_the_dashboard(tmp_path):
    db = tmp_path / "t.duckdb"
    env = {**os.environ, "HOME": str(tmp_path), "LOKIFI_DB": str(db), "NO_COLOR": "1", "COLUMNS": "200"}
    cli = [sys.executable, "-m", "lokifi_tui.cli.entry"]
    recorded = subprocess.run([*cli, "error", "record", MESSAGE, "-c", "api"], capture_output=True, env=env, text=True)
    assert recorded.returncode == 0, recorded.stderr
    pattern = re.search(r"pattern ([0-9a-f]{12})", recorded.stdout).group(1)
    # the fix it suggests, pasted into a shell, is for this very pattern
    suggested = re.search(r"suggest a fix: lokifi (.*)", recorded.stdout).group(1)
    assert "\\x1b]0;pwned\\x07" in suggested
    line = " ".join([*map(shlex.quote, cli), suggested])
    fix = subprocess.run(["bash", "-c", line], capture_output=True, env=env, text=True)
    assert fix.returncode == 0 and f"Pattern: {pattern}" in fix.stdout and "new pattern" not in fix.stdout, fix.stdout
    shown = subprocess.run([*cli, "patterns", "show", pattern], capture_output=True, env=env, text=True)
    assert shown.returncode == 0, shown.stderr
    assert f"sample: {SHOWN}" in shown.stdout and "\x1b" not in shown.stdout and "\x07" not in shown.stdout

    app = LokifiApp(db, collect=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.data_loads >= 1 and app.dashboard.tables_ready, what="the first read")
        await pilot.press("tab", "tab", "tab", "enter")  # the error patterns pane, its pattern's details
        await wait_until(pilot, lambda: SHOWN in screen_text(app), what="the sample in the details")
        text = screen_text(app)
        assert "\x1b" not in text and "\x07" not in text and "␛" not in text and "␇" not in text
