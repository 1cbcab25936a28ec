"""The minute where backfill hands over to live tailing: some of its requests are in the current file
when backfill runs, the rest are appended afterwards and read by the collector's tail. The store keeps the
first row of a (ts, host, component, metric), so that minute must be written by one reader over all of its
lines — requests_per_min counts every one of them and the mean response time is over all of them."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

import pytest
from collect_support import expected_minute as _expected, minute_metrics as _minute, tail_once, write_config
from planted_host import access_line

from analytics.collect.backfill import backfill
from analytics.sources.tail import LogSpec, TailSource
from analytics.store.database import Store

pytestmark = pytest.mark.slow  # measured: 4 s in all

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
#: the minute backfill hands over in: a whole minute an hour ago (inside the default 7-day window)
HAND = NOW.replace(second=0) - dt.timedelta(hours=1)


def _line(t: dt.datetime, status: int, rt: float, rng: random.Random) -> tuple[dt.datetime, int, float, str]:
    return t, status, rt, access_line(t, status, rt, rng)


def _append(log: Path, lines) -> None:
    with open(log, "a") as f:
        f.write("".join(x[3] + "\n" for x in lines))


@pytest.fixture
def setup(migrated, tmp_path):
    rng = random.Random(5)
    d = tmp_path / "log"
    d.mkdir()
    log = d / "app.log"
    # two whole minutes before the hand-over minute, a request every 10 s
    before = [_line(HAND - dt.timedelta(seconds=s), 200, 0.05, rng) for s in range(120, 0, -10)]
    # the hand-over minute: 3 requests at backfill time (fast), 3 appended after it (slow, one 502)
    present = [_line(HAND + dt.timedelta(seconds=s), 200, 0.1, rng) for s in (2, 11, 20)]
    later = [_line(HAND + dt.timedelta(seconds=s), st, 0.7, rng) for s, st in ((31, 200), (40, 502), (55, 200))]
    # and a request of the next minute, which closes the hand-over minute for the tail
    closing = [_line(HAND + dt.timedelta(seconds=64), 200, 0.2, rng)]
    _append(log, before + present)
    _, cfg = write_config(tmp_path, f'[general]\nhost = "h"\n[[components]]\nname = "web"\nlogs = ["{log}"]\n')
    return migrated(tmp_path / "l.duckdb").path, cfg, log, before, present, later, closing


def test_the_hand_over_minute_counts_the_lines_backfill_and_the_tail_read(setup):
    db, cfg, log, before, present, later, closing = setup
    report = backfill(Store(db), cfg, now=NOW)
    # the report says where the rest went (it read 12 of the file's 15 lines)
    [f] = report.files
    assert (f.kind, f.lines) == ("access", 12) and f.note.startswith("its last minute (3 lines) is read by")
    for k in (1, 2):
        m = HAND - dt.timedelta(minutes=k)
        assert _minute(db, m)["requests_per_min"] == _expected(before, m)["requests_per_min"] == 6
    # the tail's checkpoint is where the hand-over minute begins: the line after the earlier minutes
    cp = Store(db).scalar("SELECT position FROM source_checkpoints WHERE source = 'tail' AND key = ?", [str(log)])
    start = sum(len(x[3]) + 1 for x in before)
    assert json.loads(cp)["cur"]["offset"] == json.loads(cp)["cur"]["start"] == start

    _append(log, later + closing)
    tail_once(db, cfg, log, "web", NOW)
    want, got = _expected(present + later, HAND), _minute(db, HAND)
    assert got["requests_per_min"] == want["requests_per_min"] == 6
    assert got["error_rate"] == pytest.approx(want["error_rate"]) == pytest.approx(1 / 6)
    assert got["response_time_ms"] == pytest.approx(want["response_time_ms"]) == pytest.approx(400)
    # every line once: the minute after (closed by the last poll: it ended long ago) and nothing twice
    assert _minute(db, HAND + dt.timedelta(minutes=1))["requests_per_min"] == 1
    total = Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'")
    assert total == len(before + present + later + closing)

    # a second backfill reads nothing (the file up to the hand-over was read, the rest is the tail's)
    again = backfill(Store(db), cfg, now=NOW)
    assert again.metric_rows == 0 and again.lines == 0
    assert Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'") == total


def test_a_backfill_run_again_before_the_tail_hands_over_at_the_same_line(setup):
    """Backfill run twice before the collector ever ran (and the log grew meanwhile): the second run
    writes nothing and keeps the checkpoint where the first one put it, so the tail still reads the
    hand-over minute whole."""
    db, cfg, log, _, present, later, closing = setup
    backfill(Store(db), cfg, now=NOW)
    cp = Store(db).scalar("SELECT position FROM source_checkpoints WHERE source = 'tail' AND key = ?", [str(log)])
    _append(log, later)
    again = backfill(Store(db), cfg, now=NOW)
    assert again.metric_rows == 0
    assert (
        Store(db).scalar("SELECT position FROM source_checkpoints WHERE source = 'tail' AND key = ?", [str(log)]) == cp
    )
    _append(log, closing)
    tail_once(db, cfg, log, "web", NOW)
    assert _minute(db, HAND)["requests_per_min"] == 6
    assert _minute(db, HAND)["response_time_ms"] == pytest.approx(_expected(present + later, HAND)["response_time_ms"])


def _collector_run(db: Path, cfg, log: Path, at: dt.datetime, *, from_start: bool = False) -> None:
    """A collector that tails only ``log``, with its clock at ``at``: opened, one poll, stopped (its last
    poll and write)."""
    from analytics.collect.loop import Collector

    col = Collector(
        Store(db),
        cfg,
        sources=[TailSource([LogSpec("web", str(log))], "h", from_start=from_start)],
        hooks=(),
        clock=lambda: at,
    )
    col.open()
    try:
        col.poll_source(col.sources[0], at)
    finally:
        col.close()


def test_the_minute_the_collector_stopped_in_is_read_whole_after_the_restart(migrated, tmp_path):
    """The collector stops (its last poll) while a minute is still going: that minute is not written as
    it is; the stored position stays at its first line, and the restarted collector reads it whole."""
    rng = random.Random(6)
    log = tmp_path / "app.log"
    present = [_line(HAND + dt.timedelta(seconds=s), 200, 0.1, rng) for s in (2, 11, 20)]
    later = [_line(HAND + dt.timedelta(seconds=s), st, 0.7, rng) for s, st in ((31, 200), (40, 502), (55, 200))]
    _append(log, present)
    _, cfg = write_config(tmp_path, f'[general]\nhost = "h"\n[[components]]\nname = "web"\nlogs = ["{log}"]\n')
    db = migrated(tmp_path / "l.duckdb").path
    _collector_run(db, cfg, log, HAND + dt.timedelta(seconds=25), from_start=True)
    assert _minute(db, HAND) == {}  # stopped 25 s into the minute: it may still grow
    cp = Store(db).scalar("SELECT position FROM source_checkpoints WHERE source = 'tail' AND key = ?", [str(log)])
    assert json.loads(cp)["cur"]["offset"] == 0
    _append(log, later)
    _collector_run(db, cfg, log, HAND + dt.timedelta(minutes=3))  # the restart, after the minute ended
    got, want = _minute(db, HAND), _expected(present + later, HAND)
    assert got["requests_per_min"] == want["requests_per_min"] == 6
    assert got["error_rate"] == pytest.approx(want["error_rate"])
    assert got["response_time_ms"] == pytest.approx(want["response_time_ms"])


def test_a_collector_started_before_backfill_reads_the_current_minute_whole(setup):
    """The collector starts first (the dashboard's collector while `lokifi backfill` is still to run):
    its tail's first open, without a checkpoint, starts at the first line of the access log's last minute,
    not at the end of the file in the middle of it; backfill then reads exactly up to there. So the minute
    is the tail's alone, with the lines appended after both started, and every line is counted once."""
    from analytics.collect.loop import Collector

    db, cfg, log, before, present, later, closing = setup
    src = TailSource([LogSpec("web", str(log))], "h")
    clock = [HAND + dt.timedelta(seconds=25)]
    col = Collector(Store(db), cfg, sources=[src], hooks=(), clock=lambda: clock[0])
    col.open()
    try:
        col.poll_source(src, clock[0])  # its first poll: the minute's 3 requests so far
        col.flush()
        start = sum(len(x[3]) + 1 for x in before)  # the hand-over minute's first line
        cp = Store(db).scalar("SELECT position FROM source_checkpoints WHERE source = 'tail' AND key = ?", [str(log)])
        assert json.loads(cp)["cur"]["start"] == json.loads(cp)["cur"]["offset"] == start
        assert _minute(db, HAND) == {}  # still going

        _append(log, later)  # more requests of the minute, then backfill runs
        first = backfill(Store(db), cfg, now=NOW)
        assert first.lines == len(before)  # up to the tail's start, not beyond
        for k in (1, 2):
            m = HAND - dt.timedelta(minutes=k)
            assert _minute(db, m)["requests_per_min"] == _expected(before, m)["requests_per_min"] == 6
        assert _minute(db, HAND) == {}

        _append(log, closing)
        clock[0] = HAND + dt.timedelta(minutes=3)
        col.poll_source(src, clock[0])
    finally:
        col.close()
    want, got = _expected(present + later, HAND), _minute(db, HAND)
    assert got["requests_per_min"] == want["requests_per_min"] == 6
    assert got["error_rate"] == pytest.approx(want["error_rate"]) == pytest.approx(1 / 6)
    assert got["response_time_ms"] == pytest.approx(want["response_time_ms"]) == pytest.approx(400)
    total = Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'")
    assert total == len(before + present + later + closing)  # every line once

    again = backfill(Store(db), cfg, now=NOW)
    assert again.metric_rows == 0 and again.lines == 0
    assert Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'") == total


def test_a_file_rotated_before_the_tail_read_its_end_is_read_by_the_next_backfill(setup):
    """Backfill, then the log grows and is rotated before any collector ran, then backfill again: the
    rotated file's end (the hand-over minute and what was appended) was the tail's, and the second
    backfill gave the tail the new file, so nobody read it. The second backfill reads it; the tail,
    told so, reads nothing twice; every request is counted once."""
    db, cfg, log, before, present, later, closing = setup
    backfill(Store(db), cfg, now=NOW)
    _append(log, later + closing)
    log.rename(log.with_name("app.log.1"))
    rng = random.Random(9)
    new = [_line(HAND + dt.timedelta(minutes=3, seconds=s), 200, 0.1, rng) for s in (5, 15, 65)]
    _append(log, new)
    second = backfill(Store(db), cfg, now=NOW)
    rotated = next(f for f in second.files if f.path.endswith("app.log.1"))
    assert rotated.kind == "access" and rotated.note.startswith("its end, which live tailing had not read")
    got = _minute(db, HAND)
    assert got["requests_per_min"] == 6 and got["response_time_ms"] == pytest.approx(400)
    tail_once(db, cfg, log, "web", NOW + dt.timedelta(minutes=10))
    total = Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'")
    assert total == len(before + present + later + closing + new)
    third = backfill(Store(db), cfg, now=NOW)
    assert third.lines == 0 and third.metric_rows == 0


def test_with_a_collector_running_the_rotated_file_is_its_tails(setup):
    """The same rotation with a collector running: its tail, ahead of its stored checkpoint by up to a
    flush, drains the rotated file itself and then reads the new one from its first byte, so backfill
    leaves both alone."""
    from analytics.collect.writer_lock import WriterLock

    db, cfg, log, _before, _present, later, closing = setup
    backfill(Store(db), cfg, now=NOW)
    _append(log, later + closing)
    log.rename(log.with_name("app.log.1"))
    _append(log, [_line(HAND + dt.timedelta(minutes=3, seconds=5), 200, 0.1, random.Random(1))])
    lock = WriterLock(db)
    assert lock.acquire()
    try:
        second = backfill(Store(db), cfg, now=NOW)
    finally:
        lock.release()
    rotated = next(f for f in second.files if f.path.endswith("app.log.1"))
    assert rotated.kind == "skipped" and rotated.note == "already read (the rest was live tailing's)"
    current = next(f for f in second.files if f.path.endswith("app.log"))
    assert current.kind == "skipped" and current.note.startswith("live tailing reads it")
    assert second.lines == 0  # nothing read twice: the tail reads both


def test_a_late_request_of_the_minute_before_the_hand_over_is_counted_once(setup):
    """A server that stamps a request with its start writes a slow request of the minute before the
    hand-over after the first lines of the hand-over minute. The tail counts no line stamped before the
    first one it reads, so backfill counts it, in its own minute, with the lines of that minute."""
    db, cfg, log, before, present, later, closing = setup
    slow = [_line(HAND - dt.timedelta(seconds=5), 200, 2.0, random.Random(7))]
    _append(log, slow)
    report = backfill(Store(db), cfg, now=NOW)
    [f] = report.files
    assert f.lines == len(before) + 1  # the lines backfill took: the minutes before, and the late one
    prev = HAND - dt.timedelta(minutes=1)
    got, want = _minute(db, prev), _expected(before + slow, prev)
    assert got["requests_per_min"] == want["requests_per_min"] == 7
    assert got["response_time_ms"] == pytest.approx(want["response_time_ms"])
    _append(log, later + closing)
    tail_once(db, cfg, log, "web", NOW)
    assert _minute(db, HAND)["requests_per_min"] == 6
    total = Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'")
    assert total == len(before + present + slow + later + closing)  # every line once
    again = backfill(Store(db), cfg, now=NOW)
    assert again.metric_rows == 0 and again.lines == 0


def test_with_the_collector_first_a_late_request_before_its_start_is_backfills(setup):
    """The same late request when the collector's tail started first, at the first line of the minute it
    reads whole: backfill, reading up to the tail's start, also counts the late request after it."""
    from analytics.collect.loop import Collector

    db, cfg, log, before, present, later, closing = setup
    src = TailSource([LogSpec("web", str(log))], "h")
    clock = [HAND + dt.timedelta(seconds=25)]
    slow = [_line(HAND - dt.timedelta(seconds=5), 200, 2.0, random.Random(8))]
    col = Collector(Store(db), cfg, sources=[src], hooks=(), clock=lambda: clock[0])
    col.open()
    try:
        col.poll_source(src, clock[0])
        col.flush()
        _append(log, slow + later)
        backfill(Store(db), cfg, now=NOW)
        _append(log, closing)
        clock[0] = HAND + dt.timedelta(minutes=3)
        col.poll_source(src, clock[0])
    finally:
        col.close()
    prev = HAND - dt.timedelta(minutes=1)
    assert _minute(db, prev)["requests_per_min"] == 7
    assert _minute(db, prev)["response_time_ms"] == pytest.approx(_expected(before + slow, prev)["response_time_ms"])
    assert _minute(db, HAND)["requests_per_min"] == 6
    total = Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'")
    assert total == len(before + present + slow + later + closing)
