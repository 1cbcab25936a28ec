"""Which processes are a component's, sample after sample: a tracked process is known by its pid and its
creation time, read again at each sample (a pid the kernel gave to a new process is not the one that
ended); and a process the config's match finds that another of the component's started, running another
program (a wrapper's or a supervisor's service), is the component's with its own workers, while only the
one that started it is a main process -- so a restart of the service counts once. Real processes."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from pathlib import Path

import psutil
from collect_support import in_pid_namespace

from analytics.sources.vitals import ProcessSpec, VitalsSource

NOW = dt.datetime(2026, 12, 6, 12, 0, 0)

#: Run inside a new user and pid namespace (where the pid counter can be set): a tracked `sleep` ends and a
#: python process is given its pid; the collector's view of the component before and after.
REUSED = r"""
import datetime as dt, json, subprocess, sys, time
from analytics.sources.vitals import ProcessSpec, VitalsSource
NOW = dt.datetime(2026, 12, 6, 12, 0, 0)
old = subprocess.Popen(["sleep", "600"])
src = VitalsSource("h1", [ProcessSpec("svc", name="sleep")], rescan_every=3600, missing_rescan_every=3600)
src.poll(NOW); src.poll(NOW)
before = list(src.latest.component("svc").pids)
old.kill(); old.wait()
with open("/proc/sys/kernel/ns_last_pid", "w") as f:
    f.write(str(old.pid - 1))
new = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
time.sleep(0.2)
events = [e["message"] for b in src.poll(NOW) for e in b.events]
c = src.latest.component("svc")
print(json.dumps({"old": old.pid, "new": new.pid, "before": before, "after": list(c.pids), "count": c.count,
                  "rss": c.rss_bytes, "events": events}))
new.kill()
"""


def test_a_pid_given_to_another_process_is_not_the_tracked_one(tmp_path):
    out = in_pid_namespace(tmp_path, REUSED)
    assert out["new"] == out["old"] and out["before"] == [out["old"]]  # the situation under test
    assert out["after"] == [] and out["count"] == 0 and out["rss"] == 0
    assert out["events"] == ["Process sleep of svc is not running (it exited)"]


#: A wrapper (its own program) that starts the service (another program) and replaces it on SIGUSR1; the
#: service forks a worker of its own program, titled without the mark. Both the wrapper and the service
#: carry the mark the config matches. Prints "up SERVICE WORKER" each time a service is ready.
WRAPPER = r"""
import signal, subprocess, sys, time
service, mark = sys.argv[1], sys.argv[2]
CODE = (
    "import signal, subprocess, sys, time\n"
    "w = subprocess.Popen(['svc worker', '-c', 'import time; time.sleep(600)'], executable=sys.argv[1])\n"
    "signal.signal(signal.SIGTERM, lambda *_: (w.kill(), w.wait(), sys.exit(0)))\n"
    "print('up', __import__('os').getpid(), w.pid, flush=True)\n"
    "time.sleep(600)\n"
)
def start():
    return subprocess.Popen([service, "-c", CODE, service, mark])
kid = [start()]
def stop_kid():
    kid[0].terminate(); kid[0].wait()
asked = []
signal.signal(signal.SIGUSR1, lambda *_: asked.append(1))
signal.signal(signal.SIGTERM, lambda *_: (stop_kid(), sys.exit(0)))
while True:
    time.sleep(0.05)
    while asked:
        asked.pop()
        stop_kid()
        kid[0] = start()
"""


def _start(wrap: Path, service: Path, mark: str) -> tuple[subprocess.Popen, set[int]]:
    p = subprocess.Popen([str(wrap), "-c", WRAPPER, str(service), mark], stdout=subprocess.PIPE, text=True)
    return p, _up(p)


def _up(p: subprocess.Popen) -> set[int]:
    assert p.stdout is not None
    word, service, worker = p.stdout.readline().split()
    assert word == "up"
    return {p.pid, int(service), int(worker)}


def _polled(src: VitalsSource):
    src.poll(NOW)
    src.poll(NOW)
    return src.latest.component("svc")


def test_a_service_its_wrapper_started_is_the_components_and_a_restart_counts_once(tmp_path):
    wrap, service = tmp_path / "wrapstandin", tmp_path / "svcstandin"  # the kernel names each after its file
    wrap.symlink_to(sys.executable)
    service.symlink_to(sys.executable)
    mark = f"--home={tmp_path / 'svc'}"
    p, family = _start(wrap, service, mark)
    try:
        src = VitalsSource("h1", [ProcessSpec("svc", cmdline=mark)], rescan_every=3600)
        c = _polled(src)
        names = {psutil.Process(pid).name() for pid in family}
        assert names == {"wrapstandin", "svcstandin"}  # the wrapper, the service and its worker
        assert set(c.pids) == family and c.count == 3 and c.restarts == 0

        p.terminate()  # the service restarts: wrapper, service and worker anew
        p.wait()
        p.stdout.close()
        p, family = _start(wrap, service, mark)
        c = _polled(src)
        assert set(c.pids) == family and c.restarts == 1

        p.send_signal(signal.SIGUSR1)  # the wrapper replaces its service
        family = _up(p)
        c = _polled(src)
        assert set(c.pids) == family and c.count == 3 and c.restarts == 1
    finally:
        p.terminate()
        p.wait()
