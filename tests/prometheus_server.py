"""Debian's ``prometheus`` binary on loopback for the fleet-source tests: a temp config that scrapes the
exporters (:mod:`exporter_server`) every second, a temp TSDB directory that survives
:meth:`PrometheusServer.restart`, a bounded wait for ``/-/ready`` and a teardown that always kills it; and
the ground truth of a query straight from it."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
import urllib.parse
from pathlib import Path

from exporter_server import Exporter
from loopback_support import free_port, http_get, start_server, stop_process, wait_until


def prometheus_binary() -> str | None:
    return os.environ.get("LOKIFI_TEST_PROMETHEUS_BIN") or shutil.which("prometheus")


class PrometheusServer:
    """The real Prometheus on a free loopback port, scraping ``exporters`` every second."""

    def __init__(self, workdir: Path, exporters: list[Exporter], scrape_interval: str = "1s") -> None:
        self.binary = prometheus_binary()
        if not self.binary:
            raise RuntimeError("prometheus is not installed (apt-get install prometheus)")
        self.workdir = Path(workdir)
        self.data = self.workdir / "tsdb"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config = self.workdir / "prometheus.yml"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        jobs = []
        for e in exporters:
            jobs.append(f"      - targets: ['{e.target}']\n        labels:\n          host: '{e.host}'\n")
        self.config.write_text(
            "global:\n"
            f"  scrape_interval: {scrape_interval}\n"
            f"  scrape_timeout: {scrape_interval}\n"
            "scrape_configs:\n"
            "  - job_name: 'demo'\n"
            "    static_configs:\n" + "".join(jobs)
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PrometheusServer:
        cmd = [
            self.binary,
            f"--config.file={self.config}",
            f"--storage.tsdb.path={self.data}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1d",
            "--query.lookback-delta=5m",
            "--log.level=warn",
        ]
        self.proc = start_server(cmd, self.workdir / "prometheus.log", self.url + "/-/ready", "prometheus")
        return self

    def wait_for_samples(self, n_series: int, timeout: float = 30.0, settled: float = 0.0) -> None:
        """Until ``n_series`` series have samples at or before ``now - settled`` (what a pull with that lag sees)."""

        def have() -> bool:
            t = time.time() - settled
            q = urllib.parse.urlencode(
                {"query": "lokifi_demo_cpu_percent", "start": f"{t - 60:.3f}", "end": f"{t:.3f}", "step": "1"}
            )
            code, body = http_get(f"{self.url}/api/v1/query_range?{q}")
            return code == 200 and len(json.loads(body)["data"]["result"]) >= n_series

        wait_until(have, timeout, f"{n_series} scraped series in prometheus")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.workdir / "prometheus.log").read_text(errors="replace")[-2000:]
        return ""


def require_prometheus() -> None:
    """Skip when Prometheus is not installed — except in CI, where it must be (``.ci/run`` installs it)."""
    import pytest

    if prometheus_binary():
        return
    if os.environ.get("CI"):
        pytest.fail("prometheus is not installed: .ci/run must `apt-get install -y prometheus`")
    pytest.skip("prometheus is not installed (apt-get install prometheus)")


def prom_truth(url: str, query: str, start: float, end: float, step: float) -> dict[tuple[str, float], float]:
    """{(host, epoch_ts): value} straight from Prometheus, chunked below its 11,000-point limit."""
    out: dict[tuple[str, float], float] = {}
    t = start
    while t <= end:
        c_end = min(end, t + 5000 * step)
        q = urllib.parse.urlencode({"query": query, "start": f"{t:.3f}", "end": f"{c_end:.3f}", "step": f"{step:g}"})
        code, body = http_get(f"{url}/api/v1/query_range?{q}", 10)
        assert code == 200, body[:300]
        for series in json.loads(body)["data"]["result"]:
            host = series["metric"].get("host") or series["metric"].get("instance")
            for ts, v in series["values"]:
                out[(host, round(float(ts), 3))] = float(v)
        t = c_end + step
    return out
