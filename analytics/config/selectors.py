"""How a proposed component finds its own processes: by name, or by the part of its command line that is its own.

A component's ``process = "python3"`` counts every process of that name (:mod:`analytics.sources.vitals`), so
when two services are the same program (two ``python3 -m http.server`` on two ports), or other processes
here have its name (a ``python3`` script), each entry's uptime, CPU and restarts would be those of whichever
it finds. Then ``lokifi config init`` proposes ``cmdline = "..."`` instead: the shortest run of the
service's command-line words that no other process's command line holds (``http.server 8765``; a
cluster's data directory), read after the program first (a path to the interpreter says nothing of the
service), of at least :data:`MIN_TEXT` characters with a letter (a bare ``8765`` would also match a
``curl localhost:8765``) and, when one word, not a plain word (``collect``, ``--verbose``: any other
command may hold it; ``app.py``, ``--port=8001``, a path are specific), and left whole by redaction (a run
holding a password is never proposed: the caller's ``redact`` removes passwords, as before text leaves the
host). None found: the name stays, with a comment saying how to tell them apart.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import psutil

MIN_TEXT = 6  # characters a proposed command-line part has at least


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    name: str
    argv: tuple[str, ...]  # () when it cannot be read

    @property
    def text(self) -> str:
        """The command line as the vitals source matches it: the words joined by spaces."""
        return " ".join(self.argv)


def processes() -> list[Proc]:
    """Every process this user can see, but this one (its command line names what it looks for)."""
    me, out = os.getpid(), []
    for p in psutil.process_iter(["pid", "ppid", "name", "cmdline"]):
        info = p.info
        if info["pid"] == me:
            continue
        out.append(Proc(info["pid"], info.get("ppid") or 0, info.get("name") or "", tuple(info.get("cmdline") or ())))
    return out


def tree(pids: Iterable[int], procs: list[Proc]) -> set[int]:
    """``pids`` and every process they started, and those started in turn."""
    children: dict[int, list[int]] = {}
    for p in procs:
        children.setdefault(p.ppid, []).append(p.pid)
    out, todo = set(), list(pids)
    while todo:
        pid = todo.pop()
        if pid not in out:
            out.add(pid)
            todo += children.get(pid, [])
    return out


def specific(words: tuple[str, ...]) -> bool:
    """A run of words specific enough to name a process by: :data:`MIN_TEXT` characters or more with a
    letter, and more than one word or a word with more than letters, '-' and '_'."""
    text = " ".join(words)
    if len(text) < MIN_TEXT or not any(c.isalpha() for c in text):
        return False
    return len(words) > 1 or any(not (c.isalpha() or c in "-_") for c in text)


def own_part(argv: tuple[str, ...], others: list[str], redacted: str) -> str:
    """The shortest run of ``argv``'s words, joined by spaces, that is in none of the ``others`` command
    lines, is :func:`specific`, and is in ``redacted`` (the command line with its passwords removed) as it
    is; the words after the program are tried before those with it. '' when there is none."""
    for first in (1, 0) if len(argv) > 1 else (0,):
        words = argv[first:] if first else argv
        for length in range(1, len(words) + 1):
            for start in range(len(words) - length + 1):
                text = " ".join(words[start : start + length])
                if not specific(words[start : start + length]) or text not in redacted:
                    continue
                if not any(text in other for other in others):
                    return text
    return ""


@dataclass(frozen=True)
class Selector:
    cmdline: str  # the part of the command line to propose; '' to keep the process name
    others: int  # processes outside the service with its name


def selector(pids: set[int], name: str, procs: list[Proc], redact: Callable[[str], str] | None) -> Selector:
    """How the service of processes ``pids`` (named ``name``) is told apart from every other process: its
    name alone when no other process has it (or ``redact`` is not given), else the part of its first
    process's command line that is its own (:func:`own_part`)."""
    mine = tree(pids, procs)
    same = [p for p in procs if p.name == name and p.pid not in mine]
    first = next((p for p in sorted(procs, key=lambda p: p.pid) if p.pid in pids and p.argv), None)
    if not same or first is None or redact is None:
        return Selector("", len(same))
    others = [p.text for p in procs if p.pid not in mine and p.argv]
    return Selector(own_part(first.argv, others, redact(first.text)), len(same))
