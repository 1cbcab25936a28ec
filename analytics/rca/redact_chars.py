"""Characters made plain before redaction reads a text, so that a secret's name cannot hide behind how
it is written: ``pass\\u200bword=`` (an invisible character), ``password\\uff1d`` (a fullwidth sign),
``p\\u0430ssword=`` (a Cyrillic a), ``password \\u201cx y\\u201d`` (typographic quotes).

:func:`normalise` drops Unicode format characters (category Cf: zero-width spaces and joiners, bidi
controls, soft hyphens), applies NFKC (fullwidth and compatibility forms become their plain letters),
turns typographic quotes into ASCII ones, and folds Cyrillic and Greek letters that look like Latin ones
in any word that mixes them with Latin letters or that then reads as a secret's name -- a Russian or Greek
word is left as it is. A terminal's escape sequences (colours around ``password``) are dropped as the
invisible characters are, and so are the tags of Rich's console markup that open and close a styled span
(``password=[bold]hunter2[/bold]``: the rules read ``password=hunter2``). Only a pair is markup -- an opening
tag that a closing one (``[/bold]``, ``[/]``) ends later in the text --, as Rich itself reads it; a lone
``[info]`` or ``[a-z]`` is text.

The rules read the plain text, but what redaction shows is the original's characters everywhere outside a
redacted span (``µs``, ``™``, curly quotes, fullwidth digits stay as written): :func:`plain` keeps where
each plain character came from, one original character with the marks combining with it (and an invisible
character or an escape before it) at a time, and :func:`restore` writes the redacted text back with them.
A secret written in lookalikes is found in the plain text and replaced whole, its original characters too.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

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


#: a terminal's escape sequence (colour, cursor: CSI; a title or a link: OSC), no character of the text
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


#: a tag of Rich's markup, as :mod:`rich.markup` reads one: a lowercase letter, '#', '@' or '/' after the bracket,
#: no backslash before it (``\\[bold]`` is an escaped bracket, text)
_MARKUP_TAG = re.compile(r"(?<!\\)\[([a-z#@/][^\[\]\n]*)\]")


def _markup_tags(text: str) -> list[tuple[int, int]]:
    """The spans of the markup tags in ``text`` that pair up: an opening tag and the closing tag that ends it
    (``[/]`` the last one opened, ``[/name]`` the last one of that name: ``[link=https://x]`` is ``link``)."""
    opened: list[tuple[tuple[int, int], str]] = []
    spans: list[tuple[int, int]] = []
    for m in _MARKUP_TAG.finditer(text):
        tag = m.group(1)
        if not tag.startswith("/"):
            opened.append((m.span(), tag.split("=", 1)[0].strip()))
            continue
        name = tag[1:].strip()
        at = next((k for k in range(len(opened) - 1, -1, -1) if not name or opened[k][1] == name), None)
        if at is not None:
            spans += [opened.pop(at)[0], m.span()]
    return spans


def _hidden(text: str) -> list[tuple[int, int]]:
    """The spans that are no characters of the text: escape sequences and paired markup tags, in order, none
    inside another."""
    spans = [(m.start(), m.end()) for m in _ESCAPE.finditer(text)] if "\x1b" in text else []
    if "[/" in text:
        spans = sorted(spans + _markup_tags(text))
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if not out or a >= out[-1][1]:
            out.append((a, b))
    return out


_ASCII_RUN = re.compile(r"[\x00-\x1a\x1c-\x7f]+")


def _plain(chunk: str) -> str:
    """One character (with the marks combining with it) made plain: format characters dropped, NFKC,
    typographic quotes as ASCII ones (lookalike letters are folded word by word afterwards)."""
    if chunk.isascii():
        return chunk
    chunk = "".join(c for c in chunk if c.isascii() or unicodedata.category(c) != "Cf")
    s = unicodedata.normalize("NFKC", chunk)
    if not s.isascii():
        s = "".join(c for c in s if c.isascii() or unicodedata.category(c) != "Cf").translate(_QUOTES)
    return s


@dataclass(frozen=True)
class Plain:
    """A text made plain, and where each of its characters came from: ``text[i]`` was made from the
    original's ``source[pieces[i]]``, a character with what combines with it, an invisible character or a
    terminal's escape sequence or a markup tag before it taken along, a closing tag with the character before it
    (``bounds[k]:bounds[k + 1]``: the original's piece k)."""

    original: str
    text: str
    pieces: tuple[int, ...]
    bounds: tuple[int, ...]

    def source(self, start: int, end: int) -> str | None:
        """The original characters that ``text[start:end]`` was made from, or None where the span starts or
        ends inside what one original character became (``TM`` of ``\u2122``)."""
        if start == end:
            return ""
        first, last = self.pieces[start], self.pieces[end - 1]
        if (start > 0 and self.pieces[start - 1] == first) or (end < len(self.text) and self.pieces[end] == last):
            return None
        return self.original[self.bounds[first] : self.bounds[last + 1]]


def plain(text: str) -> Plain:
    """``text`` made plain for matching (see the module's docstring), with where each character came from."""
    hidden = _hidden(text) if "\x1b" in text or "[/" in text else []
    if text.isascii() and not hidden:
        return Plain(text, text, (), ())  # (nothing to map back: restore shows the redaction as it is)
    bounds: list[int] = [0]
    out: list[str] = []
    pieces: list[int] = []
    i, h = 0, 0
    while i < len(text):
        if h < len(hidden) and hidden[h][0] == i:  # an escape sequence: no character, taken with the next
            i = hidden[h][1]
            if text.startswith("[/", hidden[h][0]) and len(bounds) > 1:
                bounds[-1] = i  # (a closing tag with the character before it: a value's tags go with it)
            h += 1
            continue
        run = _ASCII_RUN.match(text, i, hidden[h][0] if h < len(hidden) else len(text))  # (up to a hidden span)
        if run is not None and run.end() - i > 1:  # plain already, one piece each (the last may take marks)
            j = run.end() - 1
            pieces.extend(range(len(bounds) - 1, len(bounds) - 1 + j - i))
            out.append(text[i:j])
            bounds.extend(range(i + 1, j + 1))
            i = j
            continue
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]) and not (h < len(hidden) and hidden[h][0] == j):
            j += 1
        made = _plain(text[i:j])
        if made:
            pieces += [len(bounds) - 1] * len(made)
            out.append(made)
            bounds.append(j)
        i = j
    if bounds[-1] != len(text):  # invisible to the end: with the last piece
        if len(bounds) > 1:
            bounds[-1] = len(text)
        else:
            bounds.append(len(text))
    s = "".join(out)
    if not s.isascii():
        s = _WORD.sub(_fold, s)  # (letter for letter: where each came from is kept)
    return Plain(text, s, tuple(pieces), tuple(bounds))


def normalise(text: str) -> str:
    """``text`` with its characters made plain for matching (see the module's docstring)."""
    return plain(text).text


_PLACEHOLDER = re.compile(r"\[(?:REDACTED:[a-z_]+|EMAIL|IP|HOST)\]")


def restore(p: Plain, redacted: str) -> str:
    """``redacted`` (``p.text`` with spans replaced by placeholders) written with the original's characters
    everywhere outside a placeholder: each piece of text between placeholders is found in ``p.text`` in its
    order and its original characters shown. What cannot be found so (a rule that rewrote more than a span)
    is shown as redaction wrote it -- never a character of a replaced span."""
    if p.text == p.original:
        return redacted
    if not p.text:  # nothing but invisible characters, nothing to redact
        return p.original
    parts = _PLACEHOLDER.split(redacted)
    holders = _PLACEHOLDER.findall(redacted)
    out: list[str] = []
    pos = 0
    for k, lit in enumerate(parts):
        last = k == len(parts) - 1
        if k == 0:
            at = 0 if p.text.startswith(lit) else -1
        elif last:
            at = len(p.text) - len(lit) if p.text.endswith(lit) and len(p.text) - len(lit) >= pos else -1
        else:
            at = p.text.find(lit, pos)
        if at < 0:
            return redacted  # not a span's replacement: as redaction wrote it
        src = p.source(at, at + len(lit))
        out.append(src if src is not None else lit)
        pos = at + len(lit)
        if not last:
            out.append(holders[k])
    return "".join(out)


__all__ = ["Plain", "normalise", "plain", "restore"]
