"""Database faults as a user meets them: a corrupt or half-truncated file, a full disk, a read-only
filesystem. Every command exits 4 with one clear line naming the file (never a DuckDB traceback), keeps
what is stored, and read-only commands work where nothing can be written.

The full-disk and read-only cases mount a small tmpfs (root only; skipped elsewhere)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # measured: 20 s in all

COMMANDS = [
    ["db", "info"],
    ["patterns", "list"],
    ["status"],
    ["recs", "list"],
    ["error", "record", "disk check failed", "--component", "api"],
]


def lokifi(*args: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", *args], capture_output=True, input=stdin, timeout=timeout
    )


def _metrics_csv(path: Path, rows: int) -> Path:
    with open(path, "w") as f:
        f.write("timestamp,component,metric,value\n")
        for i in range(rows):
            f.write(f"2026-01-01T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}Z,api,cpu,{i % 97}\n")
    return path


@pytest.fixture(scope="module")
def stored_db(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("db")
    db = d / "ok.duckdb"
    r = lokifi("--db", str(db), "ingest", str(_metrics_csv(d / "m.csv", 20_000)))
    assert r.returncode == 0, r.stderr
    r = lokifi("--db", str(db), "error", "record", "upstream connect failed", "--component", "api")
    assert r.returncode == 0, r.stderr
    return db


def _no_traceback(r: subprocess.CompletedProcess) -> str:
    err = r.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "_duckdb" not in err, err
    return err


def test_checksum_corrupt_file_exits_4_with_path(stored_db, tmp_path):
    db = tmp_path / "cs.duckdb"
    shutil.copy(stored_db, db)
    size = db.stat().st_size
    with open(db, "r+b") as f:
        for off in range(16384, size, 4096 * 7):
            f.seek(off + 100)
            f.write(b"\xff" * 64)
    for cmd in COMMANDS + [["collect", "--once", "--no-hooks"]]:
        r = lokifi("--db", str(db), *cmd)
        err = _no_traceback(r)
        assert r.returncode == 4, (cmd, r.returncode, err)
        assert "cs.duckdb" in err and "not a readable Lokifi database" in err, (cmd, err)


def test_half_truncated_file_never_tracebacks(stored_db, tmp_path):
    db = tmp_path / "half.duckdb"
    shutil.copy(stored_db, db)
    os.truncate(db, db.stat().st_size // 2)
    codes = {}
    for cmd in COMMANDS + [["collect", "--once"], ["baselines"]]:
        r = lokifi("--db", str(db), *cmd)
        err = _no_traceback(r)
        codes[" ".join(cmd)] = r.returncode
        assert r.returncode in (0, 4), (cmd, err)
        if r.returncode == 4:
            assert "half.duckdb" in err
    # the parts that read the missing half must say so; collect --once runs the refresh hooks over it
    assert codes["patterns list"] == 4 and codes["collect --once"] == 4, codes


@pytest.fixture
def tmpfs(tmp_path):
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mnt = tmp_path / f"mnt-{uuid.uuid4().hex[:6]}"
    mnt.mkdir()

    def mount(size: str) -> Path:
        opts = f"size={size},mode=0700"  # private, as a database's directory must be (a tmpfs root is 1777)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(mnt)], capture_output=True)
        if r.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode()[:200]}")
        return mnt

    yield mount
    subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def _rows(db: Path) -> int:
    r = lokifi("--db", str(db), "db", "info", "--json")
    assert r.returncode == 0, r.stderr
    import json

    return json.loads(r.stdout)["row_counts"]["metrics"]


def test_full_disk_names_the_cause_and_keeps_rows(stored_db, tmp_path, tmpfs):
    mnt = tmpfs("6m")
    db = mnt / "ok.duckdb"
    shutil.copy(stored_db, db)
    before = _rows(db)
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write("timestamp,component,metric,value\n")
        for i in range(200_000):
            f.write(f"2025-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z,c{i % 50},m{i % 7},{i * 0.37}\n")
    filler = mnt / "filler"
    with open(filler, "wb", buffering=0) as f:  # fill the disk to the last byte
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass
    assert shutil.disk_usage(mnt).free < 4096
    for cmd in (["ingest", str(big)], ["error", "record", "no space test", "--component", "api"]):
        r = lokifi("--db", str(db), *cmd)
        err = _no_traceback(r)
        assert r.returncode == 4, (cmd, err)
        assert "disk holding the database is full" in err and "transaction is aborted" not in err.lower(), err
    filler.unlink()
    assert _rows(db) == before


def test_read_only_filesystem_reads_without_writing(stored_db, tmpfs):
    mnt = tmpfs("20m")
    db = mnt / "ok.duckdb"
    shutil.copy(stored_db, db)
    assert not Path(str(db) + ".lock").exists()
    r = subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True)
    assert r.returncode == 0, r.stderr
    for cmd in (["db", "info"], ["patterns", "list"], ["status"], ["recs", "list"]):
        r = lokifi("--db", str(db), *cmd)
        _no_traceback(r)
        assert r.returncode == 0, (cmd, r.stderr)
    r = lokifi("--db", str(db), "db", "info")
    assert b"20,000" in r.stdout
    r = lokifi("--db", str(db), "error", "record", "x failed", "--component", "api")
    err = _no_traceback(r)
    assert r.returncode == 4 and "ok.duckdb" in err and "Read-only" in err, err
    assert not Path(str(db) + ".lock").exists()


def test_every_duckdb_error_class_maps_to_a_store_error(tmp_path):
    """Each class of DuckDB failure becomes the StoreError that says what happened (exit 4), and a later
    "transaction is aborted" names the error that caused it."""
    import duckdb

    from analytics.store.database import StoreCorrupt, StoreError, StoreFull, StoreReadOnly, StoreTooNew, store_error

    p = tmp_path / "x.duckdb"
    cases = [
        (duckdb.IOException('IO Error: Could not write file "x.wal": No space left on device'), StoreFull),
        (duckdb.IOException('IO Error: Could not write file "x.wal": Read-only file system'), StoreReadOnly),
        (
            duckdb.InvalidInputException("Cannot execute statement on database attached in read-only mode"),
            StoreReadOnly,
        ),
        (duckdb.Error("Corrupt database file: computed checksum 1 does not match stored checksum 0"), StoreCorrupt),
        (duckdb.IOException('Could not read enough bytes from file "x.duckdb"'), StoreCorrupt),
        (duckdb.SerializationException("Failed to deserialize"), StoreCorrupt),
        (duckdb.InternalException("INTERNAL Error: something"), StoreCorrupt),
        (duckdb.IOException("Trying to read a database file with version number 99, newer version"), StoreTooNew),
        (duckdb.CatalogException("Table with name nope does not exist"), StoreError),
        (duckdb.ConversionException("Conversion Error: year out of range"), StoreError),
        (OSError(28, "No space left on device"), StoreFull),
    ]
    for exc, cls in cases:
        got = store_error(p, exc)
        assert type(got) is cls, (exc, got)
        assert str(p) in str(got)
    try:
        try:
            raise duckdb.IOException('IO Error: Could not write file "x.duckdb": No space left on device')
        except duckdb.Error:
            raise duckdb.TransactionException(  # noqa: B904 - the chained error is the case under test
                "TransactionContext Error: Current transaction is aborted"
            )
    except duckdb.Error as exc:
        got = store_error(p, exc)
    assert isinstance(got, StoreFull) and "aborted" not in str(got)
