"""The pattern commands end to end through click, on a real DuckDB file."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from lokifi_tui.cli.main import cli


def run(db, *args, input=None):
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=input, catch_exceptions=False)


def test_group_prints_one_id_per_line_and_leaves_the_store_alone(tmp_path):
    db = tmp_path / "x.duckdb"
    lines = "Connection refused to 10.0.0.1\nConnection refused to 10.0.0.2\ndisk full\n\n[bold]x[/] \x1b[31m 1\n"
    r = run(db, "patterns", "group", input=lines)
    ids = r.output.splitlines()
    assert r.exit_code == 0 and len(ids) == 5
    assert ids[0] == ids[1] != ids[2] and all(len(i) == 16 for i in ids)
    assert not db.exists()


def test_group_raw_and_learn(migrated, tmp_path):
    db = migrated(tmp_path / "x.duckdb").path
    raw = (
        "2024-03-11 09:15:02,001 ERROR [w-1] app.db: Connection refused to 10.0.0.1:5432\n"
        "Mar 11 09:17:00 host app[42]: Connection refused to 10.0.0.3:5432\n"
    )
    r = run(db, "patterns", "group", "--raw", "--learn", "--component", "api", input=raw)
    assert r.exit_code == 0 and len(set(r.output.splitlines()[:2])) == 1
    r = run(db, "patterns", "list", "--json")
    rows = json.loads(r.output)
    assert len(rows) == 1 and rows[0]["occurrence_count"] == 2 and rows[0]["components"] == "api"
    # blank lines (apt's history.log parts its stanzas with them) are no events: not learned as a pattern
    r = run(db, "patterns", "group", "--raw", "--learn", "--component", "api", input="\n  \n" + raw)
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 4  # one id per line read, blank ones too
    assert "learned 2 lines (2 blank lines left out)" in r.stderr
    rows = json.loads(run(db, "patterns", "list", "--json").output)
    assert len(rows) == 1 and rows[0]["occurrence_count"] == 4


@pytest.mark.parametrize("length", [10, 4_100, 17_000])
def test_the_ids_printed_are_the_ids_learned_however_long_the_line(migrated, tmp_path, length):
    """A line longer than the templates read (4,096 characters) printed one id and was learned under
    another: the header was stripped before the cut for one and after it for the other."""
    db = migrated(tmp_path / "x.duckdb").path
    line = "2026-12-06T03:00:00Z ERROR boom " + "x" * length + "\n"
    r = run(db, "patterns", "group", "--raw", "--learn", "--component", "app", input=line)
    assert r.exit_code == 0
    (row,) = json.loads(run(db, "patterns", "list", "--json").output)
    assert row["error_hash"].startswith(r.stdout.strip())


def test_learned_lines_keep_the_time_they_were_written(migrated, tmp_path):
    """`patterns group --raw --learn < old.log` (what `patterns scan` suggests) stored every line as written
    now: a month-old error became today's, and a recurring one. Each line keeps its own time; a line with
    none takes the last time before it; a line with none before it, now."""
    import datetime as dt

    from analytics.store.database import Store

    db = migrated(tmp_path / "x.duckdb").path
    raw = (
        "disk check started\n"  # nothing timed before it
        "2026-11-01T10:00:00Z ERROR disk /dev/sda1 full\n"
        "  while writing /var/lib/app/state\n"
        "2026-11-02T11:30:00Z ERROR disk /dev/sda1 full\n"
    )
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(minutes=1)
    r = run(db, "patterns", "group", "--raw", "--learn", "--component", "disk", input=raw)
    assert r.exit_code == 0, r.output
    ts = [t for (t,) in Store(db).query("SELECT ts FROM error_events ORDER BY ts").rows()]
    assert ts[:3] == [dt.datetime(2026, 11, 1, 10), dt.datetime(2026, 11, 1, 10), dt.datetime(2026, 11, 2, 11, 30)]
    assert ts[3] >= before  # the first line had no time and none before it


def test_scan_table_json_and_bad_file(tmp_path):
    log = tmp_path / "app.log"
    log.write_bytes(
        b"2024-03-11 09:15:02 ERROR [db] Connection refused to 10.0.0.1:5432\n"
        b"2024-03-11 09:16:02 ERROR [db] Connection refused to 10.0.0.2:5432\n"
        b"2024-03-11 09:17:02 INFO [web] started in 3 ms\n"
        b"\xff\xfe binary \x00 junk [bold]x[/bold] \x1b[2J\n"
    )
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log), "--json")
    assert r.exit_code == 0
    out = json.loads(r.output)
    top = out["patterns"][0]
    assert out["lines"] == 4 and top["count"] == 2 and top["type"] == "connection"
    assert top["first_seen"] == "2024-03-11 09:15:02" and top["last_seen"] == "2024-03-11 09:16:02"
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log), "--errors", "--json")
    assert json.loads(r.output)["scanned"] == 2
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log))
    assert r.exit_code == 0 and "Connection refused" in r.output, repr(r.output)
    assert "\x1b" not in r.output, repr(r.output)
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(tmp_path / "missing.log"))
    assert r.exit_code == 3 and "missing.log" in r.output


def test_a_scan_cut_at_its_limit_says_how_many_it_left_out(tmp_path):
    """The table shows the 30 most frequent patterns by default: with more, it says how many there are and
    how to see them all (the title's count alone read as if every one was listed)."""
    log = tmp_path / "app.log"
    kinds = ["disk full", "pool exhausted", "socket closed", "lock timeout", "bad header"]
    log.write_text("".join(f"ERROR {k}\n" * (i + 1) for i, k in enumerate(kinds)))
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log), "--limit", "2")
    assert r.exit_code == 0 and "5 patterns in 15 lines" in r.output, r.output
    assert "2 of 5 patterns shown, the most frequent; --limit 5 shows every one" in r.output, r.output
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log), "--limit", "5")
    assert r.exit_code == 0 and "patterns shown" not in r.output, r.output


def test_scan_takes_times_and_levels_from_json_and_klog_lines(tmp_path):
    """A structured line's own time and level: an ISO "time" field, pino's epoch milliseconds and
    numeric level, zap's epoch seconds, klog's header (severity letter, MMDD, time), a time after a key --
    not "line N", which is left for lines that carry no time."""
    log = tmp_path / "app.log"
    log.write_text(
        '{"level":50,"time":1764900000123,"pid":7,"msg":"connect ECONNREFUSED 10.0.0.1:5432"}\n'
        '{"level":50,"time":1764900060000,"pid":7,"msg":"connect ECONNREFUSED 10.0.0.2:5432"}\n'
        '{"severity": "warning", "msg": "slow", "ts": 1764900120.5}\n'
        '{"msg": "done", "level": "info", "extra": {"n": 1}, "time": "2025-12-05T02:03:00+01:00"}\n'
        "E1205 01:00:00.123456       1 reflector.go:123] watch ended: too old resource version 123\n"
        "E1205 01:00:02.000001       1 reflector.go:123] watch ended: too old resource version 124\n"
        "Start-Date: 2025-06-24  14:36:25\n"
        "Commandline: apt-get -qqy upgrade\n"
    )
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log), "--json")
    assert r.exit_code == 0
    by = {p["example"][:12]: p for p in json.loads(r.output)["patterns"]}
    pino = by['{"level":50,']
    assert (pino["count"], pino["level"]) == (2, "ERROR")
    assert (pino["first_seen"], pino["last_seen"]) == ("2025-12-05T02:00:00.123Z", "2025-12-05T02:01:00Z")
    zap = by['{"severity":']
    assert (zap["first_seen"], zap["level"]) == ("2025-12-05T02:02:00.500Z", "WARNING")
    iso = by['{"msg": "don']
    assert (iso["first_seen"], iso["level"]) == ("2025-12-05T02:03:00+01:00", "INFO")
    klog = by["watch ended:"]
    assert (klog["count"], klog["level"]) == (2, "ERROR")
    assert (klog["first_seen"], klog["last_seen"]) == ("12-05 01:00:00.123456", "12-05 01:00:02.000001")
    apt = by["Start-Date: "]  # a time after a key, as apt's history.log writes it
    assert (apt["first_seen"], apt["first_seen_inferred"]) == ("2025-06-24 14:36:25", False)
    cmd = by["Commandline:"]  # no time of its own: its stanza's, marked as inferred
    assert (cmd["first_seen"], cmd["first_seen_inferred"]) == ("2025-06-24 14:36:25", True)
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log))
    assert r.exit_code == 0 and "line 1 " not in r.output and "01:00:00" in r.output, r.output


@pytest.mark.slow
def test_error_record_fix_suggest_and_record_change_confidence_and_approval(migrated, tmp_path):
    db = migrated(tmp_path / "x.duckdb").path
    msg = "Error: connect ECONNREFUSED 127.0.0.1:5432"
    r = run(db, "error", "record", msg, "--component", "backend", "--json")
    fp = json.loads(r.output)["error_hash"]
    r = run(db, "fix", "suggest", "Error: connect ECONNREFUSED 10.0.0.9:5432", "--json")
    s = json.loads(r.output)
    assert s["source"] == "playbook" and s["type"] == "connection" and s["known"] and s["confidence"] == 0.5
    r = run(db, "fix", "record", fp[:12], "--worked", "--solution", "systemctl start postgresql", "--json")
    p = json.loads(r.output)
    assert p["success_count"] == 1 and abs(p["confidence_score"] - 2 / 3) < 1e-9 and not p["auto_approved"]
    for _ in range(4):
        r = run(db, "fix", "record", fp[:12], "--worked", "--json")
    p = json.loads(r.output)
    assert p["auto_approved"] and p["success_count"] == 5
    r = run(db, "fix", "suggest", msg, "--json")
    assert json.loads(r.output)["source"] == "learned"
    for _ in range(2):
        r = run(db, "fix", "record", fp[:12], "--failed", "--json")
    p = json.loads(r.output)
    assert not p["auto_approved"] and p["failure_count"] == 2
    r = run(db, "ai", "learn", "--json")
    st = json.loads(r.output)
    assert st["patterns"] == 1 and st["successful_fixes"] == 5 and st["fixes_recorded"] == 7
    r = run(db, "ai", "autofix")  # 5/7 -> 67% < 70%: the playbook again
    assert r.exit_code == 0 and "Playbook" in r.output and "5 of 7" in r.output
    r = run(db, "ai", "autofix", "--threshold", "0.5")
    assert r.exit_code == 0 and "systemctl start postgresql" in r.output
    r = run(db, "ai", "learn")
    assert "Learning Effectiveness" in r.output


def test_fix_record_usage_and_unknown_pattern(migrated, tmp_path):
    db = migrated(tmp_path / "x.duckdb").path
    run(db, "error", "record", "boom 1", "-c", "x")
    r = run(db, "fix", "record", "boom 2")
    assert r.exit_code == 2
    r = run(db, "fix", "record", "nothing like it", "--worked")
    assert r.exit_code == 3 and "no learned pattern" in r.output


@pytest.mark.slow
def test_hostile_text_is_displayed_inert(migrated, tmp_path):
    db = migrated(tmp_path / "x.duckdb").path
    nasty = "[bold red]PWNED[/] \x1b[2J\x1b]0;title\x07 \x00 failed"
    r = run(db, "error", "record", nasty, "-c", "[blink]c[/]")
    assert r.exit_code == 0
    for args in (("patterns", "list"), ("ai", "autofix"), ("fix", "suggest", nasty)):
        out = run(db, *args).output
        assert "\x1b" not in out and "\x07" not in out and "\x00" not in out
    out = run(db, "ai", "autofix").output
    assert "[bold red]PWNED[/]" in out  # shown literally, not interpreted as markup


def test_empty_store_messages(migrated, tmp_path):

    db = tmp_path / "x.duckdb"
    migrated(db)  # an empty database (a --db naming none is refused)
    assert "No error patterns learned yet" in run(db, "ai", "autofix").output
    assert "n/a" in run(db, "ai", "learn").output
    assert run(db, "fix", "suggest", "  ").exit_code == 3


def test_bytes_that_are_not_text_are_said_to_be(tmp_path):
    """A binary file given to scan (an executable, utmp records) was grouped into hundreds of patterns
    with no word; lines with NUL bytes or bytes that are not UTF-8 are now counted and named."""
    elf = tmp_path / "prog"
    elf.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 8 + b"\n" + b"\x00\x01\x02\n" * 5)
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(elf))
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())  # (the note wraps at the terminal's width)
    assert "line(s) hold bytes that are not text" in out and "looks like a binary file, not a log" in out
    log = tmp_path / "app.log"
    log.write_bytes(b"2026-01-01 00:00:00 ERROR disk full\n2026-01-01 00:00:01 ERROR bad \xff byte\n")
    out = " ".join(run(tmp_path / "x.duckdb", "patterns", "scan", str(log)).output.split())
    assert "1 of 2 line(s)" in out and "(NUL or not UTF-8; the first at line 2)" in out
    assert "binary file" not in out
    # streamed group: ids on stdout as before, the note on stderr
    r = run(tmp_path / "x.duckdb", "patterns", "group", input=b"ok line\nbad \xff\xfe line\nfine\n")
    assert len(r.stdout.splitlines()) == 3 and "note: stdin: 1 of 3 line(s)" in r.stderr
    r = run(tmp_path / "x.duckdb", "patterns", "group", input=b"clean\nlines\n")
    assert r.stderr == ""


LOG = (
    b"2026-01-01 00:00:00 ERROR disk full on /dev/sda1\n"
    b"2026-01-01 00:00:05 ERROR disk full on /dev/sdb1\n"
    b"2026-01-01 00:00:09 INFO started in 3 ms\n"
)


def _compressed(codec: str, data: bytes) -> bytes:
    import bz2
    import gzip
    import lzma

    import zstandard

    return {
        "gz": gzip.compress,
        "bz2": bz2.compress,
        "xz": lzma.compress,
        "zst": zstandard.ZstdCompressor().compress,
    }[codec](data)


def test_a_line_without_a_time_takes_the_last_time_before_it_in_its_own_file(tmp_path):
    """apt's term.log writes its errors under a ``Log started:`` line, history.log its ``Install:`` lines
    between ``Start-Date:`` and ``End-Date:``: "when" is that time, marked; never another file's."""
    d = tmp_path / "apt"
    d.mkdir()
    (d / "a.log").write_text(
        "debconf: unable to initialize frontend: Dialog\n"  # nothing timed before it: its line
        "Log started: 2026-05-09  07:29:02\n"
        "Setting up polkitd (122-3) ...\n"
        "start-stop-daemon: unable to stat /usr/libexec/polkitd (No such file or directory)\n"
        "Log ended: 2026-05-09  07:29:40\n"
        "Log started: 2026-06-01  10:00:00\n"
        "start-stop-daemon: unable to stat /usr/libexec/rtkit (No such file or directory)\n"
    )
    (d / "b.log").write_text("debconf: unable to initialize frontend: Dialog\n")
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(d), "--errors", "--json")
    assert r.exit_code == 0, r.output
    by = {p["example"].split(":")[0]: p for p in json.loads(r.output)["patterns"]}
    ssd = by["start-stop-daemon"]
    assert (ssd["first_seen"], ssd["last_seen"]) == ("2026-05-09 07:29:02", "2026-06-01 10:00:00")
    assert ssd["first_seen_inferred"] and ssd["last_seen_inferred"]
    dialog = by["debconf"]
    assert dialog["first_seen"] == "line 1 of a.log" and not dialog["first_seen_inferred"]
    assert dialog["last_seen"] == "line 1 of b.log" and not dialog["last_seen_inferred"]  # not a.log's time
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(d / "a.log"), "--errors")
    assert "~2026-05-09 07:29:02" in r.output and "~ a line without a time" in r.output, r.output


@pytest.mark.parametrize("codec", ["gz", "bz2", "xz", "zst"])
@pytest.mark.parametrize("named", [True, False])
def test_scan_reads_compressed_logs_by_their_content(tmp_path, codec, named):
    """A rotated log (``app.log.2.gz``, apt's ``eipp.log.xz``) was scanned as its compressed bytes:
    a hundred 'patterns' of binary noise. The codec is read from the first bytes, whatever the name."""
    log = tmp_path / (f"app.log.2.{codec}" if named else "app.log.2")
    log.write_bytes(_compressed(codec, LOG))
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["lines"] == 3 and out.get("warnings", []) == []
    top = out["patterns"][0]
    assert top["count"] == 2 and top["first_seen"] == "2026-01-01 00:00:00" and "disk full" in top["example"]


def test_a_cut_compressed_log_keeps_what_came_before_and_says_so(tmp_path):
    """logrotate still compressing, a copy cut short: the lines before the cut are read, a note says the
    rest is damaged, the exit status is 0."""
    line = b"2026-01-01 00:%02d:%02d ERROR timeout after %d ms\n"
    lines = b"".join(line % (i // 60 % 60, i % 60, i) for i in range(200000))
    data = _compressed("gz", lines)
    log = tmp_path / "app.log.1.gz"
    log.write_bytes(data[: len(data) // 2])
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    # (the last line read may be cut short itself)
    assert 90000 < out["lines"] < 200000 and out["patterns"][0]["count"] >= out["lines"] - 1
    assert any("damaged or cut short" in w and "app.log.1.gz" in w for w in out["warnings"])


def test_group_reads_a_compressed_stdin(tmp_path):
    """``zcat`` is not needed: ``lokifi patterns group --raw < app.log.1.gz`` reads the lines."""
    import subprocess
    import sys

    f = tmp_path / "in.gz"
    f.write_bytes(_compressed("gz", LOG))
    with open(f, "rb") as fh:
        r = subprocess.run(
            [sys.executable, "-m", "lokifi_tui.cli.entry", "--db", str(tmp_path / "d"), "patterns", "group", "--raw"],
            stdin=fh,
            capture_output=True,
            timeout=60,
        )
    assert r.returncode == 0, r.stderr
    ids = r.stdout.decode().split()
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2] and r.stderr == b""


def test_scan_of_a_directory_reads_its_text_logs_and_says_what_it_left_out(tmp_path, monkeypatch):
    """``lokifi patterns scan /var/log``: every text file under it, rotations decompressed; binary files
    (wtmp), empty files and links are left out, the notes say which."""
    import gzip

    logs = tmp_path / "log"
    (logs / "app").mkdir(parents=True)
    (logs / "app" / "app.log").write_bytes(LOG)
    (logs / "app" / "app.log.1.gz").write_bytes(gzip.compress(LOG))
    (logs / "syslog").write_bytes(b"2026-01-01 00:00:00 ERROR disk full on /dev/sdc1\n")
    (logs / "wtmp").write_bytes(b"\x07\x00\x00\x00" + bytes(range(256)) * 4)
    (logs / "btmp").write_bytes(b"")
    (logs / "README").symlink_to(logs / "syslog")
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(logs), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [p.removeprefix(str(logs) + "/") for p in out["files"]] == ["syslog", "app/app.log", "app/app.log.1.gz"]
    assert out["lines"] == 7 and out["patterns"][0]["count"] == 5  # disk full, from the three files
    notes = " ".join(out["warnings"])
    assert "1 binary file(s) left out (wtmp)" in notes and "1 empty file(s)" in notes
    assert "journalctl" not in notes  # only when the journal's own files are there:
    (logs / "journal").mkdir()
    (logs / "journal" / "system.journal").write_bytes(b"LPKSHHRH\x00\x00\x00\x00" * 64)
    notes = " ".join(json.loads(run(tmp_path / "x.db", "patterns", "scan", str(logs), "--json").output)["warnings"])
    assert "journalctl -o short-iso | lokifi patterns scan -" in notes
    (app,) = [p for p in out["patterns"] if "started" in p["example"]]
    assert app["first_seen"] == "2026-01-01 00:00:09"
    (logs / "app" / "notime.log").write_bytes(b"plain line\nplain line\n")
    out = json.loads(run(tmp_path / "x.duckdb", "patterns", "scan", str(logs), "--json").output)
    (plain,) = [p for p in out["patterns"] if p["example"].startswith("plain")]
    assert plain["first_seen"] == "line 1 of app/notime.log"  # named from the directory given
    # what this user cannot read is named, not a failure (shown here without dropping root)
    from analytics.patterns import logfiles

    monkeypatch.setattr(logfiles, "_sniff", lambda p: "unreadable" if p.endswith("syslog") else "text")
    files, notes = logfiles.log_files_under(str(logs))
    assert str(logs / "syslog") not in files and "1 file(s) this user cannot read left out (syslog)" in notes[0]


@pytest.mark.parametrize("width", [80, 100, 120, 160])
def test_the_scan_table_fits_the_terminal(tmp_path, monkeypatch, width):
    """A tmux pane is often 80 columns: the table overflowed it (87 columns; 101 at 100), each row's right
    border wrapping onto a line of its own. Below 110 columns first and last seen share one column."""
    import io

    from rich.console import Console

    from analytics.patterns.log_scan import scan_paths
    from lokifi_tui.cli import output, patterns

    log = tmp_path / "apt-history.log"
    log.write_text(
        "Start-Date: 2025-06-24  14:36:25\n"
        "Commandline: apt-get -o Dir::Etc::sourcelist=/tmp/apt-tools/sources.list -o Dir::State::lists=/x install y\n"
        "Install: port-conflict-checker:amd64 (12.0-1), libssh2-1:amd64 (1.10.0-3+b1, automatic)\n"
        "2026-12-05 09:00:36.120 UTC [1] ERROR:  listen tcp :8080: bind: address already in use\n"
    )
    buf = io.StringIO()
    monkeypatch.setattr(output.console, "_console", Console(file=buf, width=width, soft_wrap=True, highlight=False))
    result = scan_paths([str(log)])
    patterns._print_scan(result, result["patterns"])
    lines = buf.getvalue().splitlines()
    assert max(len(x) for x in lines) <= width, "\n".join(x for x in lines if len(x) > width)
    assert ("first / last seen" in buf.getvalue()) == (width < 110)
    assert "~2025-06-24 14:36:25" in buf.getvalue()


def test_the_time_column_fits_a_zero_offset_as_z(tmp_path):
    """journalctl -o short-iso writes +0000: cut in the 20-character column before, Z now; other offsets
    are kept as written."""
    from lokifi_tui.cli.patterns import _to_second

    assert _to_second("2026-12-05T10:00:00+0000") == "2026-12-05T10:00:00Z"
    assert _to_second("2026-12-05T10:00:00.123-00:00") == "2026-12-05T10:00:00Z"
    assert _to_second("2026-12-05T10:00:00+0200") == "2026-12-05T10:00:00+0200"
    assert _to_second("2026-12-05 09:00:36.123 UTC") == "2026-12-05 09:00:36Z"  # postgres
    assert _to_second("2026-12-05 09:00:36 CET") == "2026-12-05 09:00:36 CET"
    assert _to_second("Dec  5 10:00:00") == "Dec  5 10:00:00" and _to_second(None) is None
    log = tmp_path / "j.log"
    log.write_text("2026-12-05T10:00:00+0000 host sshd[1]: error: Connection reset by peer\n")
    r = run(tmp_path / "x.duckdb", "patterns", "scan", str(log))
    assert r.exit_code == 0 and "2026-12-05T10:00:00Z" in r.output, r.output


@pytest.mark.parametrize("width", [100, 4096])
def test_a_line_without_a_time_shows_where_it_is_as_file_and_line(tmp_path, monkeypatch, width):
    """npm writes one debug log per run, named by its time, with no time on its lines: the seen columns
    said 'line 33 of 2026-12-05T09_05_42_…', the file's name cut before it was told apart. They show
    FILE:LINE, cut from the left in a terminal, whole when piped."""
    import io

    from rich.console import Console

    from analytics.patterns.log_scan import scan_paths
    from lokifi_tui.cli import output, patterns

    logs = tmp_path / "_logs"
    logs.mkdir()
    for stamp in ("2026-12-05T09_05_42_987Z", "2026-12-05T15_13_21_810Z"):
        (logs / f"{stamp}-debug-0.log").write_text("0 verbose cli /usr/bin/node\n33 error code E404\n")
    buf = io.StringIO()
    monkeypatch.setattr(output.console, "_console", Console(file=buf, width=width, soft_wrap=True, highlight=False))
    result = scan_paths([str(logs)], errors_only=True)
    patterns._print_scan(result, result["patterns"])
    text = buf.getvalue()
    if width > 200:
        assert "2026-12-05T09_05_42_987Z-debug-0.log:2" in text and "2026-12-05T15_13_21_810Z-debug-0.log:2" in text
    else:
        # the seen column folds its values over lines: read it joined
        seen = "".join(x.split("│")[4].strip() for x in text.splitlines() if x.count("│") == 6)
        assert seen == "…-05T09_05_42_987Z-debug-0.log:2…-05T15_13_21_810Z-debug-0.log:2", seen


def test_a_binary_input_is_not_learned(tmp_path):
    """`patterns group --learn < /usr/bin/ls` learned hundreds of patterns of garbage, with no word."""
    db = tmp_path / "x.duckdb"
    blob = bytes(range(256)) * 40 + b"\n" + b"\x00\x01\x02 ELF \xff\xfe\n" * 30
    r = run(db, "patterns", "group", "--learn", "--component", "x", input=blob)
    assert r.exit_code == 3 and "looks like a binary file, not a log; nothing was learned" in r.output
    assert not db.exists()  # refused before the store was opened: nothing stored, no database made


def test_scan_first_and_last_seen_by_the_logs_clock_in_any_file_order(tmp_path):
    """`patterns scan app.log app.log.1` (the newer file first) gave a first seen after the last seen, and an
    access log's lines 'line 1 of access.log': the ends are now chosen by the times the lines show."""
    (tmp_path / "app.log").write_text("2026-12-06T01:00:00 ERROR disk full on /var\n")
    (tmp_path / "app.log.1").write_text("2026-11-01T01:00:00 ERROR disk full on /data\n")
    out = json.loads(
        CliRunner()
        .invoke(cli, ["patterns", "scan", "--json", str(tmp_path / "app.log"), str(tmp_path / "app.log.1")])
        .stdout
    )
    (p,) = out["patterns"]
    assert (p["first_seen"], p["last_seen"], p["count"]) == ("2026-11-01T01:00:00", "2026-12-06T01:00:00", 2)
    access = tmp_path / "access.log"
    access.write_text(
        '127.0.0.1 - - [06/Dec/2026:02:17:03 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/7.88.1"\n'
        '127.0.0.1 - - [06/Dec/2026:02:54:03 +0000] "GET / HTTP/1.1" 200 615 "-" "curl/7.88.1"\n'
    )
    (p,) = json.loads(CliRunner().invoke(cli, ["patterns", "scan", "--json", str(access)]).stdout)["patterns"]
    assert (p["first_seen"], p["last_seen"]) == ("2026-12-06 02:17:03Z", "2026-12-06 02:54:03Z")
