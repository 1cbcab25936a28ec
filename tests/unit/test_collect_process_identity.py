"""Which processes are a component's, sample after sample: a tracked process is known by its pid and its
creation time, read again at each sample (a pid the kernel gave to a new process is not the one that
ended). Real processes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare or "unshare", "-Urpf", "--mount-proc", "true"], capture_output=True, check=False)
    if unshare is None or probe.returncode != 0:
        pytest.skip("needs `unshare` and user namespaces (to set a pid namespace's counter)")
    env = {"PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin:/bin"}
    r = subprocess.run(
        [unshare, "-Urpf", "--mount-proc", sys.executable, "-c", REUSED],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout.splitlines()[-1])
    assert out["new"] == out["old"] and out["before"] == [out["old"]]  # the situation under test
    assert out["after"] == [] and out["count"] == 0 and out["rss"] == 0
    assert out["events"] == ["Process sleep of svc is not running (it exited)"]
