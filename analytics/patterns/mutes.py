"""Muted patterns: errors a person says are expected where they occur.

A muted pattern raises no prediction (so no alert either) until its mute ends or it is unmuted; its
events are still stored, counted and grouped, and ``lokifi patterns list`` says it is muted. A mute
names a learned pattern (an id or its prefix, or a message, as :func:`analytics.patterns.learning.resolve`
reads it) and lasts for a time or until unmuted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

#: a mute in force at a time ``?`` (naive UTC)
_IN_FORCE = "until IS NULL OR until > ?"
#: the fingerprints muted at a time ``?``: for a ``NOT IN (...)`` of a query
MUTED_AT = f"SELECT fingerprint FROM pattern_mutes WHERE {_IN_FORCE}"
#: a condition on the predictions table: not a prediction of a pattern muted at ``?`` (live predictions,
#: alerts and the metrics exposition leave those out; a firing alert of a pattern muted since resolves)
NOT_MUTED = f"NOT (prediction_type = 'recurring_error' AND coalesce(subject, '') IN ({MUTED_AT}))"


@dataclass(frozen=True)
class Mute:
    fingerprint: str
    muted_at: dt.datetime
    until: dt.datetime | None  # None: until unmuted
    reason: str | None

    def describe(self) -> str:
        """``muted until 2026-12-12 18:00 UTC`` / ``muted until unmuted``, with the reason."""
        end = f"until {self.until:%Y-%m-%d %H:%M} UTC" if self.until else "until unmuted"
        return f"muted {end}" + (f" ({self.reason})" if self.reason else "")


def mute(store, ref: str, *, now: dt.datetime, until: dt.datetime | None = None, reason: str | None = None) -> Mute:
    """Mute the pattern ``ref`` names from ``now`` (naive UTC) until ``until`` (None: until unmuted); a
    pattern muted already gets the new end and reason. ``PatternNotFound`` if no pattern matches."""
    from analytics.patterns.learning import resolve  # (the dashboard's reads import this module: kept light)

    if until is not None and until <= now:
        raise ValueError("a mute must end after it starts")
    fp = resolve(store, ref)
    reason = (reason or "").strip()[:500] or None
    with store.write() as con:
        con.execute(
            "INSERT INTO pattern_mutes (fingerprint, muted_at, until, reason) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (fingerprint) DO UPDATE SET muted_at = excluded.muted_at, until = excluded.until, "
            "reason = excluded.reason",
            [fp, now, until, reason],
        )
    return Mute(fp, now, until, reason)


def unmute(store, ref: str) -> tuple[str, bool]:
    """Unmute the pattern ``ref`` names: (its fingerprint, whether it was muted)."""
    from analytics.patterns.learning import resolve

    fp = resolve(store, ref)
    with store.write() as con:
        was = con.execute("SELECT count(*) FROM pattern_mutes WHERE fingerprint = ?", [fp]).fetchone()
        con.execute("DELETE FROM pattern_mutes WHERE fingerprint = ?", [fp])
    return fp, bool(was and was[0])


def active_mutes(con, now: dt.datetime) -> dict[str, Mute]:
    """The mutes in force at ``now`` (naive UTC), by fingerprint (``con``: an open connection)."""
    rows = con.execute(
        f"SELECT fingerprint, muted_at, until, reason FROM pattern_mutes WHERE {_IN_FORCE}", [now]
    ).fetchall()
    return {r[0]: Mute(*r) for r in rows}
