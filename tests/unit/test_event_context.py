"""An error's context: the lines a server writes with it under the same stamp (PostgreSQL's DETAIL, HINT,
STATEMENT) stay with the event, read from a file (backfill) or as it is written (the live tail), are shown
by `lokifi patterns show` and sent, redacted, with the analysis; the message and the pattern stay those
of the error line.

The log text is what a real PostgreSQL 15 server (Debian's, log_line_prefix '%m [%p] %q%u@%d ') wrote for
a duplicate key, a null in a NOT NULL column and a missing table, three times each."""

from __future__ import annotations

import datetime as dt
import json

from click.testing import CliRunner
from collect_support import backfill_one_log

from analytics.patterns.learning import learn_from_events
from analytics.patterns.multiline import CONTEXT_LINES, MultilineFolder, fold_multiline
from analytics.sources.tail import LogSpec, TailSource
from analytics.store.database import Store
from lokifi_tui.cli.main import cli as lokifi

START = """\
2026-12-05 22:27:23.296 UTC [3460] LOG:  database system is ready to accept connections
"""
ERRORS = "".join(
    line + "\n"
    for line in (
        "2026-12-05 22:27:25.{ms} UTC [{pid}] postgres@postgres ERROR:  duplicate key value violates unique "
        'constraint "u_pkey"',
        "2026-12-05 22:27:25.{ms} UTC [{pid}] postgres@postgres DETAIL:  Key (id)=({i}) already exists.",
        "2026-12-05 22:27:25.{ms} UTC [{pid}] postgres@postgres STATEMENT:  insert into u values ({i},$$b$$)",
        "2026-12-05 22:27:26.{ms} UTC [{pid2}] postgres@postgres ERROR:  null value in column "
        '"name" of relation "u" violates not-null constraint',
        "2026-12-05 22:27:26.{ms} UTC [{pid2}] postgres@postgres DETAIL:  Failing row contains ({i}, null).",
        "2026-12-05 22:27:26.{ms} UTC [{pid2}] postgres@postgres STATEMENT:  insert into u values ({i},null)",
        "2026-12-05 22:27:27.{ms} UTC [{pid3}] postgres@postgres ERROR:  "
        'relation "nosuch{i}" does not exist at character 15',
        "2026-12-05 22:27:27.{ms} UTC [{pid3}] postgres@postgres STATEMENT:  select * from nosuch{i}",
    )
)


def pg_errors(times: int) -> str:
    """The three errors with their fields, ``times`` times (key and row ``i`` the i-th time)."""
    return "".join(
        ERRORS.format(ms=f"{454 + i:03d}", pid=3473 + i, pid2=3476 + i, pid3=3479 + i, i=i) for i in range(1, times + 1)
    )


LOG = START + pg_errors(3)


def tailing(tmp_path) -> TailSource:
    """A live tail that has opened an empty log, then LOG written to it."""
    log = tmp_path / "pg.log"
    log.write_text("")
    src = TailSource([LogSpec("postgres", str(log))], "h1", quiet=0.0)
    src.start({})
    src.poll(dt.datetime(2026, 12, 5, 22, 28))
    with open(log, "a") as f:
        f.write(LOG)
    return src


def test_the_lines_under_an_errors_stamp_are_its_context_not_its_text():
    texts, _ = fold_multiline(LOG.splitlines())
    assert len(texts) == 10  # the LOG line and nine errors: no DETAIL or STATEMENT of its own
    folder: MultilineFolder[int] = MultilineFolder()
    lines = LOG.splitlines()
    events = folder.feed_lines(lines, range(len(lines))) + folder.flush()
    dup = events[1]
    assert dup[0].endswith('ERROR:  duplicate key value violates unique constraint "u_pkey"')
    assert dup[4] == "DETAIL:  Key (id)=(1) already exists.\nSTATEMENT:  insert into u values (1,$$b$$)"
    assert events[3][4] == "STATEMENT:  select * from nosuch1"


def test_only_the_same_process_at_the_same_time_and_only_fields_annotate():
    stamp = "2026-12-05 22:27:25.454 UTC"
    lines = [
        f"{stamp} [7] app@db LOG:  statement: delete from u",
        f"{stamp} [7] app@db ERROR:  permission denied for table u",  # a level: an event of its own
        f"{stamp} [8] app@db STATEMENT:  select 1",  # another process
        "2026-12-05 22:27:25.455 UTC [7] app@db HINT:  a millisecond later",  # another write
        f"{stamp} [7] app@db ERROR:  deadlock detected",
        f"{stamp} [7] app@db STATEMENT:  update u",
        "    set name = 'x'",  # a query over several lines goes on
        "where id = 1",
    ]
    folder: MultilineFolder[int] = MultilineFolder()
    events = folder.feed_lines(lines, range(len(lines))) + folder.flush()
    assert [(e[3], e[4]) for e in events] == [
        (0, ""),
        (1, ""),
        (2, ""),
        (3, ""),
        (4, "STATEMENT:  update u\n    set name = 'x'\nwhere id = 1"),
    ]


def test_a_context_is_bounded():
    stamp = "2026-12-05 22:27:25.454 UTC [7] app@db"
    lines = [f"{stamp} ERROR:  boom", f"{stamp} STATEMENT:  select", *(f"  col{i}," for i in range(100))]
    folder: MultilineFolder[int] = MultilineFolder()
    (ev,) = folder.feed_lines(lines, range(len(lines))) + folder.flush()
    assert ev[4].count("\n") == CONTEXT_LINES - 1
    # past the bound, lines are read by the usual rules again: an unstamped line of its own is an event
    more = [f"{stamp} ERROR:  boom", f"{stamp} STATEMENT:  select", *(f"col{i}," for i in range(20))]
    events = folder.feed_lines(more, range(len(more))) + folder.flush()
    assert [e[0] for e in events] == [more[0], *more[CONTEXT_LINES + 1 :]]
    big = [f"{stamp} ERROR:  boom", f"{stamp} STATEMENT:  select '{'x' * 10_000}'"]
    (ev,) = folder.feed_lines(big, range(2)) + folder.flush()
    assert len(ev[4]) <= 4000 and ev[4].endswith("…")


def test_backfill_keeps_the_context_and_patterns_show_prints_it(tmp_path):
    log = tmp_path / "postgresql-15-main.log"
    log.write_text(LOG)
    f, cfg = backfill_one_log(tmp_path, "postgres", log)
    assert f["events"] == 9
    store = Store(tmp_path / "l.duckdb")
    learn_from_events(store)
    rows = store.query("SELECT message, context FROM error_events ORDER BY ts, message").to_dicts()
    assert all("DETAIL" not in r["message"] and "STATEMENT" not in r["message"] for r in rows)
    assert rows[0]["context"] == "DETAIL:  Key (id)=(1) already exists.\nSTATEMENT:  insert into u values (1,$$b$$)"
    pats = store.query("SELECT error_hash, occurrence_count FROM error_patterns").to_dicts()
    assert sorted(p["occurrence_count"] for p in pats) == [3, 3, 3]  # the contexts split no pattern
    dup = store.query("SELECT error_hash FROM error_patterns WHERE template LIKE 'duplicate key%'").item()

    args = ["--db", str(tmp_path / "l.duckdb"), "--config", str(cfg), "patterns", "show", dup[:12]]
    out = CliRunner().invoke(lokifi, args, env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.output
    assert "DETAIL:  Key (id)=(3) already exists." in out.output
    assert "STATEMENT:  insert into u values (3,$$b$$)" in out.output
    js = CliRunner().invoke(lokifi, [*args, "--json"])
    assert json.loads(js.output)["samples"][0]["context"].startswith("DETAIL:  Key (id)=(3)")


def test_the_live_tail_keeps_the_context(tmp_path):
    src = tailing(tmp_path)
    events = []
    for final in (False, True):
        for b in src.poll(dt.datetime(2026, 12, 5, 22, 28), final=final):
            events += b.events
    assert len(events) == 9
    assert events[0]["context"].startswith("DETAIL:  Key (id)=(1) already exists.\nSTATEMENT:")
    assert events[2]["context"] == "STATEMENT:  select * from nosuch1"


def test_the_analysis_sees_the_context_redacted(tmp_path):
    from analytics.config.settings import Config
    from analytics.rca.prompt import build_input

    stamp = "2026-12-05 22:27:30.100 UTC [4000] admin@postgres"
    log = tmp_path / "pg.log"
    log.write_text(
        LOG
        + f'{stamp} ERROR:  role "app" does not exist\n'
        + f"{stamp} STATEMENT:  alter role app with password 'hunter2-Secret'\n"
    )
    backfill_one_log(tmp_path, "postgres", log)
    store = Store(tmp_path / "l.duckdb")
    learn_from_events(store)
    role = store.query("SELECT error_hash FROM error_patterns WHERE template LIKE 'role%'").item()
    dup = store.query("SELECT error_hash FROM error_patterns WHERE template LIKE 'duplicate key%'").item()
    sent = build_input(store, Config(), dup).messages[1]["content"]
    assert "\n  DETAIL: Key (id)=(3) already exists." in sent  # each line cleaned as the sample is
    assert "\n  STATEMENT: insert into u values (3,$$b$$)" in sent
    sent = build_input(store, Config(), role).messages[1]["content"]
    assert "STATEMENT: alter role app with password" in sent and "hunter2" not in sent


def test_the_collector_writes_the_context_and_applies_a_flush_spooled_without_one(migrated, tmp_path):
    from analytics.store.metrics import collected_frame, write_collected

    batches = tailing(tmp_path).poll(dt.datetime(2026, 12, 5, 22, 28), final=True)
    store = migrated(tmp_path / "l.duckdb")
    df = collected_frame(batches)
    with store.write() as con:
        assert write_collected(con, df) == 9
        old = df.drop("context").with_columns(message=df["message"] + " (spooled before)")
        assert write_collected(con, old) == 9
    rows = store.query("SELECT message, context FROM error_events ORDER BY ts, message").to_dicts()
    assert rows[0]["context"].startswith("DETAIL:  Key (id)=(1) already exists.")
    assert [r["context"] for r in rows if r["message"].endswith("(spooled before)")] == [None] * 9


def test_a_recurring_errors_prediction_quotes_the_latest_example_with_its_context(tmp_path):
    """The prediction a recurring pattern raises (the dashboard's Predictions pane, Alertmanager) quotes the
    latest example, and with it the key and the query that failed."""
    from analytics.predict.predictions import refresh

    log = tmp_path / "pg.log"
    log.write_text(START + pg_errors(5))
    backfill_one_log(tmp_path, "postgres", log)
    store = Store(tmp_path / "l.duckdb")
    learn_from_events(store)
    refresh(store, now=dt.datetime(2026, 12, 5, 23, 0), detector=False)
    rows = store.query("SELECT message, evidence FROM predictions WHERE rule = 'recurring_error'").to_dicts()
    assert len(rows) == 3
    current = {c["example"].split()[0]: c for c in (json.loads(r["evidence"])["current"] for r in rows)}
    assert current["duplicate"]["example_context"] == (
        "DETAIL:  Key (id)=(5) already exists.\nSTATEMENT:  insert into u values (5,$$b$$)"
    )
    assert current["relation"]["example_context"] == "STATEMENT:  select * from nosuch5"


def test_ai_predict_prints_what_came_with_the_example(tmp_path):
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    log = tmp_path / "pg.log"
    log.write_text(pg_errors(5).replace("2026-12-05 22:27", recent))
    _, cfg = backfill_one_log(tmp_path, "postgres", log)
    learn_from_events(Store(tmp_path / "l.duckdb"))
    args = ["--db", str(tmp_path / "l.duckdb"), "--config", str(cfg), "ai", "predict"]
    out = CliRunner().invoke(lokifi, args, env={"COLUMNS": "100"})
    assert out.exit_code == 0, out.output
    assert "   With it: DETAIL:  Key (id)=(5) already exists.\n" in out.output
    assert "            STATEMENT:  insert into u values (5,$$b$$)\n" in out.output


def test_a_session_line_number_in_the_prefix_still_joins_the_fields():
    """log_line_prefix '%m [%p-%l] %q%u@%d ': each line of a session bears its number, the process the same."""
    stamp = "2026-12-05 22:27:25.454 UTC"
    lines = [
        f'{stamp} [7-1] app@db ERROR:  duplicate key value violates unique constraint "u_pkey"',
        f"{stamp} [7-2] app@db DETAIL:  Key (id)=(1) already exists.",
        f"{stamp} [7-3] app@db STATEMENT:  insert into u values (1)",
        f"{stamp} [8-1] app@db ERROR:  deadlock detected",
        f"{stamp} [9-1] app@db STATEMENT:  update u",  # another process, its first line
        f"{stamp} [8-2] app2@db HINT:  another user",
        f"{stamp} [10-5] app@db ERROR:  boom",
        f"{stamp} [11-5] app@db DETAIL:  the process counted on, not the line",
    ]
    folder: MultilineFolder[int] = MultilineFolder()
    events = folder.feed_lines(lines, range(len(lines))) + folder.flush()
    assert [(e[3], e[4]) for e in events] == [
        (0, "DETAIL:  Key (id)=(1) already exists.\nSTATEMENT:  insert into u values (1)"),
        (3, ""),
        (4, ""),
        (5, ""),
        (6, ""),
        (7, ""),
    ]
    assert fold_multiline(lines)[0] == [e[0] for e in events]


def test_a_context_found_later_is_set_on_the_stored_row_that_has_none(migrated, tmp_path):
    """A batch's context updates fill the context of the matching stored error (source, time, host,
    component, message) when it has none — also when that error is in the same write — and leave others."""
    from analytics.sources.base import Batch
    from analytics.store.metrics import collected_frame, write_collected

    ts = dt.datetime(2026, 12, 6, 10, 0, 0, 123456)
    row = {"ts": ts, "host": "db-1", "component": "pg", "level": "ERROR", "source": "loki:pg"}
    kept = {**row, "message": "ERROR: b", "context": "DETAIL: already there"}
    store = migrated(tmp_path / "c.duckdb")
    with store.write() as con:
        write_collected(con, collected_frame([Batch("pg", events=[{**row, "message": "ERROR: a"}, kept])]))
    found = [{**row, "message": m, "context": f"DETAIL: for {m}"} for m in ("ERROR: a", "ERROR: b", "ERROR: c")]
    later = [Batch("pg", events=[{**row, "message": "ERROR: c"}]), Batch("pg", contexts=found)]
    assert not later[1].empty and len(later[1]) == 0  # no row of its own
    with store.write() as con:
        assert write_collected(con, collected_frame(later)) == 1
    got = store.query("SELECT message, context FROM error_events ORDER BY message").rows()
    assert got == [
        ("ERROR: a", "DETAIL: for ERROR: a"),
        ("ERROR: b", "DETAIL: already there"),
        ("ERROR: c", "DETAIL: for ERROR: c"),
    ]


def test_the_status_counts_waiting_errors_in_words_that_agree():
    from analytics.sources.fleet.loki_waiting import ContextQueue

    q = ContextQueue()
    assert q.note() is None
    q.went_without = 1
    assert q.note() == "1 error went without it"
    q.went_without = 3
    assert q.note() == "3 errors went without it"


def test_a_late_context_reaches_the_sample_of_an_error_whose_line_held_a_nul_byte(migrated, tmp_path):
    """A pattern sample stores its message made safe (a NUL byte becomes U+FFFD, as ``safe_text`` does), so
    the sample is matched on the event's message made safe the same way: a context found after the error
    was learned reached the stored error but not the sample that ``lokifi patterns show`` quotes."""
    from analytics.patterns.learning import learn_from_events
    from analytics.sources.base import Batch
    from analytics.store.metrics import collected_frame, write_collected

    ts = dt.datetime(2026, 12, 6, 10, 0, 0, 123456)
    row = {"ts": ts, "host": "db-1", "component": "pg", "level": "ERROR", "source": "loki:pg"}
    message = "ERROR: bad byte \x00 in input"
    store = migrated(tmp_path / "n.duckdb")
    with store.write() as con:
        write_collected(con, collected_frame([Batch("pg", events=[{**row, "message": message}])]))
    learn_from_events(store)
    assert store.query("SELECT context FROM pattern_samples").rows() == [(None,)]
    found = [{**row, "message": message, "context": "DETAIL: the byte"}]
    with store.write() as con:
        write_collected(con, collected_frame([Batch("pg", contexts=found)]))
    assert store.query("SELECT context FROM error_events").rows() == [("DETAIL: the byte",)]
    assert store.query("SELECT message, context FROM pattern_samples").rows() == [
        ("ERROR: bad byte \ufffd in input", "DETAIL: the byte")
    ]
