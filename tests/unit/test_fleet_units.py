"""Fleet sources without servers: settings, parsers (property tests), dedup state, backoff, redaction."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings, strategies as st

from analytics.sources.fleet.client import ConfigProblem, HttpSettings, parse_duration, redact_url
from analytics.sources.fleet.loki import MAX_SEEN, LokiSettings, QueryState, entry_key, line_level, stream_entries
from analytics.sources.fleet.loki_context import context_selector, stream_selector
from analytics.sources.fleet.prometheus import PrometheusSettings, PromQuery, fill, matrix_rows
from analytics.sources.fleet.status import FleetHealth, from_epoch, measure_skew, to_epoch


def prom_cfg(**kw):
    d = {"name": "p", "url": "http://127.0.0.1:9090", "queries": [{"query": "up", "component": "api", "metric": "up"}]}
    d.update(kw)
    return d


# -- settings ---------------------------------------------------------------------------------------


def test_prometheus_settings_defaults_and_durations():
    s = PrometheusSettings.from_config(prom_cfg(step="30s", lag="1m", backfill="2h", interval=10))
    assert (s.step, s.lag, s.backfill, s.interval) == (30.0, 60.0, 7200.0, 10.0)
    assert s.max_points == 11_000
    assert s.queries[0].host_labels[0] == "host"


@pytest.mark.parametrize(
    "bad, key",
    [
        ({"url": "ftp://x"}, "sources[0].url"),
        ({"url": ""}, "sources[0].url"),
        ({"step": "soon"}, "sources[0].step"),
        ({"max_points": 20000}, "sources[0].max_points"),
        ({"queries": []}, "sources[0].queries"),
        ({"queries": [{"query": "up", "component": "api"}]}, "sources[0].queries[0].metric"),
        ({"auth": {"type": "bearer"}}, "sources[0].auth"),
        ({"auth": {"type": "digest"}}, "sources[0].auth.type"),
        ({"auth": {"type": "bearer", "token_env": "LOKIFI_NO_SUCH_VAR"}}, "sources[0].auth.token_env"),
        ({"tls": {"ca_file": "/no/such/ca.pem"}}, "sources[0].tls.ca_file"),
    ],
)
def test_prometheus_settings_errors_name_the_key(bad, key):
    with pytest.raises(ConfigProblem) as e:
        PrometheusSettings.from_config(prom_cfg(**bad), "sources[0]")
    assert str(e.value).startswith(key), str(e.value)


def test_unknown_keys_are_reported_not_fatal():
    s = PrometheusSettings.from_config(prom_cfg(stpe="15s"), "sources[0]")
    assert s.problems == ["sources[0].stpe: unknown setting (ignored)"]


def test_secrets_from_env_and_file_never_in_descriptions(tmp_path, monkeypatch):
    monkeypatch.setenv("LOKIFI_TEST_TOKEN", "s3cr3t-token")
    s = HttpSettings.from_dict(
        {"url": "https://prom.example:9090", "auth": {"type": "bearer", "token_env": "LOKIFI_TEST_TOKEN"}}, "x"
    )
    assert s.bearer_token == "s3cr3t-token"
    assert "s3cr3t" not in s.describe()
    f = tmp_path / "pw"
    f.write_text("hunter2\n")
    s = HttpSettings.from_dict(
        {"url": "http://u:inline@loki:3100", "auth": {"type": "basic", "username": "bob", "password_file": str(f)}}, "x"
    )
    assert (s.basic_user, s.basic_password) == ("bob", "hunter2")
    assert "inline" not in s.base_url and "inline" not in s.describe()
    assert redact_url("http://user:pw@host:1/api?token=abc") == "http://host:1/api"


def test_loki_settings():
    s = LokiSettings.from_config(
        {
            "name": "l",
            "url": "http://127.0.0.1:3100",
            "tenant": "team-a",
            "limit": 500,
            "queries": [{"query": '{job="api"} |= "error"', "component": "api"}],
        }
    )
    assert s.http.headers["X-Scope-OrgID"] == "team-a"
    assert s.limit == 500
    with pytest.raises(ConfigProblem, match="limit"):
        LokiSettings.from_config(
            {"name": "l", "url": "http://x:1", "limit": 6000, "queries": [{"query": '{a="b"}', "component": "c"}]}
        )
    with pytest.raises(ConfigProblem, match="stream selector"):
        LokiSettings.from_config(
            {"name": "l", "url": "http://x:1", "queries": [{"query": "rate(x[1m])", "component": "c"}]}
        )


@given(st.one_of(st.integers(-5, 10**6), st.floats(allow_nan=True), st.text(max_size=12), st.booleans(), st.none()))
def test_parse_duration_total(value):
    try:
        out = parse_duration(value, "k")
    except ConfigProblem as exc:
        assert str(exc).startswith("k")
    else:
        assert (out >= 0 and math.isfinite(out)) or isinstance(value, float)


# -- parsers ----------------------------------------------------------------------------------------

Q = PromQuery("x", "comp-{job}", "m_{route}")


def test_matrix_rows_maps_labels_and_drops_non_finite():
    data = {
        "status": "success",
        "data": {
            "resultType": "matrix",
            "result": [
                {
                    "metric": {"host": "web-1", "job": "api", "route": "/a"},
                    "values": [[100, "1.5"], [101, "NaN"], [102, "+Inf"]],
                },
                {"metric": {"instance": "10.0.0.2:9100", "job": "api", "route": "/a"}, "values": [[100, "2"]]},
                {
                    "metric": {"host": "web-1", "job": "api", "route": "/a"},
                    "values": [[100, "9"]],
                },  # collides with the first
            ],
        },
    }
    rows, collisions, hosts = matrix_rows(data, Q, "fallback", "prometheus:t")
    assert collisions == 1
    assert hosts == {"web-1", "10.0.0.2:9100"}
    assert [(r["host"], r["component"], r["metric"], r["value"]) for r in rows] == [
        ("web-1", "comp-api", "m_/a", 1.5),
        ("10.0.0.2:9100", "comp-api", "m_/a", 2.0),
    ]
    assert rows[0]["ts"] == from_epoch(100)


def test_matrix_rows_refuses_non_matrix():
    with pytest.raises(ValueError, match="matrix"):
        matrix_rows({"status": "success", "data": {"resultType": "scalar", "result": [1, "1"]}}, Q, "h", "s")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(json_values)
def test_parsers_never_crash_on_arbitrary_json(value):
    for fn in (lambda v: matrix_rows(v, Q, "h", "s"), stream_entries):
        try:
            fn(value)
        except ValueError:
            pass


@settings(max_examples=40, deadline=None)
@given(
    st.dictionaries(st.sampled_from(["status", "data"]), json_values, max_size=2),
    st.lists(st.tuples(st.integers(0, 2**62), st.text(max_size=20)), max_size=5),
)
def test_stream_entries_sorted_and_typed(_, pairs):
    data = {
        "status": "success",
        "data": {
            "resultType": "streams",
            "result": [{"stream": {"job": "x"}, "values": [[str(t), line] for t, line in pairs]}],
        },
    }
    out = stream_entries(data)
    assert [e[0] for e in out] == sorted(t for t, _ in pairs)
    assert all(isinstance(line, str) for _, _, line in out)


@pytest.mark.parametrize(
    ("query", "selector"),
    [
        ('{job="pg"} |= "ERROR"', '{job="pg"}'),
        ('{job="a}b", host=~"web-.*"} |~ `ERROR|FATAL` != "noise"', '{job="a}b", host=~"web-.*"}'),
        ('{job="pg"}', None),  # no filter: the query returns the context itself
        ('{job="pg"} | json | level="error"', None),  # parsed: its lines and labels need not be the stream's
        ('{job="pg"} |= "ERROR" | line_format "{{.msg}}"', None),
    ],
)
def test_context_is_read_from_the_selector_of_a_query_that_only_filters_lines(query, selector):
    assert context_selector(query) == selector


def test_a_streams_selector_quotes_its_values():
    assert stream_selector({"job": 'a"b', "host": "web-1"}) == '{host="web-1",job="a\\"b"}'


def test_fill_and_level():
    assert fill("disk_{mountpoint}", {"mountpoint": "/var"}) == "disk_/var"
    assert fill("{missing}x", {}) == "x"
    assert line_level({"level": "warn"}, "x") == "WARN"
    assert line_level({}, "2024 [ERR] boom") == "ERROR"
    assert line_level({}, "nothing here") == "ERROR"


def test_entry_key_depends_on_labels_time_and_line():
    a = entry_key({"job": "api", "host": "a"}, 1, "x")
    assert a == entry_key({"host": "a", "job": "api"}, 1, "x")  # label order does not matter
    assert (
        len(
            {
                a,
                entry_key({"job": "api", "host": "b"}, 1, "x"),
                entry_key({"job": "api", "host": "a"}, 2, "x"),
                entry_key({"job": "api", "host": "a"}, 1, "y"),
            }
        )
        == 4
    )


# -- Loki dedup state ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10_000), max_size=3 * MAX_SEEN // 100), st.integers(0, 5000), st.integers(0, 20_000))
def test_query_state_invariants(ts_list, overlap, reached):
    stt = QueryState(t=0, seen_from=0)
    for i, ts in enumerate(ts_list):
        stt.seen[f"{i:016x}"] = ts
    before_from = stt.seen_from
    stt.advance(reached, overlap)
    # never goes back; everything remembered is inside the window it claims to be complete for
    assert stt.t >= reached and stt.seen_from >= before_from
    assert all(ts >= stt.seen_from for ts in stt.seen.values())
    assert len(stt.seen) <= MAX_SEEN
    assert stt.start(overlap) >= stt.t - overlap
    again = QueryState.from_json(stt.to_json())
    assert (again.t, again.seen_from, again.seen) == (stt.t, stt.seen_from, stt.seen)


def test_query_state_cap_moves_seen_from_past_what_it_forgot():
    stt = QueryState(t=0, seen_from=0)
    for i in range(MAX_SEEN + 10):
        stt.seen[f"k{i}"] = i
    stt.advance(MAX_SEEN + 10, 10**9)
    assert len(stt.seen) <= MAX_SEEN
    forgotten = [i for i in range(MAX_SEEN + 10) if f"k{i}" not in stt.seen]
    assert forgotten and stt.seen_from > max(forgotten)  # never re-read a forgotten entry


# -- status ---------------------------------------------------------------------------------------------


def test_backoff_grows_and_caps_and_success_resets():
    h = FleetHealth(kind="prometheus")
    delays = []
    for _i in range(8):
        h.failed(1000.0, "down", "x", interval=10, max_backoff=120)
        delays.append(h.retry_at - 1000.0)
    assert delays[:4] == [10, 20, 40, 80] and max(delays) == 120
    assert not h.due(1005.0) and h.due(1120.0)
    h.succeeded(2000.0, "up")
    assert h.failures == 0 and h.due(2000.0)
    again = FleetHealth.from_json(h.to_json(), "prometheus")
    assert again.state == "up" and again.last_success == 2000.0


def test_skew_note_and_freshness():
    h = FleetHealth(kind="loki", skew_s=-120.0, data_until=1000.0)
    assert "120s behind" in h.skew_note()
    assert h.freshness(1200.0) == pytest.approx(80.0)  # judged on the server's clock
    assert FleetHealth(kind="loki", skew_s=1.0).skew_note() == ""
    assert measure_skew(110.0, 99.0, 101.0) == pytest.approx(10.0)


def test_epoch_round_trip():
    for t in (0.0, 1.5, 1_795_000_000.123456):
        assert to_epoch(from_epoch(t)) == pytest.approx(t, abs=1e-6)


def test_status_json_ignores_garbage():
    assert FleetHealth.from_json("{not json", "loki").state == "never"
    assert FleetHealth.from_json(json.dumps([1, 2]), "loki").state == "never"


def test_collector_status_says_state_error_and_detail_once():
    from analytics.sources.base import SourceStatus
    from analytics.sources.fleet.status import as_source_status

    base = SourceStatus("prom", "prometheus", "ok", None, None, "stale error from long ago", 10, "")
    down = FleetHealth(kind="prometheus", state="down", message="cannot connect", hosts=["a", "b"], data_until=100.0)
    st = as_source_status("prom", "prometheus", base, down, now=160.0)
    assert (st.state, st.last_error) == ("down", "cannot connect")
    assert st.detail == "2 host(s); data 60s old" and "cannot connect" not in st.detail
    up = FleetHealth(kind="prometheus", state="up", message="query 'x': 3 series collide", skew_s=30.0)
    st = as_source_status("prom", "prometheus", base, up, now=160.0)
    assert st.state == "ok" and st.last_error is None  # a recovered source carries no old error
    assert "collide" in st.detail and "30s ahead" in st.detail


def test_a_web_page_instead_of_an_api_is_a_clear_4xx(tmp_path):
    import http.server
    import threading

    from analytics.sources.fleet.client import FetchError, HttpClient

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><body>Grafana</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        c = HttpClient(HttpSettings(base_url=f"http://127.0.0.1:{srv.server_address[1]}"))
        with pytest.raises(FetchError) as e:
            c.get_json("/api/v1/query", {"query": "time()"})
        assert e.value.kind == "4xx" and "text/html" in str(e.value) and "API base" in str(e.value)
        c.close()
    finally:
        srv.shutdown()
        srv.server_close()
