"""A log followed from its end starts at the end it had when its source started — not at the end it has
at the first poll. A collector reloaded to follow a new log said "sources restarted: tail", a line was
written, and the first poll (later, on a loaded machine) opened the file after that line: it was never
read (seen in CI as a flaky test_collect_running_reload)."""

from __future__ import annotations

import datetime as dt

from analytics.sources.tail import LogSpec, TailSource

NOW = dt.datetime(2026, 12, 7, 11, 40)


def _messages(src: TailSource) -> list[str]:
    return [e["message"] for b in src.poll(NOW, final=True) for e in b.events]


def test_a_line_written_between_the_start_and_the_first_poll_is_read(tmp_path):
    log = tmp_path / "web.log"
    log.write_text("ERROR web: from before the start\n")
    src = TailSource([LogSpec("web", str(log))], "h1", quiet=0.0)
    src.start({})
    with open(log, "a") as fh:
        fh.write("ERROR web: upstream timed out\n")
    try:
        assert _messages(src) == ["ERROR web: upstream timed out"]
    finally:
        src.close()


def test_a_file_with_a_stored_position_or_none_yet_is_read_as_before(tmp_path):
    """From its stored position (what was written while stopped is read); and a file that does not exist
    at the start is read whole when it appears — also when it appears before the first poll (it was then
    opened at its end, and its first lines skipped)."""
    log, later = tmp_path / "api.log", tmp_path / "later.log"
    log.write_text("ERROR api: one\n")
    first = TailSource([LogSpec("api", str(log))], "h1", quiet=0.0)
    first.start({})
    batches = first.poll(NOW, final=True)
    first.close()
    assert [e for b in batches for e in b.events] == []
    stored = {k: v for b in batches for k, v in b.checkpoints.items()}
    assert list(stored) == [str(log)]
    with open(log, "a") as fh:
        fh.write("ERROR api: written while stopped\n")
    src = TailSource([LogSpec("api", str(log)), LogSpec("later", str(later))], "h1", quiet=0.0)
    src.start(stored)
    later.write_text("ERROR later: its first line\n")
    try:
        assert sorted(_messages(src)) == ["ERROR api: written while stopped", "ERROR later: its first line"]
    finally:
        src.close()
