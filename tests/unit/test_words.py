"""The product's own words: every command's help speaks of the product (no "seed", no section numbers,
no float noise), and every `lokifi ...` command that a message, a playbook or the README suggests exists."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner
from repo_paths import ROOT

from lokifi_tui.cli.main import cli

BAD = re.compile(r"\bseeds?\b|§|\d\.\d{7,}", re.IGNORECASE)


def _commands(group: click.Group, ctx: click.Context, path: tuple[str, ...] = ()):
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        if cmd is None:
            continue
        yield (*path, name), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, click.Context(cmd, parent=ctx), (*path, name))


ALL = [p for p, _ in _commands(cli, click.Context(cli))]


def test_the_command_tree_is_walked():
    assert ("ai", "predict") in ALL and ("backfill",) in ALL and ("config", "init") in ALL


@pytest.mark.parametrize("path", [(), *ALL], ids=lambda p: " ".join(p) or "lokifi")
def test_help_speaks_of_the_product(path):
    r = CliRunner().invoke(cli, [*path, "--help"], terminal_width=100)
    assert r.exit_code == 0, r.output
    found = BAD.findall(r.output)
    assert not found, f"`lokifi {' '.join(path)} --help` says {found}:\n{r.output}"


GROUPS = [(p, c) for p, c in _commands(cli, click.Context(cli)) if isinstance(c, click.Group)]


@pytest.mark.parametrize(("path", "group"), GROUPS, ids=lambda p: " ".join(p) if isinstance(p, tuple) else "")
def test_a_group_s_help_names_every_one_of_its_commands(path, group):
    """`lokifi db --help` said 'The database: info, prune (retention), vacuum.' and left out flush-spool:
    the sentence a group opens with names each of its commands."""
    first = " ".join((group.help or "").split("\n\n")[0].split())
    names = group.list_commands(click.Context(group))
    missing = [n for n in names if not re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", first)]
    assert not missing, f"`lokifi {' '.join(path)} --help` opens with {first!r}, which leaves out {missing}"


# `lokifi x y` inside backticks or after "run"/"with" in code and docs the user reads
SUGGESTION = re.compile(r"`lokifi((?: [a-z][a-z\-]*)+)")


def _suggestions() -> set[tuple[str, ...]]:
    files = [
        *(ROOT / "lokifi_tui").rglob("*.py"),
        *(ROOT / "analytics").rglob("*.py"),
        ROOT / "README.md",
        *(ROOT / "bench").glob("*.md"),
        *(ROOT / "data").glob("*.toml"),
    ]
    out = set()
    for f in files:
        for m in SUGGESTION.finditer(f.read_text(encoding="utf-8")):
            out.add(tuple(m.group(1).split()))
    for f in (ROOT / "data").glob("*.toml"):  # playbook steps name commands without backticks
        for m in re.finditer(r"\blokifi((?: [a-z][a-z\-]*)+)", f.read_text(encoding="utf-8")):
            out.add(tuple(m.group(1).split()))
    return out


def test_a_missing_command_is_caught():
    assert not _resolves(("dashboard",)) and not _resolves(("ai", "nothing"))
    assert _resolves(("patterns", "scan", "file")) and _resolves(("status",))


def _resolves(words: tuple[str, ...]) -> bool:
    """The longest prefix of ``words`` that names commands is not empty, and the word after a group is one
    of its commands (an argument after a command is fine)."""
    group: click.Command = cli
    ctx = click.Context(cli)
    for i, w in enumerate(words):
        if not isinstance(group, click.Group):
            return True  # the rest are arguments of a command
        sub = group.get_command(ctx, w)
        if sub is None:
            return i > 0 and not isinstance(group, click.Group)
        group, ctx = sub, click.Context(sub, parent=ctx)
    return True


def test_every_suggested_command_exists():
    suggestions = _suggestions()
    assert ("backfill",) in suggestions and ("config", "init") in suggestions
    missing = sorted(" ".join(s) for s in suggestions if not _resolves(s))
    assert not missing, f"messages suggest commands that do not exist: {missing}"


def _command_part(words: tuple[str, ...]) -> tuple[str, ...]:
    """The words of a suggestion that name commands (what follows the deepest command is its arguments)."""
    group: click.Command = cli
    ctx = click.Context(cli)
    out: list[str] = []
    for w in words:
        if not isinstance(group, click.Group) or (sub := group.get_command(ctx, w)) is None:
            break
        out.append(w)
        group, ctx = sub, click.Context(sub, parent=ctx)
    return tuple(out)


@pytest.mark.parametrize("words", sorted({_command_part(s) for s in _suggestions()}), ids=" ".join)
def test_every_suggested_command_runs_its_help(words):
    """Each suggested command loads (its module is imported lazily) and answers ``--help`` as itself."""
    r = CliRunner().invoke(cli, [*words, "--help"], terminal_width=100, prog_name="lokifi")
    assert r.exit_code == 0, r.output
    assert f"Usage: lokifi {' '.join(words)}".rstrip() in " ".join(r.output.split()), r.output


#: suggested commands that only read and answer at once: run for real on a new, empty home
READS = [
    ("status",),
    ("ai", "learn"),
    ("ai", "status"),
    ("ai", "cache", "stats"),
    ("recs", "list"),
    ("patterns", "list"),
    ("baselines",),
    ("db", "info"),
    ("locate",),
    ("config", "show"),
    ("config", "check"),
    ("sources", "list"),
    ("sources", "hosts"),
]


@pytest.mark.parametrize("words", READS, ids=" ".join)
def test_the_suggested_read_commands_answer_on_a_new_home(words):
    assert words in {_command_part(s) for s in _suggestions()}  # still suggested somewhere
    r = CliRunner().invoke(cli, list(words), terminal_width=100)  # the home's database, not made yet
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    assert r.exit_code == 0, r.output
    assert r.output.strip()


@pytest.mark.slow
def test_piped_output_is_not_cut_to_80_columns(tmp_path):
    """A script or a file gets whole ids and messages: no 80-column truncation when stdout is a pipe."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    db = str(tmp_path / "p.duckdb")
    msg = "ConnectionError: upstream payments-gateway refused the connection while the checkout was being confirmed"
    base = [sys.executable, "-m", "lokifi_tui.cli.main", "--db", db]
    subprocess.run(
        [*base, "error", "record", msg, "--component", "checkout"], env=env, check=True, capture_output=True, cwd=ROOT
    )
    out = subprocess.run(
        [*base, "patterns", "list"], env=env, check=True, capture_output=True, text=True, cwd=ROOT
    ).stdout
    assert "payments-gateway refused the connection while the checkout was being confirmed" in out
    assert "…" not in out and "\x1b[" not in out
