"""A spool the store refuses while the dashboard writes is shown in the dashboard, once, in the words a
command prints on stderr (under Textual stderr is held until the app ends)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from tui_support import NOW, first_read_shown, fixed_vitals, wait_until

from lokifi_tui.app import LokifiApp
from lokifi_tui.widgets.safe import clean

pytestmark = pytest.mark.anyio

SID = "00000000000000000001-1-0000beef"


def _group_writable_spool(db) -> None:
    """A spool as an older Lokifi made it under umask 002: refused until it is made private."""
    spool = db.with_name(db.name + ".spool")
    spool.mkdir()
    os.chmod(spool, 0o775)  # noqa: S103 - the refused spool under test
    manifest = spool / f"{SID}.json"
    manifest.write_text(
        json.dumps({"id": SID, "writer": "statement", "args": {"name": "kv.set", "params": ["k", "v"]}})
    )
    os.chmod(manifest, 0o664)


def _toasts(app, text: str) -> list[str]:
    """The toasts on screen that show ``text`` (under their title), as the dashboard cleans it."""
    shown = [toast.render().plain for toast in app.screen.query("Toast")]
    return [s for s in shown if s == f"Database\n{clean(text, single_line=False)}"]


async def test_a_refused_spool_is_shown_once_with_the_commands_words(seeded):
    _group_writable_spool(seeded.path)
    cli = subprocess.run(
        [sys.executable, "-m", "lokifi_tui.cli.entry", "--db", str(seeded.path), "db", "flush-spool"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert cli.returncode == 3
    [said] = cli.stderr.splitlines()  # the command's words: the dashboard shows the same
    assert clean(said, single_line=False) == said  # nothing in them the dashboard would change
    assert "the spool directory can be written by its group (mode 0775)" in said and "chmod -R go-w" in said

    app = LokifiApp(seeded.path, vitals=fixed_vitals, collect=False, now=NOW, refresh=0.3)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await first_read_shown(pilot)
        assert not _toasts(app, said)  # a read applies nothing, refuses nothing
        await pilot.press("tab", "tab", "d")  # dismiss a recommendation: a write, which drains the spool first
        await wait_until(pilot, lambda: _toasts(app, said), what="the refusal shown")
        [note] = [n for n in app._notifications if n.message == clean(said, single_line=False)]
        assert note.severity == "warning" and note.timeout == 20
        rows = app.dashboard.box("recommendations").table
        await wait_until(pilot, lambda: len(rows.row_keys) == 2 and not app.workers, what="the first dismissal")
        await pilot.press("d")  # another write meets the same refusal: not shown again
        await wait_until(pilot, lambda: len(rows.row_keys) == 1 and not app.workers, what="the second dismissal")
        await pilot.pause()
        assert len(_toasts(app, said)) == 1 and app.store.problems == [said]
        assert sum(n.message == clean(said, single_line=False) for n in app._notifications) == 1
    assert app.store.get_kv("k") is None
