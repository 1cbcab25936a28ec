"""``lokifi ingest``: metrics and error events from CSV, JSONL and Parquet files into the store.

* Formats are detected (extension, then content) or forced; files stream in batches, so a 1 GB file
  never needs 1 GB of memory.
* Metrics rows need a timestamp, component, metric and value (host optional); error-event rows need a
  timestamp, component and message. A two-column ``timestamp,value`` file is a metric series when the
  caller names its component and metric.
* Each bad row is reported with file, line and field. By default bad rows are skipped and counted;
  ``strict`` validates the whole file first and writes nothing if any row is bad.
* Re-ingesting adds nothing twice: a file whose content hash was ingested before is skipped, and rows
  are deduplicated against the store on their natural key anyway.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from analytics.metrics_store import append_events, append_metrics
from analytics.store import Store
from analytics.timeparse import parse_timestamps

FORMATS = ("csv", "jsonl", "parquet")
KINDS = ("metrics", "events")
MAX_MESSAGE = 16_384          # characters kept of an error message (the rest is marked as cut)
MAX_REPORTED_ERRORS = 200

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


class IngestError(Exception):
    """The file as a whole cannot be ingested (unreadable, unknown layout, strict mode rejected)."""


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


@dataclass
class IngestReport:
    path: str
    format: str = ""
    kind: str = ""
    rows_read: int = 0
    rows_valid: int = 0
    rows_bad: int = 0
    rows_spooled: int = 0
    already_ingested: bool = False
    rejected: bool = False
    errors: list[RowError] = field(default_factory=list)
    sha256: str = ""

    def add_errors(self, errs: list[RowError]) -> None:
        self.rows_bad += len(errs)
        room = MAX_REPORTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errs[:room])


def detect_format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext in (".csv", ".tsv", ".txt"):
        return "csv"
    if ext in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if ext in (".parquet", ".pq"):
        return "parquet"
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:4] == b"PAR1":
        return "parquet"
    if head.lstrip()[:1] == b"{":
        return "jsonl"
    return "csv"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


# -- reading ---------------------------------------------------------------------------------------

CSV_CHUNK_BYTES = 16 << 20


def _csv_batches(path: Path, batch_rows: int) -> Iterator[tuple[pl.DataFrame, int]]:
    """(frame of strings, first line number) for each chunk; line numbers count the header as 1.

    The file is read in byte chunks cut at a line end outside quotes, each parsed by Polars on its own,
    so memory stays near a few chunks whatever the file's size (Polars' own streaming reader reads far
    ahead of a slow consumer such as a database write)."""
    sep = b"\t" if path.suffix.lower() == ".tsv" else b","
    with open(path, "rb") as f:
        header_line = f.readline()
        header = pl.read_csv(io.BytesIO(header_line), separator=sep.decode(), infer_schema=False,
                             encoding="utf8-lossy", n_rows=0).columns
        line = 2
        carry = b""
        while True:
            block = f.read(CSV_CHUNK_BYTES)
            data = carry + block
            if not data:
                break
            if block:
                cut = _cut_outside_quotes(data)
                if cut < 0:            # no complete line yet: read more
                    carry = data
                    continue
                chunk, carry = data[: cut + 1], data[cut + 1:]
            else:
                chunk, carry = data, b""
            rows = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
            df = pl.read_csv(io.BytesIO(chunk), has_header=False, separator=sep.decode(),
                             infer_schema=False, encoding="utf8-lossy", truncate_ragged_lines=True)
            # a junk first line may have more fields than the header, a short one fewer: fit to the header
            df = df.select(df.columns[: len(header)])
            df.columns = header[: df.width]
            if df.width < len(header):
                df = df.with_columns([pl.lit(None, dtype=pl.String).alias(h) for h in header[df.width:]])
            if df.height:
                yield df, line
            line += rows
            if not block:
                break


def _cut_outside_quotes(data: bytes) -> int:
    """The last line end in ``data`` that is not inside a quoted field (-1 if none)."""
    end = len(data)
    while True:
        nl = data.rfind(b"\n", 0, end)
        if nl < 0:
            return -1
        if data.count(b'"', 0, nl) % 2 == 0:
            return nl
        end = nl


def _jsonl_batches(path: Path, batch_rows: int, report: IngestReport) -> Iterator[tuple[pl.DataFrame, int]]:
    """Line-delimited JSON objects, read in byte chunks; malformed lines are reported and skipped."""
    line_no = 0
    rows: list[dict] = []
    first_line = 1
    errs: list[RowError] = []
    with open(path, "rb") as f:
        for raw in f:
            line_no += 1
            text = raw.strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except (ValueError, UnicodeDecodeError) as exc:
                errs.append(RowError(str(path), line_no, "(line)", f"not valid JSON ({str(exc)[:80]})"))
                report.rows_read += 1
                continue
            if not isinstance(obj, dict):
                errs.append(RowError(str(path), line_no, "(line)", f"expected a JSON object, got {type(obj).__name__}"))
                report.rows_read += 1
                continue
            obj["_line"] = line_no
            rows.append(obj)
            if len(rows) >= batch_rows:
                if errs:
                    report.add_errors(errs)
                    errs = []
                yield _frame_from_dicts(rows), first_line
                rows = []
                first_line = line_no + 1
    if errs:
        report.add_errors(errs)
    if rows:
        yield _frame_from_dicts(rows), first_line


def _frame_from_dicts(rows: list[dict]) -> pl.DataFrame:
    keys: dict[str, None] = {}
    for r in rows:
        for k in r:
            keys.setdefault(k, None)
    cols = {}
    for k in keys:
        vals = [r.get(k) for r in rows]
        if k == "_line":
            cols[k] = pl.Series(k, vals, dtype=pl.Int64)
        elif all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in vals):
            cols[k] = pl.Series(k, vals, dtype=pl.Float64, strict=False)
        else:
            cols[k] = pl.Series(k, [None if v is None else (v if isinstance(v, str) else json.dumps(v))
                                    for v in vals], dtype=pl.String)
            if any(isinstance(v, (list, dict)) for v in vals):
                cols[f"_nested:{k}"] = pl.Series(f"_nested:{k}", [isinstance(v, (list, dict)) for v in vals])
    return pl.DataFrame(cols)


def _parquet_batches(path: Path, batch_rows: int) -> Iterator[tuple[pl.DataFrame, int]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise IngestError(f"{path}: not a readable Parquet file ({exc})") from None
    row = 1
    for rb in pf.iter_batches(batch_size=batch_rows):
        df = pl.from_arrow(rb)
        assert isinstance(df, pl.DataFrame)
        yield df, row
        row += df.height


# -- normalising -----------------------------------------------------------------------------------

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


def resolve_layout(columns: list[str], kind: str | None, component: str | None, metric: str | None) -> tuple[str, dict[str, str | None]]:
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


def normalise(df: pl.DataFrame, first_line: int, path: str, kind: str, roles: dict[str, str | None],
              *, host: str, component: str | None, metric: str | None, source: str) -> tuple[pl.DataFrame, list[RowError], int]:
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

    def text(role: str, default: str | None) -> pl.Series:
        c = col(role)
        if c is None:
            return pl.repeat(default, n, dtype=pl.String, eager=True).alias(role)
        c = c.cast(pl.String, strict=False).str.strip_chars()
        if default is not None:
            c = c.fill_null(default).replace("", default)
        return c.alias(role)

    raw_ts = col("ts")
    ts = parse_timestamps(raw_ts).alias("ts")
    out = {"ts": ts, "host": text("host", host), "component": text("component", component)}
    checks: list[tuple[str, pl.Series, str]] = [
        ("ts", ts.is_null(), "not a timestamp (ISO 8601 or epoch s/ms)"),
        ("component", out["component"].is_null() | (out["component"] == ""), "empty"),
    ]
    if kind == "metrics":
        out["metric"] = text("metric", metric)
        raw_v = col("value")
        v = raw_v.cast(pl.Float64, strict=False) if raw_v.dtype != pl.String else raw_v.str.strip_chars().cast(pl.Float64, strict=False)
        v = v.alias("value")
        out["value"] = v
        out["source"] = pl.repeat(source, n, dtype=pl.String, eager=True).alias("source")
        checks.append(("metric", out["metric"].is_null() | (out["metric"] == ""), "empty"))
        checks.append(("value", v.is_null() | ~v.is_finite().fill_null(False), "not a finite number"))
    else:
        msg = col("message").cast(pl.String, strict=False)
        too_long = msg.str.len_chars() > MAX_MESSAGE
        msg = pl.DataFrame({"m": msg, "l": too_long}).select(
            pl.when(pl.col("l")).then(pl.col("m").str.slice(0, MAX_MESSAGE) + " …[cut]").otherwise(pl.col("m"))
        ).to_series().alias("message")
        out["message"] = msg
        for role in ("type", "source", "level"):
            out[role] = text(role, None)
        out["source"] = out["source"].fill_null(source)
        out["fingerprint"] = pl.repeat(None, n, dtype=pl.String, eager=True).alias("fingerprint")
        checks.append(("message", msg.is_null() | (msg.str.strip_chars() == ""), "empty"))
    for role in ("component", "host", "metric", "ts", "value"):
        name = roles.get(role)
        if name and f"_nested:{name}" in df.columns:
            checks.insert(0, (role, df[f"_nested:{name}"], "expected text or a number, got a JSON list/object"))
    frame = pl.DataFrame(out)
    bad = pl.repeat(False, n, dtype=pl.Boolean, eager=True)
    errors: list[RowError] = []
    first_problem = pl.repeat(None, n, dtype=pl.Int32, eager=True).alias("p")   # index into checks
    for k, (fld, mask, why) in enumerate(checks):
        mask = mask.fill_null(True)
        new = mask & ~bad
        if new.any():
            first_problem = pl.DataFrame({"p": first_problem, "m": new}).select(
                pl.when(pl.col("m")).then(pl.lit(k, dtype=pl.Int32)).otherwise(pl.col("p"))).to_series()
        bad = bad | mask
    if bad.any():
        raw_cols = {fld: col(fld) for fld, _, _ in checks}
        idx = bad.arg_true()
        for i in idx.head(MAX_REPORTED_ERRORS).to_list():
            fld, _, why = checks[first_problem[i]]
            raw = raw_cols.get(fld)
            shown = "" if raw is None else repr(raw[i])[:60]
            errors.append(RowError(path, int(line[i]), fld, f"{why}{' (got ' + shown + ')' if shown else ''}"))
    return frame.filter(~bad), errors, int(bad.sum())


# -- the whole file --------------------------------------------------------------------------------

def _batches(path: Path, fmt: str, batch_rows: int, report: IngestReport):
    if fmt == "csv":
        return _csv_batches(path, batch_rows)
    if fmt == "jsonl":
        return _jsonl_batches(path, batch_rows, report)
    if fmt == "parquet":
        return _parquet_batches(path, batch_rows)
    raise IngestError(f"unknown format {fmt!r} (use one of {', '.join(FORMATS)})")


def _stream(path: Path, fmt: str, batch_rows: int, report: IngestReport, kind: str | None,
            component: str | None, metric: str | None, host: str, source: str):
    layout = None
    try:
        for df, first_line in _batches(path, fmt, batch_rows, report):
            if layout is None:
                layout = resolve_layout(df.columns, kind, component, metric)
                report.kind = layout[0]
            report.rows_read += df.height
            good, errs, n_bad = normalise(df, first_line, str(path), layout[0], layout[1], host=host,
                                          component=component, metric=metric, source=source)
            if n_bad:
                report.add_errors(errs)
                report.rows_bad += n_bad - len(errs)
            report.rows_valid += good.height
            yield layout[0], good
    except pl.exceptions.PolarsError as exc:
        raise IngestError(f"{path}: could not parse as {fmt.upper()} after {report.rows_read:,} rows "
                          f"({str(exc).splitlines()[0][:200]})") from None


def ingest_file(store: Store, path: str | os.PathLike[str], *, fmt: str | None = None, kind: str | None = None,
                strict: bool = False, force: bool = False, host: str | None = None, component: str | None = None,
                metric: str | None = None, batch_rows: int = 500_000) -> IngestReport:
    """Ingest one file; see the module docstring. Raises IngestError for a file-level problem."""
    p = Path(path)
    report = IngestReport(path=str(p))
    if not p.exists():
        raise IngestError(f"{p}: no such file")
    if p.is_dir():
        raise IngestError(f"{p}: is a directory")
    if kind is not None and kind not in KINDS:
        raise IngestError(f"unknown kind {kind!r} (use metrics or events)")
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
    host = host or socket.gethostname()
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
    for k, good in _stream(*args, report, kind, component, metric, host, source):
        if good.height:
            written = append_metrics(store, good) if k == "metrics" else append_events(store, good)
            if not written:
                report.rows_spooled += good.height
    if report.rows_read == 0 and not report.kind:
        raise IngestError(f"{p}: no rows found")
    if report.kind == "events" and report.rows_valid:
        learn_patterns(store)
    store.execute(
        "INSERT INTO ingested_files (sha256, path, size, kind, rows, ingested_at) VALUES (?, ?, ?, ?, ?, now()::TIMESTAMP) "
        "ON CONFLICT (sha256) DO UPDATE SET path = excluded.path, rows = excluded.rows, ingested_at = excluded.ingested_at",
        [report.sha256, str(p.resolve()), p.stat().st_size, report.kind, report.rows_valid],
    )
    return report


def learn_patterns(store: Store) -> None:
    """Imported error history is learned at once, as the collector does for live errors."""
    try:
        from analytics.patterns import learn_from_events
    except ImportError:
        return
    learn_from_events(store)


def read_series_csv(text: str | bytes) -> pl.DataFrame:
    """A ``timestamp,value`` CSV (the eval harnesses' stdin) as a typed frame (ts, value); bad rows dropped."""
    data = text.encode() if isinstance(text, str) else text
    df = pl.read_csv(io.BytesIO(data), infer_schema=False, truncate_ragged_lines=True, encoding="utf8-lossy")
    if df.width < 2:
        raise IngestError("expected two columns: timestamp,value")
    ts = parse_timestamps(df[df.columns[0]]).alias("ts")
    v = df[df.columns[1]].str.strip_chars().cast(pl.Float64, strict=False).alias("value")
    return pl.DataFrame({"ts": ts, "value": v}).filter(pl.col("ts").is_not_null() & pl.col("value").is_finite())
