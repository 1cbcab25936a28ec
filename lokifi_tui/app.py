"""The Lokifi dashboard App: store and config, refresh loops and their workers, theme, screens, palette.

Design (see ../shared/STYLE.md):

* Two self-rescheduling one-shot timers — host vitals (psutil) and the store — each start one thread
  worker that ends in one message; the next timer is set only when that message has been handled, so
  refreshes never overlap. Both skip their work while a modal or a detail screen is on top (but for a
  read a detail screen's triage asked for); the store's tick runs as soon as the dashboard is uncovered.
* The store is re-read only when its files changed (size/mtime of the DuckDB file and WAL) or a triage
  action asked for it, or once a minute for ages and expiries — an idle dashboard costs a ``stat``.
* Triage, root-cause analysis and details belong to the dashboard screen
  (:mod:`lokifi_tui.screens.row_actions`); the screens reach the App through
  :class:`lokifi_tui.host.DashboardHost` and never import this module.
* Worker failures are handled in one place (:meth:`LokifiApp.on_worker_state_changed`).
* The collector that runs while the dashboard is open, and the config reload it does, are
  :mod:`lokifi_tui.live_collection`'s.

``run_dashboard`` is what the CLI calls for ``lokifi`` and ``lokifi demo``.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import threading
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App, ScreenStackError, SystemCommand
from textual.binding import Binding, BindingType
from textual.reactive import Initialize, Reactive
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from analytics.common.clock import utcnow
from lokifi_tui.bindings import bindings_for, config_keymap, keymap_from_config
from lokifi_tui.live_collection import LiveCollection
from lokifi_tui.messages import DataFailed, DataLoaded, StoreProblem, VitalsSample, VitalsSampled
from lokifi_tui.palette import palette_commands, run_palette_action
from lokifi_tui.resources import stylesheets
from lokifi_tui.screens.dashboard import DashboardScreen
from lokifi_tui.theme import LOKIFI_THEME, start_theme
from lokifi_tui.toasts import Toasts
from lokifi_tui.widgets.safe import clean
from lokifi_tui.widgets.topbar import sample_vitals

if TYPE_CHECKING:
    from analytics.store.database import Store
    from analytics.store.file_signature import Signature

DEFAULT_REFRESH = 5.0  # seconds between store checks (config: [general] refresh_seconds)
VITALS_MAX_INTERVAL = 2.0  # the vitals line moves at least this often
MAX_DATA_AGE = 300.0  # re-read the store at least this often (due predictions and snooze ends are read
#                       at their own moment, ages are re-rendered without a read)
AGE_RENDER_SECONDS = 60.0  # the "age" columns are re-rendered this often between reads
CHANGED_MIN_INTERVAL = 20.0  # a store that keeps changing (the live collector flushes every few seconds)
#                              is re-read at most this often; a triage action re-reads at once
STORE_READ_TIMEOUT = 3.0  # how long one refresh waits for a busy database before showing a banner


class LokifiApp(LiveCollection, App[None]):
    """Keyboard triage for one Lokifi store, live host vitals on top."""

    TITLE = "Lokifi"
    CSS_PATH = stylesheets()
    BINDINGS: ClassVar[list[BindingType]] = [
        *bindings_for("app"),
        Binding("ctrl+c", "quit", "Quit", show=False, id="lokifi.ctrl_c"),
    ]
    COMMAND_PALETTE_BINDING = "ctrl+p"
    ENABLE_COMMAND_PALETTE = True

    theme: Reactive[str] = Reactive(Initialize(start_theme))

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        *,
        config: Any = None,
        refresh: float | None = None,
        theme: str | None = None,
        demo: bool = False,
        now: dt.datetime | None = None,
        vitals: Callable[[], VitalsSample] | None = None,
        collect: bool = True,
        vitals_interval: float | None = None,
        propose_setup: bool = False,
        config_file: str | os.PathLike[str] | None = None,
    ) -> None:
        general = getattr(config, "general", None)
        self.requested_theme = theme or getattr(general, "theme", "") or ""
        super().__init__()  # starts in the theme :func:`lokifi_tui.theme.start_theme` names (no stylesheet re-parse)
        self.propose_setup = propose_setup  # a first start without a config proposes one (lokifi_tui.first_start)
        self.animation_level = "none"  # no animations by default (SSH, tmux)
        self.db_path = Path(db_path)
        self.config = config
        # the file the config was read from, watched by the live collector (lokifi_tui.live_collection)
        self.config_file = Path(config_file) if config_file is not None else None
        self.refresh_interval = float(refresh or getattr(general, "refresh_seconds", 0) or DEFAULT_REFRESH)
        self.vitals_interval = vitals_interval or min(self.refresh_interval, VITALS_MAX_INTERVAL)
        self.demo = demo
        self.fixed_now = now
        self.given_now = now  # a clock given by the caller (tests); the demo's own is re-read each load
        # Triage is stamped with the real clock (None) unless a clock was given (tests); the demo's frozen
        # clock is for reading its data only (QA: a demo snooze otherwise ended in the past).
        self.action_now = now
        self.sampler = vitals or sample_vitals
        self.collect = collect
        self.dashboard = DashboardScreen()
        self._store: Store | None = None
        self._last_signature: Signature | None = None
        self._last_load = 0.0
        self._last_render = 0.0
        self._next_change: dt.datetime | None = None
        self._collector: Any = None
        self._vitals_paused = False
        self._vitals_stop = threading.Event()
        self._vitals_handled = threading.Event()
        self._force_reload = True
        self._data_busy = False
        self._data_timer: Any = None
        self._collector_stop: threading.Event | None = None
        self.config_problems: list[str] = list(getattr(config, "problems", ()) or ())
        keymap, problems = keymap_from_config(config_keymap(config))
        self.keymap_config = keymap
        self.config_problems.extend(problems)
        self.first_paint_at: float | None = None
        self.last_message = ""
        self.toasts = Toasts(self)  # how many show at once, by the terminal's size
        self.data_loads = 0
        self.register_theme(LOKIFI_THEME)
        if self.theme != self.requested_theme and self.requested_theme:
            self.config_problems.append(
                f"theme {self.requested_theme!r} is unknown; using lokifi "
                f"(available: {', '.join(sorted(self.available_themes))})"
            )
        # the rest of what Textual's theme watcher sets, short of its CSS re-parse: App.__init__ read the
        # variables before lokifi was registered (tests/tui/test_tui_polish.py compares the two paths)
        self.update_classes(
            {
                f"-theme-{self.theme}": True,
                "-dark-mode": self.current_theme.dark,
                "-light-mode": not self.current_theme.dark,
            },
            update=False,
        )
        self.stylesheet.set_variables(self.get_css_variables())

    # -- lifecycle -----------------------------------------------------------------------------------

    def say(self, text: str, *, severity: str = "information", timeout: float = 5, title: str = "") -> None:
        """Notify (as literal text, never markup) and remember the message (tests and e2e read it)."""
        if text.endswith(("..", "….")) and not text.endswith("..."):  # a label's own full stop, then ours
            text = text[:-1]
        self.last_message = text
        self.toasts.show(clean(text, single_line=False), title=title, severity=severity, timeout=timeout)

    def now(self) -> dt.datetime:
        """The moment the panes are read at (the demo's own clock). Triage actions are stamped with the
        real clock instead, so a snooze ends an hour from now and the CLI agrees with the dashboard."""
        return self.fixed_now or utcnow()

    @property
    def store(self) -> Store:
        """The Store handle (created lazily, in a worker, so importing duckdb never delays first paint)."""
        if self._store is None:
            from analytics.store.database import Store

            self._store = Store(self.db_path, read_timeout=STORE_READ_TIMEOUT)
            self._store.on_problem = lambda text: self.post_message(StoreProblem(text))  # a spool refused
        return self._store

    def on_store_problem(self, message: StoreProblem) -> None:
        self.say(message.text, title="Database", severity="warning", timeout=20)

    def get_default_screen(self) -> Screen:
        # the dashboard is the base screen (pushing it over an empty default one laid out two screens)
        self._show_last_known()  # before the screen is composed: its first frame carries the rows
        return self.dashboard

    def on_mount(self) -> None:
        if self.keymap_config:
            self.set_keymap(self.keymap_config)
        for problem in self.config_problems:
            self.say(problem, title="Config", severity="warning", timeout=10)
        # The first frame is drawn before anything heavy starts (importing duckdb/polars in a worker
        # still takes the GIL for a while): the loops and the collector begin right after it.
        self.call_after_refresh(self._after_first_paint)

    def _show_last_known(self) -> None:
        """Rows at once: the view this database showed last time (analytics.dashboard.snapshot), until the
        first read replaces it. A few milliseconds of JSON; no store, no duckdb before the first frame."""
        from analytics.dashboard.snapshot import load
        from analytics.store.file_signature import file_signature

        if not self.db_path.exists():
            return
        snap = load(self.db_path)
        if snap is None:
            return
        view, signature = snap
        if self.demo and self.given_now is None:
            self.fixed_now = view.now
        self.dashboard.show_view(view)
        if signature != file_signature(self.db_path):
            when = view.now.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")
            self.dashboard.show_banner(f"Showing what was read at {when}; reading the store…")

    def _after_first_paint(self) -> None:
        self.first_paint_at = time.monotonic()
        if not gc.isenabled():
            # the ``lokifi`` entry point held the cyclic collector off for start-up: what start-up built
            # lives as long as the app, so it is frozen out of every later collection
            gc.freeze()
            gc.enable()
        self._start_vitals()
        if self.dashboard.view is not None:
            # the last known state is on screen: its rows are drawn before the first read starts (that
            # read's imports hold the interpreter for a while)
            self.dashboard.when_ready(self._data_tick)
        else:
            self._data_tick()
        # the live collector starts once the first data is on screen (or the first read failed): started
        # together, the two compete for the interpreter and the panes fill later

    def paused(self) -> bool:
        """True while a modal, the palette or a detail screen covers the dashboard."""
        try:
            screen = self.screen
        except ScreenStackError:  # starting up or shutting down
            return True
        return screen is not self.dashboard or isinstance(screen, ModalScreen)

    def _under_details(self) -> bool:
        """A detail screen, no modal over it, covers the dashboard: a read its triage keys ask for runs
        under it, so that the list is current when the person goes back (a mute set there shows)."""
        try:
            return self.screen is not self.dashboard and not isinstance(self.screen, ModalScreen)
        except ScreenStackError:  # shutting down
            return False

    # -- vitals loop ---------------------------------------------------------------------------------

    def _start_vitals(self) -> None:
        """One long-lived sampler thread (a worker per two-second sample cost more than the sample):
        it samples, posts one message, and waits until that message is handled before the next interval,
        so samples never pile up; while a modal or detail screen is on top it samples nothing."""
        self._vitals_handled = threading.Event()
        self._vitals_stop = threading.Event()
        thread = threading.Thread(target=self._vitals_loop, name="lokifi-vitals", daemon=True)
        thread.start()

    def _vitals_loop(self) -> None:
        stop, handled = self._vitals_stop, self._vitals_handled
        while not stop.is_set():
            if not self._vitals_paused:
                try:
                    sample = self.sampler()
                except Exception:  # noqa: BLE001 — a failed reading is skipped; the next one may work
                    sample = None
                if sample is not None:
                    handled.clear()
                    self.post_message(VitalsSampled(sample))
                    handled.wait(max(self.vitals_interval, 1.0) * 5)
            stop.wait(self.vitals_interval)

    def on_vitals_sampled(self, message: VitalsSampled) -> None:
        self.dashboard.push_vitals(message.sample)
        self._vitals_handled.set()

    def set_vitals_paused(self, paused: bool) -> None:
        """The dashboard screen says when it is covered (a modal, the palette, a detail screen) or back."""
        self._vitals_paused = paused

    # -- data loop -----------------------------------------------------------------------------------

    def _data_tick(self) -> None:
        """Decide on the UI thread (two ``stat`` calls) whether the store must be re-read; read it in a worker.

        Re-read when asked (a triage action), when the file changed — unless the change is exactly this
        process's own collector writing samples, which no pane shows — when a shown prediction falls due
        or a snooze ends, and at least every MAX_DATA_AGE. In between, ages are re-rendered locally."""
        from analytics.store.file_signature import file_signature

        self._data_timer = None
        if self.paused() and not (self._force_reload and self._under_details()):
            self._data_timer = self.set_timer(self.refresh_interval, self._data_tick)
            return
        now_m = time.monotonic()
        since = now_m - self._last_load
        due = self._next_change is not None and self.now() >= self._next_change
        force = self._force_reload or since >= MAX_DATA_AGE or due
        signature = file_signature(self.db_path)
        if not force and self._last_signature is not None:
            changed = signature != self._last_signature
            if changed and self._collector is not None:
                from analytics.collect.flushing import explained_by

                if explained_by(list(self._collector.writes), self._last_signature, signature):
                    self._last_signature = signature  # only our own samples were written
                    changed = False
            if not changed or since < CHANGED_MIN_INTERVAL:
                if now_m - self._last_render >= AGE_RENDER_SECONDS and self.given_now is None and not self.demo:
                    self._last_render = now_m
                    self.dashboard.rerender(utcnow())  # "age" columns move on without a read
                self._data_timer = self.set_timer(self.refresh_interval, self._data_tick)
                return
        self._force_reload = False
        self._data_busy = True
        self.run_worker(
            partial(self._data_work, signature, self.given_now),
            thread=True,
            group="data",
            exclusive=True,
            exit_on_error=False,
        )

    def _data_work(self, signature: Signature | None, now: dt.datetime | None) -> None:
        from analytics.dashboard.view import load_dashboard
        from analytics.store.database import StoreError

        try:
            if now is None and self.demo:
                # the demo is a frozen moment: its clock is the one it was built at
                stamp = self.store.get_kv("demo.now")
                now = dt.datetime.fromisoformat(stamp) if stamp else None
            view = load_dashboard(self.store, now=now or utcnow(), config=self.config)
        except StoreError as exc:
            self.post_message(DataFailed(str(exc), self.refresh_interval))
            return
        except Exception as exc:  # noqa: BLE001 - a bug or an unexpected schema: say so in the banner, keep running
            self.post_message(
                DataFailed(f"Could not read {self.db_path}: {type(exc).__name__}: {exc}", self.refresh_interval)
            )
            return
        # the signature taken before the read: a write during it is seen at the next tick
        self.post_message(DataLoaded(view, signature))
        from analytics.dashboard.snapshot import save

        save(view, self.db_path, signature)  # the next start paints this at once (never an error)

    def on_data_loaded(self, message: DataLoaded) -> None:
        self._data_busy = False
        if message.view is not None:
            if self.demo and self.given_now is None:
                # `lokifi demo --reset` in another shell moves the demo's clock: follow it
                self.fixed_now = message.view.now
            self._last_signature = message.signature
            self._last_load = self._last_render = time.monotonic()
            self._next_change = message.view.next_change
            self.data_loads += 1
            self.dashboard.show_banner(None)
            self.dashboard.show_view(message.view)
            if self.data_loads == 1:
                from lokifi_tui import first_start

                if first_start.wanted(self):
                    first_start.propose(self)
        self._collector_once()
        self._schedule_data()

    def on_data_failed(self, message: DataFailed) -> None:
        self._data_busy = False
        self._last_signature = None
        self.dashboard.show_banner(f"{message.text}  (retrying every {message.retry_in:.0f}s; host vitals stay live)")
        self._collector_once()
        self._schedule_data()

    def _schedule_data(self) -> None:
        if self._data_timer is not None:
            self._data_timer.stop()
        self._data_timer = self.set_timer(0.01 if self._force_reload else self.refresh_interval, self._data_tick)

    def reload_now(self) -> None:
        """Re-read the store as soon as the current read (if any) is done (under a modal: once it closes)."""
        self._force_reload = True
        self.check_store_now()

    def check_store_now(self) -> None:
        """The data tick now, not at the end of its timer (while a read runs, its end schedules it): the
        dashboard uncovered shows at once a read asked for while it was covered, or a change made meanwhile."""
        if not self._data_busy and self._data_timer is not None:
            self._data_timer.stop()
            self._data_timer = None
            self._data_tick()

    def on_unmount(self) -> None:
        self._vitals_stop.set()
        self._vitals_handled.set()
        if self._collector_stop is not None:
            self._collector_stop.set()

    # -- worker failures, in one place ------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if event.state is WorkerState.ERROR:
            error = worker.error
            text = f"{type(error).__name__}: {error}" if error else "unknown error"
            if worker.group == "data":
                self._data_busy = False
                self.dashboard.show_banner(f"Refresh failed: {text}")
                self._collector_once()
                self._schedule_data()
            elif worker.group == "collector":
                self.say(f"Live collection stopped: {text}", severity="warning")
            else:
                self.say(f"{worker.name or worker.group} failed: {text}", severity="error")
        elif event.state is WorkerState.CANCELLED and worker.group == "data":
            self._data_busy = False

    # -- command palette ---------------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from palette_commands(self, screen)
        yield SystemCommand("Help", "Show every key", self.dashboard.action_help)
        yield from super().get_system_commands(screen)

    def _palette_run(self, screen: Screen, name: str) -> None:
        run_palette_action(self, screen, name)


def run_dashboard(
    db_path: str | os.PathLike[str],
    *,
    config: Any = None,
    refresh: float | None = None,
    theme: str | None = None,
    demo: bool = False,
    propose_setup: bool = False,
    config_file: str | os.PathLike[str] | None = None,
) -> int:
    """Open the dashboard on ``db_path`` (what ``lokifi`` and ``lokifi demo`` call); returns an exit code.
    ``config_file``: where ``config`` was read from (or would be), watched while the dashboard collects."""
    app = LokifiApp(
        db_path,
        config=config,
        refresh=refresh,
        theme=theme,
        demo=demo,
        propose_setup=propose_setup,
        config_file=config_file,
    )
    app.run()
    return app.return_code or 0
