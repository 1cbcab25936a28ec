"""Store-backed learning on a real DuckDB file: events -> patterns, outcomes -> confidence, approval, versions."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from analytics.patterns import learning as P
from analytics.patterns.confidence import assess, auto_approved, posterior_mean, wilson
from analytics.patterns.fingerprint import CURRENT_VERSION, RULESETS, SEED_V1, fingerprint
from analytics.patterns.learning_stats import learning_stats
from analytics.patterns.templates import template_of

T0 = dt.datetime(2024, 3, 11, 9, 0, 0)


def _events(store, msgs, component="backend", start=T0, source="test"):
    df = pl.DataFrame(
        {
            "ts": [start + dt.timedelta(minutes=i) for i in range(len(msgs))],
            "host": "h1",
            "component": component,
            "message": msgs,
            "source": source,
        }
    )
    store.append("error_events", df)


@pytest.mark.slow
def test_the_counts_said_are_the_patterns_stored_after_merging(store):
    """Lines whose templates differ in one word each (package names) are merged into one pattern: the pass
    says so (one new pattern, as `patterns list` shows), not one per template seen before merging."""
    names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"]
    _events(store, [f"status installed lib{n}:amd64 unpacked cleanly" for n in names])
    r = P.learn_from_events(store)
    stored = P.list_patterns(store, order="count")
    assert stored.height < len(names)  # the templates were merged ...
    assert (r.events, r.new_patterns, r.updated_patterns) == (len(names), stored.height, 0)  # ... and said so
    assert set(r.fingerprints) == set(stored["error_hash"].to_list())
    _events(
        store,
        [f"status installed lib{n}:amd64 unpacked cleanly" for n in ("kilo", "lima")],
        start=T0 + dt.timedelta(days=1),
    )
    r = P.learn_from_events(store)  # new words of a stored pattern: it is updated, nothing new
    assert (r.events, r.new_patterns, r.updated_patterns) == (2, 0, 1)
    assert P.list_patterns(store, order="count").height == stored.height


def test_confidence_never_calls_one_of_one_certain():
    assert posterior_mean(1, 0) == pytest.approx(2 / 3)
    assert posterior_mean(0, 0) == 0.5
    lo, hi = wilson(1, 0)
    assert lo < 0.3 and hi == 1.0
    c = assess(9, 1)
    assert c.lo < 0.9 < c.hi and c.level == "high"
    assert not auto_approved([True] * 4) and auto_approved([True] * 5)
    assert not auto_approved([True] * 5 + [False, False])


@pytest.mark.slow
def test_learn_from_events_creates_counts_and_fills_events(store):
    _events(
        store,
        ["Connection refused to 10.0.0.1:5432", "Connection refused to 10.0.0.2:5432", "disk full on /data"],
        component="backend",
    )
    _events(store, ["Connection refused to 10.0.0.3:6379"], component="worker", start=T0 + dt.timedelta(hours=1))
    r = P.learn_from_events(store)
    assert (r.events, r.new_patterns) == (4, 2)
    pats = P.list_patterns(store, order="count")
    top = pats.row(0, named=True)
    assert top["occurrence_count"] == 3 and top["error_type"] == "connection"
    assert top["first_seen"] == T0 and top["last_seen"] == T0 + dt.timedelta(hours=1)
    assert set(top["components"].split(",")) == {"backend", "worker"}
    ev = store.query("SELECT fingerprint, type, learned FROM error_events")
    assert ev["fingerprint"].null_count() == 0 and ev["learned"].all()
    # idempotent: nothing new to learn, counts unchanged
    assert P.learn_from_events(store).events == 0
    assert P.list_patterns(store, order="count")["occurrence_count"][0] == 3
    # more events count onto the same pattern
    _events(store, ["Connection refused to 10.9.9.9:1"], start=T0 + dt.timedelta(days=1))
    r = P.learn_from_events(store)
    assert (r.events, r.new_patterns, r.updated_patterns) == (1, 0, 1)
    p = P.get_pattern(store, top["error_hash"][:8])
    assert p["occurrence_count"] == 4 and len(p["samples"]) <= P.SAMPLES_PER_PATTERN
    assert p["last_seen"] == T0 + dt.timedelta(days=1)


def test_learn_keeps_a_fingerprint_and_type_given_by_the_source(store):
    store.append(
        "error_events",
        pl.DataFrame(
            {"ts": [T0], "host": "h", "component": "c", "message": ["weird thing"], "type": ["timeout_error"]}
        ),
    )
    P.learn_from_events(store)
    assert store.query("SELECT error_type FROM error_patterns")["error_type"][0] == "timeout"


@pytest.mark.slow
def test_outcomes_drive_confidence_and_auto_approval_which_is_lost_when_they_turn(store):
    p = P.record_error(store, "Error: connect ECONNREFUSED 127.0.0.1:5432", component="api")
    fp = p["error_hash"]
    assert p["confidence_score"] == 0.5 and not p["auto_approved"]
    r = P.record_outcome(store, fp[:10], True, solution="systemctl start postgresql", execution_time_ms=1200)
    assert r["version"] == 1 and r["success_count"] == 1
    assert r["confidence_score"] == pytest.approx(2 / 3) and not r["auto_approved"]
    for _ in range(4):
        r = P.record_outcome(store, fp, True, min_confidence=0.8, min_samples=5)
    assert r["success_count"] == 5 and r["auto_approved"] and r["approved_by"] == "auto"
    approved_at = r["approved_at"]
    r = P.record_outcome(store, fp, True, min_confidence=0.8, min_samples=5)
    assert r["approved_at"] == approved_at  # approval is not re-stamped while it holds
    r = P.record_outcome(store, fp, False, min_confidence=0.8, min_samples=5)
    r = P.record_outcome(store, fp, False, min_confidence=0.8, min_samples=5)
    assert not r["auto_approved"] and r["approved_at"] is None
    assert (r["recent_successes"], r["recent_failures"]) == (6, 2)
    assert r["avg_success_rate"] == pytest.approx(6 / 8)
    assert r["fixes"][0]["success"] is False and r["fixes"][-1]["execution_time_ms"] == 1200
    eff = P.effectiveness(store, fp)
    assert eff["outcomes"].height == 8 and eff["rolling_success_rate"] == pytest.approx(0.75)


@pytest.mark.slow
def test_editing_a_solution_makes_a_new_version_and_restarts_confidence(store):
    fp = P.record_error(store, 'FATAL: password authentication failed for user "app"', component="db")["error_hash"]
    assert P.edit_solution(store, fp, "reset the password") == 1
    P.record_outcome(store, fp, True)
    P.record_outcome(store, fp, False)
    assert P.edit_solution(store, fp, "reset the password") == 1  # same text: no new version
    assert P.edit_solution(store, fp, "fix pg_hba.conf and reload") == 2
    p = P.get_pattern(store, fp)
    assert p["version"] == 2 and (p["success_count"], p["failure_count"]) == (0, 0)
    assert [v["solution"] for v in p["versions"]] == ["reset the password", "fix pg_hba.conf and reload"]
    assert {f["solution_version"] for f in p["fixes"]} == {1}
    # an outcome recorded with a different solution creates the version first
    r = P.record_outcome(store, fp, True, solution="rotate the secret")
    assert r["version"] == 3 and r["success_count"] == 1
    with pytest.raises(ValueError):
        P.edit_solution(store, fp, "   ")


@pytest.mark.slow
def test_suggestion_switches_from_playbook_to_learned_at_the_threshold(store):
    msg = "Error: listen EADDRINUSE: address already in use :::3000"
    s = P.suggest(store, msg)
    assert s.source == "playbook" and s.error_type == "port_conflict" and not s.known
    fp = P.record_error(store, msg, component="web")["error_hash"]
    P.record_outcome(store, fp, True, solution="kill the old node process")
    assert P.suggest(store, msg, threshold=0.5).source == "learned"  # 67% > 50%
    assert P.suggest(store, msg, threshold=0.7).source == "playbook"  # 67% < 70%
    for _ in range(3):
        P.record_outcome(store, fp, True)
    s = P.suggest(store, "Error: listen EADDRINUSE: address already in use :::8080", threshold=0.7)
    assert s.source == "learned" and s.steps == ("kill the old node process",)  # 5/6 = 83%
    assert P.suggest(store, msg, threshold=0.9).source == "playbook"


@pytest.mark.slow
def test_learning_stats_are_counted_from_the_store(store):
    empty = learning_stats(store)
    assert empty.patterns == 0 and empty.effectiveness is None
    a = P.record_error(store, "Timeout after 30 s", component="x")["error_hash"]
    P.record_error(store, "disk full on /data", component="x")
    for _ in range(3):
        P.record_outcome(store, a, True, solution="raise the timeout")
    st = learning_stats(store)
    assert (st.patterns, st.high_confidence, st.successful_fixes, st.fixes_recorded) == (2, 1, 3, 3)
    assert st.effectiveness == 0.5
    store.execute("INSERT INTO predictions (prediction_type, component, accurate) VALUES ('x', 'y', true)")
    store.execute(
        "INSERT INTO smart_recommendations (recommendation_type, title, description, applied) "
        "VALUES ('a', 'b', 'c', true)"
    )
    st = learning_stats(store)
    assert (st.predictions, st.predictions_accurate, st.recommendations_applied) == (1, 1, 1)


def test_resolve_by_prefix_message_and_unknown(store):
    fp = P.record_error(store, "Connection reset by peer (fd 12)", component="x")["error_hash"]
    assert P.resolve(store, fp[:6]) == fp
    assert P.resolve(store, "Connection reset by peer (fd 99)") == fp
    with pytest.raises(P.PatternNotFound):
        P.resolve(store, "never seen before")
    with pytest.raises(P.PatternNotFound, match="too short for a pattern id: give at least 6"):
        P.resolve(store, fp[:4])  # as git takes 4 digits: say what is missing, not that nothing matches


def test_remap_moves_old_rules_patterns_with_their_fixes(store):
    msg = "Timeout after 30 s on db-1"
    old_fp = fingerprint(template_of(msg, SEED_V1))
    store.execute(
        "INSERT INTO error_patterns (error_hash, error_type, error_message, component, solution, "
        "success_count, rules_version) VALUES (?, 'timeout', ?, 'db', 'raise it', 2, 1)",
        [old_fp, msg],
    )
    store.execute("INSERT INTO fix_history (error_hash, fix_applied, success) VALUES (?, 'raise it', true)", [old_fp])
    mapping = P.remap_fingerprints(store)
    new_fp = fingerprint(template_of(msg))
    assert mapping == {old_fp: new_fp}
    p = P.get_pattern(store, new_fp)
    assert p["solution"] == "raise it" and p["rules_version"] == CURRENT_VERSION and len(p["fixes"]) == 1
    assert P.resolve(store, old_fp) == new_fp  # old ids still resolve


def test_remap_moves_a_tailed_pattern_whose_header_is_read_differently_now(store):
    """Version 5 reads postgres's user@database as header: a pattern learned from tailed lines under
    version 4 (its template kept 'postgres@postgres ERROR:') moves, with its fix, to the template the
    same lines have now, and a new line of that form counts onto it; a pattern recorded by hand (a
    message, not a raw line) is re-templated as a message."""
    line = (
        '2026-12-05 09:00:36.930 UTC [23604] postgres@postgres ERROR:  relation "users" does not exist at character 15'
    )
    old_fp = fingerprint('postgres@postgres ERROR: relation "users" does not exist at character <*>')  # v4's
    hand = "Timeout after 30 s on db-1"
    hand_fp = fingerprint(template_of(hand, RULESETS[4]))
    for fp, msg, v in ((old_fp, line, 4), (hand_fp, hand, 4)):
        store.execute(
            "INSERT INTO error_patterns (error_hash, error_type, error_message, component, solution, "
            "success_count, occurrence_count, rules_version) VALUES (?, 'general', ?, 'db', 'fix it', 2, 3, ?)",
            [fp, msg, v],
        )
    store.execute("INSERT INTO pattern_samples (error_hash, message, component) VALUES (?, ?, 'db')", [old_fp, line])
    mapping = P.remap_fingerprints(store)
    new_fp = fingerprint('relation "users" does not exist at character <*>')
    assert mapping == {old_fp: new_fp, hand_fp: fingerprint(template_of(hand))}
    p = P.get_pattern(store, new_fp)
    assert p["solution"] == "fix it" and p["template"] == 'relation "users" does not exist at character <*>'
    assert P.resolve(store, old_fp) == new_fp
    _events(store, [line.replace("[23604] postgres@postgres", "[23700] app@shop")], source="tail")
    P.learn_from_events(store)
    assert P.get_pattern(store, new_fp)["occurrence_count"] == 4


def test_remap_moves_a_pattern_of_counter_numbered_lines_to_the_message_after_its_level(store):
    """Version 6 reads a level word after a leading number as header (npm's debug log: '22 error 404 Not
    Found - GET ...'): a pattern learned from such lines under version 5 (its template kept 'error') moves,
    with its fix, to the template of the message after the level, and the next such line counts onto it."""
    line = "22 error 404 Not Found - GET https://registry.npmjs.org/nope - Not found"
    old_fp = fingerprint(template_of(line[3:], RULESETS[5]))
    store.execute(
        "INSERT INTO error_patterns (error_hash, error_type, error_message, component, solution, "
        "success_count, occurrence_count, rules_version) VALUES (?, 'general', ?, 'npm', 'check the name', 2, 3, 5)",
        [old_fp, line],
    )
    store.execute("INSERT INTO pattern_samples (error_hash, message, component) VALUES (?, ?, 'npm')", [old_fp, line])
    new_fp = fingerprint(template_of(line[9:]))
    assert P.remap_fingerprints(store) == {old_fp: new_fp}
    assert P.get_pattern(store, new_fp)["solution"] == "check the name"
    _events(
        store,
        ["31 error 404 Not Found - GET https://registry.npmjs.org/other - Not found"],
        component="npm",
        source="tail",
    )
    P.learn_from_events(store)
    assert P.get_pattern(store, new_fp)["occurrence_count"] == 4


def test_remap_gives_a_one_word_message_its_level_back(store):
    """Version 7 keeps the level in front of a message with fewer than two constant words (npm's ``158
    notice yallist``): a pattern learned under version 6 as ``yallist`` moves, with its fix, to ``notice
    yallist``, and the next such line counts onto it."""
    line = "158 notice yallist"
    old_fp = fingerprint(template_of("yallist", RULESETS[6]))
    store.execute(
        "INSERT INTO error_patterns (error_hash, error_type, error_message, component, solution, "
        "success_count, occurrence_count, rules_version) VALUES (?, 'general', ?, 'npm', 'ignore it', 1, 3, 6)",
        [old_fp, line],
    )
    store.execute("INSERT INTO pattern_samples (error_hash, message, component) VALUES (?, ?, 'npm')", [old_fp, line])
    new_fp = fingerprint("notice yallist")
    assert P.remap_fingerprints(store) == {old_fp: new_fp}
    assert P.get_pattern(store, new_fp)["solution"] == "ignore it"
    _events(store, ["159 notice yallist"], component="npm", source="tail")
    P.learn_from_events(store)
    assert P.get_pattern(store, new_fp)["occurrence_count"] == 4


def test_hostile_messages_are_stored_safely(store):
    nasty = "[bold red]boom[/] \x1b[2J\x1b[31m \x00 " + "A" * 200_000 + " \udcff"
    p = P.record_error(store, nasty, component="[i]x[/i]")
    assert p["occurrence_count"] == 1
    stored = store.query("SELECT message FROM error_events")["message"][0]
    assert "\x00" not in stored and len(stored) <= P.MAX_STORED_MESSAGE
    # nothing else in the store was lost or changed
    assert store.query("SELECT count(*) AS n FROM error_patterns")["n"][0] == 1


@pytest.mark.slow
def test_undo_outcome_restores_the_previous_state(store):
    fp = P.record_error(store, "Error: connect ECONNREFUSED 127.0.0.1:6379", component="cache")["error_hash"]
    for _ in range(5):
        r = P.record_outcome(store, fp, True, min_confidence=0.8, min_samples=5)
    assert r["auto_approved"]
    r = P.record_outcome(store, fp, False, min_confidence=0.8, min_samples=5)
    r = P.record_outcome(store, fp, False, min_confidence=0.8, min_samples=5)
    assert not r["auto_approved"]
    r = P.undo_outcome(store, fp, fix_id=r["fix_id"], min_confidence=0.8, min_samples=5)
    r = P.undo_outcome(store, fp, min_confidence=0.8, min_samples=5)
    assert (r["success_count"], r["failure_count"]) == (5, 0) and r["auto_approved"]
    with pytest.raises(P.PatternNotFound):
        P.undo_outcome(store, fp, fix_id=999999)


@pytest.mark.slow
def test_thresholds_come_from_the_config_file(store, tmp_path, monkeypatch):
    cfg = tmp_path / "lokifi.toml"
    cfg.write_text("[patterns]\nauto_approve_confidence = 0.6\nauto_approve_min_samples = 2\n")
    monkeypatch.setenv("LOKIFI_CONFIG", str(cfg))
    fp = P.record_error(store, "worker timed out after 30 s", component="w")["error_hash"]
    P.record_outcome(store, fp, True)
    assert P.record_outcome(store, fp, True)["auto_approved"]  # 2/2 -> 75% >= 60%, 2 samples


@pytest.mark.slow
def test_learning_remaps_old_rules_patterns_first(store):
    msg = "Timeout after 30 s on db-1"
    old_fp = fingerprint(template_of(msg, SEED_V1))
    store.execute(
        "INSERT INTO error_patterns (error_hash, error_type, error_message, component, solution, "
        "occurrence_count, rules_version) VALUES (?, 'timeout', ?, 'db', 'raise it', 4, 1)",
        [old_fp, msg],
    )
    _events(store, ["Timeout after 45 s on db-2"])
    P.learn_from_events(store)
    pats = P.list_patterns(store)
    assert pats.height == 1 and pats["occurrence_count"][0] == 5 and pats["solution"][0] == "raise it"
