"""`lokifi config init` proposes a listening service with the log files it is writing, wherever it was told
to log: a real process, its stdout and stderr appended to a file (as `pg_ctl -l` and `app >> app.log` do),
a `.log` file it opened; and not a data file it writes, a binary write-ahead file it appends to, a real
DuckDB database's write-ahead log in Lokifi's own data directory, an empty `.duckdb.wal` held for
appending (what a write-ahead log is right after a checkpoint: nothing in it says text), nor a text file
it appends to in Lokifi's own directories."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from listen_support import stable_test_port

from analytics.config import starter as config_init

SERVER = """
import socket, sys, time
import duckdb
own = open(sys.argv[1], "w")            # a log file of its own
data = open(sys.argv[2], "w")           # its data: written, not a log
wal = open(sys.argv[3], "ab")           # a write-ahead file it appends to: binary, not a log
wal.write(b"\\x00\\x01WAL\\xff" * 64); wal.flush()
empty = open(sys.argv[4], "ab")         # a write-ahead file emptied by a checkpoint
lokifi = duckdb.connect(sys.argv[5])    # a database in Lokifi's data directory, its WAL held open
lokifi.execute("CREATE TABLE t (a INT)"); lokifi.execute("INSERT INTO t VALUES (1)")
notes = open(sys.argv[6], "a"); notes.write("text, but Lokifi's own\\n"); notes.flush()
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[7])))
s.listen()
print(s.getsockname()[1], flush=True)   # to stdout, appended to the file it was given
time.sleep(60)
"""


def test_a_listening_process_is_proposed_with_the_logs_it_writes(tmp_path):
    out, own, data = tmp_path / "server.out", tmp_path / "server.log", tmp_path / "state.db"
    wal, empty = tmp_path / "state.duckdb.wal", tmp_path / "old.duckdb.wal"
    data_dir = Path(os.environ["LOKIFI_HOME"]) / "data"  # Lokifi's own (tests/conftest.py sets the home)
    data_dir.mkdir(parents=True, exist_ok=True)
    db, notes = data_dir / "lokifi.duckdb", data_dir / "notes.log"
    args = [str(x) for x in (own, data, wal, empty, db, notes, stable_test_port())]
    with open(out, "a") as sink:
        proc = subprocess.Popen([sys.executable, "-c", SERVER, *args], stdout=sink, stderr=sink)
    try:
        deadline = time.monotonic() + 20
        while not out.read_text().strip() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(out.read_text().split()[0])
        assert (data_dir / "lokifi.duckdb.wal").stat().st_size > 0 and empty.stat().st_size == 0
        mine = [f for f in config_init.detect(min_uptime=0) if any(p == port for _, p in f.tcp)]
        assert len(mine) == 1 and not mine[0].skipped, [f.name for f in config_init.detect(min_uptime=0)]
        assert str(out) in mine[0].logs and str(own) in mine[0].logs
        assert set(config_init.written_logs(proc.pid)) == {str(out), str(own)}
    finally:
        proc.kill()
        proc.wait()
    assert config_init.written_logs(proc.pid) == []  # a process that is gone writes nothing
