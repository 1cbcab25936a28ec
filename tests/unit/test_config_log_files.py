"""The files `lokifi config init` proposes as logs are text and not Lokifi's own: decided by what a file
holds (its first and last 4 KB) and where it lives, not by its name alone."""

from __future__ import annotations

import os
from pathlib import Path

from click.testing import CliRunner

from analytics.config.log_files import OwnFiles, holds_text, logs_in
from lokifi_tui.cli.main import cli


def test_text_is_told_from_binary_by_both_ends(tmp_path):
    text = tmp_path / "a.log"
    text.write_text("2026-03-01 12:00:00 ERROR é\n" * 1000)
    turned = tmp_path / "b.log"
    turned.write_bytes(b"started\n" * 1000 + b"\x00\x01\x02" * 2000)  # text head, binary since
    cut = tmp_path / "c.log"
    cut.write_text("é" * 5000 + "\n")  # the tail's 4 KB start inside a character
    empty = tmp_path / "d.log"
    empty.write_bytes(b"")
    assert holds_text(text) and holds_text(cut) and not holds_text(turned)
    assert not holds_text(empty) and holds_text(empty, empty_ok=True)


def test_a_log_directory_gives_its_text_logs_only(tmp_path):
    app = tmp_path / "log" / "app"
    app.mkdir(parents=True)
    (app / "app.log").write_text("GET / 200\n")
    (app / "queue.log").write_bytes(b"\x00QUEUE\x00" * 100)  # a binary file under a log's name
    (app / "new.log").write_bytes(b"")  # a log not written to yet
    assert logs_in([str(tmp_path / "log")]) == {"app": [str(app / "app.log"), str(app / "new.log")]}


def test_nothing_of_lokifis_own_is_a_log(tmp_path):
    data = Path(os.environ["LOKIFI_HOME"]) / "data"  # tests/conftest.py gives every test its own home
    data.mkdir(parents=True, exist_ok=True)
    (data / "collect.log").write_text("Lokifi's own text\n")
    assert logs_in([str(Path(os.environ["LOKIFI_HOME"]))]) == {}
    db = tmp_path / "srv" / "ops.duckdb"
    (db.parent / "ops.duckdb.spool").mkdir(parents=True)
    own = OwnFiles(db)
    assert db.with_name("ops.duckdb.wal") in own and db.parent / "ops.duckdb.spool" / "a.log" in own
    assert data / "collect.log" in own and db.parent / "app.log" not in own and db.parent not in own


def test_config_init_leaves_out_the_files_beside_the_database_it_was_given(tmp_path):
    d = tmp_path / "log" / "ops"
    d.mkdir(parents=True)
    (d / "ops.log").write_text("a service's log\n")
    (d / "store.duckdb.log").write_text("beside Lokifi's database: its own\n")
    res = CliRunner().invoke(
        cli,
        [
            "--db",
            str(d / "store.duckdb"),
            "config",
            "init",
            "--no-detect",
            "--logs",
            str(tmp_path / "log"),
            "--dry-run",
        ],
    )
    assert res.exit_code == 0, res.output
    assert f'logs = ["{d / "ops.log"}"]' in res.stdout and "store.duckdb.log" not in res.stdout
