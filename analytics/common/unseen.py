"""Characters a terminal acts on, or shows as nothing: the one definition every printer of data uses.

Text from logs is printed by the CLI (through Rich, and as JSON) and drawn by the dashboard. Besides the
control characters (ESC starts a sequence the terminal obeys; U+009B is a one-byte CSI), Unicode has
characters that show nothing and still change what is read: bidirectional overrides and isolates (a line
that reads backwards), zero-width spaces and joiners, the BOM, invisible language tags (U+E0001...),
interlinear annotations, line and paragraph separators (a new line a terminal may not draw). Each is
shown as its escape (``\\x1b``, ``\\x07``, ``\\u202e``), never obeyed and never hidden: :func:`visible` is
the one rule, for the CLI and the dashboard alike (ESC is ``\\x1b`` there too, not a picture such as ``␛``,
which a log line can hold as itself).

The class below is every code point of the Unicode categories Cc (but tab and newline), Cf, Zl, Zp and
Cs (lone surrogates, which cannot even be written as UTF-8) in the Unicode 14 database, less the
prepended concatenation marks (Arabic number signs and the like, U+0600-0605, U+06DD, U+070F,
U+0890-0891, U+08E2, U+110BD, U+110CD), which are drawn as visible signs; and the letters and marks
Unicode lists as default-ignorable, drawn as nothing although their category says otherwise
(:data:`IGNORABLE`: the Hangul fillers, the combining grapheme joiner, Khmer's inherent vowels,
Mongolian's variation selectors, and the supplementary variation selectors U+E0100-E01EF, which can
carry hidden bytes). The sixteen variation selectors U+FE00-FE0F are left: they choose how the character
before them is drawn (the emoji form of ⚠), and an escape there would break ordinary text. A test
compares the class with the running Python's ``unicodedata``.
"""

from __future__ import annotations

import re

UNSEEN_CLASS = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ud800-\udfff\ufeff\ufff9-\ufffb\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0001\U000e0020-\U000e007f"
    "\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180d\u180f\u3164\uffa0\U000e0100-\U000e01ef"
)
UNSEEN = re.compile(f"[{UNSEEN_CLASS}]")

#: default-ignorable code points outside those categories (escaped too)
IGNORABLE = frozenset(
    [0x34F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164, 0xFFA0, *range(0xE0100, 0xE01F0)]
)

#: the code points of those categories that are drawn as visible signs (left as they are)
VISIBLE_MARKS = frozenset([*range(0x600, 0x606), 0x6DD, 0x70F, 0x890, 0x891, 0x8E2, 0x110BD, 0x110CD])


def escape_of(ch: str) -> str:
    """How an unseen character is shown: ``\\x1b``, ``\\u202e``, ``\\U000e0001``."""
    cp = ord(ch)
    if cp < 0x100:
        return f"\\x{cp:02x}"
    return f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"


def json_escape_of(ch: str) -> str:
    """The JSON escape of an unseen character (a surrogate pair beyond U+FFFF): the same text once parsed."""
    cp = ord(ch)
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    cp -= 0x10000
    return f"\\u{0xD800 + (cp >> 10):04x}\\u{0xDC00 + (cp & 0x3FF):04x}"


def visible(text: str) -> str:
    """``text`` with every unseen character shown as its escape (:func:`escape_of`): ``\\x1b]0;t\\x07``.
    How the CLI and the dashboard show data; only where a line ends is theirs to draw."""
    return UNSEEN.sub(lambda m: escape_of(m.group()), text)
