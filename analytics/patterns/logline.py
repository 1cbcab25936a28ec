"""Raw log line headers: recognise and strip them, keep them as fields.

Owns the knowledge of what the front of a log line looks like in the formats people run: syslog
(``Jun 23 23:30:03 host prog[pid]:``), RFC 3339 / ISO timestamps, log4j/logback
(``2015-10-18 18:06:18,045 INFO [thread] org.x.Y: ...``), nginx error logs
(``2024/01/01 12:00:00 [error] 1234#1234: *5 ...``), postgres (``... UTC [1234] ERROR:  ...``),
redis (``1234:M 01 Jan 2024 12:00:00.123 # ...``), klog/kubernetes (``E0101 12:00:00.123 1 file.go:1] ...``),
CRI/docker (``2024-...Z stderr F ...``), Apache (``[Sun Dec 04 ...] [error] ...``), pipe-separated headers,
bracketed components and pids.

The header is read as a sequence of *elements* from the start of the line (timestamp, level,
``[component]``, ``prog[pid]:``, ``pid``, dotted logger name ...). Each element is an anchored regular
expression written in the common subset of Python ``re`` and Rust ``regex`` syntax, so the same rules
run per line in Python (:func:`parse_line`, which keeps the fields) and vectorised in Polars
(:func:`strip_headers`, which only needs the message).

Nothing is format-specific to one file: a line that has no recognisable header is returned unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars only where a whole column is stripped: parse_line is read by light views
    import polars as pl

_MON = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*"
_LEVELS = (
    r"TRACE|DEBUG|DBG|INFO|INFORMATION|NOTICE|NOTE|WARN|WARNING|ERROR|ERR|CRIT|CRITICAL|ALERT|"
    r"EMERG|EMERGENCY|FATAL|SEVERE|FINE|FINER|FINEST|VERBOSE|PANIC|LOG|STATEMENT|DETAIL|HINT|CONTEXT"
)
_LEVEL_ANY = r"(?i:" + _LEVELS + r")"
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,:]\d{1,9})?"
_TZ = r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
# syslog: after the timestamp, "host program[pid]:" or "host program:"
_HOSTPROG = r"(?:\s+[A-Za-z0-9][\w.\-]*\s+[A-Za-z][\w.\-/]*(?:\([\w.\-]*\))?(?:\[\d+\])?:(?:\s|$))?"
# a level word right after a timestamp, in any case ("2024-01-01T00:00:00Z error ...", Go, Node, JSON-ish)
_LEVEL_NEXT = r"\[?(?i:" + _LEVELS + r")\]?:?(?:\s|$)"
_LEVEL_AFTER_TIME = r"(?:\s+" + _LEVEL_NEXT + r")?"

# (field, pattern). Order matters: the first alternative that matches at the start wins.
ELEMENTS: list[tuple[str, str]] = [
    # ISO / RFC 3339 / log4j / BGL style date+time in one token or two
    ("time", r"\[?\d{4}[-/.]\d{2}[-/.]\d{2}(?:[T _\-]|\s+)" + _TIME + _TZ + r"\]?,?" + _LEVEL_AFTER_TIME + _HOSTPROG),
    # Apache / ctime, optionally bracketed: [Sun Dec 04 20:32:37 2005]
    (
        "time",
        r"\[?(?:" + _DAY + r",?\s+)?" + _MON + r"\s+\d{1,2}\s+" + _TIME + r"(?:\s+\d{4})?" + _TZ + r"\]?,?" + _HOSTPROG,
    ),
    # redis: 1234:M 01 Jan 2024 12:00:00.123 #
    ("time", r"\d+:[A-Z]\s+\d{1,2}\s+" + _MON + r"\s+\d{4}\s+" + _TIME + r"\s+[*#.\-]"),
    # day-first: 01 Jan 2024 12:00:00 / 04-Dec-2005 20:32:37
    ("time", r"\[?\d{1,2}[\s/\-]" + _MON + r"[\s/\-]\d{4}[\s:]" + _TIME + _TZ + r"\]?,?"),
    # compact: 20171223-22:31:59:618 / 20240101T120000Z
    ("time", r"\d{8}-\d{1,2}:\d{1,2}:\d{1,2}(?:[:.,]\d+)?|\d{8}T\d{6}(?:[.,]\d+)?Z?"),
    # klog: E0101 12:00:00.123456    1234 reflector.go:123]
    ("time", r"[IWEF]\d{4}\s+" + _TIME + r"(?:\s+\d+\s+[\w.\-]+:\d+\])?"),
    # short date then time (Spark: 17/06/09 20:10:58); a date alone only with a 4-digit year
    ("time", r"\[?\d{2,4}[-/.]\d{1,2}[-/.]\d{1,4}[\sT_\-]+" + _TIME + _TZ + r"\]?,?"),
    ("time", r"\[?\d{4}[-/.]\d{1,2}[-/.]\d{1,2}\]?,?\s"),
    ("time", r"\[?" + _TIME + _TZ + r"\]?,?"),
    # a lone pipe left between pipe-separated fields
    ("sep", r"\|"),
    # program[pid]: / program(module)[pid]:
    ("program", r"[A-Za-z][\w.\-/]*(?:\([\w.\-]*\))?\[\d+\]:"),
    # up to four code tokens (node ids, timestamps) and three ALLCAPS facility words, then a level
    # (BGL: R02-M0-NA-C:J16-U11 2005-07-15-23.49.42.308319 R02-M0-NA-C:J16-U11 RAS KERNEL INFO)
    ("level", r"(?:\S*\d\S*\s+){0,4}(?:[A-Z]{2,10}\s+){0,3}(?:" + _LEVELS + r")(?:\s|$)"),
    # who the line is about, then its level: postgres's user@database (log_line_prefix %u@%d) before
    # ERROR:, so the same error from two users or databases is one message
    ("level", r"[\w.\-\[\]]*@[\w.\-\[\]]*\s+(?:" + _LEVELS + r")(?::\s*|\s+|$)"),
    # level: bracketed, <level>, upper case, or any case followed by ':' ',' or a wide gap then a component
    ("level", r"\[" + _LEVEL_ANY + r"\]:?"),
    ("level", r"<" + _LEVEL_ANY + r">"),
    ("level", _LEVEL_ANY + r"\s{2,}[A-Za-z][\w.\-]*\s{2,}"),
    ("level", r"(?:" + _LEVELS + r")(?::\s*|,\s*|\s+|$)"),
    ("level", _LEVEL_ANY + r"(?::|,)"),
    # pid then level (OpenStack: 2931 INFO), nginx 1234#1234:, *conn
    ("pid", r"\d+\s+(?:" + _LEVELS + r")(?:\s|$)"),
    ("pid", r"\d+#\d+:"),
    ("pid", r"\*\d+\s"),
    ("pid", r"\d+:\s"),
    # spring boot separators
    ("sep", r"---\s"),
    # bracketed chunk: [thread], [component], [pid], [req-... - - -]
    ("component", r"\[[^\]\[]{0,200}\]:?"),
    # pipe separated header fields (HealthApp, many apps)
    ("component", r"[^|\s]{1,64}\|"),
    # dotted logger with colon (org.apache.hadoop.ipc.Client:), or logger followed by a bracket
    ("component", r"[A-Za-z_][\w$]*(?:\.[\w$\-]+)+\s?:(?:\s|$)"),
    ("component", r"[A-Za-z_][\w$]*(?:\.[\w$\-]+)+\s+\["),
    # klog source file: file.go:123]
    ("component", r"[\w.\-]+\.\w+:\d+\]"),
    # CRI: stdout F / stderr P
    ("stream", r"(?:stdout|stderr)\s+[FP]\s"),
    # python basicConfig: ERROR:root:message -> after the level, 'name:'
    ("component", r"(?:root|__main__|[a-z_]\w*(?:\.\w+)+):"),
    # a lone dash separator
    ("sep", r"-\s"),
]

# Elements recognised only at the very start of a line (before any other element).
FIRST_ELEMENTS: list[tuple[str, str]] = [
    # a log file name in front (tail -f a.log b.log, aggregated files)
    ("source", r"[\w.\-/]+\.log\b[\w.\-:]*:?\s"),
    # syslog priority
    ("priority", r"<\d{1,3}>\d?"),
    # epoch seconds / millis, or a counter (npm's debug log numbers its lines), and a level after it
    ("time", r"\d{10}(?:\d{3})?(?:\.\d+)?\s(?:" + _LEVEL_NEXT + r")?"),
    # a lone dash / label column
    ("sep", r"-\s"),
]
MAX_FIRST = 3


def _any_length_digits(pattern: str) -> str:
    """``\\d{n}`` -> ``\\d+``: headers are matched on digit-normalised text too (every run of digits
    is one digit there, see analytics.patterns.templates), so no pattern may count digits."""
    return re.sub(r"\\d\{\d+(?:,\d*)?\}(?:\(\?:\\d\{\d+\}\)\?)?", r"\\d+", pattern)


ELEMENTS = [(name, _any_length_digits(pat)) for name, pat in ELEMENTS]
FIRST_ELEMENTS = [(name, _any_length_digits(pat)) for name, pat in FIRST_ELEMENTS]
_HOSTPROG = _any_length_digits(_HOSTPROG)
_ELEMENT_RES = [(name, re.compile(pat)) for name, pat in ELEMENTS]
_FIRST_RES = [(name, re.compile(pat)) for name, pat in FIRST_ELEMENTS]
MAX_ELEMENTS = 12
_LEVEL_WORD = re.compile(_LEVELS, re.IGNORECASE)
_HOSTPROG_RE = re.compile(_HOSTPROG[3:-2] + "$")
_LEVEL_AFTER_TIME_RE = re.compile(_LEVEL_AFTER_TIME[3:-2] + "$")


@dataclass
class LogLine:
    """One parsed line: the header fields found, and the message that follows them."""

    message: str
    time: str | None = None
    level: str | None = None
    component: str | None = None
    program: str | None = None
    pid: str | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def source(self) -> str | None:
        """The best name for who wrote the line: syslog program, else component."""
        return self.program or self.component


def _clean_component(raw: str) -> str:
    return raw.strip().strip("[]|:").strip()


#: a header is looked for in the first this many characters only: the element patterns backtrack on
#: long runs of digits, so bounding their input keeps parsing linear in the line's length
MAX_HEADER_CHARS = 512


def parse_line(line: str) -> LogLine:
    """Split one raw line into header fields and message (Python, keeps the fields)."""
    if "\n" in line:
        line = line.split("\n", 1)[0]
    full = line.rstrip("\r")
    rest = full[:MAX_HEADER_CHARS]
    out = LogLine(message=full)
    pos = 0
    n = len(rest)
    for _ in range(MAX_FIRST):
        while pos < n and rest[pos] in " \t":
            pos += 1
        for name, rx in _FIRST_RES:
            m = rx.match(rest, pos)
            if m is not None and m.end() > pos:
                _store(out, name, m.group(0).strip())
                pos = m.end()
                break
        else:
            break
        if out.level is not None:
            break  # the level ends what a line may start with (``22 error 404 Not Found``: 404 is said)
    for _ in range(MAX_ELEMENTS):
        while pos < n and rest[pos] in " \t":
            pos += 1
        if pos >= n:
            break
        for name, rx in _ELEMENT_RES:
            m = rx.match(rest, pos)
            if m is None or m.end() == pos:
                continue
            # the lookahead-free patterns may consume a trailing '[' (logger then bracket): give it back
            tok = m.group(0)
            end = m.end()
            if name == "component" and tok.endswith("[") and not tok.startswith("["):
                end -= 1
                tok = tok[:-1]
            _store(out, name, tok.strip())
            pos = end
            break
        else:
            break
    msg = full[pos:].strip()
    out.message = msg if msg else full.strip()
    return out


#: an ISO-like date and time (groups: year, month, day, hour, minute, second, fraction, zone), found
#: anywhere near the start of a line (``Start-Date: 2025-06-24  14:36:25``); the live tail reads times
#: with it too
ISO_TIME_RE = re.compile(
    r"(\d{4})[-/](\d{2})[-/](\d{2})(?:T| {1,2})(\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?\s*(Z|[+-]\d{2}:?\d{2})?"
)


def time_inside(text: str) -> str | None:
    """The first ISO-like date and time in the first 120 characters of ``text``'s first line (not only at its
    start), whitespace inside it made single; None when there is none."""
    m = ISO_TIME_RE.search(text, 0, min(len(text), 120))
    return " ".join(m.group(0).split()) if m else None


def message_of(text: str) -> str:
    """A log line (or a multi-line event) without its first line's time/level/pid header, for showing
    where the event's time is shown beside it or there is no room for it; unchanged when the first line
    has no time or nothing follows its header."""
    first, sep, rest = text.partition("\n")
    parsed = parse_line(first)
    if not (parsed.time and parsed.message.strip()):
        return text
    return parsed.message + sep + rest


def shown_message(text: str) -> str:
    """What a line says, where room is short: of a JSON or logfmt line its message and error fields
    (:func:`analytics.patterns.json_message.structured_message`), of any other line its text without the
    time/level header (:func:`message_of`)."""
    from analytics.patterns.json_message import structured_message

    return structured_message(text) or message_of(text)


#: a klog/glog line (Kubernetes, Go services): a severity letter, then MMDD hh:mm:ss.uuuuuu, the thread id
#: and file:line] -- ``E1205 01:00:00.123456       1 reflector.go:123] ...``; groups: the letter, month,
#: day, hour, minute, second, microseconds. Python ``re`` and Rust ``regex`` alike (error_lines runs it in
#: Polars).
KLOG_LINE = r"^([IWEF])(\d{2})(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6})\s+\d+ [^\s\]]+:\d+\]"
#: klog/glog's header as the time element matches it: severity letter, MMDD, time, thread id, file:line
_KLOG_HEAD_RE = re.compile(r"([IWEF])(\d{2})(\d{2})\s+(\S+)(?:\s+(\d+)\s+(\S+))?")
KLOG_LEVELS = {"I": "INFO", "W": "WARN", "E": "ERROR", "F": "FATAL"}


def _store(out: LogLine, name: str, tok: str) -> None:
    if name == "time" and (k := _KLOG_HEAD_RE.fullmatch(tok.rstrip("]"))):
        # E1205 01:00:00.123456  1 reflector.go:123] -> level ERROR, time "12-05 01:00:00.123456", pid 1
        letter, month, day, clock, thread, where = k.groups()
        out.level = out.level or KLOG_LEVELS[letter]
        out.time = f"{month}-{day} {clock}"
        if thread:
            out.pid = out.pid or thread
            out.extra.append(where)
        return
    if name == "time":
        hp = _HOSTPROG_RE.search(tok)
        if hp and hp.group(0).strip():
            ts = tok[: hp.start()]
            host, prog = hp.group(0).split(None, 1)
            prog = prog.strip().rstrip(":")
            if _LEVEL_WORD.fullmatch(host):
                out.level = host.upper()
                out.component = prog
            else:
                out.extra.append(host)
                _store(out, "program", prog + ":")
            tok = ts
        lv = _LEVEL_AFTER_TIME_RE.search(tok)
        if lv and lv.group(0).strip():
            if out.level is None and (word := _LEVEL_WORD.search(lv.group(0))):
                out.level = word.group(0).upper()
            tok = tok[: lv.start()]
        t = tok.strip("[],")
        if re.fullmatch(r"\d{1,8}(?:\.\d+)?", t):
            return  # a counter in front (npm debug logs number their lines), not an epoch time
        out.time = t if out.time is None else f"{out.time} {t}"
    elif name == "level":
        words = list(_LEVEL_WORD.finditer(tok))
        m = words[-1] if words else None
        if m is not None and out.level is None:
            out.level = m.group(0).upper()
            rest = tok[m.end() :].strip(" :,[]<>")
            if rest and out.component is None:
                out.component = rest
    elif name == "program":
        parts = tok.rstrip(":").split()
        prog = parts[-1]
        pm = re.match(r"(.*?)\[(\d+)\]$", prog)
        if pm:
            prog, out.pid = pm.group(1), pm.group(2)
        out.program = prog
        if len(parts) > 1:
            out.extra.append(parts[0])  # host
    elif name == "pid":
        digits = re.match(r"\*?(\d+)", tok)
        lv = _LEVEL_WORD.search(tok[digits.end() :] if digits else "")
        if digits and out.pid is None and not tok.startswith("*"):
            out.pid = digits.group(1)
        if lv and out.level is None:
            out.level = lv.group(0).upper()
    elif name == "component":
        c = _clean_component(tok)
        if c.isdigit() and out.pid is None:
            out.pid = c
        elif out.component is None and c:
            out.component = c
        else:
            out.extra.append(c)
    elif name in ("priority", "stream", "sep", "source"):
        out.extra.append(tok)


_STRIP_RE = r"^[ \t]*(?:" + "|".join(f"(?:{pat})" for _, pat in ELEMENTS) + r")"
_STRIP_FIRST_RE = r"^[ \t]*(?:" + "|".join(f"(?:{pat})" for _, pat in FIRST_ELEMENTS) + r")"


#: a first element that ends with a level (a counter, then ``error``)
_FIRST_LEVEL_RE = r"^[ \t]*\d+(?:\.\d+)?\s+" + _LEVEL_NEXT


_LOGGER_BRACKET = r"^[ \t]*[A-Za-z_][\w$]*(?:\.[\w$\-]+)+\s+\["

#: a level word standing alone in a header (``158 notice``, ``INFO [main]``), not inside a name
_HEADER_LEVEL_RE = re.compile(r"(?<![\w.\-])(?:" + _LEVELS + r")(?![\w.\-])", re.IGNORECASE)


def header_level(line: str, message: str) -> str | None:
    """The level word of the header that :func:`strip_headers` took off ``line`` to leave ``message``
    (the last one written there, lower-cased), or None when the header names no level or nothing was
    stripped."""
    line = line.strip()
    if not message or message == line or not line.endswith(message):
        return None
    words = _HEADER_LEVEL_RE.findall(line[: len(line) - len(message)])
    return words[-1].lower() if words else None


def strip_headers(lines: pl.Series) -> pl.Series:
    """Vectorised :func:`parse_line` ``.message`` for a Series of raw lines (fields are not kept).

    Rust regex has no lookahead, so the "logger then ``[``" element is applied as its own replace
    that puts the bracket back; the bracket is removed as a component element on the next round.
    Stops as soon as a round changes nothing.
    """
    import polars as pl

    s = lines.cast(pl.String).fill_null("")
    cur = s
    done = None  # lines whose first elements ended with a level (parse_line stops there)
    for _ in range(MAX_FIRST):
        nxt = cur.str.replace(_STRIP_FIRST_RE, "")
        if done is not None:
            nxt = pl.select(pl.when(done).then(cur).otherwise(nxt)).to_series()
        if nxt.equals(cur):
            break
        leveled = cur.str.contains(_FIRST_LEVEL_RE)
        if leveled.any():
            done = leveled if done is None else done | leveled
        cur = nxt
    for _ in range(MAX_ELEMENTS):
        nxt = cur.str.replace(_LOGGER_BRACKET, "[").str.replace(_STRIP_RE, "")
        if nxt.equals(cur):
            break
        cur = nxt
    cur = cur.str.strip_chars()
    return pl.select(pl.when(cur == "").then(s.str.strip_chars()).otherwise(cur)).to_series().alias(lines.name)
