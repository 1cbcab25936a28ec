"""The settings of an HTTP endpoint Lokifi reads or posts to: base URL, auth, TLS, timeout, headers.

:class:`HttpSettings` is read from a config table (a ``[[sources]]`` entry, ``[alerts] alertmanager``) and
checked there, with errors that name the key (:class:`ConfigProblem`); the HTTP client that uses it
(:mod:`analytics.sources.fleet.client`) owns the requests. Secrets may come from an environment variable or
a file so they need not sit in the config; URLs are shown without their user-info (:func:`redact_url`)
or with its password masked (:func:`masked_url`, both from :mod:`analytics.config.url_text`). A user name
and password written in the URL are percent-decoded, as every HTTP client reads them (``p%2Fss`` is
``p/ss``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from analytics.config.url_text import misread_userinfo, redact_url

__all__ = ["ConfigProblem", "HttpSettings", "redact_url"]


class ConfigProblem(ValueError):
    """A source's settings are wrong; the message names the key."""


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
        misread = misread_userinfo(url)
        if misread is not None and misread.certain:
            raise ConfigProblem(f"{where}.url: {misread.message()}")
        parts = urlsplit(url.strip())
        try:
            port = parts.port
        except ValueError:
            port = -1
        if parts.scheme not in ("http", "https") or not parts.hostname or port == -1:
            raise ConfigProblem(f"{where}.url: {redact_url(url)!r} is not an http(s) URL")
        s = cls(base_url=url.strip().rstrip("/"))
        auth = d.get("auth") or {}
        if not isinstance(auth, dict):
            raise ConfigProblem(f'{where}.auth: expected a table like {{ type = "bearer", token_env = "VAR" }}')
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
            s.basic_user = s.basic_user or unquote(parts.username)
            s.basic_password = s.basic_password or unquote(parts.password or "")
            host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            host += f":{port}" if port else ""
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
