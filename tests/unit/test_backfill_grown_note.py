"""A second backfill of a log that grew since the first says who reads what it grew by.

Backfill reads a log up to where live tailing starts; what the file grows by afterwards is the
collector's. On a server with no collector running yet, a second `lokifi backfill` after new errors were
written must not say "nothing new" as if they went unseen: it says how many lines wait and which command
reads them."""

from __future__ import annotations

import json

from click.testing import CliRunner
from collect_support import backfill_one_log

from lokifi_tui.cli.main import cli as lokifi

ERR = '2026-12-06 22:11:{s:02d}.935 UTC [17775] postgres@postgres ERROR:  relation "t{s}" does not exist\n'


def again(tmp_path, cfg) -> dict:
    db = tmp_path / "l.duckdb"
    r = CliRunner().invoke(lokifi, ["--db", str(db), "--config", str(cfg), "backfill", "--no-engines", "--json"])
    assert r.exit_code == 0, r.output
    (f,) = json.loads(r.output)["files"]
    return f


def test_lines_written_after_a_backfill_are_said_to_wait_for_the_collector(tmp_path):
    log = tmp_path / "pg.log"
    log.write_text(ERR.format(s=1))
    first, cfg = backfill_one_log(tmp_path, "postgres", log)
    assert first["events"] == 1
    assert again(tmp_path, cfg)["note"] == "nothing new"
    with log.open("a") as f:
        f.write(ERR.format(s=2) + ERR.format(s=3))
    note = again(tmp_path, cfg)["note"]
    assert note.startswith("nothing new for backfill: the 2 lines after where live tailing reads from")
    assert "`lokifi collect` reads them" in note
