"""Built-in fix playbooks: the seed's step-by-step suggestions per error type, read from data/playbooks.toml.

A playbook is what Lokifi suggests for a pattern until a learned solution is confident enough
(:func:`analytics.patterns.learning.suggest`). Steps are text for a person; nothing here runs anything.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass

from analytics.config.bundled import data_file
from analytics.patterns.classify import TYPES, normalise_type


@dataclass(frozen=True)
class Playbook:
    error_type: str
    title: str
    steps: tuple[str, ...]

    def as_text(self) -> str:
        return "\n".join(f"{i}) {s}" for i, s in enumerate(self.steps, 1))


@functools.lru_cache(maxsize=1)
def load_playbooks() -> dict[str, Playbook]:
    """All playbooks by type; every one of the nine types has one (a missing entry is an error)."""
    path = data_file("playbooks.toml")
    with open(path, "rb") as f:
        data = tomllib.load(f)
    out = {}
    for t in TYPES:
        entry = data.get(t)
        if not entry or not entry.get("steps"):
            raise ValueError(f"{path}: no playbook for error type {t!r} (a [{t}] table with steps = [...])")
        out[t] = Playbook(t, str(entry.get("title", t)), tuple(str(s) for s in entry["steps"]))
    return out


def playbook_for(error_type: str | None) -> Playbook:
    return load_playbooks()[normalise_type(error_type)]
