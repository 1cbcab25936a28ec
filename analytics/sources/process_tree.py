"""A component's processes include the ones its processes forked to do the work.

A service is often one process the config names and the processes it forks: a database's server process
and a backend per connection, a web server's master and its workers. The forked ones usually rename
themselves (their command line becomes ``postgres: app shop 10.0.0.7(51234) idle``), so a ``cmdline``
or a ``pid_file`` that finds the first one does not find them, yet they hold most of the service's memory
and do its work. So a component's processes are the ones its config names and their descendants that run
the same program (the same process name, as the kernel keeps it): a worker of the master, not a shell a
hook of the service started. Two instances of one program (two database clusters) stay apart: each has
its own descendants.

The descendants come and go (a backend per connection): one that ends is not a restart of the service,
and only a process the config names, not started by another of the component's, counts as one
(:mod:`analytics.sources.vitals`). One the config names that another of the component's started, running
another program (a wrapper's service, a supervisor's child), is the component's with its own descendants
running its program.

They are found from ``/proc/PID/task/TID/children`` (Linux), a few small reads per tracked process, so at
every sample; where the kernel does not offer it, through psutil's walk of the process table, only when
the table is scanned anyway.
"""

from __future__ import annotations

import os

import psutil


def children(pid: int) -> list[int] | None:
    """The pids of ``pid``'s children, as the kernel lists them; [] when it is gone, None when the kernel
    does not offer the list."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return [] if os.path.isdir("/proc/self/task") else None
    except OSError:
        return None
    out: list[int] = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as f:
                out.extend(int(x) for x in f.read().split())
        except FileNotFoundError:
            if os.path.isdir(f"/proc/{pid}/task/{tid}"):
                return None  # the thread is there, its list is not: a kernel without it
        except (OSError, ValueError):
            continue  # the thread ended meanwhile
    return out


def _named(pid: int, name: str) -> psutil.Process | None:
    try:
        p = psutil.Process(pid)
        return p if p.name() == name else None
    except psutil.Error:
        return None


def same_program_descendants(
    root: psutil.Process, known: dict[int, psutil.Process], *, walk_table: bool
) -> list[psutil.Process]:
    """``root``'s descendants that run its program, each reached through such ones. ``known``: the
    processes already tracked by pid (not looked up again). Without the kernel's list of children, the
    process table is walked only when ``walk_table`` (it costs a read of every process)."""
    try:
        name = root.name()
    except psutil.Error:
        return []
    out: list[psutil.Process] = []
    todo, seen = [root.pid], {root.pid}
    while todo:
        kids = children(todo.pop())
        if kids is None:
            return _from_table(root, name) if walk_table else out
        for pid in kids:
            if pid in seen:
                continue
            seen.add(pid)
            p = known.get(pid) or _named(pid, name)
            if p is not None:
                out.append(p)
                todo.append(pid)
    return out


def _from_table(root: psutil.Process, name: str) -> list[psutil.Process]:
    """The same, from psutil's walk of the process table (parents come before their children)."""
    try:
        every = root.children(recursive=True)
    except psutil.Error:
        return []
    kept, out = {root.pid}, []
    for p in every:
        try:
            if p.ppid() in kept and p.name() == name:
                kept.add(p.pid)
                out.append(p)
        except psutil.Error:
            continue
    return out
