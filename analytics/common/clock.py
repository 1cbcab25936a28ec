"""The one clock: the current time as Lokifi stores it (naive UTC)."""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Now, in UTC, without a zone: the form every stored timestamp has."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
