"""The message of a structured (JSON) log line or of its template, where there is room for one phrase.

``{"level": 50, "time": ..., "pid": ..., "hostname": ..., "msg": "connect ECONNREFUSED <*>"}`` spends a
table column on fields whose values are masked; its message says what happened. The key is the one the
common JSON loggers write it under: ``msg`` (pino, bunyan, zap, logrus), ``message`` (python-json-logger,
Elastic Common Schema, Google Cloud Logging), ``event`` (structlog). The first such string value wins
(pino's ``err.message`` comes before its ``msg``; either says it).
"""

from __future__ import annotations

import json
import re

_MESSAGE = re.compile(r'"(?:msg|message|event)"\s*:\s*"((?:[^"\\]|\\.)*)"')


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
