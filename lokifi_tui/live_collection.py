"""The dashboard's own collector: it collects live (vitals, probes, logs) into the store while the
dashboard is open, and takes a changed config file as ``lokifi collect`` does.

It is :class:`analytics.collect.loop.Collector` run in a thread worker with ``persist="auto"``: when a
``lokifi collect`` already writes to this database it runs in view mode (vitals for the top bar, nothing
written), and it hands the database over to one that starts. The demo never collects into its database.

Given the config file the dashboard was opened with, it watches it (:mod:`analytics.collect.reload`, the
same reload as ``lokifi collect``'s): a change is taken within seconds, and the dashboard says so in one
message — what changed, or why the file was not taken (the configuration in force stays). The panes are
then read with the new configuration; the dashboard's own settings (theme, keys, refresh interval) stay
as it was opened with.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from analytics.collect.reload import ConfigNews

DASHBOARD_FLUSH_SECONDS = 60.0  # the in-dashboard collector writes its samples this often (error events
#                                 sooner: the collector's event_flush_seconds)
DASHBOARD_HOOK_SECONDS = 300.0  # and runs the engines' refresh (learn, predict, forecast, recommend) this often


class LiveCollection:
    """The App's live collector (mixed into :class:`lokifi_tui.app.LokifiApp`)."""

    config: Any
    config_file: Path | None
    collect: bool
    demo: bool
    _collector: Any = None
    _collector_stop: threading.Event | None = None

    def _collector_once(self) -> None:
        if self.collect and self._collector_stop is None:
            self._start_collector()

    def _start_collector(self) -> None:
        """Collect live while the dashboard is open (see the module docstring)."""
        self._collector_stop = threading.Event()
        if self.config is None or self.demo:
            return
        self.run_worker(
            self._collector_work, thread=True, group="collector", exit_on_error=False, name="live collection"
        )

    def _collector_work(self) -> None:
        from analytics.collect.loop import Collector

        # Inside the dashboard the batches are flushed less often than by `lokifi collect` (every open of
        # a large store costs CPU; the screen re-reads the store at most every CHANGED_MIN_INTERVAL).
        self._collector = Collector(
            self.store,
            self.config,
            persist="auto",
            flush_seconds=DASHBOARD_FLUSH_SECONDS,
            refresh_seconds=DASHBOARD_HOOK_SECONDS,
            config_file=self.config_file or getattr(self.config, "path", None),
            on_config=self._config_news_from_collector,
        )
        self._collector.run(self._collector_stop)

    def _config_news_from_collector(self, news: ConfigNews) -> None:
        """From the collector's thread: what a look at the config file gave."""
        try:
            self.call_from_thread(self.config_news, news)
        except RuntimeError:  # the app is closing
            pass

    def config_news(self, news: ConfigNews) -> None:
        """Say what a look at the config file gave; a configuration taken is the panes' from now on."""
        if news.config is not None:
            self.config = news.config
            self.reload_now()
        self.say(news.text, title="Config", severity="warning" if news.refused else "information", timeout=10)

    def stop_collector(self, wait: float = 20.0) -> None:
        """Stop the live collector (it writes what it holds); wait up to ``wait`` seconds. From a worker."""
        stop = self._collector_stop
        if stop is not None:
            stop.set()
        deadline = time.monotonic() + wait
        col = self._collector
        while col is not None and getattr(col, "mode", "stopped") != "stopped" and time.monotonic() < deadline:
            time.sleep(0.1)

    def live_collector_mode(self) -> str | None:
        """What this dashboard's own collector is doing: None when it does not collect (the demo, no
        config, ``collect=False``), "starting" until it has taken the database or found another
        collector at it, then its mode (write | view | stopped)."""
        if not self.collect or self.config is None or self.demo:
            return None
        stop = self._collector_stop
        if stop is not None and stop.is_set():
            return "stopped"
        col = self._collector
        if col is None or col.mode == "stopped":
            return "starting"
        return col.mode

    def restart_collector(self) -> None:
        """Start the live collector again (with the config as it is now)."""
        self._collector_stop = None
        self._collector = None
        self._collector_once()
