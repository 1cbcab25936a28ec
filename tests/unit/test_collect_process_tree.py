"""A component's processes include the ones it forked to do its work: a database server found by its data
directory (`cmdline = "-D /srv/pg/data"`, as `lokifi config init` writes it for two clusters) counts its
backends, whose command line is their title (`postgres: app shop 127.0.0.1(5000) idle`), in its processes,
CPU and memory; a backend that ends is not a restart; another program it started is not counted; two
instances stay apart. Real processes: a server stand-in started with `-D DIR` that forks backends under
such titles (argv[0] set as `exec -a` sets it), 8 MiB of memory each."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import time

import psutil
import pytest
from collect_support import in_pid_namespace

from analytics.sources.vitals import ProcessSpec, VitalsSource

NOW = dt.datetime(2026, 12, 6, 12, 0, 0)

SERVER = r"""
import signal, subprocess, sys, time
TITLE = "postgres: app shop 127.0.0.1({}) idle"
BACKEND = "import time; b = bytearray(8 << 20); b[::4096] = b'x' * len(b[::4096]); time.sleep(600)"
def backend(port):
    return subprocess.Popen([TITLE.format(port), "-c", BACKEND], executable=sys.executable)
kids = [backend(5000 + i) for i in range(int(sys.argv[3]))]
other = subprocess.Popen(["sleep", "600"])  # another program it started (an archive command, say)
def churn(*_):
    old = kids.pop(0); old.kill(); old.wait()
    kids.append(backend(6000))
    print("churned", kids[-1].pid, flush=True)
def end(*_):
    for k in kids + [other]:
        k.kill()
    sys.exit(0)
signal.signal(signal.SIGUSR1, churn)
signal.signal(signal.SIGTERM, end)
print("ready", flush=True)
while True:
    time.sleep(1)
"""


def start_server(datadir, backends: int, python: str = sys.executable) -> subprocess.Popen:
    p = subprocess.Popen([python, "-c", SERVER, "-D", str(datadir), str(backends)], stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    return p


def family(p: subprocess.Popen) -> set[int]:
    """The server and its backends (its children running its program), as ps shows them."""
    me = psutil.Process(p.pid)
    return {p.pid} | {c.pid for c in me.children() if c.name() == me.name()}


@pytest.fixture
def servers(tmp_path):
    a = start_server(tmp_path / "a" / "data", 2)
    b = start_server(tmp_path / "b" / "data", 1)
    yield a, b
    for p in (a, b):
        p.terminate()
        p.wait()


def test_a_server_counts_its_backends_and_their_churn_is_no_restart(servers, tmp_path):
    a, b = servers
    specs = [ProcessSpec(name, cmdline=f"-D {tmp_path / name / 'data'}") for name in ("a", "b")]
    src = VitalsSource("h1", specs, rescan_every=3600)
    src.poll(NOW)
    src.poll(NOW)
    pa, pb = src.latest.component("a"), src.latest.component("b")
    assert set(pa.pids) == family(a) and len(pa.pids) == 3 and pa.count == 3
    assert set(pb.pids) == family(b) and len(pb.pids) == 2  # each instance its own backends
    assert not {c.pid for c in psutil.Process(a.pid).children() if c.name() == "sleep"} & set(pa.pids)
    server_rss = psutil.Process(a.pid).memory_info().rss
    assert pa.rss_bytes > server_rss + 2 * 8 * 1024 * 1024  # the backends' memory is the service's
    ps_rss = sum(psutil.Process(pid).memory_info().rss for pid in family(a))
    assert abs(pa.rss_bytes - ps_rss) < 4 * 1024 * 1024

    a.send_signal(signal.SIGUSR1)  # a connection ends, another one begins
    assert a.stdout is not None
    new = int(a.stdout.readline().split()[1])
    time.sleep(0.2)
    batches = src.poll(NOW)
    src.poll(NOW)
    pa = src.latest.component("a")
    assert new in pa.pids and set(pa.pids) == family(a) and pa.count == 3
    assert pa.restarts == 0 and not [e for bt in batches for e in bt.events]
    assert src.scans == 1  # found without scanning the process table again


def test_without_the_kernels_list_of_children_the_scan_finds_them(servers, tmp_path, monkeypatch):
    import analytics.sources.process_tree as tree

    monkeypatch.setattr(tree, "children", lambda pid: None)  # a kernel without /proc/PID/task/TID/children
    a, _b = servers
    src = VitalsSource("h1", [ProcessSpec("a", cmdline=f"-D {tmp_path / 'a' / 'data'}")], rescan_every=3600)
    src.poll(NOW)
    src.poll(NOW)
    assert set(src.latest.component("a").pids) == family(a) and src.latest.component("a").count == 3


def test_by_name_a_backend_that_ends_is_no_restart(tmp_path):
    python = tmp_path / "pgstandin"  # the kernel names a process after the file it runs: this name is ours
    python.symlink_to(sys.executable)
    server = start_server(tmp_path / "data", 2, str(python))
    try:
        src = VitalsSource("h1", [ProcessSpec("pg", name="pgstandin")], rescan_every=3600)
        src.poll(NOW)
        src.poll(NOW)
        assert set(src.latest.component("pg").pids) == family(server) and len(family(server)) == 3
        for _ in range(2):
            server.send_signal(signal.SIGUSR1)
            assert server.stdout is not None and server.stdout.readline().startswith("churned")
            time.sleep(0.2)
            src.poll(NOW)
        src.poll(NOW)
        pg = src.latest.component("pg")
        assert set(pg.pids) == family(server) and pg.count == 3 and pg.restarts == 0
    finally:
        server.terminate()
        server.wait()


#: A master that forks one worker (the same program) after setting its pid namespace's counter low, as when
#: the pid counter wraps around: the worker's pid is lower than its master's. SIGUSR1: the worker is replaced.
WRAPPED = r"""
import os, signal, sys, time
low = [100]
def fork():
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(low[0]))
    low[0] += 10  # the next worker another pid, still lower than the master's
    pid = os.fork()
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    return pid
kids = [fork()]
asked = []
signal.signal(signal.SIGUSR1, lambda *_: asked.append(1))  # (the work is done outside the handler)
print(kids[0], flush=True)
while True:
    time.sleep(0.05)
    while asked:
        asked.pop()
        os.kill(kids[0], signal.SIGKILL); os.waitpid(kids[0], 0)
        kids[0] = fork()
        print(kids[0], flush=True)
"""

#: Run inside a new user and pid namespace: a master started at pid 2001, its worker at 101; the collector's
#: view of them on the very first scan, after the service restarts, and after the new worker is replaced.
DRIVER = r"""
import datetime as dt, json, os, signal, subprocess, sys, time
from analytics.sources.vitals import ProcessSpec, VitalsSource
MASTER = sys.argv[1]
def master(last):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(last))
    cmd = [sys.executable, "-c", MASTER, "-D", "/srv/wrapped"]
    m = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
    return m, int(m.stdout.readline())
def stop(m):
    os.killpg(m.pid, signal.SIGKILL)
    m.wait()
    time.sleep(0.2)
NOW = dt.datetime(2026, 12, 6, 12, 0, 0)
src = VitalsSource("h1", [ProcessSpec("svc", cmdline="-D /srv/wrapped")], rescan_every=3600)
m, worker = master(2000)
out = {"master": m.pid, "worker": worker}
src.poll(NOW); src.poll(NOW)
out["first"] = list(src.latest.component("svc").pids)
stop(m)
m, worker = master(3000)  # the service restarts: master and worker anew
src.poll(NOW); src.poll(NOW)
c = src.latest.component("svc")
out["restart"] = {"restarts": c.restarts, "pids": sorted(c.pids), "expect": sorted([m.pid, worker])}
scans = src.scans
m.send_signal(signal.SIGUSR1)  # the worker is replaced
int(m.stdout.readline())
time.sleep(0.2)
src.poll(NOW); src.poll(NOW)
c = src.latest.component("svc")
out["churn"] = {"restarts": c.restarts, "new_scans": src.scans - scans, "count": c.count}
stop(m)
print(json.dumps(out))
"""


def test_a_worker_with_a_lower_pid_than_its_master_is_a_worker(tmp_path):
    """Main process or worker is decided by parentage, not by pid order: on the very first scan a worker
    whose pid is lower than its master's is a worker, so its replacement is no restart (and needs no new
    scan of the process table), and a real restart of the service counts once, not once per process."""
    out = in_pid_namespace(tmp_path, DRIVER, WRAPPED)
    assert out["worker"] < out["master"]  # the situation under test
    assert sorted(out["first"]) == sorted([out["worker"], out["master"]])
    assert out["restart"]["restarts"] == 1 and out["restart"]["pids"] == out["restart"]["expect"]
    assert out["churn"] == {"restarts": 1, "new_scans": 0, "count": 2}
