"""A host's /var/log planted in a temporary directory: 8 days of nginx access logs (combined format with
``$request_time``; current, ``.1``, ``.2.gz`` ... ``.7.gz`` as logrotate leaves them) and an error log
with recurring upstream errors. Times are written in local time, as nginx does."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import random
from pathlib import Path

AGENT = '"Mozilla/5.0 (X11; Linux x86_64)"'
PATHS = ["/", "/api/cart", "/api/items?id={n}", "/static/app.js", "/login"]


def _local(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC).astimezone()


def access_line(t: dt.datetime, status: int, rt: float, rng: random.Random) -> str:
    lt = _local(t)
    path = rng.choice(PATHS).format(n=rng.randint(1, 999))
    return (
        f"10.0.{rng.randint(0, 9)}.{rng.randint(1, 250)} - - [{lt:%d/%b/%Y:%H:%M:%S %z}] "
        f'"GET {path} HTTP/1.1" {status} {rng.randint(200, 9000)} "-" {AGENT} {rt:.3f}'
    )


def error_line(t: dt.datetime, n: int, rng: random.Random) -> str:
    lt = _local(t)
    return (
        f"{lt:%Y/%m/%d %H:%M:%S} [error] 812#812: *{n} connect() failed (111: Connection refused) while "
        f"connecting to upstream, client: 10.0.{rng.randint(0, 9)}.{rng.randint(1, 250)}, server: shop, "
        f'request: "GET /api/cart HTTP/1.1", upstream: "http://127.0.0.1:8000/api/cart", host: "shop"'
    )


def plant(root: Path, *, now: dt.datetime | None = None, days: int = 8, every_s: float = 20.0, seed: int = 7) -> dict:
    """Write the files under ``root/nginx``; returns facts the tests check (counts, first/last times)."""
    rng = random.Random(seed)
    now = (now or dt.datetime.now(dt.UTC).replace(tzinfo=None)).replace(microsecond=0)
    d = root / "nginx"
    d.mkdir(parents=True, exist_ok=True)
    start = now - dt.timedelta(days=days)
    # access: one file per day, newest is the current file; the last 3 hours are 4x slower
    per_day: list[list[str]] = [[] for _ in range(days)]
    n_5xx = n_lines = 0
    t = start + dt.timedelta(seconds=1)
    while t < now - dt.timedelta(seconds=5):
        day = min(int((t - start).total_seconds() // 86400), days - 1)
        slow = t > now - dt.timedelta(hours=3)
        rt = rng.lognormvariate(-2.3, 0.25) * (4.0 if slow else 1.0)
        status = 502 if rng.random() < (0.05 if slow else 0.002) else 200
        n_5xx += status >= 500
        n_lines += 1
        per_day[day].append(access_line(t, status, rt, rng))
        t += dt.timedelta(seconds=every_s)
    _rotate_set(d / "access.log", per_day, start)
    # errors: a burst of upstream errors every 6 hours
    err_days: list[list[str]] = [[] for _ in range(days)]
    n_err, k = 0, 1
    t = start + dt.timedelta(hours=1)
    first_err = last_err = None
    while t < now - dt.timedelta(minutes=1):
        day = min(int((t - start).total_seconds() // 86400), days - 1)
        for j in range(5):
            tt = t + dt.timedelta(seconds=j * 7)
            err_days[day].append(error_line(tt, k, rng))
            first_err = first_err or tt
            last_err = tt
            k += 1
            n_err += 1
        t += dt.timedelta(hours=6)
    _rotate_set(d / "error.log", err_days, start)
    return {
        "now": now,
        "access_lines": n_lines,
        "access_5xx": n_5xx,
        "errors": n_err,
        "first_error": first_err,
        "last_error": last_err,
        "dir": d,
    }


def _rotate_set(current: Path, per_day: list[list[str]], start: dt.datetime) -> None:
    """Day i (0 oldest) goes to name.(days-1-i): .1 plain, .2 and older gzip; the newest is ``current``."""
    days = len(per_day)
    for i, lines in enumerate(per_day):
        idx = days - 1 - i
        data = ("\n".join(lines) + "\n").encode() if lines else b""
        if idx == 0:
            p = current
            p.write_bytes(data)
        elif idx == 1:
            p = current.with_name(current.name + ".1")
            p.write_bytes(data)
        else:
            p = current.with_name(current.name + f".{idx}.gz")
            with gzip.open(p, "wb") as f:
                f.write(data)
        end = start + dt.timedelta(days=i + 1)
        ts = end.replace(tzinfo=dt.UTC).timestamp()
        os.utime(p, (ts, ts))
