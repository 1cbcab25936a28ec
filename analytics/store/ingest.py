"""``lokifi ingest``: metrics and error events from CSV, JSONL and Parquet files into the store.

* Formats are detected (extension, then content) or forced; files stream in batches, so a 1 GB file
  never needs 1 GB of memory (reading them: :mod:`analytics.store.ingest_read`).
* Metrics rows need a timestamp, component, metric and value (host optional); error-event rows need a
  timestamp, component and message. A two-column ``timestamp,value`` file is a metric series when the
  caller names its component and metric.
* Each bad row is reported with file, line and field. By default bad rows are skipped and counted;
  ``strict`` validates the whole file first and writes nothing if any row is bad.
* Re-ingesting adds nothing twice: a file whose content hash was ingested before is skipped, and rows
  are deduplicated against the store on their natural key anyway.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import select
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from analytics.common.compression import DamagedError
from analytics.common.env_settings import env_bytes
from analytics.common.epoch_time import TS_MAX, TS_MIN, YEARS
from analytics.common.timeparse import epoch_numbers, parse_timestamps
from analytics.config.machine import this_host
from analytics.store.database import Store
from analytics.store.ingest_read import (
    MAX_REPORTED_ERRORS,
    IngestError,
    IngestReport,
    RowError,
    csv_batches,
    detect_format,
    file_sha256,
    jsonl_batches,
    parquet_batches,
)

#: which rows of a batch of events are routine (a Boolean Series): not error events
Routine = Callable[[pl.DataFrame], pl.Series]
FORMATS = ("csv", "jsonl", "parquet")
KINDS = ("metrics", "events")
MAX_MESSAGE = 16_384  # characters kept of an error message (the rest is marked as cut)
MAX_PIPE_BYTES = env_bytes("LOKIFI_MAX_PIPE_BYTES", 8 << 30)  # a pipe is copied once, up to this
PIPE_FIRST_DATA_SECONDS = float(os.environ.get("LOKIFI_PIPE_WAIT", "30"))  # a FIFO nobody writes is refused

ALIASES = {
    "ts": ("ts", "timestamp", "time", "datetime", "date", "@timestamp", "t"),
    "host": ("host", "hostname", "instance", "node", "server"),
    "component": ("component", "service", "app", "job", "source_component"),
    "metric": ("metric", "metric_name", "name", "measurement"),
    "value": ("value", "val", "y"),
    "message": ("message", "msg", "error", "error_message", "log", "line", "text"),
    "type": ("type", "error_type"),
    "level": ("level", "severity", "lvl"),
    "source": ("source",),
}


def _pick(columns: list[str], role: str) -> str | None:
    lower = {c.lower().strip(): c for c in columns}
    for alias in ALIASES[role]:
        if alias in lower:
            return lower[alias]
    return None


def _all_of(columns: list[str], role: str) -> list[str]:
    """Every column that can hold ``role`` (JSON lines may name the timestamp differently line by line)."""
    lower = {c.lower().strip(): c for c in columns}
    return [lower[a] for a in ALIASES[role] if a in lower]


def resolve_layout(
    columns: list[str], kind: str | None, component: str | None, metric: str | None
) -> tuple[str, dict[str, str | None]]:
    cols = [c for c in columns if c != "_line" and not c.startswith("_nested:")]
    roles = {role: _pick(cols, role) for role in ALIASES}
    if kind is None:
        if roles["message"] and not roles["value"]:
            kind = "events"
        elif roles["value"]:
            kind = "metrics"
        elif len(cols) == 2 and roles["ts"]:
            roles["value"] = next(c for c in cols if c != roles["ts"])
            kind = "metrics"
        else:
            raise IngestError(
                f"cannot tell what the columns {cols[:12]} hold: metrics need timestamp, component, metric, "
                "value; error events need timestamp, component, message (use --kind to say which)"
            )
    if kind == "metrics" and not roles["value"] and len(cols) == 2 and roles["ts"]:
        roles["value"] = next(c for c in cols if c != roles["ts"])
    need = ["ts", "value"] if kind == "metrics" else ["ts", "message"]
    if kind == "metrics" and not metric:
        need.append("metric")
    if not component:
        need.append("component")
    missing = [r for r in need if not roles[r]]
    if missing:
        hint = {"component": " (or pass --component)", "metric": " (or pass --metric)"}
        raise IngestError(
            f"{kind} rows need a column for: "
            + ", ".join(f"{m} (one of {', '.join(ALIASES[m][:4])}){hint.get(m, '')}" for m in missing)
            + f"; found columns {cols[:12]}"
        )
    return kind, roles


def normalise(
    df: pl.DataFrame,
    first_line: int,
    path: str,
    kind: str,
    roles: dict[str, str | None],
    *,
    host: str,
    component: str | None,
    metric: str | None,
    source: str,
) -> tuple[pl.DataFrame, list[RowError], int]:
    """Typed rows ready for the store, a RowError for each of the first bad rows (its first problem),
    and the number of bad rows."""
    n = df.height
    if "_line" in df.columns:
        line = df["_line"]
    else:
        line = pl.int_range(first_line, first_line + n, dtype=pl.Int64, eager=True).alias("_line")

    def col(role: str) -> pl.Series | None:
        name = roles.get(role)
        if not name or name not in df.columns:
            return None
        names = [c for c in _all_of(df.columns, role) if c != "_line"] if role != "value" else [name]
        if len(names) <= 1:
            return df[name]
        return df.select(pl.coalesce([pl.col(c).cast(pl.String) for c in names]).alias(name)).to_series()

    def required(role: str) -> pl.Series:
        """A column the layout requires; a batch without it has no value in any row (each row is reported)."""
        c = col(role)
        return pl.repeat(None, n, dtype=pl.String, eager=True).alias(role) if c is None else c

    def text(role: str, default: str | None) -> pl.Series:
        c = col(role)
        if c is None:
            return pl.repeat(default, n, dtype=pl.String, eager=True).alias(role)
        c = c.cast(pl.String, strict=False).str.strip_chars()
        if default is not None:
            c = c.fill_null(default).replace("", default)
        return c.alias(role)

    raw_ts = required("ts")
    ts = parse_timestamps(raw_ts).alias("ts")
    number = epoch_numbers(raw_ts)  # a number too large to be a time (1e30) is out of range, not "not a timestamp"
    out = {"ts": ts, "host": text("host", host), "component": text("component", component)}
    checks: list[tuple[str, pl.Series, str]] = [
        ("ts", _empty(raw_ts), "empty"),
        ("ts", ts.is_null() & ~number, "not a timestamp (ISO 8601 or epoch s/ms)"),
        ("ts", (ts.is_null() & number) | (ts < TS_MIN) | (ts >= TS_MAX), f"outside {YEARS}"),
        ("component", out["component"].is_null() | (out["component"] == ""), "empty"),
    ]
    if kind == "metrics":
        out["metric"] = text("metric", metric)
        raw_v = required("value")
        if raw_v.dtype == pl.String:
            raw_v = raw_v.str.strip_chars()
        v = raw_v.cast(pl.Float64, strict=False)
        v = v.alias("value")
        out["value"] = v
        out["source"] = pl.repeat(source, n, dtype=pl.String, eager=True).alias("source")
        checks.append(("metric", out["metric"].is_null() | (out["metric"] == ""), "empty"))
        checks.append(("value", _empty(raw_v), "empty"))
        checks.append(("value", v.is_null() | ~v.is_finite().fill_null(False), "not a finite number"))
    else:
        msg = required("message").cast(pl.String, strict=False)
        too_long = msg.str.len_chars() > MAX_MESSAGE
        msg = (
            pl.DataFrame({"m": msg, "l": too_long})
            .select(pl.when(pl.col("l")).then(pl.col("m").str.slice(0, MAX_MESSAGE) + " …[cut]").otherwise(pl.col("m")))
            .to_series()
            .alias("message")
        )
        out["message"] = msg
        for role in ("type", "source", "level"):
            out[role] = text(role, None)
        # imported rows always say so ("ingest:..."): the collector's retention never deletes them
        out["source"] = (
            pl.DataFrame({"s": out["source"]})
            .select(
                pl.when(pl.col("s").is_null() | (pl.col("s") == ""))
                .then(pl.lit(source))
                .otherwise(pl.lit("ingest:") + pl.col("s"))
                .alias("source")
            )
            .to_series()
        )
        out["fingerprint"] = pl.repeat(None, n, dtype=pl.String, eager=True).alias("fingerprint")
        checks.append(("message", msg.is_null() | (msg.str.strip_chars() == ""), "empty"))
    for role in ("component", "host", "metric", "ts", "value"):
        name = roles.get(role)
        if name and f"_nested:{name}" in df.columns:
            checks.insert(0, (role, df[f"_nested:{name}"], "expected text or a number, got a JSON list/object"))
    frame = pl.DataFrame(out)
    bad = pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    errors: list[RowError] = []
    first_problem = pl.repeat(None, n, dtype=pl.Int32, eager=True).alias("p")  # index into checks
    for k, (_, mask, _) in enumerate(checks):
        mask = mask.fill_null(True)
        new = mask & ~bad
        if new.any():
            first_problem = (
                pl.DataFrame({"p": first_problem, "m": new})
                .select(pl.when(pl.col("m")).then(pl.lit(k, dtype=pl.Int32)).otherwise(pl.col("p")))
                .to_series()
            )
        bad = bad | mask
    if bad.any():
        raw_cols = {fld: col(fld) for fld, _, _ in checks}
        idx = bad.arg_true()
        for i in idx.head(MAX_REPORTED_ERRORS).to_list():
            fld, _, why = checks[first_problem[i]]
            raw = raw_cols.get(fld)
            shown = "" if raw is None else repr(raw[i])[:60]
            got = f" (got {shown})" if shown and why != "empty" else ""
            errors.append(RowError(path, int(line[i]), fld, why + got))
    return frame.filter(~bad), errors, int(bad.sum())


def _empty(raw: pl.Series) -> pl.Series:
    """Which of a column's values are missing or blank (said as "empty", not as a value that is wrong)."""
    if raw.dtype == pl.String:
        return raw.is_null() | (raw.str.strip_chars() == "")
    return raw.is_null()


# -- the whole file --------------------------------------------------------------------------------


def _batches(path: Path, fmt: str, batch_rows: int, report: IngestReport):
    if fmt == "csv":
        return csv_batches(path, batch_rows, report)
    if fmt == "jsonl":
        return jsonl_batches(path, batch_rows, report)
    if fmt == "parquet":
        return parquet_batches(path, batch_rows)
    raise IngestError(f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})")


def _stream(
    path: Path,
    fmt: str,
    batch_rows: int,
    report: IngestReport,
    kind: str | None,
    component: str | None,
    metric: str | None,
    host: str,
    source: str,
    routine: Routine | None = None,
):
    layout = None
    try:
        for df, first_line in _batches(path, fmt, batch_rows, report):
            if layout is None:
                try:
                    layout = resolve_layout(df.columns, kind, component, metric)
                except IngestError as exc:  # said with the file's name: several files may be given
                    raise IngestError(f"{path}: {exc}") from None
                report.kind = layout[0]
            report.rows_read += df.height
            good, errs, n_bad = normalise(
                df,
                first_line,
                str(path),
                layout[0],
                layout[1],
                host=host,
                component=component,
                metric=metric,
                source=source,
            )
            if n_bad:
                report.add_errors(errs)
                report.rows_bad += n_bad - len(errs)
            report.rows_valid += good.height
            if routine is not None and layout[0] == "events" and good.height:
                plain = routine(good)
                if plain.any():
                    report.rows_routine += int(plain.sum())
                    good = good.filter(~plain)
            yield layout[0], good
    except pl.exceptions.PolarsError as exc:
        raise IngestError(
            f"{path}: could not parse as {fmt.upper()} after {report.rows_read:,} rows "
            f"({str(exc).splitlines()[0][:200]})"
        ) from None
    except DamagedError as exc:
        raise IngestError(f"{path}: {exc} after {report.rows_read:,} rows") from None
    except (OSError, EOFError) as exc:
        raise IngestError(f"{path}: cannot read after {report.rows_read:,} rows ({exc})") from None
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":  # Polars' Rust panics on some damaged data: bad input too
            raise
        raise IngestError(
            f"{path}: could not parse as {fmt.upper()} after {report.rows_read:,} rows (damaged data: {str(exc)[:200]})"
        ) from None


def ingest_file(
    store: Store,
    path: str | os.PathLike[str],
    *,
    fmt: str | None = None,
    kind: str | None = None,
    strict: bool = False,
    force: bool = False,
    host: str | None = None,
    component: str | None = None,
    metric: str | None = None,
    batch_rows: int = 500_000,
    routine: Routine | None = None,
) -> IngestReport:
    """Ingest one file; see the module docstring. Raises IngestError for a file-level problem. A pipe or
    FIFO is read once; devices and sockets are refused. ``routine``: which rows of a batch of events are
    not errors (by their level), counted and not written; the patterns engine says which
    (:func:`analytics.collect.ingest.ingest_and_learn` passes it)."""
    p = Path(path)
    if kind is not None and kind not in KINDS:
        raise IngestError(f"unknown kind {kind!r} (use metrics or events)")
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise IngestError(f"{p}: no such file") from None
    except OSError as exc:
        raise IngestError(f"{p}: cannot read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise IngestError(f"{p}: is a directory")
    read = functools.partial(
        _ingest_regular,
        store,
        fmt=fmt,
        kind=kind,
        strict=strict,
        force=force,
        host=host,
        component=component,
        metric=metric,
        batch_rows=batch_rows,
        routine=routine,
    )
    if stat.S_ISFIFO(mode):  # a pipe (`ingest <(cmd)`) or a FIFO: read once, into a file of our own
        with tempfile.TemporaryDirectory(prefix="lokifi-pipe-") as tmp:
            copy = Path(tmp) / (p.name if Path(p.name).suffix else p.name + ".data")
            copy_pipe(p, copy)
            try:
                report = read(copy)
            except IngestError as exc:
                raise IngestError(str(exc).replace(str(copy), str(p))) from None
            report.path = str(p)
            report.errors = [dataclasses.replace(e, file=str(p)) for e in report.errors]
            return report
    if not stat.S_ISREG(mode):
        raise IngestError(f"{p}: not a regular file (a device or socket); give a file or a pipe")
    return read(p)


def copy_pipe(src: Path, dst: Path, limit: int | None = None, wait: float | None = None) -> int:
    """Copy a pipe or FIFO into ``dst`` once, reading at most ``limit`` bytes; a FIFO that gives no data
    and no end within ``wait`` seconds (nobody is writing to it) is refused instead of hanging."""
    limit = MAX_PIPE_BYTES if limit is None else limit
    wait = PIPE_FIRST_DATA_SECONDS if wait is None else wait
    try:
        fd = os.open(src, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise IngestError(f"{src}: cannot read ({exc.strerror or exc})") from None
    total = 0
    try:
        poll = select.poll()
        poll.register(fd, select.POLLIN | select.POLLHUP)
        if not poll.poll(wait * 1000):
            raise IngestError(f"{src}: nothing was written to this pipe in {wait:g}s; is anything writing to it?")
        os.set_blocking(fd, True)
        with open(dst, "wb") as out:
            while chunk := os.read(fd, 1 << 20):
                total += len(chunk)
                if total > limit:
                    raise IngestError(
                        f"{src}: more than {limit >> 20:,} MB came through the pipe; write it to a "
                        "file first (or raise LOKIFI_MAX_PIPE_BYTES)"
                    )
                out.write(chunk)
    finally:
        os.close(fd)
    return total


def _ingest_regular(
    store: Store,
    p: Path,
    *,
    fmt: str | None,
    kind: str | None,
    strict: bool,
    force: bool,
    host: str | None,
    component: str | None,
    metric: str | None,
    batch_rows: int,
    routine: Routine | None = None,
) -> IngestReport:
    report = IngestReport(path=str(p))
    try:
        fmt = fmt or detect_format(p)
        report.format = fmt
        report.sha256 = file_sha256(p)
    except OSError as exc:
        raise IngestError(f"{p}: cannot read ({exc.strerror or exc})") from None
    # The same bytes read with other --kind/--component/--metric/--host give other rows: another key.
    options = {"kind": kind, "component": component, "metric": metric, "host": host, "format": fmt}
    if any(v for k, v in options.items() if k != "format"):
        report.sha256 = hashlib.sha256((report.sha256 + json.dumps(options, sort_keys=True)).encode()).hexdigest()
    seen = store.query("SELECT ingested_at FROM ingested_files WHERE sha256 = ?", [report.sha256])
    if seen.height and not force:
        report.already_ingested = True
        return report
    host = host or this_host()
    source = f"ingest:{p.name}"
    args = (p, fmt, batch_rows)
    if strict:
        check = IngestReport(path=str(p), format=fmt)
        for _ in _stream(*args, check, kind, component, metric, host, source):
            pass
        if check.rows_bad:
            check.rejected = True
            check.rows_valid = 0
            return check
    for k, good in _stream(*args, report, kind, component, metric, host, source, routine):
        if good.height:
            first = good["ts"].min()
            if first is not None and (report.oldest is None or first < report.oldest):
                report.oldest = first
            written = store.submit_counted("metrics" if k == "metrics" else "events", good)
            if written is None:
                report.rows_spooled += good.height
            else:
                report.rows_written += int(written)
    if report.rows_read == 0 and not report.kind:
        raise IngestError(f"{p}: no rows found")
    store.execute_named(
        "ingested_files.record", [report.sha256, str(p.resolve()), p.stat().st_size, report.kind, report.rows_valid]
    )
    return report
