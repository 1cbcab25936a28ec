"""The DuckDB store: one file, shared by several processes, never held longer than one operation.

DuckDB lets only one process open a file at a time (a second one fails at once with "Could not set
lock on file"). Lokifi runs a dashboard, a collector and one-off CLI calls against the same file, so:

* every operation opens the file, does its work, copies what it read into Polars, and closes it (a
  command's few quick steps may share one opening: :meth:`Store.shared`, :mod:`analytics.store.kept`);
* a process that finds the file locked retries with jittered exponential backoff;
* a batch write that still cannot get the file is *spooled* beside the database and applied, exactly
  once, by the next process that opens the file for writing, inside that write's session
  (:mod:`analytics.store.spooling`). A person never sees a lock error and no row is lost.

Migrations (``analytics/store/migrations/NNN_name.sql``) are applied on the first write-open in a process;
every applied number is recorded in ``schema_migrations``; a file that knows a number this code does
not is refused (:class:`StoreTooNew`). What the store raises is in :mod:`analytics.store.errors`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics.store.engine import duckdb, frame, full, registered

if TYPE_CHECKING:  # polars is imported where frames are made: read commands answer without it
    import polars as pl

from analytics.common.env_settings import env_memory, env_seconds
from analytics.config.paths import spool_dir
from analytics.store import spool_files
from analytics.store.ahead import take_ahead, unlock
from analytics.store.errors import (
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreReadOnly,
    StoreTooNew,
    causes,
    commit,
    is_lock_error,
    rollback,
    store_error,
)
from analytics.store.kept import Kept, held_of, sharing
from analytics.store.planted import refuse_planted
from analytics.store.private import mkdir_private, mode_beside, session_umask
from analytics.store.spooling import drain, report_once, spool_batch
from analytics.store.trusted import refuse_untrusted
from analytics.store.writers import quote_ident, resolve_writer, writer_name

__all__ = [  # the store's errors are raised from here too; their callers import them with the Store
    "Store",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreReadOnly",
    "StoreTooNew",
    "append_table",
    "known_version",
    "migrations",
    "store_error",
]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_MIGRATION_RE = re.compile(r"^(\d{3})_([A-Za-z0-9_]+)\.sql$")

#: Default seconds to keep retrying a locked file before giving up (reads/transactions) or spooling.
READ_TIMEOUT = env_seconds("LOKIFI_LOCK_TIMEOUT", 15.0)
WRITE_TIMEOUT = env_seconds("LOKIFI_WRITE_TIMEOUT", 3.0)
#: DuckDB's buffer pool for a Lokifi process (it spills to disk beyond it). DuckDB's own default is 80 %
#: of the machine's memory, too much for a tool that sits in a tmux pane all day.
MEMORY_LIMIT = env_memory("LOKIFI_DUCKDB_MEMORY", "512MB")


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


# Paths whose schema this process has already checked (migrations run once per process per file).
_migrated: set[str] = set()
_migrate_lock = threading.Lock()


def append_table(con: duckdb.DuckDBPyConnection, df: pl.DataFrame, *, table: str) -> int:
    """The plain batch writer: insert the frame's columns into ``table``."""
    if df.height == 0:
        return 0
    cols = ", ".join(quote_ident(c) for c in df.columns)
    with registered(con, "_lokifi_batch", df):
        con.execute(f"INSERT INTO {quote_ident(table)} ({cols}) SELECT {cols} FROM _lokifi_batch").fetchall()
    return df.height


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
        #: told each problem the first time this handle meets it, from the thread that drains (the dashboard)
        self.on_problem: Callable[[str], object] | None = None

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # -- connections ------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _session(self, timeout: float, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection held under the store's own lock, from before DuckDB opens the file until after it
        has closed it (checkpoint and WAL removal included).

        DuckDB's file lock alone is not enough between processes: a commit made by one process was lost
        when another was still closing the file (tests/integration/test_concurrency.py caught 158 committed rows
        missing under load). An ``flock`` on ``<db>.lock`` serialises whole sessions. A thread that already
        holds it (a read inside a write, a step of a :meth:`shared` block) nests a connection in it.
        """
        if not read_only:
            full()  # writers hand Polars frames to DuckDB: the package's Python layer (engine.py)
        key = str(self.path.resolve())  # resolved: one key before and after the file exists
        held = held_of(key)  # this thread's sessions of the file
        if held.depth:
            held.depth += 1
            try:
                with self._connection(timeout, read_only, parent=held.con) as con:
                    yield con
            finally:
                held.depth -= 1
            return
        if held.kept is None and held.blocks:
            held.kept = Kept.open(self, key, timeout, read_only)
        kept = held.kept
        if kept is not None and (read_only or not kept.read_only):
            held.depth, held.con = 1, kept.con  # a step of a shared block: kept.py
            try:
                with self._connection(timeout, read_only, parent=kept.con) as con:
                    yield con
            except StoreError:
                held.kept = None
                kept.close(self.path, quiet=True)  # failed in the store: the next opens afresh
                raise
            finally:
                held.depth, held.con = 0, None
            return
        with session_umask(self.path):  # what DuckDB creates (database, WAL, spill) is private: private.py
            fd, opened = self._begin(key, timeout, read_only)
            held.depth = 1
            try:
                with self._connection(timeout, opened=opened) as con:
                    held.con = con
                    yield con
            finally:
                held.depth, held.con = 0, None
                unlock(fd)

    def _begin(self, key: str, timeout: float, read_only: bool) -> tuple[int | None, duckdb.DuckDBPyConnection]:
        """Lock and open the file for a session (a read takes over the one opened ahead): the session lock's
        descriptor (None: opened read-only, unlocked) and the connection."""
        deadline = time.monotonic() + timeout
        ahead = take_ahead(key)
        if ahead is not None and read_only and ahead.con is not None:
            return ahead.fd, ahead.con  # the session opened while the command line loaded (open_ahead)
        if ahead is not None:
            ahead.release()  # a write (or a failed early open): this session opens as usual
        fd = self._lock_session(deadline, timeout, read_only)
        try:
            return fd, self._open(max(deadline - time.monotonic(), 0.0), read_only=fd is None, since=deadline - timeout)
        except BaseException:
            unlock(fd)
            raise

    def shared(self) -> contextlib.AbstractContextManager[None]:
        """The block's sessions on this thread share one: the first opens the file and keeps it open (the
        session lock held) until the block ends; the others are nested in it, each its own transaction
        (:mod:`analytics.store.kept`). For a command's few quick steps only: never around slow work."""
        return sharing(self.path, held_of(str(self.path.resolve())))

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
            raise store_error(self.path, exc, causes.get(con)) from None
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
            refuse_untrusted(self.path)  # another user's database or directory: trusted.py
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
        refuse_untrusted(self.path)  # another user's database or directory: trusted.py
        refuse_planted(self.path)  # a WAL or link someone put beside it: planted.py
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
                rollback(con, exc)
                raise
            commit(con)

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
                    rollback(con, exc)
                    raise
                commit(con)
        except StoreBusy as busy:
            if entered:
                raise
            spool_batch(spool_dir(self.path), writer, df, args, busy)
            return None
        return out

    # -- the spool (analytics.store.spooling) -----------------------------------------------------

    def spooled(self) -> int:
        """How many batches are waiting in the spool."""
        return spool_files.count(spool_dir(self.path))

    def _drain_spool(self, con: duckdb.DuckDBPyConnection) -> int:
        return drain(con, spool_dir(self.path), self._problem)

    def _problem(self, message: str) -> None:
        """Report a spool problem: kept in :attr:`problems` and told to :attr:`on_problem` once per handle,
        and logged (stderr for a command, the collector's log) once per process."""
        if message not in self.problems:
            self.problems.append(message)
            if self.on_problem is not None:
                self.on_problem(message)
        report_once(message)

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
