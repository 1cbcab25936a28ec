"""`lokifi patterns group FILE...`: the files' lines, one after the other, as if they came on stdin; with
--learn each file's lines under its own name and with its own times. Through click, on a real DuckDB file."""

from __future__ import annotations

import datetime as dt
import gzip

from click.testing import CliRunner

from analytics.store.database import Store
from lokifi_tui.cli.main import cli

A = "2026-11-01T10:00:00Z ERROR disk /dev/sda1 full\nConnection refused to 10.0.0.1\n"
B = "Connection refused to 10.0.0.9\nworker 7 restarted\n"  # no time of its own: never a.log's


def run(db, *args, input=None):
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=input, catch_exceptions=False)


def _files(tmp_path):
    a, b = tmp_path / "a.log", tmp_path / "b.log.1.gz"
    a.write_text(A)
    b.write_bytes(gzip.compress(B.encode()))  # a rotated, compressed log is read by its content
    return a, b


def test_the_files_print_the_ids_their_lines_print_on_stdin(tmp_path):
    a, b = _files(tmp_path)
    db = tmp_path / "x.duckdb"
    for raw in ([], ["--raw"]):
        from_files = run(db, "patterns", "group", *raw, str(a), str(b))
        from_stdin = run(db, "patterns", "group", *raw, input=A + B)
        assert from_files.exit_code == 0, from_files.output
        assert from_files.output == from_stdin.output and len(from_files.output.splitlines()) == 4
        templates = run(db, "patterns", "group", *raw, "--templates", str(a), "-", input=B).output.splitlines()
        assert templates == run(db, "patterns", "group", *raw, "--templates", input=A + B).output.splitlines()
    assert not db.exists()  # nothing written without --learn


def test_learning_files_stores_each_under_its_name_with_its_own_times(migrated, tmp_path):
    a, b = _files(tmp_path)
    db = migrated(tmp_path / "x.duckdb").path
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    r = run(db, "patterns", "group", "--raw", "--learn", str(a), str(b))
    assert r.exit_code == 0, r.output
    rows = Store(db).query("SELECT component, ts, message FROM error_events ORDER BY component, message").rows()
    assert [(c, m) for c, _, m in rows] == [
        ("a.log", A.splitlines()[0]),
        ("a.log", A.splitlines()[1]),
        ("b.log.1.gz", B.splitlines()[0]),
        ("b.log.1.gz", B.splitlines()[1]),
    ]
    assert rows[0][1] == rows[1][1] == dt.datetime(2026, 11, 1, 10)  # the untimed line takes its file's time
    assert all(ts >= before for _, ts, _ in rows[2:])  # b.log's lines: none of a.log's time, so now
    r = run(db, "patterns", "group", "--learn", "--component", "api", str(a))
    assert r.exit_code == 0, r.output
    assert Store(db).query("SELECT count(*) FROM error_events WHERE component = 'api'").rows() == [(2,)]


def test_a_missing_file_stores_nothing_and_says_which(migrated, tmp_path):
    a, _ = _files(tmp_path)
    db = migrated(tmp_path / "x.duckdb").path
    for learn in ([], ["--learn"]):
        r = run(db, "patterns", "group", *learn, str(a), str(tmp_path / "gone.log"))
        assert r.exit_code == 3 and f"{tmp_path / 'gone.log'}: no such file" in r.output
    assert Store(db).query("SELECT count(*) FROM error_events").rows() == [(0,)]
