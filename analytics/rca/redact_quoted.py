"""Commands typed inside quotes: ``bash -c "mysql -u root -pS3cret db"``, ``ssh host "redis-cli -a x ping"``,
``echo "auth hunter2" | redis-cli``, ``sh -c 'curl -u bob:pw http://x'``.

A quoted argument is text a shell hands on whole -- to ``sh -c``, ``ssh``, ``su -c``, ``docker exec``, a
pipe's reader -- and the program that receives it reads it as a command line of its own. The rules that
read a command line by where it starts and ends (a program's arguments up to the end of its command, Redis's
``auth X`` alone on its line, FTP's ``pass X``) are applied to the text inside each pair of quotes as to a
line of its own: read from outside, the closing quote is glued to the last argument (``-a hunter2"``) and a
command that stands inside quotes is no line's start.

The quoted text is read as the shell reads it: inside double quotes ``\\"``, ``\\\\``, ``\\$`` and
``\\```` are one character; a written ``\\n`` or ``\\r`` (``printf 'auth x\\r\\n'``) ends a line. What the
rules remove is written back into the quotes at the same place, the rest left exactly as it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from analytics.rca.redact_keys import ALREADY, ph

#: a pair of quotes on one line: double (backslash escapes inside) or single (none); an opening quote glued
#: to a word (``don't``, ``-p"x y"``: a value's quotes) starts no argument of its own
#: (the escapes read as runs between them, not one alternative a character: the same text, without its cost)
_QUOTED = re.compile(r"(?<![\w\\])(?:\"(?P<d>[^\"\\\n]*(?:\\.[^\"\\\n]*)*)\"|'(?P<s>[^'\n]*)')")
#: a blank between two words: a quoted argument that may be a command line
_PHRASE = re.compile(r"\S\s+\S")
#: inside double quotes, what a backslash escapes (POSIX shell: $ ` " \\); any other backslash is kept
_ESCAPE = re.compile(r"\\([$`\"\\])")
#: a line's end written as an escape (printf's and echo -e's ``\n``, ``\r``)
_WRITTEN_END = re.compile(r"\\[rn]")
#: no command is longer (a quoted JSON document is no command line)
_MAX = 4096


def _unescaped(raw: str, double: bool) -> tuple[str, Sequence[int]]:
    """The text a shell reads from the quoted ``raw`` and, for each of its characters, where it starts in
    ``raw`` (a character's end is where the next one starts)."""
    if not double or "\\" not in raw:
        return raw, range(len(raw))
    out: list[str] = []
    where: list[int] = []
    pos = 0
    for m in _ESCAPE.finditer(raw):
        out.append(raw[pos : m.start()])
        where.extend(range(pos, m.start()))
        out.append(m.group(1))
        where.append(m.start())  # (the escape's backslash: a span that starts there takes it)
        pos = m.end()
    out.append(raw[pos:])
    where.extend(range(pos, len(raw)))
    return "".join(out), where


def _removed(before: str, after: str) -> list[tuple[int, int, str]] | None:
    """Where ``after`` (``before`` redacted) put a placeholder: each span of ``before`` it replaced and the
    placeholder; None where the two cannot be aligned."""
    parts = ALREADY.split(after)
    if len(parts) == 1:
        return []
    marks = ALREADY.findall(after)
    m = re.fullmatch("(.*?)".join(re.escape(p) for p in parts), before, re.DOTALL)
    if m is None:
        return None
    return [(m.start(i + 1), m.end(i + 1), mark) for i, mark in enumerate(marks) if m.group(i + 1) != mark]


def quoted_commands(
    s: str, redact_line: Callable[[str], str], may_change: Callable[[str], bool] = lambda text: True
) -> str:
    """Apply ``redact_line`` (the command-line rules) to the text inside each pair of quotes in ``s`` that holds
    a blank, and write what it removed back in place (see the module's docstring). ``may_change(text)``, asked
    of the text ``redact_line`` would read, is False where ``redact_line`` can find nothing in it: the text is
    left as it is, without the cost of reading it."""
    if "'" not in s and '"' not in s:
        return s
    edits: list[tuple[int, int, str]] = []
    for q in _QUOTED.finditer(s):
        double = q.group("d") is not None
        raw = q.group("d") if double else q.group("s")
        if not raw or len(raw) > _MAX or not _PHRASE.search(raw):
            continue
        text, where = _unescaped(raw, double)
        # (a written line end becomes a blank and a real one, as long: offsets stay those of ``text``)
        lines = _WRITTEN_END.sub(lambda m: " " + ("\n" if m.group() == "\\n" else "\r"), text)
        if not may_change(lines):
            continue
        red = redact_line(lines)
        if red == lines:
            continue
        start = q.start("d") if double else q.start("s")
        spans = _removed(lines, red)
        if spans is None:  # the rules changed more than a value: nothing of the argument is shown
            edits.append((start, start + len(raw), ph("password")))
            continue
        for a, b, mark in spans:
            edits.append((start + where[a], start + (where[b] if b < len(where) else len(raw)), mark))
    for a, b, text in sorted(edits, reverse=True):
        s = s[:a] + text + s[b:]
    return s


__all__ = ["quoted_commands"]
