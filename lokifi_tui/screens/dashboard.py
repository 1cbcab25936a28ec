"""The dashboard screen: top bar, four panes (tabs when the terminal is small), filter, triage keys.

It renders what the App's refresh hands it and turns keys into intents on the selected row: its
:class:`~lokifi_tui.screens.row_actions.RowActions` runs them (triage, root-cause analysis, details) in
thread workers, and the engines do the work (:mod:`lokifi_tui.triage`). It reaches the App only through
:class:`~lokifi_tui.host.DashboardHost` (the App imports this module, never the other way).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Container
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, Tab, Tabs

from analytics.dashboard import PANE_TITLES
from analytics.patterns.json_message import structured_message
from lokifi_tui.bindings import WIDE_FOOTER, bindings_for, dashboard_help, panes_for
from lokifi_tui.host import host
from lokifi_tui.messages import AnalysisDone, TriageDone
from lokifi_tui.screens.row_actions import RowActions
from lokifi_tui.widgets.empty_state import empty_text
from lokifi_tui.widgets.panes import COLUMNS, PANES, PaneBox, muted_where_shown
from lokifi_tui.widgets.safe import safe
from lokifi_tui.widgets.table import PaneTable
from lokifi_tui.widgets.topbar import StatsBar, VitalsBar, sample_vitals

#: Below this size the four panes become tabs (one pane at a time).
#: Every pane of the grid must leave its message/title column this many characters; narrower, tabs
MIN_MESSAGE = 40
NARROW_WIDTH = 2 * max(sum(w + 2 for _, _, w in cols if w) + MIN_MESSAGE + 2 + 1 + 2 for cols in COLUMNS.values())
NARROW_HEIGHT = 32


class DashboardScreen(Screen):
    BINDINGS = bindings_for("dashboard")

    def __init__(self) -> None:
        super().__init__(id="dashboard")
        self.row_actions = RowActions(self)
        self.active_pane = "predictions"
        self.filter_text = ""
        self.host_filter = ""  # H: one host's rows (rows that name a host), "" for all
        self.view: Any = None
        self._now: Any = None
        self.tables_ready = False
        self.narrow = False
        self._banner_text: str | None = None  # what the banner says (kept when asked before the screen is up)
        self._when_ready: list[Any] = []  # run once the tables (and any rows) are on screen

    def compose(self) -> ComposeResult:
        with Container(id="topbar"):
            yield VitalsBar(id="vitals")
            yield StatsBar(Text("reading the store…", style="dim"), id="stats")
        yield Static("", id="banner")
        # the pane tabs exist only once the terminal is small (mounted by _apply_size)
        width, narrow = self._first_table_width()
        with Container(id="panes"):
            for name in PANES:
                # narrow, only the active pane shows: the others' tables are mounted after the first frame
                yield PaneBox(name, table_width=width if not narrow or name == self.active_pane else 0)
        # the filter field is mounted on the first `/`, the footer (a widget per key) right after the
        # first frame: the first frame does not wait for either

    def _first_table_width(self) -> tuple[int, bool]:
        """How wide the panes' tables will be when they are composed with the screen, or 0 when they are
        mounted after the first frame: a restart with the last known state (a view given before the
        screen is composed) draws its rows in the first frame, a first start draws the frame sooner."""
        width, height = self.app.size
        narrow = width < NARROW_WIDTH or height < NARROW_HEIGHT
        if self.view is None:
            return 0, narrow
        return max((width if narrow else width // 2) - 2, 1), narrow  # a round border takes a cell each side

    @staticmethod
    def _footer(width: int) -> Footer:
        return Footer(compact=width < WIDE_FOOTER, show_command_palette=width >= WIDE_FOOTER)

    def on_mount(self) -> None:
        self.show_banner(self._banner_text)  # hidden unless one was asked for before the screen was up
        if self.view is not None:
            # the last known state: the top bar's figures, and the rows of the tables composed with the
            # screen, in the first frame
            self.show_view(self.view, now=self._now)
            self.focus_table()
        if host(self).sampler is sample_vitals:
            # memory, disk and load are instant readings: the first frame shows them (CPU follows)
            self.push_vitals(sample_vitals(instant=True))
        self._apply_size(self.size.width, self.size.height)
        self.call_after_refresh(self._add_tables)

    async def _add_tables(self) -> None:
        """After the first frame: the panes' tables and the footer, then the data that may have arrived
        meanwhile."""
        from textual.widget import MountError

        try:
            for box in self.query(PaneBox):
                await box.add_table()
            if not self.query(Footer):
                await self.mount(self._footer(self.size.width))
                # Textual's footer lists the keys when the screen's bindings change (a focus change);
                # on a restart the table was focused with the first frame, before the footer existed
                self.refresh_bindings()
        except MountError:  # quit before the tables were up
            return
        self.tables_ready = True
        self.focus_table()
        if self.view is not None:
            self.show_view(self.view, now=self._now)  # the tables mounted now; rows already shown are kept
        for callback in self._when_ready:
            self.call_after_refresh(callback)
        self._when_ready.clear()

    def when_ready(self, callback: Any) -> None:
        """Run ``callback`` after the frame that shows the tables (at once if it has been drawn)."""
        if self.tables_ready:
            callback()
        else:
            self._when_ready.append(callback)

    def on_screen_suspend(self) -> None:
        host(self).set_vitals_paused(True)  # covered: nothing to draw the samples on

    def on_screen_resume(self) -> None:
        host(self).set_vitals_paused(False)
        host(self).check_store_now()  # what was asked for or done meanwhile shows now

    # -- layout ------------------------------------------------------------------------------------

    def on_resize(self, event) -> None:
        self._apply_size(event.size.width, event.size.height)

    def _apply_size(self, width: int, height: int) -> None:
        narrow = width < NARROW_WIDTH or height < NARROW_HEIGHT
        self.narrow = narrow
        self.set_class(narrow, "narrow")
        tabs = self._tabs()
        if narrow and tabs is None:
            tabs = Tabs(
                *[Tab(PANE_TITLES[p], id=f"tab-{p}") for p in PANES], id="pane-tabs", active=f"tab-{self.active_pane}"
            )
            self.mount(tabs, before=self.query_one("#panes"))
        if tabs is not None:
            tabs.display = narrow
        for footer in self.query(Footer):  # below this width every key stays visible, `q` included
            footer.compact = width < WIDE_FOOTER
            if footer.show_command_palette != (width >= WIDE_FOOTER):
                footer.show_command_palette = width >= WIDE_FOOTER
                self.refresh_bindings()  # the footer draws its keys again only when the bindings change
        self._show_active()

    def _show_active(self) -> None:
        for box in self.query(PaneBox):
            active = box.pane == self.active_pane
            if box.has_class("active") != active:
                box.set_class(active, "active")
            shown = (not self.narrow) or active
            if box.display != shown:
                box.display = shown
        tabs = self._tabs()
        if tabs is not None and tabs.active != f"tab-{self.active_pane}":
            try:
                tabs.active = f"tab-{self.active_pane}"
            except ValueError:  # just mounted, its tabs not yet: it was created with the active one
                pass

    def _tabs(self) -> Tabs | None:
        try:
            return self.query_one("#pane-tabs", Tabs)
        except NoMatches:
            return None

    def box(self, name: str) -> PaneBox:
        return self.query_one(f"#pane-{name}", PaneBox)

    def focus_pane(self, name: str) -> None:
        changed = name != self.active_pane
        self.active_pane = name
        self._show_active()
        self.focus_table()
        if changed:
            self.refresh_bindings()

    @on(Tabs.TabActivated)
    def _tab_activated(self, event: Tabs.TabActivated) -> None:
        # Setting Tabs.active from focus_pane posts this message later: by then a quick second `tab` may
        # have moved on, and obeying the stale message bounced the panes back and forth (QA bug 17).
        if event.tab.id != event.tabs.active:
            return
        name = (event.tab.id or "").removeprefix("tab-")
        if name in PANES and name != self.active_pane:
            self.focus_pane(name)

    def on_descendant_focus(self, event) -> None:
        widget = event.widget
        if widget is not self.app.focused:
            return  # a stale focus message: a quicker key has already moved focus on
        if isinstance(widget, PaneTable) and widget.pane != self.active_pane:
            self.active_pane = widget.pane
            self._show_active()
            self.refresh_bindings()  # the pane's triage keys appear in the footer

    # -- data --------------------------------------------------------------------------------------

    def rerender(self, now: Any) -> None:
        """Show the last view again as of ``now`` (ages move on; rows that did not change are untouched)."""
        if self.view is not None:
            self.show_view(self.view, now=now)

    def show_view(self, view: Any, *, now: Any = None) -> None:
        self.view = view
        self._now = now or view.now
        if not self.query(StatsBar):
            return  # not composed yet: on_mount shows it (is_mounted is False until on_mount has run)
        self.query_one(StatsBar).show(view, self.host_filter, self._now)
        if not host(self).demo:  # the demo's stored vitals are another (made-up) host's; the bar is this one
            bar = self.query_one(VitalsBar)
            bar.collector = (view.setup, self._now)
            bar.seed(view.vitals)
        for name in PANES:
            pane = view.panes.get(name)
            box = self.box(name)
            if pane is None or not box.has_table:
                continue  # a table not mounted yet gets its rows when it is (_add_tables)
            if not pane.available:
                box.rows = ()
                box.table.sync([])
                box.show_note(pane.note)
                box.border_subtitle = "not built"
                continue
            box.show_rows(pane.rows, self._now, self.filter_text, empty_text(name, view.setup), self.host_filter)

    def show_banner(self, text: str | None) -> None:
        self._banner_text = text
        try:
            banner = self.query_one("#banner", Static)
        except NoMatches:
            return  # not composed yet: on_mount shows it
        if text:
            banner.update(safe(text, single_line=False))
            banner.display = True
        else:
            banner.display = False

    def push_vitals(self, sample: Any) -> None:
        try:
            bar = self.query_one(VitalsBar)
        except NoMatches:  # not composed yet, or shutting down
            return
        bar.push(sample)

    def current(self, pane: str | None = None) -> Any | None:
        """The row under the cursor in ``pane`` (the active pane by default)."""
        return self.box(pane or self.active_pane).current_row()

    def focus_table(self) -> None:
        box = self.box(self.active_pane)
        if box.has_table:
            box.table.focus()

    # -- bindings ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        panes = panes_for(action)
        return self.active_pane in panes if panes else True

    def action_next_pane(self) -> None:
        self._cycle(1)

    def action_prev_pane(self) -> None:
        self._cycle(-1)

    def action_pane_predictions(self) -> None:
        self.focus_pane("predictions")

    def action_pane_forecast(self) -> None:
        self.focus_pane("forecast")

    def action_pane_recommendations(self) -> None:
        self.focus_pane("recommendations")

    def action_pane_patterns(self) -> None:
        self.focus_pane("patterns")

    def _cycle(self, step: int) -> None:
        index = PANES.index(self.active_pane)
        self.focus_pane(PANES[(index + step) % len(PANES)])

    def _filter_field(self) -> Any | None:
        try:
            return self.query_one("#filter")
        except NoMatches:
            return None

    async def action_filter(self) -> None:
        field = self._filter_field()
        if field is None:
            from textual.widgets import Input

            field = Input(placeholder="filter rows (esc clears)", id="filter")
            await self.mount(field, after=self.query_one("#panes"))  # before the footer, mounted or not
        field.display = True
        field.focus()

    def on_input_changed(self, event: Any) -> None:
        if event.input.id != "filter":
            return
        self.filter_text = event.value.strip()
        if self.view is not None:
            self.show_view(self.view, now=self._now)

    def on_input_submitted(self, event: Any) -> None:
        if event.input.id != "filter":
            return
        if not self.filter_text:
            event.input.display = False
        self.focus_table()

    def key_escape(self) -> None:
        field = self._filter_field()
        if field is not None and field.display:
            field.value = ""
            field.display = False
            self.focus_table()
        else:
            self.row_actions.cancel_analysis()

    @on(DataTable.RowSelected)
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_details()

    # -- triage: the selected row, handed to the row actions ------------------------------------------

    def _selected(self, pane: str) -> Any | None:
        row = self.current(pane)
        if row is None:
            label = {"recommendations": "a recommendation", "patterns": "an error pattern"}.get(pane, "a row")
            host(self).say(f"Select {label} first (tab to its pane).", severity="warning", timeout=3)
        return row

    def action_apply(self) -> None:
        if (row := self._selected("recommendations")) is not None:
            self.row_actions.apply_recommendation(row)

    def action_dismiss_rec(self) -> None:
        if (row := self._selected("recommendations")) is not None:
            self.row_actions.dismiss_recommendation(row)
            # on to the next one now: a second press before the list is read again acts on it, not again
            # on this one (the cursor keeps its row when the list is re-read)
            self.box("recommendations").table.action_cursor_down()

    def action_snooze(self) -> None:
        if (row := self._selected("recommendations")) is not None:
            self.row_actions.snooze_recommendation(row)

    def action_undo(self) -> None:
        self.row_actions.undo()

    def _fix_outcome(self, worked: bool) -> None:
        if (row := self._selected("patterns")) is not None:
            self.row_actions.record_outcome(row.key, worked, label=f"{row.error_type}: {row.template or row.message}")
            self.box("patterns").table.action_cursor_down()  # on to the next pattern to judge

    def action_fix_worked(self) -> None:
        self._fix_outcome(True)

    def action_fix_failed(self) -> None:
        self._fix_outcome(False)

    def action_edit_solution(self) -> None:
        if (row := self._selected("patterns")) is not None:
            self.row_actions.edit_solution(row)

    def action_root_cause(self) -> None:
        if (row := self._selected("patterns")) is not None:
            self.row_actions.start_analysis(row.key)

    def action_mute(self) -> None:
        if self.active_pane == "patterns" and (row := self._selected("patterns")) is not None:
            label = f"{row.error_type}: {row.template or row.message}"
            self.row_actions.mute_pattern(row.key, label, muted=muted_where_shown(row, self.host_filter))
        elif self.active_pane == "predictions" and (row := self._selected("predictions")) is not None:
            fp = row.subject if row.type == "recurring_error" else ""
            if not fp:
                host(self).say("Only a recurring error's prediction names a pattern to mute.", timeout=4)
            else:
                self.row_actions.mute_pattern(fp, f"{row.component}: {row.brief or row.message}")

    def action_details(self) -> None:
        pane = self.active_pane
        row = self.current(pane)
        if row is None:
            return
        if pane == "recommendations":
            self.row_actions.open_details("recommendation", row.key, row.title)
        elif pane == "patterns":
            # a JSON or logfmt pattern is titled by its message (and error) field, as its row shows it
            title = (structured_message(row.template) if row.template else None) or row.template or row.message
            self.row_actions.open_details("pattern", row.key, title)
        elif pane == "predictions":
            self.row_actions.open_details("prediction", row.key, f"{row.type} · {row.component}")
        else:
            self.row_actions.open_details("component", row.component, row.component)

    def on_triage_done(self, message: TriageDone) -> None:
        self.row_actions.triage_done(message)
        if self.is_active:
            self.focus_table()  # keep focus on the pane the action was on (the reload keeps the cursor)

    def on_analysis_done(self, message: AnalysisDone) -> None:
        self.row_actions.analysis_done(message)

    def action_refresh(self) -> None:
        host(self).reload_now()

    def hosts_known(self) -> list[str]:
        """Hosts the store has recent data from, and those the shown rows name."""
        view = self.view
        if view is None:
            return []
        named = {getattr(r, "host", "") for p in view.panes.values() for r in p.rows}
        return sorted({*view.hosts, *named} - {""})

    def action_host_filter(self) -> None:
        hosts = self.hosts_known()
        if not hosts or (len(hosts) == 1 and not self.host_filter):
            host(self).say("Only one host reports to this database: nothing to filter by.", timeout=4)
            return
        order = ["", *hosts]
        at = order.index(self.host_filter) if self.host_filter in order else 0
        self.host_filter = order[(at + 1) % len(order)]
        host(self).say(
            f"Showing host {self.host_filter} (H: next host)" if self.host_filter else "Showing every host.", timeout=3
        )
        if self.view is not None:
            self.show_view(self.view, now=self._now)

    def action_help(self) -> None:
        """Every key of the product (never Textual's own), grouped by where it works, as remapped."""
        from lokifi_tui.screens.modals import HelpScreen

        rows = dashboard_help(host(self).keymap_config, self.active_pane)
        self.app.push_screen(HelpScreen(rows, "Tab (or 1-4) to a pane, move with j/k, then act on the selected row."))
