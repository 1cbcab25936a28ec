"""The places a config file watched, remembered: a project taken out of ``[watch] project_dirs`` (or a log
directory out of ``log_dirs``) takes its recommendations with it.

A refresh resolves only what it looked at (:mod:`analytics.recommend.scopes`), so without this the
recommendations of a project no refresh looks at any more would stay open forever. Each refresh made with
a config file records, per host and config file (in ``kv``), the directories that file watches; a later
refresh with the same file that no longer has one of them resolves the recommendations from there — only
those, and not those that lie in a place it still watches (a project kept inside a directory removed).

Only a refresh whose config is the file as it is now does this: a process still running with an older
version of the file (a collector started before the project was added, which has not reloaded yet) neither
resolves nor records anything, and a scan with another config file (``--config``) has its own record. A
refresh without a config file (the defaults) records nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

from analytics.recommend.scopes import LOGS, PROJECT, scope
from analytics.store.statements import STATEMENTS

KEY = "recommend.watched:{host}:{path}"


@dataclass(frozen=True)
class Watched:
    """The directories a config watches, as absolute paths."""

    project_dirs: tuple[str, ...] = ()
    log_dirs: tuple[str, ...] = ()

    @classmethod
    def of(cls, config: Any) -> Watched:
        w = config.watch
        return cls(_absolute(w.project_dirs), _absolute(w.log_dirs))

    def scopes(self) -> set[str]:
        """The scopes of what a refresh watching these directories finds."""
        return {
            *(scope(PROJECT, d) for d in self.project_dirs),
            *(scope(LOGS, d) for d in (*self.project_dirs, *self.log_dirs)),
        }


def _absolute(dirs: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(os.path.abspath(os.path.expanduser(d)) for d in dirs))


def is_current(config: Any) -> bool:
    """Whether ``config`` watches what its file, read again now, watches (False without a file)."""
    from analytics.config.settings import load_config

    path = getattr(config, "path", None)
    if path is None:
        return False
    return Watched.of(load_config(path)) == Watched.of(config)


def dropped(before: Watched, now: Watched) -> dict[str, str]:
    """The scopes of the directories ``before`` watched and ``now`` does not -> why they are gone."""
    out: dict[str, str] = {}
    for d in before.project_dirs:
        if d not in now.project_dirs:
            why = f"{d} is no longer in [watch] project_dirs"
            out[scope(PROJECT, d)] = why
            out.setdefault(scope(LOGS, d), why)
    for d in before.log_dirs:
        if d not in now.log_dirs:
            out.setdefault(scope(LOGS, d), f"{d} is no longer in [watch] log_dirs")
    return {k: v for k, v in out.items() if k not in now.scopes()}


def _parse(raw: str | None) -> Watched | None:
    try:
        d = json.loads(raw) if raw else None
        if not isinstance(d, dict):
            return None
        return Watched(tuple(map(str, d.get("project_dirs", ()))), tuple(map(str, d.get("log_dirs", ()))))
    except (ValueError, TypeError):
        return None


def take(con: Any, config: Any, host: str, current: bool) -> dict[str, str]:
    """Inside a refresh's write: the places ``config``'s file stopped watching since the last refresh
    made with it (scope -> why), and what it watches now recorded for the next. Nothing when the config
    is not its file as it is now (``current``: :func:`is_current`)."""
    if not current:
        return {}
    key = KEY.format(host=host, path=config.path)
    row = con.execute("SELECT value FROM kv WHERE key = ?", [key]).fetchone()
    before = _parse(row[0] if row else None)
    watched = Watched.of(config)
    value = json.dumps({"project_dirs": watched.project_dirs, "log_dirs": watched.log_dirs})
    con.execute(STATEMENTS["kv.set"], [key, value])
    return dropped(before, watched) if before is not None else {}
