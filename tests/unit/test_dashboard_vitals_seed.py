"""The top bar's sparklines are seeded from the vitals the collector stored, under the names the vitals
source writes them (cpu_percent, memory_percent, load1, disk_percent@/), on this real host and in the demo."""

from __future__ import annotations

import datetime as dt
import socket

import polars as pl

from analytics.dashboard.view import load_dashboard
from analytics.sources.vital_names import CPU_PERCENT, HOST_COMPONENT, LOAD1, MEMORY_PERCENT, ROOT_MOUNT, disk_percent
from analytics.sources.vitals import VitalsSource
from analytics.store.metrics import append_metrics

NOW = dt.datetime(2026, 3, 2, 12, 0)


def test_stored_real_vitals_seed_the_top_bar(store):
    host = socket.gethostname()
    src = VitalsSource(host, [])
    rows = []
    for minutes_ago in (3, 2, 1):  # three real samples of this machine, a minute apart
        for batch in src.poll(NOW - dt.timedelta(minutes=minutes_ago)):
            rows.extend(batch.metrics)
    assert append_metrics(store, pl.DataFrame(rows))
    stored = {(r["metric"], r["ts"]): r["value"] for r in rows}

    vitals = load_dashboard(store, now=NOW, config=None).vitals  # no config: this machine's host name

    expected = {"cpu": CPU_PERCENT, "mem": MEMORY_PERCENT, "load": LOAD1}
    if any(d.mount == ROOT_MOUNT for d in src.latest.disks):  # "/" is skipped when it is an overlay or tmpfs
        expected["disk"] = disk_percent(ROOT_MOUNT)
    assert set(vitals) == set(expected)
    for key, metric in expected.items():
        assert vitals[key] == tuple(stored[(metric, NOW - dt.timedelta(minutes=m))] for m in (3, 2, 1)), key


def test_another_hosts_vitals_do_not_seed_it(store):
    src = VitalsSource("elsewhere.example", [])
    assert append_metrics(store, pl.DataFrame(src.poll(NOW - dt.timedelta(minutes=1))[0].metrics))
    assert load_dashboard(store, now=NOW, config=None).vitals == {}


def test_the_demo_writes_its_vitals_under_the_same_names():
    from analytics.demo.data import generate_metrics

    host_metrics = set(generate_metrics(NOW).filter(pl.col("component") == HOST_COMPONENT)["metric"].unique())
    assert {CPU_PERCENT, MEMORY_PERCENT, LOAD1, disk_percent(ROOT_MOUNT)} <= host_metrics
