"""The shapes the redaction tests share, each fed with a file's own lists: every line of a list kept as
written, every line shown as its expected text, and every ``{p}`` form losing a generated password."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st
from rca_support import passwords

from analytics.rca.redact import Redaction, redact

Redact = Callable[[str], Redaction]


def kept_as_written(lines: Sequence[str], *, redactor: Redact = redact) -> Callable[[str], None]:
    """A test: every line in ``lines`` is kept as written."""

    @pytest.mark.parametrize("line", lines)
    def test(line: str) -> None:
        assert redactor(line).text == line

    return test


def shown_as(
    cases: Sequence[tuple[str, str]], *, stable: bool = False, redactor: Redact = redact
) -> Callable[[str, str], None]:
    """A test: every line is shown as its case says; ``stable``: and a second redaction changes nothing
    (the cache key depends on it)."""

    @pytest.mark.parametrize(("line", "shown"), cases)
    def test(line: str, shown: str) -> None:
        out = redactor(line).text
        assert out == shown
        if stable:
            assert redactor(out).text == out

    return test


def forms_lose_their_password(
    forms: Sequence[str],
    *,
    before: str = "",
    password: st.SearchStrategy[str] | None = None,
    gone: Callable[[str], str] = lambda p: p,
    placeholders: int | None = None,
    skip: Callable[[str, str], bool] = lambda form, p: False,
    max_examples: int = 200,
) -> Callable[..., None]:
    """A property: every form in ``forms`` (``{p}`` the password, ``{n}`` its length), after ``before``, loses
    its generated password -- ``gone(password)`` appears nowhere in the output, which holds a placeholder
    (exactly ``placeholders`` of them when given) -- and a second redaction changes nothing. ``skip(form,
    password)`` names the cases the form's own rule keeps by design."""

    @settings(max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(password=password if password is not None else passwords(), form=st.sampled_from(list(forms)))
    def test(password: str, form: str) -> None:
        assume(not skip(form, password))
        out = redact(before + form.format(p=password, n=len(password))).text
        assert gone(password) not in out, out
        if placeholders is None:
            assert "[REDACTED:" in out, out
        else:
            assert out.count("[REDACTED:") == placeholders, out
        assert redact(out).text == out  # stable: the cache key depends on it

    return test
