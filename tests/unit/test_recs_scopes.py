"""A refresh resolves only what it looked at: recommendations from a project directory, a log directory
or a scan scope the refresh did not gather stay as they are (a real DuckDB store, real files)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from analytics.config.settings import Component, Config, Watch
from analytics.recommend import engine
from analytics.recommend.scopes import LOGS, PROJECT, Looked, scope
from analytics.recommend.system import Probe

MB = 1024 * 1024


class Calm(Probe):
    """This machine's disk/CPU/memory are whatever they are; these tests are about the project files."""


def old(p: Path, days: float) -> None:
    t = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).timestamp()
    os.utime(p, (t, t))


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path, monkeypatch):
    """A refresh with no directory configured looks at the current one (as `lokifi scan` does): run each
    test from its own empty directory, not from a checkout whose bench data holds large logs."""
    here = tmp_path / "cwd"
    here.mkdir()
    monkeypatch.chdir(here)


@pytest.fixture
def proj(tmp_path) -> Path:
    """A directory holding a 60 MB log, old temp files and a stale requirements.txt."""
    root = tmp_path / "proj"
    root.mkdir()
    with open(root / "app.log", "wb") as fh:
        fh.truncate(60 * MB)
    for i in range(25):
        (root / f"build{i}.tmp").write_text("x")
        old(root / f"build{i}.tmp", 3)
    (root / "requirements.txt").write_text("requests==2.31.0\n")
    old(root / "requirements.txt", 90)
    return root


FILE_RULES = {"maintenance.large_logs", "maintenance.temp_files", "dependencies.stale"}


def refresh(store, config, **kw):
    return engine.refresh(store, config, now=dt.datetime.now(dt.UTC).replace(tzinfo=None), probe=Calm(), **kw)


def file_recs(store) -> dict[str, tuple[int, str]]:
    """rule -> (id, status) of this host's recommendations about files."""
    return {r.rule: (r.id, r.status) for r in engine.list_recs(store, include_all=True) if r.rule in FILE_RULES}


def actions(store, rec_id: int) -> list[str]:
    return [e["action"] for e in engine.history(store, rec_id)]


def test_a_refresh_without_the_project_leaves_its_recommendations_open(store, proj):
    """The collector started before project_dirs was added: its refresh does not watch the project, so
    what `lokifi scan` found there stays open (it was marked resolved, and reopened after a restart)."""
    watching = Config(watch=Watch(project_dirs=(str(proj),)))
    refresh(store, watching, security_scan=True)
    found = file_recs(store)
    assert set(found) == FILE_RULES and {s for _, s in found.values()} == {"open"}

    rep = refresh(store, Config(), background=True)  # the collector's refresh, with its old config
    assert rep.summary.resolved == 0
    assert file_recs(store) == found
    assert all(actions(store, i) == ["created"] for i, _ in found.values())

    # the refresh that does watch it still resolves what is gone there
    (proj / "app.log").unlink()
    rep = refresh(store, watching, background=True)
    assert rep.summary.resolved == 1
    large_id, _ = found["maintenance.large_logs"]
    assert file_recs(store)["maintenance.large_logs"] == (large_id, "resolved")
    assert file_recs(store)["maintenance.temp_files"][1] == "open"


def test_a_scan_from_another_directory_leaves_the_first_ones_open(store, proj, tmp_path, monkeypatch):
    """With no project_dirs a command looks where it is run: a scan run elsewhere did not look at proj."""
    monkeypatch.chdir(proj)
    refresh(store, Config(), security_scan=True)
    found = file_recs(store)
    assert set(found) == FILE_RULES
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert refresh(store, Config(), security_scan=True).summary.resolved == 0
    assert file_recs(store) == found


def test_a_log_directory_walked_for_logs_only_does_not_resolve_its_temp_files(store, proj):
    """Walked as a log directory, proj is looked at for logs, not for temp files or manifests."""
    refresh(store, Config(watch=Watch(project_dirs=(str(proj),))))
    found = file_recs(store)
    (proj / "app.log").unlink()
    rep = refresh(store, Config(watch=Watch(log_dirs=(str(proj),))), background=True)
    assert rep.summary.resolved == 1
    now = file_recs(store)
    assert now["maintenance.large_logs"][1] == "resolved"
    assert now["maintenance.temp_files"] == found["maintenance.temp_files"]
    assert now["dependencies.stale"] == found["dependencies.stale"]


def test_a_component_log_is_looked_at_only_while_the_component_watches_it(store, tmp_path):
    logs = tmp_path / "var"
    logs.mkdir()
    with open(logs / "api.log", "wb") as fh:
        fh.truncate(60 * MB)
    with_api = Config(components=(Component("api", logs=(str(logs / "api.log"),)),))
    refresh(store, with_api)
    (rid, status), *_ = file_recs(store).values()
    assert status == "open"
    assert refresh(store, Config(), background=True).summary.resolved == 0
    os.truncate(logs / "api.log", 0)
    assert refresh(store, with_api, background=True).summary.resolved == 1
    assert engine.get(store, rid).status == "resolved"


def test_a_project_directory_that_is_gone_resolves_what_it_held(store, proj):
    watching = Config(watch=Watch(project_dirs=(str(proj),)))
    refresh(store, watching)
    for p in proj.iterdir():
        p.unlink()
    proj.rmdir()
    rep = refresh(store, watching, background=True)
    assert rep.summary.resolved == 3
    assert any("missing or not readable" in p for p in rep.problems)


def test_an_unreadable_audit_report_keeps_what_it_said(store, tmp_path):
    proj = tmp_path / "p"
    proj.mkdir()
    report = proj / "pip-audit.json"
    report.write_text(
        '{"dependencies": [{"name": "flask", "version": "0.5", "vulns": [{"id": "PYSEC-1", "fix_versions": []}]}]}'
    )
    watching = Config(watch=Watch(project_dirs=(str(proj),)))
    refresh(store, watching, security_scan=True)
    (rec,) = [r for r in engine.list_recs(store) if r.rule == "security.vulnerable_deps"]
    report.write_text('{"dependencies": [')  # being rewritten
    rep = refresh(store, watching, security_scan=True)
    assert any("not valid JSON" in p for p in rep.problems)
    assert engine.get(store, rec.id).status == "open"
    report.write_text('{"dependencies": []}')
    refresh(store, watching, security_scan=True)
    assert engine.get(store, rec.id).status == "resolved"


def test_recommendations_stored_before_scopes_get_theirs(store, proj):
    """A database from before: the migration gives each stored file recommendation the place it is about."""
    refresh(store, Config(watch=Watch(project_dirs=(str(proj),))))
    with store.write() as con:
        con.execute("UPDATE smart_recommendations SET scope = NULL")
        sql = (Path(__file__).parents[2] / "analytics/store/migrations/102_recommendation_scope.sql").read_text()
        con.execute(sql)
    got = dict(store.query("SELECT rule, scope FROM smart_recommendations").iter_rows())
    assert got == {
        "maintenance.large_logs": f"logs:{proj}",
        "maintenance.temp_files": f"project:{proj}",
        "dependencies.stale": f"project:{proj}",
        "security.scan_age": None,  # every refresh looks at this host's scans
    }
    assert refresh(store, Config(), background=True).summary.resolved == 0


_name = st.text(st.characters(blacklist_characters="/\x00", blacklist_categories=("Cs",)), min_size=1, max_size=8)


@given(a=_name, b=_name, c=_name)
def test_a_place_covers_what_lies_in_it_and_nothing_beside_it(a, b, c):
    root = f"/{a}/{b}"
    looked = Looked()
    looked.add(PROJECT, root)
    assert looked.covers(scope(PROJECT, root))
    assert looked.covers(scope(PROJECT, f"{root}/{c}"))
    assert not looked.covers(scope(LOGS, f"{root}/{c}"))  # another kind of look
    assert not looked.covers(scope(PROJECT, f"{root}{c}"))  # a sibling whose name starts the same
    assert not looked.covers(scope(PROJECT, f"/{a}"))
    assert looked.covers("") and looked.covers(None)
    looked.unread.add(f"{root}/{c}")
    assert not looked.covers(scope(PROJECT, f"{root}/{c}/x"))
    assert looked.covers(scope(PROJECT, f"{root}/{c}x")) or c.endswith("/")
    only = Looked()
    only.add(LOGS, root, below=False)
    assert only.covers(scope(LOGS, root)) and not only.covers(scope(LOGS, f"{root}/{c}"))
