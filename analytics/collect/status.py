"""What the collector reports about itself: its sources' states (a paused one says why), the latest
vitals and probe results for the screen, and the ``source_status`` rows each write carries — one per
source and one for the collector (its pid, mode, flush interval and sources)."""

from __future__ import annotations

import datetime as dt
import json
import os
from typing import Any

from analytics.collect.state import CollectorState
from analytics.sources.base import SourceStatus


def _iso(v: dt.datetime | None) -> str | None:
    return v.isoformat() if v else None


class StatusRows(CollectorState):
    """The collector's views of its sources (no database access)."""

    @property
    def latest_vitals(self) -> Any:
        """The latest :class:`VitalsSnapshot` (None before the first sample). No database access."""
        for s in self.sources:
            if getattr(s, "kind", "") == "vitals":
                return s.latest
        return None

    @property
    def latest_probes(self) -> tuple[Any, ...]:
        out: tuple[Any, ...] = ()
        for s in self.sources:
            if getattr(s, "kind", "") == "probes":
                out += s.latest
        return out

    def statuses(self) -> tuple[SourceStatus, ...]:
        out = []
        for s in self.sources:
            st = s.status()
            if s.name in self._paused:
                st = SourceStatus(
                    st.name,
                    st.kind,
                    "paused",
                    st.last_poll,
                    st.last_success,
                    "waiting for the database",
                    st.rows_total,
                    st.detail,
                )
            out.append(st)
        return tuple(out)

    def _status_row(self, s: SourceStatus, now: dt.datetime) -> dict[str, Any]:
        return {
            "host": self.host,
            "source": s.name,
            "kind": s.kind,
            "state": s.state,
            "last_poll": _iso(s.last_poll),
            "last_success": _iso(s.last_success),
            "last_error": s.last_error,
            "rows_total": int(s.rows_total),
            "detail": s.detail,
            "updated_at": now.isoformat(),
        }

    def _collector_status(self, now: dt.datetime, final: bool) -> dict[str, Any]:
        detail = json.dumps(
            {
                "pid": os.getpid(),
                "mode": self.mode,
                "flush_seconds": self.flush_seconds,
                "sources": [s.name for s in self.sources],
            }
        )
        return {
            "host": self.host,
            "source": "collector",
            "kind": "collector",
            "state": "stopped" if final else "ok",
            "last_poll": now.isoformat(),
            "last_success": now.isoformat(),
            "last_error": self.stats.last_error,
            "rows_total": self.stats.rows_written + self._pending_rows,
            "detail": detail,
            "updated_at": now.isoformat(),
        }
