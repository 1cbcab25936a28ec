"""The message and the time of a structured (JSON or logfmt) log line.

The message, where there is room for one phrase:

``{"level": 50, "time": ..., "pid": ..., "hostname": ..., "msg": "connect ECONNREFUSED <*>"}`` spends a
table column on fields whose values are masked; its message says what happened. The key is the one the
common JSON loggers write it under: ``msg`` (pino, bunyan, zap, logrus), ``message`` (python-json-logger,
Elastic Common Schema, Google Cloud Logging), ``event`` (structlog). The first such string value wins
(pino's ``err.message`` comes before its ``msg``; either says it).

A logfmt line (``ts=... caller=main.go:241 level=error msg="Loading configuration file failed"
err="open /x.yml: no such file or directory"``, as Go services of the Prometheus ecosystem write it) has
its message in ``msg`` (or ``message``) too. Such loggers put what went wrong in a field of its own,
``err`` or ``error``: :func:`structured_message` shows it after the message (``Loading configuration file
failed: open /x.yml: ...``), for a JSON line too (zap's ``"error": "..."``).

The level: the ``level``, ``levelname``, ``lvl`` or ``severity`` field, a word or bunyan's and pino's
number (10 trace ... 60 fatal).

The time: the ``time``, ``ts``, ``timestamp`` or ``@timestamp`` field anywhere in the line (Docker's
json-file driver writes it last), an ISO string or seconds (zap: with a fraction) or milliseconds (pino,
bunyan) since the epoch.
"""

from __future__ import annotations

import datetime as dt
import json
import re

#: a JSON line's time field: group 1 an ISO-like string, group 2 epoch seconds or milliseconds
JSON_TIME_RE = re.compile(
    r"""["'](?:time|ts|timestamp|@timestamp)["']\s*:\s*(?:"([^"]{10,40})"|(\d{10}(?:\.\d+)?|\d{13})(?=[,}\s]))"""
)
#: a JSON line's level: a word ("level": "error", "levelname": "ERROR", "severity": "ERROR") or bunyan's and
#: pino's number ("level": 50); Python ``re`` and Rust ``regex`` alike (error_lines runs it in Polars)
JSON_LEVEL = r"""^\s*\{.*?"(?:level(?:name)?|lvl|severity)"\s*:\s*"?([A-Za-z]+|[1-6]0)\b"""
NUMERIC_LEVELS = {"10": "TRACE", "20": "DEBUG", "30": "INFO", "40": "WARN", "50": "ERROR", "60": "FATAL"}
_JSON_LEVEL_RE = re.compile(JSON_LEVEL)
_MESSAGE = re.compile(r'"(?:msg|message|event)"\s*:\s*"((?:[^"\\]|\\.)*)"')
_JSON_ERROR = re.compile(r'"(?:err|error)"\s*:\s*"((?:[^"\\]|\\.)*)"')
#: a logfmt line starts with a key and an equals sign (``ts=``, ``level=``, ``time=``)
_LOGFMT_START = re.compile(r"\s*[A-Za-z_][\w.-]*=")
#: one logfmt pair: the key, then a quoted value (Go's strconv.Quote: JSON's escapes) or a bare one
_LOGFMT_PAIR = re.compile(r'(?:^|(?<=\s))([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|[^\s"]*)')


def json_message(text: str) -> str | None:
    """The message of a JSON-object line (or template), unescaped; None when ``text`` is not one or has
    no message, or the message is empty."""
    s = text.lstrip()
    if not s.startswith("{"):
        return None
    m = _MESSAGE.search(s, 0, 8192)
    if m is None or not m.group(1).strip():
        return None
    try:
        out = json.loads(f'"{m.group(1)}"')
    except ValueError:
        return m.group(1)
    return out if isinstance(out, str) else m.group(1)


def _unquote(value: str) -> str:
    if not value.startswith('"'):
        return value
    try:
        out = json.loads(value)
    except ValueError:
        return value[1:-1]
    return out if isinstance(out, str) else value[1:-1]


def logfmt_fields(text: str) -> dict[str, str] | None:
    """The ``key=value`` pairs of a logfmt line (first of each key; quoted values unquoted), or None when
    ``text`` does not start as one or holds fewer than two pairs."""
    if not _LOGFMT_START.match(text):
        return None
    fields: dict[str, str] = {}
    for m in _LOGFMT_PAIR.finditer(text, 0, 8192):
        fields.setdefault(m.group(1), _unquote(m.group(2)))
    return fields if len(fields) >= 2 else None


def structured_message(text: str) -> str | None:
    """What a JSON or logfmt line (or template) says happened: its message, then ``: `` and its
    ``err``/``error`` field when it has one; None when ``text`` is neither or has no message."""
    if text.lstrip().startswith("{"):
        msg = json_message(text)
        m = _JSON_ERROR.search(text, 0, 8192)
        err = _unquote(f'"{m.group(1)}"') if m else ""
    else:
        fields = logfmt_fields(text)
        if fields is None:
            return None
        msg = fields.get("msg") or fields.get("message")
        err = fields.get("err") or fields.get("error") or ""
    if not msg or not msg.strip():
        return None
    return f"{msg}: {err}" if err.strip() and err not in msg else msg


def epoch_time(digits: str) -> dt.datetime:
    """The UTC time of a JSON time field's epoch number: 13 digits are milliseconds, else seconds."""
    return dt.datetime.fromtimestamp(int(digits) / 1000 if len(digits) == 13 else float(digits), dt.UTC)


def json_time(text: str) -> str | None:
    """The time a JSON-object line says it was written, for showing: an ISO string as written, epoch
    seconds or milliseconds as ISO 8601 UTC; None when ``text`` is not a JSON object or has no time field."""
    if not text.lstrip().startswith("{"):
        return None
    m = JSON_TIME_RE.search(text, 0, 4096)
    if m is None:
        return None
    if m.group(1):
        return m.group(1)
    try:
        t = epoch_time(m.group(2))
    except (ValueError, OverflowError, OSError):
        return None
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond // 1000:03d}" if t.microsecond else "") + "Z"


def json_level(text: str) -> str | None:
    """The level a JSON-object line gives itself, upper case (pino's 50 is ``ERROR``); None when it is not
    one or names no level."""
    m = _JSON_LEVEL_RE.match(text[:4096])
    if m is None:
        return None
    word = m.group(1)
    return NUMERIC_LEVELS.get(word, word.upper())
