"""Live tailing folds multi-line events as the batch scan does: a traceback written to a tailed log is one
error event named by its exception, also when it is written in parts across polls, when the collector
is killed or stopped between the parts, and when the file is rotated or truncated meanwhile — and no
event is lost or stored twice."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import traceback

import pytest
from collect_support import cli, fast_tail_config, write_config
from hypothesis import HealthCheck, given, settings, strategies as st

from analytics.patterns.line_time import line_time
from analytics.patterns.multiline import MultilineFolder, fold_multiline
from analytics.sources.tail import LogSpec, TailSource, is_error_event
from analytics.store.database import Store

NOW = dt.datetime(2026, 11, 21, 12, 0, 0)
HEAD = "2026-11-21T11:59:00Z ERROR request 7 failed"


def append(path, data: bytes | str) -> None:
    with open(path, "ab") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def a_traceback() -> list[str]:
    """A real Python traceback (two frames), as logging writes it under the message."""

    def handler():
        return {}["user_7"]

    try:
        handler()
    except KeyError:
        return traceback.format_exc().splitlines()
    raise AssertionError


TB = a_traceback()
EVENT = f"{HEAD} | KeyError: 'user_7'"
PART1 = "".join(x + "\n" for x in [HEAD, *TB[:3]])  # the head, "Traceback ...:" and the first frame
PART2 = "".join(x + "\n" for x in TB[3:])  # the rest of the frames and the exception line


class Stored:
    """What the collector keeps of a TailSource's batches: every event, and the last checkpoint per file."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        self.checkpoints: dict[str, str] = {}

    def take(self, batches) -> list[str]:
        new = []
        for b in batches:
            self.events += b.events
            new += [e["message"] for e in b.events]
            self.checkpoints.update(b.checkpoints)
        return new

    @property
    def messages(self) -> list[str]:
        return [e["message"] for e in self.events]

    def offset(self, path) -> int:
        return json.loads(self.checkpoints[str(path)])["cur"]["offset"]


def tail(path, stored: Stored | None = None, **kw) -> TailSource:
    """A TailSource on one file, started from what ``stored`` holds (a restart) or from scratch."""
    src = TailSource([LogSpec("api", str(path))], "h1", **kw)
    src.start(dict(stored.checkpoints) if stored else {})
    return src


def opened(log, **kw) -> tuple[TailSource, Stored]:
    """A TailSource that has opened the empty ``log`` (a tail starts at the end), and what it stored."""
    log.write_text("")
    stored = Stored()
    src = tail(log, **kw)
    stored.take(src.poll(NOW))
    return src, stored


def held(src: TailSource, stored: Stored, log, writer=None) -> None:
    """Write the first part of the traceback (through ``writer``, the app's open file, if given): read,
    and held."""
    if writer is None:
        append(log, PART1)
    else:
        writer.write(PART1)
        writer.flush()
    assert stored.take(src.poll(NOW)) == []


@pytest.mark.slow
def test_a_traceback_written_in_two_parts_while_polled_is_one_event(tmp_path):
    """A writer process logs an exception in two writes, 0.3 s apart, while the source polls every 50 ms."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # the writer stamps its lines with the real time
    log = tmp_path / "app.log"
    src, stored = opened(log, quiet=2.0)
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent("""
        import logging, sys, time

        class TwoParts(logging.FileHandler):
            def emit(self, record):  # a traceback still being written: the rest comes 0.3 s later
                msg = self.format(record) + self.terminator
                cut = msg.index("\\n", msg.index("File")) + 1 if "File" in msg else len(msg)
                self.stream.write(msg[:cut]); self.stream.flush()
                time.sleep(0.3)
                self.stream.write(msg[cut:]); self.stream.flush()

        h = TwoParts(sys.argv[1])
        h.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log = logging.getLogger("w"); log.addHandler(h); log.propagate = False
        log.error("before")
        try:
            {}["user_7"]
        except KeyError:
            log.exception("request 7 failed")
        """),
            str(log),
        ]
    )
    split_seen = False
    while writer.poll() is None:
        text = log.read_text()
        stored.take(src.poll(now))
        split_seen |= "Traceback" in text and "KeyError" not in text
        time.sleep(0.05)
    stored.take(src.poll(now))
    assert split_seen  # a poll read the first part alone
    assert [m.split(" ERROR ", 1)[1] for m in stored.messages] == ["before"]  # the traceback is held
    lines = log.read_text().splitlines()
    assert stored.offset(log) == len((lines[0] + "\n").encode())  # the checkpoint waits at its first line
    time.sleep(2.1)  # no new line for the quiet period: the held event is finished
    stored.take(src.poll(now))
    msgs = [m.split(" ERROR ", 1)[1] for m in stored.messages]
    assert msgs == ["before", "request 7 failed | KeyError: 'user_7'"]
    assert stored.events[1]["ts"] == line_time(lines[1], now)  # the time written in its first line
    assert stored.offset(log) == log.stat().st_size
    assert fold_multiline(lines)[0] == stored.messages  # what `lokifi patterns scan` makes of the file


def test_a_restart_between_the_parts_loses_nothing_and_repeats_nothing(tmp_path):
    log = tmp_path / "app.log"
    a, stored = opened(log)
    append(log, "2026-11-21T11:58:00Z ERROR before\n" + PART1)
    assert stored.take(a.poll(NOW)) == ["2026-11-21T11:58:00Z ERROR before"]
    assert stored.offset(log) == len("2026-11-21T11:58:00Z ERROR before\n")  # at the held event's first line
    a.close()  # killed: no final poll; only what was stored counts
    append(log, PART2 + "INFO after\n")
    b = tail(log, stored)
    assert stored.take(b.poll(NOW)) == [EVENT]
    assert stored.take(b.poll(NOW, final=True)) == []  # "INFO after" is no error
    assert stored.messages == ["2026-11-21T11:58:00Z ERROR before", EVENT]
    assert stored.events[1]["ts"] == dt.datetime(2026, 11, 21, 11, 59)


def test_a_clean_stop_between_the_parts_emits_what_was_read_and_loses_nothing(tmp_path):
    log = tmp_path / "app.log"
    a, stored = opened(log)
    held(a, stored, log)
    assert stored.take(a.poll(NOW, final=True)) == [HEAD]  # stopping: the event so far, not held back
    assert stored.offset(log) == log.stat().st_size
    a.close()
    append(log, PART2)
    b = tail(log, stored)
    stored.take(b.poll(NOW, final=True))
    # the rest is read once, on its own: its frames are no error, its exception line is
    assert stored.messages == [HEAD, "KeyError: 'user_7'"]


def test_a_trailing_traceback_is_emitted_after_the_quiet_period(tmp_path):
    log = tmp_path / "app.log"
    src, stored = opened(log, quiet=0.3)
    append(log, PART1 + PART2)
    assert stored.take(src.poll(NOW)) == []
    assert stored.take(src.poll(NOW)) == []  # no new line, but not quiet for long enough yet
    time.sleep(0.35)
    assert stored.take(src.poll(NOW)) == [EVENT]
    assert stored.take(src.poll(NOW)) == []
    assert stored.offset(log) == log.stat().st_size


def test_a_traceback_stamped_line_by_line_is_one_tailed_event(tmp_path):
    """A log that stamps every line (a container runtime's CRI file, pip's --log): the tail folds the
    stamped traceback into the line that logged it, named by its exception, across two polls."""
    log = tmp_path / "app.log"
    src, stored = opened(log, quiet=0.2)
    stamped = [f"2026-11-21T11:59:00.5Z stderr F {x}" for x in [HEAD.split(" ", 1)[1], *TB]]
    append(log, "".join(x + "\n" for x in stamped[:3]))
    assert stored.take(src.poll(NOW)) == []
    append(log, "".join(x + "\n" for x in stamped[3:]) + "2026-11-21T11:59:01Z stdout F served\n")
    assert stored.take(src.poll(NOW)) == [f"{stamped[0]} | KeyError: 'user_7'"]


def test_a_traceback_with_no_level_is_an_error_and_a_warning_with_one_is_not():
    assert is_error_event("request failed | ValueError: x", "request failed", "ValueError: x") == (True, "ERROR")
    assert is_error_event("ValueError: x", "Traceback (most recent call last):", "ValueError: x")[0]
    assert not is_error_event("WARN retrying | ValueError: x", "WARN retrying", "ValueError: x")[0]
    assert is_error_event("x | RuntimeError: INFO y", "x", "RuntimeError: INFO y") == (True, "ERROR")
    assert not is_error_event("GET / 200", "GET / 200", None)[0]


def test_rotation_while_an_event_is_held(tmp_path):
    log = tmp_path / "app.log"
    src, stored = opened(log)
    writer = open(log, "a")
    held(src, stored, log, writer)
    os.rename(log, tmp_path / "app.log.1")
    writer.write(PART2 + "INFO after\n")  # the app has not reopened its log yet
    writer.close()
    log.write_text("2026-11-21T11:59:30Z ERROR in the new file\n")
    stored.take(src.poll(NOW))
    stored.take(src.poll(NOW, final=True))
    assert stored.messages == [EVENT, "2026-11-21T11:59:30Z ERROR in the new file"]


def test_restart_after_the_file_was_rotated_with_an_event_held(tmp_path):
    log = tmp_path / "app.log"
    a, stored = opened(log)
    held(a, stored, log)
    a.close()  # killed
    append(log, PART2)
    os.rename(log, tmp_path / "app.log.1")  # rotated while Lokifi was down
    log.write_text("2026-11-21T11:59:30Z ERROR in the new file\n")
    b = tail(log, stored)
    assert stored.take(b.poll(NOW)) == [EVENT]  # the rotated file is finished: its last event with it
    stored.take(b.poll(NOW, final=True))
    assert stored.messages == [EVENT, "2026-11-21T11:59:30Z ERROR in the new file"]


def test_a_crash_while_a_rotated_file_is_drained_keeps_its_held_event(tmp_path):
    log = tmp_path / "app.log"
    a, stored = opened(log)
    writer = open(log, "a")
    held(a, stored, log, writer)
    os.rename(log, tmp_path / "app.log.1")
    log.write_text("2026-11-21T11:59:30Z ERROR in the new file\n")
    assert stored.take(a.poll(NOW)) == []  # both held: the old file's event may still grow (it does)
    assert json.loads(stored.checkpoints[str(log)])["prev"]["offset"] == 0
    a.close()  # killed
    writer.write(PART2)
    writer.close()
    b = tail(log, stored)
    stored.take(b.poll(NOW))
    stored.take(b.poll(NOW, final=True))
    assert stored.messages == [EVENT, "2026-11-21T11:59:30Z ERROR in the new file"]


def test_truncation_ends_a_held_event(tmp_path):
    """The lines after a truncation are new text: they never continue the event held before it, and a
    crash after it neither loses that event nor reads the new text twice."""
    log = tmp_path / "app.log"
    a, stored = opened(log)
    held(a, stored, log)
    with open(log, "r+") as f:
        f.truncate(0)
    assert stored.take(a.poll(NOW)) == [HEAD]  # its traceback is gone with the file's old text
    a.close()  # killed
    append(log, "ValueError: from another run\n  continued\n")
    b = tail(log, stored)
    stored.take(b.poll(NOW, final=True))
    assert stored.messages == [HEAD, "ValueError: from another run"]
    other = tmp_path / "other.log"
    c, stored2 = opened(other)
    held(c, stored2, other)
    with open(other, "r+") as f:  # truncated and written again between two polls
        f.truncate(0)
    append(other, "ValueError: from another run\n")
    stored2.take(c.poll(NOW, final=True))
    assert stored2.messages == [HEAD, "ValueError: from another run"]


def test_copytruncate_while_an_event_is_held(tmp_path):
    log = tmp_path / "app.log"
    src, stored = opened(log)
    held(src, stored, log)
    append(log, PART2)  # written, not read yet
    shutil.copyfile(log, tmp_path / "app.log.1")
    with open(log, "r+") as f:
        f.truncate(0)
    append(log, "2026-11-21T11:59:30Z ERROR after the truncation\n")
    stored.take(src.poll(NOW))
    stored.take(src.poll(NOW, final=True))
    assert stored.messages == [EVENT, "2026-11-21T11:59:30Z ERROR after the truncation"]


def test_over_long_lines_in_a_held_event_survive_a_restart(tmp_path):
    log = tmp_path / "app.log"
    a, stored = opened(log, max_line=100)
    append(log, PART1 + "    x = " + "y" * 300)  # a frame longer than max_line, its newline not written yet
    assert stored.take(a.poll(NOW)) == []
    a.close()
    append(log, "y" * 300 + "\n" + PART2)
    b = tail(log, stored, max_line=100)
    stored.take(b.poll(NOW, final=True))
    assert stored.messages == [EVENT]


# -- the property: any writes (cut anywhere), polls and crashes store exactly the batch scan's events ----

POOL = [
    "2026-11-21T11:59:00Z ERROR request 7 failed",
    "2026-11-21T11:59:01Z INFO fine",
    "connection refused by upstream",
    "",
    "Traceback (most recent call last):",
    '  File "app.py", line 3, in handler',
    "    raise ValueError(x)",
    "ValueError: bad value",
    "During handling of the above exception, another exception occurred:",
    "java.lang.IllegalStateException: bad state",
    "\tat com.x.Y.z(Y.java:10)",
    "Caused by: java.io.IOException: disk",
    "plain text",
]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.one_of(st.sampled_from(POOL), st.text(" \tatE:rCb.", max_size=10)), min_size=1, max_size=30),
    cuts=st.lists(st.integers(0, 10_000), max_size=10),
    actions=st.lists(st.sampled_from(["poll", "crash", "write on"]), max_size=10),
    max_line=st.sampled_from([24, 1 << 16]),
)
def test_writes_polls_and_crashes_store_the_batch_events_once(tmp_path_factory, lines, cuts, actions, max_line):
    log = tmp_path_factory.mktemp("multiline") / "app.log"
    log.write_bytes(b"")
    data = "".join(x + "\n" for x in lines).encode()
    points = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    stored = Stored()
    src = tail(log, quiet=1e9, max_line=max_line)
    stored.take(src.poll(NOW))
    for n, (a, b) in enumerate(itertools.pairwise(points)):
        append(log, data[a:b])
        action = actions[n] if n < len(actions) else "poll"
        if action == "poll":
            stored.take(src.poll(NOW))
        elif action == "crash":  # SIGKILL: no final poll, a new source from the stored checkpoints
            src.close()
            src = tail(log, stored, quiet=1e9, max_line=max_line)
            stored.take(src.poll(NOW))
    stored.take(src.poll(NOW, final=True))
    folder: MultilineFolder[int] = MultilineFolder()
    cut_lines = [x[:max_line] for x in lines]  # ASCII: a character is a byte
    events = folder.feed_lines(cut_lines, range(len(lines))) + folder.flush()
    assert stored.messages == [e[0] for e in events if is_error_event(e[0], e[1], e[2])[0]]


# -- the real command, killed between the parts ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_collect_killed_between_the_parts_stores_the_traceback_once(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("")
    db = tmp_path / "db.duckdb"
    cfg, _ = write_config(tmp_path, fast_tail_config(log))
    cmd = cli(db, cfg, "--no-hooks")
    subprocess.run([*cmd[:-1], "--once"], check=True, capture_output=True)  # the start position

    def messages() -> list[str]:
        return list(Store(db).query("SELECT message FROM error_events WHERE source = 'tail' ORDER BY ts")["message"])

    def wait_for(cond) -> None:
        deadline = time.monotonic() + 30
        while not cond():
            assert time.monotonic() < deadline, messages()
            time.sleep(0.1)

    first = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    assert "writing to" in first.stderr.readline()
    append(log, "2026-11-21T11:58:00Z ERROR before\n" + PART1)
    wait_for(lambda: messages() == ["2026-11-21T11:58:00Z ERROR before"])
    cp = Store(db).scalar("SELECT position FROM source_checkpoints WHERE source = 'tail'")
    assert json.loads(cp)["cur"]["offset"] == len("2026-11-21T11:58:00Z ERROR before\n")
    first.send_signal(signal.SIGKILL)
    first.wait()
    append(log, PART2 + "2026-11-21T11:59:30Z ERROR after\n")
    second = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    assert "writing to" in second.stderr.readline()
    wait_for(lambda: len(messages()) >= 2)
    second.send_signal(signal.SIGTERM)
    _, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert messages() == ["2026-11-21T11:58:00Z ERROR before", EVENT, "2026-11-21T11:59:30Z ERROR after"]
