"""A minute cut by a rotation: logrotate moved app.log to app.log.1 in the middle of a minute, so the
minute's first requests are the end of app.log.1 and its last ones the start of the new app.log. Backfill
reads the files one after the other (and the store keeps the first row of a (ts, host, component, metric)),
so it must count the minute over both files: every request once, the mean response time over all of them
(from sums and counts), also when it is run again or was stopped between the two files."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

import pytest
from collect_support import expected_minute as _expected, minute_metrics as _minute, tail_once, write_config
from hypothesis import HealthCheck, given, settings, strategies as st
from planted_host import access_line

from analytics.collect.backfill import backfill
from analytics.store.database import Store

pytestmark = pytest.mark.slow  # measured: 17 s in all

NOW = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
#: a whole minute an hour ago: the one the rotation cuts (the default 7-day window holds it)
CUT = NOW.replace(second=0) - dt.timedelta(hours=1)


def _lines(rng: random.Random) -> list[tuple[dt.datetime, int, float, str]]:
    """Four minutes of requests, 5 s apart, with their status and request time (s)."""
    out = []
    t = CUT - dt.timedelta(minutes=2)
    while t < CUT + dt.timedelta(minutes=2):
        status = 502 if rng.random() < 0.2 else 200
        rt = round(rng.uniform(0.01, 0.9), 3)
        out.append((t, status, rt, access_line(t, status, rt, rng)))
        t += dt.timedelta(seconds=5)
    return out


def _write(d: Path, rotated: list[str], current: list[str] | None) -> Path:
    d.mkdir(parents=True, exist_ok=True)
    (d / "app.log.1").write_text("".join(x + "\n" for x in rotated))
    if current is not None:
        (d / "app.log").write_text("".join(x + "\n" for x in current))
    return d / "app.log"


def _config(tmp: Path, log: Path):
    _, cfg = write_config(tmp, f'[general]\nhost = "h"\n[[components]]\nname = "web"\nlogs = ["{log}"]\n')
    return cfg


def _all(db: Path) -> list[tuple]:
    rows = Store(db).query("SELECT ts, metric, value FROM metrics ORDER BY ts, metric")
    return [(t, m, round(v, 9)) for t, m, v in rows.iter_rows()]


def _hourly(db: Path) -> list[tuple]:
    rows = Store(db).query("SELECT hour, metric, n, sum FROM metrics_hourly ORDER BY hour, metric")
    return [(h, m, n, round(s, 6)) for h, m, n, s in rows.iter_rows()]


@pytest.mark.parametrize("current", [True, False], ids=["then-app.log", "app.log-gone"])
def test_a_minute_cut_by_a_rotation_counts_every_request_once(migrated, tmp_path, current):
    lines = _lines(random.Random(4))
    cut = next(i for i, (t, *_) in enumerate(lines) if t >= CUT + dt.timedelta(seconds=32))
    assert lines[cut - 1][0].replace(second=0) == CUT == lines[cut][0].replace(second=0)  # both sides
    log = _write(tmp_path / "log", [x[3] for x in lines[:cut]], [x[3] for x in lines[cut:]] if current else None)
    cfg = _config(tmp_path, log)
    db = tmp_path / "l.duckdb"
    backfill(migrated(db), cfg, now=NOW)
    want = _expected(lines if current else lines[:cut], CUT)
    got = _minute(db, CUT)
    assert got["requests_per_min"] == want["requests_per_min"] == (12 if current else 7)
    assert got["error_rate"] == pytest.approx(want["error_rate"])
    assert got["response_time_ms"] == pytest.approx(want["response_time_ms"])
    # every other minute whole as well; app.log's last minute is handed to the tail, which reads it whole
    for m in (CUT - dt.timedelta(minutes=2), CUT - dt.timedelta(minutes=1)):
        assert _minute(db, m)["requests_per_min"] == 12
    last = CUT + dt.timedelta(minutes=1)
    assert _minute(db, last) == {}  # (without app.log, no line is in it)
    before, hourly = _all(db), _hourly(db)
    again = backfill(Store(db), cfg, now=NOW)
    assert again.metric_rows == 0
    assert _all(db) == before and _hourly(db) == hourly
    assert Store(db).scalar("SELECT count(*) FROM backfill_carry") == 0
    if current:
        tail_once(db, cfg, log, "web", NOW)
        assert _minute(db, last)["requests_per_min"] == 12
    # requests_per_min adds up to the lines read, each once
    total = Store(db).scalar("SELECT sum(value) FROM metrics WHERE metric = 'requests_per_min'")
    assert total == (len(lines) if current else cut)


def test_stopped_between_the_two_files_the_minute_is_still_whole(migrated, tmp_path):
    """The rotated file's record is written, then the run stops: the rerun skips that file, and the part
    of the minute it held is still counted with the new file's part."""
    lines = _lines(random.Random(9))
    cut = next(i for i, (t, *_) in enumerate(lines) if t >= CUT + dt.timedelta(seconds=17))
    log = _write(tmp_path / "log", [x[3] for x in lines[:cut]], [x[3] for x in lines[cut:]])
    cfg = _config(tmp_path, log)

    class Stop(Exception):
        pass

    def stop_in_the_new_file(done, total, path):
        if path.endswith("app.log"):
            raise Stop

    once, twice = tmp_path / "once.duckdb", tmp_path / "twice.duckdb"
    backfill(migrated(once), cfg, now=NOW)
    with pytest.raises(Stop):
        backfill(migrated(twice), cfg, now=NOW, progress=stop_in_the_new_file)
    assert Store(twice).scalar("SELECT count(*) FROM backfill_files") == 1
    backfill(Store(twice), cfg, now=NOW)
    assert _minute(twice, CUT)["requests_per_min"] == _expected(lines, CUT)["requests_per_min"] == 12
    assert _minute(twice, CUT)["response_time_ms"] == pytest.approx(_expected(lines, CUT)["response_time_ms"])
    assert _all(twice) == _all(once) and _hourly(twice) == _hourly(once)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(
        st.tuples(st.integers(0, 40), st.sampled_from([200, 200, 404, 502]), st.integers(1, 900)),
        min_size=1,
        max_size=40,
    ),
    split=st.floats(0, 1),
)
def test_any_split_of_a_log_into_two_files_gives_the_same_minutes(migrated, steps, split):
    """The same lines, once in one file and once cut anywhere into app.log.1 and app.log: the same
    per-minute metrics once backfill and then the tail (the minute backfill handed over) have read them."""
    rng = random.Random(1)
    t, lines = CUT - dt.timedelta(minutes=10), []
    for gap, status, ms in steps:
        t += dt.timedelta(seconds=gap)
        lines.append(access_line(t, status, ms / 1000, rng))
    k = round(split * len(lines))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        whole = root / "whole"
        whole.mkdir()
        (whole / "app.log").write_text("".join(x + "\n" for x in lines))
        split_log = _write(root / "split", lines[:k], lines[k:])
        for name, log in (("whole", whole / "app.log"), ("split", split_log)):
            (root / name / "cfg").mkdir()
            cfg = _config(root / name / "cfg", log)
            backfill(migrated(root / f"{name}.duckdb"), cfg, now=NOW)
            tail_once(root / f"{name}.duckdb", cfg, log, "web", NOW)  # the minute(s) handed to the tail
        assert _all(root / "split.duckdb") == _all(root / "whole.duckdb")
        assert _hourly(root / "split.duckdb") == _hourly(root / "whole.duckdb")
