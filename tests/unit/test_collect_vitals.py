"""Host vitals and process stats with psutil, on this machine and a real child process."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

import pytest

from analytics.sources.vitals import ProcessSpec, VitalsSnapshot, VitalsSource

NOW = dt.datetime(2026, 11, 21, 12, 0, 0)
MARK = "lokifi-test-child-7f3a"


def spawn(tag: str = MARK) -> subprocess.Popen:
    # A child that uses some memory and a few threads, recognisable by its command line.
    code = (
        "import threading, time, sys\n"
        "buf = bytearray(20 * 1024 * 1024)\n"
        "for _ in range(3): threading.Thread(target=time.sleep, args=(600,), daemon=True).start()\n"
        "time.sleep(600)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code, tag])


@pytest.fixture
def child():
    p = spawn()
    time.sleep(0.3)
    yield p
    p.kill()
    p.wait()


def metrics(batches):
    return {(m["component"], m["metric"]): m["value"] for b in batches for m in b.metrics}


def test_host_vitals_sample(child):
    src = VitalsSource("h1", [])
    batches = src.poll(NOW)
    snap = src.latest
    assert isinstance(snap, VitalsSnapshot)
    assert 0 <= snap.cpu_percent <= 100 and len(snap.cpu_per_core) >= 1
    assert snap.memory_total > 0 and 0 < snap.memory_percent < 100
    assert snap.disks, "at least one mounted filesystem"
    m = metrics(batches)
    for key in ("cpu_percent", "memory_percent", "load1", "swap_percent", "net_sent_bps"):
        assert ("host", key) in m
    assert ("host", f"disk_percent@{snap.disks[0].mount}") in m
    with pytest.raises(AttributeError):
        snap.cpu_percent = 1.0  # frozen: safe to hand to the UI thread


def test_child_process_stats_by_cmdline(child):
    src = VitalsSource("h1", [ProcessSpec("worker", cmdline=MARK)])
    src.poll(NOW)
    c = src.latest.component("worker")
    assert c.count == 1 and c.pids == (child.pid,)
    assert c.rss_bytes > 20 * 1024 * 1024
    assert c.threads >= 4
    assert c.open_fds >= 3
    m = metrics(src.poll(NOW))
    assert m[("worker", "proc_count")] == 1
    assert m[("worker", "proc_rss_bytes")] > 20 * 1024 * 1024


def test_pid_file(child, tmp_path):
    pidfile = tmp_path / "w.pid"
    pidfile.write_text(f"{child.pid}\n")
    src = VitalsSource("h1", [ProcessSpec("worker", pidfile=str(pidfile))])
    src.poll(NOW)
    assert src.latest.component("worker").pids == (child.pid,)
    assert src.scans == 0  # a pid file needs no process-table scan


def test_restart_is_counted_and_exit_is_an_error_event(tmp_path):
    first = spawn()
    time.sleep(0.3)
    src = VitalsSource("h1", [ProcessSpec("worker", cmdline=MARK)], missing_rescan_every=0.0)
    try:
        src.poll(NOW)
        assert src.latest.component("worker").count == 1
        first.kill()
        first.wait()
        batches = src.poll(NOW)
        assert src.latest.component("worker").count == 0
        events = [e for b in batches for e in b.events]
        assert len(events) == 1 and "is not running" in events[0]["message"]
        second = spawn()
        time.sleep(0.3)
        m = metrics(src.poll(NOW))
        assert src.latest.component("worker").restarts == 1
        assert m[("worker", "proc_restarts")] == 1
        assert metrics(src.poll(NOW))[("worker", "proc_restarts")] == 0  # counted once
    finally:
        for p in (first, locals().get("second")):
            if p is not None:
                p.kill()
                p.wait()


def test_process_table_is_scanned_only_when_needed(child):
    src = VitalsSource("h1", [ProcessSpec("worker", cmdline=MARK)], rescan_every=3600)
    for _ in range(5):
        src.poll(NOW)
    assert src.scans == 1


def test_name_match_is_exact(child):
    src = VitalsSource("h1", [ProcessSpec("py", name="pytho")])
    src.poll(NOW)
    assert src.latest.component("py").count == 0


def test_first_sample_waits_its_cpu_window_from_the_callers_earlier_reading(monkeypatch):
    """`lokifi status` reads the host's CPU before it loads the config and passes that moment to prime():
    the first sample then waits FIRST_WINDOW from it, not from priming; tracked processes, primed later,
    still get their full window."""
    from analytics.sources import vitals

    slept: list[float] = []
    monkeypatch.setattr(vitals.time, "sleep", slept.append)
    src = VitalsSource("h")
    src.prime(host_window_from=time.monotonic() - vitals.FIRST_WINDOW)
    src.poll(NOW)
    assert slept == []  # the window already passed while the caller worked
    src = VitalsSource("h")
    src.prime()
    src.poll(NOW)
    assert len(slept) == 1 and 0 < slept[0] <= vitals.FIRST_WINDOW  # primed just now: the whole window
    src = VitalsSource("h", [ProcessSpec("web", name="lokifi-no-such-process")])
    src.prime(host_window_from=time.monotonic() - 10)
    src.poll(NOW)
    assert len(slept) == 2 and 0 < slept[1] <= vitals.FIRST_WINDOW  # a tracked process's window is its own
