"""The model client against a real loopback server speaking the OpenAI API, with the real `openai` client."""

from __future__ import annotations

import os
import threading
import time

import pytest
from loopback_support import closed_port
from openai_server import Behaviour

from analytics.config.settings import AI
from analytics.rca.client import (
    CallFailed,
    Endpoint,
    Progress,
    chat,
    check_status,
    endpoint_from_config,
)
from analytics.rca.parse import ANSWER_SCHEMA, parse_answer

MSGS = [{"role": "system", "content": "answer in JSON"}, {"role": "user", "content": "why?"}]


def ep(server, **kw) -> Endpoint:
    fields = dict(
        base_url=server.base_url,
        model="test-model",
        api_key=server.api_key,
        key_source="$TEST",
        configured=True,
        timeout=1.5,
        max_retries=2,
    )
    fields.update(kw)
    return Endpoint(**fields)


def test_good_streamed_answer_with_usage_and_structured_output(server):
    stages: list[Progress] = []
    res = chat(ep(server), MSGS, ANSWER_SCHEMA, progress=stages.append)
    assert parse_answer(res.content).confidence == 0.9
    assert (res.prompt_tokens, res.completion_tokens, res.usage_reported) == (420, 180, True)
    assert res.response_format == "json_schema"
    body = server.chat_requests()[0].body
    assert body["stream"] is True and body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["schema"] == ANSWER_SCHEMA
    assert server.chat_requests()[0].headers["authorization"] == f"Bearer {server.api_key}"
    assert stages and stages[0].stage == "connecting"


def test_server_without_structured_output_falls_back_and_is_remembered(server):
    server.default = Behaviour(kind="reject_format")
    res = chat(ep(server), MSGS, ANSWER_SCHEMA)
    assert res.response_format == "none"
    assert [("response_format" in r.body) for r in server.chat_requests()] == [True, True, False]
    server.requests.clear()
    chat(ep(server), MSGS, ANSWER_SCHEMA)
    assert len(server.chat_requests()) == 1  # remembered: no second negotiation


def test_a_server_that_answers_plain_json_to_a_stream_request_is_accepted_and_remembered(server):
    server.default = Behaviour(kind="no_stream")
    stages: list[Progress] = []
    res = chat(ep(server), MSGS, ANSWER_SCHEMA, progress=stages.append)
    assert parse_answer(res.content).confidence == 0.9 and res.finish_reason == "stop"
    assert (res.prompt_tokens, res.completion_tokens, res.usage_reported) == (420, 180, True)
    assert len(server.chat_requests()) == 1 and server.chat_requests()[0].body["stream"] is True  # no retry
    assert any(p.stage == "receiving" for p in stages)
    server.requests.clear()
    again = chat(ep(server), MSGS, ANSWER_SCHEMA)  # remembered: asks for a plain answer now
    body = server.chat_requests()[0].body
    assert body["stream"] is False and "stream_options" not in body
    assert parse_answer(again.content).confidence == 0.9


def test_both_modes_on_one_server_streamed_then_plain(server):
    first = chat(ep(server), MSGS, ANSWER_SCHEMA)
    assert server.chat_requests()[-1].body["stream"] is True and first.usage_reported
    server.default = Behaviour(kind="no_stream", usage=None)
    second = chat(ep(server), MSGS, ANSWER_SCHEMA)
    assert parse_answer(second.content).confidence == 0.9 and second.usage_reported is False
    server.default = Behaviour(kind="no_stream", content='{"analysis": "x"')  # cut JSON: not an analysis
    third = chat(ep(server), MSGS, ANSWER_SCHEMA)
    assert third.content == '{"analysis": "x"'  # delivered as is; parse decides it is malformed


def test_server_rejecting_stream_options_keeps_structured_output(server):
    server.default = Behaviour(kind="reject_stream_options")
    res = chat(ep(server), MSGS, ANSWER_SCHEMA)
    assert res.response_format == "json_schema" and res.usage_reported is False
    assert len(server.chat_requests()) == 2


def test_usage_not_reported_is_said_not_invented(server):
    server.script(Behaviour(usage=None))
    res = chat(ep(server), MSGS, ANSWER_SCHEMA)
    assert res.usage_reported is False and res.tokens is None


def test_401_is_unauthorized_not_retried_and_key_never_echoed(server):
    secret_key = "sk-proj-WRONGkeyThatMustNeverBeShown1234567890abcd"
    with pytest.raises(CallFailed) as err:
        chat(ep(server, api_key=secret_key), MSGS, ANSWER_SCHEMA)
    assert err.value.status == "unauthorized"
    assert len(server.chat_requests()) == 1
    assert secret_key not in err.value.message and secret_key[:20] not in err.value.message
    assert all(secret_key not in a.error for a in err.value.attempts)


def test_429_waits_for_retry_after_then_succeeds(server):
    server.script(Behaviour(kind="status", status=429, headers={"Retry-After": "0.6"}))
    stages: list[Progress] = []
    t0 = time.monotonic()
    res = chat(ep(server), MSGS, ANSWER_SCHEMA, progress=stages.append)
    assert time.monotonic() - t0 >= 0.6
    assert [a.status for a in res.attempts] == ["rate_limited", "ok"]
    assert any(p.stage == "retrying" and "429" in p.message for p in stages)


@pytest.mark.alone
def test_429_with_a_long_retry_after_gives_up_at_once(server):
    server.script(Behaviour(kind="status", status=429, headers={"Retry-After": "3600"}))
    t0 = time.monotonic()
    with pytest.raises(CallFailed) as err:
        chat(ep(server), MSGS, ANSWER_SCHEMA)
    assert err.value.status == "rate_limited" and err.value.retry_after == 3600
    assert "3600" in err.value.message and time.monotonic() - t0 < 2


@pytest.mark.slow
def test_5xx_is_retried_a_bounded_number_of_times(server):
    server.default = Behaviour(kind="status", status=503)
    with pytest.raises(CallFailed) as err:
        chat(ep(server, max_retries=2), MSGS, ANSWER_SCHEMA)
    assert err.value.status == "server_error" and "503" in err.value.message
    assert len(server.chat_requests()) == 3
    assert [a.status for a in err.value.attempts] == ["server_error"] * 3


@pytest.mark.slow
def test_timeout(server):
    server.default = Behaviour(kind="hang", delay=2.5)
    with pytest.raises(CallFailed) as err:
        chat(ep(server, timeout=0.5, max_retries=1), MSGS, ANSWER_SCHEMA)
    assert err.value.status == "timeout" and "0.5s" in err.value.message
    assert len(err.value.attempts) == 2


def test_connection_refused():
    endpoint = Endpoint(f"http://127.0.0.1:{closed_port()}/v1", "m", "k", "$TEST", True, timeout=1, max_retries=1)
    with pytest.raises(CallFailed) as err:
        chat(endpoint, MSGS, ANSWER_SCHEMA)
    assert err.value.status == "unreachable" and "is the server running" in err.value.message
    assert len(err.value.attempts) == 2


@pytest.mark.slow
def test_stream_that_stops_halfway_is_truncated_and_retried(server):
    server.script(Behaviour(kind="cut"))
    res = chat(ep(server), MSGS, ANSWER_SCHEMA)
    assert [a.status for a in res.attempts] == ["truncated", "ok"]
    server.reset()
    server.default = Behaviour(kind="cut")
    with pytest.raises(CallFailed) as err:
        chat(ep(server, max_retries=1), MSGS, ANSWER_SCHEMA)
    assert err.value.status == "truncated" and "halfway" in err.value.message


@pytest.mark.alone
def test_cancel_returns_promptly_while_the_server_is_still_thinking(server):
    server.default = Behaviour(kind="hang", delay=10)  # uncancelled, the call ends at the 5 s timeout
    cancel = threading.Event()
    threading.Timer(0.2, cancel.set).start()
    t0 = time.monotonic()
    with pytest.raises(CallFailed) as err:
        chat(ep(server, timeout=5), MSGS, ANSWER_SCHEMA, cancel=cancel)
    assert err.value.status == "cancelled"
    assert time.monotonic() - t0 < 2.5  # (room for a loaded machine, far under the timeout)


@pytest.mark.alone
def test_cancel_during_a_retry_wait(server):
    server.default = Behaviour(kind="status", status=429, headers={"Retry-After": "5"})
    flag = {"stop": False}
    threading.Timer(0.3, lambda: flag.update(stop=True)).start()
    t0 = time.monotonic()
    with pytest.raises(CallFailed) as err:
        chat(ep(server), MSGS, ANSWER_SCHEMA, cancel=lambda: flag["stop"])
    assert err.value.status == "cancelled" and time.monotonic() - t0 < 3.0  # uncancelled, it waits 5 s


def test_status_check(server):
    ok = check_status(ep(server))
    assert ok.status == "ok" and ok.model_listed is True and ok.latency_ms is not None
    missing = check_status(ep(server, model="llama9"))
    assert missing.status == "ok" and missing.model_listed is False and "test-model" in missing.message
    bad = check_status(ep(server, api_key="nope"))
    assert bad.status == "unauthorized" and bad.reachable is True
    gone = check_status(Endpoint(f"http://127.0.0.1:{closed_port()}/v1", "m", None, "none", True))
    assert gone.status == "unreachable" and gone.reachable is False
    off = check_status(endpoint_from_config(AI(), env={}))
    assert off.status == "not_configured" and off.reachable is None
    assert not [r for r in server.requests if r.path.endswith("/chat/completions")]  # status spends no tokens


def test_a_query_in_base_url_is_sent_with_every_request(server):
    """Azure-style endpoints take ?api-version=...: it goes with each request, after the path."""
    e = ep(server, base_url=server.base_url + "?api-version=2024-06-01")
    assert check_status(e).status == "ok"
    res = chat(e, MSGS, ANSWER_SCHEMA)
    assert parse_answer(res.content).confidence == 0.9
    paths = [r.path for r in server.requests]
    assert paths[-1].endswith("/v1/chat/completions?api-version=2024-06-01")
    assert any(p.endswith("/v1/models?api-version=2024-06-01") for p in paths)


# --- configuration -------------------------------------------------------------------------------
def test_endpoint_resolution_and_key_precedence(tmp_path):
    assert endpoint_from_config(AI(), env={}).configured is False
    e = endpoint_from_config(AI(), env={"OPENAI_API_KEY": "sk-a"})
    assert (e.configured, e.base_url, e.key_source) == (True, "https://api.openai.com/v1", "$OPENAI_API_KEY")
    e = endpoint_from_config(AI(), env={"OPENAI_API_KEY": "sk-a", "LOKIFI_OPENAI_API_KEY": "sk-b"})
    assert e.api_key == "sk-b" and e.key_source == "$LOKIFI_OPENAI_API_KEY"
    local = endpoint_from_config(AI(base_url="http://localhost:11434/v1/", model="llama3.1"), env={})
    assert local.configured and local.api_key is None and local.base_url == "http://localhost:11434/v1"
    assert endpoint_from_config(AI(base_url="localhost:11434"), env={}).configured is False
    keyless = endpoint_from_config(AI(base_url="https://api.openai.com/v1"), env={})
    assert not keyless.configured and "needs an API key" in keyless.reason


def test_key_file_is_read_and_loose_permissions_are_flagged(tmp_path):
    key = tmp_path / "openai.key"
    key.write_text("# my key\nsk-from-file-123\n")
    os.chmod(key, 0o644)
    e = endpoint_from_config(AI(api_key_file=str(key)), env={})
    assert e.api_key == "sk-from-file-123" and e.key_source.startswith("key file")
    assert "chmod 600" in e.reason
    os.chmod(key, 0o600)
    assert endpoint_from_config(AI(api_key_file=str(key)), env={}).reason == ""
    missing = endpoint_from_config(AI(api_key_file=str(tmp_path / "nope")), env={})
    assert not missing.configured and "does not exist" in missing.reason


def test_the_key_is_not_in_repr():
    e = endpoint_from_config(AI(), env={"OPENAI_API_KEY": "sk-very-secret-value"})
    assert "sk-very-secret-value" not in repr(e) and "sk-very-secret-value" not in str(e)


def test_a_runaway_answer_is_cut_off_and_reported(server):
    server.default = Behaviour(content="{" + " " * 120_000 + "}")
    with pytest.raises(CallFailed) as err:
        chat(ep(server, max_retries=0, timeout=10), MSGS, ANSWER_SCHEMA)
    assert err.value.status == "truncated" and "100,000 characters" in err.value.message
