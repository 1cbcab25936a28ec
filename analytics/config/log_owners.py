"""Which instance of a program a log file belongs to, when ``lokifi config init`` finds the program running as
several services (two PostgreSQL clusters, two Redis servers, one application on two ports).

Each instance would otherwise be given every log of the program (``/var/log/postgresql/*.log``) and the log
directory a component of its own besides, so every error went to whichever entry named the file first. The
files are told apart by what they share with the processes, never by a product's naming scheme:

* a file an instance's process is writing is that instance's (:func:`~analytics.config.log_files.written_logs`);
* otherwise the words of the file's name (``postgresql-15-main.log``: postgresql, 15, main, log) are
  matched with each instance's own marks (:func:`marks`): the words of its processes' command lines
  (``-D /var/lib/postgresql/15/main``), of their working directories (a cluster runs in its data
  directory) and its ports, less those every other instance has too. The file is the instance's whose own
  marks it shares most, when exactly one does; a file no instance's marks tell is left to the log
  directory's own component.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable

import psutil

from analytics.config.selectors import Proc, tree

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> set[str]:
    """The words of ``text``, lower case, split at anything not a letter or digit; single letters dropped
    (a flag's ``-D``), single digits kept (a cluster ``1``)."""
    return {w for w in _WORD.findall(text.lower()) if len(w) > 1 or w.isdigit()}


def marks(pids: Iterable[int], ports: Iterable[int], procs: list[Proc]) -> frozenset[str]:
    """What an instance is known by: the words of the command lines of its processes (``pids`` and those
    they started) and of their working directories, and its ports."""
    out: set[str] = {str(p) for p in ports}
    mine = tree(pids, procs)
    for p in procs:
        if p.pid in mine:
            out |= words(p.text)
    for pid in pids:
        try:
            out |= words(psutil.Process(pid).cwd())
        except (psutil.Error, OSError):
            continue
    return frozenset(out)


def owners(paths: Iterable[str], instances: dict[str, frozenset[str]]) -> dict[str, str]:
    """Path -> the instance whose own marks (those no other instance has) the file's name shares most,
    for the paths exactly one instance's marks tell."""
    own = {name: m.difference(*(o for n, o in instances.items() if n != name)) for name, m in instances.items()}
    out: dict[str, str] = {}
    for path in paths:
        named = words(os.path.basename(path))
        scores = sorted(((len(named & m), name) for name, m in own.items()), reverse=True)
        if scores and scores[0][0] > 0 and (len(scores) == 1 or scores[1][0] < scores[0][0]):
            out[path] = scores[0][1]
    return out


def expand(entries: Iterable[str]) -> list[str]:
    """Files and globs as the files they name, each once, in order."""
    out: list[str] = []
    for entry in entries:
        for path in sorted(glob.glob(entry)) if glob.has_magic(entry) else [entry]:
            if path not in out:
                out.append(path)
    return out


def divide(
    logs: dict[str, list[str]], written: dict[str, list[str]], instances: dict[str, frozenset[str]]
) -> dict[str, list[str]]:
    """Each instance's own files among the ``logs`` (files and globs) the instances of one program were
    given: the files it writes (``written``; a file two of them write is told by name), then those whose
    name tells it (:func:`owners`). A file no instance is told to own is no one's here."""
    files = expand([*(e for entries in logs.values() for e in entries), *(p for ps in written.values() for p in ps)])
    writers: dict[str, set[str]] = {}
    for name, paths in written.items():
        for path in paths:
            writers.setdefault(path, set()).add(name)
    owner = {path: next(iter(names)) for path, names in writers.items() if len(names) == 1}
    owner |= owners([f for f in files if f not in owner], instances)
    return {name: [f for f in files if owner.get(f) == name] for name in logs}
