"""Before a post, the alerts about to fire are written to the store as ``posting`` (possibly delivered): when
that write cannot be made, the post is not made either -- an alert Alertmanager took that the store knows
nothing of is forgotten by the next run. Here another process holds the database (as a stuck ``lokifi``
command would) from the moment the delivery begins its write-ahead transaction: the real Alertmanager
receives nothing, the error says so, and the next delivery, the database free again, posts the alert."""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import sys
import textwrap

import pytest
from alert_servers import AM, alerts_config, checked

from analytics.alerts.deliver import deliver
from analytics.store.database import Store, StoreBusy

pytestmark = [
    pytest.mark.skipif(
        AM is None, reason="prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)"
    ),
    pytest.mark.slow,
]

# another process's write transaction on the database, held until its stdin closes
_HOLDER = textwrap.dedent(
    """
    import sys
    from analytics.store.database import Store

    with Store(sys.argv[1]).write() as con:
        con.execute("SELECT 1")
        print("held", flush=True)
        sys.stdin.read()
    """
)


class HeldAtWrite(Store):
    """A store whose first write transaction finds the database held by another process (started then, so
    the delivery's reads before it went through): the write-ahead of a delivery."""

    holder: subprocess.Popen[str] | None = None

    @contextlib.contextmanager
    def write(self, timeout=None):
        if self.holder is None:
            self.holder = subprocess.Popen(
                [sys.executable, "-c", _HOLDER, str(self.path)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            assert self.holder.stdout is not None and self.holder.stdout.readline() == "held\n"
        with super().write(timeout) as con:
            yield con

    def release(self) -> None:
        if self.holder is not None:
            self.holder.communicate(timeout=30)
            assert self.holder.returncode == 0


def test_a_write_ahead_that_cannot_be_written_posts_nothing_and_the_next_round_delivers(am, tmp_path):
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # Alertmanager reads startsAt and endsAt on its own clock
    pid = Store(tmp_path / "l.duckdb").scalar(
        "INSERT INTO predictions (prediction_type, component, host, metric, severity, message, evidence, "
        "prediction_date, due_at) VALUES ('slow_response', 'api', 'web-1', 'response_time_ms', 'HIGH', "
        "'api response time will exceed 2000 ms', '{}', ?, ?) RETURNING id",
        [now - dt.timedelta(minutes=5), now + dt.timedelta(hours=6)],
    )
    cfg = checked(alerts_config(tmp_path, am.url))
    held = HeldAtWrite(tmp_path / "l.duckdb", read_timeout=1.0)
    try:
        with pytest.raises(StoreBusy) as failed:
            deliver(held, cfg, now)
    finally:
        held.release()
    assert held.holder is not None  # the reads before the write-ahead were made: the delivery got that far
    said = str(failed.value)
    assert said.startswith(f"nothing posted to {am.url}/api/v2/alerts: 1 alert could not be recorded as posting")
    assert "the next delivery tries again" in said and f"The database {held.path} has been busy" in said
    assert am.alerts() == []  # the post was not made
    store = Store(tmp_path / "l.duckdb")
    assert store.scalar("SELECT count(*) FROM alert_deliveries") == 0
    r = deliver(store, cfg, now)
    assert (r.posted, r.error) == (1, "")
    assert [(a["annotations"]["prediction_id"], a["status"]["state"]) for a in am.alerts()] == [(str(pid), "active")]
    assert store.query("SELECT state FROM alert_deliveries").rows() == [("firing",)]


class HeldWhenArmed(HeldAtWrite):
    """HeldAtWrite from the moment ``armed`` is set (a collector writes while it opens)."""

    armed = False

    @contextlib.contextmanager
    def write(self, timeout=None):
        if not self.armed:
            with Store.write(self, timeout) as con:
                yield con
            return
        with super().write(timeout) as con:
            yield con


def test_the_collectors_log_says_what_the_delivery_hook_said_of_a_busy_database(am, tmp_path, caplog):
    """Run by the collector, the delivery's busy database was said as "database busy; will retry" alone:
    that nothing was posted, to which endpoint, and why, reached direct callers only."""
    import logging

    from analytics.collect.loop import Collector
    from analytics.collect.reporter import Reporter

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    held = HeldWhenArmed(tmp_path / "l.duckdb", read_timeout=1.0)
    held.execute(
        "INSERT INTO predictions (prediction_type, component, host, metric, severity, message, evidence, "
        "prediction_date, due_at) VALUES ('slow_response', 'api', 'web-1', 'response_time_ms', 'HIGH', "
        "'api response time will exceed 2000 ms', '{}', ?, ?)",
        [now - dt.timedelta(minutes=5), now + dt.timedelta(hours=6)],
    )
    hook = "analytics.alerts.deliver:deliver"
    col = Collector(held, checked(alerts_config(tmp_path, am.url)), hooks=[hook], refresh_seconds=3600)
    col.open()
    try:
        held.armed = True
        col.run_hooks(now, all_due=True)
        with caplog.at_level(logging.INFO, logger="lokifi.collect"):
            Reporter(col, quiet=True).check()
    finally:
        held.release()
        col.close()
    assert held.holder is not None  # the delivery reached its write-ahead
    said = [r.getMessage() for r in caplog.records if r.name == "lokifi.collect"]
    assert said == [f"refresh {hook}: {col.stats.hook_errors[hook]}"] and said[0].startswith(
        f"refresh {hook}: database busy; will retry: nothing posted to {am.url}/api/v2/alerts: 1 alert could "
        "not be recorded as posting first, the next delivery tries again."
    )
    assert f"The database {held.path} has been busy" in said[0]
    assert am.alerts() == []
