"""The ``lokifi`` executable's bare-dashboard path: it parses the root's options exactly as click does,
hands everything else to click, and never imports click on its way to the dashboard."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import given, strategies as st

from lokifi_tui.cli.entry import DASHBOARD_OPTIONS, dashboard_args
from lokifi_tui.cli.main import cli


def _click_root_options() -> dict[str, tuple[str, str | None]]:
    out = {}
    for param in cli.params:
        if isinstance(param, click.Option) and not param.is_flag and param.name:
            for flag in param.opts:
                out[flag] = (param.name, param.envvar)
    return out


def test_the_fast_path_knows_exactly_the_roots_options():
    assert _click_root_options() == DASHBOARD_OPTIONS


def _click_values(argv: list[str]) -> dict[str, object]:
    ctx = cli.make_context("lokifi", list(argv), resilient_parsing=False)
    return {name: ctx.params[name] for name, _ in DASHBOARD_OPTIONS.values()}


values = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=12).filter(
    lambda v: not v.startswith("-")
)
option = st.tuples(st.sampled_from(sorted(DASHBOARD_OPTIONS)), values, st.booleans())


@given(st.lists(option, max_size=5))
def test_dashboard_options_parse_as_click_parses_them(options):
    argv: list[str] = []
    for flag, value, joined in options:
        if flag == "--refresh":
            value = str(len(value) / 4)
        argv += [f"{flag}={value}"] if joined else [flag, value]
    env = {k: v for k, v in os.environ.items() if k not in ("LOKIFI_DB", "LOKIFI_CONFIG")}
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(env)
        parsed = dashboard_args(argv)
        if parsed is None:  # a refresh under the least interval (len 1 gives 0.25): click says why
            with pytest.raises(click.UsageError):
                _click_values(argv)
        else:
            assert parsed == _click_values(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_environment_variables_fill_absent_options(monkeypatch):
    monkeypatch.setenv("LOKIFI_DB", "/x/from-env.duckdb")
    monkeypatch.setenv("LOKIFI_CONFIG", "")
    assert dashboard_args([]) == {"db": "/x/from-env.duckdb", "config": None, "refresh": None, "theme": None}
    assert dashboard_args(["--db", "/y.duckdb"])["db"] == "/y.duckdb"
    assert dashboard_args([]) == _click_values([])


@pytest.mark.parametrize(
    "argv",
    [
        ["demo"],
        ["--help"],
        ["-h"],
        ["--version"],
        ["--db"],
        ["--db", "--theme", "x"],
        ["--refresh", "soon"],
        ["--db", "x", "status"],
        ["--dbx", "1"],
        ["--", "x"],
        ["--theme=dark", "extra"],
    ],
)
def test_anything_else_goes_to_click(argv):
    assert dashboard_args(argv) is None


def test_the_dashboards_way_in_imports_no_click():
    code = (
        "import sys; import lokifi_tui.cli.entry, lokifi_tui.cli.context, lokifi_tui.cli.dashboard, "
        "lokifi_tui.app; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('click', 'duckdb', 'polars', 'psutil', 'openai')); print(bad); sys.exit(1 if bad else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def _empty_store(migrated, path: Path) -> str:
    """An empty database at ``path`` (a --db must name an existing one), as a string for argv."""
    return str(migrated(path).path)


def test_commands_still_run_through_the_executable(migrated, tmp_path):
    env = {**os.environ, "LOKIFI_HOME": str(tmp_path)}
    code = (
        "import sys; sys.argv = ['lokifi', '--db', sys.argv[1], 'status', '--json']; "
        "from lokifi_tui.cli.entry import main; main()"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, _empty_store(migrated, tmp_path / "s.duckdb")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert '"database"' in r.stdout or '"db"' in r.stdout


@pytest.mark.parametrize(
    "argv, word",
    [
        (["status", "--json"], "status"),
        (["--db", "status", "recs", "list"], "recs"),  # an option's value is not the command
        (["--db=x.duckdb", "--refresh", "2", "status"], "status"),
        (["--version"], None),
        ([], None),
    ],
)
def test_command_word_skips_root_options_and_their_values(argv, word):
    from lokifi_tui.cli.entry import command_word

    assert command_word(argv) == word


def test_status_cpu_window_starts_in_the_executable(migrated, tmp_path, monkeypatch, capsys):
    """`lokifi status` takes its first host CPU reading before click is imported, and status measures the
    host's CPU from that reading (once: a later status in the same process reads its own)."""
    from lokifi_tui.cli import entry, status

    taken, starts = [], []
    take = entry.take_status_cpu_reading
    monkeypatch.setattr(entry, "take_status_cpu_reading", lambda: taken.append(take()) or taken[-1])
    without = status._without_own_cpu
    monkeypatch.setattr(status, "_without_own_cpu", lambda snap, a, b: starts.append(a) or without(snap, a, b))
    monkeypatch.setattr(
        sys, "argv", ["lokifi", "--db", _empty_store(migrated, tmp_path / "s.duckdb"), "status", "--json"]
    )
    monkeypatch.setattr(entry, "_resume_collection_later", lambda: None)  # no timer left in pytest's process
    try:
        entry.main()
    finally:
        gc.enable()  # the executable holds collection off for a while; this process is pytest's
    assert '"cpu_percent"' in capsys.readouterr().out
    assert taken[0] is not None and starts == [taken[0][1]]
    assert entry.take_status_cpu_reading() is None


@pytest.mark.slow
def test_a_command_holds_collection_off_only_for_a_while(tmp_path):
    """A command run by the executable starts without cyclic collection (a cold read command answers
    before it would free anything) and gets it back after COMMAND_GC_HOLD seconds (a long one needs it)."""
    code = (
        "import gc, sys, time\n"
        "from lokifi_tui.cli import entry\n"
        "sys.argv = ['lokifi', '--db', sys.argv[1], 'locate', '--json']\n"
        "entry.main()\n"
        "print('after the command:', gc.isenabled())\n"
        "time.sleep(entry.COMMAND_GC_HOLD + 0.5)\n"
        "print('later:', gc.isenabled())\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "s.duckdb")],
        capture_output=True,
        text=True,
        env={**os.environ, "LOKIFI_HOME": str(tmp_path)},
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "after the command: False" in r.stdout and "later: True" in r.stdout, r.stdout


def test_a_built_demo_opens_without_click(tmp_path, monkeypatch):
    """`lokifi demo` on a built demo opens the dashboard as click's `demo` does (its database, its config,
    demo mode), without importing click; before the demo is built it goes to click, which builds it."""
    from analytics.config.paths import demo_config_path, demo_db_path
    from lokifi_tui.cli.entry import _built_demo

    monkeypatch.setenv("LOKIFI_HOME", str(tmp_path))
    monkeypatch.delenv("LOKIFI_DB", raising=False)
    monkeypatch.delenv("LOKIFI_CONFIG", raising=False)
    assert _built_demo() is None  # not built yet: click's demo builds it
    db, cfg = demo_db_path(), demo_config_path(demo_db_path())
    db.parent.mkdir(parents=True, exist_ok=True)
    db.write_bytes(b"")
    assert _built_demo() is None  # no config beside it: click's demo rebuilds
    cfg.parent.mkdir(parents=True, exist_ok=True)
    cfg.write_text('[general]\nhost = "demo-web-1"\n')
    assert _built_demo() == db
    code = (
        "import sys\n"
        "import lokifi_tui.cli.dashboard as d\n"
        "d.open_dashboard = lambda g, **kw: print('OPEN', kw['db'], kw['demo'], kw['config'].host, "
        "'click' in sys.modules)\n"
        "sys.argv = ['lokifi', 'demo']\n"
        "from lokifi_tui.cli.entry import main; main()\n"
    )
    env = {**os.environ, "NO_COLOR": "1"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert f"commands on the demo: lokifi --db {db} --config {cfg}" in r.stdout
    assert f"OPEN {db} True demo-web-1 False" in r.stdout


@pytest.mark.parametrize("argv", [["status", "--json"], ["recs", "list"], ["ai", "learn"], ["--help"], ["sources"]])
def test_a_reader_that_left_ends_every_command_the_same_way(migrated, tmp_path, argv):
    """`lokifi ... | head`: the pipe is closed before the command writes; every command ends with 1 (as click,
    rich and Python's documentation have it) and says nothing more: no traceback, no second message."""
    env = {**os.environ, "LOKIFI_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    code = "import sys; sys.argv = ['lokifi', *sys.argv[1:]]; from lokifi_tui.cli.entry import run; run()"
    read, write = os.pipe()
    os.close(read)  # the reader has left
    try:
        r = subprocess.run(
            [sys.executable, "-c", code, "--db", _empty_store(migrated, tmp_path / "s.duckdb"), *argv],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "Error" not in r.stderr, r.stderr


def test_the_executable_reopens_itself_fresh_and_an_in_process_caller_never_does():
    """After building the demo (the engines loaded: ~230 MB resident), `lokifi demo` replaces its process
    by a fresh `lokifi demo` that opens the built demo (~95 MB) with the new arguments. A caller of main()
    in its own process (a test) is never replaced."""
    code = (
        "import polars  # what a build leaves loaded\n"
        "from lokifi_tui.cli import entry\n"
        "entry.reopen(['--version'])\n"
        "print('still here: not the executable', flush=True)\n"
        "entry._program = True\n"
        "entry.reopen(['--version'])\n"
        "print('not replaced')\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 2 and lines[0] == "still here: not the executable", r.stdout
    assert lines[1].startswith("lokifi, version")  # the new process answered; the old one printed no more


@pytest.mark.parametrize("value", ["0", "-1", "0.1"])
def test_a_refresh_under_half_a_second_is_refused_in_words(value):
    """--refresh 0 or less kept a core busy (the store checked in a loop); under 0.5 s it is a usage error
    on every way in, and a tiny [general] refresh_seconds is raised to it."""
    assert dashboard_args(["--refresh", value]) is None  # click decides, and says why
    r = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.main", "--refresh", value, "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "--refresh" in r.stderr and ">=0.5" in r.stderr, r.stderr
