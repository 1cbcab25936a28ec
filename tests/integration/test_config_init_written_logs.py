"""`lokifi config init` proposes a listening service with the log files it is writing, wherever it was told
to log: a real process, its stdout and stderr appended to a file (as `pg_ctl -l` and `app >> app.log` do),
a `.log` file it opened, and a data file and a binary write-ahead file it appends to, neither proposed."""

from __future__ import annotations

import subprocess
import sys
import time

from analytics.config import starter as config_init

SERVER = """
import socket, sys, time
own = open(sys.argv[1], "w")            # a log file of its own
data = open(sys.argv[2], "w")           # its data: written, not a log
wal = open(sys.argv[3], "ab")           # a write-ahead file it appends to: binary, not a log
wal.write(b"\\x00\\x01WAL\\xff" * 64); wal.flush()
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)   # to stdout, appended to the file it was given
time.sleep(60)
"""


def test_a_listening_process_is_proposed_with_the_logs_it_writes(tmp_path):
    out, own, data = tmp_path / "server.out", tmp_path / "server.log", tmp_path / "state.db"
    wal = tmp_path / "state.duckdb.wal"
    with open(out, "a") as sink:
        proc = subprocess.Popen([sys.executable, "-c", SERVER, str(own), str(data), str(wal)], stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + 20
        while not out.read_text().strip() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(out.read_text().split()[0])
        mine = [f for f in config_init.detect() if any(p == port for _, p in f.tcp)]
        assert len(mine) == 1, [f.name for f in config_init.detect()]
        assert str(out) in mine[0].logs and str(own) in mine[0].logs
        assert str(data) not in mine[0].logs and str(wal) not in mine[0].logs
        assert set(config_init.written_logs(proc.pid)) == {str(out), str(own)}
    finally:
        proc.kill()
        proc.wait()
    assert config_init.written_logs(proc.pid) == []  # a process that is gone writes nothing
