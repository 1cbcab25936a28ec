"""A project taken out of the config takes its recommendations with it: the first refresh with the config
file that no longer has it resolves what came from there — only that — while a process still running
with an older version of the file, or a scan with another config file, leaves them open (real config
files, a real DuckDB store, real project directories)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import given, strategies as st
from recs_support import temp_project

from analytics.config.settings import load_config
from analytics.recommend import engine
from analytics.recommend.scopes import LOGS, PROJECT, Looked, scope
from analytics.recommend.system import Probe
from analytics.recommend.watched import Watched, dropped


class Calm(Probe):
    """This machine's disk/CPU/memory are whatever they are; these tests are about the project files."""


def write(cfg: Path, *dirs: Path) -> None:
    cfg.write_text("[watch]\nproject_dirs = [" + ", ".join(f'"{d}"' for d in dirs) + "]\n")


def refresh(store, config, **kw):
    return engine.refresh(store, config, now=dt.datetime.now(dt.UTC).replace(tzinfo=None), probe=Calm(), **kw)


def temp_recs(store) -> dict[str, tuple[int, str]]:
    """subject -> (id, status) of the temp-file recommendations."""
    return {
        r.subject: (r.id, r.status)
        for r in engine.list_recs(store, include_all=True)
        if r.rule == "maintenance.temp_files"
    }


def test_a_project_removed_from_the_config_has_its_recommendations_resolved(store, tmp_path):
    a, b = temp_project(tmp_path / "a"), temp_project(tmp_path / "b")
    cfg = tmp_path / "lokifi.toml"
    write(cfg, a, b)
    refresh(store, load_config(cfg), background=True)
    found = temp_recs(store)
    assert {k: s for k, (_, s) in found.items()} == {str(a): "open", str(b): "open"}

    write(cfg, b)
    rep = refresh(store, load_config(cfg), background=True)
    assert rep.summary.resolved == 1
    assert {k: s for k, (_, s) in temp_recs(store).items()} == {str(a): "resolved", str(b): "open"}
    [*_, last] = engine.history(store, found[str(a)][0])
    assert (last["action"], last["note"]) == ("resolved", f"{a} is no longer in [watch] project_dirs")
    assert [e["action"] for e in engine.history(store, found[str(b)][0])] == ["created"]

    # and once resolved, the next refresh with that file says nothing more of it
    assert refresh(store, load_config(cfg), background=True).summary.resolved == 0


def test_an_older_config_or_another_config_file_leaves_them_open(store, tmp_path):
    a = temp_project(tmp_path / "a")
    cfg = tmp_path / "lokifi.toml"
    write(cfg)
    started_with = load_config(cfg)  # a collector started before the project was added
    write(cfg, a)
    refresh(store, load_config(cfg), security_scan=True)  # `lokifi scan` with the file as it is now
    found = temp_recs(store)
    assert {k: s for k, (_, s) in found.items()} == {str(a): "open"}

    # the collector's refresh before it reloaded: its config is not the file as it is now
    assert refresh(store, started_with, background=True).summary.resolved == 0
    # a scan with another config file, which never had the project
    other = tmp_path / "other.toml"
    write(other)
    assert refresh(store, load_config(other), background=True).summary.resolved == 0
    assert temp_recs(store) == found
    assert [e["action"] for e in engine.history(store, found[str(a)][0])] == ["created"]

    write(cfg)  # then the project leaves the file: the file's own next refresh resolves it
    assert refresh(store, load_config(cfg), background=True).summary.resolved == 1
    assert temp_recs(store)[str(a)][1] == "resolved"


def test_a_project_kept_inside_a_removed_directory_keeps_its_recommendations(store, tmp_path):
    outer = temp_project(tmp_path / "srv")
    inner = temp_project(outer / "app")
    cfg = tmp_path / "lokifi.toml"
    write(cfg, outer, inner)
    refresh(store, load_config(cfg), background=True)
    assert {k: s for k, (_, s) in temp_recs(store).items()} == {str(outer): "open", str(inner): "open"}
    write(cfg, inner)
    refresh(store, load_config(cfg), background=True)
    assert {k: s for k, (_, s) in temp_recs(store).items()} == {str(outer): "resolved", str(inner): "open"}


_dirs = st.lists(st.sampled_from(["/srv", "/srv/app", "/srv/app2", "/opt/x", "/srv/app/sub"]), max_size=4)


@given(before=_dirs, now=_dirs, logs_before=_dirs, logs_now=_dirs, rec=st.sampled_from(["/srv", "/srv/app/sub/y"]))
def test_only_what_lies_in_a_dropped_place_and_in_no_watched_one_goes(before, now, logs_before, logs_now, rec):
    old, new = Watched(tuple(before), tuple(logs_before)), Watched(tuple(now), tuple(logs_now))
    looked = Looked(dropped=dropped(old, new), kept=new.scopes())
    for kind in (PROJECT, LOGS):
        rec_scope = scope(kind, rec)
        went = looked.dropped_by(rec_scope)
        watched_now = [*now, *(logs_now if kind == LOGS else ())]
        watched_before = [*before, *(logs_before if kind == LOGS else ())]
        inside = [d for d in watched_before if rec == d or rec.startswith(d + "/")]
        still = any(rec == d or rec.startswith(d + "/") for d in watched_now)
        assert (went is not None) == (bool(inside) and not still), (kind, rec, went)
        if went is not None:
            assert any(went.startswith(f"{d} is no longer in [watch]") for d in inside)
