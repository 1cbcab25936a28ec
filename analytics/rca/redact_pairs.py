"""A secret's name and its value written as two fields of their own: the name is one field's value, the secret
the next field's -- Kubernetes' ``env`` list (``- name: DB_PASSWORD`` then ``value: hunter2``, in YAML or
JSON), and a call that takes a name and its value (PHP's ``define('DB_PASSWORD', 'hunter2')``, ``setenv("API_TOKEN",
"x")``), a user and a password given to a login (``smtp.login("bob", "x")``, ``auth=('bob', 'x')``); and YAML's
block scalar, the lines under ``password: |``, and a list of strings under a secret's name (``"api_keys": ["x",
"y"]``). The key rules read none: the key there is ``value``, none at
all, or stands on a line of its own. Whether the name names a
secret is :func:`analytics.rca.redact_keys.secret_key_kind`'s answer, as for a JSON member named so."""

from __future__ import annotations

import re
from collections.abc import Callable

from analytics.rca.redact_keys import secret_key_kind

_NAME = r"(?P<nq>['\"]?)(?P<name>[A-Za-z_][\w.\-]*)(?P=nq)"
_VALUE = r"(?P<val>\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|[^\s,}\]\"'#][^\s,}\]]*)"
#: name: X then value: Y -- on the next line (YAML, in a list item or not) or after a comma (JSON, flow style)
_NAME_THEN_VALUE = re.compile(
    r"(?i)(?P<kq>['\"]?)\bname(?P=kq)[ \t]*[:=][ \t]*" + _NAME + r"[ \t]*(?:,[ \t]*|\r?\n[ \t]*)"
    r"(?P<vq>['\"]?)value(?P=vq)[ \t]*[:=][ \t]*" + _VALUE
)
#: a call's first two arguments, a quoted name and a quoted value: define('DB_PASSWORD', 'x')
_CALL = re.compile(
    r"\w[ \t]*\([ \t]*(?P<nq>['\"])(?P<name>[A-Za-z_][\w.\-]*)(?P=nq)[ \t]*,[ \t]*"
    r"(?P<val>\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*')"
)

#: YAML's block scalar under a secret's name (password: | then its lines, indented under the key)
_BLOCK = re.compile(
    r"(?m)^(?P<ind>[ \t]*)(?:-[ \t]+)?" + _NAME + r"[ \t]*:[ \t]*[|>][+-]?\d?[+-]?[ \t]*(?:#[^\n]*)?\r?\n"
    r"(?P<val>(?:(?P=ind)[ \t]+[^\n]*(?:\n|$)|[ \t]*\r?\n)+)"
)
#: a user and a password given to a login or an auth: smtp.login("bob", "x"), HTTPBasicAuth('bob', 'x'),
#: auth=('bob', 'x')
_LOGIN = re.compile(
    r"(?i)\b\w*(?:login|auth)\w*[ \t]*(?:=[ \t]*)?\([ \t]*(?P<uq>['\"])[^'\"\n]*(?P=uq)[ \t]*,[ \t]*"
    r"(?P<val>\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*')"
)

_STRING = r"(?:\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*')"
#: a list of strings under a secret's name ("api_keys": ["x", "y"]): each string is one
_LIST = re.compile(
    r"(?P<kq>['\"]?)(?<![\w.\-])(?P<name>[A-Za-z_][\w.\-]*)(?P=kq)[ \t]*[:=][ \t]*\[(?P<items>[ \t]*"
    + _STRING
    + r"(?:[ \t]*,[ \t]*"
    + _STRING
    + r")*)[ \t]*,?[ \t]*\]"
)


def named_values(s: str, replace: Callable[[str, str], str]) -> str:
    """Replace the value given after a field holding a secret's name (``replace(kind, value)`` gives the text)."""
    low = s.lower()
    quoted_text = "'" in s or '"' in s
    # (each form needs its own characters: a line with none of them is read by none of its patterns)
    pairs = ([_NAME_THEN_VALUE] if "value" in low else []) + ([_CALL] if quoted_text and "(" in s else [])
    login = quoted_text and "(" in s and ("login" in low or "auth" in low)
    block = "\n" in s and ("|" in s or ">" in s)
    listed = quoted_text and "[" in s
    if not (pairs or login or block or listed):
        return s
    spans: list[tuple[int, int, str]] = []
    for pattern in pairs:
        for m in pattern.finditer(s):
            val = m.group("val")
            quoted = val[:1] in "\"'" and len(val) >= 2
            inner = val[1:-1] if quoted else val
            kind = secret_key_kind(m.group("name"), inner)
            if kind is not None and inner.strip():
                a = m.start("val") + (1 if quoted else 0)
                spans.append((a, a + len(inner), kind))
    for m in _BLOCK.finditer(s) if block else ():
        val = m.group("val")
        first = val.strip().split("\n", 1)[0] if val.strip() else ""
        kind = secret_key_kind(m.group("name"), first) if first else None
        if kind is not None:
            a = m.start("val") + len(val) - len(val.lstrip())
            spans.append((a, m.start("val") + len(val.rstrip()), kind))
    for m in _LOGIN.finditer(s) if login else ():
        if len(m.group("val")) > 2:
            spans.append((m.start("val") + 1, m.end("val") - 1, "password"))
    for m in _LIST.finditer(s) if listed else ():
        for item in re.finditer(_STRING, m.group("items")):
            inner = item.group()[1:-1]
            kind = secret_key_kind(m.group("name"), inner) if inner.strip() else None
            if kind is not None:
                a = m.start("items") + item.start() + 1
                spans.append((a, a + len(inner), kind))
    out, last = [], 0
    for a, b, kind in sorted(set(spans)):
        if a >= last:
            out += [s[last:a], replace(kind, s[a:b])]
            last = b
    return "".join(out) + s[last:]


__all__ = ["named_values"]
