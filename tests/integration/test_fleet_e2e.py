"""End to end: ``lokifi collect`` against real Prometheus and Loki on loopback, two simulated hosts.

While the collector runs, a shipper pushes error lines for both hosts to Loki (keeping and re-sending
what Loki refuses while it is down, as Promtail does), Prometheus is restarted, Loki is restarted, and the
collector itself is killed with SIGKILL and started again. Afterwards the database must hold exactly
what the servers hold up to the stored checkpoints: every metric step and every error line, once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from pathlib import Path

import pytest
from exporter_server import Exporter
from loki_server import LokiServer, loki_truth
from prometheus_server import PrometheusServer, prom_truth, require_prometheus
from repo_paths import ROOT

from analytics.sources.fleet.status import read_statuses
from analytics.store.database import Store

pytestmark = [pytest.mark.servers, pytest.mark.slow]
NS = 1_000_000_000


class Shipper(threading.Thread):
    """Pushes an error line for each host every ``every`` seconds; keeps what fails and re-sends it."""

    def __init__(self, loki: LokiServer, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.loki = loki
        self.every = every
        self.stop_event = threading.Event()
        self.pending: list[tuple[str, int, str]] = []
        self.sent: list[tuple[str, int, str]] = []
        self.n = 0

    def run(self) -> None:
        while not self.stop_event.wait(self.every):
            self.n += 1
            for host in ("web-1", "web-2"):
                self.pending.append((host, time.time_ns(), f"ERROR upstream timeout #{self.n} on {host}"))
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        by_host: dict[str, list] = {}
        for host, ts, line in self.pending:
            by_host.setdefault(host, []).append((ts, line))
        try:
            self.loki.push([({"job": "api", "host": h}, v) for h, v in by_host.items()])
        except (urllib.error.URLError, ConnectionError, OSError):
            return  # Loki is down: keep them
        self.sent.extend(self.pending)
        self.pending = []


def lokifi(env: dict, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def start_collect(env: dict, log: Path) -> subprocess.Popen:
    out = open(log, "ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "lokifi_tui.cli.main", "collect", "--no-hooks"],
            env=env,
            stdout=out,
            stderr=out,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        out.close()


def wait_rows(store: Store, sql: str, n: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if (store.scalar(sql) or 0) >= n:
                return
        except Exception:  # noqa: BLE001 - the collector may hold the file for a moment
            pass
        time.sleep(0.3)
    raise AssertionError(f"not {n} rows within {timeout}s: {sql}")


def checkpoints(store: Store) -> dict[str, float]:
    """The smallest query checkpoint of each source (Prometheus: epoch s; Loki: epoch ns)."""
    out: dict[str, float] = {}
    try:
        rows = store.query("SELECT source, position FROM source_checkpoints WHERE key LIKE 'q:%'").iter_rows()
        for source, pos in rows:
            t = json.loads(pos)["t"]
            out[source] = min(out.get(source, t), t)
    except Exception:  # noqa: BLE001 - the collector may hold the file for a moment
        pass
    return out


def wait_for(pred, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout:g}s")


def test_collect_two_hosts_through_server_and_collector_restarts(tmp_path):
    require_prometheus()
    exporters = [Exporter("web-1").start(), Exporter("web-2", 5).start()]
    prom = PrometheusServer(tmp_path / "prom", exporters)
    (tmp_path / "loki").mkdir()
    loki = LokiServer(tmp_path / "loki")
    shipper = Shipper(loki)
    collector: subprocess.Popen | None = None
    db = tmp_path / "lokifi.duckdb"
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text(f"""
[collect]
flush_seconds = 0.5

[[sources]]
name = "prom"
type = "prometheus"
url = "{prom.url}"
step = "1s"
lag = "2s"
backfill = "1m"
interval = 0.5
max_backoff = 1
retries = 0
[[sources.queries]]
query = "lokifi_demo_cpu_percent"
component = "api"
metric = "cpu_percent"
[[sources.queries]]
query = "lokifi_demo_latency_ms"
component = "api"
metric = "latency_ms"

[[sources]]
name = "logs"
type = "loki"
url = "{loki.url}"
lag = "1s"
overlap = "30s"
backfill = "10m"
interval = 0.5
max_backoff = 1
retries = 0
[[sources.queries]]
query = '{{job="api"}} |= "ERROR"'
component = "api"
""")
    env = dict(os.environ, PYTHONPATH=str(ROOT), LOKIFI_DB=str(db), LOKIFI_CONFIG=str(cfg), NO_COLOR="1")
    log = tmp_path / "collect.log"
    store = Store(db)
    try:
        prom.start()
        loki.start()
        shipper.start()
        prom.wait_for_samples(2)
        collector = start_collect(env, log)
        wait_rows(store, "SELECT count(*) FROM metrics WHERE source = 'prometheus:prom'", 8)
        wait_rows(store, "SELECT count(*) FROM error_events WHERE source = 'loki:logs'", 4)

        prom.restart()
        time.sleep(1.5)
        loki.stop()
        time.sleep(1.5)  # the collector sees Loki down; the shipper keeps its lines
        loki.start()
        time.sleep(1.5)
        collector.send_signal(signal.SIGKILL)  # no chance to flush what it holds
        collector.wait(10)
        killed_at = time.time()
        collector = start_collect(env, log)
        # the new collector is pulling both sources again (startup can be slow on a loaded machine)
        wait_for(
            lambda: all((h.last_success or 0) > killed_at and h.state == "up" for h in read_statuses(store).values()),
            90,
            "both sources up after the restart",
        )
        shipper.stop_event.set()
        shipper.join(5)
        shipper.flush()
        last_line = max(ts for _, ts, _ in shipper.sent)
        # ...and has read past the last line shipped and past the last scrape
        wait_for(
            lambda: (
                checkpoints(store).get("logs", 0) > last_line and checkpoints(store).get("prom", 0) * NS > last_line
            ),
            60,
            "checkpoints past the last data",
        )
        collector.send_signal(signal.SIGTERM)
        assert collector.wait(30) == 0, log.read_text()[-2000:]
        collector = None

        # `lokifi sources` says both are up, with both hosts
        r = lokifi(env, "sources", "status", "--json")
        assert r.returncode == 0, r.stderr
        st = {s["name"]: s for s in json.loads(r.stdout)["sources"]}
        assert st["prom"]["state"] == "up" and st["prom"]["hosts"] == ["web-1", "web-2"], st["prom"]
        assert st["logs"]["state"] == "up" and st["logs"]["hosts"] == ["web-1", "web-2"], st["logs"]

        cps = {
            (s, json.loads(p)["t"])
            for s, k, p in store.query(
                "SELECT source, key, position FROM source_checkpoints WHERE key LIKE 'q:%'"
            ).iter_rows()
        }
        prom_until = min(t for s, t in cps if s == "prom")
        logs_until = min(t for s, t in cps if s == "logs")

        # metrics: every step Prometheus answers, for both hosts, exactly once
        for query, metric in (("lokifi_demo_cpu_percent", "cpu_percent"), ("lokifi_demo_latency_ms", "latency_ms")):
            df = store.query(
                "SELECT host, epoch_ms(ts) / 1000.0 AS t, value FROM metrics "
                "WHERE source = 'prometheus:prom' AND metric = ?",
                [metric],
            )
            mine = {(h, round(t, 3)): v for h, t, v in df.iter_rows()}
            assert len(mine) == df.height, f"{metric}: duplicates"
            start = min(t for _, t in mine)
            truth = prom_truth(prom.url, query, start, prom_until, 1.0)
            mine = {k: v for k, v in mine.items() if k[1] <= prom_until}
            assert set(mine) == set(truth), f"{metric}: missing {sorted(set(truth) - set(mine))[:4]}"
            assert {h for h, _ in mine} == {"web-1", "web-2"}
            for k, v in truth.items():
                assert mine[k] == pytest.approx(v)

        # error lines: every line shipped before the checkpoint, exactly once (also those sent late)
        mine = sorted(
            store.query("SELECT epoch_us(ts), host, message FROM error_events WHERE source = 'loki:logs'").iter_rows()
        )
        assert len(mine) == len(set(mine)), "duplicate error lines"
        truth = sorted(
            (ts // 1000, h, line) for ts, h, line in loki_truth(loki.url, '{job="api"} |= "ERROR"', 0, logs_until)
        )
        shipped = sorted((ts // 1000, h, line) for h, ts, line in shipper.sent if ts < logs_until)
        assert truth == shipped  # the server has what was shipped
        assert mine == truth, f"missing {sorted(set(truth) - set(mine))[:3]}"
        assert {h for _, h, _ in mine} == {"web-1", "web-2"}
        assert len(mine) >= 20
    finally:
        if collector is not None and collector.poll() is None:
            collector.kill()
            collector.wait(10)
        shipper.stop_event.set()
        prom.stop()
        loki.stop()
        for e in exporters:
            e.stop()
