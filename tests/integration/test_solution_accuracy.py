"""Measured accuracy of the model's proposals beside the playbooks' and people's, the auto-approval
rate with its withdrawals, the cost per fix that worked, and the cache's upkeep -- driven through the
real analysis against the loopback OpenAI server, checked against a hand count."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import sys

import pytest
from rca_support import HASH, NOW, OTHER_HASH, config_for, seed_pattern, write_config

from analytics.patterns.learning import edit_solution, record_outcome
from analytics.patterns.learning_stats import learning_stats
from analytics.patterns.solution_accuracy import solution_accuracy
from analytics.rca import cache as cache_mod
from analytics.rca.analyze import analyze_pattern

pytestmark = pytest.mark.slow  # measured: 24 s in all

PRICES = {"test-model": {"input": 1.0, "output": 2.0}, "other-model": {"input": 1.0, "output": 2.0}}
CALL_COST = (420 * 1.0 + 180 * 2.0) / 1e6  # the loopback server reports 420 + 180 tokens
PLAYBOOK_HASH = "abcdef00" + "3" * 56
HAND_HASH = "abcdef11" + "4" * 56
HAND2_HASH = "abcdef22" + "5" * 56


def outcomes(store, fp: str, results: str, start: dt.datetime) -> dt.datetime:
    """Record 'w'/'f' outcomes an hour apart; returns the time after the last."""
    t = start
    for c in results:
        record_outcome(store, fp, c == "w", now=t, min_confidence=0.8, min_samples=5)
        t += dt.timedelta(hours=1)
    return t


def build_history(server, store):
    """Two model proposals, a playbook, and two hand-written fixes, with outcomes (the hand count is in
    each test)."""
    seed_pattern(store)
    seed_pattern(store, error_hash=OTHER_HASH, metrics=False)
    seed_pattern(store, error_hash=PLAYBOOK_HASH, metrics=False, error_type="memory_error")
    seed_pattern(store, error_hash=HAND_HASH, metrics=False, error_type="timeout_error")
    seed_pattern(store, error_hash=HAND2_HASH, metrics=False, error_type="permission_error")
    a = analyze_pattern(store, config_for(server, prices=PRICES), HASH, now=NOW)
    b = analyze_pattern(store, config_for(server, prices=PRICES, model="other-model"), OTHER_HASH, now=NOW)
    assert a.candidate_solution and b.candidate_solution  # the model's answers became candidates
    t = NOW + dt.timedelta(days=1)
    outcomes(store, HASH, "wwwwwfff", t)  # approved at the 5th, withdrawn at the 6th
    outcomes(store, OTHER_HASH, "fffff", t)  # judged, never approved
    outcomes(store, PLAYBOOK_HASH, "wwwww", t + dt.timedelta(days=8))  # the playbook: approved now
    edit_solution(store, HAND_HASH, "1) raise the client timeout to 30 s", now=t)
    outcomes(store, HAND_HASH, "wwww", t)  # 4 outcomes: not judged yet
    edit_solution(store, HAND2_HASH, "1) chown app:app /srv/data", now=t)
    end = outcomes(store, HAND2_HASH, "wwwww", t)  # approved ...
    edit_solution(store, HAND2_HASH, "1) chmod 750 /srv/data", now=end)  # ... then replaced
    return a, b


@pytest.fixture(scope="module")
def _history_file(tmp_path_factory):
    """The history, built once for the module (two analyses through the loopback server and ~30 outcomes:
    8 s a test) in a database file each test copies."""
    from openai_server import shared_server

    from analytics.rca.client import forget_capabilities
    from analytics.store.database import Store

    srv = shared_server()
    srv.reset()
    forget_capabilities()
    env = pytest.MonkeyPatch()
    env.setenv("OPENAI_API_KEY", srv.api_key)
    try:
        store = Store(tmp_path_factory.mktemp("history") / "history.duckdb")
        made = build_history(srv, store)
    finally:
        env.undo()
        srv.reset()
        forget_capabilities()
    assert not store.path.with_name(store.path.name + ".wal").exists()  # all of it is in the one file
    return store.path, made


@pytest.fixture
def history(server, store, _history_file):
    """A copy of the history of this test's own (tests add outcomes, undo, prune)."""
    path, made = _history_file
    shutil.copy(path, store.path)  # over the empty store the fixture made
    return made


def test_accuracy_per_source_and_model_matches_the_hand_count(history, store):
    sa = solution_accuracy(store, min_samples=5, now=NOW + dt.timedelta(days=12))
    model, playbook, hand = sa.kind("model"), sa.kind("playbook"), sa.kind("hand-written")
    assert (model.worked, model.failed, model.solutions, model.proposed, model.approved) == (5, 8, 2, 2, 1)
    assert model.rate == pytest.approx(5 / 13)
    lo, hi = model.interval
    assert lo < 5 / 13 < hi and lo > 0 and hi < 1
    assert model.describe() == f"38% worked (n=13, 95% CI {lo:.0%}-{hi:.0%})"
    assert (playbook.worked, playbook.failed, playbook.approved) == (5, 0, 1)
    assert (hand.worked, hand.failed, hand.solutions, hand.proposed, hand.approved) == (9, 0, 2, 3, 1)
    per_model = {m.model: (m.worked, m.failed, m.proposed, m.approved) for m in sa.models}
    assert per_model == {"test-model": (5, 3, 1, 1), "other-model": (0, 5, 1, 0)}


def test_auto_approval_rate_counts_judged_solutions_and_withdrawals(history, store):
    a = solution_accuracy(store, min_samples=5, now=NOW + dt.timedelta(days=12)).approval
    # judged (>= 5 outcomes): the two model proposals, the playbook, the first hand-written fix
    assert (a.judged, a.approved, a.rate) == (4, 3, 0.75)
    assert (a.approved_now, a.withdrawals, a.withdrawn_solutions, a.superseded) == (1, 1, 1, 1)
    weeks = {w.week: (w.approved, w.withdrawn, w.judged) for w in a.weeks}
    assert sum(v[0] for v in weeks.values()) == 3 and sum(v[2] for v in weeks.values()) == 4
    assert len(weeks) == 2  # the playbook's outcomes came a week later
    st = learning_stats(store, min_samples=5)
    assert (st.approval_judged, st.approval_approved, st.approval_withdrawals) == (4, 3, 1)
    assert (st.model_fixes_worked, st.model_fixes_failed) == (5, 8)
    assert st.auto_approval_rate == 0.75 and st.model_accuracy == pytest.approx(5 / 13)
    # one outcome came while a fix stood auto-approved (the model's 6th, which failed and withdrew it);
    # the outcomes that earned an approval were recorded by hand before it
    assert (st.auto_fixes_recorded, st.auto_fixes_worked) == (1, 0)


def test_a_withdrawal_by_undo_is_counted_too(history, store):
    from analytics.patterns.learning import undo_outcome

    undo_outcome(store, PLAYBOOK_HASH, min_confidence=0.8, min_samples=5)  # back to 4 outcomes
    a = solution_accuracy(store, min_samples=5).approval
    assert (a.approved_now, a.withdrawals) == (0, 2)


def test_cost_per_fix_that_worked_and_the_diagnosis_links_to_its_fix_attempts(history, store):
    a, b = history
    cost = solution_accuracy(store, min_samples=5).cost
    assert (cost.model_calls, cost.priced_calls, cost.model_solutions_worked) == (2, 2, 1)
    assert cost.total_tokens == 1200 and cost.tokens_per_fix == 1200
    assert cost.cost_per_fix == pytest.approx(2 * CALL_COST)
    assert (cost.linked_tokens, cost.linked_cost) == (600, pytest.approx(CALL_COST))
    linked = store.query("SELECT DISTINCT diagnosis_id FROM fix_history WHERE error_hash = ?", [HASH])
    assert linked["diagnosis_id"].to_list() == [a.diagnosis_id]
    assert (
        store.scalar("SELECT diagnosis_id FROM pattern_versions WHERE error_hash = ?", [OTHER_HASH]) == b.diagnosis_id
    )
    # outcomes of the playbook and of people's fixes link to no diagnosis
    assert (
        store.scalar(
            "SELECT count(diagnosis_id) FROM fix_history WHERE error_hash <> ? AND error_hash <> ?", [HASH, OTHER_HASH]
        )
        == 0
    )


def test_no_outcomes_reads_n0_not_a_made_up_figure(store):
    sa = solution_accuracy(store, min_samples=5)
    assert all(k.rate is None and k.describe() == "n=0" for k in sa.kinds)
    assert sa.approval.rate is None and sa.cost.cost_per_fix is None and sa.cost.tokens_per_fix is None


def test_cli_learn_and_cache_stats_show_the_figures(history, store, tmp_path, server):
    cfg = write_config(tmp_path / "lokifi.toml", server)
    base = [sys.executable, "-m", "lokifi_tui.cli.main", "--db", str(store.path), "--config", str(cfg)]
    learn = subprocess.run(base + ["ai", "learn", "--json"], capture_output=True, text=True, timeout=60)
    assert learn.returncode == 0, learn.stderr
    d = json.loads(learn.stdout)
    assert d["model_accuracy"] == pytest.approx(5 / 13) and d["auto_approval_rate"] == 0.75
    kinds = {k["kind"]: k for k in d["solution_accuracy"]["kinds"]}
    assert kinds["model"]["outcomes"] == 13 and kinds["playbook"]["worked"] == 5
    text = subprocess.run(base + ["ai", "learn"], capture_output=True, text=True, timeout=60)
    assert "model proposals: 38% worked (n=13" in text.stdout
    assert "built-in playbooks: 100% worked (n=5" in text.stdout
    assert "Auto-approval rate: 75% (3 of 4 solutions with >= 5 outcomes)" in text.stdout
    assert "withdrawals after failures or an undo: 1 (of 1 solution)" in text.stdout
    assert "2 approved, 1 withdrawn, 3 reached 5 outcomes" in text.stdout
    stats = subprocess.run(base + ["ai", "cache", "stats", "--json"], capture_output=True, text=True, timeout=60)
    assert stats.returncode == 0, stats.stderr
    s = json.loads(stats.stdout)
    assert s["fix_cost"]["model_solutions_worked"] == 1 and s["fix_cost"]["tokens_per_fix"] == 1200
    human = subprocess.run(base + ["ai", "cache", "stats"], capture_output=True, text=True, timeout=60)
    assert "cost per fix that worked: 1,200 tokens" in human.stdout
    assert "model test-model: 62% worked (n=8" in human.stdout


def test_daily_clean_runs_once_a_day(server, store):
    seed_pattern(store)
    analyze_pattern(store, config_for(server, cache_ttl_days=1), HASH, now=NOW)
    assert cache_mod.daily_clean(store, now=NOW + dt.timedelta(hours=12)) == 0  # nothing expired yet
    assert cache_mod.daily_clean(store, now=NOW + dt.timedelta(hours=30)) is None  # cleaned under a day ago
    assert store.scalar("SELECT count(*) FROM ai_analysis_cache") == 1
    assert cache_mod.daily_clean(store, now=NOW + dt.timedelta(hours=37)) == 1


def test_the_collector_cleans_expired_entries(server, store, tmp_path):
    seed_pattern(store)
    past = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=3)
    analyze_pattern(store, config_for(server, cache_ttl_days=1), HASH, now=past)
    assert store.scalar("SELECT count(*) FROM ai_analysis_cache") == 1
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text("[collect]\nvitals = false\n")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "lokifi_tui.cli.main",
            "--db",
            str(store.path),
            "--config",
            str(cfg),
            "collect",
            "--once",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert store.scalar("SELECT count(*) FROM ai_analysis_cache") == 0
    assert store.get_kv("ai_cache_cleaned_at")


def test_fix_history_retention_keeps_the_current_solutions_outcomes(store):
    from analytics.store.retention import prune

    seed_pattern(store, metrics=False)
    old = NOW - dt.timedelta(days=400)
    edit_solution(store, HASH, "1) restart the pool", now=old)
    outcomes(store, HASH, "wf", old)
    edit_solution(store, HASH, "1) raise max_connections", now=old + dt.timedelta(days=1))
    outcomes(store, HASH, "ww", old + dt.timedelta(days=1))  # current version, also old
    outcomes(store, HASH, "w", NOW)
    kw = dict(metrics_days=90, events_days=180, predictions_days=365, now=NOW)
    assert prune(store, **kw, fix_history_days=365, dry_run=True).fix_history == 2
    assert prune(store, **kw).fix_history == 0  # not asked: kept
    assert prune(store, **kw, fix_history_days=365).fix_history == 2
    left = store.query("SELECT solution_version, success FROM fix_history ORDER BY applied_at")
    assert left["solution_version"].to_list() == [2, 2, 2]
    assert store.scalar("SELECT success_count FROM error_patterns WHERE error_hash = ?", [HASH]) == 3


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.mark.anyio
async def test_the_dashboard_top_bar_shows_the_models_measured_share(history, store):
    from tui_support import fixed_vitals, screen_text

    from lokifi_tui.app import LokifiApp

    for size, expected in (((160, 40), "AI fixes 38% worked n=13"), ((80, 24), "AI offline (38% n=13)")):
        app = LokifiApp(store.path, vitals=fixed_vitals, collect=False, now=NOW + dt.timedelta(days=12))
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            line = next(x for x in screen_text(app).splitlines() if "Patterns" in x)
            assert expected in line, line
