"""A ``--db`` that names no database, as a user mistypes it: every command that needs what is already
stored refuses it (exit 2, the path named, the commands that make a database suggested) and creates
nothing; the commands that store new data still create it.

``lokifi --db ~/lokfi.duckdb patterns list`` made an 800 KB empty database at the misspelt path and said
"no patterns learned yet", which reads as the truth about the real one."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner
from repo_paths import ROOT

from lokifi_tui.cli.main import cli

#: every command that needs what is stored -> the arguments that would otherwise run it
NEEDS_STORED: dict[str, list[str]] = {
    "db info": [],
    "db series": [],
    "db export": ["api", "response_time_ms"],
    "db prune": ["--yes"],
    "db vacuum": ["--yes"],
    "patterns list": [],
    "patterns show": ["abc123"],
    "patterns mute": ["abc123"],
    "patterns unmute": ["abc123"],
    "recs list": [],
    "recs apply": ["1"],
    "recs dismiss": ["1"],
    "recs snooze": ["1", "--for", "1h"],
    "recs undo": ["1"],
    "recs history": ["1"],
    "recs learning": [],
    "recs reset-learning": [],
    "ai learn": [],
    "ai status": ["--no-check"],
    "ai analyze": ["abc123"],
    "ai preview": ["abc123"],
    "ai cache stats": [],
    "ai cache clean": [],
    "ai autofix": [],
    "ai predict": [],
    "ai forecast": [],
    "fix suggest": ["connection refused"],
    "fix record": ["abc123", "--worked"],
    "baselines": [],
    "status": [],
    "sources status": [],
    "sources hosts": [],
}
#: the commands that store new data: they create the database where --db points
STORES_NEW = {
    "ai init",
    "ai recommendations",  # without --no-refresh: runs the rules and stores what they find
    "backfill",
    "collect",
    "db flush-spool",
    "demo",
    "error record",
    "ingest",
    "patterns group",  # with --learn
    "scan",
    "sources pull",
}
#: the commands that never open the database
NO_STORE = {
    "anomalies detect",
    "clean logs",
    "clean temp",
    "config check",
    "config init",
    "config show",
    "forecast series",
    "locate",
    "patterns scan",
    "sources list",
    "sources test",
}


def _leaves(cmd: click.Command, ctx: click.Context, path: list[str]) -> list[str]:
    if not isinstance(cmd, click.Group):
        return [" ".join(path)]
    out = []
    for name in cmd.list_commands(ctx):
        sub = cmd.get_command(ctx, name)
        assert sub is not None
        out += _leaves(sub, click.Context(sub, parent=ctx, info_name=name), [*path, name])
    return out


def test_every_command_is_classified():
    """A new command must say whether it needs what is stored (then it is run below) or stores new data."""
    leaves = set(_leaves(cli, click.Context(cli, info_name="lokifi"), []))
    classified = set(NEEDS_STORED) | STORES_NEW | NO_STORE
    assert leaves == classified, leaves ^ classified
    assert not (set(NEEDS_STORED) & STORES_NEW) and not (set(NEEDS_STORED) & NO_STORE) and not (STORES_NEW & NO_STORE)


@pytest.mark.parametrize("name", [*NEEDS_STORED, "ai recommendations --no-refresh"])
def test_a_command_that_needs_the_stored_data_refuses_a_mistyped_db(tmp_path, name):
    typo = tmp_path / "lokfi.duckdb"
    r = CliRunner().invoke(cli, ["--db", str(typo), *name.split(), *NEEDS_STORED.get(name, [])])
    assert r.exit_code == 2, r.output
    assert f"{typo}: no database there" in r.output and "check --db" in r.output, r.output
    assert "`lokifi ai init`" in r.output and "`lokifi collect`" in r.output
    assert os.listdir(tmp_path) == [], os.listdir(tmp_path)


def test_a_host_or_component_filter_refuses_a_mistyped_db_before_the_command(tmp_path):
    typo = tmp_path / "lokfi.duckdb"
    for args in (["baselines", "--host", "h1"], ["ai", "predict", "--component", "api"], ["status", "--host", "h1"]):
        r = CliRunner().invoke(cli, ["--db", str(typo), *args])
        assert r.exit_code == 2 and "no database there" in r.output, (args, r.output)
    assert os.listdir(tmp_path) == []


def test_lokifi_db_in_the_environment_is_checked_the_same(tmp_path, monkeypatch):
    monkeypatch.setenv("LOKIFI_DB", str(tmp_path / "typo.duckdb"))
    r = CliRunner().invoke(cli, ["patterns", "list"])
    assert r.exit_code == 2 and "typo.duckdb: no database there" in r.output, r.output
    assert os.listdir(tmp_path) == []


def test_the_database_the_typo_meant_is_named(migrated, tmp_path):

    migrated(tmp_path / "lokifi.duckdb")  # a real database beside the typo
    (tmp_path / "lokifi.duckdbx").write_text("not a database")  # closer in name, but no database
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "lokfi.duckdb"), "db", "info"])
    assert r.exit_code == 2 and f"did you mean {tmp_path / 'lokifi.duckdb'}?" in r.output, r.output
    assert not (tmp_path / "lokfi.duckdb").exists()
    r = CliRunner().invoke(cli, ["--db", str(tmp_path / "elsewhere.duckdb"), "db", "info"])
    assert r.exit_code == 2 and "did you mean" not in r.output, r.output


def test_a_command_that_stores_new_data_still_creates_the_database(tmp_path):
    new = tmp_path / "new.duckdb"
    r = CliRunner().invoke(cli, ["--db", str(new), "error", "record", "disk full", "--component", "api"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["--db", str(new), "patterns", "list", "--json"])
    assert r.exit_code == 0 and len(json.loads(r.output)) == 1, r.output


@pytest.mark.parametrize(
    "args",
    [["recs", "list"], ["ai", "learn", "--json"], ["status", "--json"], ["db", "info"]],
    ids=" ".join,
)
def test_the_executable_refuses_too(tmp_path, args):
    """The `lokifi` executable answers `recs list` and `ai learn` without click, and opens the store of
    `status` while the command line loads: neither way creates the mistyped database."""
    code = "import sys; sys.argv = ['lokifi', *sys.argv[1:]]; from lokifi_tui.cli.entry import run; run()"
    typo = tmp_path / "lokfi.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run(
        [sys.executable, "-c", code, "--db", str(typo), *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert r.returncode == 2 and f"{typo}: no database there" in r.stderr, r.stderr
    assert r.stdout == "" and os.listdir(tmp_path) == []


def test_the_executable_refuses_a_directory_that_does_not_exist_for_the_quick_commands_too(tmp_path):
    """`recs list` and `ai learn` are answered without click: they made the directories, a database and its
    lock where a mistyped --db pointed, although click's commands refused it."""
    code = "import sys; sys.argv = ['lokifi', *sys.argv[1:]]; from lokifi_tui.cli.entry import run; run()"
    typo = tmp_path / "typo" / "lokifi.duckdb"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for args in (["recs", "list"], ["ai", "learn"]):
        r = subprocess.run(
            [sys.executable, "-c", code, "--db", str(typo), *args], capture_output=True, text=True, env=env, timeout=120
        )
        assert r.returncode == 2 and f"the directory {typo.parent} does not exist" in r.stderr, r.stderr
    assert os.listdir(tmp_path) == []
