"""`lokifi patterns group --errors`: only the lines that look like errors are grouped and learned; each
line left out prints as an empty line, so output line N is still input line N. Through click, on a real
DuckDB file, and the streaming grouper over chunks cut anywhere (hypothesis)."""

from __future__ import annotations

import datetime as dt
import itertools

from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from analytics.patterns.logread import group_ids_bytes, group_stream
from analytics.store.database import Store
from lokifi_tui.cli.main import cli

LOG = (
    "2026-11-01T10:00:00Z INFO worker 3 started\n"
    "ERROR connection refused to 10.0.0.1:5432\n"  # no time of its own: the INFO line's
    "\n"
    "2026-11-01T10:05:00Z ERROR connection refused to 10.0.0.2:5432\n"
    "2026-11-01T10:06:00Z INFO Log ended: 2026-11-01 10:06:00\n"
)
ERRORS = [1, 3]


def run(db, *args, input=None):
    return CliRunner().invoke(cli, ["--db", str(db), *args], input=input, catch_exceptions=False)


def test_lines_left_out_print_empty_and_the_rest_print_what_they_print_alone(tmp_path):
    db = tmp_path / "x.duckdb"
    errors_alone = "".join(LOG.splitlines(keepends=True)[i] for i in ERRORS)
    for extra in ([], ["--templates"]):
        alone = run(db, "patterns", "group", "--raw", *extra, input=errors_alone).output.splitlines()
        r = run(db, "patterns", "group", "--raw", "--errors", *extra, input=LOG)
        assert r.exit_code == 0, r.output
        shown = r.stdout.splitlines()
        assert len(shown) == len(LOG.splitlines())
        assert [shown[i] for i in ERRORS] == alone and all(s for s in alone)
        assert [s for i, s in enumerate(shown) if i not in ERRORS] == [""] * 3
        assert "2 lines look like errors; the other 3 were left out" in r.stderr
    assert not db.exists()


def test_learning_stores_only_the_errors_each_at_its_time(migrated, tmp_path):
    db = migrated(tmp_path / "x.duckdb").path
    log = tmp_path / "app.log"
    log.write_text(LOG)
    r = run(db, "patterns", "group", "--raw", "--errors", "--learn", str(log))
    assert r.exit_code == 0, r.output
    printed = r.stdout.splitlines()
    assert "learned 2 lines (3 lines that do not look like errors left out)" in r.stderr
    assert run(db, "patterns", "group", "--raw", "--errors", str(log)).stdout.splitlines() == printed
    rows = Store(db).query("SELECT ts, message FROM error_events ORDER BY ts").rows()
    assert rows == [
        (dt.datetime(2026, 11, 1, 10, 0), LOG.splitlines()[1]),  # the untimed error takes the INFO line's time
        (dt.datetime(2026, 11, 1, 10, 5), LOG.splitlines()[3]),
    ]
    learned = Store(db).query("SELECT error_hash FROM error_patterns").rows()
    assert [h[:16] for (h,) in learned] == [printed[1]] == [printed[3]]  # the id printed is the id learned


def test_a_scan_with_errors_suggests_learning_with_errors(tmp_path):
    log = tmp_path / "app.log"
    log.write_text(LOG)
    hint = CliRunner().invoke(cli, ["patterns", "scan", "--errors", str(log)]).stderr
    assert "lokifi patterns group --raw --learn --errors --component NAME FILE" in hint.replace("\n", " ")
    hint = CliRunner().invoke(cli, ["patterns", "scan", str(log)]).stderr
    assert "--learn --component NAME FILE" in hint.replace("\n", " ")


_LINES = st.lists(
    st.sampled_from(
        [
            "ERROR disk /dev/sda1 full",
            "ERROR disk /dev/sdb2 full",
            "error: cannot open /etc/x.conf: Permission denied",
            "INFO user 7 logged in",
            "INFO user 9 logged in",
            "worker 3 restarted",
            "",
            "Traceback (most recent call last):",
            "connection refused to 10.0.0.8",
        ]
    ),
    min_size=0,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(lines=_LINES, cuts=st.lists(st.integers(0, 40), max_size=4))
def test_streamed_errors_are_the_error_lines_grouped_alone_wherever_the_chunks_end(lines, cuts):
    from analytics.patterns.logread import error_lines

    bounds = sorted({0, len(lines), *(c for c in cuts if c < len(lines))})
    chunks = [lines[a:b] for a, b in itertools.pairwise(bounds)]
    keep = error_lines(lines) if lines else []
    kept = [ln for ln, k in zip(lines, keep, strict=True) if k]
    sg = group_stream(iter(chunks), errors=True)
    out = group_ids_bytes(sg).decode().split("\n")[:-1] if lines else []
    alone = group_ids_bytes(group_stream(iter([kept]))).decode().split("\n")[:-1] if kept else []
    assert len(out) == len(lines)
    assert [o for o, k in zip(out, keep, strict=True) if k] == alone
    assert all(o == "" for o, k in zip(out, keep, strict=True) if not k)
