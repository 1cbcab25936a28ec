"""The spool is applied only when nobody but its user can have written it, and never runs SQL text.

Each attack is run for real: files planted by another user (a real process as ``nobody``, where the
tests run as root), symbolic links, ``../`` names, group-writable modes and the SQL text older Lokifis
spooled; each is refused with a message, left in place, and the write that met it goes on.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

from analytics.store.database import Store, StoreBusy
from analytics.store.statements import UnknownStatement
from analytics.store.writers import UnknownWriter

NOBODY = 65534
SID = "00000000000000000001-1-0000beef"
KV_SET = {"id": SID, "writer": "statement", "args": {"name": "kv.set", "params": ["k", "v"]}}
as_root = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("sh") is None, reason="planting as another user needs root"
)


def _spool(db: Path) -> Path:
    return db.with_name(db.name + ".spool")


def _plant(spool: Path, manifest: dict, *, name: str | None = None, mode: int = 0o700) -> Path:
    spool.mkdir(mode=mode, exist_ok=True)
    os.chmod(spool, mode)
    p = spool / (name or f"{manifest['id']}.json")
    p.write_text(json.dumps(manifest))
    os.chmod(p, 0o600)
    return p


def _copy_to(target: Path) -> dict:
    """The review's manifest: SQL text that writes a file of the attacker's choosing."""
    return {"id": SID, "writer": "sql", "args": {"sql": f"COPY (SELECT 42 AS pwned) TO '{target}'"}}


@pytest.fixture
def seeded(migrated, tmp_path):
    s = migrated(tmp_path / "db.duckdb")
    s.set_kv("kept", "yes")
    return s


def _still_whole(s: Store) -> None:
    s.set_kv("after", "written")  # the write that meets the spool goes on
    assert s.get_kv("kept") == "yes"
    assert s.get_kv("after") == "written"


def _kernel_protecting(d: Path) -> Path:
    """A stand-in for /proc/sys/fs saying the kernel guards sticky directories (fs.protected_* at 2): a
    database in one is opened then (analytics.store.trusted), and the spool's own checks are what is tested."""
    d.mkdir()
    for name in ("protected_symlinks", "protected_regular", "protected_fifos", "protected_hardlinks"):
        (d / name).write_text("2\n")
    return d


@pytest.fixture
def shared(tmp_path, monkeypatch):
    """A world-writable, sticky directory (like /tmp) that user nobody can reach: under /tmp, not tmp_path
    (whose parents only root may enter)."""
    from analytics.store import trusted

    monkeypatch.setattr(trusted, "_SYSCTL", _kernel_protecting(tmp_path / "sysctl"))
    top = Path(tempfile.mkdtemp(prefix="lokifi-shared-"))
    os.chmod(top, 0o755)  # noqa: S103 - the attack needs a directory other users reach
    d = top / "shared"
    d.mkdir()
    os.chmod(d, 0o1777)  # noqa: S103 - ... and write, as /tmp
    yield d
    shutil.rmtree(top, ignore_errors=True)


@as_root
def test_the_reviews_attack_a_spool_planted_by_another_user_is_refused(shared, caplog):
    db = shared / "l.duckdb"
    s = Store(db)
    s.set_kv("kept", "yes")
    pwned = shared.parent / "PWNED_BY_SPOOL.csv"
    planted = json.dumps(_copy_to(pwned))
    script = f"mkdir -m777 {_spool(db)} && printf '%s' '{planted}' > {_spool(db)}/{SID}.json"
    subprocess.run(["sh", "-c", script], user=NOBODY, group=NOBODY, extra_groups=[], check=True)

    with caplog.at_level(logging.WARNING, logger="lokifi.store"):
        _still_whole(s)
    assert not pwned.exists()
    assert (_spool(db) / f"{SID}.json").exists()  # left exactly as it was
    assert "the spool directory belongs to uid 65534" in caplog.text and "not applied" in caplog.text


@as_root
def test_a_manifest_another_user_owns_inside_our_own_spool_is_left_unapplied(tmp_path, seeded, caplog):
    m = _plant(_spool(seeded.path), KV_SET)
    os.chown(m, NOBODY, NOBODY)
    with caplog.at_level(logging.WARNING, logger="lokifi.store"):
        _still_whole(seeded)
    assert seeded.get_kv("k") is None and m.exists()
    assert f"{m}: the spool file belongs to uid 65534" in seeded.problems[0]


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o1777])
def test_a_spool_directory_others_can_write_is_refused(seeded, mode):
    m = _plant(_spool(seeded.path), _copy_to(seeded.path.parent / "pwned.csv"), mode=mode)
    _still_whole(seeded)
    assert m.exists() and not (seeded.path.parent / "pwned.csv").exists()
    assert "can be written by its group" in seeded.problems[0]
    assert f"(mode {mode:04o})" in seeded.problems[0]


def test_db_info_counts_a_refused_spool_apart_from_batches_waiting(seeded):
    from click.testing import CliRunner

    from lokifi_tui.cli.main import cli

    _plant(_spool(seeded.path), KV_SET, mode=0o777)
    r = CliRunner().invoke(cli, ["--db", str(seeded.path), "db", "info"])
    assert r.exit_code == 0, r.output
    assert "waiting to be written" not in r.output
    assert "1 batch(es) never applied as they are" in r.output and "can be written by its group" in r.output


def test_flush_spool_says_what_it_left_and_fails(seeded):
    from click.testing import CliRunner

    from lokifi_tui.cli.main import cli

    _plant(_spool(seeded.path), KV_SET, mode=0o777)
    r = CliRunner().invoke(cli, ["--db", str(seeded.path), "db", "flush-spool"])
    assert r.exit_code == 3, r.output
    assert "applied 0 spooled batch(es)" in r.output and "1 batch(es) left in the spool; 1 problem(s)" in r.output


def test_a_group_writable_manifest_is_refused(seeded):
    m = _plant(_spool(seeded.path), KV_SET)
    os.chmod(m, 0o620)
    _still_whole(seeded)
    assert seeded.get_kv("k") is None and m.exists()
    assert "the spool file can be written by its group (mode 0620)" in seeded.problems[0]


def test_a_spool_that_is_a_symbolic_link_is_not_followed(tmp_path, seeded):
    elsewhere = tmp_path / "elsewhere"
    _plant(elsewhere, {"id": SID, "writer": "statement", "args": {"name": "kv.set", "params": ["k", "v"]}})
    _spool(seeded.path).symlink_to(elsewhere)
    _still_whole(seeded)
    assert seeded.get_kv("k") is None and (elsewhere / f"{SID}.json").exists()
    assert "is a symbolic link" in seeded.problems[0]


def test_manifest_and_data_links_are_never_followed(tmp_path, seeded):
    spool = _spool(seeded.path)
    victim = tmp_path / "victim.parquet"
    pl.DataFrame({"key": ["x"], "value": ["y"]}).write_parquet(victim)
    target = tmp_path / "target.json"
    target.write_text(json.dumps({"id": SID, "writer": "statement", "args": {"name": "kv.set", "params": ["k", "v"]}}))
    spool.mkdir(mode=0o700)
    (spool / f"{SID}.json").symlink_to(target)
    other = "00000000000000000002-1-0000beef"
    _plant(spool, {"id": other, "writer": "append", "args": {"table": "kv"}, "data": f"{other}.parquet"})
    (spool / f"{other}.parquet").symlink_to(victim)
    _still_whole(seeded)
    assert seeded.get_kv("k") is None and seeded.get_kv("x") is None
    assert target.exists() and victim.exists()  # neither removed through the link
    assert sum("a symbolic link in the spool (never followed)" in p for p in seeded.problems) == 2


@pytest.mark.parametrize(
    "data",
    ["../victim.txt", "/etc/passwd", "sub/x.parquet", "..", "00000000000000000009-1-0000abcd.parquet"],
)
def test_a_data_name_other_than_the_stores_own_is_set_aside(tmp_path, seeded, data):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    m = _plant(_spool(seeded.path), {"id": SID, "writer": "append", "args": {"table": "kv"}, "data": data})
    _still_whole(seeded)
    assert victim.read_text() == "precious"
    assert not m.exists() and m.with_suffix(".bad").exists()
    assert "is not 00000000000000000001-1-0000beef.parquet, the only name the store gives it" in seeded.problems[0]


@pytest.mark.parametrize("sid", ["../x", "00000000000000000001-1-x", "1-1-0000beef"])
def test_an_id_of_another_shape_is_set_aside(seeded, sid):
    m = _plant(_spool(seeded.path), {"id": sid, "writer": "statement", "args": {}}, name=f"{SID}.json")
    _still_whole(seeded)
    assert m.with_suffix(".bad").exists()
    assert "its id is not of the shape the store writes" in seeded.problems[0]


def test_sql_text_an_older_lokifi_spooled_is_never_run_and_left_in_place(tmp_path, seeded):
    pwned = tmp_path / "pwned.csv"
    m = _plant(_spool(seeded.path), _copy_to(pwned))
    assert seeded.flush_spool() == 0
    _still_whole(seeded)
    assert not pwned.exists() and m.exists()
    assert seeded.problems == [
        f"{m}: a statement spooled as SQL text by an older Lokifi; it was not run and is left in place "
        "(Lokifi no longer runs SQL from the spool). Read it, apply it by hand if you wrote it, and delete it."
    ]


@pytest.mark.parametrize(
    "args", [{"name": "drop.everything", "params": []}, {"name": "kv.set", "params": ["only one"]}, {"name": "kv.set"}]
)
def test_a_statement_that_is_not_registered_as_given_is_left_in_place(seeded, args):
    m = _plant(_spool(seeded.path), {"id": SID, "writer": "statement", "args": args})
    _still_whole(seeded)
    assert m.exists() and "left in place for a Lokifi that knows it" in seeded.problems[0]


def test_an_unknown_or_misused_statement_fails_before_anything_is_spooled(seeded):
    for name, params in (("DELETE FROM kv", []), ("kv.set", ["k"]), ("kv.set", ["k", {"sql": "x"}])):
        with pytest.raises(UnknownStatement):
            seeded.execute_named(name, params)
    with pytest.raises(UnknownWriter):
        seeded.submit("sql", None, sql="SELECT 1")
    assert seeded.spooled() == 0


@contextlib.contextmanager
def _busy(db: Path):
    """The database held by another session: its session lock taken (a separate open file, so flock
    refuses this process's own sessions as it would another process's)."""
    fd = os.open(db.with_name(db.name + ".lock"), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        os.close(fd)


def test_a_busy_write_is_spooled_private_and_applied_once_by_the_next_writer(tmp_path, seeded):
    s = Store(seeded.path, write_timeout=0.05, read_timeout=0.05)
    with _busy(s.path):
        assert s.execute_named("kv.set", ["named", "later"]) is False
        assert s.submit("append", pl.DataFrame({"key": ["framed"], "value": ["later"]}), table="kv") is False
        with pytest.raises(StoreBusy):
            s.execute("INSERT INTO kv (key, value) VALUES ('raw', 'sql')")
    spool = _spool(s.path)
    assert stat.S_IMODE(spool.stat().st_mode) == 0o700
    files = sorted(spool.iterdir())
    assert [p.suffix for p in files] == [".json", ".json", ".parquet"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert not any("SELECT" in p.read_text() or "INSERT" in p.read_text() for p in files if p.suffix == ".json")
    _still_whole(seeded)
    assert s.spooled() == 0 and s.get_kv("named") == "later" and s.get_kv("framed") == "later"
    assert s.get_kv("raw") is None and not seeded.problems


def test_a_busy_write_is_not_spooled_into_a_spool_others_can_write(seeded):
    spool = _spool(seeded.path)
    spool.mkdir(mode=0o777)
    os.chmod(spool, 0o777)  # noqa: S103 - the unsafe spool under test
    s = Store(seeded.path, write_timeout=0.05)
    with _busy(s.path), pytest.raises(StoreBusy, match=r"not spooled either \(.*can be written by its group"):
        s.set_kv("secret", "line")
    assert list(spool.iterdir()) == []


def test_an_own_spool_an_older_lokifi_made_0755_is_applied_and_made_0700(seeded):
    spool = _spool(seeded.path)
    m = _plant(spool, KV_SET, mode=0o755)
    os.chmod(m, 0o644)
    _still_whole(seeded)
    assert seeded.get_kv("k") == "v" and not m.exists() and not seeded.problems
    s = Store(seeded.path, write_timeout=0.05)
    with _busy(s.path):
        s.set_kv("k2", "v2")
    assert stat.S_IMODE(spool.stat().st_mode) == 0o700


@as_root
def test_the_reviews_repro_as_a_command_prints_the_refusal_and_no_traceback(shared):
    db = shared / "l.duckdb"
    pwned = shared.parent / "PWNED_BY_SPOOL.csv"
    planted = json.dumps(_copy_to(pwned))
    script = f"mkdir -m777 {_spool(db)} && printf '%s' '{planted}' > {_spool(db)}/{SID}.json"
    subprocess.run(["sh", "-c", script], user=NOBODY, group=NOBODY, extra_groups=[], check=True)
    from analytics.store import trusted

    run_cli = (
        "import sys; from pathlib import Path; from analytics.store import trusted; "
        "trusted._SYSCTL = Path(sys.argv.pop(1)); from lokifi_tui.cli.main import main; main()"
    )
    r = subprocess.run(
        [sys.executable, "-c", run_cli, str(trusted._SYSCTL), "--db", str(db), "error", "record", "boom", "-c", "x"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "Recorded in x" in r.stdout
    assert f"{_spool(db)}: the spool directory belongs to uid 65534 (nobody)" in r.stderr
    assert "Its batches were not applied" in r.stderr and "Traceback" not in r.stderr
    assert not pwned.exists() and (_spool(db) / f"{SID}.json").exists()
    assert Store(db).scalar("SELECT count(*) FROM error_events WHERE message = 'boom'") == 1


def _plant_frame(db: Path, df: pl.DataFrame, writer: str, **args) -> Path:
    spool = _spool(db)
    m = _plant(spool, {"id": SID, "writer": writer, "args": args, "data": f"{SID}.parquet"})
    df.write_parquet(spool / f"{SID}.parquet")
    return m


@pytest.mark.parametrize(
    "table, columns",
    [
        ("kv\" (key) SELECT 1; COPY (SELECT 42) TO '{pwned}'; --", ["key"]),
        ("kv", ["key\") SELECT 1; COPY (SELECT 42) TO '{pwned}'; --"]),
    ],
)
def test_names_in_a_spooled_batch_are_only_ever_names(tmp_path, seeded, table, columns):
    """Even from our own spool, a table or column name is quoted: never more SQL."""
    pwned = tmp_path / "pwned.csv"
    frame = pl.DataFrame({c.format(pwned=pwned): ["x"] for c in columns})
    m = _plant_frame(seeded.path, frame, "append", table=table.format(pwned=pwned))
    _still_whole(seeded)
    assert not pwned.exists()
    assert m.with_suffix(".bad").exists() and "cannot be applied" in seeded.problems[0]


def test_forecast_runs_and_cache_rows_from_a_spool_quote_their_keys(tmp_path, seeded):
    pwned = tmp_path / "pwned.csv"
    copy = f"COPY (SELECT 42) TO '{pwned}'; --"
    evil = f"model) VALUES ('h', 'c', 'm', TIMESTAMP '2026-01-01 00:00:00', NULL, NULL); {copy}"
    run = {"host": "h", "component": "c", "metric": "m", "made_at": "2026-01-01T00:00:00", "last_hour": None, evil: 1}
    _plant(_spool(seeded.path), {"id": SID, "writer": "forecasts", "args": {"runs": [run], "predictions": []}})
    other = "00000000000000000002-1-0000beef"
    cache = {"input_hash": "h", f"log_sample) VALUES ('h', 'x'); {copy}": 1}
    _plant(_spool(seeded.path), {"id": other, "writer": "rca-outcome", "args": {"cache_row": cache}})
    _still_whole(seeded)
    assert not pwned.exists()
    assert len(seeded.problems) == 2 and all("cannot be applied" in p for p in seeded.problems)


def test_a_batch_that_can_never_apply_is_set_aside_not_retried_by_every_write(seeded):
    m = _plant_frame(seeded.path, pl.DataFrame({"key": ["kept"], "value": ["again"]}), "append", table="kv")
    _still_whole(seeded)  # key 'kept' is already stored: the batch breaks kv's primary key
    assert m.with_suffix(".bad").exists() and "cannot be applied (Constraint Error" in seeded.problems[0]
    assert seeded.get_kv("kept") == "yes"


def test_a_data_file_that_is_not_parquet_is_set_aside(seeded):
    m = _plant(_spool(seeded.path), {"id": SID, "writer": "append", "args": {"table": "kv"}, "data": f"{SID}.parquet"})
    (_spool(seeded.path) / f"{SID}.parquet").write_bytes(b"not parquet")
    _still_whole(seeded)
    assert m.with_suffix(".bad").exists() and "not a readable Parquet file" in seeded.problems[0]
