"""The Prometheus source against the real Prometheus on loopback, scraping two simulated hosts.

Every pull goes through the real collector write path (``Collector`` → ``Store.submit``), and what is
stored is compared with what Prometheus itself answers for the same steps: nothing lost, nothing twice.
"""

from __future__ import annotations

import time

import pytest
from exporter_server import Exporter
from fault_proxy import FaultProxy
from fleet_puller import Puller
from prometheus_server import PrometheusServer, prom_truth, require_prometheus

from analytics.store.database import Store

pytestmark = [pytest.mark.servers, pytest.mark.slow]  # measured: 29 s in all

CPU = "lokifi_demo_cpu_percent"
LAT = "lokifi_demo_latency_ms"


def source_cfg(url: str, name: str = "prom", **kw) -> dict:
    d = {
        "name": name,
        "type": "prometheus",
        "url": url,
        "step": "1s",
        "lag": "2s",
        "backfill": "2m",
        "interval": 0.2,
        "max_backoff": 0,
        "retries": 1,
        "timeout": 5,
        "queries": [
            {"query": CPU, "component": "api", "metric": "cpu_percent"},
            {"query": LAT, "component": "api", "metric": "latency_ms"},
        ],
    }
    d.update(kw)
    return d


def stored(store: Store, name: str, metric: str) -> tuple[dict, int]:
    df = store.query(
        "SELECT host, epoch_ms(ts) / 1000.0 AS t, value FROM metrics WHERE source = ? AND metric = ?",
        [f"prometheus:{name}", metric],
    )
    rows = {(h, round(t, 3)): v for h, t, v in df.iter_rows()}
    return rows, df.height


def checkpoint_t(store: Store, name: str) -> float:
    import json

    df = store.query("SELECT position FROM source_checkpoints WHERE source = ? AND key LIKE 'q:%'", [name])
    return min(json.loads(p)["t"] for (p,) in df.iter_rows())


def assert_exact(store: Store, url: str, name: str, since: float) -> int:
    """Stored rows == Prometheus' own answer for every step from ``since`` to the checkpoint."""
    until = checkpoint_t(store, name)
    since = float(int(since))  # the source's steps sit on the whole-second grid (step = 1 s)
    total = 0
    for query, metric in ((CPU, "cpu_percent"), (LAT, "latency_ms")):
        rows, n = stored(store, name, metric)
        assert n == len(rows), f"{metric}: {n - len(rows)} duplicate rows"
        truth = prom_truth(url, query, since, until, 1.0)
        mine = {k: v for k, v in rows.items() if since <= k[1] <= until}
        assert set(mine) == set(truth), (
            f"{metric}: missing {sorted(set(truth) - set(mine))[:5]}, extra {sorted(set(mine) - set(truth))[:5]}"
        )
        for k, v in truth.items():
            assert mine[k] == pytest.approx(v), k
        total += len(mine)
    return total


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    require_prometheus()
    d = tmp_path_factory.mktemp("prom")
    exporters = [Exporter("web-1").start(), Exporter("web-2", 5).start()]
    p = PrometheusServer(d, exporters)
    try:
        p.start()
        p.wait_for_samples(2, settled=3.0)  # both hosts visible to a pull with a 2 s lag
        yield p
    finally:
        p.stop()
        for e in exporters:
            e.stop()


def test_pulls_two_hosts_exactly(migrated, prom, tmp_path):
    store = migrated(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(prom.url))
    try:
        h = pl.pull()
        assert h.state == "up", h.message
        assert h.hosts == ["web-1", "web-2"]
        time.sleep(1.5)
        assert pl.pull().state == "up"
    finally:
        pl.close()
    hosts = store.query("SELECT DISTINCT host FROM metrics WHERE source = 'prometheus:prom' ORDER BY 1")[
        "host"
    ].to_list()
    assert hosts == ["web-1", "web-2"]
    assert assert_exact(store, prom.url, "prom", time.time() - 600) >= 4  # 2 hosts x 2 metrics, at least
    # the status went to the store with the rows
    from analytics.sources.fleet.status import fleet_summary, read_statuses

    st = read_statuses(store)["prom"]
    assert st.state == "up" and st.hosts == ["web-1", "web-2"] and st.data_until is not None
    from analytics.common.clock import utcnow

    assert fleet_summary(store, utcnow())["hosts"] == 2


def test_chunks_below_the_point_limit(migrated, prom, tmp_path):
    """4 h at a 1 s step is 14,401 points: Prometheus refuses that in one query; chunks of 7 also agree."""
    store = migrated(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(prom.url, backfill="4h"))
    try:
        h = pl.pull()
    finally:
        pl.close()
    assert h.state == "up", h.message
    assert assert_exact(store, prom.url, "prom", time.time() - 5 * 3600) >= 4

    store2 = migrated(tmp_path / "db2.duckdb")
    counter = FaultProxy(prom.url).start()  # passes everything through; counts the requests
    pl = Puller(store2, source_cfg(counter.url, name="small", max_points=7, backfill="40s"))
    try:
        h = pl.pull()
    finally:
        pl.close()
        counter.stop()
    assert h.state == "up", h.message
    assert counter.requests >= 1 + 2 * 6  # time(), then 41 steps in chunks of 7 for each of two queries
    assert assert_exact(store2, prom.url, "small", time.time() - 600) >= 4


def test_bad_query_is_reported_and_others_still_pulled(migrated, prom, tmp_path):
    store = migrated(tmp_path / "db.duckdb")
    cfg = source_cfg(prom.url)
    cfg["queries"].append(
        {"query": "sum(rate(lokifi_demo_requests_total[5s]) by (host", "component": "api", "metric": "rps"}
    )
    pl = Puller(store, cfg)
    try:
        h = pl.pull()
    finally:
        pl.close()
    assert h.state == "4xx"
    assert "parse error" in h.message and "lokifi_demo_requests_total" in h.message
    assert store.scalar("SELECT count(*) FROM metrics WHERE metric = 'cpu_percent'") > 0


def test_faults_then_recovery_lose_and_repeat_nothing(migrated, prom, tmp_path):
    proxy = FaultProxy(prom.url).start()
    store = migrated(tmp_path / "db.duckdb")
    pl = Puller(store, source_cfg(proxy.url, timeout=1))
    try:
        assert pl.pull().state == "up"
        seen = {}
        for mode, kw, expect in (
            ("down", {}, "down"),
            ("status", {"status_code": 503}, "5xx"),
            ("status", {"status_code": 401}, "4xx"),
            ("slow", {"delay": 2.5}, "slow"),
            ("cut", {}, "partial"),
        ):
            proxy.set(mode, **kw)
            time.sleep(0.3)
            h = pl.pull()
            seen[mode + str(kw.get("status_code", ""))] = (h.state, h.message)
            assert h.state == expect, (mode, h.state, h.message)
            assert h.failures >= 1 and h.message
        assert "auth" in seen["status401"][1]
        proxy.set("ok")
        time.sleep(0.5)
        h = pl.pull()
        assert h.state == "up" and h.failures == 0
    finally:
        pl.close()
        proxy.stop()
    assert assert_exact(store, prom.url, "prom", time.time() - 600) >= 4
    # the stored status says what happened last, in words
    from analytics.sources.fleet.status import read_statuses

    assert read_statuses(store)["prom"].state == "up"


def test_restart_of_prometheus_and_of_the_collector(migrated, prom, tmp_path):
    """Prometheus stopped and started on the same TSDB, then a new collector from the stored checkpoints.

    (Last in this module: it restarts the shared server.)"""
    p = prom
    store = migrated(tmp_path / "db.duckdb")
    a = Puller(store, source_cfg(p.url))
    try:
        assert a.pull().state == "up"
        p.stop()
        h = a.pull()
        assert h.state == "down", h.message
        from analytics.sources.fleet.status import read_statuses

        assert read_statuses(store)["prom"].state == "down"
        time.sleep(1.0)
        p.start()
        time.sleep(1.0)
        assert a.pull().state == "up"
    finally:
        a.close()
    time.sleep(2.0)
    b = Puller(store, source_cfg(p.url))  # a new collector process: its state comes only from the store
    try:
        assert b.pull().state == "up"
    finally:
        b.close()
    assert assert_exact(store, p.url, "prom", time.time() - 600) >= 4


def test_partial_answers_are_retried_then_accepted(migrated, prom, tmp_path):
    """Prometheus ``warnings`` (a partial result): keep what came, ask again; accept after partial_retries."""
    import json

    proxy = FaultProxy(prom.url).start()
    store = migrated(tmp_path / "db.duckdb")
    cfg = source_cfg(proxy.url, partial_retries=2)
    cfg["queries"] = cfg["queries"][:1]
    pl = Puller(store, cfg)
    try:
        proxy.set("warn")
        h = pl.pull()
        assert h.state == "partial" and "remote store" in h.message
        assert store.scalar("SELECT count(*) FROM source_checkpoints WHERE key LIKE 'q:%'") == 0  # not moved
        assert store.scalar("SELECT count(DISTINCT host) FROM metrics") == 1  # what came is kept
        proxy.set("ok")
        time.sleep(0.3)
        assert pl.pull().state == "up"  # the same window again, now whole: the missing host arrives
        assert store.scalar("SELECT count(DISTINCT host) FROM metrics") == 2
        proxy.set("warn")
        for _ in range(3):
            time.sleep(0.3)
            h = pl.pull()
        assert h.state == "partial"  # accepted after two retries: the checkpoint moves on, and it is said
        t = json.loads(store.scalar("SELECT position FROM source_checkpoints WHERE key LIKE 'q:%'"))["t"]
        assert t >= time.time() - 5
    finally:
        pl.close()
        proxy.stop()
    rows, n = stored(store, "prom", "cpu_percent")
    assert n == len(rows)  # nothing twice, though windows were read more than once
