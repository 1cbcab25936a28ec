"""Shared output for CLI commands: rich consoles, JSON, inert text and failures with exit codes.

Imports no other CLI module: everything else in ``lokifi_tui.cli`` builds on it (the shared options are
in :mod:`lokifi_tui.cli.options`).

Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 bad input, 4 store problem (busy, corrupt, too new),
5 not available (an engine not built yet, a dependency or endpoint missing).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import re
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from analytics.common.unseen import UNSEEN, json_escape_of, visible

OK, UNEXPECTED, USAGE, BAD_INPUT, STORE, UNAVAILABLE = 0, 1, 2, 3, 4, 5

_no_color = bool(os.environ.get("NO_COLOR"))
# Piped or redirected (not a terminal, no COLUMNS): full values, never cut to 80 columns — a script or a
# file gets whole ids and messages. Rich already leaves out colour when the output is not a terminal.
_PIPED_WIDTH = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 4096

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A rich Console made on first use: commands that print JSON only (``status --json``) never import
    rich (about 50 ms of a cold start). Attribute access goes to the real console; :meth:`get` returns it
    for APIs that need the Console itself (a Progress)."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs
        self._console: Console | None = None

    def get(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._kwargs)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


console = _LazyConsole(highlight=False, no_color=_no_color, soft_wrap=True, emoji=False, width=_PIPED_WIDTH)
err_console = _LazyConsole(stderr=True, highlight=False, no_color=_no_color, soft_wrap=True, emoji=False)

# control characters (ESC included) and the characters that show nothing (bidi overrides, zero-width,
# tags, separators): shown as \xNN / \uNNNN, never obeyed — analytics.common.unseen.visible, the rule the
# dashboard follows too


_BRACKET = re.compile(r"(\\*)\[")
_TAG_AFTER = re.compile(r"[a-z#/@][^\[]*?\]")


def _escape_markup(s: str) -> str:
    """Rich markup escaping that shows the text exactly as written.

    Rich reads backslashes before a tag-like bracket as pairs plus one escape, but before any other
    bracket it drops exactly one backslash (rich.markup.escape does not cover that case). Trailing
    backslashes are doubled and closed by an empty tag (``[none][/none]``, a zero-width null style), so they
    show once whether the text ends the line or markup follows it (rich.markup.escape doubles a lone one,
    which then shows twice when nothing follows)."""

    def fix(m: re.Match) -> str:
        n = len(m.group(1))
        if _TAG_AFTER.match(s, m.end()):
            return "\\" * (2 * n) + "\\["
        return "\\" * (n + 1) + "[" if n else "["

    out = _BRACKET.sub(fix, s)
    tail = len(out) - len(out.rstrip("\\"))
    return out + "\\" * tail + "[none][/none]" if tail else out


def inert(text: Any, limit: int | None = None) -> str:
    """Data text made safe to print through Rich: control and escape characters are shown as
    their escapes (so ESC ``[31m`` prints as ``\\x1b[31m`` and does nothing), markup is escaped."""
    s = "" if text is None else str(text)
    if limit is not None and len(s) > limit:
        s = s[: max(0, limit - 1)] + "…"
    s = s.replace("\t", " ").replace("\r\n", "⏎").replace("\n", "⏎").replace("\r", "⏎")
    return _escape_markup(visible(s))


def shell_word(text: str) -> str:
    """``text`` quoted as one shell word that a person can copy into bash or zsh and get ``text`` back: a
    plain word as it is, ``'...'`` around one with spaces or quotes, and ``$'...'`` with ``\\x1b``-style
    escapes around one with control characters (``'...'`` would pass the escapes' backslashes on: the
    command would act on other text than the message)."""
    import shlex

    if not UNSEEN.search(text):
        return shlex.quote(text)

    def escaped(m: re.Match) -> str:  # bash's \xHH is one byte: above ASCII, the character's \u escape
        cp = ord(m.group())
        return f"\\x{cp:02x}" if cp < 0x80 else f"\\u{cp:04x}" if cp < 0x10000 else f"\\U{cp:08x}"

    body = UNSEEN.sub(escaped, text.replace("\\", "\\\\").replace("'", "\\'"))
    return f"$'{body}'"


def plain(text: Any, limit: int | None = None) -> str:
    """Like :func:`inert` for output that does not go through Rich markup (JSON is left as data)."""
    s = "" if text is None else str(text)
    if limit is not None and len(s) > limit:
        s = s[: max(0, limit - 1)] + "…"
    return visible(s)


#: what a line of prose is wrapped at: a backtick-quoted span (a command, kept whole for copying) with what
#: sticks to it, or a run of non-blanks
_WORD = re.compile(r"`[^`]*`\S*|\S+")
#: where a line's continuation lines start: under the text after its indent and a label of one to three
#: words ending in a colon (``   Summary: ``, ``💡 TIP: ``) or a list number (``   1) ``)
_HANG = re.compile(r" *(?:(?:[^\s:`]+ ){0,2}[^\s:`]+: +|\d+[.)] +)?")


def fit(markup: str) -> Any:
    """A line of Rich markup as it is to be printed: wrapped at words to the terminal's width, its
    continuation lines under its text (a hanging indent), so prose never breaks mid-word. A word wider than
    the room (a URL, a path) and a backtick-quoted command stay whole on a line of their own, left to the
    terminal, so they copy whole. Piped output (no width) is one line, as before."""
    from rich.cells import cell_len
    from rich.text import Text

    text = Text.from_markup(markup, emoji=False)
    width = console.width
    if cell_len(text.plain) <= width:
        return text
    s = text.plain
    hang_at = _HANG.match(s).end()  # type: ignore[union-attr]  (the pattern matches the empty string)
    hang = cell_len(s[:hang_at])
    if hang > width // 2:
        hang_at, hang = len(s) - len(s.lstrip(" ")), 0
    pieces: list[Text] = []
    start = used = 0  # the current line: from s[start], ``used`` cells
    line_end = 0
    for m in _WORD.finditer(s, hang_at):
        n = cell_len(m.group())
        gap = m.start() - line_end  # the blanks before the word as written (two after a label's value)
        if line_end and used + gap + n > width:
            pieces.append(text[start:line_end])
            start, used = m.start(), hang + n
            pieces.append(Text("\n" + " " * hang))
        else:
            used = cell_len(s[: m.end()]) if not line_end else used + gap + n
        line_end = m.end()
    pieces.append(text[start:])
    return Text("").join(pieces)


def prose(text: Any, indent: int = 0) -> list[Any]:
    """A model's or a person's paragraphs as lines to print: each of its lines shown inert and wrapped by
    :func:`fit` (not joined into one line with ``⏎`` as :func:`inert` does for a message), runs of blank
    lines kept to one."""
    out: list[Any] = []
    blank = False
    for line in str(text if text is not None else "").splitlines():
        if not line.strip():
            if out and not blank:
                out.append(fit(""))
            blank = True
            continue
        blank = False
        out.append(fit(" " * indent + inert(line.rstrip())))
    while out and not out[-1].plain:
        out.pop()
    return out


def wrapped(label: str, text: Any, indent: int = 3) -> Any:
    """``label text`` (data text, shown inert), indented by ``indent`` and wrapped by :func:`fit`."""
    return fit(" " * indent + (_escape_markup(label) + " " if label else "") + inert(text))


def _default(o: Any) -> Any:
    if isinstance(o, (dt.datetime, dt.date)):
        return o.isoformat()
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if hasattr(o, "to_dict"):
        return o.to_dict()
    if hasattr(o, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(o)
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return str(o)


#: characters a terminal or an editor acts on, or that show nothing, escaped as \uXXXX in JSON output
#: (JSON escapes the C0 controls itself; analytics.common.unseen says which and why)
_UNSAFE_IN_JSON = UNSEEN


def json_text(obj: Any, indent: int | None = 2) -> str:
    """``obj`` as JSON (non-ASCII text kept readable) with every character in ``_UNSAFE_IN_JSON`` escaped:
    valid JSON that is also safe to print. Every ``--json`` output goes through here."""
    text = json.dumps(obj, default=_default, ensure_ascii=False, indent=indent)
    return _UNSAFE_IN_JSON.sub(lambda m: json_escape_of(m.group()), text)


def print_json(obj: Any) -> None:
    sys.stdout.write(json_text(obj) + "\n")


def fail(message: str, code: int = BAD_INPUT) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {inert(message)}")
    raise SystemExit(code)


def not_built(what: str, issue: int) -> NoReturn:
    err_console.print(f"[yellow]{inert(what)} is not built yet[/] (tracked in issue #{issue}).")
    raise SystemExit(UNAVAILABLE)


def report_store_failure(exc: BaseException) -> bool:
    """Print a store failure (busy, corrupt, too new) as one clear line; False for any other exception.
    ``analytics.store.database`` (duckdb + polars) is never imported for this: a StoreError can only exist once
    the command has imported it."""
    store = sys.modules.get("analytics.store.database")
    if store is None or not isinstance(exc, store.StoreError):
        return False
    kind = "database busy" if isinstance(exc, store.StoreBusy) else "database problem"
    err_console.print(f"[bold red]{kind}:[/] {inert(exc)}")
    return True


def run_command(body: Callable[[], None]) -> None:
    """Run a command's ``body`` with the ends every command shares: output that is not UTF-8 (a lone
    surrogate in a file name) is shown escaped; a reader that leaves (``lokifi ... | head``) ends it with
    1 and nothing more said, as click and rich do when the pipe breaks inside them (and as Python's
    documentation advises); a store failure (busy, corrupt, too new) is one clear line and exit 4;
    Ctrl-C is 130. Used by the click command line and by the read commands that answer without it."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    try:
        body()
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - stands in for stdout until the exit
        finally:
            sys.exit(1)
    except Exception as exc:
        if not report_store_failure(exc):
            raise
        sys.exit(STORE)
    except KeyboardInterrupt:
        sys.exit(130)
