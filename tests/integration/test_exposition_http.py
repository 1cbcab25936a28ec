"""The /metrics listener as an HTTP client meets it, over real loopback from a real store: ``HEAD
/metrics`` answers as ``GET`` does without the body (a health check or load balancer asks it), the
metrics are at ``/metrics`` and nowhere else (a mistyped path is 404 saying where they are, not a
scrape that looks right), other methods are refused naming those allowed, and ``?name[]=`` serves the
series asked for."""

from __future__ import annotations

import datetime as dt
import gzip
import http.client

import pytest
from hypothesis import given, settings, strategies as st
from loopback_support import free_port
from prometheus_client.parser import text_string_to_metric_families

from analytics.alerts.exposition import serve
from analytics.store.database import Store


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("metrics") / "l.duckdb")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    store.execute(
        "INSERT INTO predictions (prediction_type, component, host, severity, message, prediction_date, due_at) "
        "VALUES ('slow_response', 'api', 'web-1', 'HIGH', 'x', ?, ?)",
        [now, now + dt.timedelta(hours=6)],
    )
    p = free_port()
    server = serve(store, f"127.0.0.1:{p}")
    yield p
    server.shutdown()
    server.server_close()


def ask(port: int, method: str, path: str, headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def test_get_metrics_serves_them(port):
    status, headers, body = ask(port, "GET", "/metrics")
    assert status == 200 and headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    (live,) = families["lokifi_predictions_live"].samples
    assert live.labels["component"] == "api" and live.value == 1


@pytest.mark.parametrize("encoding", ["", "gzip"])
def test_head_metrics_answers_as_get_does_without_the_body(port, encoding):
    """It was 405 Method Not Allowed: a monitor asking HEAD read a working endpoint as broken."""
    asked = {"Accept-Encoding": encoding} if encoding else {}
    status, headers, body = ask(port, "HEAD", "/metrics", asked)
    got_status, got_headers, got_body = ask(port, "GET", "/metrics", asked)
    assert (status, body) == (200, b"") and got_status == 200
    assert headers["content-type"] == got_headers["content-type"]
    assert headers.get("content-encoding") == got_headers.get("content-encoding") == (encoding or None)
    assert int(headers["content-length"]) == len(got_body) > 0
    text = gzip.decompress(got_body) if encoding else got_body
    assert b"lokifi_predictions_live" in text


def test_the_format_asked_for_still_applies(port):
    _, headers, body = ask(port, "GET", "/metrics", {"Accept": "application/openmetrics-text; version=1.0.0"})
    assert headers["content-type"].startswith("application/openmetrics-text") and body.rstrip().endswith(b"# EOF")
    status, _, body = ask(port, "GET", "/metrics?x=1")  # a query does not make it another path
    assert status == 200 and b"lokifi_predictions_live" in body


@pytest.mark.parametrize("path", ["/", "/metric", "/metrics/", "/metrics/x", "/favicon.ico", "/api/v1/query"])
def test_any_other_path_is_404_saying_where_the_metrics_are(port, path):
    """Every path used to serve the metrics: a typo in a scrape config read as working."""
    status, headers, body = ask(port, "GET", path)
    assert status == 404 and headers["content-type"].startswith("text/plain")
    assert body == b"Not found: Lokifi's metrics are at /metrics\n" and int(headers["content-length"]) == len(body)
    status, _, body = ask(port, "HEAD", path)
    assert (status, body) == (404, b"")


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_methods_are_refused_naming_those_allowed(port, method):
    status, headers, body = ask(port, method, "/metrics")
    assert status == 405 and headers["allow"] == "GET, HEAD, OPTIONS" and b"lokifi_" not in body


def test_options_names_the_methods(port):
    status, headers, body = ask(port, "OPTIONS", "/metrics")
    assert (status, headers["allow"], body) == (200, "GET, HEAD, OPTIONS", b"")


@settings(max_examples=60, deadline=None)
@given(path=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=40))
def test_no_path_but_metrics_serves_them(port, path):
    """Whatever path a client asks (percent signs, dots, a query): the metrics only at /metrics."""
    target = "/" + path.replace("#", "%23")
    status, _, body = ask(port, "GET", target)
    if target.split("?")[0] == "/metrics":
        assert status == 200 and b"lokifi_predictions_live" in body
    else:
        assert status in (400, 404) and b"lokifi_predictions_live" not in body


def _samples(body: bytes) -> set[tuple[str, tuple, float]]:
    return {
        (s.name, tuple(sorted(s.labels.items())), s.value)
        for f in text_string_to_metric_families(body.decode())
        for s in f.samples
    }


def test_a_name_filter_serves_the_series_asked_for(port):
    """`/metrics?name[]=...` (prometheus_client's filter) served nothing at all: the registry knew no names."""
    status, _, body = ask(port, "GET", "/metrics?name[]=lokifi_predictions_live")
    assert status == 200
    families = {f.name: f for f in text_string_to_metric_families(body.decode())}
    assert list(families) == ["lokifi_predictions_live"]
    (live,) = families["lokifi_predictions_live"].samples
    assert live.labels["component"] == "api" and live.value == 1
    asked = "name%5B%5D=lokifi_predictions_live&name%5B%5D=lokifi_predictions_scored_total"
    _, _, both = ask(port, "GET", "/metrics?" + asked)
    assert {s[0] for s in _samples(both)} == {"lokifi_predictions_live", "lokifi_predictions_scored_total"}
    _, headers, om = ask(port, "GET", "/metrics?" + asked, {"Accept": "application/openmetrics-text; version=1.0.0"})
    assert headers["content-type"].startswith("application/openmetrics-text")
    assert b"lokifi_predictions_scored_total 0.0\n" in om and b"lokifi_collector_rows" not in om
    status, headers, none = ask(port, "HEAD", "/metrics?" + asked)
    assert (status, none, int(headers["content-length"])) == (200, b"", len(both))
    _, _, unknown = ask(port, "GET", "/metrics?name[]=lokifi_no_such_series")  # a filter: nothing matches
    assert unknown == b""


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_any_set_of_names_filters_the_full_scrape(port, data):
    """Whichever series a scrape asks for: exactly the full scrape's samples of those names."""
    _, _, full = ask(port, "GET", "/metrics")
    everything = _samples(full)
    names = data.draw(st.sets(st.sampled_from(sorted({s[0] for s in everything})), min_size=1))
    _, _, body = ask(port, "GET", "/metrics?" + "&".join(f"name[]={n}" for n in sorted(names)))
    assert _samples(body) == {s for s in everything if s[0] in names}
