"""Make text that came from data (error messages, component names, commands) inert on screen.

Everything the dashboard shows from the store goes through :func:`safe` (a ``rich.text.Text``, which
Textual never parses as markup) after :func:`clean`, which shows terminal control characters — ESC
sequences, C0/C1 controls, DEL, bidi overrides — as their escapes, as the CLI does
(:func:`analytics.common.unseen.visible`). So ``[bold]x[/]`` is shown as typed and ESC ``[2J`` is shown as
``\\x1b[2J`` instead of clearing the screen.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

from analytics.common.unseen import visible


def clean(value: object, *, single_line: bool = True, limit: int | None = 2000) -> str:
    """Return ``value`` as a string with control characters made visible.

    ``single_line`` turns newlines and tabs into spaces (table cells); ``limit`` cuts very long values
    (a megabyte log line must not be laid out on every refresh).
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    # a line break is one however it is written (CRLF, a lone CR), as in the CLI
    text = visible(text.replace("\r\n", "\n").replace("\r", "\n"))
    if single_line:
        text = text.replace("\n", " ⏎ ").replace("\t", " ")
    return text


def safe(value: object, style: str | Style = "", *, single_line: bool = True, limit: int | None = 2000) -> Text:
    """A ``Text`` that shows ``value`` literally: no markup is parsed, no escape is interpreted."""
    return Text(clean(value, single_line=single_line, limit=limit), style=style, no_wrap=single_line, end="")
