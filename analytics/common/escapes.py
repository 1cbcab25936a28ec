"""Terminal escape sequences in text read from logs: colours (``ESC[31m``), cursor moves, titles.

Programs that colour their output (a level in red, a time in grey) write them into log files when their
output is redirected; they are presentation, not content. Read lines drop them, so a level, a time and the
message are found where they are written (``ESC[31mERROR`` is ``ERROR``) and nothing stored can move a
terminal's cursor later.
"""

from __future__ import annotations

import re

#: CSI sequences (colours, cursor), OSC strings (titles, links; ended by BEL or ST) and two-byte escapes
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-_]")


def without_escapes(text: str) -> str:
    """``text`` with its terminal escape sequences removed (unchanged, and not copied, when it has none)."""
    return ESCAPES.sub("", text) if "\x1b" in text else text
