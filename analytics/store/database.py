"""The DuckDB store: one file, shared by several processes, never held longer than one operation.

DuckDB lets only one process open a file at a time (a second one fails at once with "Could not set
lock on file"). Lokifi runs a dashboard, a collector and one-off CLI calls against the same file, so:

* every operation opens the file, does its work, copies what it read into Polars, and closes it;
* a process that finds the file locked retries with jittered exponential backoff;
* a batch write that still cannot get the file is *spooled*: written durably (Parquet + a manifest,
  fsynced, renamed into place) next to the database and applied, exactly once, by the next process
  that opens the file for writing. A person never sees a lock error and no row is lost. A spool is applied
  only when nobody but this process's user can have written it, and it holds writers' and statements'
  *names*, never SQL text (:mod:`analytics.store.spool_files`, :mod:`analytics.store.statements`).

Migrations (``analytics/store/migrations/NNN_name.sql``) are applied on the first write-open in a process;
every applied number is recorded in ``schema_migrations``; a file that knows a number this code does
not is refused (:class:`StoreTooNew`).

One module: sessions, lock retry, migrations and the spool are one discipline (the spool is drained inside
the write session that checked the schema), so they stay together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import io
import json
import logging
import os
import random
import re
import threading
import time
import uuid
import weakref
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.store.engine import duckdb, frame, full

if TYPE_CHECKING:  # polars is imported where frames are made: read commands answer without it
    import polars as pl

from analytics.common.env_settings import env_memory, env_seconds
from analytics.config.paths import spool_dir
from analytics.store import spool_files
from analytics.store.ahead import take_ahead, unlock
from analytics.store.private import mkdir_private, mode_beside, session_umask
from analytics.store.spool_files import Damaged, Manifest, SpoolDir, Unsafe, raw_sql_note
from analytics.store.writers import UnknownWriter, is_raw_sql, quote_ident, resolve_writer, writer_name

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_RE = re.compile(r"^(\d{3})_([A-Za-z0-9_]+)\.sql$")

#: Default seconds to keep retrying a locked file before giving up (reads/transactions) or spooling.
READ_TIMEOUT = env_seconds("LOKIFI_LOCK_TIMEOUT", 15.0)
WRITE_TIMEOUT = env_seconds("LOKIFI_WRITE_TIMEOUT", 3.0)
#: DuckDB's buffer pool for a Lokifi process (it spills to disk beyond it). DuckDB's own default is 80 %
#: of the machine's memory, too much for a tool that sits in a tmux pane all day.
MEMORY_LIMIT = env_memory("LOKIFI_DUCKDB_MEMORY", "512MB")


class StoreError(Exception):
    """A problem with the database file; the message says what, where and what to do."""


class StoreBusy(StoreError):
    pass


class StoreTooNew(StoreError):
    pass


class StoreCorrupt(StoreError):
    pass


class StoreFull(StoreError):
    """The disk (or quota) holding the database is full."""


class StoreReadOnly(StoreError):
    """The database or its directory cannot be written (read-only filesystem, permissions)."""


def is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.Error) and "Could not set lock" in str(exc)


_CORRUPT_WORDS = (
    "not a valid DuckDB database",
    "corrupt",
    "checksum",
    "Could not read enough bytes",
    "database has been invalidated",
    "Failed to load metadata",
    "invalid block",
)
_FULL_WORDS = ("No space left", "Disk quota exceeded", "File too large")
_READONLY_WORDS = ("Read-only file system", "read-only", "Permission denied", "read only")


def _first_error(exc: BaseException) -> BaseException:
    """The earliest DuckDB/OS error ``exc`` was raised while handling (itself when there is none)."""
    first, seen = exc, 0
    ctx = exc.__context__
    while ctx is not None and seen < 20:
        if isinstance(ctx, (duckdb.Error, OSError)):
            first = ctx
        ctx, seen = ctx.__context__, seen + 1
    return first


def store_error(path: Path, exc: BaseException, cause: BaseException | None = None) -> StoreError:
    """A DuckDB (or OS) error met while using the database at ``path`` as the StoreError that says what
    happened, where, and what to do. ``cause`` is an earlier error of the same operation (the
    no-space write behind a later "transaction is aborted")."""
    if isinstance(exc, StoreError):
        return exc
    first = _first_error(cause if cause is not None else exc)
    msg = str(first).strip().splitlines()[0] if str(first).strip() else type(first).__name__
    every = f"{first} {exc}"
    low = every.lower()
    if (isinstance(first, OSError) and first.errno in (28, 122, 27)) or any(w.lower() in low for w in _FULL_WORDS):
        return StoreFull(
            f"{path}: the disk holding the database is full ({msg}). Nothing already stored was "
            "lost; free some space (or `lokifi db prune`) and run the command again."
        )
    if (isinstance(first, OSError) and first.errno in (30, 13, 1)) or any(w.lower() in low for w in _READONLY_WORDS):
        return StoreReadOnly(
            f"{path}: the database cannot be written ({msg}). Read-only commands still work; "
            "run writing commands where the file and its directory are writable."
        )
    if any(w.lower() in low for w in _CORRUPT_WORDS) or isinstance(
        first, (duckdb.SerializationException, duckdb.InternalException)
    ):
        return StoreCorrupt(
            f"{path} is not a readable Lokifi database ({msg.split(': ', 1)[-1]}). "
            "Move it aside and Lokifi will create a new one, or point --db / LOKIFI_DB elsewhere."
        )
    if "newer" in low and "version" in low:
        return StoreTooNew(f"{path} was written by a newer DuckDB ({msg}). Upgrade Lokifi to open it.")
    return StoreError(f"{path}: the database failed ({msg})")


def migrations() -> list[tuple[int, str, Path]]:
    """All migrations shipped with this code, in order."""
    found = []
    for p in MIGRATIONS_DIR.iterdir():
        m = _MIGRATION_RE.match(p.name)
        if m:
            found.append((int(m.group(1)), m.group(2), p))
    return sorted(found)


def known_version() -> int:
    ms = migrations()
    return ms[-1][0] if ms else 0


# Per thread: how deep it is in a session of each database (a nested read inside a write does not wait
# for the lock its own thread holds).
_held = threading.local()

# Paths whose schema this process has already checked (migrations run once per process per file).
_migrated: set[str] = set()
_migrate_lock = threading.Lock()
# One drainer per process at a time (between processes the DuckDB file lock already serialises it).
_drain_lock = threading.Lock()
# Spool problems already logged by this process (a collector drains every few seconds: say it once).
_reported: set[str] = set()
_reported_lock = threading.Lock()
#: What a spooled batch that can never be applied raises (a table, column or argument the writer does not
#: know, a row the table's constraints refuse): it is set aside rather than failing every later write.
_NEVER_APPLIES = (
    duckdb.CatalogException,
    duckdb.BinderException,
    duckdb.ParserException,
    duckdb.ConstraintException,
    duckdb.ConversionException,
    TypeError,
)
_SPOOL_ADVICE = (
    "Lokifi applies only a spool that its own user made and nobody else can write; if you did not put "
    "it there, remove it, and keep the database in a directory only its user can write."
)


def append_table(con: duckdb.DuckDBPyConnection, df: pl.DataFrame, *, table: str) -> int:
    """The plain batch writer: insert the frame's columns into ``table``."""
    if df.height == 0:
        return 0
    cols = ", ".join(quote_ident(c) for c in df.columns)
    con.register("_lokifi_batch", df)
    try:
        con.execute(f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM _lokifi_batch").fetchall()
    finally:
        con.unregister("_lokifi_batch")
    return df.height


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


#: per open connection, the first error of its failed transaction (what a later "transaction is aborted" hides)
_causes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _rollback(con: duckdb.DuckDBPyConnection, exc: BaseException) -> None:
    """Roll back after ``exc``; a rollback that fails too (the file is unwritable) never hides ``exc``,
    which is remembered as the cause of what the connection says next ("transaction is aborted")."""
    if con not in _causes and isinstance(exc, (duckdb.Error, OSError)):
        _causes[con] = exc
    with contextlib.suppress(Exception):
        con.execute("ROLLBACK")


def _commit(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _rollback(con, exc)
        raise


class Store:
    """A handle on one DuckDB file. Cheap to create; holds no connection between operations."""

    def __init__(
        self, path: str | os.PathLike[str], *, read_timeout: float | None = None, write_timeout: float | None = None
    ) -> None:
        self.path = Path(path).expanduser()
        self.read_timeout = READ_TIMEOUT if read_timeout is None else read_timeout
        self.write_timeout = WRITE_TIMEOUT if write_timeout is None else write_timeout
        self.lock_waits = 0  # how many times this handle found the file locked (for tests/bench)
        self.problems: list[str] = []  # what the spool's drains refused (:meth:`_problem`)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- connections ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _session(self, timeout: float, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held under the store's own lock, from before DuckDB opens the file until after it
        has closed it (checkpoint and WAL removal included).

        DuckDB's file lock alone is not enough between processes: a commit made by one process was lost
        when another was still closing the file (tests/integration/test_concurrency.py caught 158 committed rows
        missing under load). An ``flock`` on ``<db>.lock`` serialises whole sessions. A thread that
        already holds it (a read inside a write) opens a nested connection without waiting on itself.
        """
        if not read_only:
            full()  # writers hand Polars frames to DuckDB: the package's Python layer (engine.py)
        key = str(self.path.resolve()) if self.path.exists() else str(self.path.absolute())
        held: dict[str, Any] = _held.__dict__.setdefault("depth", {})
        if held.get(key):
            held[key] += 1
            try:
                with self._connection(timeout, read_only, parent=held.get(key + "\0con")) as con:
                    yield con
            finally:
                held[key] -= 1
            return
        with session_umask(self.path):  # what DuckDB creates (database, WAL, spill) is private: private.py
            deadline = time.monotonic() + timeout
            ahead = take_ahead(key)
            opened = None
            if ahead is not None and read_only and ahead.con is not None:
                fd, opened = ahead.fd, ahead.con  # the session opened while the command line loaded (open_ahead)
            else:
                if ahead is not None:
                    ahead.release()  # a write (or a failed early open): this session opens as usual
                fd = self._lock_session(deadline, timeout, read_only)
            held[key] = 1
            try:
                with self._connection(
                    max(deadline - time.monotonic(), 0.0), read_only=fd is None, opened=opened, since=deadline - timeout
                ) as con:
                    held[key + "\0con"] = con
                    yield con
            finally:
                held[key] = 0
                held.pop(key + "\0con", None)
                unlock(fd)

    @contextlib.contextmanager
    def _connection(
        self,
        timeout: float,
        read_only: bool = False,
        parent: duckdb.DuckDBPyConnection | None = None,
        opened: duckdb.DuckDBPyConnection | None = None,
        since: float | None = None,
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """An open connection; every DuckDB error met while it is used or closed (the checkpoint at close
        writes) becomes the StoreError that names the file and the cause (:func:`store_error`). Inside
        another session of this thread (``parent``), a cursor on the database that session opened: its
        own transaction, as a second connection would have, without opening the file again."""
        if opened is not None:
            con = opened
        elif parent is not None:
            con = parent.cursor()
            con.execute("SET TimeZone = 'UTC'")
        else:
            con = self._open(timeout, read_only=read_only, since=since)
        try:
            yield con
        except duckdb.Error as exc:
            with contextlib.suppress(Exception):
                con.close()
            raise store_error(self.path, exc, _causes.get(con)) from None
        except BaseException:
            with contextlib.suppress(Exception):
                con.close()
            raise
        try:
            con.close()
        except duckdb.Error as exc:
            raise store_error(self.path, exc) from None

    def _busy(self, since: float) -> StoreBusy:
        """The error of a wait for the database that began at ``since`` (time.monotonic) and gave up now."""
        return StoreBusy(
            f"The database {self.path} has been busy for {time.monotonic() - since:.0f}s (another Lokifi process "
            "is holding it). Try again in a moment; if it persists, look for a stuck `lokifi` process."
        )

    def _lock_session(self, deadline: float, timeout: float, read_only: bool = False) -> int | None:
        """The session lock's descriptor; None for a read-only session where the lock cannot be created
        (a read-only filesystem or directory): such a session opens the file read-only and writes nothing."""
        lock = self.path.with_name(self.path.name + ".lock")
        try:
            mkdir_private(self.path.parent)
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
            fd = os.open(lock, flags, mode_beside(self.path))
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise StoreError(
                    f"{lock} is a symbolic link; Lokifi does not follow links beside the database (someone may "
                    "have put it there). Remove it, and keep the database in a directory only you can write."
                ) from None
            if read_only and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM) and self.path.is_file():
                return None
            if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
                raise StoreReadOnly(
                    f"{self.path}: cannot write beside the database to lock it ({lock}: "
                    f"{exc.strerror or exc}). Read-only commands still work; run writing "
                    "commands where the directory is writable."
                ) from None
            raise store_error(self.path, exc) from None
        delay = 0.005
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                self.lock_waits += 1
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise self._busy(deadline - timeout) from None
                time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter of a retry, not a secret
                delay = min(delay * 1.6, 0.1)

    def _open(self, timeout: float, read_only: bool = False, since: float | None = None) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying while another process holds it; raise StoreBusy after ``timeout``
        (``since``: when the wait for the database began, to say how long it lasted)."""
        if not read_only:
            mkdir_private(self.path.parent)
        self._refuse_planted_links()
        since = time.monotonic() if since is None else since
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                con = duckdb.connect(str(self.path), read_only=read_only, config={"memory_limit": MEMORY_LIMIT})
                break
            except duckdb.Error as exc:
                if is_lock_error(exc):
                    self.lock_waits += 1
                    if time.monotonic() >= deadline:
                        raise self._busy(since) from None
                    time.sleep(delay * (0.5 + random.random()))  # noqa: S311 - jitter of a retry, not a secret
                    delay = min(delay * 1.6, 0.1)
                    continue
                raise store_error(self.path, exc) from None
            except OSError as exc:
                raise store_error(self.path, exc) from None
        try:
            con.execute("SET TimeZone = 'UTC'")
            self._ensure_schema(con, read_only)
        except BaseException as exc:
            with contextlib.suppress(Exception):
                con.close()
            if isinstance(exc, duckdb.Error):
                raise store_error(self.path, exc) from None
            raise
        return con

    def _refuse_planted_links(self) -> None:
        """DuckDB opens the database and its WAL by name, following links: a WAL that is a link, or a
        database that is a link to nothing (which DuckDB would create where it points), would have it
        write wherever the link's maker chose. A link to an existing database is the user's own choice."""
        wal = self.path.with_name(self.path.name + ".wal")
        if wal.is_symlink():
            raise StoreError(
                f"{wal} is a symbolic link (to {os.readlink(wal)}); Lokifi does not follow links beside the "
                "database (someone may have put it there). Remove it, and keep the database in a directory "
                "only you can write."
            )
        if self.path.is_symlink() and not self.path.exists():
            raise StoreError(
                f"{self.path} is a symbolic link to {os.readlink(self.path)}, which does not exist; Lokifi does "
                "not create a database through a link (someone may have put it there). Remove it, or point it "
                "at an existing database."
            )

    def _ensure_schema(self, con: duckdb.DuckDBPyConnection, read_only: bool = False) -> None:
        key = str(self.path.resolve())
        if key in _migrated:
            return
        if read_only:  # nothing can be migrated; a file newer than this code is still refused
            has = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migrations'"
            ).fetchall()[0][0]
            applied = {r[0] for r in con.execute("SELECT number FROM schema_migrations").fetchall()} if has else set()
            unknown = sorted(applied - {n for n, _, _ in migrations()})
            if unknown:
                raise StoreTooNew(
                    f"{self.path} has schema version {max(unknown)}, newer than this Lokifi knows "
                    f"(up to {known_version()}). Upgrade Lokifi, or use another database with --db."
                )
            return
        with _migrate_lock:
            if key in _migrated:
                return
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (number INTEGER PRIMARY KEY, name VARCHAR, "
                "applied_at TIMESTAMP DEFAULT (now()::TIMESTAMP))"
            )
            applied = {r[0] for r in con.execute("SELECT number FROM schema_migrations").fetchall()}
            ms = migrations()
            known = {n for n, _, _ in ms}
            unknown = sorted(applied - known)
            if unknown:
                raise StoreTooNew(
                    f"{self.path} has schema version {max(unknown)}, newer than this Lokifi knows "
                    f"(up to {known_version()}). Upgrade Lokifi, or use another database with --db."
                )
            for number, name, p in ms:
                if number in applied:
                    continue
                sql = p.read_text(encoding="utf-8")
                con.execute("BEGIN TRANSACTION")
                try:
                    con.execute(sql)
                    con.execute("INSERT INTO schema_migrations (number, name) VALUES (?, ?)", [number, name])
                    con.execute("COMMIT")
                except BaseException as exc:
                    with contextlib.suppress(Exception):
                        con.execute("ROLLBACK")
                    mistakes = (duckdb.ParserException, duckdb.CatalogException, duckdb.BinderException)
                    if isinstance(exc, duckdb.Error) and not isinstance(exc, mistakes):
                        raise store_error(self.path, exc) from None
                    raise StoreError(f"Migration {number:03d}_{name} failed on {self.path}: {exc}") from exc
            _migrated.add(key)

    @contextlib.contextmanager
    def read(self, timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for a few reads. Copy results out (``.pl()``) before the block ends. Where the
        database cannot be written (read-only filesystem or directory) it is opened read-only, unlocked."""
        with self._session(self.read_timeout if timeout is None else timeout, read_only=True) as con:
            yield con

    @contextlib.contextmanager
    def write(self, timeout: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection inside a transaction, committed when the block ends (rolled back on error)."""
        with self._session(self.read_timeout if timeout is None else timeout) as con:
            self._drain_spool(con)
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException as exc:
                _rollback(con, exc)
                raise
            _commit(con)

    # -- reads ------------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] | dict | None = None) -> pl.DataFrame:
        with self.read() as con:
            return frame(con, sql, params)

    def scalar(self, sql: str, params: Sequence[Any] | dict | None = None) -> Any:
        with self.read() as con:
            row = con.execute(sql, params or []).fetchall()
            return row[0][0] if row else None

    # -- writes -----------------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """One write statement, now: waits for the file as a transaction does and raises StoreBusy if it
        stays locked. Never spooled (a spool holds no SQL text); :meth:`execute_named` is."""
        with self.write() as con:
            con.execute(sql, list(params or []))

    def execute_named(self, name: str, params: Sequence[Any] = ()) -> bool:
        """Run the registered statement ``name`` (:data:`analytics.store.statements.STATEMENTS`) with
        ``params``; spooled, by name, if the file stays locked. True when written now."""
        from analytics.store.statements import check

        check(name, list(params))  # an unknown name or wrong parameters fail here, before anything is spooled
        return self.submit("statement", None, name=name, params=list(params))

    def append(self, table: str, df: pl.DataFrame) -> None:
        """Insert a frame into ``table``; spooled if the file stays locked."""
        if df.height:
            self.submit("append", df, table=table)

    def submit(self, writer: str, df: pl.DataFrame | None, **args: Any) -> bool:
        """Run ``writer(con, df, **args)`` in a transaction; spool it if the file stays locked.

        ``writer`` is the name of a registered writer (:mod:`analytics.store.writers`), so a spooled batch
        can be applied by any process. Returns True when written now, False when spooled.
        """
        return self.submit_counted(writer, df, **args) is not None

    def submit_counted(self, writer: str, df: pl.DataFrame | None, **args: Any) -> Any:
        """:meth:`submit`, returning what the writer returned (the rows it inserted, for the row writers)
        when written now, None when spooled."""
        writer = writer_name(writer)  # an unknown name fails here, before anything is spooled
        entered = False
        try:
            with self._session(self.write_timeout) as con:
                entered = True
                self._drain_spool(con)
                fn = resolve_writer(writer)
                con.execute("BEGIN TRANSACTION")
                try:
                    out = fn(con, df, **args)
                except BaseException as exc:
                    _rollback(con, exc)
                    raise
                _commit(con)
        except StoreBusy as busy:
            if entered:
                raise
            self._spool(writer, df, args, busy)
            return None
        return out

    # -- the spool --------------------------------------------------------------------------------

    def _spool(self, writer: str, df: pl.DataFrame | None, args: dict[str, Any], busy: StoreBusy) -> None:
        """Write the batch durably into the spool (made 0700, files 0600: :mod:`analytics.store.spool_files`).
        A spool directory that is not this user's alone is not written into: StoreBusy says why."""
        d = spool_dir(self.path)
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

    def spooled(self) -> int:
        """How many batches are waiting in the spool."""
        return spool_files.count(spool_dir(self.path))

    def _drain_spool(self, con: duckdb.DuckDBPyConnection) -> int:
        if not _drain_lock.acquire(blocking=False):
            return 0
        try:
            return self._drain_spool_locked(con)
        finally:
            _drain_lock.release()

    def _drain_spool_locked(self, con: duckdb.DuckDBPyConnection) -> int:
        """Apply every trusted manifest, oldest first, exactly once. What cannot be trusted or applied is
        reported (:meth:`_problem`) and left in place, and the write that drains goes on."""
        try:
            spool = SpoolDir.open(spool_dir(self.path))
        except Unsafe as exc:
            self._problem(f"{exc}. Its batches were not applied. {_SPOOL_ADVICE}")
            return 0
        if spool is None:
            return 0
        done = 0
        with spool:
            for name in spool.manifests():
                try:
                    m = spool.manifest(name)
                    if is_raw_sql(m.writer):
                        self._problem(raw_sql_note(spool.path / name))
                        continue
                    writer = resolve_writer(m.writer)
                    already = con.execute("SELECT 1 FROM spool_applied WHERE spool_id = ?", [m.sid]).fetchall()
                    if not already:
                        self._apply(con, writer, m, spool.data(m), spool.path)
                except (duckdb.Error, TypeError) as exc:
                    first = _first_error(exc)
                    if not isinstance(first, _NEVER_APPLIES):
                        raise  # a transient failure (full disk, I/O) stops the write, the batch kept for later
                    _causes.pop(con, None)  # rolled back and handled: not the cause of what follows
                    why = str(first).strip().splitlines()[0] if str(first).strip() else type(first).__name__
                    self._problem(
                        f"{spool.path / name}: cannot be applied ({why}); set aside as {spool.set_aside(name)}"
                    )
                    continue
                except FileNotFoundError:
                    continue  # another thread of ours took it
                except Unsafe as exc:
                    self._problem(f"{exc}; not applied, left in place. {_SPOOL_ADVICE}")
                    continue
                except Damaged as exc:
                    self._problem(f"{exc}; set aside as {spool.set_aside(name)}")
                    continue
                except UnknownWriter as exc:
                    self._problem(f"{spool.path / name}: not applied ({exc}); left in place for a Lokifi that knows it")
                    continue
                spool.remove(name)
                if m.data:
                    spool.remove(m.data)
                done += 1
        return done

    def _apply(self, con: duckdb.DuckDBPyConnection, writer: Any, m: Manifest, data: bytes | None, where: Path) -> None:
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
            _commit(con)
        except BaseException as exc:
            _rollback(con, exc)
            raise

    def _problem(self, message: str) -> None:
        """Report a spool problem: kept in :attr:`problems`, and logged (stderr for a command, the
        collector's log) once per process."""
        if message not in self.problems:
            self.problems.append(message)
        with _reported_lock:
            if message in _reported:
                return
            _reported.add(message)
        logging.getLogger("lokifi.store").warning("%s", message)

    def flush_spool(self) -> int:
        """Apply every spooled batch now (waits for the lock)."""
        with self._session(self.read_timeout) as con:
            return self._drain_spool(con)

    # -- facts ------------------------------------------------------------------------------------

    def schema_version(self) -> int:
        return int(self.scalar("SELECT coalesce(max(number), 0) FROM schema_migrations") or 0)

    def tables(self) -> list[str]:
        df = self.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1")
        return df["table_name"].to_list()

    def get_kv(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM kv WHERE key = ?", [key])

    def set_kv(self, key: str, value: str) -> None:
        self.execute_named("kv.set", [key, value])
