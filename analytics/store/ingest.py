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

import dataclasses
import datetime as dt
import gzip
import hashlib
import io
import json
import os
import select
import shutil
import socket
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from analytics.store.metrics import append_events, append_metrics
from analytics.store.database import Store
from analytics.common.timeparse import parse_timestamps

FORMATS = ("csv", "jsonl", "parquet")
KINDS = ("metrics", "events")
MAX_MESSAGE = 16_384          # characters kept of an error message (the rest is marked as cut)
MAX_REPORTED_ERRORS = 200
MAX_ROW_BYTES = 1 << 20       # a longer line (CSV row, JSON line) is one bad row, skipped without being held
MAX_COLUMNS = 1_000           # fields of a CSV header or keys of a JSON object
JSONL_BATCH_ROWS = 50_000    # JSON objects held at once (Python dicts are large)
MAX_PIPE_BYTES = int(os.environ.get("LOKIFI_MAX_PIPE_BYTES", str(8 << 30)))  # a pipe is copied once, up to this
PIPE_FIRST_DATA_SECONDS = float(os.environ.get("LOKIFI_PIPE_WAIT", "30"))   # a FIFO nobody writes is refused
TS_MIN = dt.datetime(1970, 1, 1)
TS_MAX = dt.datetime(2200, 1, 1)  # timestamps outside [TS_MIN, TS_MAX) are bad rows (year 0, year 9999 typos)

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
    oldest: dt.datetime | None = None   # the oldest timestamp written

    def add_errors(self, errs: list[RowError]) -> None:
        self.rows_bad += len(errs)
        room = MAX_REPORTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errs[:room])


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def open_input(path: Path):
    """The file's bytes, gunzipped when it is gzip (``.gz`` or gzip magic): read as a stream."""
    return gzip.open(path, "rb") if is_gzip(path) else open(path, "rb")


def detect_format(path: Path) -> str:
    ext = path.suffix.lower()
    if ext == ".gz" or is_gzip(path):
        ext = Path(path.stem).suffix.lower() if ext == ".gz" else ext
        if ext in (".parquet", ".pq"):
            raise IngestError(f"{path}: a gzip-compressed Parquet file; Parquet compresses itself, so give the "
                              "file uncompressed (gunzip it first)")
        if ext in (".csv", ".tsv", ".txt"):
            return "csv"
        if ext in (".jsonl", ".ndjson", ".json"):
            return "jsonl"
        with gzip.open(path, "rb") as f:
            head = f.read(4096)
        return "jsonl" if head.lstrip()[:1] == b"{" else "csv"
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

CSV_CHUNK_BYTES = 4 << 20  # ~100k rows a chunk: peak RSS under 300 MB (bench/bench_input.py)


def _csv_batches(path: Path, batch_rows: int, report: IngestReport) -> Iterator[tuple[pl.DataFrame, int]]:
    """(frame of strings, first line number) for each chunk; line numbers count the header as 1.

    The file is read in byte chunks cut at a line end outside quotes, each parsed by Polars on its own,
    so memory stays near a few chunks whatever the file's size (Polars' own streaming reader reads far
    ahead of a slow consumer such as a database write). Every chunk is parsed with the header's columns,
    so a row with a million separators costs no more than its bytes; a row longer than
    :data:`MAX_ROW_BYTES` is reported as one bad row and skipped without being held in memory."""
    sep = b"\t" if _base_suffix(path) == ".tsv" else b","
    with open_input(path) as f:
        header_line = f.readline(MAX_ROW_BYTES + 1)
        if len(header_line) > MAX_ROW_BYTES:
            raise IngestError(f"{path}:1: the header line is longer than {MAX_ROW_BYTES >> 20} MB; not a CSV "
                              "file Lokifi can read")
        if header_line.count(sep) >= MAX_COLUMNS:
            raise IngestError(f"{path}:1: the header has {header_line.count(sep) + 1:,} columns (at most "
                              f"{MAX_COLUMNS:,}); not a metrics or events file")
        header = pl.read_csv(io.BytesIO(header_line), separator=sep.decode(), infer_schema=False,
                             encoding="utf8-lossy", n_rows=0).columns
        schema = {h: pl.String for h in header}
        line = 2
        carry = b""
        while True:
            block = f.read(CSV_CHUNK_BYTES)
            data = carry + block
            if not data:
                break
            if block:
                cut = _cut_outside_quotes(data)
                if cut < 0:            # no complete line yet: read more, unless the row is already too long
                    if len(data) > MAX_ROW_BYTES:
                        line, carry = _skip_long_row(f, data, line, path, report)
                        continue
                    carry = data
                    continue
                chunk, carry = data[: cut + 1], data[cut + 1:]
            else:
                chunk, carry = data, b""
            rows = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
            chunk, blanked = _blank_bad_rows(chunk, sep, len(header))
            df = pl.read_csv(io.BytesIO(chunk), has_header=False, separator=sep.decode(), schema=schema,
                             encoding="utf8-lossy", truncate_ragged_lines=True, extra_columns="ignore",
                             missing_columns="insert")
            if blanked:
                df = df.with_columns(pl.int_range(line, line + df.height, dtype=pl.Int64, eager=True).alias("_line"))
                cut = df[header[0]].is_in([_WIDE, _LONG])
                report.rows_read += int(cut.sum())
                why = {_WIDE: f"more than {MAX_FIELDS:,} fields; skipped",
                       _LONG: f"longer than {MAX_ROW_BYTES >> 20} MB; skipped"}
                report.add_errors([RowError(str(path), int(n), "(row)", why[m])
                                   for n, m in df.filter(cut).select("_line", header[0]).iter_rows()])
                df = df.filter(~cut)
            if df.height:
                yield df, line
            line += rows
            if not block:
                break


MAX_FIELDS = 10_000
_WIDE = "\x00lokifi: too many fields"
_LONG = "\x00lokifi: too long"


def _blank_bad_rows(chunk: bytes, sep: bytes, ncols: int) -> tuple[bytes, bool]:
    """``chunk`` with every line of more than :data:`MAX_FIELDS` separators or :data:`MAX_ROW_BYTES`
    bytes replaced by a marker line (so the parser never builds a million fields or holds a huge field,
    and line numbers stay), and whether any was."""
    if chunk.count(sep) <= MAX_FIELDS and len(chunk) <= MAX_ROW_BYTES:
        return chunk, False
    a = np.frombuffer(chunk, dtype=np.uint8)
    starts = np.concatenate(([0], np.flatnonzero(a == 10) + 1))
    starts = starts[starts < len(a)]
    lengths = np.diff(np.append(starts, len(a)))
    parts, pos = [], 0
    for i in np.flatnonzero(lengths > MAX_FIELDS):  # only a line this long can hold that many separators
        lo = int(starts[i])
        hi = lo + int(lengths[i]) - (1 if chunk[lo + int(lengths[i]) - 1: lo + int(lengths[i])] == b"\n" else 0)
        if lengths[i] > MAX_ROW_BYTES:
            marker = _LONG
        elif chunk.count(sep, lo, hi) > MAX_FIELDS:
            marker = _WIDE
        else:
            continue
        parts += [chunk[pos:lo], marker.encode() + sep * (ncols - 1)]
        pos = hi
    if not parts:
        return chunk, False
    parts.append(chunk[pos:])
    return b"".join(parts), True


def _base_suffix(path: Path) -> str:
    """The suffix that names the format (``a.csv.gz`` -> ``.csv``)."""
    return Path(path.stem).suffix.lower() if path.suffix.lower() == ".gz" else path.suffix.lower()


def _skip_long_row(f, data: bytes, line: int, path: Path, report: IngestReport) -> tuple[int, bytes]:
    """Report the row that starts ``data`` as too long and read past it without keeping it: to the first
    line end after :data:`MAX_ROW_BYTES` (quotes ignored: an unclosed quote is cut there too).
    Returns (the number of the line after it, the bytes read after that line end)."""
    report.rows_read += 1
    report.add_errors([RowError(str(path), line, "(row)", f"longer than {MAX_ROW_BYTES >> 20} MB; skipped")])
    skipped = 0
    nl = data.find(b"\n", MAX_ROW_BYTES)
    while nl < 0:
        skipped += data.count(b"\n")
        data = f.read(1 << 20)
        if not data:
            return line + skipped + 1, b""
        nl = data.find(b"\n")
    skipped += data.count(b"\n", 0, nl + 1)
    return line + skipped, data[nl + 1:]


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
    with open_input(path) as f:
        while raw := f.readline(MAX_ROW_BYTES + 1):
            line_no += 1
            if len(raw) > MAX_ROW_BYTES and not raw.endswith(b"\n"):
                while (more := f.readline(1 << 20)) and not more.endswith(b"\n"):
                    pass  # the rest of a line too long to keep
                errs.append(RowError(str(path), line_no, "(line)", f"longer than {MAX_ROW_BYTES >> 20} MB; skipped"))
                report.rows_read += 1
                continue
            text = raw.strip()
            if not text:
                continue
            try:
                obj = json.loads(text)
            except (ValueError, UnicodeDecodeError) as exc:
                errs.append(RowError(str(path), line_no, "(line)", f"not valid JSON ({str(exc)[:80]})"))
                report.rows_read += 1
                continue
            except RecursionError:
                errs.append(RowError(str(path), line_no, "(line)", "JSON nested too deeply; skipped"))
                report.rows_read += 1
                continue
            if not isinstance(obj, dict):
                errs.append(RowError(str(path), line_no, "(line)", f"expected a JSON object, got {type(obj).__name__}"))
                report.rows_read += 1
                continue
            if len(obj) > MAX_COLUMNS or any(isinstance(v, (list, dict)) and _deep(v) for v in obj.values()):
                why = f"more than {MAX_COLUMNS:,} fields" if len(obj) > MAX_COLUMNS else "a value nested more than 32 deep"
                errs.append(RowError(str(path), line_no, "(line)", f"{why}; skipped"))
                report.rows_read += 1
                continue
            obj["_line"] = line_no
            rows.append(obj)
            if len(rows) >= min(batch_rows, JSONL_BATCH_ROWS):
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


def _deep(v: object, limit: int = 32) -> bool:
    """Whether a JSON value nests more than ``limit`` lists/objects (iterative: no recursion to blow)."""
    stack = [(v, 1)]
    while stack:
        x, d = stack.pop()
        if d > limit:
            return True
        if isinstance(x, dict):
            stack.extend((y, d + 1) for y in x.values() if isinstance(y, (list, dict)))
        elif isinstance(x, list):
            stack.extend((y, d + 1) for y in x if isinstance(y, (list, dict)))
    return False


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
            texts = [None if v is None else (v if isinstance(v, str) else json.dumps(v)) for v in vals]
            try:
                cols[k] = pl.Series(k, texts, dtype=pl.String)
            except UnicodeEncodeError:  # "\udcff" in JSON decodes to a lone surrogate: shown replaced
                cols[k] = pl.Series(k, [None if t is None else t.encode("utf-8", "replace").decode("utf-8")
                                        for t in texts], dtype=pl.String)
            if any(isinstance(v, (list, dict)) for v in vals):
                cols[f"_nested:{k}"] = pl.Series(f"_nested:{k}", [isinstance(v, (list, dict)) for v in vals])
    return pl.DataFrame(cols)


def _parquet_batches(path: Path, batch_rows: int) -> Iterator[tuple[pl.DataFrame, int]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)  # read a column chunk at a time
    except Exception as exc:  # pyarrow raises several types for a bad file
        raise IngestError(f"{path}: not a readable Parquet file ({exc})") from None
    row = 1
    batches = pf.iter_batches(batch_size=min(batch_rows, 131_072))
    while True:
        try:
            rb = next(batches, None)
            if rb is None:
                return
            df = pl.from_arrow(rb)
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException as exc:  # noqa: BLE001 — pyarrow raises several types, Polars panics, on damaged files
            raise IngestError(f"{path}: Parquet data damaged after {row - 1:,} rows ({str(exc)[:200]})") from None
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
        ("ts", (ts < TS_MIN) | (ts >= TS_MAX), f"out of range (years {TS_MIN.year}-{TS_MAX.year - 1})"),
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
        # imported rows always say so ("ingest:..."): the collector's retention never deletes them
        out["source"] = pl.DataFrame({"s": out["source"]}).select(
            pl.when(pl.col("s").is_null() | (pl.col("s") == "")).then(pl.lit(source))
            .otherwise(pl.lit("ingest:") + pl.col("s")).alias("source")).to_series()
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
        return _csv_batches(path, batch_rows, report)
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
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        what = "gzip data damaged or cut short" if is_gzip(path) else "cannot read"
        raise IngestError(f"{path}: {what} after {report.rows_read:,} rows ({exc})") from None
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":  # Polars' Rust panics on some damaged data: bad input too
            raise
        raise IngestError(f"{path}: could not parse as {fmt.upper()} after {report.rows_read:,} rows "
                          f"(damaged data: {str(exc)[:200]})") from None


def ingest_file(store: Store, path: str | os.PathLike[str], *, fmt: str | None = None, kind: str | None = None,
                strict: bool = False, force: bool = False, host: str | None = None, component: str | None = None,
                metric: str | None = None, batch_rows: int = 500_000) -> IngestReport:
    """Ingest one file; see the module docstring. Raises IngestError for a file-level problem. A pipe or
    FIFO is read once; devices and sockets are refused."""
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
    if stat.S_ISFIFO(mode):  # a pipe (`ingest <(cmd)`) or a FIFO: read once, into a file of our own
        with tempfile.TemporaryDirectory(prefix="lokifi-pipe-") as tmp:
            copy = Path(tmp) / (p.name if Path(p.name).suffix else p.name + ".data")
            copy_pipe(p, copy)
            try:
                report = _ingest_regular(store, copy, fmt=fmt, kind=kind, strict=strict, force=force, host=host,
                                         component=component, metric=metric, batch_rows=batch_rows)
            except IngestError as exc:
                raise IngestError(str(exc).replace(str(copy), str(p))) from None
            report.path = str(p)
            report.errors = [dataclasses.replace(e, file=str(p)) for e in report.errors]
            return report
    if not stat.S_ISREG(mode):
        raise IngestError(f"{p}: not a regular file (a device or socket); give a file or a pipe")
    return _ingest_regular(store, p, fmt=fmt, kind=kind, strict=strict, force=force, host=host,
                           component=component, metric=metric, batch_rows=batch_rows)


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
                    raise IngestError(f"{src}: more than {limit >> 20:,} MB came through the pipe; write it to a "
                                      "file first (or raise LOKIFI_MAX_PIPE_BYTES)")
                out.write(chunk)
    finally:
        os.close(fd)
    return total


def _ingest_regular(store: Store, p: Path, *, fmt: str | None, kind: str | None, strict: bool, force: bool,
                    host: str | None, component: str | None, metric: str | None, batch_rows: int) -> IngestReport:
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
            first = good["ts"].min()
            if first is not None and (report.oldest is None or first < report.oldest):
                report.oldest = first
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
        from analytics.patterns.learning import learn_from_events
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
