"""Toasts that leave the screen readable: how many show at once, by the terminal's size.

Every message of the dashboard (:meth:`lokifi_tui.app.LokifiApp.say`) is a toast at the bottom right. A few
actions in a row stacked three or four of them, which at 80x24 covered the right half of a details screen.
On a terminal smaller than the dashboard's grid (under 100 columns or 32 rows) one toast shows at a time,
the newest (it says what the last key did); on a larger one, three. Older toasts go when a newer one would
be one too many; the ones still due stay, with the time they have left. Only Textual's public toast API is
used (``notify``, ``clear_notifications``), so the ones kept are shown again after the clearing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

#: below this size (the dashboard's grid needs it too) a single toast shows at a time
SMALL_WIDTH, SMALL_HEIGHT = 100, 32
AT_ONCE_SMALL, AT_ONCE_LARGE = 1, 3


@dataclass(frozen=True)
class Shown:
    text: str
    title: str
    severity: str
    until: float  # time.monotonic() when it goes


class Toasts:
    """The toasts on screen, newest last."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.shown: list[Shown] = []

    def at_once(self) -> int:
        width, height = self.app.size
        return AT_ONCE_SMALL if width < SMALL_WIDTH or height < SMALL_HEIGHT else AT_ONCE_LARGE

    def show(self, text: str, *, title: str = "", severity: str = "information", timeout: float = 5) -> None:
        now = time.monotonic()
        shown = [s for s in self.shown if s.until > now]
        keep = self.at_once() - 1
        if len(shown) > keep:
            self.app.clear_notifications()
            shown = shown[len(shown) - keep :] if keep else []
            for s in shown:
                self._notify(s, s.until - now)
        new = Shown(text, title, severity, now + timeout)
        self.shown = [*shown, new]
        self._notify(new, timeout)

    def _notify(self, s: Shown, timeout: float) -> None:
        self.app.notify(s.text, title=s.title, severity=s.severity, timeout=timeout, markup=False)  # type: ignore[arg-type]
