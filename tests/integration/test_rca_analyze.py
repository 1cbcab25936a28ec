"""analyze_pattern end to end: a real DuckDB store, the loopback OpenAI server, the real client."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from loopback_support import closed_port
from openai_server import GOOD_ANSWER, Behaviour
from rca_support import HASH, NOW, OTHER_HASH, config_for, corpus, seed_pattern

from analytics.rca import cache as cache_mod, ledger
from analytics.rca.analyze import analyze_pattern, preview_pattern
from analytics.rca.client import Progress

PRICES = {"test-model": {"input": 1.0, "output": 2.0}}


def cached_rows(store) -> int:
    return store.scalar("SELECT count(*) FROM ai_analysis_cache")


@pytest.mark.slow
def test_analysis_then_cache_hit_with_zero_tokens(server, store):
    seed_pattern(store)
    cfg = config_for(server, prices=PRICES)
    first = analyze_pattern(store, cfg, HASH, now=NOW)
    assert first.status == "ok" and not first.from_cache
    assert first.answer.probable_root_cause == GOOD_ANSWER["probable_root_cause"]
    assert first.tokens == 600 and first.cost == pytest.approx((420 * 1.0 + 180 * 2.0) / 1e6)
    second = analyze_pattern(store, cfg, HASH, now=NOW + dt.timedelta(minutes=5))
    assert second.status == "cached" and second.from_cache and second.tokens == 0 and second.cost == 0
    assert second.answer == first.answer and second.tokens_saved == 600 and second.hit_count == 2
    assert len(server.chat_requests()) == 1
    stats = cache_mod.stats(store)
    assert (stats.entries, stats.hits, stats.misses, stats.hit_rate, stats.tokens_saved) == (1, 1, 1, 0.5, 600)
    spent = ledger.summary(store)
    assert spent.model_calls == 1 and spent.cache_hits == 1
    assert spent.cost_per_diagnosis == pytest.approx(first.cost)
    assert ledger.diagnosis_cost(store, first.diagnosis_id).cost == pytest.approx(first.cost)
    assert ledger.diagnosis_cost(store, second.diagnosis_id).calls == 0


@pytest.mark.slow
def test_no_planted_secret_reaches_the_server(server, store):
    rows = corpus()
    cfg = config_for(server)
    # a prompt carries up to 5 sample lines and 10 fixes: spread the corpus over a few patterns so
    # that every planted line is part of some request
    chunks = [rows[i : i + 15] for i in range(0, len(rows), 15)]
    hashes = []
    for n, chunk in enumerate(chunks):
        h = f"{n:08x}" + "a" * 56
        seed_pattern(
            store,
            error_hash=h,
            lines=[r["line"] for r in chunk[:5]],
            fixes=[(r["line"], n % 2 == 0) for r in chunk[5:]],
            metrics=(n == 0),
        )
        hashes.append(h)
    for h in hashes:
        assert analyze_pattern(store, cfg, h, now=NOW).status == "ok"
    sent = server.chat_requests()
    assert len(sent) == len(chunks)
    raw = b"".join(r.raw for r in sent).decode("utf-8")
    content = "\n".join(m["content"] for r in sent for m in r.body["messages"])
    for row in rows:
        for secret in row["secrets"]:
            assert secret not in content, f"{row['kind']} reached the server"
            assert json.dumps(secret)[1:-1] not in raw
    assert content.count("[REDACTED:") >= len(rows)
    # and the lines themselves did go (redacted): the test would notice a prompt that dropped them
    assert content.count("\n- ") >= len(rows)


def test_api_key_never_lands_in_the_database(server, store):
    seed_pattern(store)
    analyze_pattern(store, config_for(server), HASH, now=NOW)
    server.default = Behaviour(kind="status", status=500)
    analyze_pattern(store, config_for(server, max_retries=0), HASH, force=True, now=NOW)
    with store.read() as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()]
        dump = "".join(str(con.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables)
    assert server.api_key not in dump and server.api_key[:12] not in dump


def test_malformed_answer_is_reported_never_cached_and_costed(server, store):
    seed_pattern(store)
    server.script(Behaviour(content="The database is probably down; restart it."))
    r = analyze_pattern(store, config_for(server, prices=PRICES), HASH, now=NOW)
    assert r.status == "malformed" and "not JSON" in r.message and r.excerpt.startswith("The database")
    assert r.answer is None and r.fallback is not None and r.tokens == 600
    assert cached_rows(store) == 0
    row = store.query("SELECT status, prompt_tokens, cost FROM ai_calls").row(0)
    assert row[0] == "malformed" and row[1] == 420 and row[2] > 0


@pytest.mark.slow
@pytest.mark.parametrize(
    "behaviour, status",
    [
        (Behaviour(kind="status", status=401), "unauthorized"),
        (Behaviour(kind="status", status=429, headers={"Retry-After": "999"}), "rate_limited"),
        (Behaviour(kind="status", status=502), "server_error"),
        (Behaviour(kind="cut"), "truncated"),
        (Behaviour(kind="hang", delay=1.5), "timeout"),
        (Behaviour(kind="status", status=404), "not_found"),
    ],
)
def test_each_fault_gives_a_status_a_fallback_and_caches_nothing(server, store, behaviour, status):
    seed_pattern(store)
    server.default = behaviour
    r = analyze_pattern(store, config_for(server, timeout=0.5, max_retries=1), HASH, now=NOW)
    assert r.status == status and not r.ok and r.message
    assert r.fallback is not None
    assert cached_rows(store) == 0
    statuses = store.query("SELECT status FROM ai_calls")["status"].to_list()
    assert statuses and set(statuses) == {status}


def test_connection_refused_and_not_configured(store, monkeypatch):
    seed_pattern(store)
    cfg = config_for(None, base_url=f"http://127.0.0.1:{closed_port()}/v1", max_retries=0)
    r = analyze_pattern(store, cfg, HASH, now=NOW)
    assert r.status == "unreachable" and r.fallback is not None
    off = analyze_pattern(store, config_for(None), HASH, now=NOW)
    assert off.status == "not_configured" and off.fallback is not None
    assert store.scalar("SELECT count(*) FROM ai_calls WHERE diagnosis_id = ?", [off.diagnosis_id]) == 0


def test_fallback_is_the_builtin_playbook_plus_the_learned_solution(store):
    from analytics.patterns.playbooks import playbook_for

    seed_pattern(store, solution="1) systemctl restart postgresql\n2) check pg_hba.conf")
    r = analyze_pattern(store, config_for(None), HASH, now=NOW)
    assert r.fallback.source == "playbook"
    assert r.fallback.steps == playbook_for("connection_error").steps
    assert r.fallback.learned == ("systemctl restart postgresql", "check pg_hba.conf")
    assert r.fallback.learned_record == "worked 0, failed 0"


@pytest.mark.slow
def test_cache_expires_after_the_ttl_and_clean_removes_it(server, store):
    seed_pattern(store)
    cfg = config_for(server, cache_ttl_days=30)
    analyze_pattern(store, cfg, HASH, now=NOW)
    assert analyze_pattern(store, cfg, HASH, now=NOW + dt.timedelta(days=29)).status == "cached"
    assert cache_mod.clean(store, now=NOW + dt.timedelta(days=31)) == 1
    assert cached_rows(store) == 0
    again = analyze_pattern(store, cfg, HASH, now=NOW + dt.timedelta(days=31))
    assert again.status == "ok" and len(server.chat_requests()) == 2


def test_an_expired_entry_is_never_served_even_before_cleaning(server, store):
    seed_pattern(store)
    cfg = config_for(server, cache_ttl_days=1)
    analyze_pattern(store, cfg, HASH, now=NOW)
    assert (
        cache_mod.lookup(store, analyze_pattern(store, cfg, HASH, now=NOW).input_hash, now=NOW + dt.timedelta(days=2))
        is None
    )


@pytest.mark.slow
def test_force_asks_again_and_replaces_the_entry(server, store):
    seed_pattern(store)
    cfg = config_for(server)
    analyze_pattern(store, cfg, HASH, now=NOW)
    server.script(Behaviour(content=json.dumps({**GOOD_ANSWER, "probable_root_cause": "disk full"})))
    r = analyze_pattern(store, cfg, HASH, force=True, now=NOW)
    assert r.status == "ok" and r.answer.probable_root_cause == "disk full"
    assert cached_rows(store) == 1
    assert analyze_pattern(store, cfg, HASH, now=NOW).answer.probable_root_cause == "disk full"


@pytest.mark.slow
def test_a_different_model_is_a_different_cache_key(server, store):
    seed_pattern(store)
    analyze_pattern(store, config_for(server), HASH, now=NOW)
    r = analyze_pattern(store, config_for(server, model="other-model"), HASH, now=NOW)
    assert r.status == "ok" and len(server.chat_requests()) == 2


@pytest.mark.slow
def test_new_evidence_changes_the_key(server, store):
    seed_pattern(store)
    cfg = config_for(server)
    analyze_pattern(store, cfg, HASH, now=NOW)
    store.execute(
        "INSERT INTO fix_history (error_hash, fix_applied, success, applied_at) VALUES (?, ?, ?, ?)",
        [HASH, "systemctl restart backend", False, NOW],
    )
    assert analyze_pattern(store, cfg, HASH, now=NOW).status == "ok"
    assert "systemctl restart backend -> failed" in server.chat_requests()[-1].body["messages"][1]["content"]


@pytest.mark.slow
def test_confident_commands_become_an_unapproved_candidate_solution(server, store):
    seed_pattern(store)
    r = analyze_pattern(store, config_for(server), HASH, now=NOW)
    assert r.candidate_solution == "1) systemctl status backend\n2) systemctl restart backend"
    row = store.query(
        "SELECT solution, ai_enhanced, ai_confidence, auto_approved FROM error_patterns WHERE error_hash = ?", [HASH]
    ).row(0)
    assert row == (r.candidate_solution, True, 0.9, False)
    assert store.query("SELECT source FROM pattern_versions WHERE error_hash = ?", [HASH])["source"].to_list() == ["ai"]


@pytest.mark.slow
def test_unsure_answers_and_proven_or_human_solutions_are_left_alone(server, store):
    seed_pattern(store)
    server.script(Behaviour(content=json.dumps({**GOOD_ANSWER, "confidence": 0.8})))
    assert analyze_pattern(store, config_for(server), HASH, now=NOW).candidate_solution is None
    assert store.scalar("SELECT solution FROM error_patterns WHERE error_hash = ?", [HASH]) is None

    seed_pattern(store, error_hash=OTHER_HASH, solution="restart the pool", metrics=False)
    store.execute("UPDATE error_patterns SET success_count = 3 WHERE error_hash = ?", [OTHER_HASH])
    assert analyze_pattern(store, config_for(server), OTHER_HASH, now=NOW).candidate_solution is None
    assert store.scalar("SELECT solution FROM error_patterns WHERE error_hash = ?", [OTHER_HASH]) == "restart the pool"

    third = "e" * 64
    seed_pattern(store, error_hash=third, solution="my own fix", metrics=False)
    store.execute(
        "INSERT INTO pattern_versions (error_hash, version, solution, source) VALUES (?, 1, ?, 'user')",
        [third, "my own fix"],
    )
    assert analyze_pattern(store, config_for(server), third, now=NOW).candidate_solution is None
    assert store.scalar("SELECT solution FROM error_patterns WHERE error_hash = ?", [third]) == "my own fix"


@pytest.mark.slow
def test_prices_local_unknown_and_unreported_usage(server, store):
    seed_pattern(store)
    r = analyze_pattern(store, config_for(server), HASH, now=NOW)  # loopback, no price: local hardware
    assert r.cost == 0.0 and r.price_source == "local"
    server.script(Behaviour(usage=None))
    r2 = analyze_pattern(store, config_for(server, prices=PRICES), HASH, force=True, now=NOW)
    assert r2.tokens is None and r2.cost is None
    assert ledger.price_for({}, "mystery", "https://llm.example.com/v1") is None
    assert ledger.price_for({}, "gpt-4o-mini-2024-07-18", "").source == "built-in"
    assert ledger.price_for(PRICES, "test-model", "https://llm.example.com/v1").cost(1_000_000, 0) == 1.0


def test_cancel_and_progress(server, store):
    seed_pattern(store)
    cancel = threading.Event()
    cancel.set()
    r = analyze_pattern(store, config_for(server), HASH, cancel=cancel, now=NOW)
    assert r.status == "cancelled" and not server.chat_requests()
    server.default = Behaviour(kind="hang", delay=3)
    later = threading.Event()
    seen: list[Progress] = []

    def progress(p: Progress) -> None:
        seen.append(p)
        if p.stage == "connecting":  # the request is on its way: cancel while the server thinks
            threading.Timer(0.2, later.set).start()

    r = analyze_pattern(store, config_for(server, timeout=5), HASH, cancel=later, progress=progress, now=NOW)
    assert r.status == "cancelled" and cached_rows(store) == 0 and r.fallback is not None
    assert [p.stage for p in seen][:3] == ["redacting", "cache", "connecting"]
    assert len(server.chat_requests()) == 1


def test_unknown_pattern(store):
    r = analyze_pattern(store, config_for(None), "f" * 64, now=NOW)
    assert r.status == "no_pattern"


def test_preview_is_exactly_what_is_sent(server, store):
    seed_pattern(store, lines=[corpus()[0]["line"]])
    cfg = config_for(server)
    rin, endpoint, params = preview_pattern(store, cfg, HASH, now=NOW)
    analyze_pattern(store, cfg, HASH, now=NOW)
    assert server.chat_requests()[0].body == params
    assert rin.redactions


def test_input_is_stable_for_an_unchanged_pattern(store):
    seed_pattern(store)
    a, _, _ = preview_pattern(store, config_for(None), HASH, now=NOW)
    b, _, _ = preview_pattern(store, config_for(None), HASH, now=NOW + dt.timedelta(hours=5))
    assert a.messages == b.messages
    assert "cpu_percent: baseline" in a.messages[1]["content"]


def test_a_secret_on_the_truncation_boundary_does_not_leak_in_part(store):
    key = "AKIA" + "Q7XK2M4PZ9WB3N6R"
    jwt_like = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib2IifQ.c2lnbmF0dXJlc2lnbmF0dXJl"
    seed_pattern(
        store,
        lines=["x" * 392 + " " + key + " tail", "y" * 395 + " " + jwt_like],
        fixes=[("z" * 290 + " --password Hunter2Hunter2", False)],
    )
    rin, _, _ = preview_pattern(store, config_for(None), HASH, now=NOW)
    text = rin.messages[1]["content"]
    assert "AKIA" not in text and "eyJhbGci" not in text and "Hunter2" not in text
    assert "Q7XK" not in text


def test_credentials_in_base_url_are_never_stored(store):
    seed_pattern(store)
    port = closed_port()
    cfg = config_for(
        None, base_url=f"http://proxyuser:Pr0xyPa55word@127.0.0.1:{port}/v1?api-key=QueryKey123456", max_retries=0
    )
    r = analyze_pattern(store, cfg, HASH, now=NOW)
    assert r.status == "unreachable"
    dump = str(store.query("SELECT * FROM ai_calls").rows()) + r.message + r.base_url
    assert "Pr0xyPa55word" not in dump and "QueryKey123456" not in dump
    assert f"127.0.0.1:{port}/v1" in dump


from hypothesis import (  # noqa: E402
    HealthCheck,
    given,
    settings,
    strategies as st,
)

_hostile = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=600).map(
    lambda s: s.replace("\x00", "") or "x"
)


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(_hostile, min_size=1, max_size=3), fix=_hostile, component=_hostile)
def test_any_stored_text_gives_a_clean_bounded_prompt(store, lines, fix, component):
    import hashlib
    import unicodedata

    h = hashlib.sha256(repr((lines, fix, component)).encode()).hexdigest()
    if store.scalar("SELECT count(*) FROM error_patterns WHERE error_hash = ?", [h]):
        return
    seed_pattern(store, error_hash=h, lines=lines, fixes=[(fix, False)], component=component, metrics=False)
    rin, _, _ = preview_pattern(store, config_for(None), h, now=NOW)
    text = rin.messages[1]["content"]
    assert all(ch == "\n" or unicodedata.category(ch)[0] != "C" for ch in text)
    assert len(text) < 8000
    again, _, _ = preview_pattern(store, config_for(None), h, now=NOW)
    assert again.messages == rin.messages


def test_analysis_through_a_server_that_does_not_stream(server, store):
    seed_pattern(store)
    server.default = Behaviour(kind="no_stream")
    r = analyze_pattern(store, config_for(server, prices=PRICES), HASH, now=NOW)
    assert r.status == "ok" and r.answer.confidence == 0.9 and r.tokens == 600
    assert len(server.chat_requests()) == 1  # accepted as it came: no retry, no "cut off"
    assert store.query("SELECT status FROM ai_calls")["status"].to_list() == ["ok"]
