"""The four panes: how each kind of row from the read model becomes table cells, and the pane box.

A pane shows its table, or — when its engine is not built yet, the store could not be read, or the
filter hides everything — one plain sentence saying so.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from analytics.dashboard import PANE_TITLES
from analytics.patterns.json_message import structured_message
from lokifi_tui.widgets.render import (
    COLOUR_STYLE,
    TREND_ARROW,
    age,
    confidence_bar,
    history_and_forecast,
    number,
    priority,
    severity,
    short_name,
)
from lokifi_tui.widgets.safe import clean, safe
from lokifi_tui.widgets.table import Cells, PaneTable

PANES = tuple(PANE_TITLES)  # in order

COLUMNS: dict[str, list[tuple[str, str, int | None]]] = {
    "predictions": [
        ("sev", "Sev", 4),
        ("type", "Type", 13),
        ("component", "Component", 10),
        ("conf", "Conf", 4),
        ("message", "Message", None),
    ],
    "forecast": [
        ("component", "Component", 9),
        ("spark", "History ┊ forecast", None),
        ("now", "Now → forecast", 14),
        ("change", "Δ%", 7),
        ("trend", "", 2),
    ],
    "recommendations": [
        ("prio", "Prio", 4),
        ("impact", "Imp", 4),
        ("title", "Title", None),
        ("age", "Age", 4),
    ],
    "patterns": [
        ("type", "Type", 10),
        ("count", "Count", 5),
        ("conf", "Confidence", 15),
        ("auto", "A", 1),
        ("message", "Message", None),
    ],
}


def prediction_cells(row: Any, now: dt.datetime, width: int = 20, with_host: bool = False) -> Cells:
    """A prediction's cells; ``with_host``: its host before the message (a fleet's rows, every host shown)."""
    measured = row.confidence_kind == "measured"
    conf = "—" if row.confidence is None else f"{'' if measured else '~'}{row.confidence * 100:.0f}%"
    message = safe(row.brief or row.message or row.recommendation)
    if with_host and getattr(row, "host", ""):
        message = safe(row.host, "bold") + Text(" ") + message
    return (
        severity(row.severity),
        safe(short_name(row.type)),
        safe(row.component),
        Text(conf, style="" if measured else "dim"),
        message,
    )


def forecast_cells(row: Any, now: dt.datetime, width: int = 20) -> Cells:
    style = COLOUR_STYLE.get(row.colour, "")
    change = "—" if row.pct_change is None else f"{row.pct_change:+.1f}%"
    arrow = TREND_ARROW.get(row.trend, "")
    if row.significant:
        arrow += "!"
    return (
        safe(row.component),
        history_and_forecast(row.history, row.forecast, width, style=style, note=row.note),
        Text(f"{number(row.current)} → {number(row.predicted)}"),
        Text(change, style=style),
        Text(arrow, style=style),
    )


def recommendation_cells(row: Any, now: dt.datetime, width: int = 20) -> Cells:
    return (
        priority(row.priority),
        Text("—" if row.impact is None else f"{row.impact:.1f}"),
        safe(row.title),
        # a row stamped ahead of this clock (another host's, a frozen demo clock) is new, not "in 4m"
        Text(age(min(row.created_at, now) if row.created_at else None, now), style="dim"),
    )


def pattern_cells(row: Any, now: dt.datetime, width: int = 20) -> Cells:
    return (
        safe(short_name(row.error_type)),
        Text(number(row.count) if row.count >= 10000 else str(row.count)),
        confidence_bar(row.confidence, row.lo, row.hi, width=6),
        Text("✓", style="green") if row.auto_approved else Text(" "),
        _muted(row, width) + _template_with_example(row, quiet=_muted_everywhere(row)),
    )


def muted_where_shown(row: Any, host: str) -> bool:
    """Is a pattern row muted where the dashboard looks: anywhere (every host shown, ``host`` ""), or on
    the one host H shows (a mute there, or one on every host)?"""
    hosts = getattr(row, "muted_on", ())
    return bool(getattr(row, "muted", False)) and (not host or not hosts or host in hosts)


def _pattern_cells_on(host: str, row: Any, now: dt.datetime, width: int = 20) -> Cells:
    """A pattern's cells with one host shown (H): muted only on other hosts, it is not muted here; muted
    here, the row says so without naming the host."""
    if getattr(row, "muted_on", ()):
        row = dataclasses.replace(row, muted=muted_where_shown(row, host), muted_on=(), muted_until=None)
    return pattern_cells(row, now, width)


def _muted_everywhere(row: Any) -> bool:
    return bool(getattr(row, "muted", False)) and not getattr(row, "muted_on", ())


#: The message column's width from which a mute's end or hosts are said before the message (a terminal of
#: about 100 columns); narrower, ``muted`` alone: ``muted to 12-06 04:57`` took half the column at 80
#: columns, and the pattern's details say the rest
MUTED_IN_FULL = 56


def _muted(row: Any, width: int = MUTED_IN_FULL) -> Text:
    """``muted`` (and, in a column ``width`` wide enough, until when or on which hosts) before a muted
    pattern's message: its predictions and alerts are off (there)."""
    if not getattr(row, "muted", False):
        return Text("")
    if width < MUTED_IN_FULL:
        return Text("muted ", style="yellow")
    hosts = getattr(row, "muted_on", ())
    if hosts:
        where = safe(hosts[0], "yellow") if len(hosts) == 1 else Text(f"{len(hosts)} hosts", style="yellow")
        return Text("muted on ", style="yellow") + where + Text(" ")
    until = f" to {row.muted_until:%m-%d %H:%M}" if row.muted_until else ""
    return Text(f"muted{until} ", style="yellow")


def _template_with_example(row: Any, quiet: bool = False) -> Text:
    """The template, then a real message of the pattern (dim) when the template has variables; of a JSON
    or logfmt line, its message field and its error field (the rest are fields the column has no room
    for). ``quiet``: all of it dim
    (a pattern muted on every host: expected, nothing to act on)."""
    template = row.template or row.message
    shown = structured_message(template) if template else None
    text = safe(shown or template, "dim" if quiet else "")
    if row.template and "<*>" in (shown or row.template) and row.message and row.message != row.template:
        example = (structured_message(row.message) if shown else None) or example_from(row.template, row.message)
        text.append("  e.g. ", style="dim")
        text.append_text(safe(example, "dim"))
    return text


def example_from(template: str, message: str) -> str:
    """The part of a raw message its template describes: a line read from a log keeps its header (time,
    level, pid), which the template left out, and would spend the column's width on it. The message is
    cut where the template's first words start in it; unchanged when they do not occur."""
    head = template.split("<*>", 1)[0]
    if len(head.strip()) >= 4:
        at = message.find(head)
        if at > 0:
            return message[at:]
    return message


def _with_host(row: Any, now: dt.datetime, width: int = 20) -> Cells:
    return prediction_cells(row, now, width, with_host=True)


CELLS: dict[str, Callable[[Any, dt.datetime, int], Cells]] = {
    "predictions": prediction_cells,
    "forecast": forecast_cells,
    "recommendations": recommendation_cells,
    "patterns": pattern_cells,
}


def row_text(row: Any) -> str:
    """What the filter matches against: every string field of the row, lower-cased."""
    parts = [str(v) for v in vars(row).values() if isinstance(v, str)] if hasattr(row, "__dict__") else []
    if not parts and hasattr(row, "__dataclass_fields__"):
        parts = [str(getattr(row, f)) for f in row.__dataclass_fields__ if isinstance(getattr(row, f), str)]
    return " ".join(parts).lower()


class PaneBox(Vertical):
    """A bordered pane: its table and a note line used when there are no rows to show."""

    def __init__(self, name: str, *, table_width: int = 0, **kwargs: Any) -> None:
        super().__init__(id=f"pane-{name}", classes="pane", **kwargs)
        self.pane = name
        # > 0: the table is composed with the pane, this wide (rows known before the first frame: the last
        # known state); 0: it is mounted after the first frame (add_table)
        self.table_width = table_width
        self.border_title = PANE_TITLES[name]
        self.rows: tuple[Any, ...] = ()
        self._shown_with: tuple[dt.datetime, str, str, str] | None = None

    def compose(self) -> ComposeResult:
        # Without rows to show, the table is mounted right after the first frame (add_table): it is hidden
        # until its first rows anyway, and four DataTables are a good part of what a first frame costs.
        # With the last known state, the rows are what the first frame is for.
        yield Static("loading…", classes="pane-note")
        if self.table_width:
            yield self._new_table(self.table_width)

    def _new_table(self, width_hint: int = 0) -> PaneTable:
        table = PaneTable(COLUMNS[self.pane], pane=self.pane, id=f"table-{self.pane}", width_hint=width_hint)
        table.display = False
        return table

    async def add_table(self) -> None:
        if self.has_table:
            return
        await self.mount(self._new_table())

    @property
    def has_table(self) -> bool:
        return bool(self.query(PaneTable))

    @property
    def table(self) -> PaneTable:
        return self.query_one(PaneTable)

    def show_note(self, text: str) -> None:
        note = self.query_one(".pane-note", Static)
        note.update(safe(text, single_line=False))
        note.display = True
        if self.has_table:
            self.table.display = bool(self.table.row_count)

    def on_pane_table_width_changed(self, event: PaneTable.WidthChanged) -> None:
        event.stop()
        if self._shown_with is not None and self.rows:
            self.show_rows(self.rows, *self._shown_with)

    def show_rows(
        self, rows: Sequence[Any], now: dt.datetime, filter_text: str = "", empty: str = "", host: str = ""
    ) -> None:
        self.rows = tuple(rows)
        self._shown_with = (now, filter_text, empty, host)
        shown = list(rows)
        if filter_text:
            needle = filter_text.lower()
            shown = [r for r in shown if needle in row_text(r)]
        if host:  # rows that name a host show only for that host; the others (per component) stay
            shown = [r for r in shown if getattr(r, "host", host) == host]
        cells = CELLS[self.pane]
        if self.pane == "predictions" and not host and len({getattr(r, "host", "") for r in rows} - {""}) > 1:
            cells = _with_host  # a fleet's rows, every host shown: say whose each one is
        if self.pane == "patterns" and host:
            cells = partial(_pattern_cells_on, host)  # muted or not as it is on the host H shows
        width = self.table.flex_width or 20
        self.table.sync([(r.key, cells(r, now, width)) for r in shown])
        note = self.query_one(".pane-note", Static)
        count = f"{len(shown)}/{len(rows)}" if filter_text or host else f"{len(rows)}"
        if host and any(hasattr(r, "host") for r in rows):
            count += f" on {clean(host)}"
        self.border_subtitle = count
        if shown:
            note.display = False
            self.table.display = True
        else:
            if filter_text and rows:
                said = f"no rows match “{clean(filter_text)}”" + (f" on {clean(host)}" if host else "")
            elif host and rows:
                said = f"no rows for host {clean(host)} (H: next host)"
            else:
                said = empty
            note.update(Text(said, style="dim"))
            note.display = True
            self.table.display = False

    def current_row(self) -> Any | None:
        if not self.has_table:
            return None
        key = self.table.current_key
        if key is None or not self.table.display:
            return None
        for row in self.rows:
            if row.key == key:
                return row
        return None
