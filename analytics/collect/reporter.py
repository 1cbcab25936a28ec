"""What ``lokifi collect`` says in its log (the journal, under systemd) while it runs: changes, not state.

Every :data:`CHECK_SECONDS` the reporter looks at the collector and says what changed since its last look:

* a source that fails, with its error, and once it works again (``ok again``);
* a refresh hook that fails, with its error — once, again only when the error changes (not when only a
  duration in it does: ``busy for 12s`` after ``busy for 5s`` is the same failure), and ``works again``
  when it ran without one (a later failure is then said again), ``no longer in the config`` when a reload
  removed it;
* every ten minutes (not with ``--quiet``), how many rows were written.

A failure that persists is said once: a hook that fails at each run (an alert endpoint down, refreshed
every 15 s) does not fill the journal with the same line.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from typing import Any

log = logging.getLogger("lokifi.collect")

#: How often the reporter looks at the collector.
CHECK_SECONDS = 5.0
#: How often the summary line is written.
SUMMARY_SECONDS = 600.0

#: A duration inside an error's text (``busy for 12s``, ``after 2.5 seconds``): it grows while the same
#: failure lasts, so it is left out when errors are compared.
_DURATION = re.compile(r"\b\d+(?:\.\d+)?\s?(?:ms|s|sec|secs|seconds?|min|minutes?|h|hours?)\b")


def same_failure(err: str | None) -> str | None:
    """What of an error's text tells one failure from another: its words, not how long it lasted."""
    return None if err is None else _DURATION.sub("<duration>", err)


class Reporter:
    """Says the changes of ``col``'s sources and refresh hooks (see the module docstring)."""

    def __init__(self, col: Any, quiet: bool) -> None:
        self.col = col
        self.quiet = quiet
        self.states: dict[str, tuple[str, str | None]] = {}
        self.hook_errors: dict[str, str] = {}  # what was said of each failing hook
        self.last_summary = time.monotonic()

    def loop(self, stop: threading.Event) -> None:
        while not stop.wait(CHECK_SECONDS):
            try:
                self.check()
            except Exception:  # noqa: BLE001, S110 - reporting never stops collection
                pass

    def check(self) -> None:
        for s in self.col.statuses():
            key = (s.state, same_failure(s.last_error))
            if self.states.get(s.name) != key:
                if s.state == "error":
                    log.warning("%s: %s", s.name, s.last_error)
                elif self.states.get(s.name, ("", None))[0] == "error":
                    log.info("%s: ok again (%s)", s.name, s.detail)
                self.states[s.name] = key
        self.check_hooks()
        if not self.quiet and time.monotonic() - self.last_summary >= SUMMARY_SECONDS:
            st = self.col.stats
            log.info(
                "%d rows written in %d batches; %d spooled; last write %s",
                st.rows_written,
                st.flushes,
                st.spooled,
                st.last_flush.isoformat(timespec="seconds") if st.last_flush else "never",
            )
            self.last_summary = time.monotonic()

    def check_hooks(self) -> None:
        """Say a hook's error when it is new or changed, and when the hook works again."""
        now = dict(self.col.stats.hook_errors)
        for hook, err in now.items():
            if same_failure(self.hook_errors.get(hook)) != same_failure(err):
                log.warning("refresh %s: %s", hook, err)
        configured = self.col.configured_hooks()
        for hook in self.hook_errors.keys() - now.keys():
            if hook in configured:
                log.info("refresh %s: works again", hook)
            else:
                log.info("refresh %s: no longer in the config", hook)
        self.hook_errors = now
