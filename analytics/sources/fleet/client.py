"""The small HTTP client the fleet sources share: settings, auth, TLS, retries, and classified failures.

Owns how Lokifi talks to a Prometheus or Loki server:

* :class:`HttpSettings` — base URL, auth (bearer token or basic; secrets read from an environment
  variable or a file so they need not sit in the config), TLS (CA bundle, client certificate,
  ``insecure_skip_verify``), per-request timeout, extra headers (e.g. Loki's ``X-Scope-OrgID``).
* :class:`HttpClient.get_json` — one GET that returns the decoded JSON body together with what the
  server said its clock was (the ``Date`` header) and how long it took; retries connection failures,
  timeouts, 429 and 5xx with jittered exponential backoff inside a bounded budget, never 4xx.
* :class:`FetchError` — every failure is classified (``down``, ``slow``, ``4xx``, ``5xx``,
  ``partial``, ``tls``) so the per-source status can say exactly what is wrong.

Secrets never appear in messages: URLs are shown without their user-info and tokens are never echoed.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

try:  # the distribution declares httpx; openai ships the same API as httpx2
    import httpx
except ImportError:  # pragma: no cover - depends on what is installed
    import httpx2 as httpx  # type: ignore[no-redef]

#: Failure kinds, in the words the status line uses.
DOWN, SLOW, CLIENT, SERVER, PARTIAL, TLS = "down", "slow", "4xx", "5xx", "partial", "tls"


def label_list(value: object, where: str) -> list[str]:
    """A ``host_labels`` setting: one label name or a list of them (the sources' shared config rule)."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(x, str) and x for x in value):
        raise ConfigProblem(f"{where}.host_labels: expected a list of label names")
    return value


class ConfigProblem(ValueError):
    """A source's settings are wrong; the message names the key."""


class FetchError(Exception):
    """A request that failed after its retries; ``kind`` is one of down/slow/4xx/5xx/partial/tls."""

    def __init__(self, kind: str, message: str, status: int | None = None, retryable: bool = True):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retryable = retryable


def redact_url(url: str) -> str:
    """The URL without user-info and without a query string (which may carry a token)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _read_secret(d: dict[str, Any], key: str, where: str) -> str | None:
    """A secret given as ``key``, ``key_env`` (environment variable) or ``key_file`` (a file)."""
    if d.get(f"{key}_env"):
        var = str(d[f"{key}_env"])
        val = os.environ.get(var)
        if val is None:
            raise ConfigProblem(f"{where}.{key}_env: the environment variable {var} is not set")
        return val.strip()
    if d.get(f"{key}_file"):
        p = Path(str(d[f"{key}_file"])).expanduser()
        try:
            return p.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigProblem(f"{where}.{key}_file: cannot read {p}: {exc.strerror or exc}") from None
    val = d.get(key)
    return None if val is None else str(val)


@dataclass
class HttpSettings:
    base_url: str
    bearer_token: str | None = None
    basic_user: str | None = None
    basic_password: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure_skip_verify: bool = False
    timeout: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)
    retries: int = 3
    backoff: float = 0.5
    backoff_max: float = 8.0

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str) -> HttpSettings:
        """Build from a ``[[sources]]`` table; errors name the key (``where`` is e.g. ``sources[0]``)."""
        url = d.get("url")
        if not isinstance(url, str) or not url.strip():
            raise ConfigProblem(f"{where}.url: a base URL is required, e.g. http://127.0.0.1:9090")
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigProblem(f"{where}.url: {redact_url(url)!r} is not an http(s) URL")
        s = cls(base_url=url.strip().rstrip("/"))
        auth = d.get("auth") or {}
        if not isinstance(auth, dict):
            raise ConfigProblem(f"{where}.auth: expected a table like {{ type = \"bearer\", token_env = \"VAR\" }}")
        kind = str(auth.get("type", "none")).lower()
        if kind == "bearer":
            s.bearer_token = _read_secret(auth, "token", f"{where}.auth")
            if not s.bearer_token:
                raise ConfigProblem(f"{where}.auth: bearer auth needs token, token_env or token_file")
        elif kind == "basic":
            s.basic_user = auth.get("username")
            s.basic_password = _read_secret(auth, "password", f"{where}.auth") or ""
            if not s.basic_user:
                raise ConfigProblem(f"{where}.auth.username: basic auth needs a username")
        elif kind not in ("none", ""):
            raise ConfigProblem(f"{where}.auth.type: {kind!r} is not one of none, bearer, basic")
        if parts.username:  # user-info in the URL is basic auth; move it out so it is never logged
            s.basic_user = s.basic_user or parts.username
            s.basic_password = s.basic_password or (parts.password or "")
            host = parts.hostname + (f":{parts.port}" if parts.port else "")
            s.base_url = urlunsplit((parts.scheme, host, parts.path, parts.query, "")).rstrip("/")
        tls = d.get("tls") or {}
        if not isinstance(tls, dict):
            raise ConfigProblem(f"{where}.tls: expected a table (ca_file, cert_file, key_file, insecure_skip_verify)")
        for key in ("ca_file", "cert_file", "key_file"):
            if tls.get(key):
                p = Path(str(tls[key])).expanduser()
                if not p.is_file():
                    raise ConfigProblem(f"{where}.tls.{key}: {p} does not exist")
                setattr(s, key, str(p))
        s.insecure_skip_verify = bool(tls.get("insecure_skip_verify", False))
        s.timeout = _positive(d, "timeout", where, s.timeout)
        s.retries = int(_positive(d, "retries", where, s.retries, allow_zero=True))
        headers = d.get("headers") or {}
        if not isinstance(headers, dict):
            raise ConfigProblem(f"{where}.headers: expected a table of header = value")
        s.headers = {str(k): str(v) for k, v in headers.items()}
        if d.get("tenant"):
            s.headers["X-Scope-OrgID"] = str(d["tenant"])
        return s

    def describe(self) -> str:
        auth = "bearer" if self.bearer_token else ("basic" if self.basic_user else "no auth")
        return f"{redact_url(self.base_url)} ({auth})"


def _positive(d: dict[str, Any], key: str, where: str, default: float, allow_zero: bool = False) -> float:
    if key not in d:
        return default
    v = d[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0 or (v == 0 and not allow_zero):
        raise ConfigProblem(f"{where}.{key}: expected a positive number, got {v!r}")
    return float(v)


@dataclass
class Response:
    data: Any
    status: int
    server_time: float | None  # epoch seconds from the Date header (1 s resolution)
    elapsed: float
    attempts: int
    sent_at: float = 0.0  # wall clock (epoch s) when the request went out / the answer came back:
    received_at: float = 0.0  # the pair to compare with server_time for clock skew


class HttpClient:
    """A reusable client for one server. Not thread-safe; one per source."""

    def __init__(self, settings: HttpSettings, *, slow_after: float | None = None) -> None:
        self.settings = settings
        self.slow_after = slow_after if slow_after is not None else max(1.0, settings.timeout / 2)
        self._client: httpx.Client | None = None
        self.sleep = time.sleep  # replaced in tests to make backoff instant

    def _make(self) -> httpx.Client:
        s = self.settings
        verify: Any = True
        if not s.base_url.startswith("https:"):
            verify = False  # plain HTTP: no TLS to verify (redirects are not followed), skip loading the CA store
        elif s.insecure_skip_verify:
            verify = False
        elif s.ca_file or s.cert_file:
            ctx = ssl.create_default_context(cafile=s.ca_file)
            if s.cert_file:
                ctx.load_cert_chain(s.cert_file, s.key_file)
            verify = ctx
        auth = None
        headers = {"User-Agent": "lokifi", "Accept": "application/json", **s.headers}
        if s.bearer_token:
            headers["Authorization"] = f"Bearer {s.bearer_token}"
        elif s.basic_user:
            auth = httpx.BasicAuth(s.basic_user, s.basic_password or "")
        return httpx.Client(base_url=s.base_url, headers=headers, auth=auth, verify=verify,
                            timeout=httpx.Timeout(s.timeout, connect=min(s.timeout, 5.0)),
                            follow_redirects=False, trust_env=True)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get_json(self, path: str, params: dict[str, Any] | None = None, *, timeout: float | None = None,
                 retries: int | None = None) -> Response:
        """GET ``path`` and decode JSON; retry what may pass on a second try; raise :class:`FetchError`."""
        retries = self.settings.retries if retries is None else retries
        attempt = 0
        where = redact_url(self.settings.base_url + path)
        while True:
            attempt += 1
            try:
                return self._once(path, params, timeout, where, attempt)
            except FetchError as exc:
                if not exc.retryable or attempt > retries:
                    raise
                delay = min(self.settings.backoff_max, self.settings.backoff * (2 ** (attempt - 1)))
                self.sleep(delay * (0.5 + random.random() / 2))  # noqa: S311 - jitter, not a secret

    def _once(self, path: str, params: dict[str, Any] | None, timeout: float | None, where: str,
              attempt: int) -> Response:
        if self._client is None:
            try:
                self._client = self._make()
            except (ssl.SSLError, OSError) as exc:
                raise FetchError(TLS, f"{where}: cannot set up TLS: {exc}", retryable=False) from None
        t0 = time.monotonic()
        sent_at = time.time()
        try:
            r = self._client.get(path, params=params,
                                 timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT)
            body = r.content
        except httpx.TimeoutException:
            raise FetchError(SLOW, f"{where}: no answer within {timeout or self.settings.timeout:g}s") from None
        except httpx.ConnectError as exc:
            text = str(exc)
            if "SSL" in text or "certificate" in text.lower():
                raise FetchError(TLS, f"{where}: TLS failed: {text}", retryable=False) from None
            raise FetchError(DOWN, f"{where}: cannot connect ({_short(text)})") from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            text = str(exc)
            if "without sending a response" in text or "reset by peer" in text.lower():
                # Accepted the connection and closed it unanswered: nothing is serving behind that port.
                raise FetchError(DOWN, f"{where}: the connection was closed without an answer") from None
            # The server closed the connection mid-answer: a partial response.
            raise FetchError(PARTIAL, f"{where}: the answer was cut off ({_short(text)})") from None
        except httpx.TransportError as exc:
            raise FetchError(DOWN, f"{where}: {_short(str(exc))}") from None
        elapsed = time.monotonic() - t0
        received_at = time.time()
        server_time = _parse_date(r.headers.get("Date"))
        status = r.status_code
        if 300 <= status < 400:
            target = redact_url(r.headers.get("Location", "?"))
            raise FetchError(CLIENT, f"{where}: HTTP {status} redirects to {target} — put that URL in the source's url",
                             status=status, retryable=False)
        if status >= 400:
            detail = _error_detail(body)
            if status == 429 or status >= 500:
                kind = SERVER if status >= 500 else CLIENT
                if status in (503, 504) and "timeout" in detail.lower():
                    kind = SLOW
                raise FetchError(kind, f"{where}: HTTP {status} {detail}".rstrip(), status=status)
            hint = ""
            if status in (401, 403):
                hint = " — check the source's auth settings"
            raise FetchError(CLIENT, f"{where}: HTTP {status} {detail}{hint}".rstrip(), status=status,
                             retryable=False)
        try:
            data = json.loads(body)
        except ValueError:
            head = body.lstrip()[:1]
            if head and head not in (b"{", b"["):
                ctype = r.headers.get("Content-Type", "?").split(";")[0]
                raise FetchError(CLIENT, f"{where}: answered {ctype}, not the JSON of an API — is the url the "
                                 "server's API base (e.g. http://host:9090 or http://host:3100)?", status=status,
                                 retryable=False) from None
            declared = r.headers.get("Content-Length")
            got = len(body)
            cut = f" ({got} of {declared} bytes)" if declared and declared.isdigit() and int(declared) != got else ""
            raise FetchError(PARTIAL, f"{where}: the answer is not complete JSON{cut}", status=status) from None
        return Response(data, status, server_time, elapsed, attempt, sent_at, received_at)


def _short(text: str, n: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _error_detail(body: bytes) -> str:
    try:
        obj = json.loads(body)
        if isinstance(obj, dict):
            return _short(str(obj.get("error") or obj.get("message") or ""))
    except ValueError:
        pass
    return _short(body[:300].decode("utf-8", "replace"))


def _parse_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


_DURATION = __import__("re").compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, None: 1.0}


def parse_duration(value: Any, where: str) -> float:
    """Seconds from ``15``, ``"15s"``, ``"5m"``, ``"6h"``, ``"7d"``; a clear error otherwise."""
    if isinstance(value, bool):
        raise ConfigProblem(f"{where}: expected a duration like \"30s\", \"5m\" or \"6h\", got {value!r}")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ConfigProblem(f"{where}: a duration cannot be negative ({value!r})")
        return float(value)
    m = _DURATION.match(str(value))
    if not m:
        raise ConfigProblem(f"{where}: expected a duration like \"30s\", \"5m\" or \"6h\", got {value!r}")
    return float(m.group(1)) * _UNIT[m.group(2)]
