"""Detail screens for a recommendation, a pattern, a prediction and a component.

Opened with ``enter`` by the dashboard's row actions (:mod:`lokifi_tui.screens.row_actions`), which read
the data in a thread worker (``analytics.dashboard.view.load_*_detail``) that ends in one
:class:`~lokifi_tui.messages.DetailLoaded` to this screen, and run its triage keys. ``esc``/``q`` goes back.
The pages themselves are rendered by :mod:`lokifi_tui.widgets.detail_pages`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from lokifi_tui.bindings import WIDE_FOOTER, bindings_for, detail_help, panes_for
from lokifi_tui.host import host
from lokifi_tui.messages import DetailLoaded
from lokifi_tui.widgets.detail_pages import RENDERERS, render_pattern, render_rca
from lokifi_tui.widgets.safe import clean

if TYPE_CHECKING:
    from analytics.dashboard.view import PatternRow, RecommendationRow
    from analytics.rca.analyze import AnalysisResult
    from lokifi_tui.messages import Detail


class DetailActions(Protocol):
    """What a detail screen's keys ask of the dashboard's row actions (lokifi_tui.screens.row_actions)."""

    def load_detail(self, screen: DetailScreen) -> None: ...
    def start_analysis(self, error_hash: str) -> None: ...
    def mute_pattern(self, error_hash: str, label: str, muted: bool = False) -> None: ...
    def cancel_analysis(self) -> None: ...
    def record_outcome(self, error_hash: str, worked: bool, label: str = "") -> None: ...
    def edit_solution(self, pattern: PatternRow) -> None: ...
    def apply_recommendation(self, row: RecommendationRow) -> None: ...
    def dismiss_recommendation(self, row: RecommendationRow) -> None: ...
    def snooze_recommendation(self, row: RecommendationRow) -> None: ...
    def undo(self) -> None: ...


#: the kind of item a detail screen shows -> the pane its rows are triaged in
TRIAGED_IN = {"pattern": "patterns", "recommendation": "recommendations"}


class DetailScreen(Screen):
    """One item in full. The dashboard's refresh pauses while this is open, but for the re-read its triage
    keys ask for: the list is current when the person goes back."""

    BINDINGS = bindings_for("detail")

    def __init__(self, kind: str, key: str, title: str, actions: DetailActions) -> None:
        super().__init__()
        self.kind = kind
        self.key = key
        self.title_text = title
        self.actions = actions
        self.detail: Detail = None
        self.analysis: AnalysisResult | None = None
        self.analysis_error: str | None = None
        self.running: str | None = None  # the analysis' progress while it runs
        self._follow_rca = False  # keep the analysis section in view as the page is laid out

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body") as body:
            # border titles are parsed as markup: give Content (literal text), never a str from data
            # (the border cuts it to the screen's width, with an ellipsis; 400 is beyond any screen)
            body.border_title = Content(f"{self.kind.capitalize()}: {clean(self.title_text)[:400]}")
            yield Static(Text("loading…", style="dim"), id="detail-content")
            yield Static("", id="detail-rca")
        wide = self.app.size.width >= WIDE_FOOTER
        yield Footer(compact=not wide, show_command_palette=wide)  # as the dashboard's: every key stays

    def on_resize(self, event: Any) -> None:
        wide = event.size.width >= WIDE_FOOTER
        for footer in self.query(Footer):
            footer.compact = not wide
            if footer.show_command_palette != wide:
                footer.show_command_palette = wide
                self.refresh_bindings()  # the footer draws its keys again only when the bindings change

    def on_mount(self) -> None:
        self.watch(self.query_one("#detail-body"), "virtual_size", self._page_grew, init=False)
        self.actions.load_detail(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        panes = panes_for(action)
        return TRIAGED_IN.get(self.kind) in panes if panes else True

    def on_detail_loaded(self, message: DetailLoaded) -> None:
        self.detail = message.detail
        if self.analysis is not None or self.analysis_error or self.running:
            self._show_rca()  # opened for an analysis: go to it
        else:
            self.render_detail()

    def render_detail(self) -> None:
        content = self.query_one("#detail-content", Static)
        if self.detail is None:
            content.update(Text("This item is no longer in the store.", style="yellow"))
            return
        now = host(self).now()
        if self.kind == "pattern":
            content.update(render_pattern(self.detail, now))
            self.query_one("#detail-rca", Static).update(
                render_rca(self.detail, self.analysis, self.analysis_error, self.running)
            )
        else:
            content.update(RENDERERS[self.kind](self.detail, now))

    def show_analysis(self, result: AnalysisResult | None, error: str | None) -> None:
        self.analysis, self.analysis_error, self.running = result, error, None
        self._show_rca()

    def show_progress(self, message: str) -> None:
        self.running = message
        self._show_rca()

    def _show_rca(self) -> None:
        """Re-render and bring the analysis section (the end of the page) into view."""
        if self.is_mounted and self.detail is not None:
            self.render_detail()
            self._follow_rca = True  # also once the new text is laid out (_page_grew)
            self.call_after_refresh(self._scroll_to_rca)

    def _scroll_to_rca(self) -> None:
        body, rca = self.query_one("#detail-body"), self.query_one("#detail-rca")
        body.scroll_to_widget(rca, animate=False, top=True)

    def _page_grew(self, _size: Any) -> None:
        # the page's height is known only after a layout pass or two: keep the analysis in view until the
        # person scrolls themselves
        if self._follow_rca:
            self._scroll_to_rca()

    def action_back(self) -> None:
        if self.running is not None:  # esc first cancels the analysis running here
            self.actions.cancel_analysis()
            return
        self.app.pop_screen()

    def action_scroll_down(self) -> None:
        self._follow_rca = False
        self.query_one("#detail-body").scroll_down()

    def action_scroll_up(self) -> None:
        self._follow_rca = False
        self.query_one("#detail-body").scroll_up()

    def action_scroll_home(self) -> None:
        self._follow_rca = False
        self.query_one("#detail-body").scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        self._follow_rca = False
        self.query_one("#detail-body").scroll_end(animate=False)

    def action_help(self) -> None:
        from lokifi_tui.screens.modals import HelpScreen

        rows = detail_help(host(self).keymap_config, TRIAGED_IN.get(self.kind))
        self.app.push_screen(HelpScreen(rows, "Keys of this screen; esc goes back to the dashboard."))

    def action_root_cause(self) -> None:
        self.actions.start_analysis(self.key)

    def action_mute(self) -> None:
        on_host = getattr(self.actions.screen, "host_filter", "") or ""  # the dashboard's H
        mutes = getattr(self.detail, "mutes", ())
        muted = any(not on_host or m.host in ("", on_host) for m in mutes)
        self.actions.mute_pattern(self.key, self.title_text, muted=muted)

    def action_fix_worked(self) -> None:
        self.actions.record_outcome(self.key, True)

    def action_fix_failed(self) -> None:
        self.actions.record_outcome(self.key, False)

    def action_apply(self) -> None:
        if self.detail is not None:  # a recommendation's (check_action)
            self.actions.apply_recommendation(self.detail.rec)

    def action_dismiss_rec(self) -> None:
        if self.detail is not None:  # a recommendation's (check_action)
            self.actions.dismiss_recommendation(self.detail.rec)

    def action_snooze(self) -> None:
        if self.detail is not None:  # a recommendation's (check_action)
            self.actions.snooze_recommendation(self.detail.rec)

    def action_undo(self) -> None:
        self.actions.undo()

    def action_edit_solution(self) -> None:
        if self.detail is not None:  # a pattern's (check_action)
            self.actions.edit_solution(self.detail.pattern)
