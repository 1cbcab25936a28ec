"""An error's context read from Loki: what PostgreSQL writes with an error under the same stamp and process
(``DETAIL:  …``, ``STATEMENT:  …``, a query going on over unstamped lines) is kept with the event, one log per
stream, as when the file is read — also when the context comes in the next poll's window, and after a
collector killed while it held the error. Against the loopback server speaking Loki's HTTP API."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from click.testing import CliRunner
from fleet_puller import Puller
from loki_server import loki_source

from analytics.patterns.learning import learn_from_events
from analytics.sources.fleet.loki import QueryState, entry_key, from_config
from analytics.sources.fleet.loki_context import CONTEXT_REQUESTS
from analytics.sources.fleet.loki_events import CONTEXT_GAP_NS
from analytics.store.database import Store
from lokifi_tui.cli.main import cli

pytestmark = pytest.mark.servers
NS = 1_000_000_000


def cfg(url: str, job: str, **kw) -> dict:
    return loki_source(url, f'{{job="{job}"}}', name="pg", component="postgres", **kw)


def stamp(ns: int, pid: int) -> str:
    t = dt.datetime.fromtimestamp(ns / NS, dt.UTC)
    return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond // 1000:03d} UTC [{pid}] app@db"


def dup_error(ns: int, pid: int, i: int) -> list[tuple[int, str]]:
    s = stamp(ns, pid)
    return [
        (ns, f'{s} ERROR:  duplicate key value violates unique constraint "u_pkey"'),
        (ns + 1000, f"{s} DETAIL:  Key (id)=({i}) already exists."),
        (ns + 2000, f"{s} STATEMENT:  insert into u"),
        (ns + 3000, f"\tvalues ({i})"),
    ]


def rows(store: Store) -> list[dict]:
    return store.query(
        "SELECT host, level, message, context FROM error_events WHERE source = 'loki:pg' ORDER BY ts, host"
    ).to_dicts()


def test_the_fields_written_with_an_error_are_its_context_per_stream(loki, tmp_path):
    """Two hosts' streams interleaved in one answer: each error keeps its own DETAIL and STATEMENT (and the
    query's second line), which are no events of their own; a traceback is one event, as in a file."""
    job = f"pg-{uuid.uuid4().hex[:8]}"
    t = time.time_ns() - 20 * NS
    web1 = dup_error(t, 4001, 1) + [(t + 10 * NS, f"{stamp(t + 10 * NS, 4002)} ERROR:  deadlock detected")]
    web2 = dup_error(t + 500, 5001, 2)  # the same instants, another host: another log
    tb = ["2026-12-06 10:00:00,123 ERROR request failed", "Traceback (most recent call last):"]
    tb += ['  File "app.py", line 3, in <module>', "ValueError: bad value"]
    web2 += [(t + 12 * NS + k, line) for k, line in enumerate(tb)]  # a traceback shipped line by line
    loki.push([({"job": job, "host": "web-1"}, web1), ({"job": job, "host": "web-2"}, web2)])
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, cfg(loki.url, job))
    try:
        assert pl.pull().state == "up"
        assert pl.pull().state == "up"  # the overlap read again: nothing twice
    finally:
        pl.close()
    got = rows(store)
    assert [(r["host"], r["level"], r["message"].split(" app@db ")[-1], r["context"]) for r in got] == [
        ("web-1", "ERROR", 'ERROR:  duplicate key value violates unique constraint "u_pkey"', _ctx(1)),
        ("web-2", "ERROR", 'ERROR:  duplicate key value violates unique constraint "u_pkey"', _ctx(2)),
        ("web-1", "ERROR", "ERROR:  deadlock detected", None),
        ("web-2", "ERROR", "2026-12-06 10:00:00,123 ERROR request failed | ValueError: bad value", None),
    ]


def _ctx(i: int) -> str:
    return f"DETAIL:  Key (id)=({i}) already exists.\nSTATEMENT:  insert into u\n\tvalues ({i})"


def test_a_context_in_the_next_window_joins_its_error(loki, tmp_path):
    """The error is the last entry of one poll and its DETAIL the first of the next: the error is held
    (not stored, the checkpoint not past it), then stored once, with its context."""
    job = f"pg-{uuid.uuid4().hex[:8]}"
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, cfg(loki.url, job))
    try:
        t = time.time_ns() - int(1.2 * NS)  # read by the next pull (lag 1 s)
        first, *rest = dup_error(t, 4100, 7)
        loki.push([({"job": job, "host": "db-1"}, [first])])
        assert pl.pull().state == "up"
        assert rows(store) == []  # held for what may come with it
        (pos,) = store.query("SELECT position FROM source_checkpoints WHERE source = 'pg' AND key LIKE 'q:%'").row(0)
        assert json.loads(pos)["t"] <= t
        end = max(st.t for st in pl.src._qstate.values())  # where that poll's window ended
        # the fields written with it, stamped by the shipper at or after that end: the next poll's window
        loki.push([({"job": job, "host": "db-1"}, [(end + k, line) for k, (_, line) in enumerate(rest)])])
        deadline = time.monotonic() + 10
        while not rows(store) and time.monotonic() < deadline:
            time.sleep(0.5)
            assert pl.pull().state == "up"
        assert pl.pull().state == "up"
    finally:
        pl.close()
    (row,) = rows(store)
    assert row["message"].endswith('ERROR:  duplicate key value violates unique constraint "u_pkey"')
    assert row["context"] == _ctx(7)


def test_a_context_stamped_seconds_after_its_error_joins_it(loki, tmp_path):
    """Loki stamped the DETAIL several seconds after its error (the shipper read behind) and a poll's window
    ends between them: the error waits for its stream's next line, which continues it."""
    job = f"pg-{uuid.uuid4().hex[:8]}"
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, cfg(loki.url, job))
    try:
        t = time.time_ns() - 4 * NS  # the first pull reads about 3 s past it (lag 1 s)
        first, *rest = dup_error(t, 4150, 8)
        loki.push([({"job": job, "host": "db-1"}, [first])])
        assert pl.pull().state == "up"
        end = max(st.t for st in pl.src._qstate.values())
        assert end - t > 2 * NS
        assert rows(store) == []  # its stream has no next line yet: held
        loki.push([({"job": job, "host": "db-1"}, [(end + 500_000_000 + k, line) for k, (_, line) in enumerate(rest)])])
        deadline = time.monotonic() + 10
        while not rows(store) and time.monotonic() < deadline:
            time.sleep(0.5)
            assert pl.pull().state == "up"
    finally:
        pl.close()
    (row,) = rows(store)
    assert row["context"] == _ctx(8)


def test_a_line_long_after_an_error_does_not_join_it(loki, tmp_path):
    """The join is bounded in time, whatever the windows: a DETAIL that Loki stamped long after the error
    (more than the gap) is not its context, though both come in one window."""
    job = f"pg-{uuid.uuid4().hex[:8]}"
    t = time.time_ns() - 120 * NS
    (_, e), (_, detail), *_ = dup_error(t, 4160, 6)
    later = t + CONTEXT_GAP_NS + NS
    loki.push([({"job": job, "host": "db-1"}, [(t, e), (later, detail), (t + 30 * NS, f"{stamp(t, 4161)} LOG:  x")])])
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, cfg(loki.url, job))
    try:
        assert pl.pull().state == "up"
    finally:
        pl.close()
    got = [(r["message"].split(" app@db ")[-1], r["context"]) for r in rows(store)]
    assert got[:2] == [
        ('ERROR:  duplicate key value violates unique constraint "u_pkey"', None),
        ("DETAIL:  Key (id)=(6) already exists.", None),
    ]


def _count_context_reads(src) -> list[str]:
    """The selectors of the reads ``src`` makes without a line filter (its context reads), as it makes them."""
    seen: list[str] = []
    get = src.client.get_json

    def counting(path, params=None, *a, **kw):
        if path.endswith("query_range") and "|" not in params["query"]:
            seen.append(params["query"])
        return get(path, params, *a, **kw)

    src.client.get_json = counting
    return seen


def test_a_filtered_query_reads_each_errors_context_from_its_stream(loki, tmp_path):
    """``|= "ERROR"`` returns no DETAIL, STATEMENT or traceback line: each error's context is read from its
    own stream without the filter, one read per stream; a second pull reads none again."""
    job = f"pg-{uuid.uuid4().hex[:8]}"
    t = time.time_ns() - 40 * NS
    web1 = dup_error(t, 4501, 1) + dup_error(t + 3 * NS, 4502, 2)  # two errors of one stream: one read
    web1 += [(t + 5 * NS, f"{stamp(t + 5 * NS, 4503)} LOG:  checkpoint starting")]
    tb = ["2026-12-06 10:00:00,123 ERROR request failed", "Traceback (most recent call last):"]
    tb += ['  File "app.py", line 3, in <module>', "ValueError: bad value"]
    web2 = [(t + NS + k, line) for k, line in enumerate(tb)]
    loki.push([({"job": job, "host": "web-1"}, web1), ({"job": job, "host": "web-2"}, web2)])
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, cfg(loki.url, job, queries=[{"query": f'{{job="{job}"}} |= "ERROR"', "component": "pg"}]))
    reads = _count_context_reads(pl.src)
    try:
        assert pl.pull().state == "up"
        assert sorted(reads) == [f'{{host="web-1",job="{job}"}}', f'{{host="web-2",job="{job}"}}']
        assert pl.pull().state == "up"
    finally:
        pl.close()
    assert len(reads) == 2
    got = [(r["host"], r["message"].split(" app@db ")[-1], r["context"]) for r in rows(store)]
    assert got == [
        ("web-1", 'ERROR:  duplicate key value violates unique constraint "u_pkey"', _ctx(1)),
        ("web-2", "2026-12-06 10:00:00,123 ERROR request failed | ValueError: bad value", None),
        ("web-1", 'ERROR:  duplicate key value violates unique constraint "u_pkey"', _ctx(2)),
    ]


def _errors_on_more_streams_than_a_poll_reads(loki, t: int, extra: int = 2, step: int = NS) -> tuple[str, list[str]]:
    """One error on each of ``CONTEXT_REQUESTS + extra`` streams, ``step`` apart from ``t`` on."""
    job = f"pg-{uuid.uuid4().hex[:8]}"
    hosts = [f"db-{i}" for i in range(CONTEXT_REQUESTS + extra)]
    loki.push([({"job": job, "host": h}, dup_error(t + i * step, 4600 + i, i)) for i, h in enumerate(hosts)])
    return job, hosts


def _filtered(url: str, job: str, **kw) -> dict:
    return cfg(url, job, queries=[{"query": f'{{job="{job}"}} |~ "ERROR"', "component": "pg"}], **kw)


def test_errors_beyond_a_polls_context_reads_get_it_on_the_next_polls(loki, tmp_path):
    """Errors on more streams than a poll reads the context of: the reads stop at the bound and the errors
    left over are stored at once without their context, waiting for it (the status says how many); the next
    poll reads theirs, oldest first, and writes it onto the stored rows; after that nothing waits."""
    job, hosts = _errors_on_more_streams_than_a_poll_reads(loki, time.time_ns() - 40 * NS)
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, _filtered(loki.url, job))
    reads = _count_context_reads(pl.src)
    try:
        h = pl.pull()
        assert h.state == "up" and "2 errors waiting for their context" in h.message
        assert len(reads) == CONTEXT_REQUESTS
        got = rows(store)
        assert len(got) == len(hosts)
        assert [r["context"] is not None for r in got] == [True] * CONTEXT_REQUESTS + [False, False]
        h = pl.pull()
        assert h.state == "up" and "waiting" not in h.message, h.message
        assert reads[CONTEXT_REQUESTS:] == [f'{{host="{h}",job="{job}"}}' for h in hosts[-2:]]
        assert pl.pull().state == "up"
    finally:
        pl.close()
    assert len(reads) == len(hosts)  # each stream read once
    got = rows(store)
    assert [(r["host"], r["context"]) for r in got] == [(h, _ctx(i)) for i, h in enumerate(hosts)]


@pytest.mark.slow  # measured: 2.4 s
def test_a_context_found_after_the_error_was_learned_reaches_its_pattern_samples(loki, tmp_path):
    """The patterns are learned between two polls (the collector learns every few seconds): the samples of
    the errors still waiting are copied without their context. The context the next poll finds is written
    onto the stored errors and onto those samples, which ``lokifi patterns show`` and the RCA prompt quote:
    it reached the errors only."""
    job, hosts = _errors_on_more_streams_than_a_poll_reads(loki, time.time_ns() - 40 * NS)
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, _filtered(loki.url, job))
    try:
        assert "2 errors waiting" in pl.pull().message
        learn_from_events(store)

        def samples() -> dict[int, str | None]:
            got = store.query("SELECT message, context FROM pattern_samples").rows()
            return {next(i for i in range(len(hosts)) if f"[{4600 + i}]" in m): c for m, c in got}

        before = samples()
        assert before and sorted(i for i, c in before.items() if c is None) == [4, 5]  # the waiting ones
        h = pl.pull()
        assert h.state == "up" and "waiting" not in h.message, h.message
    finally:
        pl.close()
    assert [r["context"] for r in rows(store)] == [_ctx(i) for i in range(len(hosts))]
    assert samples() == {i: _ctx(i) for i in before}


def test_errors_waiting_for_their_context_wait_across_a_restart(loki, tmp_path):
    """The queue is in the store with the rows: a new collector reads the context of the errors the last one
    left waiting, and no other."""
    job, hosts = _errors_on_more_streams_than_a_poll_reads(loki, time.time_ns() - 40 * NS, extra=3)
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, _filtered(loki.url, job))
    try:
        assert "3 errors waiting" in pl.pull().message
    finally:
        pl.close()
    (queued,) = store.query("SELECT position FROM source_checkpoints WHERE key = 'context-waiting'").row(0)
    assert len(json.loads(queued)["waiting"]) == 3
    again = Puller(store, _filtered(loki.url, job))  # a new collector: it knows only what the store says
    reads = _count_context_reads(again.src)
    try:
        assert "waiting" not in again.pull().message
        assert again.pull().state == "up"
    finally:
        again.close()
    assert reads == [f'{{host="{h}",job="{job}"}}' for h in hosts[-3:]]
    assert [r["context"] for r in rows(store)] == [_ctx(i) for i in range(len(hosts))]


def test_errors_whose_context_is_older_than_backfill_go_without(loki, tmp_path):
    """An error that waited until it is older than the source's backfill is no longer read: the status
    counts it as gone without its context."""
    job, _hosts = _errors_on_more_streams_than_a_poll_reads(loki, time.time_ns() - 29 * NS, step=NS // 10)
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, _filtered(loki.url, job, backfill="30s"))
    reads = _count_context_reads(pl.src)
    try:
        assert "2 errors waiting" in pl.pull().message
        time.sleep(2.5)  # the last two errors are now older than 30 s
        h = pl.pull()
    finally:
        pl.close()
    assert len(reads) == CONTEXT_REQUESTS
    assert "waiting" not in h.message and "2 errors went without it" in h.message
    assert sum(r["context"] is None for r in rows(store)) == 2


def test_an_error_released_while_loki_was_down_gets_its_context_when_it_is_back(loki, tmp_path, monkeypatch):
    """An error held for its context while Loki stops answering is stored without it when the hold runs
    out, and waits: once Loki answers again its context is read and written onto the stored row."""
    from fault_proxy import FaultProxy

    from analytics.sources.fleet import loki_events

    monkeypatch.setattr(loki_events, "MAX_HOLD_SECONDS", 0.5)  # the 60 s, shortened
    job = f"pg-{uuid.uuid4().hex[:8]}"
    t = time.time_ns() - int(1.5 * NS)
    loki.push([({"job": job, "host": "db-1"}, dup_error(t, 4700, 11))])
    proxy = FaultProxy(loki.url).start()
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, _filtered(proxy.url, job, timeout=1))
    reads = _count_context_reads(pl.src)
    try:
        assert pl.pull().state == "up"
        assert rows(store) == []  # held: the query has not been read 10 s past it
        proxy.set("down")
        time.sleep(0.6)
        assert pl.pull().state == "down"
        assert [r["context"] for r in rows(store)] == [None]  # the hold ran out: stored as it is
        proxy.set("ok")
        deadline = time.monotonic() + 20
        while rows(store)[0]["context"] is None and time.monotonic() < deadline:
            time.sleep(0.5)
            assert pl.pull().state == "up"
    finally:
        pl.close()
        proxy.stop()
    assert [r["context"] for r in rows(store)] == [_ctx(11)]
    assert reads == [f'{{host="db-1",job="{job}"}}']


def test_a_collector_killed_while_holding_reads_the_error_again(loki, tmp_path):
    """The checkpoint stored while an error is held leaves it out: a new collector, starting from what the
    store says (no final poll: the first was killed), reads the error and its context, once."""
    job = f"pg-{uuid.uuid4().hex[:8]}"
    t = time.time_ns() - int(1.5 * NS)
    loki.push([({"job": job, "host": "db-1"}, dup_error(t, 4200, 9))])
    src = from_config(cfg(loki.url, job))
    src.start({})
    batches = src.poll(dt.datetime.now())
    assert sum(len(b.events) for b in batches) == 0
    (key,) = [k for b in batches for k in b.checkpoints if k.startswith("q:")]
    raw = [b.checkpoints[key] for b in batches if key in b.checkpoints][-1]
    st = QueryState.from_json(raw)
    labels = {"job": job, "host": "db-1"}
    assert st.t <= t and entry_key(labels, t, dup_error(t, 4200, 9)[0][1]) not in st.seen
    src.close()  # killed: never polled again

    again = from_config(cfg(loki.url, job))
    again.start({key: raw})
    time.sleep(1.0)
    events = [e for b in again.poll(dt.datetime.now()) for e in b.events]
    events += [e for b in again.poll(dt.datetime.now(), final=True) for e in b.events]
    again.close()
    assert [(e["host"], e["context"]) for e in events] == [("db-1", _ctx(9))]


def test_the_final_poll_stores_a_held_error(loki, tmp_path):
    job = f"pg-{uuid.uuid4().hex[:8]}"
    t = time.time_ns() - int(1.5 * NS)
    loki.push([({"job": job, "host": "db-1"}, dup_error(t, 4300, 3))])
    store = Store(tmp_path / "db.duckdb")
    pl = Puller(store, cfg(loki.url, job))
    try:
        assert pl.pull().state == "up"
        assert rows(store) == []
    finally:
        pl.close()  # the collector stops: what it holds is stored
    assert [r["context"] for r in rows(store)] == [_ctx(3)]


def test_patterns_show_and_ai_predict_print_a_loki_errors_context(loki, tmp_path):
    job = f"pg-{uuid.uuid4().hex[:8]}"
    t = time.time_ns() - 300 * NS
    lines = [e for i in range(1, 6) for e in dup_error(t + i * 10 * NS, 4400 + i, i)]
    loki.push([({"job": job, "host": "db-1"}, lines)])
    db, conf = tmp_path / "db.duckdb", tmp_path / "lokifi.toml"
    conf.write_text("")
    store = Store(db)
    pl = Puller(store, cfg(loki.url, job))
    try:
        assert pl.pull().state == "up"
    finally:
        pl.close()
    learn_from_events(store)
    dup = store.query("SELECT error_hash FROM error_patterns WHERE template LIKE '%duplicate key%'").item()
    del store
    base = ["--db", str(db), "--config", str(conf)]
    out = CliRunner().invoke(cli, [*base, "patterns", "show", dup[:12]], env={"COLUMNS": "120"})
    assert out.exit_code == 0, out.output
    assert "DETAIL:  Key (id)=(5) already exists." in out.output
    assert "STATEMENT:  insert into u" in out.output
    out = CliRunner().invoke(cli, [*base, "ai", "predict"], env={"COLUMNS": "120"})
    assert out.exit_code == 0, out.output
    assert "   With it: DETAIL:  Key (id)=(5) already exists.\n" in out.output
