"""Every key the dashboard answers to, declared once, remappable from the config file.

The same :data:`ACTIONS` table feeds the screens' ``BINDINGS`` (each with a stable ``id``), the ``?`` help
screen and the command palette, so a key that is remapped in ``lokifi.toml`` shows up remapped everywhere.

Config (``[keymap]`` in lokifi.toml)::

    [keymap]
    apply = "A"            # one key
    dismiss = "x,delete"   # several keys, comma separated
    "lokifi.snooze" = "z"  # the full binding id works too
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding

PREFIX = "lokifi."


@dataclass(frozen=True)
class ActionSpec:
    """One user-facing action: its binding id, default keys, where it lives and what it says."""

    name: str  # binding id without the prefix; also the action name on the screen
    keys: str  # default keys (Textual key names, comma separated)
    title: str  # short label (footer, palette)
    help: str  # one line for the help screen and palette
    scope: str = "dashboard"  # "dashboard" (DashboardScreen), "list" (a pane's table), "app"
    show: bool = True  # shown in the footer
    key_display: str | None = None
    action: str = ""  # the action method's name when it differs from ``name``

    @property
    def action_name(self) -> str:
        return self.action or self.name

    @property
    def id(self) -> str:
        return PREFIX + self.name


ACTIONS: tuple[ActionSpec, ...] = (
    # help first: the footer is cut at 80 columns, and `?` is the one key a new user needs to see
    ActionSpec("help", "question_mark,f1", "Help", "Show every key", key_display="?"),
    ActionSpec("apply", "a", "Apply", "Apply the selected recommendation (asks first, shows the command)"),
    ActionSpec("dismiss", "d", "Dismiss", "Dismiss the selected recommendation", action="dismiss_rec"),
    ActionSpec("snooze", "s", "Snooze", "Snooze the selected recommendation for 1h / 1d / 7d"),
    ActionSpec("undo", "u", "Undo", "Undo the last triage action"),
    ActionSpec("fix_worked", "y", "Worked", "Record that the selected pattern's fix worked"),
    ActionSpec("fix_failed", "n", "Failed", "Record that the selected pattern's fix failed"),
    ActionSpec("edit_solution", "e", "Edit fix", "Edit the selected pattern's solution (a new version)"),
    ActionSpec("root_cause", "r", "Root cause", "Root-cause analysis of the selected pattern"),
    ActionSpec("details", "enter", "Details", "Open the details of the selected row", show=False),
    ActionSpec("filter", "slash", "Filter", "Filter the rows of every pane", key_display="/"),
    ActionSpec("host_filter", "H", "Host", "Show one host's predictions (H again: the next host, then all)",
               show=False),
    ActionSpec("next_pane", "tab", "Next pane", "Move to the next pane", show=False),
    ActionSpec("prev_pane", "shift+tab", "Prev pane", "Move to the previous pane", show=False),
    ActionSpec("refresh", "ctrl+r", "Refresh", "Reload the data now", show=False),
    ActionSpec("quit", "q", "Quit", "Quit Lokifi", scope="app"),
    ActionSpec("down", "j,down", "Down", "Next row", scope="list", show=False),
    ActionSpec("up", "k,up", "Up", "Previous row", scope="list", show=False),
    ActionSpec("top", "g,home", "Top", "First row", scope="list", show=False),
    ActionSpec("bottom", "G,end", "Bottom", "Last row", scope="list", show=False),
)

BY_NAME: dict[str, ActionSpec] = {spec.name: spec for spec in ACTIONS}

# Actions that work on a row of a given pane; used by check_action to grey out what does not apply.
PANE_ACTIONS: dict[str, frozenset[str]] = {
    "recommendations": frozenset({"apply", "dismiss_rec", "snooze"}),
    "patterns": frozenset({"fix_worked", "fix_failed", "edit_solution", "root_cause"}),
}


def bindings_for(scope: str) -> list[Binding]:
    """``Binding`` objects (with ids, so the keymap can move them) for one scope."""
    return [
        Binding(
            spec.keys,
            spec.action_name,
            spec.title,
            show=spec.show,
            key_display=spec.key_display,
            id=spec.id,
            tooltip=spec.help,
        )
        for spec in ACTIONS
        if spec.scope == scope
    ]


class KeymapError(ValueError):
    """A keymap entry names an action that does not exist or has no keys."""


def keymap_from_config(raw: Mapping[str, object] | None) -> tuple[dict[str, str], list[str]]:
    """Turn the config's ``[keymap]`` table into a Textual keymap; return it and the problems found.

    Unknown actions and empty values are reported (never fatal: the dashboard starts with the rest).
    """
    keymap: dict[str, str] = {}
    problems: list[str] = []
    if not raw:
        return keymap, problems
    for key, value in raw.items():
        name = str(key).removeprefix(PREFIX)
        if name not in BY_NAME:
            problems.append(f"[keymap] {key!r}: no such action (known: {', '.join(sorted(BY_NAME))})")
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        if not isinstance(value, str) or not value.strip():
            problems.append(f"[keymap] {key!r}: expected keys such as \"x\" or \"ctrl+x,f5\", got {value!r}")
            continue
        keymap[BY_NAME[name].id] = ",".join(part.strip() for part in value.split(",") if part.strip())
    problems.extend(keymap_clashes(keymap))
    return keymap, problems


def _pane_of(name: str) -> str | None:
    action = BY_NAME[name].action_name
    return next((pane for pane, actions in PANE_ACTIONS.items() if action in actions), None)


def _clash(names: list[str]) -> bool:
    """Two actions on one key clash unless each works in a different pane (only one is live at a time)."""
    panes = [_pane_of(n) for n in names]
    return len(names) > 1 and (None in panes or len(set(panes)) < len(panes))


#: Keys the dashboard uses outside the action table (palette, quit, closing the filter/modals).
RESERVED_KEYS = {"ctrl+p": "the command palette", "ctrl+c": "quit", "escape": "closing the filter and dialogs"}


def key_names(keys: str) -> list[str]:
    """Comma-separated keys as Textual names them in its bindings (``?`` is ``question_mark``), through
    the public ``Binding.make_bindings``."""
    keys = ",".join(k for k in keys.split(",") if k.strip())
    return [b.key for b in Binding.make_bindings([Binding(keys, "")])] if keys else []


def keymap_clashes(keymap: Mapping[str, str]) -> list[str]:
    """Keys that would reach two live actions once ``keymap`` is applied (a pane's table takes its keys
    first, the first binding of a screen wins: one of the two would never run). Two pane actions of
    different panes may share a key: only the focused pane's one is live."""
    owners: dict[str, list[str]] = {}
    for spec in ACTIONS:
        for key in key_names(keymap.get(spec.id, spec.keys)):
            if spec.name not in owners.setdefault(key, []):
                owners[key].append(spec.name)
    problems = []
    for key, names in owners.items():
        moved = [n for n in names if BY_NAME[n].id in keymap]
        if not moved:
            continue
        if _clash(names):
            others = ", ".join(n for n in names if n != moved[0])
            problems.append(f"[keymap] {moved[0]!r}: key {key!r} is also bound to {others}; "
                            "only one of them will run (give one of them another key)")
        if key in RESERVED_KEYS:
            problems.append(f"[keymap] {moved[0]!r}: key {key!r} is reserved for {RESERVED_KEYS[key]}")
    return problems


def config_keymap(config: object | None) -> Mapping[str, object] | None:
    """The ``[keymap]`` table of a Config object or a plain mapping, whatever shape the config has."""
    if config is None:
        return None
    if isinstance(config, Mapping):
        value = config.get("keymap")
    else:
        value = getattr(config, "keymap", None)
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value
    if hasattr(value, "__dict__"):
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    return None
