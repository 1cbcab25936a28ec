"""When the collector runs the engines' refresh hooks (:mod:`analytics.collect.hooks`), and running them.

Each hook runs on its own interval (``module:function@SECONDS``, else ``[collect] refresh_seconds``); one
that never ran is due at most ``refresh_seconds`` after the collector opened. They run beside the loop,
in one thread at a time, so probes and tails stay on time while the engines work.

Error events are learned into their patterns after the flush that writes them, not only at the next
refresh (every 60 s for ``lokifi collect``, 5 min in the dashboard). A new kind of error (one not seen in
:data:`analytics.collect.flushing.RECENT_EVENT_SECONDS`, written within ``event_flush_seconds``) is learned
at most :data:`LEARN_SOON_SECONDS` later: it shows as a pattern within seconds. Repeats of known kinds are
counted at most every :data:`LEARN_REPEAT_SECONDS`, the pace of ``lokifi collect``'s refresh: a learning
pass opens the database a few times (~0.1 s of CPU), so an endpoint that stays down does not cost a pass
per probe.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable

from analytics.collect.hooks import Hook, hook_name, learns_from_events, resolve_hook
from analytics.collect.state import CollectorState
from analytics.store.database import StoreBusy, StoreError

log = logging.getLogger("lokifi.collector")

LEARN_SOON_SECONDS = 10.0
LEARN_REPEAT_SECONDS = 60.0


class HookScheduling(CollectorState):
    """The refresh hooks' schedule and their runs."""

    def _hook_due_at(self, name: str, every: float) -> float:
        """When a hook is next due: ``every`` seconds after its last run (a hook's own ``@SECONDS`` or
        ``refresh_seconds``); one that never ran, at most ``refresh_seconds`` after the collector opened."""
        last = self._hook_last.get(name)
        due = self._hooks_origin + min(every, self.refresh_seconds) if last is None else last + every
        return min(due, self._hook_soon.get(name, due))

    def _bring_forward(self, which: Callable[[str | Hook], bool], seconds: float) -> None:
        """Run the hooks ``which`` picks at most ``seconds`` from now, once (then on their own interval
        again); asked again before they ran, still once."""
        at = time.monotonic() + seconds
        for hook in self.hooks:
            if which(hook):
                name, _ = hook_name(hook, self.refresh_seconds)
                self._hook_soon[name] = min(at, self._hook_soon.get(name, at))

    def _next_hooks_at(self, now_m: float) -> float:
        """The earliest moment a hook is due (each on its own interval: a delivery every 15 s is not
        held to a 5-minute refresh); while the hooks are running, not before they are done."""
        if self._hook_thread is not None and self._hook_thread.is_alive():
            return now_m + 0.5
        return min((self._hook_due_at(*hook_name(h, self.refresh_seconds)) for h in self.hooks), default=float("inf"))

    def _start_hooks(self, target: Callable[[dt.datetime], None], now: dt.datetime | None) -> None:
        # Engines can take a while: run them beside the loop so probes and tails stay on time.
        if self._hook_thread is None or not self._hook_thread.is_alive():
            self._hook_thread = threading.Thread(
                target=target, args=(now or self.clock(),), name="lokifi-refresh", daemon=True
            )
            self._hook_thread.start()

    def learn_now(self, now: dt.datetime) -> None:
        """Run only the pattern-learning hook (after a flush that wrote error events)."""
        self._learning_starts(time.monotonic())
        self._run_hook_list([h for h in self.hooks if learns_from_events(h)], now, all_due=True)

    def run_hooks(self, now: dt.datetime, *, all_due: bool = False) -> None:
        """Run the refresh hooks that are due (every one with ``all_due``)."""
        mono = time.monotonic()
        if any(learns_from_events(h) and (all_due or self._is_due(h, mono)) for h in self.hooks):
            self._learning_starts(mono)  # events written from now on (while the engines run) ask again
        self._run_hook_list(self.hooks, now, all_due=all_due)
        self.stats.hook_runs += 1

    def configured_hooks(self) -> set[str]:
        """The names of the hooks the configuration in force runs."""
        return {hook_name(h, self.refresh_seconds)[0] for h in self.hooks}

    def _forget_removed_hooks(self) -> None:
        """A hook a reload removed takes its last error and its schedule with it: it no longer runs, there
        is nothing to fix, and put back later it is due as a new hook is, not after a run (or a refresh
        brought forward) of its former self. Also after a pass that began before the reload and recorded
        the removed hook."""
        kept = self.configured_hooks()
        for recorded in (self.stats.hook_errors, self._hook_last, self._hook_soon):
            for name in list(recorded):
                if name not in kept:
                    recorded.pop(name, None)

    def _is_due(self, hook: str | Hook, mono: float) -> bool:
        return mono >= self._hook_due_at(*hook_name(hook, self.refresh_seconds)) - 0.5

    def _learning_starts(self, mono: float) -> None:
        self._learn_at = float("inf")
        self._learned_at = mono

    def _run_hook_list(self, hooks: list[str | Hook], now: dt.datetime, *, all_due: bool) -> None:
        """Run the due ones of ``hooks`` (all with ``all_due``)."""
        mono = time.monotonic()
        for hook in hooks:
            if not all_due and not self._is_due(hook, mono):
                continue
            name, _ = hook_name(hook, self.refresh_seconds)
            self._hook_last[name] = mono
            self._hook_soon.pop(name, None)
            try:
                fn = resolve_hook(name if isinstance(hook, str) else hook)
            except (ImportError, AttributeError):
                continue  # a configured hook that cannot be found: skipped quietly
            try:
                fn(self.store, self.config, now)
                self.stats.hook_errors.pop(name, None)
            except StoreBusy as exc:  # what the hook says of it too (a delivery: nothing posted, where)
                self.stats.hook_errors[name] = (
                    f"database busy; will retry: {exc}" if str(exc) else "database busy; will retry"
                )
            except Exception as exc:  # noqa: BLE001
                self.stats.hook_errors[name] = f"{type(exc).__name__}: {exc}"
                if isinstance(exc, StoreError):
                    self.stats.store_failure = str(exc)
                # said once by lokifi collect's reporter (analytics.collect.reporter), not at every run
                log.debug("refresh hook %s failed: %s", name, exc)
        self._forget_removed_hooks()

    def _learn_soon(self, new_kinds: bool) -> None:
        """A write stored error events: learn their patterns soon — a new kind within seconds, repeats at
        a slower pace."""
        wait = LEARN_SOON_SECONDS if new_kinds else LEARN_REPEAT_SECONDS
        self._learn_at = min(self._learn_at, self._learned_at + wait)
