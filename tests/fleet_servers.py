"""Real servers on loopback for the fleet-source tests: Prometheus, Loki, a metrics exporter, a fault proxy.

* :class:`Exporter` — a tiny Prometheus exporter for one simulated host (a real HTTP server on a free
  loopback port); two of them are two hosts.
* :class:`PrometheusServer` — Debian's ``prometheus`` binary with a temp config that scrapes the
  exporters every second, a temp TSDB directory that survives :meth:`restart`, a bounded wait for
  ``/-/ready`` and a teardown that always kills it.
* :class:`LokiServer` — :func:`loki_standin` in a child process: a loopback server that speaks the
  subset of Loki's HTTP API Lokifi uses (``/ready``, ``/loki/api/v1/push`` JSON,
  ``/loki/api/v1/query_range`` with stream selectors, line filters, ``limit``, ``direction``, the
  5000-entry limit, ``[start, end)`` ranges) and keeps its data on disk across restarts. Grafana Loki
  itself is AGPL and is not run here, even when one is installed.
* :class:`FaultProxy` — a reverse proxy in front of either server that can turn into a source that is
  down, slow, answering 4xx/5xx, cutting answers off, or sending a skewed ``Date``.

Every server binds 127.0.0.1 only. Run ``python tests/fleet_servers.py loki-standin PORT DATA_DIR`` to
start the stand-in by hand.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from email.utils import formatdate
from pathlib import Path
from typing import Any

from analytics.common.signal_relay import relay_signals

STARTUP_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until(pred, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except (OSError, ValueError) as exc:
            last = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not within {timeout:g}s" + (f" (last error: {last})" if last else ""))


def _kill(proc: subprocess.Popen | None, grace: float = 5.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


# ---------------------------------------------------------------------------------------------------
# Exporter: one simulated host


class Exporter:
    """Serves ``/metrics`` for one simulated host: CPU %, request latency and a request counter."""

    def __init__(self, host: str, offset: float = 0.0) -> None:
        self.host = host
        self.offset = offset
        self.scrapes = 0
        exporter = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                if self.path.split("?")[0] != "/metrics":
                    self.send_error(404)
                    return
                exporter.scrapes += 1
                body = exporter.render(time.time()).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name=f"exporter-{host}", daemon=True)

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def render(self, t: float) -> str:
        cpu = 30 + self.offset + 10 * math.sin(t / 30)
        lat = 100 + 5 * self.offset + 20 * math.cos(t / 45)
        reqs = int(t) % 100000 + int(self.offset)
        return (
            "# HELP lokifi_demo_cpu_percent CPU busy percent.\n# TYPE lokifi_demo_cpu_percent gauge\n"
            f"lokifi_demo_cpu_percent {cpu:.3f}\n"
            "# HELP lokifi_demo_latency_ms Request latency.\n# TYPE lokifi_demo_latency_ms gauge\n"
            f'lokifi_demo_latency_ms{{route="/api"}} {lat:.3f}\n'
            "# HELP lokifi_demo_requests_total Requests served.\n# TYPE lokifi_demo_requests_total counter\n"
            f"lokifi_demo_requests_total {reqs}\n"
        )

    def start(self) -> Exporter:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------------------------------
# Prometheus


def prometheus_binary() -> str | None:
    return os.environ.get("LOKIFI_TEST_PROMETHEUS_BIN") or shutil.which("prometheus")


class PrometheusServer:
    """The real Prometheus on a free loopback port, scraping ``exporters`` every second."""

    def __init__(self, workdir: Path, exporters: list[Exporter], scrape_interval: str = "1s") -> None:
        self.binary = prometheus_binary()
        if not self.binary:
            raise RuntimeError("prometheus is not installed (apt-get install prometheus)")
        self.workdir = Path(workdir)
        self.data = self.workdir / "tsdb"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config = self.workdir / "prometheus.yml"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        jobs = []
        for e in exporters:
            jobs.append(f"      - targets: ['{e.target}']\n        labels:\n          host: '{e.host}'\n")
        self.config.write_text(
            "global:\n"
            f"  scrape_interval: {scrape_interval}\n"
            f"  scrape_timeout: {scrape_interval}\n"
            "scrape_configs:\n"
            "  - job_name: 'demo'\n"
            "    static_configs:\n" + "".join(jobs)
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> PrometheusServer:
        log = open(self.workdir / "prometheus.log", "ab")
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"--config.file={self.config}",
                f"--storage.tsdb.path={self.data}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--storage.tsdb.retention.time=1d",
                "--query.lookback-delta=5m",
                "--log.level=warn",
            ],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prometheus exited: {self.log_tail()}")
            return http_get(self.url + "/-/ready", 1.0)[0] == 200

        wait_until(ready, STARTUP_TIMEOUT, "prometheus ready")
        return self

    def wait_for_samples(self, n_series: int, timeout: float = 30.0, settled: float = 0.0) -> None:
        """Until ``n_series`` series have samples at or before ``now - settled`` (what a pull with that lag sees)."""

        def have() -> bool:
            t = time.time() - settled
            q = urllib.parse.urlencode(
                {"query": "lokifi_demo_cpu_percent", "start": f"{t - 60:.3f}", "end": f"{t:.3f}", "step": "1"}
            )
            code, body = http_get(f"{self.url}/api/v1/query_range?{q}")
            return code == 200 and len(json.loads(body)["data"]["result"]) >= n_series

        wait_until(have, timeout, f"{n_series} scraped series in prometheus")

    def stop(self) -> None:
        _kill(self.proc)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.workdir / "prometheus.log").read_text(errors="replace")[-2000:]
        return ""


# ---------------------------------------------------------------------------------------------------
# Loki


def victoria_metrics_binary() -> str | None:
    return shutil.which("victoria-metrics") or shutil.which("victoria-metrics-prod")


class VictoriaMetricsServer(PrometheusServer):
    """VictoriaMetrics (Debian's victoria-metrics) on a free loopback port, scraping ``exporters`` every
    second with the same scrape config; it answers the same query API as Prometheus."""

    def __init__(self, workdir: Path, exporters: list[Exporter], scrape_interval: str = "1s") -> None:
        super().__init__(workdir, exporters, scrape_interval)
        self.binary = victoria_metrics_binary()
        if not self.binary:
            raise RuntimeError("victoria-metrics is not installed (apt-get install victoria-metrics)")

    def start(self) -> VictoriaMetricsServer:
        log = open(self.workdir / "prometheus.log", "ab")
        self.proc = subprocess.Popen(
            [
                self.binary,
                f"-promscrape.config={self.config}",
                f"-storageDataPath={self.data}",
                f"-httpListenAddr=127.0.0.1:{self.port}",
                "-retentionPeriod=1d",
                "-search.latencyOffset=1s",
                "-loggerLevel=ERROR",
            ],
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"victoria-metrics exited: {self.log_tail()}")
            return http_get(self.url + "/health", 1.0)[0] == 200

        wait_until(ready, STARTUP_TIMEOUT, "victoria-metrics ready")
        return self


class LokiServer:
    """The stand-in below (never Grafana Loki); data kept in ``workdir`` across restarts."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.data = self.workdir / "loki-data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LokiServer:
        log = open(self.workdir / "loki.log", "ab")
        cmd = [sys.executable, str(Path(__file__).resolve()), "loki-standin", str(self.port), str(self.data)]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"loki exited: {self.log_tail()}")
            return http_get(self.url + "/ready", 1.0)[0] == 200

        wait_until(ready, STARTUP_TIMEOUT, "loki ready")
        return self

    def push(self, streams: list[tuple[dict[str, str], list[tuple[int, str]]]]) -> None:
        """Push entries through Loki's push API: [(labels, [(ts_ns, line), ...]), ...]."""
        body = json.dumps(
            {
                "streams": [
                    {"stream": labels, "values": [[str(ts), line] for ts, line in values]} for labels, values in streams
                ]
            }
        ).encode()
        req = urllib.request.Request(
            self.url + "/loki/api/v1/push", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status not in (200, 204):
                raise RuntimeError(f"push failed: HTTP {r.status}")

    def stop(self) -> None:
        _kill(self.proc)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.workdir / "loki.log").read_text(errors="replace")[-2000:]
        return ""


# The stand-in ---------------------------------------------------------------------------------------

_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*(,|$)')
_FILTER = re.compile(r'\s*(\|=|!=|\|~|!~)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)')
MAX_ENTRIES = 5000


class LogQLError(ValueError):
    pass


def _unquote(s: str) -> str:
    if s.startswith("`"):
        return s[1:-1]
    return json.loads(s)


def parse_logql(query: str):
    """(matchers, filters) for ``{a="b", c=~"d"} |= "x" != "y" |~ "re"``; anything else is an error."""
    q = query.strip()
    if not q.startswith("{") or "}" not in q:
        raise LogQLError(f"parse error : syntax error: unexpected input, expecting {{ in {query!r}")
    inner, rest = q[1:].split("}", 1)
    matchers = []
    pos = 0
    while pos < len(inner.strip()) and inner[pos:].strip():
        m = _MATCHER.match(inner, pos)
        if not m:
            raise LogQLError(f"parse error : syntax error in selector {inner!r}")
        matchers.append((m.group(1), m.group(2), _unquote(m.group(3))))
        pos = m.end()
    if not matchers:
        raise LogQLError("parse error : queries require at least one regexp or equality matcher")
    filters = []
    pos = 0
    while rest[pos:].strip():
        m = _FILTER.match(rest, pos)
        if not m:
            raise LogQLError(f"parse error : unsupported pipeline stage at {rest[pos:].strip()!r}")
        filters.append((m.group(1), _unquote(m.group(2))))
        pos = m.end()
    return matchers, filters


def _parse_loki_time(v: str | None, default_ns: int) -> int:
    if v is None or v == "":
        return default_ns
    if re.fullmatch(r"\d+", v):
        n = int(v)
        return n if n > 10**15 else n * 10**9  # ns, or seconds
    if re.fullmatch(r"\d+\.\d*", v):
        return int(float(v) * 1e9)
    from datetime import datetime

    return int(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1e9)


def loki_standin(port: int, data_dir: str) -> None:
    """Serve the Loki API subset on 127.0.0.1:port until SIGTERM; entries persist in data_dir."""
    store_path = Path(data_dir) / "entries.jsonl"
    lock = threading.Lock()
    streams: dict[str, dict[str, Any]] = {}  # key -> {"labels":..., "entries": {(ts, line)}}

    def add(labels: dict[str, str], ts: int, line: str, persist: bool) -> bool:
        key = json.dumps(labels, sort_keys=True)
        st = streams.setdefault(key, {"labels": labels, "entries": set()})
        if (ts, line) in st["entries"]:
            return False  # Loki drops exact duplicates within a stream
        st["entries"].add((ts, line))
        return True

    if store_path.exists():
        for raw in store_path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, KeyError):
                rec = json.loads(raw)
                add(rec["l"], int(rec["t"]), rec["s"], False)
    out = open(store_path, "a", encoding="utf-8")

    def matches(labels: dict[str, str], matchers) -> bool:
        for name, op, val in matchers:
            have = labels.get(name, "")
            if op == "=" and have != val:
                return False
            if op == "!=" and have == val:
                return False
            if op == "=~" and not re.fullmatch(val, have):
                return False
            if op == "!~" and re.fullmatch(val, have):
                return False
        return True

    def keep(line: str, filters) -> bool:
        for op, val in filters:
            if op == "|=" and val not in line:
                return False
            if op == "!=" and val in line:
                return False
            if op == "|~" and not re.search(val, line):
                return False
            if op == "!~" and re.search(val, line):
                return False
        return True

    class Handler(_QuietHandler):
        def _send(self, code: int, obj: Any | None = None, text: str | None = None) -> None:
            body = json.dumps(obj).encode() if obj is not None else (text or "").encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if obj is not None else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            u = urllib.parse.urlsplit(self.path)
            qs = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
            if u.path == "/ready":
                self._send(200, text="ready\n")
            elif u.path == "/loki/api/v1/labels":
                with lock:
                    names = sorted({k for s in streams.values() for k in s["labels"]})
                self._send(200, {"status": "success", "data": names})
            elif u.path == "/loki/api/v1/query_range":
                self._query_range(qs)
            else:
                self._send(404, text="404 page not found\n")

        def _query_range(self, qs: dict[str, str]) -> None:
            now = time.time_ns()
            try:
                matchers, filters = parse_logql(qs.get("query", ""))
                end = _parse_loki_time(qs.get("end"), now)
                start = _parse_loki_time(qs.get("start"), end - 3600 * 10**9)
                limit = int(qs.get("limit", "100"))
            except (LogQLError, ValueError) as exc:
                self._send(400, text=str(exc))
                return
            if limit > MAX_ENTRIES:
                self._send(
                    400,
                    text=f"max entries limit per query exceeded, limit > max_entries_limit ({limit} > {MAX_ENTRIES})",
                )
                return
            if end < start:
                self._send(400, text="end timestamp must not be before or equal to start time")
                return
            forward = qs.get("direction", "backward").lower() == "forward"
            picked = []
            with lock:
                for st in streams.values():
                    if not matches(st["labels"], matchers):
                        continue
                    for ts, line in st["entries"]:
                        if start <= ts < end and keep(line, filters):
                            picked.append((ts, line, json.dumps(st["labels"], sort_keys=True)))
            picked.sort(key=lambda e: (e[0], e[2], e[1]), reverse=not forward)
            picked = picked[:limit]
            by_stream: dict[str, list] = {}
            for ts, line, key in picked:
                by_stream.setdefault(key, []).append([str(ts), line])
            result = [{"stream": json.loads(k), "values": v} for k, v in by_stream.items()]
            self._send(
                200,
                {
                    "status": "success",
                    "data": {
                        "resultType": "streams",
                        "result": result,
                        "stats": {"summary": {"totalEntriesReturned": len(picked)}},
                    },
                },
            )

        def do_POST(self) -> None:
            if self.path.split("?")[0] != "/loki/api/v1/push":
                self._send(404, text="404 page not found\n")
                return
            n = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(n))
                with lock:
                    for s in payload["streams"]:
                        labels = {str(k): str(v) for k, v in s["stream"].items()}
                        for ts, line in s["values"]:
                            if add(labels, int(ts), str(line), True):
                                out.write(json.dumps({"l": labels, "t": str(ts), "s": line}) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
            except (ValueError, KeyError, TypeError) as exc:
                self._send(400, text=f"error parsing push request: {exc}")
                return
            self._send(204, text="")

    server = _Server(("127.0.0.1", port), Handler)

    # shutdown() is called from the relay's thread: a handler that started a thread could deadlock on the
    # threading module's lock, held by the main thread starting a request's thread.
    relay_signals({signal.SIGTERM: server.shutdown})
    try:
        server.serve_forever()
    finally:
        server.server_close()
        out.close()


# ---------------------------------------------------------------------------------------------------
# Fault proxy


class FaultProxy:
    """A loopback reverse proxy: ``mode`` = ok | down | slow | status | cut | skew.

    * ``down``: connections are accepted and closed at once (as a dead upstream behind a proxy);
    * ``slow``: waits ``delay`` seconds before forwarding;
    * ``status``: answers ``status_code`` with a Prometheus/Loki-style error body;
    * ``cut``: forwards, but sends only the first half of the body (Content-Length stays whole);
    * ``skew``: forwards, but the ``Date`` header is shifted by ``skew`` seconds;
    * ``warn``: forwards, adding ``"warnings"`` to range-query answers (how Prometheus flags a partial
      result) and dropping their last series.
    ``fail_times`` > 0 applies the mode to that many requests only, then behaves as ``ok``; ``ok_first`` > 0
    forwards that many requests untouched first (a fault in the middle of a pull: its later pages).
    """

    def __init__(self, upstream: str, *, tls: tuple[str, str] | None = None, require_auth: str | None = None) -> None:
        self.upstream = upstream
        self.tls = tls
        self.require_auth = require_auth  # the exact Authorization header to demand (else 401)
        self.mode = "ok"
        self.delay = 0.0
        self.status_code = 500
        self.skew = 0.0
        self.fail_times = 0
        self.ok_first = 0
        self.requests = 0
        self.requests_at_set = 0
        self.faults_served = 0
        proxy = self

        class Handler(_QuietHandler):
            def do_GET(self) -> None:
                proxy.requests += 1
                mode = proxy.mode
                if proxy.fail_times > 0 and proxy.faults_served >= proxy.fail_times:
                    mode = "ok"
                if proxy.requests - proxy.requests_at_set <= proxy.ok_first:
                    mode = "ok"
                if mode != "ok":
                    proxy.faults_served += 1
                if proxy.require_auth is not None and self.headers.get("Authorization") != proxy.require_auth:
                    body = b"401 Unauthorized\n"
                    self.send_response(401)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("WWW-Authenticate", 'Basic realm="lokifi-test"')
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if mode == "down":
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if mode == "status":
                    body = json.dumps(
                        {"status": "error", "errorType": "internal", "error": f"injected HTTP {proxy.status_code}"}
                    ).encode()
                    self.send_response(proxy.status_code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    return
                if mode == "slow":
                    time.sleep(proxy.delay)
                u = urllib.parse.urlsplit(proxy.upstream)
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                try:
                    fwd = {
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() not in ("host", "connection", "accept-encoding")
                    }  # identity bodies
                    conn.request("GET", self.path, headers=fwd)
                    r = conn.getresponse()
                    body = r.read()
                    headers = [
                        (k, v)
                        for k, v in r.getheaders()
                        if k.lower() not in ("content-length", "connection", "transfer-encoding", "date")
                    ]
                    status = r.status
                except OSError as exc:
                    body = f"upstream error: {exc}".encode()
                    headers, status = [("Content-Type", "text/plain")], 502
                finally:
                    conn.close()
                if mode == "warn" and "query_range" in self.path and status == 200:
                    obj = json.loads(body)
                    obj["warnings"] = ["injected: a remote store did not answer"]
                    obj["data"]["result"] = obj["data"]["result"][:-1]
                    body = json.dumps(obj).encode()
                self.send_response_only(status)
                date = time.time() + (proxy.skew if mode == "skew" else 0.0)
                self.send_header("Date", formatdate(date, usegmt=True))
                for k, v in headers:
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                if mode == "cut":
                    self.send_header("Connection", "close")
                    self.close_connection = True
                self.end_headers()
                self.wfile.write(body[: len(body) // 2] if mode == "cut" else body)

        self.server = _Server(("127.0.0.1", 0), Handler)
        if tls:
            import ssl

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(tls[0], tls[1])
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def set(self, mode: str, **kw: Any) -> None:
        for k, v in kw.items():
            setattr(self, k, v)
        self.faults_served = 0
        self.ok_first = kw.get("ok_first", 0)
        self.requests_at_set = self.requests
        self.mode = mode

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def self_signed_cert(directory: Path) -> tuple[str, str] | None:
    """(cert, key) for 127.0.0.1 made with the openssl CLI, or None when it is not installed."""
    exe = shutil.which("openssl")
    if not exe:
        return None
    cert, key = Path(directory) / "cert.pem", Path(directory) / "key.pem"
    subprocess.run(
        [
            exe,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)


@contextlib.contextmanager
def temp_workdir(prefix: str = "lokifi-fleet-"):
    d = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "loki-standin":
        loki_standin(int(sys.argv[2]), sys.argv[3])
    else:
        print(__doc__)
        sys.exit(2)


# ---------------------------------------------------------------------------------------------------
# Helpers for the tests: ground truth straight from the servers, and pulls through the real collector


def require_prometheus() -> None:
    """Skip when Prometheus is not installed — except in CI, where it must be (``.ci/run`` installs it)."""
    import pytest

    if prometheus_binary():
        return
    if os.environ.get("CI"):
        pytest.fail("prometheus is not installed: .ci/run must `apt-get install -y prometheus`")
    pytest.skip("prometheus is not installed (apt-get install prometheus)")


def prom_truth(url: str, query: str, start: float, end: float, step: float) -> dict[tuple[str, float], float]:
    """{(host, epoch_ts): value} straight from Prometheus, chunked below its 11,000-point limit."""
    out: dict[tuple[str, float], float] = {}
    t = start
    while t <= end:
        c_end = min(end, t + 5000 * step)
        q = urllib.parse.urlencode({"query": query, "start": f"{t:.3f}", "end": f"{c_end:.3f}", "step": f"{step:g}"})
        code, body = http_get(f"{url}/api/v1/query_range?{q}", 10)
        assert code == 200, body[:300]
        for series in json.loads(body)["data"]["result"]:
            host = series["metric"].get("host") or series["metric"].get("instance")
            for ts, v in series["values"]:
                out[(host, round(float(ts), 3))] = float(v)
        t = c_end + step
    return out


def loki_truth(url: str, query: str, start_ns: int, end_ns: int) -> list[tuple[int, str, str]]:
    """Every (ts_ns, host, line) the query matches in [start, end), paged forward."""
    out = []
    seen = set()
    t = start_ns
    while True:
        q = urllib.parse.urlencode(
            {"query": query, "start": str(t), "end": str(end_ns), "limit": "1000", "direction": "forward"}
        )
        code, body = http_get(f"{url}/loki/api/v1/query_range?{q}", 10)
        assert code == 200, body[:300]
        page = []
        for st in json.loads(body)["data"]["result"]:
            for ts, line in st["values"]:
                page.append((int(ts), st["stream"].get("host", ""), line, json.dumps(st["stream"], sort_keys=True)))
        page.sort()
        for e in page:
            if e not in seen:
                seen.add(e)
                out.append(e[:3])
        if len(page) < 1000:
            return sorted(out)
        t = page[-1][0]


def loki_source(url: str, query: str, *, name: str = "logs", component: str = "api", **kw: Any) -> dict:
    """A ``[[sources]]`` entry for a Loki source on ``url`` reading ``query`` as ``component``, with the short
    lag, overlap and retries the tests use; ``kw`` sets or overrides any other key."""
    d = {
        "name": name,
        "type": "loki",
        "url": url,
        "lag": "1s",
        "overlap": "30s",
        "backfill": "10m",
        "interval": 0.2,
        "max_backoff": 0,
        "retries": 1,
        "timeout": 5,
        "queries": [{"query": query, "component": component}],
    }
    d.update(kw)
    return d


class Puller:
    """One collector "process" pulling one fleet source (a ``[[sources]]`` dict) through the real collector."""

    def __init__(self, store: Any, cfg: dict) -> None:
        import importlib

        from analytics.collect.loop import Collector
        from analytics.config.settings import parse_config

        self.src = importlib.import_module(f"analytics.sources.fleet.{cfg['type']}").from_config(cfg)
        self.col = Collector(store, parse_config({}), sources=[self.src], persist=True, hooks=())
        self.col.open()

    def pull(self):
        self.col.step(force=True)
        for _ in range(100):
            if not self.src.has_more:
                break
            self.col.poll_source(self.src, self.col.clock())
        self.col.flush()
        return self.src.health

    def close(self) -> None:
        self.col.close()
