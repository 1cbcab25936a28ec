"""What a reload of the config changed, in words for the collector's log.

:func:`changes` compares two loaded configurations setting by setting: components and fleet sources by
name (added, removed, and which of their settings changed; a component's log files one by one), lists of
paths item by item (``watch.project_dirs: + /srv/app``), numbers and switches with both values. Settings
that may hold a credential (the ``[ai]`` and ``[alerts]`` sections, a source's URL and options, a probe's
headers, a command line) are named, never shown.
"""

from __future__ import annotations

import dataclasses
from typing import Any

#: Sections whose values are named but never written to the log (URLs with passwords, API keys, auth).
PRIVATE_SECTIONS = frozenset({"ai", "alerts"})
#: Whole-config fields that are not settings.
NOT_SETTINGS = frozenset({"path", "problems", "issues", "components", "sources", "keymap"})


def _plain(v: Any) -> bool:
    return isinstance(v, bool | int | float)


def _items(old: tuple[Any, ...], new: tuple[Any, ...]) -> str:
    added = [str(x) for x in new if x not in old]
    gone = [str(x) for x in old if x not in new]
    return ", ".join([*(f"+ {x}" for x in added), *(f"- {x}" for x in gone)]) or "reordered"


def _value(name: str, old: Any, new: Any, private: bool) -> str:
    if isinstance(old, tuple) and isinstance(new, tuple) and all(isinstance(x, str) for x in (*old, *new)):
        return f"{name}: {_items(old, new)}" if not private else f"{name} changed"
    if (_plain(old) and _plain(new)) or (not private and isinstance(old, str) and isinstance(new, str)):
        return f"{name}: {old!r} -> {new!r}"
    return f"{name} changed"


def _fields(old: Any, new: Any, prefix: str, private: bool, skip: frozenset[str] = frozenset()) -> list[str]:
    out = []
    for f in dataclasses.fields(old):
        if f.name in skip:
            continue
        a, b = getattr(old, f.name), getattr(new, f.name)
        if a != b:
            out.append(_value(f"{prefix}{f.name}", a, b, private))
    return out


def _component(old: Any, new: Any) -> str:
    parts = []
    if old.logs != new.logs:
        parts.append(f"logs {_items(old.logs, new.logs)}")
    if old.probes != new.probes:
        n, m = len(old.probes), len(new.probes)
        parts.append(f"probes {n} -> {m}" if n != m else "probes")
    for f in dataclasses.fields(old):
        if f.name not in ("name", "logs", "probes") and getattr(old, f.name) != getattr(new, f.name):
            parts.append(f.name)  # process, cmdline, pid_file: named (a command line may hold a password)
    return f"components.{new.name}: " + "; ".join(parts)


def _new(item: Any) -> str:
    """An added component or source: its name, and a component's log files and probe count."""
    logs, probes = getattr(item, "logs", ()), getattr(item, "probes", ())
    more = [f"logs {', '.join(logs)}"] if logs else []
    more += [f"{len(probes)} probe{'s' if len(probes) != 1 else ''}"] if probes else []
    return f"{item.name} ({'; '.join(more)})" if more else item.name


def _named(kind: str, old: tuple[Any, ...], new: tuple[Any, ...], describe) -> list[str]:
    a = {x.name: x for x in old}
    b = {x.name: x for x in new}
    out = [f"{kind}: + {', '.join(_new(b[n]) for n in b if n not in a)}"] if any(n not in a for n in b) else []
    if any(n not in b for n in a):
        out.append(f"{kind}: - {', '.join(n for n in a if n not in b)}")
    out += [describe(a[n], b[n]) for n in b if n in a and a[n] != b[n]]
    return out


def changes(old: Any, new: Any) -> list[str]:
    """The settings that differ from ``old`` to ``new`` (two :class:`analytics.config.settings.Config`),
    one phrase each; empty when the reload changed nothing that matters."""
    out: list[str] = []
    for f in dataclasses.fields(old):
        if f.name in NOT_SETTINGS:
            continue
        a, b = getattr(old, f.name), getattr(new, f.name)
        if a != b:
            if dataclasses.is_dataclass(a):
                out += _fields(a, b, f"{f.name}.", f.name in PRIVATE_SECTIONS)
            else:
                out.append(f"{f.name} changed")
    out += _named("components", old.components, new.components, _component)
    out += _named("sources", old.sources, new.sources, lambda _a, b: f"sources.{b.name} changed")
    if old.keymap != new.keymap:
        out.append("keymap changed")
    return out
