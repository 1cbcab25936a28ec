"""Log tailing on real files: partial lines, rotation (rename, copytruncate), truncation, bad bytes, long
lines, restarts from a stored position — every line exactly once."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time

from hypothesis import HealthCheck, given, settings, strategies as st

from analytics.common.escapes import without_escapes
from analytics.patterns.line_time import line_time
from analytics.sources.filetail import FileTailer
from analytics.sources.tail import (
    LogSpec,
    TailSource,
    is_error_line,
    line_level,
)

NOW = dt.datetime(2026, 11, 21, 12, 0, 0)


def texts(lines):
    return [ln.text for ln in lines]


def started(t: FileTailer) -> FileTailer:
    """A tailer that has opened its file (so it follows from the end, as the collector's first poll does)."""
    assert t.poll() == []
    return t


def append(path, data: bytes | str):
    with open(path, "ab") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def test_starts_at_end_and_follows(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("old 1\nold 2\n")
    t = started(FileTailer(p))
    assert t.poll() == []
    append(p, "new 1\nnew 2\n")
    assert texts(t.poll()) == ["new 1", "new 2"]
    assert t.poll() == []


def test_from_start_reads_everything(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("a\nb\n")
    assert texts(FileTailer(p, from_start=True).poll()) == ["a", "b"]


def test_file_appearing_later_is_read_from_its_start(tmp_path):
    p = tmp_path / "late.log"
    t = started(FileTailer(p))
    assert t.poll() == []
    p.write_text("first\n")
    assert texts(t.poll()) == ["first"]


def test_partial_last_line_waits_for_its_newline(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("")
    t = started(FileTailer(p))
    append(p, "ERROR half")
    assert t.poll() == []
    append(p, " and the rest\nnext")
    assert texts(t.poll()) == ["ERROR half and the rest"]
    assert t.position["cur"]["offset"] == len("ERROR half and the rest\n")


def test_rename_rotation_loses_nothing(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("")
    t = started(FileTailer(p, rotate_grace=0.0))
    writer = open(p, "a")
    writer.write("1\n2\n")
    writer.flush()
    assert texts(t.poll()) == ["1", "2"]
    writer.write("3\n")
    writer.flush()
    os.rename(p, tmp_path / "app.log.1")
    writer.write("4 (old file, written after the rename)\n")  # the app has not reopened yet
    writer.flush()
    writer.close()
    p.write_text("5\n")
    got = texts(t.poll())
    got += texts(t.poll())
    assert got == ["3", "4 (old file, written after the rename)", "5"]
    append(p, "6\n")
    assert texts(t.poll()) == ["6"]


def test_a_poll_between_the_rename_and_the_new_file_loses_nothing(tmp_path):
    """Rotation by rename leaves the path empty for a moment: a poll in that moment, then lines written to
    the new file before the next poll -- the next poll reads them (the new file is not opened at its end)."""
    p = tmp_path / "app.log"
    p.write_text("")
    t = started(FileTailer(p, rotate_grace=0.0))
    append(p, "1\n")
    assert texts(t.poll()) == ["1"]
    append(p, "2\n")
    os.rename(p, tmp_path / "app.log.1")
    got = texts(t.poll())  # the path holds no file now
    p.write_text("3\n4\n")  # the new file, written to before the next poll
    got += texts(t.poll())
    got += texts(t.poll())
    assert got == ["2", "3", "4"]
    append(p, "5\n")
    assert texts(t.poll()) == ["5"]


def test_copytruncate_recovers_unread_lines_from_the_copy(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("")
    t = started(FileTailer(p))
    append(p, "a\nb\n")
    assert texts(t.poll()) == ["a", "b"]
    append(p, "c\nd\n")  # written, not yet read
    shutil.copyfile(p, tmp_path / "app.log.1")
    with open(p, "r+") as f:
        f.truncate(0)
    append(p, "e\n")
    assert texts(t.poll()) == ["c", "d", "e"]


def test_truncation_that_regrows_past_the_offset_is_noticed(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("")
    t = started(FileTailer(p))
    append(p, "x" * 10 + "\n")
    assert len(t.poll()) == 1
    with open(p, "r+") as f:
        f.truncate(0)
    append(p, "completely new content that is longer\n")
    assert texts(t.poll()) == ["completely new content that is longer"]


def test_invalid_utf8_and_nul_bytes_are_replaced(tmp_path):
    p = tmp_path / "app.log"
    p.write_bytes(b"")
    t = started(FileTailer(p))
    append(p, b"ERROR bad \xff\xfe bytes \x00 here\r\n")
    (line,) = t.poll()
    assert line.text == "ERROR bad \ufffd\ufffd bytes \ufffd here"


def test_very_long_line_is_cut_and_the_next_line_is_intact(tmp_path):
    p = tmp_path / "app.log"
    p.write_bytes(b"")
    t = started(FileTailer(p, max_line=1000))
    append(p, "E" * 5000)
    first = t.poll()
    assert [(len(x.text), x.truncated) for x in first] == [(1000, True)]
    append(p, "E" * 5000 + "\nnext\n")
    assert texts(t.poll()) == ["next"]


def test_restart_from_stored_position_reads_only_new_lines(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("")
    a = started(FileTailer(p))
    append(p, "1\n2\n")
    assert texts(a.poll()) == ["1", "2"]
    saved = json.loads(json.dumps(a.position))
    a.close()
    append(p, "3\n")
    b = FileTailer(p, saved)
    assert texts(b.poll()) == ["3"]


def test_restart_after_rotation_while_stopped_drains_the_rotated_file(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("")
    a = started(FileTailer(p))
    append(p, "1\n")
    assert texts(a.poll()) == ["1"]
    saved = a.position
    a.close()
    append(p, "2\n")  # written while Lokifi was stopped
    os.rename(p, tmp_path / "app.log.1")
    p.write_text("3\n")
    b = FileTailer(p, saved)
    assert texts(b.poll()) == ["2", "3"]


def test_restart_while_the_renamed_file_has_no_successor_reads_it_once(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("")
    a = started(FileTailer(p))
    append(p, "1\n")
    assert texts(a.poll()) == ["1"]
    os.rename(p, tmp_path / "app.log.1")  # rotated; the app has not created the new file yet
    assert a.poll() == []
    saved = json.loads(json.dumps(a.position))
    a.close()
    append(tmp_path / "app.log.1", "2\n")  # written to the old file while Lokifi was stopped
    b = FileTailer(p, saved)
    assert texts(b.poll()) == ["2"]
    p.write_text("3\n")
    assert texts(b.poll()) == ["3"]


def test_two_rotations_between_polls_and_while_stopped(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("")
    t = started(FileTailer(p, rotate_grace=0.0))
    append(p, "1\n")
    for n, line in ((1, "2\n"), (2, "3\n")):
        os.rename(p, tmp_path / f"app.log.{n}")
        time.sleep(0.01)
        p.write_text(line)
    got = texts(t.poll()) + texts(t.poll())
    assert got == ["1", "2", "3"]
    saved = t.position
    t.close()
    append(p, "4\n")
    for n, line in ((3, "5\n"), (4, "6\n")):
        time.sleep(0.01)
        os.rename(p, tmp_path / f"app.log.{n}")
        p.write_text(line)
    (tmp_path / "app.error.log").write_text("not a rotated copy\n")
    assert texts(FileTailer(p, saved).poll()) == ["4", "5", "6"]


def test_restart_with_a_checkpoint_ignores_from_start(tmp_path):
    p = tmp_path / "app.log"
    p.write_text("1\n")
    a = FileTailer(p, from_start=True)
    assert texts(a.poll()) == ["1"]
    b = FileTailer(p, a.position, from_start=True)
    assert b.poll() == []


def test_unreadable_file_is_reported_not_raised(tmp_path):
    d = tmp_path / "dir.log"
    d.mkdir()
    t = FileTailer(d)
    assert t.poll() == []
    assert t.error and "not a regular file" in t.error


# -- the property: any interleaving of writes, polls, restarts and rotations reads each line once ----

_chunk = st.binary(max_size=40).map(lambda b: b.replace(b"\r", b""))
_op = st.one_of(
    st.tuples(st.just("write"), _chunk),
    st.tuples(
        st.just("write"),
        st.lists(st.text("abc \u00e9", max_size=8), max_size=4).map(lambda xs: "".join(x + "\n" for x in xs).encode()),
    ),
    st.tuples(st.just("poll"), st.none()),
    st.tuples(st.just("restart"), st.none()),
    st.tuples(st.just("rotate"), st.none()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_op, max_size=30))
def test_every_line_exactly_once_property(tmp_path_factory, ops):
    d = tmp_path_factory.mktemp("prop")
    p = d / "app.log"
    p.write_bytes(b"")
    t = started(FileTailer(p, rotate_grace=0.0, max_line=1 << 20))
    got: list[bytes] = []
    rotated: list[bytes] = []
    n_rot = 0

    def take(lines):
        got.extend(ln.text.encode("utf-8", "surrogatepass") for ln in lines)

    for op, arg in ops:
        if op == "write":
            append(p, arg)
        elif op == "poll":
            take(t.poll())
        elif op == "restart":
            pos = json.loads(json.dumps(t.position)) if t.position else None
            t.close()
            t = FileTailer(p, pos, rotate_grace=0.0, max_line=1 << 20)
            take(t.poll())
        elif op == "rotate":
            n_rot += 1
            time.sleep(0.002)  # rotated files are told apart by their modification times
            rotated.append(p.read_bytes())
            os.rename(p, d / f"app.log.{n_rot}")
            p.write_bytes(b"")
    take(t.poll())
    take(t.poll())
    current = p.read_bytes()

    def lines_of(data: bytes, final: bool) -> list[bytes]:
        parts = data.split(b"\n")
        tail = parts.pop()
        if final and tail:
            parts.append(tail)
        # as the tail gives them: bad bytes replaced, terminal escapes (ESC @, colours) removed
        return [without_escapes(x.decode("utf-8", "replace").replace("\x00", "\ufffd")).encode() for x in parts]

    expected = [x for r in rotated for x in lines_of(r, True)] + lines_of(current, False)
    # Exactly once; a rotated file's unterminated last line may arrive after the next file's first lines.
    assert sorted(got) == sorted(expected)
    if not rotated:
        assert got == expected


# -- error lines -------------------------------------------------------------------------------------


def test_levels_are_read_the_ways_logs_write_them():
    assert line_level("2024-01-01 12:00:00,123 ERROR [main] boom") == "ERROR"
    assert line_level("2024/01/01 12:00:00 [error] 1234#0: *1 connect() failed") == "ERROR"
    assert line_level('{"level":"error","msg":"x"}') == "ERROR"
    assert line_level("level=warn msg=slow") == "WARN"
    assert line_level("INFO: 0 errors found") == "INFO"
    assert line_level("CRITICAL out of memory") == "CRITICAL"
    assert line_level("no level here, just an error word") is None


def test_error_line_selection():
    assert is_error_line("2024-01-01 ERROR db down")[0]
    assert not is_error_line("2024-01-01 INFO Connection refused, retrying")[0]  # the level decides
    assert not is_error_line("2024-01-01 WARN disk 80% full")[0]
    assert is_error_line("Traceback (most recent call last):")[0]
    assert is_error_line("Error: connect ECONNREFUSED 127.0.0.1:6379")[0]
    assert not is_error_line("GET /index.html 200 12ms")[0]


def test_a_json_logs_numeric_level_is_read_as_bunyan_and_pino_write_it():
    error = '{"level":50,"time":1763719200000,"pid":1,"err":{"type":"Error","message":"payment declined"}}'
    assert line_level(error) == "ERROR" and is_error_line(error) == (True, "ERROR")
    info = '{"level":30,"time":1763719200000,"msg":"request failed over to replica, error count reset"}'
    assert line_level(info) == "INFO" and not is_error_line(info)[0]  # the level decides, not the words
    assert line_level('{"level":60,"msg":"out of memory"}') == "FATAL"
    # python-json-logger writes the logging record's own name for it
    assert line_level('{"asctime": "2026-12-04 10:00:00,123", "levelname": "ERROR", "message": "boom"}') == "ERROR"
    assert line_level('{"level":45,"msg":"x"}') is None and line_level("level 50 reached") is None


def test_klog_and_celery_lines_give_their_level_and_time():
    """klog/glog (Kubernetes and Go services) write a severity letter and MMDD hh:mm:ss.uuuuuu; celery writes
    ERROR/MainProcess. Neither level was read: klog's E lines were errors only by their words, and a W
    line saying 'failed' was taken for one."""
    e = "E1205 01:00:00.123456       1 reflector.go:123] failed to list *v1.Pod: connection refused"
    w = "W1205 01:00:00.123456       1 reflector.go:123] watch of *v1.Pod failed: too old resource version"
    assert is_error_line(e) == (True, "ERROR") and is_error_line(w) == (False, "WARN")
    dec = dt.datetime(2026, 12, 6)
    assert line_time(e, dec) == dt.datetime(2026, 12, 5, 1, 0, 0, 123456) - _utc_offset(dec)
    # written in December, read in January: last year's
    jan = dt.datetime(2027, 1, 2)
    assert line_time("E1231 23:00:00.000000       1 x.go:1] boom", jan).year == 2026
    assert is_error_line("[2026-12-05 01:00:00,123: ERROR/MainProcess] Task x raised") == (True, "ERROR")
    assert is_error_line("[2026-12-05 01:00:00,123: INFO/MainProcess] Task failed over") == (False, "INFO")


def _utc_offset(at: dt.datetime) -> dt.timedelta:
    """This host's offset from UTC (klog writes local time)."""
    return at.astimezone().utcoffset() or dt.timedelta(0)


def test_line_time_reads_common_formats_as_utc():
    assert line_time("2026-11-21T10:00:00Z ERROR x", NOW) == dt.datetime(2026, 11, 21, 10, 0, 0)
    assert line_time("2026-11-21T10:00:00.5+02:00 x", NOW) == dt.datetime(2026, 11, 21, 8, 0, 0, 500000)
    assert line_time('1.2.3.4 - - [21/Nov/2026:10:00:00 +0000] "GET /"', NOW) == dt.datetime(2026, 11, 21, 10)
    # apt's term.log and history.log put two spaces between the date and the time
    assert line_time("Log started: 2026-11-21  10:00:00", NOW) == line_time("2026-11-21 10:00:00", NOW)
    assert line_time("Log started: 2026-11-21  10:00:00", NOW) is not None
    # JSON logs: pino and bunyan write milliseconds since the epoch, zap seconds with a fraction
    assert line_time('{"level":50,"time":1763719200000,"msg":"x"}', NOW) == dt.datetime(2025, 11, 21, 10, 0)
    assert line_time('{"level":"info","ts":1763719200.5,"msg":"x"}', NOW) == dt.datetime(2025, 11, 21, 10, 0, 0, 500000)
    assert line_time('{"msg":"retried 1763719200 times"}', NOW) is None
    # Docker's json-file driver writes the time last, after the whole message; the field wins over a
    # time inside the message
    docker = (
        '{"log":"'
        + "x" * 300
        + ' ERROR payment declined\\n","stream":"stderr","time":"2025-11-21T10:00:00.123456789Z"}'
    )
    assert line_time(docker, NOW) == dt.datetime(2025, 11, 21, 10, 0, 0, 123456)
    assert line_time('{"msg": "at 2025-11-20 09:00:00 it broke", "time": "2025-11-21T10:00:00Z"}', NOW) == (
        dt.datetime(2025, 11, 21, 10)
    )
    assert line_time("no time here", NOW) is None
    assert line_time("2099-01-01T00:00:00Z far future", NOW) is None


@given(st.text(max_size=300))
def test_line_helpers_never_raise(s):
    line_level(s)
    is_error_line(s)
    line_time(s, NOW)


def test_tail_source_attributes_errors_and_checkpoints(tmp_path):
    a = tmp_path / "api.log"
    w = tmp_path / "logs"
    w.mkdir()
    a.write_text("")
    (w / "worker-1.log").write_text("")
    src = TailSource([LogSpec("api", str(a)), LogSpec("", str(w / "*.log"))], "h1", component_names=["worker"])
    src.start({})
    assert [b.events for b in src.poll(NOW)] in ([], [[]])  # positions only
    append(a, "2026-11-21T11:59:00Z ERROR Connection refused on port 5432\nINFO fine\n")
    append(w / "worker-1.log", "FATAL out of memory\n")
    (batch,) = src.poll(NOW, final=True)  # final: a file's last event is not held back (it may still grow)
    rows = sorted((r["component"], r["message"], r["ts"]) for r in batch.events)
    assert rows == [
        ("api", "2026-11-21T11:59:00Z ERROR Connection refused on port 5432", dt.datetime(2026, 11, 21, 11, 59)),
        ("worker", "FATAL out of memory", NOW),
    ]
    assert set(batch.checkpoints) == {str(a), str(w / "worker-1.log")}
    assert src.status().state == "ok"


def test_progress_written_over_itself_reads_as_the_terminal_showed_it(tmp_path):
    """dpkg, pip and curl write progress as carriage returns inside one line (``5%\\r10%\\r...``); a terminal
    shows the last segment, and so do the tail, backfill and ``patterns scan``: one line, one event."""
    from click.testing import CliRunner

    from analytics.common.escapes import as_displayed
    from analytics.store.database import Store
    from lokifi_tui.cli.main import cli

    assert as_displayed("(Reading database ... \r(Reading database ... 5%\r(Reading database ... 9 files.)") == (
        "(Reading database ... 9 files.)"
    )
    assert as_displayed("50%\r100%\r   ") == "100%" and as_displayed("plain") == "plain" and as_displayed("\r \r") == ""
    progress = "2026-12-05T01:00:00Z ERROR fetch 10%\r2026-12-05T01:00:00Z ERROR fetch: checksum mismatch for a.tar"
    log = tmp_path / "get.log"
    log.write_bytes((progress + "\r\nDownloading 5%\rDownloading 100%\r\n").encode())
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[components]]\nname = "get"\nlogs = ["{log}"]\n')
    db = tmp_path / "x.duckdb"
    runner = CliRunner()
    r = runner.invoke(
        cli, ["--db", str(db), "--config", str(cfg), "collect", "--once", "--from-start", "-q", "--no-hooks"]
    )
    assert r.exit_code == 0, r.output
    rows = Store(db).query("SELECT message FROM error_events WHERE component = 'get'").rows()
    assert rows == [("2026-12-05T01:00:00Z ERROR fetch: checksum mismatch for a.tar",)]
    # backfill reads a rotated copy the same way
    (tmp_path / "get.log.1").write_bytes(log.read_bytes().replace(b"a.tar", b"b.tar"))
    db2 = tmp_path / "y.duckdb"
    r = runner.invoke(cli, ["--db", str(db2), "--config", str(cfg), "backfill", "--days", "0", "--no-engines"])
    assert r.exit_code == 0, r.output
    got = {m for (m,) in Store(db2).query("SELECT message FROM error_events").rows()}
    assert "2026-12-05T01:00:00Z ERROR fetch: checksum mismatch for b.tar" in got and all("\r" not in m for m in got)
    # patterns scan: physical lines, each as shown; a file with no \n at all still splits at \r
    r = runner.invoke(cli, ["patterns", "scan", str(log), "--json"])
    out = json.loads(r.output)
    assert out["lines"] == 2 and {p["example"] for p in out["patterns"]} >= {"Downloading 100%"}
    old_mac = tmp_path / "mac.log"
    old_mac.write_bytes(b"first line\rsecond line\rthird line\r")
    assert json.loads(runner.invoke(cli, ["patterns", "scan", str(old_mac), "--json"]).output)["lines"] == 3


def test_coloured_log_lines_are_read_as_their_text(tmp_path):
    """Programs that colour their output write the escapes into their logs (ESC[31mERROR): no level, time or
    error was found in such a line, and its escapes were stored. They are dropped as lines are read."""
    from click.testing import CliRunner

    from analytics.store.database import Store
    from lokifi_tui.cli.main import cli

    red = (
        "\x1b[2m2026-12-05T01:00:00.123Z\x1b[0m \x1b[31mERROR\x1b[0m \x1b[1mpayment\x1b[0m: card declined for order 42"
    )
    assert line_level(red) == "ERROR" and is_error_line(red) == (True, "ERROR")
    assert line_time(red, dt.datetime(2026, 12, 6)) == dt.datetime(2026, 12, 5, 1, 0, 0, 123000)
    assert line_level("2026-12-05 01:00:00 \x1b[33mWARN\x1b[39m slow query") == "WARN"
    log = tmp_path / "pay.log"
    log.write_text(red + "\n\x1b[2m2026-12-05T01:00:01Z\x1b[0m \x1b[32mINFO\x1b[0m ok\n")
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[[components]]\nname = "pay"\nlogs = ["{log}"]\n')
    db = tmp_path / "x.duckdb"
    r = CliRunner().invoke(
        cli, ["--db", str(db), "--config", str(cfg), "collect", "--once", "--from-start", "-q", "--no-hooks"]
    )
    assert r.exit_code == 0, r.output
    rows = Store(db).query("SELECT ts, level, message FROM error_events WHERE component = 'pay'").rows()
    assert rows == [
        (
            dt.datetime(2026, 12, 5, 1, 0, 0, 123000),
            "ERROR",
            "2026-12-05T01:00:00.123Z ERROR payment: card declined for order 42",
        )
    ]
    # scan reads them the same way
    out = CliRunner().invoke(cli, ["--db", str(db), "patterns", "scan", "--errors", "--json", str(log)]).output
    (p,) = json.loads(out)["patterns"]
    assert p["template"] == "payment: card declined for order <*>" and p["level"] == "ERROR"
