"""The incremental multi-line folder (what the live tail uses) gives exactly the batch scan's events: for
any split of the lines between calls, and when a reader stops in the middle of an event and starts again
from that event's first line. The oracle is the batch fold as it was written before the folder existed,
with the rules added since: stamped lines read by what follows the stamp, and a traceback's last line
naming its exception whatever the exception is called."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings, strategies as st

from analytics.patterns.multiline import CONTEXT_CHARS, CONTEXT_LINES, MultilineFolder, fold_multiline

# -- the oracle: fold_multiline as it was before the incremental folder, plus the two rules above ----------

_TRACEBACK_START = re.compile(
    r"^\s*(Traceback \(most recent call last\):|During handling of the above exception"
    r"|The above exception was the direct cause|Caused by: )"
)
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning|Fault)\b(:.*)?$")
_RAISED_LINE = re.compile(r"^[A-Za-z_][\w.]*(?::.*)?$")  # inside a traceback: whatever the exception is called
_CHAINED = re.compile(r"^\s*(During handling of the above exception|The above exception was the direct cause)")
_STAMP = re.compile(
    r"(?:[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:[.,][0-9]{1,9})?(?:Z|[+-][0-9]{2}:?[0-9]{2})?"
    r"(?: (?:stdout|stderr) [FP])?|[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [^ \t]+ [^\s:]+:) ?"
)


def _split(line: str) -> tuple[str, str]:
    """(stamp, what follows it); the stamp is "" on a line without one."""
    m = _STAMP.match(line) if line[:1].isalnum() else None
    return (line[: m.end()], line[m.end() :]) if m else ("", line)


def _annotation(first: str, line: str) -> str | None:
    """What ``line`` adds to the event ``first`` began when it annotates it: the same stamp; as its label
    (the word before its first colon and two blanks, as PostgreSQL writes labels) a field (DETAIL,
    STATEMENT...), after the same text as ``first``; and in ``first`` another upper-case label there."""
    stamp, body = _split(line)
    fstamp, fbody = _split(first)
    if not stamp or stamp != fstamp or ":  " not in body:
        return None
    head = body[: body.index(":  ")]
    prefix, _, label = head.rpartition(" ")
    prefix = prefix + " " if " " in head else ""
    if label not in {"DETAIL", "HINT", "CONTEXT", "QUERY", "LOCATION", "STATEMENT"} or not fbody.startswith(prefix):
        return None
    own = re.match(r"[A-Z][A-Z0-9]*:", fbody[len(prefix) :])
    return body[len(prefix) :].strip() if own and own.group() != label + ":" else None


def reference_fold(lines: list[str]) -> tuple[list[str], list[int]]:
    events, starts, _ = reference_fold_context(lines)
    return events, starts


def reference_fold_context(lines: list[str]) -> tuple[list[str], list[int], list[str]]:
    """The events, where each starts, and each one's context (the lines that annotate it)."""
    events: list[str] = []
    starts: list[int] = []
    contexts: list[str] = []
    in_tb = False
    exc: str | None = None
    ctx: list[str] | None = None

    def close() -> None:
        if ctx and events:
            text = "\n".join(ctx)
            contexts[-1] = text if len(text) <= CONTEXT_CHARS else text[: CONTEXT_CHARS - 1] + "…"
        if exc and events:
            stamp, head = _split(events[-1])
            events[-1] = stamp + exc if _TRACEBACK_START.match(head) else f"{events[-1]} | {exc}"

    def keep(note: str) -> None:
        if len(ctx) < CONTEXT_LINES:  # type: ignore[arg-type]
            ctx.append(note)  # type: ignore[union-attr]

    for i, line in enumerate(lines):
        stamp, body = _split(line)
        if not body.strip():
            continue
        note = _annotation(events[-1], line) if events and not in_tb else None
        if note is not None:
            ctx = ctx if ctx is not None else []
            keep(note)
            continue
        if ctx is not None and not stamp and len(ctx) < CONTEXT_LINES:
            keep(line.rstrip())
            continue
        if events and not stamp and ((line[:1] in (" ", "\t") and line.strip()) or line.startswith("Caused by: ")):
            continue
        if (
            events
            and stamp
            and (
                (body[:1] in (" ", "\t") and (in_tb or body.lstrip().startswith(("at ", "..."))))
                or body.startswith("Caused by: ")
            )
        ):
            continue
        if _TRACEBACK_START.match(body):
            if events and not in_tb and exc is None:
                in_tb = True
                continue
            if in_tb:
                continue
            if events and exc is not None and _CHAINED.match(body):
                in_tb = True
                continue
        if in_tb and _RAISED_LINE.match(body.strip()):
            exc = body.strip()
            in_tb = False
            continue
        after = next((b for b in (_split(x)[1] for x in lines[i + 1 :]) if b.strip()), "")  # next non-blank
        if (
            events
            and exc is None
            and _EXCEPTION_LINE.match(body.strip())
            and after.lstrip().startswith("at ")
            and after[:1] in (" ", "\t")
        ):
            exc = body.strip()
            continue
        close()
        in_tb = bool(_TRACEBACK_START.match(body))
        exc, ctx = None, None
        events.append(line)
        starts.append(i)
        contexts.append("")
    close()
    return events, starts, contexts


# -- lines that exercise every rule --------------------------------------------------------------------------

POOL = [
    "2026-11-21 10:00:00 ERROR request 7 failed",
    "2026-11-21 10:00:01 INFO fine",
    "plain text",
    "",
    "   ",
    "Traceback (most recent call last):",
    '  File "app.py", line 3, in handler',
    "    raise ValueError(x)",
    "ValueError: bad value",
    "KeyboardInterrupt",
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
    "java.lang.IllegalStateException: bad state",
    "\tat com.x.Y.z(Y.java:10)",
    "    at com.x.Y.w(Y.java:5)",
    "Caused by: java.io.IOException: disk",
    "  Caused by: nested",
    "\t... 12 more",
    "SomeWarning",
    "pkg.errors.NotFound: gone",
    "2026-11-21T10:00:00,123 ",
    "2026-11-21T10:00:00,123 Traceback (most recent call last):",
    '2026-11-21T10:00:00,123   File "app.py", line 3, in handler',
    "2026-11-21T10:00:00,123     raise NotFound(x)",
    "2026-11-21T10:00:00,123 pkg.errors.NotFound: gone",
    "2026-11-21T10:00:00,123 ERROR request 7 failed",
    "2026-11-21T10:00:00.1Z stderr F java.lang.IllegalStateException: bad state",
    "2026-11-21T10:00:00.1Z stderr F \tat com.x.Y.z(Y.java:10)",
    "2026-11-21T10:00:00.1Z stderr F Caused by: java.io.IOException: disk",
    "Nov 21 10:00:00 host app[12]:   File x",
    "Nov 21 10:00:00 host app[12]:   indented, not a frame",
]
#: a server that writes an error's fields on lines of their own (PostgreSQL's DETAIL, STATEMENT), drawn as
#: runs so that lines annotating the one before them come up often
FIELDS = [
    "2026-11-21 10:00:00.454 UTC [3473] app@db ERROR:  duplicate key value violates unique constraint",
    "2026-11-21 10:00:00.454 UTC [3473] app@db DETAIL:  Key (id)=(1) already exists.",
    "2026-11-21 10:00:00.454 UTC [3473] app@db STATEMENT:  insert into u values (1)",
    "2026-11-21 10:00:00.454 UTC [3474] app@db STATEMENT:  insert into u values (2)",
    "2026-11-21 10:00:00.454 UTC [3473] app@db ERROR:  another",
    "2026-11-21 10:00:00.455 UTC [3473] app@db HINT:  a later stamp",
    "  where id = 1",
    "from u",
]
lines_st = st.lists(
    st.one_of(
        st.sampled_from(POOL).map(lambda x: [x]),
        st.text(" \tatE:rCb.", max_size=10).map(lambda x: [x]),
        st.lists(st.sampled_from(FIELDS), min_size=2, max_size=6),
    ),
    max_size=20,
).map(lambda runs: [x for run in runs for x in run][:60])


def chunks(lines: list[str], cuts: list[int]) -> list[tuple[int, int]]:
    """[start, end) ranges splitting ``lines`` at ``cuts`` (positions modulo the length)."""
    n = len(lines)
    points = sorted({0, n, *(c % (n + 1) for c in cuts)})
    return list(itertools.pairwise(points))


@given(lines_st)
def test_fold_multiline_is_unchanged(lines):
    assert fold_multiline(lines) == reference_fold(lines)


@settings(max_examples=300)
@given(lines_st, st.lists(st.integers(0, 1000), max_size=12), st.booleans())
def test_any_chunking_gives_the_batch_events(lines, cuts, one_by_one):
    folder: MultilineFolder[int] = MultilineFolder()
    got = []
    for a, b in chunks(lines, cuts):
        if one_by_one:
            for i in range(a, b):
                got += folder.feed(lines[i], i)
        else:
            got += folder.feed_lines(lines[a:b], range(a, b))
    got += folder.flush()
    assert ([e[0] for e in got], [e[3] for e in got], [e[4] for e in got]) == reference_fold_context(lines)


@pytest.mark.slow
@settings(max_examples=300)
@given(lines_st, st.lists(st.integers(0, 1000), max_size=12), st.lists(st.booleans(), max_size=12))
def test_starting_again_from_the_open_event_gives_the_same_events(lines, cuts, restarts):
    """What a restarted tail does: a new folder, fed again from the held event's first line."""
    folder: MultilineFolder[int] = MultilineFolder()
    got = []
    for n, (a, b) in enumerate(chunks(lines, cuts)):
        got += folder.feed_lines(lines[a:b], range(a, b))
        if n < len(restarts) and restarts[n] and folder.pending:
            start = folder.pending_start
            assert start is not None
            folder = MultilineFolder()
            got += folder.feed_lines(lines[start:b], range(start, b))
    got += folder.flush()
    assert ([e[0] for e in got], [e[3] for e in got]) == reference_fold(lines)


def test_a_python_traceback_is_one_event_named_by_its_exception():
    folder: MultilineFolder[int] = MultilineFolder()
    assert (
        folder.feed_lines(
            [
                "2026-11-21 10:00:00 ERROR request failed",
                "Traceback (most recent call last):",
                '  File "app.py", line 3, in handler',
            ],
            range(3),
        )
        == []
    )
    assert folder.pending and folder.pending_start == 0
    assert folder.feed_lines(["    raise ValueError(x)", "ValueError: bad value"], range(3, 5)) == []
    (ev,) = folder.feed("2026-11-21 10:00:01 INFO next", 5)
    assert ev == (
        "2026-11-21 10:00:00 ERROR request failed | ValueError: bad value",
        "2026-11-21 10:00:00 ERROR request failed",
        "ValueError: bad value",
        0,
        "",
    )
    assert folder.pending_start == 5
    assert folder.flush() == [("2026-11-21 10:00:01 INFO next", "2026-11-21 10:00:01 INFO next", None, 5, "")]
    assert not folder.pending and folder.flush() == []


def test_a_chained_python_traceback_is_one_event_named_by_the_last_exception():
    lines = [
        "2026-11-21 10:00:00 ERROR request failed",
        "Traceback (most recent call last):",
        '  File "app.py", line 3, in handler',
        "KeyError: 'a'",
        "",
        "During handling of the above exception, another exception occurred:",
        "",
        "Traceback (most recent call last):",
        '  File "app.py", line 5, in handler',
        "ValueError: b",
        "2026-11-21 10:00:01 INFO next",
        "",
        "Traceback (most recent call last):",
        '  File "x", line 1',
        "OSError: disk",
    ]
    assert fold_multiline(lines) == (
        ["2026-11-21 10:00:00 ERROR request failed | ValueError: b", "2026-11-21 10:00:01 INFO next | OSError: disk"],
        [0, 10],
    )


def test_a_java_exception_line_waits_for_the_next_line():
    folder: MultilineFolder[str] = MultilineFolder()
    assert folder.feed("2026-11-21 ERROR boom", "a") == []
    assert folder.feed("java.lang.IllegalStateException: bad", "b") == []  # its own event, or the frame's?
    assert folder.feed("\tat com.x.Y.z(Y.java:10)", "c") == []
    assert folder.flush() == [
        (
            "2026-11-21 ERROR boom | java.lang.IllegalStateException: bad",
            "2026-11-21 ERROR boom",
            "java.lang.IllegalStateException: bad",
            "a",
            "",
        )
    ]
    # no frame follows: the exception line is an event of its own, also when the input ends there
    assert folder.feed("2026-11-21 ERROR boom", "a") == []
    assert folder.feed("java.lang.IllegalStateException: bad", "b") == []
    assert [e[0] for e in folder.flush()] == ["2026-11-21 ERROR boom", "java.lang.IllegalStateException: bad"]


def test_flush_forgets_the_event_so_the_next_line_starts_afresh():
    folder: MultilineFolder[int] = MultilineFolder()
    folder.feed("ERROR head", 0)
    assert [e[0] for e in folder.flush()] == ["ERROR head"]
    folder.feed('  File "late.py", line 1', 1)  # after a flush, as after a restart: a line of its own
    assert [e[3] for e in folder.flush()] == [1]
