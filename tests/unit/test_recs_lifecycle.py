"""The recommendation lifecycle on a real DuckDB store: keyed upserts, apply / dismiss / snooze / undo,
"materially worse", snoozes that end, resolution, and learning from dismissals (visible, resettable)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from analytics.config.settings import Config, Recommendations, Watch
from analytics.recommend import engine
from analytics.recommend.system import Probe

NOW = dt.datetime(2026, 11, 21, 12, 0, 0)
MB = 1024 * 1024


class Calm(Probe):
    """This machine's disk/CPU/memory are whatever they are; these tests are about the lifecycle."""


def conf(root: Path, **rec) -> Config:
    return Config(watch=Watch(project_dirs=(str(root),)), recommendations=Recommendations(**rec))


def sized(p: Path, mb: float) -> None:
    with open(p, "wb") as fh:
        fh.truncate(int(mb * MB))  # sparse: the large-log rule reads sizes only


def refresh(store, root, at, **kw):
    return engine.refresh(store, conf(root), now=at, probe=Calm(), host="h", **kw)


def open_rules(store, at):
    return [r.rule for r in engine.list_recs(store, "h", now=at)]


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "proj"
    (root / "logs").mkdir(parents=True)
    sized(root / "logs" / "app.log", 60)
    return root


def test_same_finding_is_stored_once(store, project):
    refresh(store, project, NOW)
    r2 = refresh(store, project, NOW + dt.timedelta(hours=1))
    assert r2.summary.created == 0 and r2.summary.updated >= 1
    n = store.scalar("SELECT count(*) FROM smart_recommendations WHERE rule = 'maintenance.large_logs'")
    assert n == 1
    rec = next(r for r in engine.list_recs(store, "h", now=NOW) if r.rule == "maintenance.large_logs")
    assert [e["action"] for e in engine.history(store, rec.id)] == ["created"]


@pytest.mark.slow
def test_dismissed_returns_only_when_materially_worse(store, project):
    refresh(store, project, NOW)
    rec = next(r for r in engine.list_recs(store, "h", now=NOW) if r.rule == "maintenance.large_logs")
    engine.dismiss(store, rec.id, now=NOW)
    sized(project / "logs" / "app.log", 61)  # a little bigger: still dismissed
    refresh(store, project, NOW + dt.timedelta(hours=1))
    assert "maintenance.large_logs" not in open_rules(store, NOW + dt.timedelta(hours=1))
    assert engine.get(store, rec.id).status == "dismissed"
    sized(project / "logs" / "app.log", 95)  # excess 0.2 -> 0.9: materially worse
    rep = refresh(store, project, NOW + dt.timedelta(hours=2))
    assert rep.summary.reopened == 1
    again = engine.get(store, rec.id)
    assert again.status == "open" and again.id == rec.id
    ev = engine.history(store, rec.id)
    assert [e["action"] for e in ev] == ["created", "dismissed", "reopened"]
    assert "materially worse" in ev[-1]["note"]


@pytest.mark.slow
def test_snooze_hides_until_time_is_up(store, project):
    refresh(store, project, NOW)
    rec = next(r for r in engine.list_recs(store, "h", now=NOW) if r.rule == "maintenance.large_logs")
    s = engine.snooze(store, rec.id, dt.timedelta(days=1), now=NOW)
    assert s.snoozed_until == NOW + dt.timedelta(days=1)
    assert "maintenance.large_logs" not in open_rules(store, NOW + dt.timedelta(hours=23))
    refresh(store, project, NOW + dt.timedelta(hours=23))
    assert engine.get(store, rec.id).status == "snoozed"
    # listed again the moment the time is up, and reopened (with history) by the next refresh
    assert "maintenance.large_logs" in open_rules(store, NOW + dt.timedelta(days=1, minutes=1))
    refresh(store, project, NOW + dt.timedelta(days=1, minutes=1))
    assert engine.get(store, rec.id).status == "open"
    assert engine.history(store, rec.id)[-1]["note"] == "snooze ended"


@pytest.mark.slow
def test_apply_resolve_and_return(store, project):
    refresh(store, project, NOW)
    rec = next(r for r in engine.list_recs(store, "h", now=NOW) if r.rule == "maintenance.large_logs")
    applied = engine.apply(store, rec.id, now=NOW)
    assert applied.status == "applied" and applied.action == "lokifi clean logs"
    assert store.scalar("SELECT applied FROM smart_recommendations WHERE id = ?", [rec.id]) is True
    sized(project / "logs" / "app.log", 1)  # the person cleaned it
    rep = refresh(store, project, NOW + dt.timedelta(hours=1))
    assert rep.summary.resolved == 1
    assert engine.get(store, rec.id).resolved_at == NOW + dt.timedelta(hours=1)
    sized(project / "logs" / "app.log", 70)  # it grew back
    refresh(store, project, NOW + dt.timedelta(days=3))
    assert engine.get(store, rec.id).status == "open"


def test_open_finding_resolves_when_condition_goes(store, project):
    refresh(store, project, NOW)
    os.unlink(project / "logs" / "app.log")
    refresh(store, project, NOW + dt.timedelta(hours=1))
    assert "maintenance.large_logs" not in open_rules(store, NOW + dt.timedelta(hours=1))
    rows = engine.list_recs(store, "h", include_all=True, now=NOW)
    assert [r.status for r in rows if r.rule == "maintenance.large_logs"] == ["resolved"]


@pytest.mark.slow
def test_secret_findings_survive_a_refresh_without_security_scan(store, project):
    (project / "cfg.py").write_text('KEY = "AKIAIOSFODNN7EXAMPLE"\n')
    refresh(store, project, NOW, security_scan=True)
    assert "security.secret" in open_rules(store, NOW)
    assert "security.scan_age" not in open_rules(store, NOW)
    refresh(store, project, NOW + dt.timedelta(hours=1))  # no secret scan: keep the finding
    assert "security.secret" in open_rules(store, NOW + dt.timedelta(hours=1))
    later = NOW + dt.timedelta(days=10)
    refresh(store, project, later)
    assert "security.scan_age" in open_rules(store, later)
    (project / "cfg.py").write_text("KEY = os.environ['KEY']\n")
    refresh(store, project, later, security_scan=True)
    assert "security.secret" not in open_rules(store, later) and "security.scan_age" not in open_rules(store, later)


def test_undo_restores_the_previous_state_exactly(store, project):
    refresh(store, project, NOW)
    rec = next(r for r in engine.list_recs(store, "h", now=NOW) if r.rule == "maintenance.large_logs")
    engine.snooze(store, rec.id, dt.timedelta(hours=4), now=NOW)
    engine.dismiss(store, rec.id, now=NOW + dt.timedelta(minutes=1))
    back = engine.undo(store, rec.id, now=NOW + dt.timedelta(minutes=2))
    assert back.status == "snoozed" and back.snoozed_until == NOW + dt.timedelta(hours=4)
    back = engine.undo(store, rec.id, now=NOW + dt.timedelta(minutes=3))
    assert back.status == "open" and back.snoozed_until is None
    with pytest.raises(engine.BadTransition):
        engine.undo(store, rec.id)
    with pytest.raises(engine.RecNotFound):
        engine.dismiss(store, 999_999)


@pytest.mark.slow
def test_rules_people_keep_dismissing_lose_priority_visibly_and_resettably(store, tmp_path):
    roots = []
    for i in range(4):
        root = tmp_path / f"p{i}"
        (root / "logs").mkdir(parents=True)
        sized(root / "logs" / "app.log", 200)
        roots.append(root)
    c = Config(watch=Watch(project_dirs=tuple(map(str, roots))))
    engine.refresh(store, c, now=NOW, probe=Calm(), host="h")
    recs = [r for r in engine.list_recs(store, "h", now=NOW) if r.rule == "maintenance.large_logs"]
    assert len(recs) == 4
    base = recs[0].impact
    for r in recs[:3]:
        engine.dismiss(store, r.id, now=NOW)
    engine.undo(store, recs[2].id, now=NOW)  # an undone dismissal teaches nothing
    engine.refresh(store, c, now=NOW + dt.timedelta(minutes=5), probe=Calm(), host="h")
    learned = engine.learning(store, "h")["maintenance.large_logs"]
    assert learned["dismissed"] == 2 and learned["factor"] == pytest.approx(1 - 0.5 * 2 / 4)
    left = engine.get(store, recs[3].id)
    assert left.impact < base and left.base_impact == base and left.learned_factor < 1
    assert left.evidence["learned"]["dismissed"] == 2
    # another host does not inherit this host's lesson
    assert engine.learning(store, "other") == {}
    engine.reset_learning(store, "h", "maintenance.large_logs", now=NOW + dt.timedelta(minutes=6))
    assert engine.get(store, recs[3].id).impact == base
    engine.refresh(store, c, now=NOW + dt.timedelta(minutes=7), probe=Calm(), host="h")
    assert engine.get(store, recs[3].id).impact == base
    assert engine.learning(store, "h")["maintenance.large_logs"]["dismissed"] == 0


@pytest.mark.slow
def test_secret_scan_rereads_only_changed_files(store, project):
    (project / "a.py").write_text("x = 1\n")
    (project / "b.py").write_text("y = 2\n")
    first = refresh(store, project, NOW, security_scan=True)
    assert first.stats["secret_files_cached"] == 0 and first.stats["secret_files_read"] == 2
    second = refresh(store, project, NOW + dt.timedelta(minutes=1), security_scan=True)
    assert second.stats["secret_files_cached"] == 2 and second.stats["secret_files_read"] == 0
    (project / "b.py").write_text('KEY = "AKIAIOSFODNN7EXAMPLE"\n')
    third = refresh(store, project, NOW + dt.timedelta(minutes=2), security_scan=True)
    assert third.stats["secret_files_read"] == 1 and third.stats["secret_files_cached"] == 1
    assert "security.secret" in open_rules(store, NOW + dt.timedelta(minutes=2))
    fourth = refresh(store, project, NOW + dt.timedelta(minutes=3), security_scan=True)  # hits come from the cache
    assert fourth.stats["secret_files_read"] == 0
    assert "security.secret" in open_rules(store, NOW + dt.timedelta(minutes=3))
    assert "AKIAIOSFODNN7EXAMPLE" not in str(store.query("SELECT * FROM rec_secret_cache").rows())
