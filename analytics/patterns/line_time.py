"""When a log line says it was written: the timestamp near its start, as naive UTC.

ISO 8601 and RFC 3339 stamps (a zone or the host's local time), a JSON line's time field (also epoch
seconds or milliseconds), an access log's ``[06/Dec/2026:02:17:03 +0000]``, syslog's ``Dec  6 02:17:03``
(the year from the clock, last year for a December line read in January) and klog's ``E1205 ...``. Used
by the tail, backfill, ``patterns group --raw --learn`` and ``patterns scan`` (which reads first and last
seen by it). Standard library only.
"""

from __future__ import annotations

import datetime as dt
import re

from analytics.common.escapes import without_escapes
from analytics.patterns.json_message import JSON_TIME_RE, epoch_time
from analytics.patterns.logline import ISO_TIME_RE, KLOG_LINE

_KLOG_RE = re.compile(KLOG_LINE)
_MONTHS = {
    m: i
    for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1)
}
_CLF_RE = re.compile(r"(\d{2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\s*([+-]\d{4}))?")
_SYSLOG_RE = re.compile(r"^([A-Z][a-z]{2})\s+(\d{1,2})\s(\d{2}):(\d{2}):(\d{2})\b")


def _tz(s: str | None) -> dt.tzinfo | None:
    if not s:
        return None
    if s == "Z":
        return dt.UTC
    s = s.replace(":", "")
    sign = -1 if s[0] == "-" else 1
    return dt.timezone(sign * dt.timedelta(hours=int(s[1:3]), minutes=int(s[3:5])))


def line_time(text: str, now: dt.datetime) -> dt.datetime | None:
    """The timestamp written near the start of a line, as naive UTC; None when absent or implausible.

    Times without a zone are taken as the host's local time (that is what services write)."""
    head = without_escapes(text[:240])[:120]
    out: dt.datetime | None = None
    try:
        j = JSON_TIME_RE.search(text, 0, 4096) if head.lstrip().startswith("{") else None
        m = ISO_TIME_RE.match(j.group(1)) if j is not None and j.group(1) else None
        if m is None and j is None:
            m = ISO_TIME_RE.search(head)
        if j is not None and j.group(2):
            out = epoch_time(j.group(2))
        elif m:
            y, mo, d, h, mi, s, frac, z = m.groups()
            us = int((frac or "0").ljust(6, "0")[:6])
            out = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), us, tzinfo=_tz(z))
        else:
            m = _CLF_RE.search(head)
            if m and m.group(2).lower() in _MONTHS:
                d, mon, y, h, mi, s, z = m.groups()
                out = dt.datetime(int(y), _MONTHS[mon.lower()], int(d), int(h), int(mi), int(s), tzinfo=_tz(z))
            else:
                m = _SYSLOG_RE.match(head)
                if m and m.group(1).lower() in _MONTHS:
                    mon, d, h, mi, s = m.groups()
                    year = now.year
                    out = dt.datetime(year, _MONTHS[mon.lower()], int(d), int(h), int(mi), int(s))
                elif k := _KLOG_RE.match(head):
                    mo, d, h, mi, s, us = (int(x) for x in k.groups()[1:])
                    out = dt.datetime(now.year, mo, d, h, mi, s, us)  # the host's local time, as glog writes
    except (ValueError, OverflowError, OSError):
        return None
    if out is None:
        return None
    if out.tzinfo is None:
        out = out.astimezone()  # local time -> aware
    out = out.astimezone(dt.UTC).replace(tzinfo=None)
    # A syslog (or klog) line from December read in January belongs to last year.
    if out > now + dt.timedelta(days=1) and (_SYSLOG_RE.match(head) or _KLOG_RE.match(head)):
        out = out.replace(year=out.year - 1)
    if out > now + dt.timedelta(minutes=10) or out < now - dt.timedelta(days=3650):
        return None
    return out
