"""Live tailing of an access log whose server stamps a request with its start (Apache's ``%t``): a slow
request's line is written after lines of later minutes, stamped in its own. The tail counts it in that
minute (held for a grace after it ends), never in the minute open when the line is read; and
``collect_once(now=...)`` judges what is settled by ``now`` to its end, its last write included."""

from __future__ import annotations

import datetime as dt
import json
import random

from collect_support import expected_minute, minute_metrics, tail_once, write_config
from planted_host import access_line

from analytics.sources.access_log import SETTLED, MinuteAggregator
from analytics.sources.tail import LogSpec, TailSource
from analytics.store.database import Store

T0 = dt.datetime(2026, 12, 1, 10, 0, 0)


def _line(t: dt.datetime, status: int, rt: float, rng: random.Random):
    return t, status, rt, access_line(t, status, rt, rng)


def _requests(rng: random.Random):
    """Written in the order a server that stamps each request with its start writes them: at its end."""
    m0 = [_line(T0 + dt.timedelta(seconds=s), 200, 0.1, rng) for s in (5, 20, 40)]
    m1 = [_line(T0 + dt.timedelta(seconds=s), 200, 0.2, rng) for s in (62, 70, 90)]
    slow = _line(T0 + dt.timedelta(seconds=50), 504, 30.0, rng)  # began in minute 0, ended at 01:20
    m2 = [_line(T0 + dt.timedelta(seconds=s), 200, 0.1, rng) for s in (125, 150)]
    slow1 = _line(T0 + dt.timedelta(seconds=105), 200, 40.0, rng)  # began in minute 1, ended at 02:25
    m3 = [_line(T0 + dt.timedelta(seconds=s), 200, 0.1, rng) for s in (185,)]
    written = m0 + m1[:2] + [slow] + m1[2:] + m2[:1] + [slow1] + m2[1:] + m3
    return written, m0 + [slow], m1 + [slow1]


def test_a_late_stamped_line_is_counted_in_its_own_minute():
    written, minute0, minute1 = _requests(random.Random(1))
    agg = MinuteAggregator("h", "web")
    rows = [r for i, (_, _, _, text) in enumerate(written) for r in agg.feed(text, i)]
    got: dict[dt.datetime, dict[str, float]] = {}
    for r in rows:
        got.setdefault(r["ts"], {})[r["metric"]] = r["value"]
    # minute 0 and minute 1 settled (lines stamped two minutes after their starts were read); 2 and 3 held
    assert sorted(got) == [T0, T0 + dt.timedelta(minutes=1)]
    assert got[T0] == expected_minute(minute0, T0)
    assert got[T0]["requests_per_min"] == 4 and got[T0]["error_rate"] == 0.25
    assert got[T0 + dt.timedelta(minutes=1)] == expected_minute(minute1, T0 + dt.timedelta(minutes=1))
    assert agg.held_from == written.index(next(x for x in written if x[0] >= T0 + dt.timedelta(minutes=2)))
    assert agg.late == 0


def test_a_line_later_than_the_grace_is_not_added_to_another_minute():
    rng = random.Random(2)
    agg = MinuteAggregator("h", "web")
    agg.feed(_line(T0 + dt.timedelta(seconds=10), 200, 0.1, rng)[3], 0)
    out = agg.feed(_line(T0 + SETTLED + dt.timedelta(seconds=1), 200, 0.1, rng)[3], 1)  # minute 0 written
    assert {r["ts"] for r in out} == {T0}
    # a request of minute 0 that took three minutes: its minute is written, and it is no other minute's
    assert agg.feed(_line(T0 + dt.timedelta(seconds=30), 200, 180.0, rng)[3], 2) == []
    assert agg.late == 1
    rows = agg.flush()
    assert {r["ts"]: r["value"] for r in rows if r["metric"] == "requests_per_min"} == {T0 + SETTLED: 1.0}


def test_the_tail_writes_late_stamped_lines_into_their_minute(migrated, tmp_path):
    """Through the collector: the tail of a real file, written to a real database, and read again by a
    second run from the checkpoint the first one left (at the first line of the minutes still held)."""
    written, minute0, minute1 = _requests(random.Random(3))
    log = tmp_path / "access.log"
    log.write_text("".join(x[3] + "\n" for x in written[:7]))  # up to minute 1's last line
    _, cfg = write_config(tmp_path, f'[general]\nhost = "h"\n[[components]]\nname = "web"\nlogs = ["{log}"]\n')
    db = tmp_path / "l.duckdb"
    src = TailSource([LogSpec("web", str(log))], "h", from_start=True)
    from analytics.collect.loop import collect_once

    collect_once(migrated(db), cfg, now=T0 + dt.timedelta(minutes=2, seconds=30), sources=[src])
    # by 02:30 minute 0 settled (with the slow request read after minute 1's lines); minute 1 has not (one
    # of its requests is still running), also when the collector closes
    assert minute_metrics(db, T0) == expected_minute(minute0, T0)
    assert minute_metrics(db, T0 + dt.timedelta(minutes=1)) == {}
    cp = json.loads(Store(db).scalar("SELECT position FROM source_checkpoints WHERE key = ?", [str(log)]))
    assert cp["cur"]["offset"] == sum(len(x[3]) + 1 for x in written[:3])  # minute 1's first line

    with open(log, "a") as f:
        f.write("".join(x[3] + "\n" for x in written[7:]))
    tail_once(db, cfg, log, "web", T0 + dt.timedelta(minutes=10))
    assert minute_metrics(db, T0 + dt.timedelta(minutes=1)) == expected_minute(minute1, T0 + dt.timedelta(minutes=1))
    total = Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'")
    assert total == len(written)
