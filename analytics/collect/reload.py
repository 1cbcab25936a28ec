"""Taking a changed config while the collector runs.

Given its ``config_file``, the collector notices when the file changes (or a reload is asked for) and
takes the new configuration (:mod:`analytics.collect.config_watch` watches the file,
:func:`analytics.collect.config_changes.changes` says what changed): the sources whose settings changed
are restarted from their stored positions, after writing what they had read, the others keep running;
the hooks get the new config (a hook it removed takes its last error and its schedule with it), and whoever asked (the
dashboard) is told in one line (:class:`ConfigNews`).
A log the reload added is followed once its last days are read
(:mod:`analytics.collect.added_logs`). A file that does not parse is reported once and the configuration in force
stays. A reload that changed a setting brings the recommendations' next refresh forward (once, within
:data:`REFRESH_AFTER_RELOAD_SECONDS`): a project added or removed is looked at, not 15 minutes later.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from analytics.collect.config_changes import changes
from analytics.collect.flushing import Flushing
from analytics.collect.hooks import refreshes_recommendations
from analytics.collect.wiring import build_sources
from analytics.store.database import StoreError

log = logging.getLogger("lokifi.collector")

#: A reload that changed a setting runs the recommendations' refresh this soon after it (once).
REFRESH_AFTER_RELOAD_SECONDS = 5.0


@dataclass(frozen=True)
class ConfigNews:
    """What one look at the config file gave, in one line for a person (the dashboard shows it): a
    configuration taken (``config``), a file refused (``refused``), or the content in force read again."""

    text: str
    config: Any = None
    refused: bool = False


def _summary(said: list[str], most: int = 3) -> str:
    if not said:
        return "no setting changed"
    more = f"; and {len(said) - most} more" if len(said) > most else ""
    return "; ".join(said[:most]) + more


def _close(sources: Iterable[Any]) -> None:
    for src in sources:
        with contextlib.suppress(Exception):
            src.close()


class Reloading(Flushing):
    """A changed config file, looked at and taken."""

    def _look_at_config(self, now_m: float) -> None:
        """Look at the config file (due, or a reload asked for) and take what changed; restart sources
        whose restart had to wait."""
        if self._watch is None:
            return
        asked = self._reload.is_set()
        self._reload.clear()
        if self._restart_due:
            self._restart_sources()
        got = self._watch.check(now_m, asked=asked)
        if got is None:
            return
        where = self._watch.path
        if got.same:
            self.stats.config_problem = None
            log.info("config %s read again: unchanged, the configuration in force", where)
            self._tell(ConfigNews("Config read again: unchanged, the configuration in force"))
        elif got.broken:
            self.stats.config_problem = got.broken[0]
            since = self._watch.loaded_at.strftime("%H:%M:%S")
            for problem in got.broken[:5]:
                log.warning("config not reloaded: %s", problem)
            log.warning(
                "still running with the configuration read at %s; fix the file and save it again "
                "(`lokifi config check` lists every problem)",
                since,
            )
            more = f" (and {len(got.broken) - 1} more)" if len(got.broken) > 1 else ""
            self._tell(
                ConfigNews(
                    f"Config not reloaded: {got.broken[0]}{more}; still using the one read at {since} "
                    "(`lokifi config check` lists every problem)",
                    refused=True,
                )
            )
        else:
            self.reconfigure(got.config)

    def reconfigure(self, config: Any) -> list[str]:
        """Take ``config`` (a reload): its settings, its hooks, and the sources it asks for — each source
        whose settings changed is restarted from its stored position (what it had read is written
        first), the others keep running. Returns what changed, as logged."""
        old = self.config
        said = changes(old, config)
        self._settings(config)
        self._forget_removed_hooks()
        if said:  # the places the recommendations look at may have changed: look soon, not in 15 min
            self._bring_forward(refreshes_recommendations, REFRESH_AFTER_RELOAD_SECONDS)
        self.stats.reloads += 1
        self.stats.config_problem = None
        where = self._watch.path if self._watch is not None else getattr(config, "path", None)
        log.info("config %s reloaded: %s", where, "; ".join(said) if said else "no setting changed")
        fresh = [p for p in config.problems if p not in old.problems]
        for problem in fresh:
            log.warning("config: %s", problem)
        problems = f" ({len(fresh)} problem{'s' if len(fresh) != 1 else ''}: {fresh[0]})" if fresh else ""
        self._tell(ConfigNews(f"Config reloaded: {_summary(said)}{problems}", config=config))
        if self._given_sources is None:
            self._restart_due = True
            self._restart_sources()
        return said

    def _tell(self, news: ConfigNews) -> None:
        """Hand ``news`` to whoever asked for it (``on_config``: the dashboard); it never stops collecting."""
        if self._on_config is None:
            return
        try:
            self._on_config(news)
        except Exception as exc:  # noqa: BLE001
            log.warning("config news not delivered: %s", exc)

    def _restart_sources(self) -> None:
        """Build the sources the config asks for; keep the running ones built from the same settings."""
        if not self._opened:
            self._restart_due = False
            return
        if self._added_logs.busy:
            return  # the added logs' history is being read: they are followed once it is
        if self._added_logs.events:  # what it stored is learned soon, as the tail's errors are
            self._added_logs.events = 0
            self._learn_soon(True)
        fresh = build_sources(self.config, from_start=self.from_start, host=self.host)
        if self.mode == "view":
            fresh = [s for s in fresh if getattr(s, "kind", "") == "vitals"]
        running = {s.name: s for s in self.sources}
        kept = {
            s.name
            for s in fresh
            if s.name in running and getattr(running[s.name], "built_from", None) == getattr(s, "built_from", 0)
        }
        ending = [s for s in self.sources if s.name not in kept]
        starting = [s for s in fresh if s.name not in kept]
        if not ending and not starting:
            self._restart_due = False
            _close(fresh)
            return
        if (
            self.mode == "write"
            and not self.from_start
            and self._added_logs.reading(self.store, self.config, self.host, fresh)
        ):
            _close(fresh)
            return  # the sources restart once the added logs' history is read (analytics.collect.added_logs)
        now = self.clock()
        for src in ending:  # what they hold back (a traceback still growing) is written, as at a stop
            if getattr(src, "final_poll", False):
                self.poll_source(src, now, final=True)
        checkpoints: dict[str, dict[str, str]] = {}
        if self.mode == "write":
            if self._pending:
                self.flush()
            try:
                df = self.store.query("SELECT source, key, position FROM source_checkpoints")
            except StoreError as exc:
                log.warning("the changed sources start when the database can be read (%s)", exc)
                _close(fresh)
                return  # tried again at the next look at the config; the running ones go on meanwhile
            for s, k, p in df.iter_rows():
                checkpoints.setdefault(s, {})[k] = p
            # newer than the database's: spooled while it was busy, or still waiting for the next write
            for (s, k), p in self._handed.items():
                checkpoints.setdefault(s, {})[k] = p
            for b in self._pending:
                for k, v in b.checkpoints.items():
                    checkpoints.setdefault(b.source, {})[k] = v
        _close([*ending, *(s for s in fresh if s.name in kept)])
        for src in ending:
            self._due.pop(src.name, None)
            self._paused.discard(src.name)
        self.sources = [running[s.name] if s.name in kept else s for s in fresh]
        now_m = time.monotonic()
        for src in starting:
            src.start(checkpoints.get(src.name, {}))
            self._due[src.name] = now_m
        self._restart_due = False
        self._added_logs.follow(starting)
        log.info(
            "sources restarted: %s%s",
            ", ".join(sorted({s.name for s in (*ending, *starting)})),
            f" (unchanged: {', '.join(sorted(kept))})" if kept else "",
        )
