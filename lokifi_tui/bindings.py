"""Every key the dashboard and its detail screens answer to, declared once, remappable from the config file.

The same tables feed the screens' ``BINDINGS`` (each with a stable ``id``), the ``?`` help screen and the
command palette (:data:`ACTIONS`), so a key that is remapped in ``lokifi.toml`` shows up remapped
everywhere. A detail screen answers to the dashboard's triage keys under the same ids (remapping ``apply``
moves it on both screens) and to its own (:data:`DETAIL_ACTIONS`: back and scrolling).

Config (``[keymap]`` in lokifi.toml)::

    [keymap]
    apply = "A"            # one key
    dismiss = "x,delete"   # several keys, comma separated
    "lokifi.snooze" = "z"  # the full binding id works too
    "detail.back" = "b"    # a detail screen's own keys
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

from textual.binding import Binding

from analytics.dashboard import PANE_TITLES

PREFIX = "lokifi."
#: Below this width a screen's footer is compact and leaves out the palette hint (ctrl+p still opens it)
WIDE_FOOTER = 100


@dataclass(frozen=True)
class ActionSpec:
    """One user-facing action: its binding id, default keys, where it lives and what it says."""

    name: str  # binding id without the prefix; also the action name on the screen
    keys: str  # default keys (Textual key names, comma separated)
    title: str  # short label (footer, palette)
    help: str  # one line for the help screen and palette
    scope: str = "dashboard"  # "dashboard" (DashboardScreen), "list" (a pane's table), "app", "detail"
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
    ActionSpec(
        "mute",
        "m",
        "Mute",
        "Mute the selected pattern (or a recurring prediction's) 1h/1d/7d, or 0 unmute (H: that host)",
    ),
    ActionSpec("details", "enter", "Details", "Open the details of the selected row", show=False),
    ActionSpec("filter", "slash", "Filter", "Filter the rows of every pane", key_display="/"),
    ActionSpec(
        "host_filter", "H", "Host", "Show one host's predictions (H again: the next host, then all)", show=False
    ),
    ActionSpec("next_pane", "tab", "Next pane", "Move to the next pane", show=False),
    ActionSpec("prev_pane", "shift+tab", "Prev pane", "Move to the previous pane", show=False),
    # a pane by its place in the tab strip, as btop and lazygit number theirs
    *(
        ActionSpec(f"pane_{pane}", str(n), title, f"Show the {title} pane", show=False)
        for n, (pane, title) in enumerate(PANE_TITLES.items(), 1)
    ),
    ActionSpec("refresh", "ctrl+r", "Refresh", "Reload the data now", show=False),
    ActionSpec("quit", "q", "Quit", "Quit Lokifi", scope="app"),
    ActionSpec("down", "j,down", "Down", "Next row", scope="list", show=False),
    ActionSpec("up", "k,up", "Up", "Previous row", scope="list", show=False),
    ActionSpec("top", "g,home", "Top", "First row", scope="list", show=False),
    ActionSpec("bottom", "G,end", "Bottom", "Last row", scope="list", show=False),
)

#: A detail screen's own keys (their ids are the ones the screen had before it joined this table).
DETAIL_ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec(
        "detail.back",
        "escape,q",
        "Back",
        "Back to the dashboard (first stops an analysis running here)",
        scope="detail",
        action="back",
    ),
    ActionSpec("detail.down", "j,down", "Down", "Scroll down", scope="detail", show=False, action="scroll_down"),
    ActionSpec("detail.up", "k,up", "Up", "Scroll up", scope="detail", show=False, action="scroll_up"),
    ActionSpec("detail.top", "g,home", "Top", "Scroll to the top", scope="detail", show=False, action="scroll_home"),
    ActionSpec("detail.end", "G,end", "End", "Scroll to the end", scope="detail", show=False, action="scroll_end"),
)

#: The dashboard's actions a detail screen answers to as well, in its footer's order (``help`` is not shown
#: there: the footer lists what acts on the item).
ON_DETAIL: tuple[str, ...] = (
    "root_cause",
    "mute",
    "fix_worked",
    "fix_failed",
    "edit_solution",
    "apply",
    "dismiss",
    "snooze",
    "undo",
    "help",
)

BY_NAME: dict[str, ActionSpec] = {spec.name: spec for spec in (*ACTIONS, *DETAIL_ACTIONS)}

# Actions that work on a row of a given pane; used by check_action to grey out what does not apply.
PANE_ACTIONS: dict[str, frozenset[str]] = {
    "recommendations": frozenset({"apply", "dismiss_rec", "snooze"}),
    "patterns": frozenset({"fix_worked", "fix_failed", "edit_solution", "root_cause", "mute"}),
    "predictions": frozenset({"mute"}),
}


def panes_for(action: str) -> list[str]:
    """The panes whose rows ``action`` works on (none: it works anywhere)."""
    return [pane for pane, actions in PANE_ACTIONS.items() if action in actions]


def _binding(spec: ActionSpec, *, show: bool = True) -> Binding:
    return Binding(
        spec.keys,
        spec.action_name,
        spec.title,
        show=show and spec.show,
        key_display=spec.key_display,
        id=spec.id,
        tooltip=spec.help,
    )


def bindings_for(scope: str) -> list[Binding]:
    """``Binding`` objects (with ids, so the keymap can move them) for one scope."""
    if scope == "detail":
        return [
            *(_binding(spec) for spec in DETAIL_ACTIONS),
            *(_binding(BY_NAME[name], show=name != "help") for name in ON_DETAIL),
        ]
    out = []
    for spec in ACTIONS:
        if spec.scope == scope:
            out.append(_binding(spec))
        if scope == "dashboard" and spec.name == "help":
            # the app's quit, also the dashboard's right after help: the footer lists the screen's keys
            # before the app's, and cuts the end of the line in a narrow pane -- `?` and `q` always show
            quit_ = BY_NAME["quit"]
            out.append(dataclasses.replace(_binding(quit_), action="app.quit"))
    return out


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
            problems.append(f'[keymap] {key!r}: expected keys such as "x" or "ctrl+x,f5", got {value!r}')
            continue
        keymap[BY_NAME[name].id] = ",".join(part.strip() for part in value.split(",") if part.strip())
    # an entry whose keys clash or are reserved is not applied: its action keeps its default keys (applied,
    # one of the two actions would never run, and the help would list a key that does nothing)
    while found := keymap_clashes(keymap):
        for name, text in found:
            if keymap.pop(BY_NAME[name].id, None) is not None:
                problems.append(f"{text}; it keeps its default keys")
    return keymap, problems


def _does(name: str) -> str:
    """An action as the help screen describes it, and where when that is a details screen: ``Quit Lokifi``,
    ``Back to the dashboard (first stops an analysis running here) on a details screen``."""
    spec = BY_NAME[name]
    return spec.help + (" on a details screen" if spec.scope == "detail" else "")


def _pane_of(name: str) -> str | None:
    action = BY_NAME[name].action_name
    return next((pane for pane, actions in PANE_ACTIONS.items() if action in actions), None)


def _screens(name: str) -> set[str]:
    """Where an action's keys are live: the dashboard, a detail screen, or both."""
    spec = BY_NAME[name]
    if spec.scope == "detail":
        return {"detail"}
    return {"dashboard", "detail"} if spec.scope == "app" or name in ON_DETAIL else {"dashboard"}


def _clash(key: str, names: list[str]) -> bool:
    """Two actions on one key clash when one screen answers to both, unless each works in a different pane
    (only one is live at a time), or both have the key by default (the screen's binding is meant to win
    over the App's: ``q`` goes back from a detail screen)."""
    for a, b in combinations(names, 2):
        pane_a, pane_b = _pane_of(a), _pane_of(b)
        if (
            _screens(a) & _screens(b)
            and (None in (pane_a, pane_b) or pane_a == pane_b)
            and not (key in key_names(BY_NAME[a].keys) and key in key_names(BY_NAME[b].keys))
        ):
            return True
    return False


#: Keys the dashboard uses outside the action table (palette, quit, closing the filter/modals).
RESERVED_KEYS = {"ctrl+p": "the command palette", "ctrl+c": "quit", "escape": "closing the filter and dialogs"}


def key_names(keys: str) -> list[str]:
    """Comma-separated keys as Textual names them in its bindings (``?`` is ``question_mark``), through
    the public ``Binding.make_bindings``."""
    keys = ",".join(k for k in keys.split(",") if k.strip())
    return [b.key for b in Binding.make_bindings([Binding(keys, "")])] if keys else []


def keymap_clashes(keymap: Mapping[str, str]) -> list[tuple[str, str]]:
    """Keys that would reach two live actions once ``keymap`` is applied (a pane's table takes its keys
    first, the first binding of a screen wins: one of the two would never run), and reserved keys taken:
    (the remapped action to blame, what is wrong). Two pane actions of different panes may share a key:
    only the focused pane's one is live."""
    owners: dict[str, list[str]] = {}
    for spec in BY_NAME.values():
        for key in key_names(keymap.get(spec.id, spec.keys)):
            if spec.name not in owners.setdefault(key, []):
                owners[key].append(spec.name)
    problems: list[tuple[str, str]] = []
    for key, names in owners.items():
        moved = [n for n in names if BY_NAME[n].id in keymap]
        if not moved:
            continue
        if _clash(key, names):
            # what the key already does, as the help (?) says it: not the actions' internal names
            others = " and ".join(f'"{_does(n)}"' for n in names if n != moved[0])
            label = key_label(key, None)
            problems.append((moved[0], f"[keymap] {moved[0]!r}: key {label!r} already does {others}"))
        if key in RESERVED_KEYS and key not in key_names(BY_NAME[moved[0]].keys):
            problems.append((moved[0], f"[keymap] {moved[0]!r}: key {key!r} is reserved for {RESERVED_KEYS[key]}"))
    return problems


def key_label(key: str, display: str | None) -> str:
    """``question_mark`` -> ``?`` (the action's own display), ``ctrl+r`` -> ``^r``, ``enter`` -> ``⏎``
    for the help screen."""
    key = key.strip()
    if display and len(key) > 1 and key not in ("enter", "tab", "down", "up", "home", "end", "f1"):
        return display
    return {
        "enter": "⏎",
        "down": "↓",
        "up": "↑",
        "shift+tab": "shift+tab",
        "question_mark": "?",
        "slash": "/",
        "escape": "esc",
    }.get(key, key.replace("ctrl+", "^"))


def _help_row(spec: ActionSpec, keymap: Mapping[str, str]) -> tuple[str, str, str]:
    keys = keymap.get(spec.id, spec.keys)
    return ", ".join(dict.fromkeys(key_label(k, spec.key_display) for k in keys.split(","))), spec.title, spec.help


def _flatten(groups: dict[str, list[tuple[str, str, str]]]) -> list[tuple[str, str, str]]:
    """Rows for :class:`~lokifi_tui.screens.modals.HelpScreen`: a heading row ("", name, "") per group."""
    rows: list[tuple[str, str, str]] = []
    for name, items in groups.items():
        if items:
            rows.append(("", name, ""))
            rows.extend(items)
    return rows


PALETTE_ROW = ("^p", "Palette", "Command palette: every action by name")  # as the footer and ^r say it


def dashboard_help(keymap: Mapping[str, str], active_pane: str) -> list[tuple[str, str, str]]:
    """Every key of the dashboard (never Textual's own), grouped by where it works, as remapped; the keys
    of the pane in use first: what fits an 80x24 screen is what matters now. A key of several panes (m)
    is listed with the pane in use when it works there, else with the first of them."""
    groups: dict[str, list[tuple[str, str, str]]] = {"Everywhere": [], "In a pane's rows": []}
    for spec in ACTIONS:
        panes = panes_for(spec.action_name)
        where = active_pane if active_pane in panes else panes[0] if panes else None
        group = f"{where.capitalize()} pane" if where else "In a pane's rows" if spec.scope == "list" else "Everywhere"
        groups.setdefault(group, []).append(_help_row(spec, keymap))
    groups["Everywhere"].append(PALETTE_ROW)
    here = f"{active_pane.capitalize()} pane"
    if here in groups:
        groups = {here: groups[here], **{k: v for k, v in groups.items() if k != here}}
    return _flatten(groups)


def detail_help(keymap: Mapping[str, str], pane: str | None) -> list[tuple[str, str, str]]:
    """The keys of a detail screen, as remapped: the item's own actions (``pane``: the pane its rows are
    triaged in, None for none), then the screen's."""
    own = [_help_row(BY_NAME[n], keymap) for n in ON_DETAIL if pane is not None and _pane_of(n) == pane]
    screen = [
        *(_help_row(spec, keymap) for spec in DETAIL_ACTIONS),
        *(_help_row(BY_NAME[n], keymap) for n in ON_DETAIL if _pane_of(n) is None),
        PALETTE_ROW,
    ]
    return _flatten({"This item": own, "This screen": screen})


def config_keymap(config: object | None) -> Mapping[str, object] | None:
    """The ``[keymap]`` table of a Config object or a plain mapping, whatever shape the config has."""
    if config is None:
        return None
    value = config.get("keymap") if isinstance(config, Mapping) else getattr(config, "keymap", None)
    if value is None:
        return None
    if isinstance(value, Mapping):
        return value
    if hasattr(value, "__dict__"):
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    return None
