"""The Loki source against a Loki on loopback, fed through the push API, for two simulated hosts.

The server is the stand-in in ``loki_server.py``, a loopback server speaking Loki's HTTP API (Grafana
Loki is AGPL and is not run here). Each test uses its own ``job`` label, so tests share one server without seeing each
other's lines. What is stored is compared with what the server itself returns: nothing lost, nothing twice.
"""

from __future__ import annotations

import json
import time
import urllib.error
import uuid

import pytest
from fault_proxy import FaultProxy
from fleet_puller import Puller
from loki_server import LokiServer, loki_source, loki_truth

from analytics.store.database import Store

pytestmark = pytest.mark.servers
NS = 1_000_000_000


def job() -> str:
    return f"api-{uuid.uuid4().hex[:8]}"


def source_cfg(url: str, job_name: str, name: str = "logs", **kw) -> dict:
    return loki_source(url, f'{{job="{job_name}"}} |= "ERROR"', name=name, **kw)


def push_lines(srv: LokiServer, job_name: str, lines: list[tuple[str, int, str]]) -> None:
    """[(host, ts_ns, line)] pushed as one stream per host."""
    by_host: dict[str, list[tuple[int, str]]] = {}
    for host, ts, line in lines:
        by_host.setdefault(host, []).append((ts, line))
    srv.push([({"job": job_name, "host": h}, v) for h, v in by_host.items()])


def stored(store: Store, name: str = "logs") -> list[tuple[int, str, str]]:
    df = store.query(
        "SELECT epoch_us(ts) AS t, host, message FROM error_events WHERE source = ? ORDER BY 1, 2, 3", [f"loki:{name}"]
    )
    return [tuple(r) for r in df.iter_rows()]


def checkpoint_t(store: Store, name: str = "logs") -> int:
    df = store.query("SELECT position FROM source_checkpoints WHERE source = ? AND key LIKE 'q:%'", [name])
    return min(json.loads(p)["t"] for (p,) in df.iter_rows())


def assert_exact(store: Store, srv: LokiServer, job_name: str, name: str = "logs") -> int:
    """Stored error lines == every line the server matches before the checkpoint, each exactly once."""
    mine = stored(store, name)
    assert len(mine) == len(set(mine)), "duplicate rows"
    truth = loki_truth(srv.url, f'{{job="{job_name}"}} |= "ERROR"', 0, checkpoint_t(store, name))
    expect = sorted((ts // 1000, host, line) for ts, host, line in truth)
    assert mine == expect, f"missing {sorted(set(expect) - set(mine))[:3]}, extra {sorted(set(mine) - set(expect))[:3]}"
    return len(mine)


def now_ns() -> int:
    return time.time_ns()


def test_error_lines_from_two_hosts(loki, tmp_path):
    j = job()
    t = now_ns() - 20 * NS
    push_lines(
        loki,
        j,
        [
            ("web-1", t, "ERROR Connection refused on port 3000"),
            ("web-1", t + 1000, "INFO all good"),
            ("web-2", t + 2000, "ERROR timeout after 30s talking to db:5432"),
            ("web-2", t + 3000, 'level=ERROR msg="\x1b[31m[bold]hostile[/bold]"'),
        ],
    )
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(loki.url, j))
    try:
        h = pl.pull()
        assert h.state == "up", h.message
        assert h.hosts == ["web-1", "web-2"]
        assert pl.pull().state == "up"  # a second pull re-reads the overlap and adds nothing
    finally:
        pl.close()
    assert assert_exact(store, loki, j) == 3
    rows = store.query("SELECT host, component, level, message FROM error_events ORDER BY ts").to_dicts()
    assert rows[0] == {
        "host": "web-1",
        "component": "api",
        "level": "ERROR",
        "message": "ERROR Connection refused on port 3000",
    }
    assert rows[2]["message"].startswith("level=ERROR")  # stored as it came; the views make it inert


@pytest.mark.slow
def test_pages_through_more_lines_than_the_limit(loki, tmp_path):
    j = job()
    t = now_ns() - 30 * NS
    lines = [("web-1" if i % 2 else "web-2", t + i * 1_000_000, f"ERROR item {i}") for i in range(23)]
    lines += [("web-1", t + 50_000_000, f"ERROR same instant {k}") for k in range(4)]  # four at one timestamp
    push_lines(loki, j, lines)
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(loki.url, j, limit=5))
    try:
        assert pl.pull().state == "up"
    finally:
        pl.close()
    assert assert_exact(store, loki, j) == 27


def test_more_lines_at_one_instant_than_the_page(loki, tmp_path):
    """Seven lines in one nanosecond with pages of five: paging by time cannot pass them; all are read."""
    j = job()
    t = now_ns() - 30 * NS
    push_lines(loki, j, [("web-1", t, f"ERROR burst {k}") for k in range(7)] + [("web-1", t + NS, "ERROR after")])
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(loki.url, j, limit=5))
    try:
        h = pl.pull()
    finally:
        pl.close()
    assert h.state == "up" and h.message == ""
    assert assert_exact(store, loki, j) == 8


@pytest.mark.parametrize(("mode", "kw", "expect"), [("status", {"status_code": 502}, "5xx"), ("down", {}, "down")])
def test_a_later_page_failing_loses_none_of_the_pages_before_it(loki, tmp_path, mode, kw, expect):
    """Pages of five, and the window's second page fails (the server then answers again): the first page's
    lines are stored with the checkpoint right after them, the rest are read by the next pull; each once."""
    j = job()
    t = now_ns() - 30 * NS
    push_lines(loki, j, [("web-1", t + i * 1_000_000, f"ERROR item {i}") for i in range(12)])
    proxy = FaultProxy(loki.url).start()
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(proxy.url, j, limit=5, timeout=1))
    try:
        proxy.set(mode, ok_first=2, **kw)  # the server's clock, then the first page: answered
        assert pl.pull().state == expect
        assert 4 <= len(stored(store)) <= 5  # the first page (its last line may be held for its context)
        assert checkpoint_t(store) <= t + 4 * 1_000_000
        proxy.set("ok")
        assert pl.pull().state == "up"
        assert pl.pull().state == "up"
    finally:
        pl.close()
        proxy.stop()
    assert assert_exact(store, loki, j) == 12


def test_late_lines_inside_the_overlap_are_stored_once(loki, tmp_path):
    j = job()
    store = Store(tmp_path / "db.duckdb")
    push_lines(loki, j, [("web-1", now_ns() - 5 * NS, "ERROR first")])
    pl = Puller(store, source_cfg(loki.url, j))
    try:
        assert pl.pull().state == "up"
        # a shipper that was cut off delivers an old line late (older than the checkpoint, inside the overlap)
        push_lines(loki, j, [("web-2", checkpoint_t(store) - 10 * NS, "ERROR late but real")])
        assert pl.pull().state == "up"
        assert pl.pull().state == "up"
    finally:
        pl.close()
    msgs = sorted(m for _, _, m in stored(store))
    assert msgs == ["ERROR first", "ERROR late but real"]


@pytest.mark.slow
def test_restart_of_loki_and_of_the_collector(loki, tmp_path):
    j = job()
    store = Store(tmp_path / "db.duckdb")
    push_lines(
        loki,
        j,
        [("web-1", now_ns() - 3 * NS, "ERROR before the restart"), ("web-2", now_ns() - 2 * NS, "ERROR also before")],
    )
    a = Puller(store, source_cfg(loki.url, j))
    try:
        assert a.pull().state == "up"
        loki.stop()
        buffered = [
            ("web-1", now_ns(), "ERROR while loki was down"),
            ("web-2", now_ns() + 1, "ERROR same moment, other host"),
        ]
        with pytest.raises((urllib.error.URLError, ConnectionError)):
            push_lines(loki, j, buffered)  # the shipper keeps them and retries
        h = a.pull()
        assert h.state == "down", h.message
        loki.start()
        push_lines(loki, j, buffered)
        time.sleep(1.2)
        assert a.pull().state == "up"
    finally:
        a.close()
    push_lines(loki, j, [("web-1", now_ns(), "ERROR after the restart")])
    time.sleep(1.2)
    b = Puller(store, source_cfg(loki.url, j))  # a new collector: it knows only what the store says
    try:
        assert b.pull().state == "up"
        assert b.pull().state == "up"
    finally:
        b.close()
    assert assert_exact(store, loki, j) == 5


@pytest.mark.slow
def test_faults_then_recovery_lose_and_repeat_nothing(loki, tmp_path):
    j = job()
    proxy = FaultProxy(loki.url).start()
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(proxy.url, j, timeout=1))
    try:
        for n, (mode, kw, expect) in enumerate(
            (
                ("ok", {}, "up"),
                ("down", {}, "down"),
                ("status", {"status_code": 502}, "5xx"),
                ("status", {"status_code": 403}, "4xx"),
                ("slow", {"delay": 2.5}, "slow"),
                ("cut", {}, "partial"),
                ("ok", {}, "up"),
            ),
            start=1,
        ):
            push_lines(loki, j, [(f"web-{n % 2 + 1}", now_ns(), f"ERROR during {mode} {n}")])
            proxy.set(mode, **kw)
            time.sleep(0.3)
            h = pl.pull()
            assert h.state == expect, (mode, h.state, h.message)
        time.sleep(1.2)
        assert pl.pull().state == "up"
    finally:
        pl.close()
        proxy.stop()
    assert assert_exact(store, loki, j) == 7


@pytest.mark.slow
def test_clock_skew_is_reported_and_loses_nothing(loki, tmp_path):
    j = job()
    proxy = FaultProxy(loki.url).start()
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(proxy.url, j))
    try:
        push_lines(loki, j, [("web-1", now_ns() - 200 * NS, "ERROR old enough for a slow clock")])
        proxy.set("skew", skew=-120.0)  # the server's clock is two minutes behind ours
        h = pl.pull()
        assert h.state == "up"
        assert "120s behind" in h.skew_note()
        # the window ends on the server's clock: a line stamped "now" is not read yet, nor checkpointed past
        push_lines(loki, j, [("web-2", now_ns() - 2 * NS, "ERROR recent")])
        pl.pull()
        assert checkpoint_t(store) < now_ns() - 100 * NS
        assert [m for _, _, m in stored(store)] == ["ERROR old enough for a slow clock"]
        proxy.set("skew", skew=0.0)
        assert pl.pull().state == "up" and pl.src.health.skew_note() == ""
    finally:
        pl.close()
        proxy.stop()
    assert assert_exact(store, loki, j) == 2
    from analytics.sources.fleet.status import read_statuses

    assert read_statuses(store)["logs"].skew_s == 0.0
