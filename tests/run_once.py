"""Build an expensive test input once per test run, whatever the number of pytest-xdist workers.

A session fixture runs once per worker: with ``-n 4`` a database that takes ten CPU-seconds to build is
built four times. :func:`built_once` builds it in a folder the run's workers share, under a lock (the
first worker to ask builds it, the others wait and reuse it), and hands each caller a copy of its own
(of the folder it was built in), so no two workers ever open the same database file. Without xdist, it
is built in the session's own temporary folder."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable
from pathlib import Path


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """``build(path)`` writes a file at ``path`` (``name``: its file name), and may write others beside
    it; returns this worker's copy of the file, with its copy of the folder around it. Built once in the
    run."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        mine = tmp_path_factory.mktemp(f"{name}-once") / name
        build(mine)
        return mine
    shared = tmp_path_factory.getbasetemp().parent / f"lokifi-once-{name}"  # the run's workers share it
    shared.mkdir(exist_ok=True)
    with open(shared.with_name(shared.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared.with_name(shared.name + ".done")
        if not done.exists():
            build(shared / name)
            done.touch()
    mine_dir = tmp_path_factory.mktemp(f"{name}-copy")
    shutil.copytree(shared, mine_dir, dirs_exist_ok=True)
    return mine_dir / name
