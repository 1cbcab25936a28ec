"""Reading the input files of ``lokifi ingest`` in bounded batches: format detection, CSV, JSONL and
Parquet, each streamed (a 1 GB file never needs 1 GB of memory), and the per-row errors that the
report keeps. What the rows mean (their layout, types and ranges) is :mod:`analytics.store.ingest`'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from analytics.common.compression import SUFFIXES, codec_of, decompressing

MAX_REPORTED_ERRORS = 200
MAX_ROW_BYTES = 1 << 20  # a longer line (CSV row, JSON line) is one bad row, skipped without being held
MAX_COLUMNS = 1_000  # fields of a CSV header or keys of a JSON object
JSONL_BATCH_ROWS = 50_000  # JSON objects held at once (Python dicts are large)


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
    rows_written: int = 0  # inserted now: valid rows less those already stored (or repeated in the file)
    rows_routine: int = 0  # event rows whose level is routine (info, debug): valid, not error events
    already_ingested: bool = False
    rejected: bool = False
    errors: list[RowError] = field(default_factory=list)
    sha256: str = ""
    oldest: dt.datetime | None = None  # the oldest timestamp written

    def add_errors(self, errs: list[RowError]) -> None:
        self.rows_bad += len(errs)
        room = MAX_REPORTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errs[:room])


def open_input(path: Path):
    """The file's bytes, decompressed when its first bytes say gzip, bz2, xz or zstd: read as a stream."""
    return decompressing(open(path, "rb"), codec_of(path), str(path))


def detect_format(path: Path) -> str:
    ext = path.suffix.lower()
    codec = codec_of(path)
    if ext in SUFFIXES or codec:
        ext = _base_suffix(path)
        if ext in (".parquet", ".pq"):
            raise IngestError(
                f"{path}: a compressed Parquet file; Parquet compresses itself, so give the file uncompressed "
                "(decompress it first: gunzip, bunzip2, unxz or unzstd)"
            )
        if ext in (".csv", ".tsv", ".txt"):
            return "csv"
        if ext in (".jsonl", ".ndjson", ".json"):
            return "jsonl"
        with open_input(path) as f:
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

BINARY_HEAD = 65536  # the first bytes of a CSV that tell a binary file (refused as a whole)
CSV_CHUNK_BYTES = 4 << 20  # ~100k rows a chunk: peak RSS under 300 MB (bench/bench_input.py)


def csv_batches(path: Path, batch_rows: int, report: IngestReport) -> Iterator[tuple[pl.DataFrame, int]]:
    """(frame of strings, first line number) for each chunk; line numbers count the header as 1.

    The file is read in byte chunks cut at a line end outside quotes, each parsed by Polars on its own,
    so memory stays near a few chunks whatever the file's size (Polars' own streaming reader reads far
    ahead of a slow consumer such as a database write). Every chunk is parsed with the header's columns,
    so a row with a million separators costs no more than its bytes; a row longer than
    :data:`MAX_ROW_BYTES` is reported as one bad row and skipped without being held in memory."""
    sep = b"\t" if _base_suffix(path) == ".tsv" else b","
    with open_input(path) as f:
        header_line = f.readline(MAX_ROW_BYTES + 1)
        _refuse_binary(path, header_line)
        if len(header_line) > MAX_ROW_BYTES:
            raise IngestError(
                f"{path}:1: the header line is longer than {MAX_ROW_BYTES >> 20} MB; not a CSV file Lokifi can read"
            )
        if header_line.count(sep) >= MAX_COLUMNS:
            raise IngestError(
                f"{path}:1: the header has {header_line.count(sep) + 1:,} columns (at most "
                f"{MAX_COLUMNS:,}); not a metrics or events file"
            )
        header = pl.read_csv(
            io.BytesIO(header_line), separator=sep.decode(), infer_schema=False, encoding="utf8-lossy", n_rows=0
        ).columns
        schema = {h: pl.String for h in header}
        line = 2
        carry = b""
        first = True
        while True:
            block = f.read(CSV_CHUNK_BYTES)
            if first:
                _refuse_binary(path, header_line + block)
                first = False
            data = carry + block
            if not data:
                break
            if block:
                cut = _cut_outside_quotes(data)
                if cut < 0:  # no complete line yet: read more, unless the row is already too long
                    if len(data) > MAX_ROW_BYTES:
                        line, carry = _skip_long_row(f, data, line, path, report)
                        continue
                    carry = data
                    continue
                chunk, carry = data[: cut + 1], data[cut + 1 :]
            else:
                chunk, carry = data, b""
            rows = chunk.count(b"\n") + (0 if chunk.endswith(b"\n") else 1)
            chunk, blanked = _blank_bad_rows(chunk, sep, len(header))
            try:
                df = pl.read_csv(
                    io.BytesIO(chunk),
                    has_header=False,
                    separator=sep.decode(),
                    schema=schema,
                    encoding="utf8-lossy",
                    truncate_ragged_lines=True,
                    extra_columns="ignore",
                    missing_columns="insert",
                )
            except pl.exceptions.PolarsError:
                reason = (
                    "binary data (a NUL byte), expected CSV text"
                    if b"\x00" in chunk
                    else "these lines do not read as CSV (damaged data, or not CSV text)"
                )
                n = report.rows_read
                before = f"; the {n:,} row{' before them was' if n == 1 else 's before them were'} read" if n else ""
                raise IngestError(f"{path}:{line}-{line + rows - 1}: {reason}{before}") from None
            if blanked:
                df = df.with_columns(pl.int_range(line, line + df.height, dtype=pl.Int64, eager=True).alias("_line"))
                skipped = df[header[0]].is_in([_WIDE, _LONG])
                report.rows_read += int(skipped.sum())
                why = {
                    _WIDE: f"more than {MAX_FIELDS:,} fields; skipped",
                    _LONG: f"longer than {MAX_ROW_BYTES >> 20} MB; skipped",
                }
                report.add_errors(
                    [
                        RowError(str(path), int(n), "(row)", why[m])
                        for n, m in df.filter(skipped).select("_line", header[0]).iter_rows()
                    ]
                )
                df = df.filter(~skipped)
            if df.height:
                yield df, line
            line += rows
            if not block:
                break


def _refuse_binary(path: Path, head: bytes) -> None:
    """Refuse a file whose first bytes are binary: a NUL byte in its first line, or in most of the lines
    of its first :data:`BINARY_HEAD` bytes (a junk line among text lines is a bad row, not a binary file)."""
    lines = head[:BINARY_HEAD].split(b"\n")
    with_nul = [i for i, ln in enumerate(lines, 1) if b"\x00" in ln]
    if with_nul and (with_nul[0] == 1 or 2 * len(with_nul) >= len(lines)):
        raise IngestError(f"{path}:{with_nul[0]}: binary data (a NUL byte), expected CSV text")


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
        hi = lo + int(lengths[i]) - (1 if chunk[lo + int(lengths[i]) - 1 : lo + int(lengths[i])] == b"\n" else 0)
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
    """The suffix that names the format (``a.csv.gz``, ``a.csv.zst`` -> ``.csv``)."""
    return Path(path.stem).suffix.lower() if path.suffix.lower() in SUFFIXES else path.suffix.lower()


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
    return line + skipped, data[nl + 1 :]


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


def jsonl_batches(path: Path, batch_rows: int, report: IngestReport) -> Iterator[tuple[pl.DataFrame, int]]:
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
                why = (
                    f"more than {MAX_COLUMNS:,} fields"
                    if len(obj) > MAX_COLUMNS
                    else "a value nested more than 32 deep"
                )
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
                cols[k] = pl.Series(
                    k,
                    [None if t is None else t.encode("utf-8", "replace").decode("utf-8") for t in texts],
                    dtype=pl.String,
                )
            if any(isinstance(v, (list, dict)) for v in vals):
                cols[f"_nested:{k}"] = pl.Series(f"_nested:{k}", [isinstance(v, (list, dict)) for v in vals])
    return pl.DataFrame(cols)


def parquet_batches(path: Path, batch_rows: int) -> Iterator[tuple[pl.DataFrame, int]]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)  # read a column chunk at a time
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types for a bad file
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
        assert isinstance(df, pl.DataFrame)  # noqa: S101 - a RecordBatch makes a DataFrame (narrows the type)
        yield df, row
        row += df.height


# -- normalising -----------------------------------------------------------------------------------
