"""`lokifi ai learn` and `lokifi recs list` answered without click (lokifi_tui/cli/quick.py): the quick way
takes exactly the invocations click would read the same way, runs the same code, and prints the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from repo_paths import ROOT

from lokifi_tui.cli import learning_report, quick, rec_rows, recs
from lokifi_tui.cli.main import cli

TOKENS = [
    "ai",
    "learn",
    "recs",
    "list",
    "status",
    "--json",
    "--all",
    "--help",
    "-h",
    "--host",
    "h1",
    "--db",
    "a.duckdb",
    "--db=b.duckdb",
    "--config",
    "c.toml",
    "--refresh",
    "2",
    "--refresh=x",
    "--theme",
    "dark",
    "--bogus",
    "-",
]


def _recorder(monkeypatch) -> list[tuple]:
    """Both ways end in show_learning / list_open: record what they are given instead of reading."""
    calls: list[tuple] = []

    def show_learning(store, config, *, as_json):
        calls.append(("learn", str(store.path), config is not None, as_json))

    def list_open(store, config, host, *, show_all, as_json):
        calls.append(("list", str(store.path), config is not None, host, show_all, as_json))

    monkeypatch.setattr(learning_report, "show_learning", show_learning)
    monkeypatch.setattr(rec_rows, "list_open", list_open)
    monkeypatch.setattr(recs, "list_open", list_open)
    return calls


ROOT_OPTIONS = [
    ["--db", "a.duckdb"],
    ["--db=b.duckdb"],
    ["--config", "c.toml"],
    ["--refresh", "2"],
    ["--theme", "dark"],
]
ROOT_OPTIONS += [["--refresh=x"], ["--db"], ["--bogus"], ["-"]]
COMMANDS = [["ai", "learn"], ["recs", "list"], ["status"], ["ai"], ["recs"], ["learn"], ["ai", "learn", "x"]]
AFTER = ["--json", "--all", "--help", "-h", "--host", "h1", "--limit", "3", "--db", "a.duckdb", "-"]
shaped = st.builds(
    lambda root, cmd, after: [t for group in root for t in group] + cmd + after,
    st.lists(st.sampled_from(ROOT_OPTIONS), max_size=3),
    st.sampled_from(COMMANDS),
    st.lists(st.sampled_from(AFTER), max_size=3),
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(shaped, st.lists(st.sampled_from(TOKENS), max_size=7)))
def test_the_quick_way_takes_only_what_click_reads_the_same(tmp_path_factory, argv):
    with pytest.MonkeyPatch.context() as mp:
        calls = _recorder(mp)
        for var in ("LOKIFI_DB", "LOKIFI_CONFIG"):
            mp.delenv(var, raising=False)
        here = tmp_path_factory.mktemp("quick")
        for name in ("a.duckdb", "b.duckdb"):  # the databases the tokens name exist (a missing one is refused)
            (here / name).touch()
        mp.chdir(here)
        run = quick.quick_command(argv)
        if run is None:
            return  # click's to answer
        run()
        fast = list(calls)
        calls.clear()
        r = CliRunner().invoke(cli, argv, prog_name="lokifi")
        assert r.exit_code == 0, (argv, r.output)
        assert calls == fast, argv


@pytest.mark.parametrize(
    "argv, taken",
    [
        (["ai", "learn"], True),
        (["--db", "x.duckdb", "ai", "learn", "--json"], True),
        (["--db=x.duckdb", "--config", "c.toml", "recs", "list", "--all", "--json"], True),
        (["recs", "list", "--json", "--all", "--json"], True),  # a flag twice: click reads it once
        (["ai", "learn", "--help"], False),
        (["recs", "list", "--host", "h1"], False),  # click checks the host against the store
        (["recs", "list", "--limit", "3"], False),
        (["ai", "learn", "extra"], False),
        (["--db", "ai", "learn"], False),  # "ai" is --db's value here, as for click
        (["--refresh", "nan", "ai", "learn"], False),
        (["status"], False),
        ([], False),
    ],
)
def test_which_invocations_are_quick(argv, taken):
    assert (quick.quick_command(argv) is not None) is taken


def _both(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """The executable's way (quick where it applies) and click's, in new processes."""
    run = "import sys; sys.argv = ['lokifi', *sys.argv[1:]]; from lokifi_tui.cli.entry import run; run()"
    click_way = "import sys; sys.argv = ['lokifi', *sys.argv[1:]]; from lokifi_tui.cli.main import main; main()"
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    out = [
        subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=full, timeout=120)
        for code in (run, click_way)
    ]
    return out[0], out[1]


@pytest.mark.slow
def test_both_ways_print_the_same(tmp_path, seeded):
    db = seeded.path
    bad = tmp_path / "bad.toml"
    bad.write_text("[patterns]\nauto_approve_min_samples = -4\nnonsense = 1\n")
    corrupt = tmp_path / "corrupt.duckdb"
    corrupt.write_bytes(b"not a database" * 100)
    cases = [
        (["--db", str(db), "ai", "learn"], {}),
        (["--db", str(db), "ai", "learn", "--json"], {}),
        (["--db", str(db), "recs", "list"], {}),
        (["--db", str(db), "recs", "list", "--all", "--json"], {}),
        (["recs", "list", "--all"], {"LOKIFI_DB": str(db)}),
        (["--db", str(db), "--config", str(bad), "ai", "learn"], {}),  # the config's problems on stderr
        (["--db", str(corrupt), "recs", "list"], {}),  # a store failure: one line, exit 4
        (["--db", str(tmp_path / "new.duckdb"), "ai", "learn", "--json"], {}),
    ]
    for args, env in cases:
        assert quick.quick_command([a for a in args if a]) is not None or env, args
        fast, slow = _both(args, env)
        assert (fast.returncode, fast.stdout, fast.stderr) == (slow.returncode, slow.stdout, slow.stderr), args
        assert fast.stdout or fast.stderr


def test_the_quick_way_leaves_click_unloaded(migrated, tmp_path):
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: sys.stderr.write('\\nCLICK=%s\\n' % ('click' in sys.modules)))\n"
        "sys.argv = ['lokifi', '--db', sys.argv[1], 'ai', 'learn', '--json']\n"
        "from lokifi_tui.cli.entry import main\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    db = Path(tmp_path) / "s.duckdb"
    migrated(db)  # an empty database (a --db naming none is refused)
    r = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    assert "CLICK=False" in r.stderr and r.stdout.strip().startswith("{")
