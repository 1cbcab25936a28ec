"""A URL's user-info holding '/', '?' or '#' unencoded is read with the host inside the password, by urllib
and by httpx alike: :func:`misread_userinfo` says so, with the URL to write instead (its password masked),
and URLs that only look alike (a path segment ``/@vite``, ``?to=a@b.org``, ``vue@3.2.0``) are left alone.
Query parameters are masked by the shape of their name (:func:`credential_param`)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import given, settings, strategies as st

from analytics.config.url_text import credential_param, masked_url, misread_userinfo, redact_url

ENCODE = {"/": "%2F", "?": "%3F", "#": "%23", "@": "%40"}


def _parsers_read(url: str) -> tuple[str | None, str | None]:
    """(urllib's host, httpx's host) for ``url``: None where it raises."""
    try:
        parts = urlsplit(url)
        _ = parts.port
        by_urllib = parts.hostname
    except ValueError:
        by_urllib = None
    try:
        by_httpx = httpx.URL(url).host
    except httpx.InvalidURL:
        by_httpx = None
    return by_urllib, by_httpx


@pytest.mark.parametrize("char", ["/", "?", "#"])
def test_a_password_holding_a_host_ending_character_is_misread_by_both_parsers_and_said(char):
    url = f"http://ops:Zq9pa{char}ssW7@127.0.0.1:9090/"
    assert _parsers_read(url) == (None, None)  # both read host 'ops', port 'Zq9pa': no URL
    m = misread_userinfo(url)
    assert m is not None and m.certain and m.meant == "127.0.0.1:9090"
    text = m.message("probe ignored")
    assert text.startswith("the password must be percent-encoded") and "(probe ignored)" in text
    assert f"write http://ops:***{ENCODE[char]}***@127.0.0.1:9090/ ('{char}' as {ENCODE[char]})" in text
    assert "Zq9pa" not in text and "ssW7" not in text
    assert masked_url(url) == "http://ops:***@127.0.0.1:9090/" and redact_url(url) == "http://127.0.0.1:9090/"


def test_a_password_starting_with_digits_reaches_the_wrong_machine_and_is_said_so():
    url = "http://user:12/ss@127.0.0.1:9090/"
    assert _parsers_read(url) == ("user", "user")  # port 12 of host 'user', the rest of the password a path
    m = misread_userinfo(url)
    assert m is not None and m.certain and m.reached == "user"
    assert "requests go to a host read from inside the user name and password instead of 127.0.0.1:9090" in (
        m.message()
    )
    assert "12" not in m.message().replace("127.0.0.1", "")


def test_an_at_sign_before_a_slash_moves_the_host_and_both_are_encoded():
    url = "http://user:p@ss/x@host/"
    assert _parsers_read(url) == ("ss", "ss")
    m = misread_userinfo(url)
    assert m is not None and m.certain
    assert "'/' ends a URL's host part and '@' its user-info" in m.message()
    assert m.corrected() == "http://user:***%40***%2F***@host/"


def test_a_name_without_a_port_is_said_as_a_possibility():
    """``user:12/ss@prometheus`` is also ``user:12`` with a path: a warning, the host it reaches named."""
    m = misread_userinfo("http://user:12/ss@prometheus/")
    assert m is not None and not m.certain
    assert m.message().startswith("as written this URL reaches host 'user'; if 'user' is a user name")
    assert "write http://user:***%2F***@prometheus/" in m.message()


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:5173/@vite/client",  # a path segment that starts with '@'
        "http://127.0.0.1:8080/?email=ops@example.org",  # an address in a query value
        "https://cdn.example.org/npm/vue@3.2.0/dist/vue.js",  # no user:password before the '/'
        "https://mirror:443/npm/vue@3.2.0/dist",  # '3.2.0' is no host
        "http://user:p@ss@127.0.0.1:9090/",  # '@' alone: every parser ends the user-info at the last one
        "http://user:p%2Fss@127.0.0.1:9090/",
        "http://127.0.0.1:9090/api/v1",
        "not a url",
    ],
)
def test_urls_that_read_one_way_only_are_left_alone(url):
    assert misread_userinfo(url) is None


def test_an_at_sign_alone_is_read_as_meant_by_both_parsers():
    assert _parsers_read("http://user:p@ss@127.0.0.1:9090/") == ("127.0.0.1", "127.0.0.1")


_PASSWORD = st.text(alphabet="abcXYZ019-_.!~*$:;=&/?#@", min_size=1, max_size=24)


@settings(max_examples=300, deadline=None)
@given(password=_PASSWORD, port=st.integers(1, 65535))
def test_any_password_written_as_told_reaches_the_host_with_that_password(password, port):
    """Whatever the password holds: when the check speaks, the URL written as it says (each character it
    names encoded) reaches the host meant with the password meant, and the message never shows the
    password; when it is silent, both parsers already read host and password as meant."""
    url = f"http://ops:{password}@127.0.0.1:{port}/v1"
    m = misread_userinfo(url)
    if m is None:
        parsed = httpx.URL(url)
        assert (parsed.host, parsed.port or 80, parsed.password) == ("127.0.0.1", port, password)
        assert urlsplit(url).hostname == "127.0.0.1"
        return
    assert m.certain and m.meant == f"127.0.0.1:{port}"
    named = re.findall(r"'(.)' as %", m.message())
    fixed = "".join(ENCODE[c] if c in named else c for c in password)
    parsed = httpx.URL(f"http://ops:{fixed}@127.0.0.1:{port}/v1")
    assert (parsed.host, parsed.port or 80, parsed.password) == ("127.0.0.1", port, password)
    for run in re.split(r"[/?#@]", password):
        if len(run) >= 4:
            assert run not in m.message() and run not in masked_url(url)


@pytest.mark.parametrize(
    "name",
    ["api-key", "apikey", "apiKey", "key", "token", "access_token", "sig", "signature", "X-Amz-Signature",
     "X-Amz-Security-Token", "X-Amz-Credential", "password", "client_secret", "code", "passcode", "auth",
     "sessionid", "authToken"],
)  # fmt: skip
def test_credential_parameters_are_told_by_their_names_words(name):
    assert credential_param(name)


@pytest.mark.parametrize(
    "name", ["api-version", "deployment", "model", "X-Amz-Date", "X-Amz-Expires", "format", "user", "region", "v"]
)
def test_other_parameters_are_shown(name):
    assert not credential_param(name)


def test_a_url_shows_its_query_with_credentials_masked():
    url = (
        "https://ops:hunter2@res.example.org/openai/deployments/gpt?api-version=2024-06-01&api-key=k3y"
        "&sig=s1g&plain&eyJhbGciOiJIUzI1NiJ9"
    )
    assert masked_url(url) == (
        "https://ops:***@res.example.org/openai/deployments/gpt?api-version=2024-06-01&api-key=***&sig=***&plain&***"
    )


@settings(max_examples=200, deadline=None)
@given(
    word=st.sampled_from(["key", "token", "secret", "password", "sig", "code", "auth"]),
    prefix=st.sampled_from(["", "api-", "access_", "X-Amz-", "client."]),
    value=st.text(alphabet="abcdefXYZ0123456789-_.~+/", min_size=6, max_size=40),
)
def test_a_credential_value_never_shows(word, prefix, value):
    url = f"https://h.example.org/v1?api-version=1&{prefix}{word}={value}&x=1"
    shown = masked_url(url)
    assert value not in shown and "api-version=1" in shown and shown.endswith("&x=1")
