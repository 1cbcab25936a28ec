"""Services down in the dashboard's top bar: what the store says is down now (a real DuckDB file), the
collector writing a service going down or coming back up at once (a real TCP listener on loopback, opened
and closed), and the bar's words."""

from __future__ import annotations

import datetime as dt
import socket
import time

import polars as pl
from hypothesis import given, settings, strategies as st

from analytics.collect.loop import Collector
from analytics.config.settings import load_config
from analytics.dashboard.services_down import STALE, services_down
from analytics.sources.probes import ProbeSource, ProbeSpec

NOW = dt.datetime(2026, 12, 7, 12, 0)


def _probes(store, rows):
    """Store probe results: (component, probe, seconds before NOW, ok) each."""
    store.append(
        "probe_results",
        pl.DataFrame(
            {
                "ts": [NOW - dt.timedelta(seconds=s) for _, _, s, _ in rows],
                "host": "h",
                "component": [c for c, _, _, _ in rows],
                "probe": [p for _, p, _, _ in rows],
                "kind": "tcp",
                "target": [p for _, p, _, _ in rows],
                "ok": [ok for _, _, _, ok in rows],
            },
            schema_overrides={"ts": pl.Datetime("us")},
        ),
    )


def _counts(store, rows):
    """Store process counts: (component, seconds before NOW, count) each."""
    store.append(
        "metrics",
        pl.DataFrame(
            {
                "ts": [NOW - dt.timedelta(seconds=s) for _, s, _ in rows],
                "host": "h",
                "component": [c for c, _, _ in rows],
                "metric": "proc_count",
                "value": [float(n) for _, _, n in rows],
            },
            schema_overrides={"ts": pl.Datetime("us")},
        ),
    )


def _down(store, now=NOW, host="h"):
    with store.read() as con:
        return services_down(con, now, host)


def test_down_since_the_first_failure_after_the_last_good_reading(migrated, tmp_path):
    store = migrated(tmp_path / "db.duckdb")
    _probes(
        store,
        [
            ("db", "p", 300, False),  # an earlier outage, ended
            ("db", "p", 200, True),
            ("db", "p", 120, False),  # this one began here
            ("db", "p", 60, False),
            ("db", "p", 5, False),
            ("web", "p", 100, False),
            ("web", "p", 5, True),  # back up
            ("old", "p", STALE.total_seconds() + 60, False),  # no reading since: says nothing about now
        ],
    )
    _counts(store, [("worker", 90, 2), ("worker", 30, 0), ("worker", 5, 0), ("db", 200, 1), ("db", 100, 0)])
    assert _down(store) == (
        ("db", NOW - dt.timedelta(seconds=120)),  # its probe's outage began before its process count's
        ("worker", NOW - dt.timedelta(seconds=30)),
    )
    assert _down(store, host="other") == () and _down(store, host=None) == ()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=12))
def test_down_exactly_when_the_latest_reading_failed(migrated, tmp_path_factory, oks):
    store = migrated(tmp_path_factory.mktemp("down") / "db.duckdb")
    n = len(oks)
    _probes(store, [("c", "p", 10 * (n - i), ok) for i, ok in enumerate(oks)])
    got = _down(store)
    if oks[-1]:
        assert got == ()
    else:
        last_ok = max((i for i, ok in enumerate(oks) if ok), default=-1)
        assert got == (("c", NOW - dt.timedelta(seconds=10 * (n - last_ok - 1))),)


def _listen(port: int = 0) -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    return s


def test_the_collector_writes_a_service_going_down_and_back_up_at_once(migrated, tmp_path):
    """With the regular write an hour away, each turn reaches the store within seconds: down (a second
    time, too, when its error event is no new one), and back up (which has no error event at all)."""
    store = migrated(tmp_path / "db.duckdb")
    server = _listen()
    port = server.getsockname()[1]
    probes = ProbeSource([ProbeSpec("db", "tcp", f"127.0.0.1:{port}", timeout=2.0)], "h", interval=0.05)
    col = Collector(store, load_config(None), sources=[probes], hooks=(), flush_seconds=3600.0)
    col.event_flush_seconds = 0.0
    col.open()

    def shown_down(want: bool) -> bool:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            col.step()
            if bool(_down(store, dt.datetime.now(dt.UTC).replace(tzinfo=None))) == want:
                return True
            time.sleep(0.05)
        return False

    try:
        col.step(force=True)  # the first reading: up, written
        assert not _down(store, dt.datetime.now(dt.UTC).replace(tzinfo=None))
        for turn in range(2):
            server.close()
            assert shown_down(True), f"down {turn}"
            server = _listen(port)
            assert shown_down(False), f"back up {turn}"
    finally:
        col.close()
        server.close()
