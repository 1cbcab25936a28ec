"""Service probes: HTTP(S) and TCP response time and status, run concurrently with bounded timeouts.

Every probe run becomes one ``probe_results`` row (ok, status code, milliseconds, what failed) and
metrics for its component (``probe_up``, ``response_time_ms`` when the service answered, ``http_status``).
A failed probe is also an ``error_events`` row whose message is written the way the error learning
reads it, e.g. ``Connection refused on port 3000 (127.0.0.1)``, so the pattern engine learns it and
offers the playbook fix for ``connection_error``. Failures are classified as ``refused``, ``timeout``,
``dns``, ``tls``, ``reset``, ``unreachable``, ``status`` (wrong HTTP status), ``protocol``, ``error``.

Plain ``http.client``/``socket`` are used on purpose: every failure arrives as a distinct exception
(ConnectionRefusedError, TimeoutError, socket.gaierror, ssl.SSLError) so the classification is exact,
and a probe costs a fraction of a millisecond of CPU.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import errno
import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from analytics.sources.base import BaseSource, Batch

MAX_BODY = 64 * 1024
USER_AGENT = "lokifi-probe/0.1"


@dataclass(frozen=True)
class ProbeSpec:
    """One probe. ``target`` is a URL for http(s), ``host:port`` for tcp."""

    component: str
    kind: str  # http | tcp
    target: str
    name: str = ""
    method: str = "GET"
    expect_status: tuple[int, ...] = ()  # empty: any 2xx or 3xx
    timeout: float = 5.0
    verify_tls: bool = True
    headers: tuple[tuple[str, str], ...] = ()
    body_contains: str | None = None

    @property
    def shown(self) -> str:
        """The target as stored and said: a URL's password and credential parameters as ``***``."""
        if self.kind != "http":
            return self.target
        from analytics.config.url_text import masked_url

        return masked_url(self.target)

    @property
    def label(self) -> str:
        return self.name or self.shown

    def result(
        self,
        now: dt.datetime,
        ok: bool,
        ms: float | None = None,
        status: int | None = None,
        error_kind: str | None = None,
        message: str | None = None,
    ) -> ProbeResult:
        """This probe's result at ``now``."""
        return ProbeResult(now, self.component, self.label, self.kind, self.shown, ok, ms, status, error_kind, message)

    def status_ok(self, status: int) -> bool:
        if self.expect_status:
            return status in self.expect_status
        return 200 <= status < 400


@dataclass(frozen=True)
class ProbeResult:
    ts: dt.datetime
    component: str
    probe: str
    kind: str
    target: str
    ok: bool
    elapsed_ms: float | None  # None when nothing answered (refused, timeout, DNS failure)
    status_code: int | None = None
    error_kind: str | None = None
    message: str | None = None

    def row(self, host: str) -> dict:
        """This result as a ``probe_results`` row of ``host``."""
        return {
            "ts": self.ts,
            "host": host,
            "component": self.component,
            "probe": self.probe,
            "kind": self.kind,
            "target": self.target,
            "ok": self.ok,
            "status_code": self.status_code,
            "elapsed_ms": self.elapsed_ms,
            "error_kind": self.error_kind,
            "message": self.message,
        }


def parse_hostport(target: str) -> tuple[str, int]:
    t = target.strip()
    if t.startswith("["):  # [::1]:80
        host, _, port = t[1:].partition("]:")
    else:
        host, _, port = t.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port, got {target!r}")
    return host, int(port)


def _ssl_context(verify: bool) -> ssl.SSLContext:
    with _ctx_lock:
        ctx = _contexts.get(verify)
        if ctx is None:
            ctx = ssl.create_default_context()
            if not verify:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            _contexts[verify] = ctx
        return ctx


_contexts: dict[bool, ssl.SSLContext] = {}
_ctx_lock = threading.Lock()


def _classify(exc: BaseException, host: str, port: int, timeout: float, what: str) -> tuple[str, str]:
    """(error kind, message for the error event) for an exception raised while probing."""
    where = f"{host}:{port}"
    if isinstance(exc, socket.gaierror):
        return "dns", f"DNS lookup failed for {host}: {exc.strerror or exc}"
    if isinstance(exc, ConnectionRefusedError):
        return "refused", f"Connection refused on port {port} ({host})"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "timeout", f"Timeout after {timeout:g}s {what} {where}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return "tls", f"TLS certificate verification failed for {where}: {exc.verify_message or exc.reason}"
    if isinstance(exc, ssl.SSLError):
        return "tls", f"TLS handshake with {where} failed: {exc.reason or exc}"
    if isinstance(exc, ConnectionResetError):
        return "reset", f"Connection reset by {where}"
    if isinstance(exc, (http.client.HTTPException, ValueError)):
        return "protocol", f"Invalid HTTP response from {where}: {type(exc).__name__} {exc}".strip()
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "unreachable", f"No route to {where} ({exc.strerror})"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRNOTAVAIL:
        return "unreachable", f"Cannot assign address to reach {where} ({exc.strerror})"
    if isinstance(exc, OSError):
        return "error", f"Probe of {where} failed: {exc.strerror or exc}"
    return "error", f"Probe of {where} failed: {type(exc).__name__}: {exc}"


def run_tcp(spec: ProbeSpec, now: dt.datetime) -> ProbeResult:
    host, port = parse_hostport(spec.target)
    t0 = time.perf_counter()
    try:
        with socket.create_connection((host, port), timeout=spec.timeout):
            pass
    except Exception as exc:  # noqa: BLE001 — every failure is classified into the result
        kind, msg = _classify(exc, host, port, spec.timeout, "connecting to")
        return spec.result(now, False, None, None, kind, msg)
    ms = (time.perf_counter() - t0) * 1000
    return spec.result(now, True, round(ms, 3))


def _basic_auth(u: SplitResult) -> dict[str, str]:
    """An ``Authorization: Basic`` header from a URL's user and password (``http://user:pa%2Fss@host/``,
    percent-decoded as a browser and curl do); none when the URL names no user. A header the probe sets
    itself wins."""
    if u.username is None and u.password is None:
        return {}
    import base64
    from urllib.parse import unquote

    pair = f"{unquote(u.username or '')}:{unquote(u.password or '')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}


def run_http(spec: ProbeSpec, now: dt.datetime) -> ProbeResult:
    u = urlsplit(spec.target)
    https = u.scheme == "https"
    host = u.hostname or ""
    port = u.port or (443 if https else 80)
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    t0 = time.perf_counter()
    deadline = t0 + spec.timeout
    stage = "connecting to"
    conn: http.client.HTTPConnection | None = None
    try:
        if https:
            conn = http.client.HTTPSConnection(host, port, timeout=spec.timeout, context=_ssl_context(spec.verify_tls))
        else:
            conn = http.client.HTTPConnection(host, port, timeout=spec.timeout)
        conn.connect()
        stage = "waiting for a response from"
        headers = {"User-Agent": USER_AGENT, "Connection": "close", **_basic_auth(u), **dict(spec.headers)}
        conn.request(spec.method, path, headers=headers)
        resp = conn.getresponse()
        body = b""
        while len(body) < MAX_BODY and time.perf_counter() < deadline:
            chunk = resp.read1(MAX_BODY - len(body)) if hasattr(resp, "read1") else resp.read(MAX_BODY)
            if not chunk:
                break
            body += chunk
        status = resp.status
    except Exception as exc:  # noqa: BLE001
        kind, msg = _classify(exc, host, port, spec.timeout, stage)
        ms = (time.perf_counter() - t0) * 1000 if kind in ("protocol", "reset") and stage != "connecting to" else None
        return spec.result(
            now,
            False,
            round(ms, 3) if ms is not None else None,
            None,
            kind,
            msg,
        )
    finally:
        if conn is not None:
            conn.close()
    ms = round((time.perf_counter() - t0) * 1000, 3)
    if not spec.status_ok(status):
        want = ", ".join(map(str, spec.expect_status)) if spec.expect_status else "2xx/3xx"
        return spec.result(
            now,
            False,
            ms,
            status,
            "status",
            f"HTTP {status} from {spec.method} {spec.shown} (expected {want})",
        )
    if spec.body_contains and spec.body_contains.encode() not in body:
        return spec.result(
            now,
            False,
            ms,
            status,
            "content",
            f"Response from {spec.shown} does not contain {spec.body_contains!r}",
        )
    return spec.result(now, True, ms, status)


def run_probe(spec: ProbeSpec, now: dt.datetime) -> ProbeResult:
    try:
        return run_http(spec, now) if spec.kind == "http" else run_tcp(spec, now)
    except Exception as exc:  # noqa: BLE001 — a bad target must not kill the collector
        return ProbeResult(
            now,
            spec.component,
            spec.label,
            spec.kind,
            spec.shown,
            False,
            None,
            None,
            "error",
            f"Probe {spec.label} could not run: {exc}",
        )


def probe_in_thread(spec: ProbeSpec, now: dt.datetime) -> cf.Future:
    """:func:`run_probe` in a daemon thread of its own; its result arrives in the returned future. A
    probe bounds its connect and read by its timeout but not a name lookup, and a resolver that does not
    answer must not hold the process's exit (a thread pool's workers are joined at exit)."""
    fut: cf.Future = cf.Future()
    fut.set_running_or_notify_cancel()

    def run() -> None:
        fut.set_result(run_probe(spec, now))  # run_probe turns every failure into a result

    threading.Thread(target=run, name="lokifi-probe", daemon=True).start()
    return fut


def wait_limit(specs: list[ProbeSpec]) -> float:
    """How long a round of probes is waited for: twice the longest timeout (connect, then read) and a second."""
    return max(s.timeout for s in specs) * 2 + 1.0


@dataclass
class _Inflight:
    future: cf.Future
    started: float


class ProbeSource(BaseSource):
    """Runs every configured probe concurrently each interval (each in a daemon thread); never waits
    longer than the timeouts, and a probe still running is not started again."""

    kind = "probes"
    unique_rows = True  # every row carries the moment of its own sample: never a duplicate

    def __init__(self, probes: list[ProbeSpec], host: str, *, interval: float = 10.0, name: str = "probes") -> None:
        super().__init__(name, interval)
        self.specs = list(probes)
        self.host = host
        self._inflight: dict[int, _Inflight] = {}  # a probe still running from an earlier round is not re-run
        self._latest: dict[str, ProbeResult] = {}
        self.runs = 0

    @property
    def latest(self) -> tuple[ProbeResult, ...]:
        return tuple(self._latest.values())

    def run_all(self, now: dt.datetime) -> list[ProbeResult]:
        if not self.specs:
            return []
        started = time.monotonic()
        mine: dict[int, cf.Future] = {}
        for i, spec in enumerate(self.specs):
            if i in self._inflight:
                continue
            fut = probe_in_thread(spec, now)
            self._inflight[i] = _Inflight(fut, started)
            mine[i] = fut
        cf.wait(list(mine.values()), timeout=wait_limit(self.specs))
        results = []
        for i, inf in list(self._inflight.items()):
            if inf.future.done():
                del self._inflight[i]
                results.append(inf.future.result())
        self.runs += 1
        return results

    def poll(self, now: dt.datetime) -> list[Batch]:
        results = self.run_all(now)
        batch = Batch(self.name)
        by_comp: dict[str, list[ProbeResult]] = {}
        for r in results:
            self._latest[r.probe + "\x00" + r.component] = r
            by_comp.setdefault(r.component, []).append(r)
            batch.probes.append(r.row(self.host))
            if not r.ok and r.message:
                batch.events.append(
                    {
                        "ts": r.ts,
                        "host": self.host,
                        "component": r.component,
                        "message": r.message,
                        "source": self.name,
                        "level": "ERROR",
                    }
                )
        for comp, rs in by_comp.items():
            ts = rs[0].ts

            def m(metric: str, value: float, _c: str = comp, _ts: dt.datetime = ts) -> None:
                batch.metrics.append(
                    {
                        "ts": _ts,
                        "host": self.host,
                        "component": _c,
                        "metric": metric,
                        "value": float(value),
                        "source": self.name,
                    }
                )

            m("probe_up", 1.0 if all(r.ok for r in rs) else 0.0)
            times = [r.elapsed_ms for r in rs if r.elapsed_ms is not None]
            if times:
                m("response_time_ms", max(times))
            codes = [r.status_code for r in rs if r.status_code is not None]
            if codes:
                m("http_status", max(codes))
            if len(rs) > 1:
                for r in rs:
                    m(f"probe_up@{r.probe}", 1.0 if r.ok else 0.0)
                    if r.elapsed_ms is not None:
                        m(f"response_time_ms@{r.probe}", r.elapsed_ms)
        failed = [r for r in results if not r.ok]
        detail = f"{len(results) - len(failed)}/{len(results)} probes up"
        self.ok(now, len(results), detail)
        return [batch] if len(batch) else []

    def close(self) -> None:
        self._inflight.clear()  # a probe still running ends with its daemon thread
