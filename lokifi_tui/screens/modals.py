"""Modal screens: apply confirmation (with OSC 52 copy), snooze choice, solution editor, help.

Each returns its answer through ``dismiss`` (``ModalScreen[T]``); the dashboard decides what to do with
it. While any of these is open the dashboard's refresh is paused.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from lokifi_tui.host import host
from lokifi_tui.widgets.safe import safe


class ConfirmApply(ModalScreen[bool]):
    """Apply a recommendation? Shows its action command; ``c`` copies it (OSC 52), ``y`` applies."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Apply", id="lokifi.confirm.yes"),
        Binding("n,escape", "answer(False)", "Cancel", id="lokifi.confirm.no"),
        Binding("c", "copy", "Copy command", id="lokifi.confirm.copy"),
    ]

    def __init__(self, title: str, command: str, note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.command = command
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-body") as body:
            body.border_title = "Apply recommendation?"
            yield Static(safe(self.title_text, "bold", single_line=False))
            yield Static(Text("Action command:", style="dim"))
            yield Static(
                safe(self.command or "(this recommendation has no command)", single_line=False),
                id="apply-command",
                classes="command",
            )
            if self.note:
                yield Static(safe(self.note, "dim", single_line=False))
            yield Static(Text("y apply · c copy command · n / esc cancel", style="dim"), classes="modal-keys")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)

    def action_copy(self) -> None:
        if self.command:
            self.app.copy_to_clipboard(self.command)
            host(self).say("Command copied to the clipboard (OSC 52).", timeout=3)


SNOOZE_CHOICES: tuple[tuple[str, str, dt.timedelta], ...] = (
    ("1", "1 hour", dt.timedelta(hours=1)),
    ("2", "1 day", dt.timedelta(days=1)),
    ("3", "7 days", dt.timedelta(days=7)),
)


#: what :class:`SnoozeChoice` answers for its ``0`` choice (``end``): end the snooze or mute now
END_NOW = dt.timedelta(0)


class SnoozeChoice(ModalScreen[dt.timedelta | None]):
    """Snooze for 1h / 1d / 7d (keys 1/2/3 or h/d/w); with ``end`` given (what is in force: "unmute"),
    ``0`` ends it (answers :data:`END_NOW`)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1,h", "pick(0)", "1 hour", id="lokifi.snooze.1h"),
        Binding("2,d", "pick(1)", "1 day", id="lokifi.snooze.1d"),
        Binding("3,w", "pick(2)", "7 days", id="lokifi.snooze.7d"),
        Binding("0", "end", "End now", id="lokifi.snooze.end"),
        Binding("escape,n,q", "cancel", "Cancel", id="lokifi.snooze.cancel"),
    ]

    def __init__(self, title: str, heading: str = "Snooze", note: str = "", end: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.heading = heading
        self.note = note  # under the title: what else the choice applies to (data: shown literally)
        self.end = end  # the label of the 0 choice ("unmute"); "" offers none

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-body") as body:
            body.border_title = self.heading
            yield Static(safe(self.title_text, "bold", single_line=False))
            if self.note:
                yield Static(safe(self.note, "italic"))
            lines = Text()
            for key, label, _ in SNOOZE_CHOICES:
                lines.append(f" {key} ", style="reverse")
                lines.append(f" {label}\n")
            if self.end:
                lines.append(" 0 ", style="reverse")
                lines.append(f" {self.end}\n")
            lines.append("esc cancel", style="dim")
            yield Static(lines)

    def action_pick(self, index: int) -> None:
        self.dismiss(SNOOZE_CHOICES[index][2])

    def action_end(self) -> None:
        if self.end:
            self.dismiss(END_NOW)

    def action_cancel(self) -> None:
        self.dismiss(None)


class EditSolution(ModalScreen[str | None]):
    """Edit a pattern's solution; saving makes a new version (ctrl+s), esc discards.

    Where the editor starts is what a person typing expects: a suggestion (the built-in playbook, when the
    pattern has no solution yet) is selected, so typing replaces it and an arrow key keeps it to edit; the
    pattern's own solution is kept, with the cursor on a new line after it, so typing adds to it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save as new version", id="lokifi.edit.save", priority=True),
        Binding("escape", "cancel", "Discard", id="lokifi.edit.cancel", priority=True),
    ]

    def __init__(self, title: str, solution: str, versions: str, *, start: str | None = None) -> None:
        """``solution``: the current one ("" for none); ``start``: the editor's first text (the current
        solution, or the built-in playbook when there is none); ``versions``: e.g. "v2 → v3"."""
        super().__init__()
        self.title_text = title
        self.solution = solution
        self.start = solution if start is None else start
        self.versions = versions
        self.suggested = self.start.strip() != solution.strip()  # a suggestion to replace, not the user's text

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-body wide") as body:
            body.border_title = f"Solution ({self.versions})"
            yield Static(safe(self.title_text, "bold"))
            first = self.start if self.suggested or not self.start.strip() else self.start.rstrip() + "\n"
            yield TextArea(first, id="solution-editor", soft_wrap=True, show_line_numbers=False)
            keys = (
                "typing replaces the playbook · ← → edit it · ctrl+s save · esc discard"
                if self.suggested
                else "ctrl+s save as a new version · f7 select all · esc discard"
            )
            yield Static(Text(keys, style="dim"), classes="modal-keys")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        if self.suggested:
            area.select_all()
        else:
            area.move_cursor(area.document.end)

    def action_save(self) -> None:
        text = self.query_one(TextArea).text.strip()
        if not text:
            host(self).say("A solution cannot be empty.", severity="warning")
            return
        # unchanged (the current solution, or the playbook it started from): no new version
        if text in (self.solution.strip(), self.start.strip()):
            host(self).say("Unchanged: no new version saved.", timeout=3)
            self.dismiss(None)
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)


class HelpScreen(ModalScreen[None]):
    """Every key, built from the active bindings of the screen it was opened from (so remaps show)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark,f1", "close", "Close", id="lokifi.help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]], intro: str = "") -> None:
        super().__init__()
        self.rows = rows
        self.intro = intro

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=True, header_style="bold", expand=True, pad_edge=False)
        table.add_column("Key", no_wrap=True, style="bold")
        table.add_column("Does")
        for key, title, description in self.rows:
            if not key and not description:  # a group heading
                table.add_row(Text(title, style="bold underline"), Text(""))
                continue
            table.add_row(Text(key), Text(description or title))
        with VerticalScroll(classes="modal-body wide") as body:
            body.border_title = "Keys"
            body.border_subtitle = "esc closes · ↓ scrolls"  # on the border: visible at any size
            if self.intro:
                yield Static(Text(self.intro, style="dim"))
            yield Static(table)
            yield Static(Text("Keys are remappable: [keymap] in lokifi.toml (`lokifi locate`).", style="dim"))

    def action_close(self) -> None:
        self.dismiss(None)


def describe(value: Any) -> str:
    return "" if value is None else str(value)


KEYS_SETUP = "y write and read history · n / esc not now"


class SetupProposal(ModalScreen[bool]):
    """First start without a config: what Lokifi found on this host, and the file it would write."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,enter", "answer(True)", "Write and read history", id="lokifi.setup.yes"),
        Binding("n,escape", "answer(False)", "Not now", id="lokifi.setup.no"),
    ]

    def __init__(self, lines: list[str], path: str) -> None:
        super().__init__()
        self.lines = lines
        self.path = path

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-body") as body:
            body.border_title = "Watch this host?"
            # the keys on the border: visible at any size (a last line was cut off at 80x24 by a long list)
            body.border_subtitle = KEYS_SETUP
            yield Static(Text("No configuration yet. Found on this host:", style="bold"))
            with VerticalScroll(classes="proposal"):
                for line in self.lines or ["nothing listening and no logs found"]:
                    yield Static(safe(line, single_line=False))
            yield Static(
                safe(
                    f"y writes {self.path} and reads the last 7 days these logs hold; edit the file any time "
                    "(`lokifi config check` validates it).",
                    "dim",
                    single_line=False,
                ),
                classes="modal-note",
            )

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
