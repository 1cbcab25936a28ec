"""Stopping `lokifi collect --metrics-listen` while scrapes are under way: a SIGTERM during a burst of
scrapes aborted the collector every time (``terminate called after throwing an instance of ''``, exit
134), because a scrape's thread was still inside DuckDB when the process exited; a scrape that lost the
store as it closed printed a traceback. Now no scrape starts reading once the stop begins (it answers
503), the one reading finishes, and the collector exits 0 with nothing on stderr but its own lines."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import pytest
from loopback_support import free_port
from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from repo_paths import ROOT

from analytics.alerts import metrics_http
from analytics.store.errors import StoreError


def _scrape(url: str, out: list) -> None:
    try:
        with urllib.request.urlopen(url, timeout=20) as r:
            out.append(r.status)
    except urllib.error.HTTPError as exc:
        out.append(exc.code)
    except OSError:
        out.append(None)  # refused or hung up: the listener had stopped


def _burst(url: str, n: int) -> tuple[list, list[threading.Thread]]:
    got: list = []
    threads = [threading.Thread(target=_scrape, args=(url, got), daemon=True) for _ in range(n)]
    for t in threads:
        t.start()
    return got, threads


@pytest.mark.slow
def test_a_sigterm_during_a_burst_of_scrapes_stops_the_collector_cleanly(migrated, tmp_path):
    store = migrated(tmp_path / "l.duckdb")
    (tmp_path / "c.toml").write_text("")  # the defaults, and none of this user's settings
    for trial in range(3):
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(store.path), "--config",
             str(tmp_path / "c.toml"), "collect", "--metrics-listen", f"127.0.0.1:{port}", "--duration", "60"],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}/metrics"
            deadline = time.monotonic() + 30
            first: list = []
            while not first or first[-1] != 200:
                assert time.monotonic() < deadline and proc.poll() is None, "the listener did not answer"
                time.sleep(0.2)
                _scrape(url, first)
            got, threads = _burst(url, 24)
            time.sleep(0.3 + 0.2 * trial)  # scrapes queued and one inside the database
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for t in threads:
            t.join(20)
        assert proc.returncode == 0, err
        assert "terminate called" not in err and "Traceback" not in err, err
        assert set(got) <= {200, 503, None}


class _Slow:
    """A registry collector that takes a second, as a read of a large database may, and says whether
    one is under way."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0
        self.calls = 0
        self.lock = threading.Lock()

    def collect(self):
        with self.lock:
            self.calls += 1
            self.inside += 1
            self.most = max(self.most, self.inside)
        time.sleep(1.0)
        with self.lock:
            self.inside -= 1
        g = GaugeMetricFamily("lokifi_probe", "a figure")
        g.add_metric([], 1.0)
        yield g


def test_close_lets_the_read_under_way_finish_and_starts_no_other():
    slow = _Slow()
    registry = CollectorRegistry()
    registry.register(slow)
    server = metrics_http.start(registry, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
    got, threads = _burst(url, 6)
    deadline = time.monotonic() + 20
    while slow.inside == 0 and time.monotonic() < deadline:  # one read under way, the others queued behind it
        time.sleep(0.01)
    assert slow.inside == 1
    started = time.monotonic()
    assert server.close() is True
    assert slow.inside == 0  # no thread is left reading when close() returns
    assert time.monotonic() - started < 3.0  # the one read (1 s), not the queue's six (6 s)
    for t in threads:
        t.join(10)
    assert slow.most == 1 and slow.calls == 1  # the read under way, and no other after the stop began
    assert 200 in got and set(got) <= {200, 503, None}, got  # queued: 503, or hung up on a loaded machine


def test_a_scrape_that_comes_while_stopping_answers_503_without_reading():
    slow = _Slow()
    registry = CollectorRegistry()
    registry.register(slow)
    gate = metrics_http.Gate()
    app = metrics_http.metrics_app(registry, gate)
    said: list = []
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/metrics", "QUERY_STRING": ""}
    gate.stopping.set()
    body = b"".join(app(env, lambda status, headers: said.append(status)))
    assert said == ["503 Service Unavailable"] and body == metrics_http.STOPPING and slow.calls == 0


class _Busy:
    def collect(self):
        raise StoreError("/srv/l.duckdb: the database has been busy for 30s")
        yield


def test_a_database_that_cannot_be_read_answers_503_with_why_in_one_line(capfd, caplog):
    """Before, a scrape that met a busy or damaged database answered 500 and printed a 20-line traceback
    to the collector's stderr at every scrape."""
    registry = CollectorRegistry()
    registry.register(_Busy())
    server = metrics_http.start(registry, "127.0.0.1", 0)
    try:
        with pytest.raises(urllib.error.HTTPError) as got:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/metrics", timeout=10)
        assert got.value.code == 503 and b"busy for 30s" in got.value.read()
    finally:
        assert server.close()
    assert "Traceback" not in capfd.readouterr().err
    assert [r.getMessage() for r in caplog.records] == ["/metrics: /srv/l.duckdb: the database has been busy for 30s"]
