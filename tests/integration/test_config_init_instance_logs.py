"""`lokifi config init` gives each instance of one program its own log files, and the log directory no
component of its own for them: real listening processes whose command lines carry what tells them apart
(``-D .../15/main``, as a PostgreSQL cluster's does), real files in a log directory named after the
program, and processes writing their own files. Other programs of the same name may be listening on the
machine running the tests: the instances' words are made unique to each test."""

from __future__ import annotations

import contextlib
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator

from listen_support import stable_test_ports

from analytics.config import starter
from analytics.config.listeners import listening
from analytics.config.log_owners import owners, words

SERVER = """
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
print("listening", flush=True)
time.sleep(120)
"""


@contextlib.contextmanager
def instances(tmp_path, *data_dirs: str, sinks: tuple = ()) -> Iterator[dict[int, subprocess.Popen]]:
    """One server per data directory (``-D DIR``, like a PostgreSQL cluster), each on a port of its own,
    until all listen; its stdout appended to ``sinks[i]`` when given. Yields port -> process."""
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    procs: dict[int, subprocess.Popen] = {}
    try:
        for i, (port, data) in enumerate(zip(stable_test_ports(len(data_dirs)), data_dirs, strict=True)):
            out = open(sinks[i], "a") if sinks else subprocess.DEVNULL
            procs[port] = subprocess.Popen([sys.executable, str(script), str(port), "-D", data], stdout=out)
            if sinks:
                out.close()
        deadline = time.monotonic() + 20
        while not set(procs) <= {x.port for x in listening(0)}:
            assert time.monotonic() < deadline, "the servers did not listen"
            time.sleep(0.05)
        yield procs
    finally:
        for p in procs.values():
            p.kill()
            p.wait()


def _ours(found: list[starter.Found], ports) -> dict[int, starter.Found]:
    return {p: f for f in found for p in ports if any(port == p for _, port in f.tcp)}


def test_two_instances_each_get_the_log_their_name_tells_and_no_third_component(tmp_path):
    main, replica = f"main{secrets.token_hex(3)}", f"replica{secrets.token_hex(3)}"
    with instances(tmp_path, str(tmp_path / "data/15" / main), str(tmp_path / "data/16" / replica)) as procs:
        one, other = procs
        first = _ours(starter.detect(min_uptime=0), procs)
        program = first[one].program
        assert program == first[other].program and first[one].name != first[other].name
        logs = tmp_path / "logs" / program  # the program's log directory, as /var/log/postgresql is postgres's
        logs.mkdir(parents=True)
        for name in (f"{program}-15-{main}.log", f"{program}-16-{replica}.log", "other.log"):
            (logs / name).write_text("started\n")
        found, _ = starter.discover([str(tmp_path / "logs")], min_uptime=0)
        ours = _ours(found, procs)
        assert ours[one].logs == [str(logs / f"{program}-15-{main}.log")]
        assert ours[other].logs == [str(logs / f"{program}-16-{replica}.log")]
        # the file no instance is told by stays with the directory's component, and only it
        assert [f.logs for f in found if f.name == program] == [[str(logs / "other.log")]]
        (logs / "other.log").unlink()
        found, _ = starter.discover([str(tmp_path / "logs")], min_uptime=0)
        assert program not in {f.name for f in found}  # no third component
        text = starter.render(found, host="h")
        assert text.count(f"{program}-15-{main}.log") == 1 and text.count(f"{program}-16-{replica}.log") == 1


def test_the_files_instances_write_are_theirs_whatever_their_names(tmp_path):
    main, replica = f"main{secrets.token_hex(3)}", f"replica{secrets.token_hex(3)}"
    (tmp_path / "logs").mkdir()
    a, b = tmp_path / "logs" / "a.log", tmp_path / "logs" / "b.log"  # names that tell nothing
    data = (str(tmp_path / main), str(tmp_path / replica))
    with instances(tmp_path, *data, sinks=(a, b)) as procs:
        one, other = procs
        ours = _ours(starter.detect(min_uptime=0), procs)
        assert ours[one].logs == [str(a)] and ours[other].logs == [str(b)]


def test_a_file_is_an_instances_only_by_what_no_other_instance_shares():
    instances = {
        "db-5432": frozenset({"usr", "lib", "postgresql", "15", "main", "5432"}),
        "db-5433": frozenset({"usr", "lib", "postgresql", "16", "main", "5433"}),
    }
    got = owners(
        ["/l/postgresql-15-main.log", "/l/postgresql-16-main.log", "/l/postgresql.log", "/l/x-15-16.log"], instances
    )
    # 'main' and 'postgresql' both have: they tell nothing; 15 against 16 tells; a name with both is a tie
    assert got == {"/l/postgresql-15-main.log": "db-5432", "/l/postgresql-16-main.log": "db-5433"}
    assert words("-D /var/lib/PostgreSQL/15/main") == {"var", "lib", "postgresql", "15", "main"}
