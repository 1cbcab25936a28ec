"""A spool an older Lokifi made under umask 002 (group-writable) is refused with the command that fixes
it, and that command, run for real by a shell, makes the next drain apply it."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import stat
import subprocess
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings, strategies as st

from analytics.store.database import Store
from analytics.store.spool_files import SpoolDir, Unsafe

SID = "00000000000000000001-1-0000beef"
FRAMED = "00000000000000000002-1-0000beef"


@contextlib.contextmanager
def _umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _older_lokifis_spool(db: Path) -> Path:
    """The spool as an older Lokifi left it under umask 002: made with the default modes (0775, 0664)."""
    spool = db.with_name(db.name + ".spool")
    with _umask(0o002):
        spool.mkdir()
        named = {"id": SID, "writer": "statement", "args": {"name": "kv.set", "params": ["k", "v"]}}
        (spool / f"{SID}.json").write_text(json.dumps(named))
        framed = {"id": FRAMED, "writer": "append", "args": {"table": "kv"}, "data": f"{FRAMED}.parquet"}
        (spool / f"{FRAMED}.json").write_text(json.dumps(framed))
        pl.DataFrame({"key": ["framed"], "value": ["too"]}).write_parquet(spool / f"{FRAMED}.parquet")
    assert stat.S_IMODE(spool.stat().st_mode) == 0o775
    assert stat.S_IMODE((spool / f"{SID}.json").stat().st_mode) == 0o664
    return spool


def _suggested(message: str) -> str:
    found = re.search(
        r"`(chmod .*)` makes it yours alone, and the next write or `lokifi db flush-spool` applies it",
        message,
        re.DOTALL,
    )
    assert found, message
    return found.group(1)


@pytest.fixture
def seeded(tmp_path):
    d = tmp_path / "it's a dir; $(touch pwned)"  # the command quotes what a shell would read otherwise
    d.mkdir()
    s = Store(d / "lokifi.duckdb")
    s.set_kv("stored before", "yes")
    return s


def test_a_group_writable_spool_is_refused_with_the_chmod_that_makes_the_next_write_apply_it(seeded):
    spool = _older_lokifis_spool(seeded.path)
    seeded.set_kv("after", "written")
    assert seeded.get_kv("k") is None and seeded.spooled() == 2
    [said] = seeded.problems
    assert said.startswith(f"{spool}: the spool directory can be written by its group (mode 0775); if Lokifi made")
    command = _suggested(said)
    assert command == f"chmod -R go-w {shlex.quote(str(spool))}"
    subprocess.run(["sh", "-c", command], check=True, cwd=seeded.path.parent.parent)
    assert not (seeded.path.parent.parent / "pwned").exists()
    assert seeded.flush_spool() == 2  # the command alone fixed it: directory and files
    assert seeded.get_kv("k") == "v" and seeded.get_kv("framed") == "too" and seeded.get_kv("stored before") == "yes"
    assert seeded.problems == [said] and seeded.spooled() == 0


def test_a_group_writable_file_in_a_private_spool_gets_the_chmod_of_that_file(seeded):
    spool = _older_lokifis_spool(seeded.path)
    os.chmod(spool, 0o700)  # a newer Lokifi spooled since, and made the directory private
    assert seeded.flush_spool() == 0
    manifest = spool / f"{SID}.json"
    said = next(p for p in seeded.problems if p.startswith(f"{manifest}:"))
    assert "the spool file can be written by its group (mode 0664)" in said
    command = _suggested(said)
    assert command == f"chmod go-w {shlex.quote(str(manifest))}"
    subprocess.run(["sh", "-c", command], check=True)
    assert seeded.flush_spool() == 1  # that file; the other batch still waits for its own chmod
    assert seeded.get_kv("k") == "v" and seeded.get_kv("framed") is None


def test_a_relative_database_path_gets_an_absolute_command(seeded, monkeypatch):
    _older_lokifis_spool(seeded.path)
    monkeypatch.chdir(seeded.path.parent)
    with pytest.raises(Unsafe) as refused:
        SpoolDir.open(Path("lokifi.duckdb.spool"))
    assert _suggested(str(refused.value)) == f"chmod -R go-w {shlex.quote(str(seeded.path) + '.spool')}"


_names = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00/"), min_size=1, max_size=40
).filter(lambda n: n not in (".", "..") and len(n.encode()) < 200)


@settings(max_examples=30, deadline=None)
@given(name=_names, mode=st.sampled_from([0o775, 0o777, 0o1777, 0o730]))
def test_whatever_the_spool_is_called_the_command_is_one_word_per_argument_and_fixes_it(name, mode):
    with tempfile.TemporaryDirectory() as top:
        spool = Path(top) / name
        spool.mkdir()
        os.chmod(spool, mode)
        with pytest.raises(Unsafe) as refused:
            SpoolDir.open(spool)
        command = _suggested(str(refused.value))
        assert shlex.split(command) == ["chmod", "-R", "go-w", str(spool)]
        subprocess.run(["sh", "-c", command], check=True, cwd=top)
        assert list(Path(top).iterdir()) == [spool]  # nothing but the spool was touched or made
        opened = SpoolDir.open(spool)
        assert opened is not None
        opened.__exit__()
