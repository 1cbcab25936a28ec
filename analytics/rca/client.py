"""The model client: chat completions on any OpenAI-compatible endpoint, with honest failure.

Owns three things:

* :func:`endpoint_from_config` -- which server and model to use and where the API key comes from
  (``$LOKIFI_OPENAI_API_KEY``, ``$OPENAI_API_KEY``, then ``[ai] api_key_file``). The key lives only
  in memory: it is excluded from ``repr``, never written to the database or a config file, and
  scrubbed from every error message this module produces.
* :func:`chat` -- one chat completion through the official ``openai`` package (streamed; a server that
  answers with one plain JSON completion instead is accepted and remembered as not streaming), with our
  own bounded retry loop (so a cancel, a ``Retry-After`` and each retry are visible as
  :class:`Progress`), negotiation of structured output (``json_schema`` -> ``json_object`` ->
  plain prompt, remembered per endpoint), and a clear :class:`CallFailed` status for every fault:
  ``timeout``, ``unreachable``, ``unauthorized``, ``rate_limited``, ``server_error``,
  ``truncated``, ``not_found``, ``bad_request``, ``cancelled``.
* :func:`check_status` -- what is configured and whether it answers (``lokifi ai status``).

Every network wait runs in a daemon helper thread while the caller waits on the cancel signal, so
cancelling returns at once even while a server is still thinking.

One module: the retrying call and the status check share one fault classification and the key
scrubbing, which no path may bypass; the endpoint whose key they scrub is defined beside them.
"""

from __future__ import annotations

import email.utils
import os
import stat
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from analytics.common.http_answer import bounded_client, refusal
from analytics.config.url_text import masked_url, misread_userinfo, url_problem

OPENAI_BASE_URL = "https://api.openai.com/v1"
KEY_ENV_VARS = ("LOKIFI_OPENAI_API_KEY", "OPENAI_API_KEY")
FORMAT_MODES = ("json_schema", "json_object", "none")
MAX_ANSWER_CHARS = 100_000  # an analysis is a few hundred words; more is a runaway generation
MAX_RETRY_WAIT = 30.0  # never sleep longer than this for a Retry-After
NO_KEY_PLACEHOLDER = "no-key"  # local servers ignore the key, the openai client insists on one

#: statuses a retry may cure
RETRYABLE = frozenset({"timeout", "unreachable", "rate_limited", "server_error", "truncated"})

Cancel = Callable[[], bool]


@dataclass(frozen=True)
class Progress:
    """What an analysis is doing now; sent to the ``progress`` callback from worker threads.

    stage: ``redacting`` | ``cache`` | ``connecting`` | ``waiting`` | ``receiving`` | ``retrying``
    | ``parsing`` | ``done``.
    """

    stage: str
    message: str
    attempt: int = 0
    chars: int = 0


ProgressFn = Callable[[Progress], None]


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # effective URL ("" when not configured)
    model: str
    api_key: str | None = field(repr=False, default=None)
    key_source: str = "none"  # where the key came from, for display (never the key)
    configured: bool = False
    reason: str = ""  # why not configured, or a warning about the key
    timeout: float = 30.0
    max_retries: int = 2
    response_format: str = "auto"  # auto | json_schema | json_object | none

    @property
    def display_url(self) -> str:
        return self.base_url or "(none)"


def safe_url(url: str) -> str:
    """An endpoint URL fit for messages and storage: no user:password, no query string."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url or "")
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "(invalid URL)"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def shown_url(url: str, path: str = "") -> str:
    """An endpoint URL for the person to read, ``path`` (``/chat/completions``) appended to its own: with
    its query, which the requests carry (Azure's ``?api-version=...``), the values of credential
    parameters and a password masked (as ``lokifi config show`` shows it)."""
    shown = masked_url(url or "")
    if not url or not path:
        return shown
    head, sep, query = shown.partition("?")
    return f"{head.rstrip('/')}{path}{sep}{query}"


def _normalise_cancel(cancel: Any) -> Cancel:
    if cancel is None:
        return lambda: False
    if hasattr(cancel, "is_set"):
        return cancel.is_set
    if callable(cancel):
        return cancel
    raise TypeError("cancel must be a threading.Event, a callable returning bool, or None")


def _read_key_file(path_text: str) -> tuple[str | None, str]:
    path = Path(os.path.expanduser(path_text))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, f"api_key_file {path} does not exist"
    except OSError as exc:
        return None, f"api_key_file {path} cannot be read ({exc.strerror})"
    except UnicodeDecodeError:
        return None, f"api_key_file {path} is not UTF-8 text"
    key = next((ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    if not key:
        return None, f"api_key_file {path} is empty"
    warning = ""
    try:
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            warning = f"api_key_file {path} is readable by other users; run: chmod 600 {path}"
    except OSError:
        pass
    return key, warning


def endpoint_from_config(ai: Any, env: Mapping[str, str] | None = None) -> Endpoint:
    """Resolve the ``[ai]`` section into an :class:`Endpoint` (no network)."""
    if env is None:
        env = os.environ
    key: str | None = None
    source = "none"
    notes: list[str] = []
    for var in KEY_ENV_VARS:
        if env.get(var, "").strip():
            key, source = env[var].strip(), f"${var}"
            break
    key_file = getattr(ai, "api_key_file", "")
    if key is None and key_file:
        key, note = _read_key_file(ai.api_key_file)
        if key:
            source = f"key file {ai.api_key_file}"
        if note:
            notes.append(note)
    base_url = (getattr(ai, "base_url", "") or "").strip().rstrip("/")
    model = (getattr(ai, "model", "") or "").strip()
    common: dict[str, Any] = dict(
        timeout=float(getattr(ai, "timeout", 30.0) or 30.0),
        max_retries=max(0, int(getattr(ai, "max_retries", 2))),
        response_format=str(getattr(ai, "response_format", "auto") or "auto"),
    )
    if not model:
        return Endpoint(base_url, model, key, source, False, "no model set ([ai] model)", **common)
    if not base_url:
        if key is None:
            reason = "; ".join(
                [
                    *notes,
                    "no [ai] base_url and no API key ($OPENAI_API_KEY, $LOKIFI_OPENAI_API_KEY or [ai] api_key_file)",
                ]
            )
            return Endpoint("", model, None, source, False, reason, **common)
        base_url = OPENAI_BASE_URL
    elif (misread := misread_userinfo(base_url)) is not None and misread.certain:
        return Endpoint(base_url, model, key, source, False, f"[ai] base_url: {misread.message()}", **common)
    elif (problem := url_problem(base_url)) is not None:
        return Endpoint(base_url, model, key, source, False, f"[ai] base_url: {problem}", **common)
    elif key is None and "api.openai.com" in base_url:
        reason = "; ".join(
            [*notes, "api.openai.com needs an API key ($OPENAI_API_KEY, $LOKIFI_OPENAI_API_KEY or [ai] api_key_file)"]
        )
        return Endpoint(base_url, model, None, source, False, reason, **common)
    return Endpoint(base_url, model, key, source, True, "; ".join(notes), **common)


# --- failures --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Attempt:
    """One request to the model, for the ledger."""

    attempt: int
    status: str  # ok | one of the failure statuses
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    usage_reported: bool = False
    response_ms: int = 0
    error: str = ""


class CallFailed(Exception):
    """The model could not give an answer. ``status`` is machine-readable; str() is for people."""

    def __init__(
        self,
        status: str,
        message: str,
        *,
        http_status: int | None = None,
        retry_after: float | None = None,
        attempts: tuple[Attempt, ...] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.http_status = http_status
        self.retry_after = retry_after
        self.attempts = attempts


@dataclass(frozen=True)
class ChatResult:
    content: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    usage_reported: bool
    response_ms: int
    response_format: str
    attempts: tuple[Attempt, ...]

    @property
    def tokens(self) -> int | None:
        if not self.usage_reported:
            return None
        return (self.prompt_tokens or 0) + (self.completion_tokens or 0)


class _Negotiate(Exception):
    """The server refused an optional request feature; try again without it."""


def _scrub(text: str, key: str | None) -> str:
    """Remove the API key (and anything key-like) from a message before anyone sees it."""
    from analytics.rca.redact import Redactor

    if key and len(key) >= 4:
        text = text.replace(key, "[REDACTED:api_key]")
    return Redactor(redact_ips=False).redact(text).text[:400]


def _retry_after(headers: Any) -> float | None:
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms:
            return max(0.0, float(ms) / 1000)
        value = headers.get("retry-after")
    except Exception:  # noqa: BLE001 - a retry hint that cannot be read is no hint
        return None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, IndexError):
        return None


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return err["message"]
        if isinstance(err, str):
            return err
    return str(getattr(exc, "message", "") or exc)


def _classify(exc: BaseException, endpoint: Endpoint, started_stream: bool) -> CallFailed:
    import openai

    where = f"{safe_url(endpoint.base_url)} (model {endpoint.model})"
    status = getattr(exc, "status_code", None)
    msg = _scrub(_server_message(exc), endpoint.api_key)
    refused = refusal(exc)
    if refused is not None:
        return CallFailed("bad_request", f"{where}: {refused}; refused")
    if isinstance(exc, openai.APITimeoutError):
        return CallFailed(
            "timeout",
            f"{where} did not answer within {endpoint.timeout:g}s "
            "([ai] timeout); a slow local model may need a larger timeout",
        )
    if isinstance(exc, openai.APIConnectionError):
        if started_stream:
            return CallFailed("truncated", f"{where} dropped the connection in the middle of the answer")
        return CallFailed(
            "unreachable",
            f"cannot connect to {safe_url(endpoint.base_url)}: is the server running "
            "and is [ai] base_url right? (" + _scrub(str(exc.__cause__ or exc), endpoint.api_key) + ")",
        )
    if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
        return CallFailed(
            "unauthorized",
            f"{where} refused the API key from {endpoint.key_source} (HTTP {status}): {msg}",
            http_status=status,
        )
    if isinstance(exc, openai.RateLimitError):
        body = getattr(exc, "body", None)
        code = (body.get("code") if isinstance(body, dict) else None) or ""
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            code = body["error"].get("code") or code
        ra = _retry_after(getattr(getattr(exc, "response", None), "headers", None))
        if code == "insufficient_quota":
            return CallFailed("quota", f"{where}: the account has no quota left: {msg}", http_status=429)
        hint = f"; retry after {ra:g}s" if ra is not None else ""
        return CallFailed(
            "rate_limited", f"{where} is rate-limiting requests (HTTP 429{hint})", http_status=429, retry_after=ra
        )
    if isinstance(exc, openai.NotFoundError):
        return CallFailed(
            "not_found",
            f"{where}: not found (HTTP 404) -- check [ai] model and that base_url ends in /v1: {msg}",
            http_status=404,
        )
    if isinstance(exc, openai.APIStatusError):
        if status is not None and status >= 500:
            return CallFailed("server_error", f"{where} failed with HTTP {status}: {msg}", http_status=status)
        return CallFailed("bad_request", f"{where} rejected the request (HTTP {status}): {msg}", http_status=status)
    if started_stream:
        return CallFailed("truncated", f"{where} stopped sending in the middle of the answer ({type(exc).__name__})")
    return CallFailed("unreachable", f"{where}: {type(exc).__name__}: {_scrub(str(exc), endpoint.api_key)}")


# --- the request -------------------------------------------------------------------------------
_FORMAT_MEMORY: dict[tuple[str, str], str] = {}  # (base_url, model) -> mode that worked
_USAGE_MEMORY: dict[str, bool] = {}  # base_url -> server accepts stream_options
_STREAM_MEMORY: dict[str, bool] = {}  # base_url -> server streams (False: answers plain JSON)


def forget_capabilities() -> None:
    """Forget what endpoints were found to support (tests; or after a server upgrade)."""
    _FORMAT_MEMORY.clear()
    _USAGE_MEMORY.clear()
    _STREAM_MEMORY.clear()


def streams(endpoint: Endpoint) -> bool:
    """Whether requests to this endpoint ask for a stream: yes, until it answered one with plain JSON."""
    return _STREAM_MEMORY.get(endpoint.base_url, True)


def _make_client(endpoint: Endpoint, timeout: float | None = None) -> Any:
    """The openai client for ``endpoint``. A query in base_url (Azure's ``?api-version=...``, a gateway's
    own parameters) is sent with every request: the client appends paths to base_url as text, so it
    cannot stay there (``/v1?api-version=1`` became ``/v1/?api-version=1chat/completions``)."""
    import openai

    parts = urlsplit(endpoint.base_url)
    return openai.OpenAI(
        api_key=endpoint.api_key or NO_KEY_PLACEHOLDER,
        base_url=urlunsplit(parts._replace(query="", fragment="")),
        default_query=dict(parse_qsl(parts.query, keep_blank_values=True)) or None,
        timeout=timeout or endpoint.timeout,
        max_retries=0,
        http_client=bounded_client(timeout or endpoint.timeout),  # an endless or dripped answer ends
    )


def _response_format(mode: str, schema: dict[str, Any]) -> dict[str, Any] | None:
    if mode == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "root_cause_analysis", "strict": True, "schema": schema}}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def request_params(
    endpoint: Endpoint, messages: list[dict[str, str]], schema: dict[str, Any], mode: str | None = None
) -> dict[str, Any]:
    """The exact keyword arguments :func:`chat` sends first (shown by ``lokifi ai preview``)."""
    mode = mode or first_format_mode(endpoint)
    stream = streams(endpoint)
    params: dict[str, Any] = {"model": endpoint.model, "messages": messages, "stream": stream}
    if stream and _USAGE_MEMORY.get(endpoint.base_url, True):
        params["stream_options"] = {"include_usage": True}
    fmt = _response_format(mode, schema)
    if fmt is not None:
        params["response_format"] = fmt
    return params


def first_format_mode(endpoint: Endpoint) -> str:
    if endpoint.response_format in FORMAT_MODES:
        return endpoint.response_format
    return _FORMAT_MEMORY.get((endpoint.base_url, endpoint.model), "json_schema")


class _State:
    def __init__(self) -> None:
        self.stream: Any = None
        self.stop = False
        self.done = threading.Event()
        self.result: tuple[str, str | None, Any] | None = None
        self.error: BaseException | None = None
        self.started = False
        self.plain = False  # the server answered with one JSON completion instead of a stream


def _run_attempt(client: Any, params: dict[str, Any], state: _State, progress: ProgressFn | None, attempt: int) -> None:
    parts: list[str] = []
    finish: str | None = None
    usage: Any = None
    try:
        raw = client.chat.completions.with_raw_response.create(**params)
        state.started = True
        kind = (raw.headers.get("content-type") or "").split(";")[0].strip().lower()
        if not params.get("stream") or kind == "application/json":
            # a plain chat completion: asked for (the endpoint does not stream), or sent instead of the
            # stream asked for (several OpenAI-compatible servers and proxies do)
            state.plain = bool(params.get("stream"))
            state.result = _plain_completion(raw, params)
            if progress is not None:
                progress(
                    Progress(
                        "receiving",
                        f"received the answer ({len(state.result[0])} characters)",
                        attempt,
                        len(state.result[0]),
                    )
                )
            return
        stream = raw.parse()
        state.stream = stream
        chars = 0
        last_report = 0.0
        for chunk in stream:
            if state.stop:
                break
            if getattr(chunk, "usage", None) is not None:
                usage = chunk.usage
            for choice in chunk.choices or ():
                delta = getattr(choice, "delta", None)
                piece = getattr(delta, "content", None) if delta is not None else None
                if piece:
                    parts.append(piece)
                    chars += len(piece)
                    if chars > MAX_ANSWER_CHARS:  # a runaway model: stop reading, report it as cut off
                        state.result = ("".join(parts), "length", usage)
                        _close_quietly(stream)
                        return
                if choice.finish_reason:
                    finish = choice.finish_reason
            now = time.monotonic()
            if progress is not None and now - last_report > 0.25:
                last_report = now
                progress(Progress("receiving", f"receiving the answer ({chars} characters)", attempt, chars))
        state.result = ("".join(parts), finish, usage)
    except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread, which classifies it
        state.error = exc
    finally:
        state.done.set()


def _plain_completion(raw: Any, params: dict[str, Any]) -> tuple[str, str | None, Any]:
    """(content, finish_reason, usage) of a non-streamed chat completion; runaway answers count as cut off."""
    from openai.types.chat import ChatCompletion

    if params.get("stream"):
        data = raw.http_response.read()
        completion = ChatCompletion.model_validate_json(data[: MAX_ANSWER_CHARS * 8])
    else:
        completion = raw.parse()
    choice = completion.choices[0] if completion.choices else None
    content = (choice.message.content or "") if choice is not None else ""
    finish = choice.finish_reason if choice is not None else None
    if len(content) > MAX_ANSWER_CHARS:
        return content[:MAX_ANSWER_CHARS], "length", completion.usage
    return content, finish, completion.usage


def _wait(seconds: float, is_cancelled: Cancel) -> bool:
    """Sleep up to ``seconds``; True if cancelled meanwhile."""
    end = time.monotonic() + seconds
    while True:
        if is_cancelled():
            return True
        left = end - time.monotonic()
        if left <= 0:
            return False
        time.sleep(min(0.05, left))


def _one_attempt(
    endpoint: Endpoint, params: dict[str, Any], is_cancelled: Cancel, progress: ProgressFn | None, attempt: int
) -> tuple[str, str | None, Any, int]:
    """Run one request; returns (content, finish_reason, usage, ms) or raises CallFailed. A plain JSON
    answer to a stream request is accepted, and the endpoint remembered as one that does not stream."""
    import openai

    client = _make_client(endpoint)
    state = _State()
    started = time.monotonic()
    worker = threading.Thread(
        target=_run_attempt, args=(client, params, state, progress, attempt), name="lokifi-ai-request", daemon=True
    )
    worker.start()
    deadline = started + endpoint.timeout * 4 + 5  # a stream trickling forever still ends
    try:
        while not state.done.wait(0.05):
            if is_cancelled() or time.monotonic() > deadline:
                state.stop = True
                _close_quietly(state.stream)
                if is_cancelled():
                    raise CallFailed("cancelled", "analysis cancelled")
                raise CallFailed(
                    "timeout",
                    f"{safe_url(endpoint.base_url)} (model {endpoint.model}) was still "
                    f"answering after {endpoint.timeout * 4 + 5:g}s; gave up",
                )
        ms = int((time.monotonic() - started) * 1000)
        if state.error is not None:
            exc = state.error
            if isinstance(exc, (openai.BadRequestError, openai.UnprocessableEntityError)):
                raise _Negotiate(_server_message(exc))
            raise _classify(exc, endpoint, state.started)
        assert state.result is not None  # noqa: S101 - set whenever no error was; narrows the type
        if state.plain:
            _STREAM_MEMORY[endpoint.base_url] = False
        content, finish, usage = state.result
        if finish is None and not params.get("stream"):
            raise CallFailed(
                "truncated",
                f"{safe_url(endpoint.base_url)} (model {endpoint.model}) sent an answer without a finish reason",
            )
        if finish is None:
            raise CallFailed(
                "truncated",
                f"{safe_url(endpoint.base_url)} (model {endpoint.model}) ended the answer "
                "before it was complete (the stream stopped halfway)",
            )
        if finish == "length":
            raise CallFailed(
                "truncated",
                f"model {endpoint.model} hit an output limit (its token limit, or "
                f"{MAX_ANSWER_CHARS:,} characters) before finishing the answer",
            )
        return content, finish, usage, ms
    finally:
        if state.done.is_set():
            _close_quietly(client)


def _close_quietly(obj: Any) -> None:
    if obj is None:
        return
    try:
        obj.close()
    except Exception:  # noqa: BLE001, S110 - closing a broken connection may fail; nothing to do
        pass


def chat(
    endpoint: Endpoint,
    messages: list[dict[str, str]],
    schema: dict[str, Any],
    *,
    cancel: Any = None,
    progress: ProgressFn | None = None,
    max_retry_wait: float = MAX_RETRY_WAIT,
) -> ChatResult:
    """Ask the model; retry what a retry can cure, at most ``endpoint.max_retries`` times.

    Raises :class:`CallFailed` (with every attempt listed, for the ledger) when no answer came.
    Whether the answer is *usable* is :mod:`analytics.rca.parse`'s business.
    """
    if not endpoint.configured:
        raise CallFailed("not_configured", endpoint.reason or "no model endpoint configured")
    is_cancelled = _normalise_cancel(cancel)
    mode = first_format_mode(endpoint)
    fixed_mode = endpoint.response_format in FORMAT_MODES
    use_usage = _USAGE_MEMORY.get(endpoint.base_url, True)
    attempts: list[Attempt] = []
    retries = 0
    negotiations = 0
    n = 0
    while True:
        n += 1
        params = request_params(endpoint, messages, schema, mode)
        if not use_usage:
            params.pop("stream_options", None)
        if progress is not None:
            progress(
                Progress(
                    "connecting" if n == 1 else "waiting",
                    f"asking {endpoint.model} at {safe_url(endpoint.base_url)}",
                    n,
                )
            )
        try:
            content, finish, usage, ms = _one_attempt(endpoint, params, is_cancelled, progress, n)
        except _Negotiate as neg:
            attempts.append(Attempt(n, "bad_request", error=_scrub(str(neg), endpoint.api_key)))
            negotiations += 1
            if use_usage and "stream_options" in str(neg).lower():
                use_usage = False  # the server named the culprit: keep structured output
                continue
            if not fixed_mode and mode != "none" and negotiations <= 3:
                mode = FORMAT_MODES[FORMAT_MODES.index(mode) + 1]
                continue
            if use_usage and negotiations <= 4:
                use_usage = False
                continue
            raise CallFailed(
                "bad_request",
                f"{safe_url(endpoint.base_url)} rejected the request: {_scrub(str(neg), endpoint.api_key)}",
                http_status=400,
                attempts=tuple(attempts),
            ) from None
        except CallFailed as failure:
            attempts.append(Attempt(n, failure.status, error=failure.message))
            failure.attempts = tuple(attempts)
            if failure.status not in RETRYABLE or retries >= endpoint.max_retries:
                raise
            wait = min(2.0**retries * 0.5, 8.0)
            if failure.status == "rate_limited" and failure.retry_after is not None:
                if failure.retry_after > max_retry_wait:
                    raise
                wait = failure.retry_after
            retries += 1
            if progress is not None:
                progress(
                    Progress(
                        "retrying", f"{failure.message} -- retry {retries}/{endpoint.max_retries} in {wait:.1f}s", n
                    )
                )
            if _wait(wait, is_cancelled):
                attempts.append(Attempt(n, "cancelled", error="analysis cancelled"))
                raise CallFailed("cancelled", "analysis cancelled", attempts=tuple(attempts)) from None
            continue
        # success
        _FORMAT_MEMORY[(endpoint.base_url, endpoint.model)] = mode
        _USAGE_MEMORY[endpoint.base_url] = use_usage
        p_tok = getattr(usage, "prompt_tokens", None) if usage is not None else None
        c_tok = getattr(usage, "completion_tokens", None) if usage is not None else None
        reported = usage is not None and (p_tok is not None or c_tok is not None)
        attempts.append(Attempt(n, "ok", p_tok, c_tok, reported, ms))
        return ChatResult(content, finish, p_tok, c_tok, reported, ms, mode, tuple(attempts))


# --- status -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatusReport:
    configured: bool
    base_url: str
    model: str
    key_source: str
    reachable: bool | None  # None: not checked (not configured)
    status: str  # not_configured | ok | unreachable | unauthorized | timeout | ...
    message: str
    latency_ms: int | None = None
    model_listed: bool | None = None  # None: server does not list models
    models: tuple[str, ...] = ()


def check_status(endpoint: Endpoint, *, timeout: float = 10.0) -> StatusReport:
    """Is an endpoint configured, does it answer, and does it know the model? (No tokens spent.)"""
    base: dict[str, Any] = dict(
        configured=endpoint.configured, base_url=endpoint.base_url, model=endpoint.model, key_source=endpoint.key_source
    )
    if not endpoint.configured:
        return StatusReport(
            **base, reachable=None, status="not_configured", message=endpoint.reason or "not configured"
        )
    import openai

    client = _make_client(endpoint, timeout=min(timeout, endpoint.timeout))
    started = time.monotonic()
    try:
        page = client.models.list()
        ids = tuple(sorted(m.id for m in page.data if getattr(m, "id", None)))
    except openai.NotFoundError:
        ms = int((time.monotonic() - started) * 1000)
        return StatusReport(
            **base,
            reachable=True,
            status="ok",
            latency_ms=ms,
            message="the server answers (it has no /models list to check the model against)",
        )
    except Exception as exc:  # noqa: BLE001 - every failure becomes a status
        failure = _classify(exc, endpoint, False)
        return StatusReport(
            **base,
            reachable=failure.status not in ("unreachable", "timeout"),
            status=failure.status,
            message=failure.message,
        )
    finally:
        _close_quietly(client)
    ms = int((time.monotonic() - started) * 1000)
    listed = (endpoint.model in ids) if ids else None
    if listed is False:
        msg = f"the server answers, but does not list model {endpoint.model!r}"
        if ids:
            msg += f" (it has: {', '.join(ids[:8])}{' ...' if len(ids) > 8 else ''})"
    else:
        msg = "the server answers" + (f" and has model {endpoint.model!r}" if listed else "")
    if endpoint.reason:
        msg += f"; note: {endpoint.reason}"
    return StatusReport(
        **base, reachable=True, status="ok", message=msg, latency_ms=ms, model_listed=listed, models=ids
    )
