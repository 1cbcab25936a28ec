"""Log tailing: follow files, survive rotation and truncation, and pick out the error lines.

Owns two things:

* :class:`FileTailer` — follows one path byte-exactly (:mod:`analytics.sources.filetail`).
* :class:`TailSource` — the collector source: one tailer per configured log file (globs allowed). Its
  lines are folded into multi-line events as ``lokifi patterns scan`` folds them (a traceback or a stack
  trace is one event: :mod:`analytics.sources.tail_events`, which also keeps the checkpoint at the first
  line of an event that may still grow). It keeps the events ``lokifi patterns scan --errors`` calls
  errors (:mod:`analytics.patterns.severity`: the level written in the header decides, else error words
  or a traceback's exception); attributes them to their component, and stamps them with the time
  written in their first line when there is one (otherwise the time they were read).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from analytics.common.escapes import without_escapes
from analytics.patterns.json_message import NUMERIC_LEVELS, json_level
from analytics.patterns.line_time import line_time
from analytics.patterns.logline import KLOG_LEVELS, KLOG_LINE
from analytics.patterns.severity import LEAD_WORD, error_mask, folded_parts, is_error
from analytics.sources.base import BaseSource, Batch
from analytics.sources.filetail import FileTailer
from analytics.sources.line_reader import MAX_LINE, Line
from analytics.sources.tail_events import QUIET_SECONDS, TailEvents

ERROR_LEVELS = {"ERROR", "ERR", "FATAL", "CRITICAL", "CRIT", "ALERT", "EMERG", "EMERGENCY", "PANIC", "SEVERE"}
OTHER_LEVELS = {"WARN", "WARNING", "INFO", "NOTICE", "DEBUG", "TRACE", "VERBOSE", "FINE", "FINER", "FINEST"}
_LEVEL_WORDS = "|".join(sorted(ERROR_LEVELS | OTHER_LEVELS, key=len, reverse=True))
# A level written the ways logs write it: [error], ERROR:, level=error, "level":"error", <E>, " E " (glog).
_LEVEL_RE = re.compile(
    rf"""(?:(?:level(?:name)?|lvl|severity|loglevel)["']?\s*[:=]\s*["']?({_LEVEL_WORDS})\b"""
    rf"""|[\[<(]({_LEVEL_WORDS})[\]>):]"""
    rf"""|(?<![\w./-])({_LEVEL_WORDS})(?=[\s:\]|,/-]|$))""",  # (celery: ERROR/MainProcess)
    re.IGNORECASE,
)
_KLOG_RE = re.compile(KLOG_LINE)


def line_level(text: str) -> str | None:
    """The log level written in the line (upper case), or None. Only the first 200 chars are searched."""
    text = without_escapes(text)  # a coloured level: ESC[31mERROR
    k = _KLOG_RE.match(text)
    if k:
        return KLOG_LEVELS[k.group(1)]
    j = json_level(text[:200])  # a JSON line's level field, pino's and bunyan's numbers included
    if j in NUMERIC_LEVELS.values():
        return j
    m = _LEVEL_RE.search(text[:200])
    if not m:
        return None
    word = (m.group(1) or m.group(2) or m.group(3)).upper()
    # A bare lowercase "error"/"info" inside prose is not a level; the bracketed/keyed forms are, and so is
    # one where a level goes (after the stamp or the line counter: zap's "<time>\twarn\t", npm's "33 error")
    if m.group(3) and not m.group(3).isupper():
        lead = LEAD_WORD.match(text)
        if lead is None or lead.start(1) != m.start(3):
            return None
    return {"ERR": "ERROR", "CRIT": "CRITICAL", "WARNING": "WARN", "EMERGENCY": "EMERG"}.get(word, word)


def is_error_line(text: str) -> tuple[bool, str | None]:
    """(is it an error line, its level): :func:`analytics.patterns.severity.is_error`, the rule ``lokifi
    patterns scan --errors`` applies, and the level written in it (``ERROR`` when words decided)."""
    return is_error_event(text, text, None)


def is_error_event(text: str, first: str, exception: str | None) -> tuple[bool, str | None]:
    """:func:`is_error_line` for a folded multi-line event (:mod:`analytics.patterns.multiline`): its text
    (the first line, and the exception line of a traceback or stack trace it carries) as the scan judges
    it; the level is the one written in its first line when that is an error or a warning level."""
    if not is_error(text, first, exception):
        return False, line_level(first)
    return True, event_level(first)


#: from this many events on, a poll's events are judged as one column (Polars): the same answers as one
#: by one (a property test holds the two together), at ~1 us an event instead of ~10
BATCH_JUDGE = 64


def judge(events: list) -> list[tuple[bool, str | None]]:
    """:func:`is_error_event` for each of a poll's (or a backfill block's) folded events (text, first
    line, exception, ...)."""
    if len(events) < BATCH_JUDGE:
        return [is_error_event(e[0], e[1], e[2]) for e in events]
    mask = error_mask(pl.Series([e[0] for e in events], dtype=pl.String), *folded_parts(events)).to_list()
    return [(True, event_level(e[1])) if ok else (False, None) for e, ok in zip(events, mask, strict=True)]


def event_level(first: str) -> str:
    """The level an error event is stored with: the one written in its first line when it is an error or
    a warning level (a warning with error words is an error to the rule), else ``ERROR``."""
    level = line_level(first)
    return level if level in ERROR_LEVELS or level == "WARN" else "ERROR"


def _access_aggregator(lines: list[Line], host: str, component: str, source: str) -> Any:
    """A per-minute aggregator when the first lines read look like an access log, else False."""
    from analytics.sources.access_log import MinuteAggregator, looks_like_access_log

    if not looks_like_access_log([ln.text for ln in lines[:200]]):
        return False
    return MinuteAggregator(host, component, source)


def _held_back(position: dict[str, Any] | None, first: Line) -> dict[str, Any] | None:
    """The checkpoint moved back to the first line of the minute still held, so a restart reads it again
    (its rows are written when the minute closes)."""
    if not position:
        return position
    out = dict(position)
    for name, p in position.items():
        if (
            isinstance(p, dict)
            and (p.get("dev"), p.get("ino")) == (first.dev, first.ino)
            and int(p.get("offset", -1)) > first.offset
        ):
            out[name] = {**p, "offset": first.offset, "discard": False}
    return out


# --------------------------------------------------------------------------------------------------
# The collector source
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogSpec:
    """One configured log path (a file or a glob) and the component its errors belong to."""

    component: str
    path: str


@dataclass
class _Tracked:
    spec: LogSpec
    tailer: FileTailer
    component: str
    events: TailEvents
    checkpoint: dict[str, Any] | None = None  # the last checkpoint given to the collector (or loaded)
    lines_read: int = 0
    errors_found: int = 0
    access: Any = None  # an access log's per-minute aggregator; False: not an access log; None: not known yet


class TailSource(BaseSource):
    """Tails every configured log file and turns error events into ``error_events`` rows.

    Lines are folded into multi-line events (a traceback, a stack trace: one event) by
    :class:`~analytics.sources.tail_events.TailEvents`, which holds an event that may still grow and keeps
    the checkpoint at its first line meanwhile; ``poll(now, final=True)`` (the collector's last poll)
    emits every held event."""

    kind = "tail"
    durable_upstream = True  # the files are the buffer: a failed write is re-read, not lost
    final_poll = True  # read once more when the collector stops (cheap, and nothing is left behind)

    def __init__(
        self,
        specs: list[LogSpec],
        host: str,
        *,
        interval: float = 2.0,
        from_start: bool = False,
        max_line: int = MAX_LINE,
        name: str = "tail",
        glob_every: float = 30.0,
        component_names: list[str] | tuple[str, ...] = (),
        quiet: float = QUIET_SECONDS,
    ) -> None:
        super().__init__(name, interval)
        self.quiet = quiet
        self.component_names = sorted(component_names, key=len, reverse=True)
        self.specs = list(specs)
        self.host = host
        self.from_start = from_start
        self.max_line = max_line
        self.glob_every = glob_every
        self._tracked: dict[str, _Tracked] = {}
        self._saved: dict[str, Any] = {}
        self._last_glob: float | None = None

    def start(self, checkpoints: dict[str, str]) -> None:
        """Load the stored positions (``path -> JSON``), and take the end of each file followed from its
        end now: a line written between the start (a collector that says it is writing, a reload that says
        the sources restarted) and the first poll is read, not skipped as if it had been there before."""
        for key, raw in checkpoints.items():
            try:
                self._saved[key] = json.loads(raw) if raw else None
            except ValueError:
                continue
        self._expand()
        self._last_glob = time.monotonic()
        for tr in self._tracked.values():
            with contextlib.suppress(OSError):  # an unreadable file is said by the poll that meets it
                tr.tailer.anchor()

    def _component_for(self, spec: LogSpec, path: str) -> str:
        """The spec's component; for a file found in a watched log directory, the configured component
        whose name starts the file name (``nginx-error.log`` -> ``nginx``), else the file's stem."""
        if spec.component:
            return spec.component
        fname = Path(path).name.lower()
        for name in self.component_names:
            if fname.startswith(name.lower()):
                return name
        return fname.split(".")[0] or "logs"

    def _expand(self) -> None:
        first = self._last_glob is None
        for spec in self.specs:
            pattern = os.path.expanduser(spec.path)
            magic = glob.has_magic(pattern)
            paths = sorted(glob.glob(pattern)) if magic else [pattern]
            for p in paths:
                key = str(Path(p).absolute())
                if key in self._tracked:
                    continue
                saved = self._saved.pop(key, None)
                # A file that appears later under a glob is new: read it whole. Others start at their end (an
                # access log at the first line of its last minute, which is read whole).
                from_start = self.from_start or (magic and not first)
                t = FileTailer(key, saved, from_start=from_start, max_line=self.max_line)
                self._tracked[key] = _Tracked(
                    spec, t, self._component_for(spec, key), TailEvents(self.quiet), checkpoint=t.position
                )

    def poll(self, now: dt.datetime, *, final: bool = False) -> list[Batch]:
        """One batch: the error events finished since the last poll, and every file's checkpoint (at the
        first line of an event still held). ``final``: the collector is stopping, hold nothing back but an
        access log's minute that may still grow (its checkpoint stays at the minute's first line)."""
        mono = time.monotonic()
        if self._last_glob is None or mono - self._last_glob > self.glob_every:
            self._expand()
            self._last_glob = mono
        batch = Batch(self.name)
        problems = []
        for key, tr in self._tracked.items():
            lines = tr.tailer.poll(mono)
            tr.lines_read += len(lines)
            if tr.access is None and lines:
                tr.access = _access_aggregator(lines, self.host, tr.component, self.name)
            if tr.access:  # an access log: per-minute metrics, not error events
                for ln in lines:
                    batch.metrics.extend(tr.access.feed(ln.text, ln))
                if final:  # a minute that may still grow is not written: the next run reads it whole
                    batch.metrics.extend(tr.access.flush(now))
                lines = []
            events = tr.events.feed(lines, mono)
            settled, after = tr.events.settle(tr.tailer.position, mono, final=final)
            if tr.access and tr.access.held_from is not None:
                after = _held_back(after, tr.access.held_from)
            for (text, first, _, _, context), (ok, level) in zip(
                events + settled, judge(events + settled), strict=True
            ):
                if not ok:
                    continue
                tr.errors_found += 1
                ts = line_time(first, now) or now
                batch.events.append(
                    {
                        "ts": ts,
                        "host": self.host,
                        "component": tr.component,
                        "message": text,
                        "source": self.name,
                        "level": level or "ERROR",
                        "context": context or None,
                    }
                )
            if after is not None and (after != tr.checkpoint or lines):
                batch.checkpoints[key] = json.dumps(after, sort_keys=True)
                tr.checkpoint = after
            if tr.tailer.error:
                problems.append(tr.tailer.error)
            problems.extend(tr.tailer.notes)
            tr.tailer.notes.clear()
        detail = f"{len(self._tracked)} files"
        if problems:
            self.fail(now, "; ".join(problems[:3]))
        else:
            self.ok(now, len(batch.events), detail)
        return [batch] if not batch.empty else []

    @property
    def has_more(self) -> bool:
        return any(t.tailer.has_more for t in self._tracked.values())

    def files(self) -> list[dict[str, Any]]:
        return [
            {
                "path": k,
                "component": t.component,
                "lines": t.lines_read,
                "errors": t.errors_found,
                "error": t.tailer.error,
            }
            for k, t in self._tracked.items()
        ]

    def close(self) -> None:
        for tr in self._tracked.values():
            tr.tailer.close()
