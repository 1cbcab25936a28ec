"""The collector end to end: real DuckDB file, real HTTP server, closed port, log files written and
rotated, the collector killed with SIGKILL mid-batch and restarted — every row stored exactly once."""

from __future__ import annotations

import collections
import datetime as dt
import http.server as httpserver
import os
import random
import re
import signal
import subprocess
import threading
import time
import uuid

import pytest
from collect_support import cli, fast_tail_config, hold_database, write_config
from loopback_support import closed_port

from analytics.collect.loop import Collector, CollectorBusy, collect_once
from analytics.collect.writer_lock import collector_running
from analytics.config.settings import load_config
from analytics.sources.probes import ProbeSource, ProbeSpec
from analytics.sources.tail import LogSpec, TailSource
from analytics.store.database import Store

pytestmark = pytest.mark.timeout(240)


class _Counting(httpserver.BaseHTTPRequestHandler):
    """Counts the requests under this test's own path only: a stranger (a collector some other test left
    behind, probing a port the kernel has since handed to this server) gets 404 and is not counted."""

    hits = 0
    prefix = ""

    def do_GET(self):
        mine = self.path.startswith(type(self).prefix)
        type(self).hits += mine
        self.send_response(200 if mine else 404)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def web():
    """The base URL of a loopback server that counts the requests made under it (``_Counting``)."""
    _Counting.hits, _Counting.prefix = 0, f"/{uuid.uuid4().hex}/"
    srv = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}{_Counting.prefix}"
    srv.shutdown()
    srv.server_close()


class LineWriter(threading.Thread):
    """Appends numbered error lines (and info noise) to a log, rotating it by rename every ``rotate_every``."""

    def __init__(self, path, rate: float, rotate_every: int | None = None, total: int | None = None):
        super().__init__(daemon=True)
        self.path, self.rate, self.rotate_every, self.total = path, rate, rotate_every, total
        self.written = 0
        self.stop = threading.Event()
        self.rotations = 0

    def run(self):
        f = open(self.path, "a")
        while not self.stop.is_set() and (self.total is None or self.written < self.total):
            i = self.written
            f.write(f"ERROR job {i} failed: Connection refused\nINFO job {i} retry scheduled\n")
            f.flush()
            self.written += 1
            if self.rotate_every and self.written % self.rotate_every == 0:
                self.rotations += 1
                f.close()
                os.rename(self.path, f"{self.path}.{self.rotations}")
                f = open(self.path, "a")
            time.sleep(1.0 / self.rate)
        f.close()


def job_numbers(store: Store) -> collections.Counter:
    df = store.query("SELECT message FROM error_events WHERE source = 'tail'")
    out = collections.Counter()
    for msg in df["message"]:
        m = re.match(r"ERROR job (\d+) failed", msg)
        assert m, msg
        out[int(m.group(1))] += 1
    return out


# -- in-process ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_rows_and_positions_are_written_together_and_restart_resumes(migrated, tmp_path, web):
    log = tmp_path / "app.log"
    log.write_text("ERROR before start (not read: tails start at the end)\n")
    _, cfg = write_config(
        tmp_path,
        f"""
[general]
collect_seconds = 1
[[components]]
name = "api"
logs = ["{log}"]
probes = [{{ url = "{web}" }}]
""",
    )
    store = migrated(tmp_path / "db.duckdb")
    rep = collect_once(store, cfg)
    assert rep.written and rep.vitals is not None and rep.probes[0].ok
    with open(log, "a") as f:
        f.write("ERROR job 0 failed\nINFO fine\nERROR job 1 failed\n")
    collect_once(store, cfg)
    with open(log, "a") as f:
        f.write("ERROR job 2 failed\n")
    collect_once(store, cfg)
    assert job_numbers(store) == {0: 1, 1: 1, 2: 1}
    assert store.scalar("SELECT count(*) FROM probe_results") == 3 == _Counting.hits
    cp = store.scalar("SELECT position FROM source_checkpoints WHERE source = 'tail'")
    assert f'"offset": {log.stat().st_size}' in cp
    st = store.query("SELECT source, state FROM source_status ORDER BY source")
    assert dict(st.iter_rows()) == {"collector": "stopped", "probes": "ok", "tail": "ok", "vitals": "ok"}


@pytest.mark.slow
def test_busy_database_spools_and_nothing_is_lost_or_repeated(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("")
    db = tmp_path / "db.duckdb"
    store = Store(db, write_timeout=0.3)
    store.query("SELECT 1")  # create and migrate
    src = TailSource([LogSpec("api", str(log))], "h1")
    col = Collector(store, load_config(None), sources=[src], hooks=())
    col.open()
    col.poll_source(src, dt.datetime(2026, 11, 21, 12))
    col.flush()
    holder = hold_database(db, 3)
    with open(log, "a") as f:
        f.write("ERROR job 0 failed\nERROR job 1 failed\n")
    col.poll_source(src, dt.datetime(2026, 11, 21, 12))
    res = col.flush()
    assert res is not None and not res.written  # spooled
    assert store.spooled() == 1
    holder.wait()
    with open(log, "a") as f:
        f.write("ERROR job 2 failed\n")
    col.poll_source(src, dt.datetime(2026, 11, 21, 12))
    assert col.flush().written  # applies the spool first, then this batch
    col.close()
    assert store.spooled() == 0
    assert job_numbers(store) == {0: 1, 1: 1, 2: 1}


def test_one_writer_per_database(migrated, tmp_path):
    store = migrated(tmp_path / "db.duckdb")
    cfg = load_config(None)
    a = Collector(store, cfg, hooks=())
    a.open()
    try:
        assert collector_running(store.path) == os.getpid()
        with pytest.raises(CollectorBusy):
            Collector(store, cfg, hooks=()).open()
        view = Collector(store, cfg, persist="auto", hooks=())
        view.open()
        assert view.mode == "view" and "another collector" in view.busy_reason
        view.step(force=True)
        assert view.latest_vitals is not None  # the dashboard still gets live vitals
        view.close()
    finally:
        a.close()
    assert collector_running(store.path) is None


@pytest.mark.slow
def test_thread_start_stop_and_refresh_hooks(migrated, tmp_path):
    calls = []

    def hook(store, config, now):
        calls.append(now)

    store = migrated(tmp_path / "db.duckdb")
    col = Collector(store, load_config(None), hooks=[hook], flush_seconds=0.2, refresh_seconds=0.3)
    col.start()
    deadline = time.monotonic() + 30  # until it has flushed a vitals row and run the hook (1.5 s fixed before)
    while time.monotonic() < deadline and not (col.stats.flushes and calls and cpu_rows(store)):
        time.sleep(0.05)
    col.stop()
    assert col.mode == "stopped"
    assert col.stats.flushes >= 1 and calls
    assert cpu_rows(store) >= 1


def cpu_rows(store: Store) -> int:
    return store.scalar("SELECT count(*) FROM metrics WHERE component = 'host' AND metric = 'cpu_percent'")


def test_failing_source_does_not_stop_the_others(migrated, tmp_path):
    class Broken(ProbeSource):
        def poll(self, now):
            raise RuntimeError("exploded")

    store = migrated(tmp_path / "db.duckdb")
    col = Collector(
        store,
        load_config(None),
        sources=[
            Broken([], "h", name="broken"),
            ProbeSource([ProbeSpec("c", "tcp", f"127.0.0.1:{closed_port()}")], "h"),
        ],
        hooks=(),
    )
    col.open()
    col.step(force=True)
    col.close()
    states = {s.name: (s.state, s.last_error) for s in col.statuses()}
    assert states["broken"] == ("error", "RuntimeError: exploded")
    assert store.scalar("SELECT count(*) FROM probe_results") == 1


# -- the real command, killed and restarted ---------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_mid_batch_loses_and_repeats_nothing(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("")
    db = tmp_path / "db.duckdb"
    cfgp, _ = write_config(
        tmp_path,
        fast_tail_config(
            log,
            general="collect_seconds = 1",
            extra=f'probes = [{{ kind = "tcp", host = "127.0.0.1", port = {closed_port()} }}]',
        ),
    )
    # Establish the start position before writing, so every line written is expected.
    subprocess.run(cli(db, cfgp, "--once"), check=True, capture_output=True)
    writer = LineWriter(log, rate=400, rotate_every=700, total=3000)
    writer.start()
    rng = random.Random(9)
    kills = 0
    # On a loaded machine a collector may be killed before its first write every time while the writer
    # runs: then the killing goes on (the lines written wait in the log) until a killed one has written.
    while writer.is_alive() or (kills < 60 and not job_numbers(Store(db))):
        proc = subprocess.Popen(cli(db, cfgp, "--no-hooks"), stderr=subprocess.PIPE, text=True)
        assert "writing to" in proc.stderr.readline()  # started: from here it writes every 0.3 s
        time.sleep(rng.uniform(0.2, 2.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        kills += 1
    assert kills >= 3
    stored_by_killed = sum(job_numbers(Store(db)).values())
    assert stored_by_killed > 0  # the killed collectors did write (so the kills landed among batches)
    final = subprocess.Popen(cli(db, cfgp, "--no-hooks"), stderr=subprocess.PIPE, text=True)
    assert "writing to" in final.stderr.readline()
    # it reads what the killed ones left (three rotations): as long as that takes on a loaded machine, then
    # a second more; a line lost stays missing (and fails below), one repeated shows at once
    deadline = time.monotonic() + 60
    while len(job_numbers(Store(db))) < writer.written and time.monotonic() < deadline:
        time.sleep(0.5)
    time.sleep(1)
    final.send_signal(signal.SIGTERM)
    _, err = final.communicate(timeout=60)
    assert final.returncode == 0, err
    store = Store(db)
    got = job_numbers(store)
    assert writer.rotations >= 3
    missing = [i for i in range(writer.written) if got[i] == 0]
    repeated = {i: n for i, n in got.items() if n > 1}
    assert not missing and not repeated, (len(missing), missing[:3], missing[-3:], list(repeated.items())[:20])
    assert len(got) == writer.written == 3000
    # probe results: one row per run, never two rows for one run
    dup = store.scalar("SELECT count(*) FROM (SELECT ts, probe FROM probe_results GROUP BY ALL HAVING count(*) > 1)")
    assert dup == 0


@pytest.mark.alone
@pytest.mark.slow
def test_collect_stores_every_probe_result_and_error_line_exactly_once(tmp_path, web):
    """The issue's done-when: 15 s here; ``COLLECT_E2E_SECONDS=60`` runs the full minute."""
    seconds = float(os.environ.get("COLLECT_E2E_SECONDS", "15"))
    log = tmp_path / "app.log"
    log.write_text("")
    db = tmp_path / "db.duckdb"
    port = closed_port()
    cfgp, _ = write_config(
        tmp_path,
        f"""
[general]
collect_seconds = 1
[collect]
flush_seconds = 2
[[components]]
name = "web"
logs = ["{log}"]
probes = [{{ url = "{web}health" }}, {{ kind = "tcp", host = "127.0.0.1", port = {port} }}]
""",
    )
    subprocess.run(cli(db, cfgp, "--once"), check=True, capture_output=True)
    writer = LineWriter(log, rate=20, rotate_every=60)
    proc = subprocess.Popen(cli(db, cfgp, "--no-hooks"), stderr=subprocess.PIPE, text=True)
    writer.start()
    time.sleep(seconds)
    writer.stop.set()
    writer.join()
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    store = Store(db)
    got = job_numbers(store)
    assert writer.rotations >= 3
    assert sorted(got) == list(range(writer.written)) and set(got.values()) == {1}
    http_ok = store.scalar("SELECT count(*) FROM probe_results WHERE kind = 'http' AND ok")
    assert http_ok == _Counting.hits  # every request the server answered is one stored result (--once included)
    refused = store.scalar("SELECT count(*) FROM probe_results WHERE error_kind = 'refused'")
    events = store.scalar(
        "SELECT count(*) FROM error_events WHERE source = 'probes' AND message = ?",
        [f"Connection refused on port {port} (127.0.0.1)"],
    )
    assert refused == events
    runs = store.scalar("SELECT count(DISTINCT ts) FROM probe_results")
    assert store.scalar("SELECT count(*) FROM probe_results") == 2 * runs
    # a round a second while it ran, counted from its first round to its last: how long the process took
    # to start (seconds on a loaded machine) is not the collector's cadence
    first, last = store.query(
        "SELECT min(ts), max(ts) FROM probe_results WHERE ts > (SELECT min(ts) FROM probe_results)"
    ).rows()[0]
    assert runs - 1 >= 0.8 * (last - first).total_seconds() and runs - 1 >= seconds * 0.3
    assert refused == runs  # the closed port refused every round, --once included


@pytest.mark.slow
def test_refused_port_becomes_a_learned_pattern_with_the_playbook_fix(migrated, tmp_path):
    """The issue: "Connection refused on port 3000" appears as a pattern with the seed's suggested fix."""
    from analytics.patterns.learning import list_patterns, suggest
    from analytics.patterns.playbooks import playbook_for

    port = closed_port()
    _, cfg = write_config(
        tmp_path,
        f"""
[[components]]
name = "frontend"
probes = [{{ kind = "tcp", host = "127.0.0.1", port = {port} }}]
""",
    )
    store = migrated(tmp_path / "db.duckdb")
    collect_once(store, cfg, hooks=True)  # collects, writes, then runs the refresh hooks (learning)
    collect_once(store, cfg, hooks=True)
    pats = list_patterns(store)
    assert pats.height == 1
    row = pats.to_dicts()[0]
    assert row["error_type"] in ("connection", "connection_error") and row["occurrence_count"] == 2
    s = suggest(store, "Connection refused on port 3000 (127.0.0.1)")
    assert s.known and s.error_hash == row["error_hash"]
    assert s.steps == playbook_for("connection").steps and s.steps


def test_retention_hook_prunes_old_raw_rows(migrated, tmp_path):
    from analytics.collect.hooks import apply_retention

    store = migrated(tmp_path / "db.duckdb")
    now = dt.datetime(2026, 11, 21, 12)
    for ts in (now - dt.timedelta(days=200), now - dt.timedelta(days=1)):
        store.execute(
            "INSERT INTO probe_results (ts, host, component, probe, kind, target, ok) "
            "VALUES (?, 'h', 'c', 'p', 'tcp', 't', true)",
            [ts],
        )
        store.execute("INSERT INTO metrics (ts, host, component, metric, value) VALUES (?, 'h', 'c', 'm', 1)", [ts])
    _, cfg = write_config(tmp_path, "[retention]\nmetrics_days = 90\n")
    apply_retention(store, cfg, now=now)
    assert store.scalar("SELECT count(*) FROM probe_results") == 1
    assert store.scalar("SELECT min(ts) FROM metrics") == now - dt.timedelta(days=1)


@pytest.mark.slow
def test_dashboard_collector_hands_over_to_lokifi_collect(tmp_path):
    """A dashboard collecting while it is open, then `lokifi collect` started: the dashboard hands the
    database over (and keeps live vitals on screen); no line is lost or stored twice across the switch."""
    log = tmp_path / "app.log"
    log.write_text("")
    db = tmp_path / "db.duckdb"
    cfgp, cfg = write_config(
        tmp_path,
        f"""
[general]
collect_seconds = 1
[collect]
tail_seconds = 0.2
flush_seconds = 0.5
[[components]]
name = "api"
logs = ["{log}"]
""",
    )
    store = Store(db)
    dash = Collector(store, cfg, persist="auto", hooks=())
    dash.start()
    assert dash.mode == "write"
    while not any(s.name == "tail" and s.last_poll for s in dash.statuses()):
        time.sleep(0.05)  # the tail has opened the file (at its end): every line from here is expected
    writer = LineWriter(log, rate=50, rotate_every=150, total=600)
    writer.start()
    time.sleep(2)
    proc = subprocess.Popen(cli(db, cfgp, "--no-hooks"), stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while dash.mode == "write" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert dash.mode == "view" and "handed over" in dash.busy_reason
    writer.join()
    time.sleep(2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert dash.latest_vitals is not None
    dash.stop()
    got = job_numbers(Store(db))
    assert sorted(got) == list(range(600)) and set(got.values()) == {1}


def test_error_events_are_learned_soon_after_their_write_not_at_the_next_refresh(migrated, tmp_path, monkeypatch):
    """The learning hook runs every refresh_seconds (5 min in the dashboard) and also soon after a flush
    that wrote error events: a new kind at once (LEARN_SOON_SECONDS), repeats of a known kind at a slower
    pace (LEARN_REPEAT_SECONDS); the other engines keep their own schedule."""
    import analytics.collect.scheduling as loop

    monkeypatch.setattr(loop, "LEARN_SOON_SECONDS", 0.0, raising=False)
    monkeypatch.setattr(loop, "LEARN_REPEAT_SECONDS", 3600.0, raising=False)
    log = tmp_path / "app.log"
    log.write_text("")
    store = migrated(tmp_path / "db.duckdb")
    src = TailSource([LogSpec("api", str(log))], "h1")
    others: list[dt.datetime] = []
    hooks = ["analytics.patterns.learning:learn_from_events", lambda s, c, now: others.append(now)]
    col = Collector(store, load_config(None), sources=[src], hooks=hooks, flush_seconds=0.0, refresh_seconds=3600)

    def learned() -> tuple[int, int]:
        n = store.scalar("SELECT count(*) FROM error_events WHERE coalesce(learned, false)")
        return n, store.scalar("SELECT coalesce(sum(occurrence_count), 0) FROM error_patterns")

    def run_until(condition, seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            col.step(force=True)
            if col._hook_thread is not None:
                col._hook_thread.join(30)
            time.sleep(0.1)

    col.open()
    try:
        col.step(force=True)  # the tail starts at the file's end
        with open(log, "a") as f:
            f.write("ERROR payment gateway refused card for order 1234\n")
        run_until(lambda: learned() == (1, 1))
        assert learned() == (1, 1) and store.scalar("SELECT count(*) FROM error_patterns") == 1
        with open(log, "a") as f:
            f.write("ERROR payment gateway refused card for order 5678\n")  # the same kind again
        run_until(lambda: store.scalar("SELECT count(*) FROM error_events") == 2)
        run_until(lambda: learned() == (2, 2), 2.0)
        assert learned() == (1, 1)  # a repeat waits for the slower pace
        monkeypatch.setattr(loop, "LEARN_REPEAT_SECONDS", 0.0)
        with open(log, "a") as f:
            f.write("ERROR payment gateway refused card for order 9012\n")
        run_until(lambda: learned() == (3, 3))
        assert learned() == (3, 3)
        assert others == []  # not a refresh: only the learning ran
    finally:
        col.close()


def test_each_hook_runs_on_its_own_interval_not_the_refresh(migrated, tmp_path, monkeypatch):
    """A hook named ``module:function@SECONDS`` runs every SECONDS even when the refresh is far longer (the
    dashboard refreshes every 5 min; Alertmanager delivery is every 15 s, and a firing alert's endsAt is
    four resend intervals ahead: held to the refresh, alerts resolved themselves between re-posts)."""
    import analytics.collect.hooks as hooks_mod

    fast: list[dt.datetime] = []
    slow: list[dt.datetime] = []
    monkeypatch.setitem(hooks_mod.BUILTIN, "lokifi_test.hooks:fast", lambda s, c, now: fast.append(now))
    monkeypatch.setitem(hooks_mod.BUILTIN, "lokifi_test.hooks:slow", lambda s, c, now: slow.append(now))
    store = migrated(tmp_path / "db.duckdb")
    col = Collector(
        store,
        load_config(None),
        hooks=["lokifi_test.hooks:fast@0.3", "lokifi_test.hooks:slow"],
        flush_seconds=0.2,
        refresh_seconds=3600,
    )
    col.start()
    time.sleep(2.0)
    col.stop()
    assert len(fast) >= 3, fast
    assert slow == []  # its first run is refresh_seconds after the start, as before
