"""The snooze rule, in Python and in SQL: a snoozed recommendation whose time is up counts as open again.

Its own module so the dashboard's read of the queue (:mod:`analytics.recommend.reads`) uses the same rule
as the lifecycle (:mod:`analytics.recommend.lifecycle`) without loading the lifecycle before its first
frame."""

from __future__ import annotations

import datetime as dt


def snooze_ended(status: str, snoozed_until: dt.datetime | None, now: dt.datetime) -> bool:
    """The snooze rule: a snoozed recommendation whose time is up (at ``now``) counts as open again."""
    return status == "snoozed" and snoozed_until is not None and snoozed_until <= now


#: :func:`snooze_ended` in SQL, with ``now`` as its one parameter.
SNOOZE_ENDED_SQL = "(status = 'snoozed' AND snoozed_until IS NOT NULL AND snoozed_until <= ?)"
#: What the queue shows (open, or snoozed with its time up); ``now`` is its one parameter.
SHOWN_AS_OPEN_SQL = f"(status = 'open' OR {SNOOZE_ENDED_SQL})"
