"""Row actions: what triage, root-cause analysis and details do with a recommendation or a pattern.

Owned by the dashboard screen, which picks the row a key applies to; the detail screens it opens act
through the same object. Writes go through the engines (:mod:`lokifi_tui.triage`) in thread workers (run
by the App, whose one handler reports a worker's failure); each ends in one message: a
:class:`TriageDone` or an :class:`AnalysisDone` to the dashboard screen, a :class:`DetailLoaded` to the
detail screen that asked. The undo stack and the running analysis live here.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import TYPE_CHECKING, Any

from lokifi_tui.host import host
from lokifi_tui.messages import AnalysisDone, DetailLoaded, TriageDone

if TYPE_CHECKING:
    from textual.screen import Screen
    from textual.worker import Worker

    from analytics.dashboard.view import PatternRow, RecommendationRow
    from analytics.rca.client import Progress
    from lokifi_tui.host import DashboardHost
    from lokifi_tui.messages import Undo
    from lokifi_tui.screens.details import DetailScreen

#: undo steps kept
UNDO_DEPTH = 50


def _brief(label: str, width: int = 80) -> str:
    """A row's label for a message: whole, or cut with an ellipsis (a cut URL must not read as whole)."""
    return label if len(label) <= width else label[: width - 1] + "…"


class RowActions:
    """Triage, root-cause analysis and details for the dashboard ``screen``."""

    def __init__(self, screen: Screen) -> None:
        self.screen = screen
        self.undo_stack: list[tuple[str, Undo | None]] = []
        self._analysis: tuple[str, Worker[None]] | None = None

    @property
    def host(self) -> DashboardHost:
        return host(self.screen)

    # -- triage ------------------------------------------------------------------------------------

    def _triage(self, label: str, fn: Any, *args: Any) -> None:
        self.host.run_worker(
            partial(self._triage_work, label, fn, args), thread=True, group="triage", name=label, exit_on_error=False
        )

    def _triage_work(self, label: str, fn: Any, args: tuple[Any, ...]) -> None:
        from analytics.recommend.lifecycle import BadTransition, RecNotFound
        from analytics.store.database import StoreError
        from lokifi_tui.triage import NothingDone

        try:
            result = fn(self.host.store, *args)
        except (StoreError, BadTransition, RecNotFound, NothingDone) as exc:  # said in words ("… is already dismissed")
            done = TriageDone(label, False, f"{label}: {exc}")
        except Exception as exc:  # noqa: BLE001 - the row's action failed: say so, keep the dashboard
            done = TriageDone(label, False, f"{label} failed: {type(exc).__name__}: {exc}")
        else:
            done = TriageDone(label, True, getattr(result, "text", str(result)), getattr(result, "undo", None))
        self.screen.post_message(done)

    def triage_done(self, message: TriageDone) -> None:
        """Say how it went; on success keep the undo, re-read the store and the detail screen on top."""
        from lokifi_tui.screens.details import DetailScreen

        app = self.host
        app.say(message.text, severity="information" if message.ok else "warning")
        if not message.ok:
            return
        # an action that cannot be undone (a solution saved: a new version) is kept on the stack too, so
        # that u says so rather than silently undoing an older action on another pane
        if message.undo is not None or not message.action.startswith("undo "):
            self.undo_stack.append((message.action, message.undo))
            del self.undo_stack[:-UNDO_DEPTH]
        if isinstance(self.screen.app.screen, DetailScreen):
            self.load_detail(self.screen.app.screen)  # first: it is what the person looks at
        app.reload_now()  # under a detail screen too: the list is current when they go back

    def apply_recommendation(self, row: RecommendationRow) -> None:
        """Ask (showing the command), then apply ``row``."""
        from lokifi_tui import triage
        from lokifi_tui.screens.modals import ConfirmApply

        def answered(yes: bool | None) -> None:
            if yes:
                self._triage("apply", triage.apply_recommendation, row.id, row.title, self.host.action_now)

        self.host.push_screen(ConfirmApply(row.title, row.action, row.description), answered)

    def dismiss_recommendation(self, row: RecommendationRow) -> None:
        from lokifi_tui import triage

        self._triage("dismiss", triage.dismiss_recommendation, row.id, row.title, self.host.action_now)

    def snooze_recommendation(self, row: RecommendationRow) -> None:
        from lokifi_tui import triage
        from lokifi_tui.screens.modals import SnoozeChoice

        def chosen(delta: dt.timedelta | None) -> None:
            if delta is not None:
                self._triage("snooze", triage.snooze_recommendation, row.id, row.title, delta, self.host.action_now)

        self.host.push_screen(SnoozeChoice(row.title), chosen)

    def mute_pattern(self, error_hash: str, label: str, muted: bool = False) -> None:
        """Ask for how long, then mute the pattern: no predictions or alerts until then — on the host the
        dashboard shows (H) when it shows one, else on every host. ``muted``: the pattern is muted (the
        row or the details say so), and ``0`` unmutes it there."""
        from lokifi_tui import triage
        from lokifi_tui.screens.modals import END_NOW, SnoozeChoice

        on_host = getattr(self.screen, "host_filter", "") or ""

        def chosen(delta: dt.timedelta | None) -> None:
            if delta == END_NOW:
                self._triage("unmute", triage.unmute_pattern, error_hash, _brief(label), on_host)
            elif delta is not None:
                args = (error_hash, delta, self.host.action_now, _brief(label), on_host)
                self._triage("mute", triage.mute_pattern, *args)

        fleet = len(getattr(self.screen, "hosts_known", list)()) > 1  # one host: "every host" says nothing
        note = f"on host {on_host} only (H shows every host)" if on_host else "on every host" if fleet else ""
        heading = "Mute: no predictions or alerts for"
        self.host.push_screen(SnoozeChoice(label, heading=heading, note=note, end="unmute" if muted else ""), chosen)

    def undo(self) -> None:
        if not self.undo_stack:
            self.host.say("Nothing to undo.", timeout=3)
            return
        label, undo = self.undo_stack.pop()
        if undo is None:
            self.host.say(
                f"The last action ({label}) is kept: a solution changes by a new version (e). "
                "u again undoes the one before it.",
                timeout=6,
            )
            return
        self._triage(f"undo {label}", undo)

    def record_outcome(self, error_hash: str, worked: bool, label: str = "") -> None:
        from lokifi_tui import triage

        self._triage("fix outcome", triage.record_outcome, error_hash, worked, self.host.action_now, _brief(label))

    def edit_solution(self, pattern: PatternRow) -> None:
        from lokifi_tui import triage
        from lokifi_tui.screens.modals import EditSolution

        def saved(text: str | None) -> None:
            if text:
                self._triage("edit solution", triage.edit_solution, pattern.key, text)

        title = f"{pattern.error_type} · {pattern.template or pattern.message}"
        if pattern.solution:
            current, start, label = pattern.solution, pattern.solution, f"v{pattern.version} → v{pattern.version + 1}"
        else:
            # no learned solution yet: start from the built-in playbook people apply today; saving makes v1
            from analytics.patterns.playbooks import playbook_for

            current, start, label = "", playbook_for(pattern.error_type).as_text(), "built-in playbook → v1"
        self.host.push_screen(EditSolution(title, current, label, start=start), saved)

    # -- root-cause analysis (cancellable) -------------------------------------------------------------

    def start_analysis(self, error_hash: str) -> None:
        worker = self.host.run_worker(
            partial(self._analysis_work, error_hash),
            thread=True,
            group="rca",
            exclusive=True,
            exit_on_error=False,
            name="root-cause analysis",
        )
        self._analysis = (error_hash, worker)
        screen = self._rca_screen(error_hash)
        if screen is not None:
            screen.show_progress("starting")  # shown in place, not as a toast
        else:
            self.host.say("Root-cause analysis running… (esc cancels)", timeout=4)

    def _rca_screen(self, error_hash: str) -> DetailScreen | None:
        """The details screen of this pattern when it is the one showing, else None."""
        from lokifi_tui.screens.details import DetailScreen

        screen = self.screen.app.screen
        if isinstance(screen, DetailScreen) and screen.kind == "pattern" and screen.key == error_hash:
            return screen
        return None

    def _analysis_work(self, error_hash: str) -> None:
        from textual.worker import get_current_worker

        from lokifi_tui import triage

        worker = get_current_worker()
        app = self.host
        try:
            result = triage.analyze_pattern(
                app.store,
                error_hash,
                app.config,
                cancel=lambda: worker.is_cancelled,
                progress=lambda p: app.call_from_thread(self._analysis_progress, p),
                now=app.fixed_now,
            )
        except Exception as exc:  # noqa: BLE001 - the analysis failed: its pane says why
            if not worker.is_cancelled:
                self.screen.post_message(AnalysisDone(error_hash, error=f"{type(exc).__name__}: {exc}"))
            return
        if not worker.is_cancelled:
            self.screen.post_message(AnalysisDone(error_hash, result=result))

    def _analysis_progress(self, progress: Progress) -> None:
        message = getattr(progress, "message", "") or str(progress)
        screen = self._rca_screen(self._analysis[0]) if self._analysis is not None else None
        if screen is not None:
            screen.show_progress(message)
        else:
            self.host.say(f"Root-cause analysis: {message}", timeout=3)

    def cancel_analysis(self) -> None:
        if self._analysis is not None and self._analysis[1].is_running:
            self._analysis[1].cancel()
            screen = self._rca_screen(self._analysis[0])
            self._analysis = None
            if screen is not None:
                screen.show_analysis(None, "cancelled")
            self.host.say("Root-cause analysis cancelled.", timeout=3)

    def analysis_done(self, message: AnalysisDone) -> None:
        """Show the result on the pattern's details (opened for it when another screen is on top)."""
        self._analysis = None
        screen = self._rca_screen(message.error_hash)
        if screen is None:
            screen = self.open_details("pattern", message.error_hash, "root-cause analysis")
        screen.show_analysis(message.result, message.error)

    # -- details ---------------------------------------------------------------------------------------

    def open_details(self, kind: str, key: str, title: str) -> DetailScreen:
        from lokifi_tui.screens.details import DetailScreen

        screen = DetailScreen(kind, key, title, self)
        self.host.push_screen(screen)
        return screen

    def load_detail(self, screen: DetailScreen) -> None:
        """Read what ``screen`` shows in a worker; it ends in a DetailLoaded to that screen."""
        self.host.run_worker(
            partial(self._detail_work, screen), thread=True, group="detail", exclusive=True, exit_on_error=False
        )

    def _detail_work(self, screen: DetailScreen) -> None:
        from analytics.dashboard import view as dv

        store, kind, key, now = self.host.store, screen.kind, screen.key, self.host.now()
        if kind == "pattern":
            detail = dv.load_pattern_detail(store, key, now=now)
        elif kind == "recommendation":
            detail = dv.load_recommendation_detail(store, int(key))
        elif kind == "prediction":
            detail = dv.load_prediction_detail(store, int(key))
        else:
            detail = dv.load_component_detail(store, key, now=now)
        screen.post_message(DetailLoaded(kind, detail))
