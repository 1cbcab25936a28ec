"""What redaction shows keeps the original's characters outside a redacted span: the rules read the text
made plain (NFKC, invisible characters dropped, lookalikes folded), the output is mapped back."""

from __future__ import annotations

import re
import string

from hypothesis import given, settings, strategies as st

from analytics.rca.redact import Redactor
from analytics.rca.redact_chars import plain, restore

_R = Redactor.for_config(None)

#: ordinary words whose characters NFKC changes (or that hold invisible or combining ones), and plain ones
_WORDS = st.sampled_from(
    [
        "took",
        "12",
        "µs",
        "Acme™",
        "\u201cdone\u201d",
        "\u2018ok\u2019",
        "\uff14\uff12",
        "ﬁle",
        "½",
        "x²",
        "caf\u00e9",
        "cafe\u0301",
        "na\u00efve",
        "Ⅻ",
        "zero\u200bwidth",
        "\u00a0",
        "\x1b[1mbold\x1b[0m",
        "Ω",
        "km/h",
        "№5",
        "disk",
        "full",
        "retry",
    ]
)
_GAPS = st.sampled_from([" ", ", ", "\u3000", " \u2014 "])


@settings(max_examples=300, deadline=None)
@given(words=st.lists(_WORDS, min_size=1, max_size=12), gaps=st.lists(_GAPS, min_size=12, max_size=12))
def test_text_with_no_secret_is_shown_exactly_as_written(words, gaps):
    text = "".join(w + g for w, g in zip(words, gaps, strict=False)).rstrip()
    assert _R.redact(text).text == text


def _fullwidth(c: str) -> str:
    return chr(ord(c) + 0xFEE0)


@settings(max_examples=300, deadline=None)
@given(
    password=st.text(string.ascii_letters + string.digits, min_size=6, max_size=20).filter(
        lambda p: any(c.isdigit() for c in p) and any(c.isalpha() for c in p)
    ),
    wide=st.lists(st.booleans(), min_size=20, max_size=20),
    hidden=st.lists(st.booleans(), min_size=20, max_size=20),
    key=st.sampled_from(["password=", "token: ", "api_key=", "\uff50\uff41\uff53\uff53\uff57\uff44\uff1d"]),
    before=st.lists(_WORDS, max_size=4),
    after=st.lists(_WORDS, max_size=4),
)
def test_a_secret_in_lookalikes_is_removed_whole_and_the_rest_kept(password, wide, hidden, key, before, after):
    written = "".join(
        (_fullwidth(c) if w else c) + ("\u200b" if h and i < len(password) - 1 else "")
        for i, (c, w, h) in enumerate(zip(password, wide, hidden, strict=False))
    )
    head = " ".join(before) + " " if before else ""
    tail = " " + " ".join(after) if after else ""
    out = _R.redact(head + key + written + tail).text
    assert out.startswith(head + key) and out.endswith(tail)  # as written
    # whole: the placeholder alone where the secret stood, none of its characters beside it
    assert re.fullmatch(r"\[REDACTED:[a-z_]+\]", out[len(head + key) : len(out) - len(tail)])


def test_a_placeholder_never_takes_original_characters_from_the_span_it_replaced():
    # a letter of the placeholder that the replaced span also holds is no piece of text to show
    p = plain("token=\uff45\uff54\uff52\uff45\uff54\uff52\uff11\uff12 \u00b5")
    shown = restore(p, "token=[REDACTED:secret] \u03bc")
    assert shown == "token=[REDACTED:secret] \u00b5"
