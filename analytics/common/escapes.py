"""Terminal escape sequences in text read from logs: colours (``ESC[31m``), cursor moves, titles.

Programs that colour their output (a level in red, a time in grey) write them into log files when their
output is redirected; they are presentation, not content. Read lines drop them, so a level, a time and the
message are found where they are written (``ESC[31mERROR`` is ``ERROR``) and nothing stored can move a
terminal's cursor later.

Carriage returns inside a line are progress written over itself (dpkg's ``(Reading database ... 5%\r(Reading
database ... 10%\r...``, pip's and curl's bars): a line reads as the terminal showed it, its last segment.
"""

from __future__ import annotations

import re

#: CSI sequences (colours, cursor), OSC strings (titles, links; ended by BEL or ST) and two-byte escapes
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]")


def without_escapes(text: str) -> str:
    """``text`` with its terminal escape sequences removed (unchanged, and not copied, when it has none)."""
    return ESCAPES.sub("", text) if "\x1b" in text else text


def as_displayed(line: str) -> str:
    """A line written with carriage returns inside it, as its reader saw it: the last segment with text
    (``50%\r100%`` -> ``100%``; a trailing blank segment, clearing the bar, is passed over). Unchanged, and
    not copied, without a carriage return."""
    if "\r" not in line:
        return line
    for seg in reversed(line.split("\r")):
        if seg.strip():
            return seg
    return ""


def lines_as_displayed(text: str) -> str:
    """:func:`as_displayed` for each line of ``text`` (lines end with ``\\n``)."""
    if "\r" not in text:
        return text
    return "\n".join(as_displayed(x) for x in text.split("\n"))
