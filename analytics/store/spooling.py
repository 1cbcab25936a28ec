"""The spool: a batch write that cannot get the database is written beside it, and applied later.

A write that still finds the database busy after its wait is *spooled* (:func:`spool_batch`): written
durably (Parquet + a manifest, fsynced, renamed into place) into ``<db>.spool/`` and applied, exactly
once, by the next process that opens the file for writing (:func:`drain`, run inside that write's
session, after its schema check). A person never sees a lock error and no row is lost.

A spool is applied only when nobody but this process's user can have written it, and it holds writers'
and statements' *names*, never SQL text (:mod:`analytics.store.spool_files`,
:mod:`analytics.store.statements`). What a drain cannot trust or apply is reported, and the write that
met it goes on.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.store.engine import duckdb
from analytics.store.errors import StoreBusy, causes, commit, first_error, rollback
from analytics.store.spool_files import Damaged, Manifest, SpoolDir, Unsafe, raw_sql_note
from analytics.store.writers import UnknownWriter, is_raw_sql, resolve_writer

if TYPE_CHECKING:
    import polars as pl

# One drainer per process at a time (between processes the DuckDB file lock already serialises it).
_drain_lock = threading.Lock()
# Spool problems already logged by this process (a collector drains every few seconds: say it once).
_reported: set[str] = set()
_reported_lock = threading.Lock()
#: What DuckDB raises for a spooled batch that can never be applied (a table or column the writer does not
#: know, a value or a row the table refuses): it is set aside rather than failing every later write.
_NEVER_APPLIES = (
    duckdb.CatalogException,
    duckdb.BinderException,
    duckdb.ParserException,
    duckdb.ConstraintException,
    duckdb.DataError,
    # a value DuckDB cannot take from the batch's own frame (a number beyond 64 bits read through Arrow:
    # "Invalid or unsupported format string: '_pli128'"): kept for later, it failed every write after it
    duckdb.InvalidInputException,
)
_SPOOL_ADVICE = (
    "Lokifi applies only a spool that its own user made and nobody else can write; if you did not put "
    "it there, remove it, and keep the database in a directory only its user can write."
)


def _encode_param(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return {"$dt": v.isoformat()}
    if isinstance(v, dt.date):
        return {"$date": v.isoformat()}
    return v


def _decode_param(v: Any) -> Any:
    if isinstance(v, dict) and "$dt" in v:
        return dt.datetime.fromisoformat(v["$dt"])
    if isinstance(v, dict) and "$date" in v:
        return dt.date.fromisoformat(v["$date"])
    return v


def spool_batch(d: Path, writer: str, df: pl.DataFrame | None, args: dict[str, Any], busy: StoreBusy) -> None:
    """Write the batch durably into the spool ``d`` (made 0700, files 0600: :mod:`analytics.store.spool_files`).
    A spool directory that is not this user's alone is not written into: StoreBusy says why."""
    try:
        spool = SpoolDir.create(d)
    except Unsafe as exc:
        raise StoreBusy(f"{busy} The batch was not spooled either ({exc}): nothing was written.") from None
    with spool:
        sid = f"{time.time_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        manifest: dict[str, Any] = {
            "id": sid,
            "writer": writer,
            "args": {
                k: ([_encode_param(x) for x in v] if k == "params" and isinstance(v, list) else v)
                for k, v in args.items()
            },
        }
        if df is not None:
            buf = io.BytesIO()
            df.write_parquet(buf)
            spool.write(f"{sid}.parquet", buf.getvalue())
            manifest["data"] = f"{sid}.parquet"
        spool.write(f"{sid}.json", json.dumps(manifest).encode())


def drain(con: duckdb.DuckDBPyConnection, d: Path, problem: Callable[[str], None]) -> int:
    """Apply the spool ``d`` on ``con`` (see :func:`_drain_locked`); 0 when another thread of this
    process is draining it already."""
    if not _drain_lock.acquire(blocking=False):
        return 0
    try:
        return _drain_locked(con, d, problem)
    finally:
        _drain_lock.release()


def _drain_locked(con: duckdb.DuckDBPyConnection, d: Path, problem: Callable[[str], None]) -> int:
    """Apply every trusted manifest, oldest first, exactly once. What cannot be trusted or applied is
    reported (``problem``) and left in place, and the write that drains goes on."""
    try:
        spool = SpoolDir.open(d)
    except Unsafe as exc:
        problem(f"{exc}. Its batches were not applied. {_SPOOL_ADVICE}")
        return 0
    if spool is None:
        return 0
    done = 0
    with spool:
        for name in spool.manifests():
            m: Manifest | None = None
            try:
                m = spool.manifest(name)
                if is_raw_sql(m.writer):
                    problem(raw_sql_note(spool.path / name))
                    continue
                writer = resolve_writer(m.writer)
                already = con.execute("SELECT 1 FROM spool_applied WHERE spool_id = ?", [m.sid]).fetchall()
                if not already:
                    _apply(con, writer, m, spool.data(m), spool.path)
            except FileNotFoundError:
                continue  # another thread of ours took it
            except Unsafe as exc:
                problem(f"{exc}; not applied, left in place. {_SPOOL_ADVICE}")
                continue
            except Damaged as exc:
                problem(f"{exc}; {_set_aside(spool, name, m, str(exc))}")
                continue
            except UnknownWriter as exc:
                problem(f"{spool.path / name}: not applied ({exc}); left in place for a Lokifi that knows it")
                continue
            except Exception as exc:
                first = first_error(exc)
                if not _for_good(first):
                    raise  # a transient failure (full disk, I/O) stops the write, the batch kept for later
                causes.pop(con, None)  # rolled back and handled: not the cause of what follows
                why = _why(first, m)
                problem(f"{spool.path / name}: cannot be applied ({why}); {_set_aside(spool, name, m, why)}")
                continue
            spool.remove(name)
            if m.data:
                spool.remove(m.data)
            done += 1
    return done


def _for_good(first: BaseException) -> bool:
    """Whether a batch whose apply failed with ``first`` (its first DuckDB or OS error, else the error
    itself) can never be applied: DuckDB refused what it holds, or Python did (a writer given arguments
    or data it cannot take: a TypeError, KeyError, ValueError, a frame without the columns it reads). A
    full disk, an I/O error or memory running out can pass: such a batch waits for the next write."""
    if isinstance(first, duckdb.Error):
        return isinstance(first, _NEVER_APPLIES)
    return not isinstance(first, (OSError, MemoryError))


def _why(first: BaseException, m: Manifest | None) -> str:
    """Why a batch cannot be applied, in one line: DuckDB's own words, or the Python error and the
    writer that raised it."""
    text = str(first).strip().splitlines()[0] if str(first).strip() else ""
    if isinstance(first, duckdb.Error):
        return text or type(first).__name__
    said = f"{type(first).__name__}: {text}" if text else type(first).__name__
    return f"writer {m.writer!r}: {said}" if m is not None else said


def _set_aside(spool: SpoolDir, name: str, m: Manifest | None, why: str) -> str:
    """Set the manifest ``name`` aside with ``why`` written beside it (:meth:`SpoolDir.set_aside`) and say
    where it went."""
    said = f"set aside as {spool.path / spool.set_aside(name, why)}"
    if m is not None and m.data is not None:
        said += f", its data left beside it as {spool.path / m.data}"
    return said


def _apply(con: duckdb.DuckDBPyConnection, writer: Any, m: Manifest, data: bytes | None, where: Path) -> None:
    """Apply one spooled batch and record its id, in one transaction."""
    import polars as pl

    try:
        df = pl.read_parquet(io.BytesIO(data)) if data is not None else None
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise Damaged(f"{where / str(m.data)}: not a readable Parquet file ({exc})") from None
    args = dict(m.args)
    if "params" in args and isinstance(args["params"], list):
        args["params"] = [_decode_param(x) for x in args["params"]]
    con.execute("BEGIN TRANSACTION")
    try:
        writer(con, df, **args)
        con.execute("INSERT INTO spool_applied (spool_id) VALUES (?)", [m.sid])
        commit(con)
    except BaseException as exc:
        rollback(con, exc)
        raise


def report_once(message: str) -> None:
    """Log a spool problem (stderr for a command, the collector's log) once per process."""
    with _reported_lock:
        if message in _reported:
            return
        _reported.add(message)
    logging.getLogger("lokifi.store").warning("%s", message)
