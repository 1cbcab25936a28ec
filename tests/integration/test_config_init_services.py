"""Which listeners are one service, decided from real processes: two `python3 -m http.server` started
apart (each in its own directory, as a person starts them) are two services although they are one
program; one process on two ports is one, and so are a master and the worker it forked on a port of its
own, which is as old as its master."""

from __future__ import annotations

import time

import psutil
import pytest
from listen_support import FORKED_WORKER, TWO_PORTS, http_server, python_server, stable_test_ports

from analytics.config.listeners import listening


def test_two_servers_of_one_program_started_apart_are_two_services(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "docs").mkdir()
    one, other = stable_test_ports(2)
    with (
        http_server(one, cwd=tmp_path / "site") as (first, _),
        http_server(other, cwd=tmp_path / "docs") as (second, _),
    ):
        by_port = {x.port: x for x in listening()}
        assert by_port[one].process == by_port[other].process  # one program...
        assert psutil.Process(first.pid).ppid() == psutil.Process(second.pid).ppid()  # ...started by one parent
        assert (by_port[one].service, by_port[other].service) == (first.pid, second.pid)  # two services


def test_one_process_on_two_ports_is_one_service():
    with python_server(TWO_PORTS, *stable_test_ports(2)) as (proc, line):
        a, b = (int(x) for x in line.split())
        by_port = {x.port: x for x in listening()}
        assert by_port[a].service == by_port[b].service == proc.pid


@pytest.mark.slow  # measured: 1.3 s (the master runs 1.2 s before it forks)
def test_a_worker_its_master_forked_is_the_masters_service_and_as_old():
    master_port, worker_port = stable_test_ports(2)
    with python_server(FORKED_WORKER, master_port, worker_port, 1.2) as (master, line):
        worker = psutil.Process(int(line))
        assert worker.ppid() == master.pid and worker.cmdline() == psutil.Process(master.pid).cmdline()
        assert time.time() - worker.create_time() < 1.0
        by_port = {x.port: x for x in listening(min_uptime=1.0)}
        assert by_port[worker_port].pid == worker.pid
        assert by_port[master_port].service == by_port[worker_port].service == master.pid
        # the worker restarted a moment ago does not make the service young
        assert by_port[worker_port].uptime >= 1.2 and by_port[worker_port].skipped == ""
