"""Debian's ``victoria-metrics`` on loopback, scraping the exporters like :class:`PrometheusServer` and
answering the same query API."""

from __future__ import annotations

import shutil
from pathlib import Path

from exporter_server import Exporter
from loopback_support import start_server
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
        cmd = [
            self.binary,
            f"-promscrape.config={self.config}",
            f"-storageDataPath={self.data}",
            f"-httpListenAddr=127.0.0.1:{self.port}",
            "-retentionPeriod=1d",
            "-search.latencyOffset=1s",
            "-loggerLevel=ERROR",
        ]
        self.proc = start_server(cmd, self.workdir / "prometheus.log", self.url + "/health", "victoria-metrics")
        return self
