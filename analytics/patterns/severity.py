"""Which log lines are errors: one rule for ``lokifi patterns scan --errors``, the live tail and backfill.

The rule, in order:

1. a **level** written in the line's header decides when it names one: ``ERROR``, ``[crit]``, ``<emerg>``,
   a JSON line's level field (``"level": 50``, ``"levelname": "ERROR"``), a logfmt ``level=error`` or a
   klog/glog severity letter (``E1205 ...``) make it an error; ``INFO``, ``[notice]``, ``DEBUG`` and kin
   (and klog's ``I`` and ``W``) make it routine, whatever its words;
2. otherwise (no level, or ``WARN``) its **words** decide: an error word as a word (``failed``,
   ``refused``, ``timeout``, ``cannot``; never inside a name or an option: ``libgpg-error-dev``,
   ``panic=1``), an error phrase (``no such file or directory``, ``out of memory``), an errno name
   (``ECONNREFUSED``) or a traceback's exception line (``KeyError: 3``);
3. an event with no level that carries an exception (a folded traceback or stack trace,
   :mod:`analytics.patterns.multiline`) is an error; a warning that carries one is not, by that alone.

The rule is written once, as regular expressions that Python's ``re`` and Polars (Rust ``regex``) read
alike; :func:`error_mask` runs it over a whole column (a scan, a backfill block) and :func:`is_error` on
one event (the live tail). A property test holds the two to the same answers.
"""

from __future__ import annotations

import re

import polars as pl

from analytics.common.escapes import ESCAPES, without_escapes
from analytics.patterns.json_message import JSON_LEVEL, NUMERIC_LEVELS
from analytics.patterns.logline import KLOG_LINE
from analytics.patterns.multiline import STAMP_PATTERN

#: error words, as words: bounded by spaces, brackets, quotes or sentence punctuation -- never by '-', '_',
#: '=' or '/' (``libgpg-error-dev``, ``panic=1``, ``/usr/lib/error`` are names and options, not errors)
_L = r"(?:^|[\s\[\](){}<>\"'`,;!?|*])"
_R = r"(?:$|[\s\[\](){}<>\"'`,;:!?|*]|\.(?:$|[\s\"')\]]))"  # 'ABORT.7.gz' is a file name
ERROR_WORDS = (
    r"(?i)" + _L + r"(?:error|errors|err|fatal|crit|critical|alert|emerg|emergency|panic|panicked|severe|fail|"
    r"fails|failed|failure|exception|traceback|refused|denied|timeout|timed out|unable|cannot|can't|"
    r"killed|oom|segfault|aborted|abort|corrupt|corrupted|unhandled|uncaught|"
    # the C library's messages for the errors a service meets most (strerror), as phrases
    r"no such file or directory|out of memory|cannot allocate memory|no space left on device|"
    r"too many open files|address already in use|segmentation fault|core dumped)" + _R
)
#: the C library's error names as programs print them (``connect ECONNREFUSED 127.0.0.1:5432``)
ERRNO_NAMES = (
    r"(?:^|[^\w])E(?:CONNREFUSED|CONNRESET|CONNABORTED|TIMEDOUT|HOSTUNREACH|NETUNREACH|ADDRINUSE|NOENT|ACCES|"
    r"PERM|NOMEM|NOSPC|MFILE|PIPE|AI_AGAIN|NOTFOUND)(?:$|[^\w])"
)
#: a line that is an exception: a traceback's last line or a language's uncaught-exception header
EXCEPTION_HEAD = (
    r"^(?:Traceback \(most recent call last\)|panic: |Exception in thread |[A-Za-z_][\w.]*(?:Error|Exception): )"
)
#: where a level written in lower case counts: first after the line's stamp (an ISO time, syslog's header)
#: or its line counter (npm's debug log: ``12 silly ...``), before a blank or a colon (zap's console lines:
#: ``<time>\tinfo\t...``). Anywhere else a lower-case "info" or "error" is a word of the message.
_LEAD = r"^(?:" + STAMP_PATTERN + r"|[0-9]+[ \t])[ \t]*"
_LEAD_END = r"(?:[\s:]|$)"
#: the word where a level goes, in lower case (:func:`analytics.sources.tail.line_level` reads it)
LEAD_WORD = re.compile(_LEAD + r"([a-z]+)" + _LEAD_END)
#: a header that says the line is routine: a low level among its first words, upper case or bracketed, or
#: in lower case where the level goes (``silly``: the lowest of npm's and winston's levels)
LOW_LEVEL = (
    r"^(?:\S+\s+){0,9}?(?:\[(?i:debug|trace|info|notice|verbose)\]|<(?i:debug|trace|info|notice)>|"
    r"(?:DEBUG|TRACE|INFO|NOTICE|VERBOSE|Debug|Trace|Info|Notice|Verbose)(?:[\s:,\]/]|$))"
    r"|" + _LEAD + r"(?:debug|trace|info|notice|verbose|silly)" + _LEAD_END
)
#: a header that says the line is an error, whatever its words
HIGH_LEVEL = (
    r"^(?:\S+\s+){0,9}?(?:\[(?i:error|err|crit|critical|fatal|alert|emerg|severe)\]|"
    r"<(?i:error|err|crit|fatal|alert|emerg)>|(?:ERROR|CRITICAL|CRIT|FATAL|ALERT|EMERG|SEVERE)(?:[\s:,\]/]|$))"
    r"|" + _LEAD + r"(?:error|err|fatal|crit|critical|alert|emerg|panic)" + _LEAD_END
)
#: a logfmt level (``level=error``, ``lvl=INFO``): it decides as a JSON line's level field does. Keys in
#: lower case, as logfmt writers write them, and the boundaries spelled out: with a case-insensitive key or
#: a Unicode ``\s`` or ``\b`` this one expression took Polars 0.2 s of the rule's 0.8 s on 600k lines
KEYED_LEVEL = (
    r"""(?:^|[ \t,;{(\[])(?:level|lvl|severity|loglevel|log_level)=["']?([A-Za-z]+|[1-6]0)(?:[^A-Za-z0-9_]|$)"""
)
#: a header that says the line is a warning: its error words make it an error, an exception it carries
#: does not (the program chose to log that exception as a warning)
WARN_LEVEL = (
    r"^(?:\S+\s+){0,9}?(?:\[(?i:warn|warning)\]|<(?i:warn|warning)>|"
    r"(?:WARN|WARNING|Warn|Warning)(?:[\s:,\]/]|$))"
    r"|" + _LEAD + r"(?:warn|warning)" + _LEAD_END
)
#: a JSON line's level field values that are errors (names, and pino/bunyan's numbers)
JSON_HIGH = ("error", "err", "fatal", "critical", "crit", "alert", "emerg", "emergency", "panic", "severe", "50", "60")

#: error words, errno names and exception heads in one pass over a column
_SAID = f"(?:(?i:{ERROR_WORDS.removeprefix('(?i)')})|{ERRNO_NAMES}|{EXCEPTION_HEAD})"
_WORDS_RE = re.compile(ERROR_WORDS)
_ERRNO_RE = re.compile(ERRNO_NAMES)
_EXCEPTION_RE = re.compile(EXCEPTION_HEAD)
_LOW_RE = re.compile(LOW_LEVEL)
_HIGH_RE = re.compile(HIGH_LEVEL)
_JSON_RE = re.compile(JSON_LEVEL)
_KLOG_RE = re.compile(KLOG_LINE)
_KEYED_RE = re.compile(KEYED_LEVEL)
_WARN_RE = re.compile(WARN_LEVEL)


def _strings(col: pl.Series) -> pl.Series:
    s = col.cast(pl.String).fill_null("")
    if s.str.contains("\x1b", literal=True).any():  # a coloured level: ESC[31mERROR
        s = s.str.replace_all(ESCAPES.pattern, "")
    return s


def folded_parts(events: list) -> tuple[pl.Series | None, pl.Series | None]:
    """The ``firsts`` and ``exceptions`` of :func:`error_mask` for folded events (text, first line,
    exception, ...); (None, None) when none carries an exception: each text is then its first line."""
    if not any(e[2] for e in events):
        return None, None
    return pl.Series([e[1] for e in events], dtype=pl.String), pl.Series([e[2] for e in events], dtype=pl.String)


def error_mask(texts: pl.Series, firsts: pl.Series | None = None, exceptions: pl.Series | None = None) -> pl.Series:
    """Which of ``texts`` are errors (a Boolean Series). For folded events: ``firsts``, each event's first
    line (its level is read there; default: the text itself), and ``exceptions``, the exception line each
    carries (null or empty: none)."""
    s = _strings(texts)
    h = s if firsts is None else _strings(firsts)
    klog = h.str.extract(KLOG_LINE, 1)  # klog/glog: the severity letter starts the line
    keyed = h.str.extract(KEYED_LEVEL, 1)
    json_level = h.str.extract(JSON_LEVEL, 1).fill_null(keyed).str.to_lowercase()
    json_high = json_level.is_in(JSON_HIGH).fill_null(False)
    high = h.str.contains(HIGH_LEVEL) | klog.is_in(["E", "F"]).fill_null(False) | json_high
    low = h.str.contains(LOW_LEVEL) | klog.is_in(["I", "W"]).fill_null(False) | (json_level.is_not_null() & ~json_high)
    said = s.str.contains(_SAID)
    if exceptions is not None:
        carried = exceptions.cast(pl.String).fill_null("").str.len_chars() > 0
        if carried.any():
            said = said | (carried & ~h.str.contains(WARN_LEVEL))
    return high | (~low & said)


def keyed_level(text: str) -> str | None:
    """The level a logfmt line gives itself (``level=error`` -> ``ERROR``, pino's ``level=50``), as the
    rules above read it; None when it names none."""
    m = _KEYED_RE.search(text[:4096])
    return NUMERIC_LEVELS.get(m.group(1), m.group(1).upper()) if m else None


def is_error(text: str, first: str | None = None, exception: str | None = None) -> bool:
    """:func:`error_mask` for one text (``first``: its event's first line, where its level is read)."""
    text = without_escapes(text)
    head = text if first is None else without_escapes(first)
    k = _KLOG_RE.match(head)
    if k and k.group(1) in "EF":
        return True
    j = _JSON_RE.match(head) or _KEYED_RE.search(head)
    level = j.group(1).lower() if j else None
    if level in JSON_HIGH or _HIGH_RE.match(head):
        return True
    if level is not None or (k and k.group(1) in "IW") or _LOW_RE.match(head):
        return False
    if _WORDS_RE.search(text) or _ERRNO_RE.search(text) or _EXCEPTION_RE.match(text):
        return True
    return bool(exception) and not _WARN_RE.match(head)


def routine_rows(events: pl.DataFrame) -> pl.Series:
    """Which rows of a batch of events (columns ``level`` and ``message``) their level says are routine
    (``info``, ``debug``, pino's 30, a warning without error words): read as a log line's level would be,
    by :func:`error_mask`. A row without a level is not routine: the file says it is an error event."""
    level = events["level"].cast(pl.String).str.strip_chars()
    given = level.is_not_null() & (level != "")
    if not given.any():
        return pl.repeat(False, events.height, dtype=pl.Boolean, eager=True)
    named = level.replace(NUMERIC_LEVELS).str.to_uppercase().fill_null("")
    line = (named + " " + events["message"].cast(pl.String).fill_null("")).alias("line")
    return (given & ~error_mask(line)).alias("routine")
