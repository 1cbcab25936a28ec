"""Probes against real servers on loopback: a real HTTP server, a closed port, a server that never
answers, plain HTTP spoken to an HTTPS probe, a self-signed certificate, a name that does not resolve."""

from __future__ import annotations

import datetime as dt
import http.server as httpserver
import shutil
import socket
import ssl
import subprocess
import threading
import time
from typing import ClassVar

import pytest
from loopback_support import closed_port, self_signed_cert

from analytics.sources.probes import ProbeSource, ProbeSpec, parse_hostport, run_probe

NOW = dt.datetime(2026, 11, 21, 12, 0, 0)


class _Handler(httpserver.BaseHTTPRequestHandler):
    hits: ClassVar[dict[str, int]] = {}

    def do_GET(self):
        _Handler.hits[self.path] = _Handler.hits.get(self.path, 0) + 1
        if self.path == "/slow":
            time.sleep(1.0)
        code = 500 if self.path == "/fail" else 200
        body = b"hello lokifi"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    srv = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def silent_port():
    """A port that accepts connections (the kernel's backlog) but never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    yield s.getsockname()[1]
    s.close()


def http(url, **kw):
    return ProbeSpec("web", "http", url, **kw)


@pytest.mark.alone
def test_http_ok_measures_time_and_status(server):
    r = run_probe(http(server + "/health"), NOW)
    assert r.ok and r.status_code == 200 and r.error_kind is None
    assert 0 < r.elapsed_ms < 1000


def test_wrong_status_is_an_error(server):
    r = run_probe(http(server + "/fail"), NOW)
    assert not r.ok and r.status_code == 500 and r.error_kind == "status"
    assert r.message == f"HTTP 500 from GET {server}/fail (expected 2xx/3xx)"
    assert run_probe(http(server + "/fail", expect_status=(500,)), NOW).ok


def test_body_check(server):
    assert run_probe(http(server + "/", body_contains="lokifi"), NOW).ok
    r = run_probe(http(server + "/", body_contains="absent"), NOW)
    assert not r.ok and r.error_kind == "content"


def test_connection_refused_message_is_what_the_pattern_engine_learns():
    port = closed_port()
    r = run_probe(ProbeSpec("api", "tcp", f"127.0.0.1:{port}"), NOW)
    assert not r.ok and r.error_kind == "refused" and r.elapsed_ms is None
    assert r.message == f"Connection refused on port {port} (127.0.0.1)"
    r = run_probe(http(f"http://127.0.0.1:{port}/"), NOW)
    assert r.error_kind == "refused"


def test_tcp_ok(server):
    port = int(server.rsplit(":", 1)[1])
    r = run_probe(ProbeSpec("web", "tcp", f"127.0.0.1:{port}"), NOW)
    assert r.ok and r.elapsed_ms is not None


@pytest.mark.alone
def test_timeout_is_bounded(silent_port):
    t0 = time.monotonic()
    r = run_probe(http(f"http://127.0.0.1:{silent_port}/", timeout=0.5), NOW)
    assert time.monotonic() - t0 < 2.0
    assert not r.ok and r.error_kind == "timeout"
    assert r.message.startswith("Timeout after 0.5s waiting for a response from 127.0.0.1:")


def test_dns_failure():
    r = run_probe(http("http://no-such-host.invalid/", timeout=3), NOW)
    assert not r.ok and r.error_kind == "dns"
    assert r.message.startswith("DNS lookup failed for no-such-host.invalid")


def test_https_probe_against_plain_http_is_a_tls_error(server):
    port = int(server.rsplit(":", 1)[1])
    r = run_probe(http(f"https://127.0.0.1:{port}/", timeout=2), NOW)
    assert not r.ok and r.error_kind == "tls"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a certificate")
def test_self_signed_certificate_fails_verification_unless_allowed(tmp_path):
    crt, key = self_signed_cert(tmp_path)
    srv = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        # the certificate names 127.0.0.1, so the only fault verification can find is that it is self-signed
        url = f"https://127.0.0.1:{srv.server_address[1]}/"
        r = run_probe(http(url, timeout=3), NOW)
        assert not r.ok and r.error_kind == "tls" and "certificate" in r.message.lower()
        assert run_probe(http(url, timeout=3, verify_tls=False), NOW).ok
    finally:
        srv.shutdown()
        srv.server_close()


@pytest.mark.alone
@pytest.mark.slow
def test_probes_run_concurrently(server):
    specs = [ProbeSpec(f"c{i}", "http", server + "/slow", timeout=5) for i in range(6)]
    src = ProbeSource(specs, "h1", interval=5)
    t0 = time.monotonic()
    (batch,) = src.poll(NOW)
    elapsed = time.monotonic() - t0
    src.close()
    assert len(batch.probes) == 6 and all(p["ok"] for p in batch.probes)
    assert elapsed < 3.0  # six one-second requests, not six seconds


@pytest.mark.slow
def test_a_probe_stuck_longer_than_its_round_is_not_started_twice(silent_port):
    src = ProbeSource([ProbeSpec("c", "http", f"http://127.0.0.1:{silent_port}/", timeout=1.0)], "h1")
    src.run_all(NOW)  # bounded: returns with the timeout result
    assert not src._inflight
    src.close()


@pytest.mark.alone
@pytest.mark.slow
def test_a_probe_stuck_in_a_name_lookup_does_not_hold_the_collectors_exit():
    """A probe's timeout bounds its connect and read, not a name lookup. A lookup the resolver does not
    answer (a stand-in sleeps) left a thread pool worker that Python joins at exit: stopping the
    collector waited for it. Each probe now runs in a daemon thread, and the round is not re-run."""
    import sys

    code = (
        "import time, datetime as dt\n"
        "from analytics.sources import probes\n"
        "probes.run_probe = lambda spec, now: time.sleep(120)\n"
        "src = probes.ProbeSource([probes.ProbeSpec('c', 'tcp', 'db.example.invalid:5432', timeout=0.2)], 'h')\n"
        "t = time.monotonic()\n"
        "assert src.run_all(dt.datetime(2026, 1, 1)) == [] and src.run_all(dt.datetime(2026, 1, 1)) == []\n"
        "assert len(src._inflight) == 1 and time.monotonic() - t < 4\n"
        "src.close()\n"
    )
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert time.monotonic() - t0 < 15


def test_probe_source_rows_metrics_and_error_events(server):
    port = closed_port()
    src = ProbeSource([http(server + "/"), ProbeSpec("web", "tcp", f"127.0.0.1:{port}", name="db")], "h1")
    (batch,) = src.poll(NOW)
    src.close()
    assert sorted((p["probe"], p["ok"]) for p in batch.probes) == [("db", False), (server + "/", True)]
    metrics = {m["metric"]: m["value"] for m in batch.metrics}
    assert metrics["probe_up"] == 0.0 and metrics["probe_up@db"] == 0.0
    assert metrics[f"probe_up@{server}/"] == 1.0 and metrics["http_status"] == 200
    assert "response_time_ms" in metrics and "response_time_ms@db" not in metrics
    assert [e["message"] for e in batch.events] == [f"Connection refused on port {port} (127.0.0.1)"]
    assert batch.events[0]["component"] == "web" and batch.events[0]["level"] == "ERROR"


def test_parse_hostport():
    assert parse_hostport("db:5432") == ("db", 5432)
    assert parse_hostport("[::1]:80") == ("::1", 80)
    for bad in ("db", "db:x", ":80", "db:70000"):
        with pytest.raises(ValueError):
            parse_hostport(bad)


def test_bad_target_becomes_a_result_not_an_exception():
    r = run_probe(ProbeSpec("c", "tcp", "nonsense"), NOW)
    assert not r.ok and r.error_kind == "error" and "host:port" in r.message


class _AuthHandler(httpserver.BaseHTTPRequestHandler):
    """200 for Basic ``ops`` / ``pa/ss word``, 401 for anything else."""

    seen: ClassVar[list[str | None]] = []

    def do_GET(self):
        import base64

        got = self.headers.get("Authorization")
        _AuthHandler.seen.append(got)
        ok = got == "Basic " + base64.b64encode(b"ops:pa/ss word").decode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def test_a_urls_user_and_password_log_in_and_are_never_stored_or_said():
    """A probe URL with a user and password (percent-encoded) sends them as Basic auth, as curl does; the
    stored target and every message show the password as ***. (The probe used to send no credentials
    and store the whole URL, password and all, in probe_results.target.)"""
    srv = httpserver.ThreadingHTTPServer(("127.0.0.1", 0), _AuthHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    try:
        good = run_probe(ProbeSpec("api", "http", f"http://ops:pa%2Fss%20word@127.0.0.1:{port}/health"), NOW)
        assert good.ok and good.status_code == 200, good.message
        assert good.target == good.probe == f"http://ops:***@127.0.0.1:{port}/health"
        bad = run_probe(ProbeSpec("api", "http", f"http://ops:Wr0ngPass@127.0.0.1:{port}/health"), NOW)
        assert not bad.ok and bad.status_code == 401
        row = bad.row("h1")
        assert "Wr0ngPass" not in repr(row) and "***" in row["target"] and "***" in (bad.message or "")
        # a header the probe sets itself wins over the URL's user
        own = ProbeSpec("api", "http", f"http://x:y@127.0.0.1:{port}/", headers=(("Authorization", "Bearer t"),))
        assert not run_probe(own, NOW).ok and _AuthHandler.seen[-1] == "Bearer t"
    finally:
        srv.shutdown()
        srv.server_close()
