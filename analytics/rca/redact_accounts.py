"""Lines of the account databases -- passwd(5), shadow(5) and group(5) -- read field by field: a line such as
``bob:x:1000:1000:Bob,,,:/home/bob:/bin/bash`` is a record, not ``key: value`` text, and a user named like a
secret (``secret:x:1001:...``, ``pass:x:...``) names no value. Of such a line only the password field can hold a
secret: a crypt hash (``$6$salt$...``, ``$y$...``, a 13-character DES one) or a clear password, which goes --
not ``x`` (the hash is in shadow), ``*`` or ``!`` (no password, locked), ``!!``, Solaris' ``*LK*`` or ``NP``; a
locked hash (``!$6$...``) keeps its ``!``. The comment field (GECOS: a name, a room, a phone, maybe an
address), the home directory and the shell are redacted each as any text is (a path keeps its words: a user
named ``secret`` has ``/home/secret``); the name, the numbers and the separators are kept as they are.

A line is a record only when the whole of it has a record's form: the fields' count and their numbers where
the format puts numbers (passwd: 7 fields, the ids numbers; shadow: 9 fields, the last 7 numbers or empty;
group: 4 fields, the id a number, then a list of names).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from analytics.rca.redact_keys import ph

_NAME = r"[A-Za-z_][\w.\-]*\$?"
#: (a hash removed already is the field still: the line redacted again is kept as it is)
_PW = r"(?P<pw>!*\[REDACTED:[a-z_]+\]|[^:\s]*)"
_RECORD = re.compile(
    r"(?P<name>" + _NAME + r"):" + _PW + r":(?:"
    r"\d+:\d+:(?P<gecos>[^:\n]*):(?P<home>[^:\n]*):(?P<shell>[^:\n]*)"  # passwd: uid, gid, comment, home, shell
    r"|\d*(?::\d*){6}"  # shadow: last change, min, max, warn, inactive, expire, reserved
    r"|\d+:(?:" + _NAME + r"(?:," + _NAME + r")*)?"  # group: gid, members
    r")[ \t]*\r?"
)
#: what a line must start with to be a record (read first, at each line's start, before the whole form)
_START = re.compile(r"(?m)^" + _NAME + ":" + _PW + r":\d*:")
#: a password field that holds no password: a mask, a lock, Solaris' markers
_NO_PASSWORD = re.compile(r"[!*]*(?:x|LK\*|NP)?")


def may_hold(s: str) -> bool:
    """Whether ``s`` may hold a record's line: one starts it, or one follows a line break."""
    return _START.match(s) is not None or ("\n" in s and _START.search(s) is not None)


def record_lines(s: str, redact_text: Callable[[str], str], counts: Counter[str]) -> str:
    """``s`` with each record's line read field by field (see the module's docstring) and every other run of
    lines redacted by ``redact_text`` as one text."""
    out: list[str] = []
    other: list[str] = []
    for line in s.splitlines(keepends=True):
        m = _RECORD.fullmatch(line.rstrip("\n"))
        if m is None:
            other.append(line)
            continue
        if other:
            out.append(redact_text("".join(other)))
            other = []
        out.append(_record(line, m, redact_text, counts))
    if other:
        out.append(redact_text("".join(other)))
    return "".join(out)


def _record(line: str, m: re.Match[str], redact_text: Callable[[str], str], counts: Counter[str]) -> str:
    edits: list[tuple[int, int, str]] = []
    pw = m.group("pw")
    lock = len(pw) - len(pw.lstrip("!"))  # (a locked hash keeps its '!')
    if not _NO_PASSWORD.fullmatch(pw) and "[REDACTED:" not in pw:
        counts["password_hash"] += 1
        edits.append((m.start("pw") + lock, m.end("pw"), ph("password_hash")))
    for name in ("gecos", "home", "shell"):  # (text, read as any text is: a path or a name keeps its words)
        if m.group(name):
            edits.append((m.start(name), m.end(name), redact_text(m.group(name))))
    for a, b, text in reversed(edits):
        line = line[:a] + text + line[b:]
    return line


__all__ = ["may_hold", "record_lines"]
