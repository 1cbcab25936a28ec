"""Property test of the Loki source's exactly-once reading, over arbitrary histories.

A history interleaves: lines pushed (two hosts, colliding timestamps, some arriving late), the clock
moving, polls whose batches are written, polls whose batches are lost (the collector killed before its
flush), requests that fail (a page in the middle of a window), and restarts (a new source built from the
stored checkpoints only). The server is an in-memory
model of Loki's ``query_range`` (``[start, end)``, forward, ``limit`` entries, the server's clock in
``Date``), reached through the source's real HTTP-client interface. Whatever the history, after a final
catch-up every line is stored exactly once.
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from analytics.sources.fleet.client import FetchError, Response
from analytics.sources.fleet.loki import LokiSettings, LokiSource

NS = 1_000_000_000
BASE = 1_900_000_000 * NS  # far from the real clock: the source must go by the server's clock


class FakeLoki:
    slow_after = 10.0

    def __init__(self) -> None:
        self.clock = BASE
        self.entries: set[tuple[int, str, str]] = set()  # (ts, host, line)
        self.fail_in: int | None = None  # the query_range request (counting from 1) that fails next

    def get_json(self, path, params=None, *, timeout=None, retries=None) -> Response:
        now = time.time()
        if path.endswith("/labels"):
            data = {"status": "success", "data": ["host", "job"]}
        else:
            if self.fail_in is not None:
                self.fail_in -= 1
                if self.fail_in == 0:
                    self.fail_in = None
                    raise FetchError("5xx", "injected: HTTP 502", status=502)
            start, end, limit = int(params["start"]), int(params["end"]), int(params["limit"])
            assert params["direction"] == "forward"
            picked = sorted(e for e in self.entries if start <= e[0] < end)[:limit]
            streams: dict[str, list] = {}
            for ts, host, line in picked:
                streams.setdefault(host, []).append([str(ts), line])
            data = {
                "status": "success",
                "data": {
                    "resultType": "streams",
                    "result": [{"stream": {"job": "api", "host": h}, "values": v} for h, v in streams.items()],
                },
            }
        # Date has whole seconds; the source adds half a second back
        server_time = int(self.clock / NS) - 0.5 + (self.clock % NS) / NS
        return Response(data, 200, server_time, 0.001, 1, now, now)

    def close(self) -> None:
        pass


def make_source(server: FakeLoki, limit: int, checkpoints: dict[str, str]) -> LokiSource:
    s = LokiSettings.from_config(
        {
            "name": "logs",
            "url": "http://loki.test:3100",
            "lag": "1s",
            "overlap": "30s",
            "backfill": "1h",
            "max_window": "7s",
            "limit": limit,
            "max_backoff": 0,  # a failed poll is retried at the next one
            "queries": [{"query": '{job="api"} |= "ERROR"', "component": "api"}],
        }
    )
    src = LokiSource(s, client=server)
    src.start(dict(checkpoints))
    return src


op = st.one_of(
    st.tuples(st.just("push"), st.integers(0, 1), st.integers(0, 20_000), st.integers(0, 7)),  # host, ms back, burst
    st.tuples(st.just("tick"), st.integers(1, 9_000)),
    st.tuples(st.just("poll")),
    st.tuples(st.just("fail"), st.integers(1, 4)),  # the n-th page the source asks for next fails
    st.tuples(st.just("crash")),
    st.tuples(st.just("restart")),
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(op, min_size=1, max_size=40), st.integers(4, 12))
def test_every_line_stored_exactly_once(history, limit):
    server = FakeLoki()
    stored: list[tuple] = []
    checkpoints: dict[str, str] = {}
    src = make_source(server, limit, checkpoints)
    n = 0

    def write(batches) -> None:
        for b in batches:
            stored.extend((e["ts"], e["host"], e["message"]) for e in b.events)
            checkpoints.update(b.checkpoints)

    for step in history:
        kind = step[0]
        if kind == "push":
            _, host, ms_back, burst = step
            ts = server.clock - ms_back * 1_000_000
            for k in range(burst + 1):  # several lines at one instant (sometimes more than a page)
                n += 1
                server.entries.add((ts, f"web-{host + 1}", f"ERROR line {n} burst {k}"))
        elif kind == "tick":
            server.clock += step[1] * 1_000_000
        elif kind == "poll":
            write(src.poll(None))
        elif kind == "fail":
            server.fail_in = step[1]
        elif kind == "crash":
            src.poll(None)  # read, but the collector dies before its flush: nothing of it is stored
            src = make_source(server, limit, checkpoints)
        else:
            src = make_source(server, limit, checkpoints)

    server.clock += 12 * NS  # past the lag and the gap within which a line may still join an error
    server.fail_in = None  # the server answers again
    # the same source catches up (a restart would read again what it has in memory only)
    for _ in range(50):
        write(src.poll(None))
        if not src.has_more:
            break
    assert len(stored) == len(set(stored)), "a line was stored twice"
    t = json.loads(next(v for k, v in checkpoints.items() if k.startswith("q:")))["t"]
    from analytics.sources.fleet.loki import _ts

    expected = {(_ts(ts), host, line) for ts, host, line in server.entries if ts < t}
    assert set(stored) == expected
    assert t >= server.clock - 2 * NS


def test_editing_a_query_does_not_store_its_lines_again():
    server = FakeLoki()
    for i in range(30):
        server.entries.add((server.clock - (60 - i) * NS, "web-1", f"ERROR old {i}"))
    stored: list = []
    checkpoints: dict[str, str] = {}
    src = make_source(server, 10, checkpoints)
    for b in src.poll(None):
        stored.extend(e["message"] for e in b.events)
        checkpoints.update(b.checkpoints)
    assert len(stored) == 30
    server.clock += 3 * NS
    server.entries.add((server.clock - 2 * NS, "web-2", "ERROR new"))
    server.clock += 12 * NS  # past the lag and the gap within which a line may still join it
    # the user edits the query (a new checkpoint key); the old checkpoint is still stored
    s = LokiSettings.from_config(
        {
            "name": "logs",
            "url": "http://loki.test:3100",
            "lag": "1s",
            "overlap": "30s",
            "backfill": "1h",
            "limit": 10,
            "queries": [{"query": '{job="api"} |~ "ERROR|FATAL"', "component": "api"}],
        }
    )
    src = LokiSource(s, client=server)
    src.start(dict(checkpoints))
    for b in src.poll(None):
        stored.extend(e["message"] for e in b.events)
    assert sorted(stored) == sorted([f"ERROR old {i}" for i in range(30)] + ["ERROR new"])
