"""A request stamped with its start (Apache's ``%t``) and written when it ended: a long one that began
minutes before logrotate moved access.log to access.log.1 is the first line of the new access.log, stamped
in a minute access.log.1 also has. Backfill reads the two files one after the other and the store keeps a
minute's first row, so that minute must wait for the new file: counted once, whole, in its own minute --
as it is when the same lines are one file."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from collect_support import expected_minute, minute_metrics, write_config
from planted_host import access_line

from analytics.collect.backfill import backfill
from analytics.store.database import Store

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
ROTATED_AT = NOW.replace(second=0) - dt.timedelta(hours=1) + dt.timedelta(seconds=30)


def _requests(rng: random.Random) -> list[tuple[dt.datetime, int, float, str]]:
    """Six minutes of requests 5 s apart up to the rotation, then two minutes after it; the first line written
    after the rotation is a 200 s request stamped with its start, three minutes and ten seconds before."""
    out = []
    t = ROTATED_AT - dt.timedelta(minutes=6)
    while t < ROTATED_AT + dt.timedelta(minutes=2):
        out.append((t, 200, round(rng.uniform(0.01, 0.5), 3)))
        t += dt.timedelta(seconds=5)
    slow = (ROTATED_AT - dt.timedelta(minutes=3, seconds=10), 502, 200.0)
    lines = [(t, s, rt, access_line(t, s, rt, rng)) for t, s, rt in out]
    k = next(i for i, x in enumerate(lines) if x[0] >= ROTATED_AT)
    return lines[:k] + [(*slow, access_line(*slow, rng))] + lines[k:]


@pytest.mark.parametrize("layout", ["one file", "rotated"])
def test_a_long_request_written_after_the_rotation_counts_in_its_minute(migrated, tmp_path, layout):
    lines = _requests(random.Random(3))
    k = next(i for i in range(1, len(lines)) if lines[i][0] < lines[i - 1][0])  # the slow one, after the rotation
    d = tmp_path / "log"
    d.mkdir()
    text = ["".join(x[3] + "\n" for x in part) for part in (lines[:k], lines[k:])]
    if layout == "one file":
        (d / "access.log").write_text(text[0] + text[1])
    else:
        (d / "access.log.1").write_text(text[0])
        (d / "access.log").write_text(text[1])
    _, cfg = write_config(tmp_path, f'[general]\nhost = "h"\n[[components]]\nname = "web"\nlogs = ["{d}/access.log"]\n')
    db = tmp_path / "l.duckdb"
    backfill(migrated(db), cfg, now=NOW)
    minute = lines[k][0].replace(second=0)
    want = expected_minute(lines, minute)
    got = minute_metrics(db, minute)
    assert got["requests_per_min"] == want["requests_per_min"] == 13  # twelve, and the long one
    assert got["error_rate"] == pytest.approx(want["error_rate"]) and got["error_rate"] > 0
    assert got["response_time_ms"] == pytest.approx(want["response_time_ms"])
    # and every minute backfill wrote is whole: the lines read add up, each once (the last minute of
    # access.log is live tailing's)
    last = lines[-1][0].replace(second=0)
    total = Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'")
    assert total == sum(1 for x in lines if x[0].replace(second=0) != last)
    assert Store(db).scalar("SELECT count(*) FROM backfill_carry") == 0
