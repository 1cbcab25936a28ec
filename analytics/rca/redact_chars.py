"""Characters made plain before redaction reads a text, so that a secret's name cannot hide behind how
it is written: ``pass\\u200bword=`` (an invisible character), ``password\\uff1d`` (a fullwidth sign),
``p\\u0430ssword=`` (a Cyrillic a), ``password \\u201cx y\\u201d`` (typographic quotes).

:func:`normalise` drops Unicode format characters (category Cf: zero-width spaces and joiners, bidi
controls, soft hyphens), applies NFKC (fullwidth and compatibility forms become their plain letters),
turns typographic quotes into ASCII ones, and folds Cyrillic and Greek letters that look like Latin ones
in any word that mixes them with Latin letters or that then reads as a secret's name -- a Russian or Greek
word is left as it is. Redaction returns the normalised text: what it shows is what it read.
"""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e\u201f", '"') | dict.fromkeys("\u2018\u2019\u201a\u201b", "'"))
#: Cyrillic, Greek and other letters drawn like a Latin one (as Unicode's confusables list pairs them)
_LOOKALIKE = str.maketrans(
    "".join(
        [
            "\u0430\u0441\u0435\u04bb\u0456\u0458\u043e\u0440\u0455\u0445\u0443\u0501\u051b\u051d\u04cf\u04af",
            "\u0251\u0261\u0131\u0237\u03bf\u03bd\u03b1\u03c1\u03c5\u03f2\u03f3\u0585\u057d",
            "\u0410\u0412\u0415\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0425\u0423\u0406\u0408\u0405\u04ae",
            "\u051a\u051c\u04c0\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f\u03a1\u03a4\u03a5\u03a7",
        ]
    ),
    "acehijopsxydqwlyagijovapucjouABEKMHOPCTXYIJSYQWIABEZHIKMNOPTYX",
)
_WORD = re.compile(r"\w+")
#: the names of secrets a folded word is checked for
_SECRET_NAME = re.compile(r"(?i)pass|pwd|secret|token|key|auth|psk|credential|cookie|session|signature|private")


def _fold(m: re.Match[str]) -> str:
    word = m.group()
    folded = word.translate(_LOOKALIKE)
    if folded == word:
        return word
    mixed = any("a" <= c.lower() <= "z" for c in word)
    return folded if mixed or (folded.isascii() and _SECRET_NAME.search(folded)) else word


def normalise(text: str) -> str:
    """``text`` with its characters made plain for matching (see the module's docstring)."""
    if text.isascii():
        return text
    drop = {ord(c): None for c in set(text) if not c.isascii() and unicodedata.category(c) == "Cf"}
    s = unicodedata.normalize("NFKC", text.translate(drop) if drop else text)
    if not s.isascii():
        drop = {ord(c): None for c in set(s) if not c.isascii() and unicodedata.category(c) == "Cf"}
        s = (s.translate(drop) if drop else s).translate(_QUOTES)
        s = _WORD.sub(_fold, s) if not s.isascii() else s
    return s


__all__ = ["normalise"]
