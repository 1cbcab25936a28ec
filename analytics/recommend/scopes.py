"""Where a recommendation's facts came from, and whether a refresh looked there.

A finding read from the filesystem records its *scope*: ``project:PATH`` (a walk of a project directory
found it: a temp file pile, a stale manifest, a secret, an audit report) or ``logs:PATH`` (the log files
of a directory). Findings of what every refresh measures (this host's disk, memory and CPU, the stored
metrics, the database) have none.

Each refresh records the places it gathered facts from (:class:`Looked`); a stored recommendation is
marked resolved only when its rule ran *and* its scope lies in a place this refresh looked at. A refresh
that does not watch a directory — a collector started before ``project_dirs`` changed, a ``lokifi scan``
run from another directory, a directory that could not be read, a walk cut short — leaves that
directory's recommendations as they are — until the config no longer has that directory: a refresh
with the config file that dropped it resolves what came from there (:mod:`analytics.recommend.watched`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

PROJECT = "project"
LOGS = "logs"


def scope(kind: str, path: str) -> str:
    """The scope of a finding about ``path``, found by a look of ``kind`` (:data:`PROJECT`, :data:`LOGS`)."""
    return f"{kind}:{path}"


def _within(path: str, place: str) -> bool:
    return path == place or path.startswith(place.rstrip(os.sep) + os.sep)


@dataclass
class Looked:
    """The places one refresh gathered facts from: scope -> whether everything below it was looked at
    too (a directory walked) or only that place itself (a component's log files in a directory); and the
    places below them it could not read."""

    places: dict[str, bool] = field(default_factory=dict)
    unread: set[str] = field(default_factory=set)  # directories (for every kind of look)
    unread_scopes: set[str] = field(default_factory=set)  # a file a rule could not read, as a scope
    # the places the config no longer watches (scope -> why: analytics.recommend.watched), and those it does
    dropped: dict[str, str] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)

    def add(self, kind: str, path: str, *, below: bool = True) -> None:
        key = scope(kind, path)
        self.places[key] = self.places.get(key, False) or below

    def covers(self, rec_scope: str | None) -> bool:
        """Whether this refresh looked where a recommendation of ``rec_scope`` came from (None or empty:
        facts every refresh gathers)."""
        if not rec_scope:
            return True
        kind, _, path = rec_scope.partition(":")
        if any(_within(path, u) for u in self.unread) or any(_within(rec_scope, u) for u in self.unread_scopes):
            return False
        for place, below in self.places.items():
            if rec_scope == place or (below and place.startswith(kind + ":") and _within(rec_scope, place)):
                return True
        return False

    def dropped_by(self, rec_scope: str | None) -> str | None:
        """Why a recommendation of ``rec_scope`` went with the place it came from — that place left the
        config (see :mod:`analytics.recommend.watched`) — or None: it did not, or the recommendation lies
        in a place the config still watches."""
        if not rec_scope or any(_in_scope(rec_scope, k) for k in self.kept):
            return None
        return next((why for place, why in self.dropped.items() if _in_scope(rec_scope, place)), None)


def _in_scope(rec_scope: str, place: str) -> bool:
    """Whether ``rec_scope`` is the scope ``place`` or lies below it (same kind of look)."""
    kind, _, path = rec_scope.partition(":")
    place_kind, _, place_path = place.partition(":")
    return kind == place_kind and _within(path, place_path)
