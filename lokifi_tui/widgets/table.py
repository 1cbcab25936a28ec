"""A pane's table: vim keys, and updates by diff keyed by row so the triage cursor never jumps.

:meth:`PaneTable.sync` takes the new rows as ``(key, cells)`` in display order. When the keys and
their order are unchanged only the cells that differ are rewritten; otherwise the table is rebuilt
inside ``batch_update`` and the cursor returns to the row it was on — or, when that row is gone (it
was just dismissed), to the row that took its place.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable

from lokifi_tui.bindings import bindings_for

Cells = tuple[Text | str, ...]


class PaneTable(DataTable):
    """A row-cursor DataTable with j/k/g/G and keyed diff updates."""

    BINDINGS = bindings_for("list")

    class WidthChanged(Message):
        """The flexible column got a new width: cells drawn to a width (sparklines) should be redrawn."""

    def __init__(
        self, columns: Sequence[tuple[str, str, int | None]], *, pane: str, width_hint: int = 0, **kwargs
    ) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.pane = pane
        self.width_hint = width_hint  # the width expected before the first layout (a table composed with the screen)
        self._column_spec = list(columns)
        self._keys: list[str] = []
        self._cells: dict[str, Cells] = {}
        self.cursor_vertical_escape = False
        self._flex_width = 0

    def on_mount(self) -> None:
        self._flex_width = self._compute_flex_width()
        self._add_columns()

    def _compute_flex_width(self) -> int:
        """The column declared with width None takes what the others leave (cells are padded by 1 each side)."""
        fixed = sum((w or 0) + 2 for _, _, w in self._column_spec)
        width = self.size.width or self.width_hint or (self.parent.size.width if self.parent else 0) or 80
        available = width - 1  # room for the vertical scrollbar
        return max(available - fixed, 8)

    def _add_columns(self) -> None:
        for key, label, width in self._column_spec:
            self.add_column(Text(label, style="bold"), key=key, width=width if width is not None else self._flex_width)

    def on_resize(self) -> None:
        width = self._compute_flex_width()
        if width == self._flex_width:
            return
        self._flex_width = width
        rows = [(key, self._cells[key]) for key in self._keys]
        previous = self.cursor_row
        with self.app.batch_update():
            self.clear(columns=True)
            self._add_columns()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            if rows:
                self.move_cursor(row=min(max(previous, 0), len(rows) - 1), animate=False)
        self.post_message(self.WidthChanged())

    @property
    def flex_width(self) -> int:
        return self._flex_width

    # -- vim aliases (the ids come from bindings.py so the keymap can move them) --
    def action_down(self) -> None:
        self.action_cursor_down()

    def action_up(self) -> None:
        self.action_cursor_up()

    def action_top(self) -> None:
        self.action_scroll_top()

    def action_bottom(self) -> None:
        self.action_scroll_bottom()

    # -- data --
    @property
    def row_keys(self) -> list[str]:
        return list(self._keys)

    @property
    def current_key(self) -> str | None:
        if not self._keys or self.cursor_row < 0 or self.cursor_row >= len(self._keys):
            return None
        return self._keys[self.cursor_row]

    def sync(self, rows: Sequence[tuple[str, Cells]]) -> None:
        new_keys = [key for key, _ in rows]
        if new_keys == self._keys:
            column_keys = [c[0] for c in self._column_spec]
            for key, cells in rows:
                old = self._cells.get(key)
                if old == cells:
                    continue
                for idx, value in enumerate(cells):
                    if old is None or old[idx] != value:
                        self.update_cell(key, column_keys[idx], value)
                self._cells[key] = cells
            return
        previous_key = self.current_key
        previous_row = self.cursor_row
        with self.app.batch_update():
            self.clear()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            self._keys = new_keys
            self._cells = dict(rows)
            if not new_keys:
                return
            if previous_key in self._cells:
                target = new_keys.index(previous_key)
            else:
                target = min(max(previous_row, 0), len(new_keys) - 1)
            self.move_cursor(row=target, animate=False, scroll=True)
