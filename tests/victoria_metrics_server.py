"""Debian's ``victoria-metrics`` on loopback, scraping the exporters like :class:`PrometheusServer` and
answering the same query API."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from exporter_server import Exporter
from loopback_support import STARTUP_TIMEOUT, http_get, wait_until
from prometheus_server import PrometheusServer


def victoria_metrics_binary() -> str | None:
    return shutil.which("victoria-metrics") or shutil.which("victoria-metrics-prod")


class VictoriaMetricsServer(PrometheusServer):
    """VictoriaMetrics (Debian's victoria-metrics) on a free loopback port, scraping ``exporters`` every
    second with the same scrape config; it answers the same query API as Prometheus."""

    def __init__(self, workdir: Path, exporters: list[Exporter], scrape_interval: str = "1s") -> None:
        super().__init__(workdir, exporters, scrape_interval)
        self.binary = victoria_metrics_binary()
        if not self.binary:
            raise RuntimeError("victoria-metrics is not installed (apt-get install victoria-metrics)")

    def start(self) -> VictoriaMetricsServer:
        log = open(self.workdir / "prometheus.log", "ab")
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"-promscrape.config={self.config}",
                f"-storageDataPath={self.data}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                "-retentionPeriod=1d",
                "-search.latencyOffset=1s",
                "-loggerLevel=ERROR",
            ],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"victoria-metrics exited: {self.log_tail()}")
            return http_get(self.url + "/health", 1.0)[0] == 200

        wait_until(ready, STARTUP_TIMEOUT, "victoria-metrics ready")
        return self
