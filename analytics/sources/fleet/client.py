"""The small HTTP client the fleet sources share: settings, auth, TLS, retries, and classified failures.

Owns how Lokifi talks to a Prometheus or Loki server:

* :class:`HttpSettings` (from :mod:`analytics.config.http_settings`, where the config checks it too) —
  base URL, auth (bearer token or basic; secrets read from an environment variable or a file so they
  need not sit in the config), TLS (CA bundle, client certificate, ``insecure_skip_verify``),
  per-request timeout, extra headers (e.g. Loki's ``X-Scope-OrgID``).
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
import random
import ssl
import time
from dataclasses import dataclass
from typing import Any

from analytics.common.clipping import clipped
from analytics.common.durations import parse_seconds
from analytics.common.http_answer import (
    AnswerTooLarge,
    AnswerTooSlow,
    Deadline,
    Sockets,
    read_answer,
    whole_answer_seconds,
)
from analytics.config.http_settings import ConfigProblem, HttpSettings, redact_url

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


class FetchError(Exception):
    """A request that failed after its retries; ``kind`` is one of down/slow/4xx/5xx/partial/tls."""

    def __init__(self, kind: str, message: str, status: int | None = None, retryable: bool = True):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retryable = retryable


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
        self._sockets = Sockets()
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
        return httpx.Client(
            base_url=s.base_url,
            headers=headers,
            auth=auth,
            verify=verify,
            timeout=httpx.Timeout(s.timeout, connect=min(s.timeout, 5.0)),
            follow_redirects=False,
            trust_env=True,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get_json(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        retries: int | None = None,
    ) -> Response:
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

    @staticmethod
    def _transport_failure(where: str, exc: Exception) -> FetchError:
        text = str(exc)
        if isinstance(exc, httpx.ConnectError):
            if "SSL" in text or "certificate" in text.lower():
                return FetchError(TLS, f"{where}: TLS failed: {text}", retryable=False)
            return FetchError(DOWN, f"{where}: cannot connect ({_short(text)})")
        if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
            if "without sending a response" in text or "reset by peer" in text.lower():
                # Accepted the connection and closed it unanswered: nothing is serving behind that port.
                return FetchError(DOWN, f"{where}: the connection was closed without an answer")
            # The server closed the connection mid-answer: a partial response.
            return FetchError(PARTIAL, f"{where}: the answer was cut off ({_short(text)})")
        return FetchError(DOWN, f"{where}: {_short(text)}")

    def _once(
        self, path: str, params: dict[str, Any] | None, timeout: float | None, where: str, attempt: int
    ) -> Response:
        if self._client is None:
            try:
                self._client = self._make()
            except (ssl.SSLError, OSError) as exc:
                raise FetchError(TLS, f"{where}: cannot set up TLS: {exc}", retryable=False) from None
        t0 = time.monotonic()
        sent_at = time.time()
        each = timeout if timeout is not None else self.settings.timeout
        try:
            with (
                Deadline(whole_answer_seconds(each), self._sockets) as deadline,
                self._client.stream(
                    "GET",
                    path,
                    params=params,
                    timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
                    extensions={"trace": self._sockets.trace},
                ) as r,
            ):
                body = read_answer(r, deadline)
        except AnswerTooLarge as exc:
            raise FetchError(PARTIAL, f"{where}: {exc}; refused", retryable=False) from None
        except AnswerTooSlow as exc:
            raise FetchError(SLOW, f"{where}: {exc}") from None
        except httpx.TimeoutException:
            raise FetchError(SLOW, f"{where}: no answer within {each:g}s") from None
        except httpx.TransportError as exc:
            if deadline.passed:
                raise FetchError(SLOW, f"{where}: {AnswerTooSlow(deadline.seconds)}") from None
            raise self._transport_failure(where, exc) from None
        elapsed = time.monotonic() - t0
        received_at = time.time()
        server_time = _parse_date(r.headers.get("Date"))
        status = r.status_code
        if 300 <= status < 400:
            target = redact_url(r.headers.get("Location", "?"))
            raise FetchError(
                CLIENT,
                f"{where}: HTTP {status} redirects to {target} — put that URL in the source's url",
                status=status,
                retryable=False,
            )
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
            raise FetchError(CLIENT, f"{where}: HTTP {status} {detail}{hint}".rstrip(), status=status, retryable=False)
        try:
            data = json.loads(body)
        except ValueError:
            head = body.lstrip()[:1]
            if head and head not in (b"{", b"["):
                ctype = r.headers.get("Content-Type", "?").split(";")[0]
                raise FetchError(
                    CLIENT,
                    f"{where}: answered {ctype}, not the JSON of an API — is the url the "
                    "server's API base (e.g. http://host:9090 or http://host:3100)?",
                    status=status,
                    retryable=False,
                ) from None
            declared = r.headers.get("Content-Length")
            got = len(body)
            cut = f" ({got} of {declared} bytes)" if declared and declared.isdigit() and int(declared) != got else ""
            raise FetchError(PARTIAL, f"{where}: the answer is not complete JSON{cut}", status=status) from None
        return Response(data, status, server_time, elapsed, attempt, sent_at, received_at)


def _short(text: str, n: int = 160) -> str:
    return clipped(" ".join(text.split()), n)


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


def parse_duration(value: Any, where: str) -> float:
    """Seconds from ``15``, ``"15s"``, ``"5m"``, ``"6h"``, ``"7d"``; a clear error otherwise."""
    if isinstance(value, bool):
        raise ConfigProblem(f'{where}: expected a duration like "30s", "5m" or "6h", got {value!r}')
    if isinstance(value, (int, float)):
        if value < 0:
            raise ConfigProblem(f"{where}: a duration cannot be negative ({value!r})")
        return float(value)
    try:
        return parse_seconds(str(value))
    except ValueError:
        raise ConfigProblem(f'{where}: expected a duration like "30s", "5m" or "6h", got {value!r}') from None
