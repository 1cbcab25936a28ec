"""The Prometheus source against VictoriaMetrics (Debian's victoria-metrics, on loopback), which speaks the
same query API: two hosts pulled exactly -- every stored row equals the server's own answer."""

from __future__ import annotations

import time

import pytest
from exporter_server import Exporter
from fleet_puller import Puller
from test_fleet_prometheus import assert_exact, source_cfg
from victoria_metrics_server import VictoriaMetricsServer, victoria_metrics_binary

pytestmark = [pytest.mark.servers, pytest.mark.slow]  # measured: 13 s in all


@pytest.fixture(scope="module")
def vm(tmp_path_factory):
    if not victoria_metrics_binary():
        pytest.skip("victoria-metrics is not installed (apt-get install victoria-metrics)")
    d = tmp_path_factory.mktemp("vm")
    exporters = [Exporter("web-1").start(), Exporter("web-2", 5).start()]
    v = VictoriaMetricsServer(d, exporters)
    try:
        v.start()
        v.wait_for_samples(2, timeout=60.0, settled=3.0)
        yield v
    finally:
        v.stop()
        for e in exporters:
            e.stop()


def test_pulls_two_hosts_exactly_from_victoria_metrics(migrated, vm, tmp_path):
    store = migrated(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(vm.url, name="vm"))
    try:
        h = pl.pull()
        assert h.state == "up", h.message
        assert h.hosts == ["web-1", "web-2"]
        time.sleep(1.5)
        assert pl.pull().state == "up"
    finally:
        pl.close()
    assert assert_exact(store, vm.url, "vm", time.time() - 600) >= 4
