"""Multi-line log events: a traceback or a stack trace is one event, whether its lines come from a whole
file (``lokifi patterns scan``, :func:`fold_multiline`) or a few at a time from a tailed file (the
collector, :class:`MultilineFolder`). Both run the same code, so they give the same events.

The rules: an indented line or a Java ``Caused by:`` belongs to the line that started the event; so does a
Python traceback, down to its unindented ``SomeError: ...`` line (whatever the exception is called) — and
a chained one ("During handling of the above exception…", "The above exception was the direct cause…")
down to the last exception, which names the event — and a Java exception line directly followed by an
indented ``at ...`` frame. Blank lines neither start nor end an event. An event's text is its first line,
plus `` | `` and the exception line when a traceback named one (the exception is what says what went
wrong); a traceback with no line of its own before it is the exception line alone.

Some servers write what goes with an error on lines of their own, after it and under the same stamp:
PostgreSQL's ``DETAIL:``, ``HINT:``, ``CONTEXT:``, ``QUERY:``, ``LOCATION:`` and ``STATEMENT:`` (the key that
already exists, the query that failed). Such a line belongs to the event before it when it bears the same
stamp and the same words before its label (time, process id, user@database; a session's line number,
``%l``, may count on) and a label of that kind, a field of the event rather than a level of its own;
unstamped lines after it continue it (a query written over several lines). These lines are the event's
*context*: kept beside its text, never part of it, so the text, and the pattern it falls under, stay
those of the line that said what went wrong.

Logs that stamp every line (pip's ``--log``, Python's logging with a time in its format, CRI/Docker's
``<time> stderr F``, syslog's ``<time> host prog[pid]:``) are read by what follows the stamp: a stamped
``Traceback (most recent call last):`` starts a traceback, stamped frames (indented after the stamp)
belong to it, and the stamped exception line names the event. Only inside a traceback, or for a Java
``at ...`` frame, does a stamped indented line continue an event: a stamped line is otherwise its own
event (a second space after a time is not a continuation).

Nothing here imports more than the standard library: the log tail uses it on every poll.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Generic, TypeVar, cast

TRACEBACK_START = re.compile(
    r"^\s*(Traceback \(most recent call last\):|During handling of the above exception"
    r"|The above exception was the direct cause|Caused by: )"
)
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning|Fault)\b(:.*)?$")
#: the line that ends a Python traceback names the exception raised, whatever its class is called
#: (``pip._internal.exceptions.DistributionNotFound: ...``): a dotted name, then ``:`` and the message
RAISED_LINE = re.compile(r"^[A-Za-z_][\w.]*(?::.*)?$")
#: Python's line between a traceback and the one it led to (blank lines around it)
CHAINED = re.compile(r"^\s*(During handling of the above exception|The above exception was the direct cause)")

#: the stamp some logs put before every line, traceback frames included: an ISO date and time (CRI's
#: ``stdout F`` after it), or syslog's time, host and ``prog[pid]:``; one space after it belongs to it
#: (Python ``re`` and Rust ``regex`` alike: a file scan finds the stamps of a whole block in Polars)
STAMP_PATTERN = (
    r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]{1,9})?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
    r"(?: (?:stdout|stderr) [FP])?|[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [^ \t]+ [^\s:]+:) ?"
)
STAMP = re.compile(STAMP_PATTERN)

T = TypeVar("T")


#: One finished event: ``(text, first line, exception line or None, start, context)``, where ``start`` is
#: what the caller fed with its first line (a line number, a tailed line with its place in the file) and
#: ``context`` the lines that annotate it, joined by newlines ("" when none). A plain tuple: a file scan
#: builds one per line, and a NamedTuple costs several times as much to make.
Event = tuple[str, str, str | None, T, str]

#: A line that annotates the one before it bears, as its label (the word before its first colon and two
#: blanks), a field that is not a level of its own (PostgreSQL writes the key that already exists, the failing
#: query, the function it ran in, each under its own label) where that line bears its label (``ERROR:``)
ANNOTATIONS = frozenset({"DETAIL", "HINT", "CONTEXT", "QUERY", "LOCATION", "STATEMENT"})
#: the label the annotated line bears: an upper-case word and a colon
_LABEL = re.compile(r"[A-Z][A-Z0-9]*:")
#: what an event keeps of its context, at most: lines (a label's line and its continuations each count)
#: and characters (a huge query is cut; the text that says what failed is not)
CONTEXT_LINES = 16
CONTEXT_CHARS = 4000


_INDENT = (" ", "\t")
_tb_start = TRACEBACK_START.match
_exception_line = EXCEPTION_LINE.match
_raised_line = RAISED_LINE.match
_chained = CHAINED.match
_stamp = STAMP.match


def stamp_length(line: str) -> int:
    """How many characters of ``line`` its stamp takes (0: it has none)."""
    m = _stamp(line) if line[:1].isalnum() else None
    return m.end() if m else 0


def _event(first: str, exc: str | None, start: T, context: str = "") -> Event[T]:
    if not exc:
        return first, first, None, start, context
    head = first[: stamp_length(first)]
    return (head + exc) if _tb_start(first[len(head) :]) else f"{first} | {exc}", first, exc, start, context


def _annotates(first: str, line: str, st: int) -> str | None:
    """The context ``line`` adds to the event that ``first`` began (from its label on), or None when it is
    not an annotation of that event. The caller has checked that both bear the same stamp (``st``
    characters). ``line``'s label, the word before its first colon and two blanks (as PostgreSQL writes
    every label: ``ERROR:  ``, ``DETAIL:  ``), is an annotation's, after the same text as ``first`` bears
    before it, and ``first`` bears a label of another kind there. (String searches, no expression: this
    runs on every line written in the same millisecond as the one before it, half of a busy Hadoop log.)"""
    colon = line.find(":  ", st)
    if colon < 0:
        return None
    at = line.rfind(" ", st, colon) + 1
    if at == 0:
        at = st
    label = line[at:colon]
    if label not in ANNOTATIONS or (line[st:at] != first[st:at] and not _counts_on(first[st:at], line[st:at])):
        return None
    own = _LABEL.match(first, at)
    if own is None or own.group() == label + ":":
        return None
    return line[at:].strip()


_DIGITS = re.compile(r"(\d+)")


def _counts_on(before: str, words: str) -> bool:
    """``words`` are ``before`` with one number counted on (by at most :data:`CONTEXT_LINES`) after one that
    stays: the process id, then the line's number in its session (PostgreSQL's ``%p-%l`` in
    log_line_prefix: ``[1234-1] ERROR:`` then ``[1234-2] DETAIL:``); the rest (user@database) the same.
    Another process (``[1234]`` then ``[1235]``, ``[1234-1]`` then ``[1235-1]``) is not counted on."""
    a, b = _DIGITS.split(before), _DIGITS.split(words)
    if len(a) != len(b) or a[0::2] != b[0::2]:
        return False
    changed = [i for i, (x, y) in enumerate(zip(a[1::2], b[1::2], strict=True)) if x != y]
    if len(changed) != 1 or changed[0] == 0:
        return False
    i = changed[0]
    return 0 < int(b[2 * i + 1]) - int(a[2 * i + 1]) <= CONTEXT_LINES


#: lines of an event's context shown or sent with it (all of it is stored, and in ``--json``)
CONTEXT_SHOWN = 6


def context_lines(context: str | None, limit: int = CONTEXT_SHOWN) -> list[str]:
    """An event's context (the lines its server wrote with it) as its non-blank lines, at most ``limit``."""
    return [x for x in (context or "").split("\n") if x.strip()][:limit]


def _context(lines: list[str]) -> str:
    text = "\n".join(lines)
    return text if len(text) <= CONTEXT_CHARS else text[: CONTEXT_CHARS - 1] + "…"


class MultilineFolder(Generic[T]):
    """Folds lines into events as they arrive.

    :meth:`feed_lines` returns the events that its lines finished. The last event stays open — more lines
    may belong to it — until a line starts the next event or :meth:`flush` says there is no more. Feeding
    every line of a file, split between calls in any way, and then flushing gives :func:`fold_multiline`'s
    events. A new folder fed from the open event's first line (:attr:`pending_start`) on gives the same
    events as this one: that is how a reader that stopped in the middle of an event starts again.
    """

    __slots__ = ("_ctx", "_exc", "_first", "_first_st", "_in_tb", "_maybe", "_start")

    def __init__(self) -> None:
        self._first: str | None = None  # the open event's first line
        self._start: T | None = None
        self._in_tb = False  # inside the open event's traceback
        self._exc: str | None = None  # the exception line the open event's traceback named
        # An exception line that belongs to the open event if the next line is an indented "at ..." frame.
        self._maybe: tuple[str, T, str] | None = None  # (line, start, what follows its stamp)
        self._first_st = 0  # the stamp length of the open event's first line
        self._ctx: list[str] | None = None  # the lines that annotate the open event (None: none yet)

    @property
    def pending(self) -> bool:
        """An event is open (not emitted yet)."""
        return self._first is not None

    @property
    def pending_start(self) -> T | None:
        """What was fed with the open event's first line (None when no event is open)."""
        return self._start if self._first is not None else None

    def feed(self, line: str, start: T) -> list[Event[T]]:
        """Take the next line (``start`` is kept as the event's ``start`` if the line begins one)."""
        return self.feed_lines((line,), (start,))

    def feed_lines(
        self, lines: Iterable[str], starts: Iterable[T], stamps: Iterable[int] | None = None
    ) -> list[Event[T]]:
        """Take the next lines, each with its ``start``; return the events they finished. ``stamps``: each
        line's :func:`stamp_length`, when the caller has them (found for a whole block at once)."""
        out: list[Event[T]] = []
        append, tb_start, exception_line, indent = out.append, _tb_start, _exception_line, _INDENT
        first, in_tb, exc, maybe = self._first, self._in_tb, self._exc, self._maybe
        first_st, ctx = self._first_st, self._ctx
        # the open event's start: set whenever ``first`` is (T itself may include None, so no narrowing)
        first_start = cast(T, self._start)
        if stamps is None and not isinstance(lines, list | tuple):
            lines = list(lines)  # read twice below
        lengths = map(stamp_length, lines) if stamps is None else stamps
        # starts may run on past the lines (a range)
        for line, start, st in zip(lines, starts, lengths, strict=False):
            body = line[st:] if st else line  # what follows the stamp of a stamped line
            if not body.strip():
                continue  # a blank line neither starts nor ends an event (Python prints them around chains)
            if maybe is not None:  # an exception line, waiting to see whether an "at" frame follows it
                cand, cand_start, cand_body = maybe
                maybe = None
                if body[:1] in indent and body.lstrip().startswith("at "):
                    exc = cand_body.strip()  # a Java exception under the line that logged it
                else:  # a line of its own: it starts the next event
                    append(_event(first, exc, first_start, _context(ctx) if ctx else ""))  # type: ignore[arg-type]
                    first, first_start, in_tb, exc = cand, cand_start, bool(tb_start(cand_body)), None
                    first_st, ctx = len(cand) - len(cand_body), None
            if first is None:
                first, first_start, in_tb, exc, first_st, ctx = line, start, bool(tb_start(body)), None, st, None
                continue
            # written with the open event, under a label as PostgreSQL writes one
            if st and st == first_st and not in_tb and ":  " in line and line[:st] == first[:st]:
                note = _annotates(first, line, st)
                if note is not None:  # a field of the open event (its DETAIL, its STATEMENT)
                    if ctx is None:
                        ctx = []
                    if len(ctx) < CONTEXT_LINES:
                        ctx.append(note)
                    continue
            if ctx is not None and not st and len(ctx) < CONTEXT_LINES:  # an annotation goes on (a query)
                ctx.append(line.rstrip())  # (past the bound the usual rules read the lines again)
                continue
            if not st:
                if (line[:1] in indent and line.strip()) or line.startswith("Caused by: "):
                    continue  # a stack frame, a continuation: part of the event
            elif body[:1] in indent and (in_tb or body.lstrip().startswith(("at ", "..."))):
                continue  # a stamped frame of the open traceback or stack trace
            elif body.startswith("Caused by: "):
                continue
            tb = tb_start(body)
            if tb:
                if not in_tb and exc is None:
                    in_tb = True  # the event's traceback begins
                    continue
                if in_tb:
                    continue  # chained exceptions: still this event
                if _chained(body):
                    in_tb = True  # the exception that named this event led to another: still this event
                    continue
            if exc is None or in_tb:
                stripped = body.strip()
                if in_tb and _raised_line(stripped):
                    exc = stripped  # the last one wins (the exception finally raised)
                    in_tb = False
                    continue
                if not in_tb and exception_line(stripped):
                    maybe = (line, start, body)  # decided by the next line
                    continue
            if exc or ctx:
                append(_event(first, exc, first_start, _context(ctx) if ctx else ""))
            else:
                append((first, first, None, first_start, ""))
            first, first_start, in_tb, exc, first_st, ctx = line, start, bool(tb), None, st, None
        self._first, self._start, self._in_tb, self._exc, self._maybe = first, first_start, in_tb, exc, maybe
        self._first_st, self._ctx = first_st, ctx
        return out

    def flush(self) -> list[Event[T]]:
        """No more lines for now: emit the open event (and forget it, so the next line starts afresh)."""
        out: list[Event[T]] = []
        ctx = _context(self._ctx) if self._ctx else ""
        if self._maybe is not None:  # no "at" frame came: the exception line is an event of its own
            cand, cand_start, _body = self._maybe
            out.append(_event(self._first, self._exc, self._start, ctx))  # type: ignore[arg-type]
            self._first, self._start, self._exc, ctx = cand, cand_start, None, ""
        if self._first is not None:
            out.append(_event(self._first, self._exc, self._start, ctx))  # type: ignore[arg-type]
        self._first = self._start = self._exc = self._maybe = self._ctx = None
        self._in_tb = False
        self._first_st = 0
        return out


def fold_multiline(lines: list[str]) -> tuple[list[str], list[int]]:
    """Multi-line events as one (the rules are in this module's docstring). Returns the events' texts and
    the 0-based line where each starts."""
    folder: MultilineFolder[int] = MultilineFolder()
    events = folder.feed_lines(lines, range(len(lines)))
    events += folder.flush()
    return [e[0] for e in events], [e[3] for e in events]
