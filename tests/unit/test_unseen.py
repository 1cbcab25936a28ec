"""Every character a terminal acts on or shows as nothing is escaped, by the CLI (text and JSON) and the
dashboard alike: checked against the Unicode database itself, and end to end."""

from __future__ import annotations

import json
import sys
import unicodedata

from hypothesis import given, strategies as st

from analytics.common.unseen import IGNORABLE, UNSEEN, VISIBLE_MARKS, json_escape_of
from lokifi_tui.cli.output import inert, json_text, plain
from lokifi_tui.widgets.safe import clean

CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}
HOSTILE = "x \u2028 \u2029 \u061c \u180e \ufff9 \U000e0001 \u202e \u200b \x9b \x1b[2J \ud800 \u3164 \U000e0101 y"


def test_the_class_is_every_unseen_code_point_of_the_unicode_database():
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        unseen = (unicodedata.category(ch) in CATEGORIES and ch not in "\t\n" and cp not in VISIBLE_MARKS) or (
            cp in IGNORABLE
        )
        if bool(UNSEEN.match(ch)) != unseen and unicodedata.unidata_version == "14.0.0":
            raise AssertionError(f"U+{cp:04X} ({unicodedata.category(ch)}): {'missing' if unseen else 'extra'}")
        if unseen:  # a later Unicode may add some: those must be added here
            assert UNSEEN.match(ch), f"U+{cp:04X} ({unicodedata.category(ch)}) is not escaped"


def _raw(text: str) -> list[str]:
    return [
        f"U+{ord(c):04X}"
        for c in text
        if (unicodedata.category(c) in CATEGORIES and c not in "\t\n") or ord(c) in IGNORABLE
    ]


def test_an_emoji_keeps_its_variation_selector():
    assert clean("\u26a0\ufe0f disk full") == "\u26a0\ufe0f disk full"


def test_cli_text_json_and_dashboard_show_each_one_escaped():
    for shown in (inert(HOSTILE), plain(HOSTILE), clean(HOSTILE), json_text({"m": HOSTILE})):
        assert _raw(shown) == [], shown
    assert (
        "\\u2028" in inert(HOSTILE)
        and "\\U000e0001" in clean(HOSTILE)
        and "\\x1b[2J" in inert(HOSTILE)
        and "\\x1b[2J" in clean(HOSTILE)
    )
    assert json.loads(json_text({"m": HOSTILE}))["m"] == HOSTILE  # the JSON still says what was written


@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=40))
def test_json_output_parses_back_to_the_text(text):
    assert json.loads(json_text({"m": text}))["m"] == text
    assert _raw(json_text({"m": text})) == []


def test_an_astral_escape_in_json_is_a_surrogate_pair():
    assert json.loads(f'"{json_escape_of(chr(0xE0001))}"') == chr(0xE0001)


def test_the_cli_prints_none_of_them_raw(tmp_path):
    import os
    import subprocess

    env = {**os.environ, "HOME": str(tmp_path), "LOKIFI_DB": str(tmp_path / "t.duckdb")}
    text = HOSTILE.replace("\ud800", "")  # (an argument cannot carry a lone surrogate)
    cmd = [sys.executable, "-m", "lokifi_tui.cli.entry"]
    for args in (["error", "record", text, "-c", "api"], ["patterns", "list"], ["patterns", "list", "--json"]):
        r = subprocess.run([*cmd, *args], capture_output=True, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        out = r.stdout.decode("utf-8")
        assert _raw(out.replace("\n", "")) == [], (args, out)
