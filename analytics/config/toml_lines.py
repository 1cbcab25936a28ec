"""The config file as TOML text, line by line: where each key stands, and bad lines set aside.

What ``lokifi config check`` needs beyond the parsed values (:mod:`analytics.config.settings`): an
:class:`Issue` carries the line of the key it is about (:func:`locate_keys`), and
:func:`parse_salvaging` comments out each line that does not parse, saying so, so the rest of the file
still applies.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Issue:
    """One thing wrong with the config: the key (``components[0].probes[1].timeout``), the line of that
    key in the file (None when unknown), and what is wrong and what Lokifi does instead."""

    key: str | None
    message: str
    line: int | None = None
    path: str | None = None
    severity: str = "error"  # error | warning

    @property
    def text(self) -> str:
        where = self.path or "config"
        if self.line:
            where += f":{self.line}"
        return f"{where}: {self.key}: {self.message}" if self.key else f"{where}: {self.message}"


_KEY_RE = re.compile(r"^[A-Za-z0-9_\-\[\].]+$")
#: starts a problem's message that is a warning (the setting applies as written), not an error
WARNING = "(warning) "


def issue_of(problem: str, path: Path | None, lines: dict[str, int]) -> Issue:
    head, sep, msg = problem.partition(": ")
    key: str | None = head
    if not sep or not _KEY_RE.match(head):
        key, msg = None, problem
    severity = "warning" if msg.startswith(("unknown setting", "unknown section", WARNING)) else "error"
    msg = msg.removeprefix(WARNING)
    return Issue(key, msg, _line_of(key, lines) if key else None, str(path) if path else None, severity)


def _line_of(key: str, lines: dict[str, int]) -> int | None:
    k = key
    while k:
        if k in lines:
            return lines[k]
        cut = max(k.rfind("."), k.rfind("["))
        if cut <= 0:
            break
        k = k[:cut]
    return None


@functools.cache
def _header_re() -> Any:  # an re2 pattern (re2 has no type information)
    """RE2 (linear time): with Python's backtracking engine this pattern is quadratic in a line of spaces
    ("[a" + 30,000 spaces + ".b]" took 5 s to locate). Compiled on first use: a config without problems
    is never searched for lines, and a command that loads one does not import re2."""
    import re2

    return re2.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*(\]\]?)\s*(#.*)?$")


_KEY_PART = r"""(?:[A-Za-z0-9_\-]+|"[^"]*"|'[^']*')"""
_ASSIGN_RE = re.compile(rf"^\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*=")


def _dotted(name: str) -> list[str]:
    parts = re.findall(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+)""", name)
    return [a or b or c for a, b, c in parts]


def locate_keys(text: str) -> dict[str, int]:
    """Map each key path of a TOML document to its (1-based) line: ``general.host``,
    ``components[0]`` (its ``[[components]]`` header), ``components[0].probes[1].timeout``. Keys inside
    multi-line values and inline tables resolve to the line of the key that holds them."""
    out: dict[str, int] = {}
    counts: dict[str, int] = {}  # array-of-tables path -> entries seen
    current: list[str] = []
    in_multiline: str | None = None
    depth = 0
    header = _header_re()
    for n, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if depth > 0:
            depth += line.count("[") + line.count("{") - line.count("]") - line.count("}")
            continue
        m = header.match(line)
        if m and m.group(1) == m.group(3)[::-1].replace("]", "["):
            parts = _dotted(m.group(2))
            resolved: list[str] = []
            for i, part in enumerate(parts):
                base = ".".join([*resolved, part])
                if i < len(parts) - 1 and base in counts:
                    resolved.append(f"{part}[{counts[base] - 1}]")
                else:
                    resolved.append(part)
            if m.group(1) == "[[":
                base = ".".join(resolved)
                idx = counts.get(base, 0)
                counts[base] = idx + 1
                resolved[-1] = f"{resolved[-1]}[{idx}]"
            current = resolved
            out.setdefault(".".join(current), n)
            continue
        a = _ASSIGN_RE.match(line)
        if a:
            key = ".".join(current + _dotted(a.group(1)))
            out.setdefault(key, n)
            rest = line[a.end() :]
            for q in ('"""', "'''"):
                if rest.count(q) % 2 == 1:
                    in_multiline = q
            if not in_multiline:
                body = re.sub(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'', "", rest).split("#", 1)[0]
                depth = body.count("[") + body.count("{") - body.count("]") - body.count("}")
                depth = max(depth, 0)
    return out


_SYNTAX_LINE_RE = re.compile(r"at line (\d+)")


MAX_CONFIG_LINE = 64 << 10  # a longer line is ignored
MAX_CONFIG_DEPTH = 32  # arrays / inline tables nested deeper on one line are ignored
_OPEN_VALUE_RE = re.compile(r"=\s*(?:\[|\{|\"\"\"|''')")
_STRINGS_RE = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')


def _prescreen(lines: list[str], problems: list[str]) -> None:
    """Comment out, in one pass, every line that is bad on its own: too long, nested too deep, or a
    single-line statement (key = value, [table]) that does not parse by itself. Each parse is of one
    line, so a file with many bad lines is checked in linear time instead of one full parse per error.
    Lines inside multi-line values are left to the full parse."""
    in_multiline: str | None = None
    depth = 0
    for i, line in enumerate(lines):
        if len(line) > MAX_CONFIG_LINE:
            problems.append(f"line {i + 1}: longer than {MAX_CONFIG_LINE >> 10} KB; this line is ignored")
            lines[i] = "#!lokifi-skipped (too long)"
            continue
        if line.count("[") + line.count("{") > MAX_CONFIG_DEPTH:
            d = peak = 0
            for ch in line:
                d += (ch in "[{") - (ch in "]}")
                peak = max(peak, d)
            if peak > MAX_CONFIG_DEPTH:
                problems.append(f"line {i + 1}: values nested more than {MAX_CONFIG_DEPTH} deep; this line is ignored")
                lines[i] = "#!lokifi-skipped (nested too deep)"
                continue
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        if depth > 0:
            depth = max(depth + line.count("[") + line.count("{") - line.count("]") - line.count("}"), 0)
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            tomllib.loads(line)
            continue
        except tomllib.TOMLDecodeError as exc:
            m = _OPEN_VALUE_RE.search(line)
            if m is not None:  # may open a multi-line value: left to the full parse
                for q in ('"""', "'''"):
                    if line.count(q) % 2 == 1:
                        in_multiline = q
                if not in_multiline:
                    body = _STRINGS_RE.sub("", line[m.start() :]).split("#", 1)[0]
                    depth = max(body.count("[") + body.count("{") - body.count("]") - body.count("}"), 0)
                if in_multiline or depth:
                    continue
            reason = str(exc).split(" (at ")[0]
            problems.append(f"line {i + 1}: TOML syntax error ({reason}); this line is ignored")
            lines[i] = "#!lokifi-skipped " + line


def parse_salvaging(text: str, problems: list[str]) -> tuple[dict[str, Any], str]:
    """Parse TOML; on a syntax error, report it with its line, comment that line out and try again, so
    the rest of the file still applies. Returns (data, the text that parsed)."""
    lines = text.splitlines()
    _prescreen(lines, problems)
    for _ in range(50):
        try:
            return tomllib.loads("\n".join(lines)), "\n".join(lines)
        except RecursionError:
            problems.append("values nested too deeply; using defaults for everything")
            return {}, text
        except tomllib.TOMLDecodeError as exc:
            m = _SYNTAX_LINE_RE.search(str(exc))
            lineno = getattr(exc, "lineno", None) or (int(m.group(1)) if m else None)
            reason = str(exc).split(" (at ")[0]
            if not lineno or lineno > len(lines) or lines[lineno - 1].startswith("#!lokifi-skipped"):
                problems.append(f"syntax error: {exc}; using defaults for everything")
                return {}, text
            problems.append(f"line {lineno}: TOML syntax error ({reason}); this line is ignored")
            lines[lineno - 1] = "#!lokifi-skipped " + lines[lineno - 1]
    problems.append("too many syntax errors; using defaults for everything")
    return {}, text
