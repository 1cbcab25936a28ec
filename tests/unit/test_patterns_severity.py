"""One rule for which log lines are errors: ``patterns scan --errors``, the live tail and backfill give the
same answer on the same file. They used to disagree: the tail let only a written level, a traceback, or a
narrow list of hints that the type classifier also recognised make an error, so a syslog ``systemd[1]:
Failed to start nginx.service``, ``npm ERR! code E404``, apt's ``E: Unable to locate package`` and a
segfault were not errors to the collector while the scan showed them; the scan, in turn, dropped a
Python traceback whose exception line has no error word (``KeyError: 3``)."""

from __future__ import annotations

import datetime as dt

import polars as pl
from collect_support import backfill_one_log
from hypothesis import given, settings, strategies as st

from analytics.patterns.log_scan import scan_paths
from analytics.patterns.severity import error_mask, is_error
from analytics.sources.tail import BATCH_JUDGE, LogSpec, TailSource, is_error_event, is_error_line, judge

HEADERS = [
    "",
    "2026-12-05 10:00:00 ",
    "2026-12-05T10:00:00Z ERROR ",
    "2026-12-05 10:00:00 INFO ",
    "2026-12-05 10:00:00 WARN ",
    "[2026-12-05 10:00:00,123: ERROR/MainProcess] ",
    "[2026-12-05 10:00:00,123: INFO/MainProcess] ",
    "[Sun Dec 04 04:47:44 2005] [error] ",
    "[Sun Dec 04 04:47:44 2005] [notice] ",
    "<warn> ",
    "Dec  5 10:00:00 host sshd[12]: ",
    "E1205 01:00:00.123456       1 reflector.go:123] ",
    "W1205 01:00:00.123456       1 reflector.go:123] ",
    'time=2026-12-05T10:00:00Z level=error msg="',
    'ts=1 lvl=info msg="',
    '{"level":50,"msg":"',
    '{"levelname": "INFO", "message": "',
    "\x1b[31mERROR\x1b[0m ",
    "33 error ",
    "12 silly ",
    "2026-12-05T10:00:00.000Z\tinfo\t",
    "2026-12-05T10:00:00.000Z\terror\t",
    "2026-12-05 10:00:00 warn: ",
    "2026-12-05 10:00:00 http: ",
    "npm ERR! ",
]
WORDS = [
    "request",
    "failed",
    "Failed",
    "error:",
    "libgpg-error-dev",
    "panic=1",
    "ECONNREFUSED",
    "connect",
    "No such file or directory",
    "timed out",
    "ABORT.7.gz",
    "retrying",
    "|",
    "KeyError: 3",
    "[crit]",
    "ok.",
    "x",
]


@st.composite
def events(draw) -> tuple[str, str, str | None]:
    first = draw(st.sampled_from(HEADERS)) + " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=6)))
    exception = draw(st.sampled_from([None, None, "ValueError: x", "java.lang.IllegalStateException: boom"]))
    text = first if exception is None else f"{first} | {exception}"
    return text, first, exception


@settings(max_examples=300, deadline=None)
@given(st.lists(events(), min_size=1, max_size=20))
def test_the_column_rule_and_the_one_event_rule_agree(evs):
    texts, firsts, excs = zip(*evs, strict=True)
    mask = error_mask(pl.Series(texts), pl.Series(firsts), pl.Series(excs, dtype=pl.String)).to_list()
    assert mask == [is_error(t, f, x) for t, f, x in evs]
    assert mask == [is_error_event(t, f, x)[0] for t, f, x in evs]


@given(st.text(max_size=200))
def test_any_text_is_judged_alike_by_both_forms(text):
    assert error_mask(pl.Series([text])).to_list() == [is_error(text)]


CASES = {
    "Dec  5 10:00:00 host systemd[1]: Failed to start nginx.service - A high performance web server.": True,
    "Dec  5 10:00:00 host sshd[12]: error: kex_exchange_identification: Connection closed by remote host": True,
    "npm ERR! code E404": True,
    "E: Unable to locate package foo": True,
    "segfault at 0 ip 000 sp 000 error 4 in libc.so": True,
    "connect ECONNREFUSED 127.0.0.1:5432": True,
    "open /etc/app.yml: no such file or directory": True,
    "KeyError: 3": True,
    'time=2026-12-05T10:00:00Z level=error msg="payment declined"': True,
    'ts=1 level=info msg="request failed over to a replica"': False,
    "[2026-12-05 01:00:00,123: ERROR/MainProcess] Task x raised": True,
    "[2026-12-05 01:00:00,123: INFO/MainProcess] Task x failed over": False,
    "2026-12-05 10:00:00 WARN Failed to renew lease": True,  # a warning's error words make it one
    "Dec  5 10:00:00 host CRON[1]: pam_unix(cron:session): session opened for user root": False,
    "2026-12-05 10:00:00 status installed libgpg-error-dev:amd64 1.46-1": False,
    "EXECUTE ECONNREFUSEDX": False,  # an errno name is a word of its own
    # a level in lower case where the level goes: after the stamp or the line counter
    "12 silly install-scripts no package.json at prefix Could not read package.json: Error: ENOENT": False,
    "23 error code E404": True,
    "2026-12-05T10:00:00.000Z\tinfo\tserver/main.go:12\tconnection refused, retrying": False,  # zap
    "2026-12-05T10:00:00.000Z\terror\tserver/main.go:40\tpayment declined": True,
    "2026-12-05 10:00:00 warn: request failed, retrying": True,  # a warning's error words make it one
    "2026-12-05 10:00:00 http: TLS handshake error from 10.0.0.1:443": True,  # not a level: the words decide
    "2026-12-05 10:00:00 the info page failed to load": True,  # "info" not where a level goes
}


def test_lines_a_person_calls_errors():
    assert dict(zip(CASES, error_mask(pl.Series(list(CASES))).to_list(), strict=True)) == CASES
    assert {k: is_error_line(k)[0] for k in CASES} == CASES


def test_a_warning_that_carries_an_exception_is_not_an_error_by_that_alone():
    assert not is_error("WARN retrying | ValueError: x", "WARN retrying", "ValueError: x")
    assert is_error("retrying | ValueError: x", "retrying", "ValueError: x")
    # the level is read in the event's first line, not in its exception
    assert is_error("x | RuntimeError: INFO y", "x", "RuntimeError: INFO y")


def test_scan_tail_and_backfill_agree_on_one_file(tmp_path, _isolated_home):
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0) - dt.timedelta(hours=1)
    stamp = f"{now:%Y-%m-%dT%H:%M:%S}Z"
    body = [
        "Traceback (most recent call last):",  # an event of its own: no line before it to belong to
        '  File "x.py", line 1, in <module>',
        "KeyError: 3",
        f"{stamp} host systemd[1]: Failed to start nginx.service",
        f"{stamp} npm ERR! code E404",
        f"{stamp} debconf: unable to initialize frontend: Dialog",
        f"{stamp} INFO retry after error in worker",
        f"{stamp} WARN Failed to renew lease",
        f"{stamp} WARN retrying",  # logged with the exception below it: a warning, by its level
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in <module>',
        "KeyError: 4",
        f"{stamp} ERROR payment declined",
        f"{stamp} served GET / 200",
        f"{stamp} level=error msg=gone",
    ]
    log = tmp_path / "app.log"
    log.write_text("".join(x + "\n" for x in body))

    scanned = scan_paths([str(log)], errors_only=True)
    scan_n = sum(p["count"] for p in scanned["patterns"])

    src = TailSource([LogSpec("app", str(log))], "h1", from_start=True)
    src.start({})
    tail_msgs = [e["message"] for b in src.poll(now, final=True) for e in b.events]

    f, _ = backfill_one_log(tmp_path, "app", log)

    # backfill judges the first traceback an error too, and counts it apart: no time before it to store it at
    assert scan_n == len(tail_msgs) == f["events"] + f["untimed"] == 7, (scan_n, tail_msgs, f)
    assert not [m for m in tail_msgs if "retrying" in m or "INFO" in m or "served" in m]


@settings(max_examples=40, deadline=None)
@given(st.lists(events(), min_size=BATCH_JUDGE - 4, max_size=2 * BATCH_JUDGE))
def test_a_busy_poll_is_judged_as_one_column_with_the_same_answers(evs):
    """The live tail judges a poll of BATCH_JUDGE events or more as one Polars column."""
    got = judge([(*e, None) for e in evs])
    want = [is_error_event(*e) for e in evs]
    assert [ok for ok, _ in got] == [ok for ok, _ in want]
    assert [lv for ok, lv in got if ok] == [lv for ok, lv in want if ok]
