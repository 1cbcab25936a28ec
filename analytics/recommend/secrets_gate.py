"""A fast pre-filter in front of detect-secrets, derived from detect-secrets' own plugins.

detect-secrets decides what is a secret; it is also slow (about a millisecond per line with its default
plugins), far too slow to read every line of a 10,000-file tree. So a file is first searched with one
combined pattern that is a *superset* of every plugin's pattern, built mechanically from the plugins:

* regex plugins: their own ``denylist`` patterns with look-arounds removed (dropping a zero-width
  assertion only widens a pattern), verbose patterns flattened, over-long repetition bounds opened;
* the keyword plugin: its own ``DENYLIST`` words, case-insensitive;
* the entropy plugins: a quoted run of their charset long enough to exceed their entropy limit (a string
  of n characters has at most log2(n) bits of entropy per character);
* any other plugin: never gated out (its lines always go to detect-secrets).

The combined pattern runs on RE2 (``google-re2``, linear time) when installed, else on Python's ``re``.
Only the lines it matches (plus the line before, for ``pragma: allowlist nextline``) are handed to
detect-secrets, and for each such line only the plugins whose own gate matches it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from detect_secrets.plugins.base import BasePlugin

try:  # pragma: no cover - depends on the environment
    import re2 as _re2
except ImportError:  # pragma: no cover
    _re2 = None


_LOOKAROUNDS = ("(?=", "(?!", "(?<=", "(?<!")


def _atom_end(p: str, i: int) -> int:
    """Where the piece of pattern starting at ``i`` ends: an escape is two characters, a character class
    runs to its closing ``]``, anything else is one character."""
    if p[i] == "\\":
        return i + 2
    if p[i] == "[":
        return _class_end(p, i)
    return i + 1


def strip_lookarounds(pattern: str) -> str:
    """Remove every ``(?=..)``, ``(?!..)``, ``(?<=..)``, ``(?<!..)`` group (balanced, escapes and
    character classes respected)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        if pattern.startswith(_LOOKAROUNDS, i):
            i = _group_end(pattern, i)
            continue
        j = _atom_end(pattern, i)
        out.append(pattern[i:j])
        i = j
    return "".join(out)


def _class_end(p: str, i: int) -> int:
    j = i + 1
    if j < len(p) and p[j] == "^":
        j += 1
    if j < len(p) and p[j] == "]":
        j += 1
    while j < len(p):
        if p[j] == "\\":
            j += 2
            continue
        if p[j] == "]":
            return j + 1
        j += 1
    return len(p)


def _group_end(p: str, i: int) -> int:
    depth, j = 0, i
    while j < len(p):
        c = p[j]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j = _atom_end(p, j)
    return len(p)


def flatten_verbose(pattern: str) -> str:
    """A re.VERBOSE pattern without its whitespace and comments."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "#":
            while i < n and pattern[i] != "\n":
                i += 1
        elif c.isspace():
            i += 1
        else:
            j = _atom_end(pattern, i)
            out.append(pattern[i:j])
            i = j
    return "".join(out)


_BIG_REPEAT = re.compile(r"\{(\d+),(\d{4,})\}")


def widen_repeats(pattern: str) -> str:
    return _BIG_REPEAT.sub(lambda m: f"{{{m.group(1)},}}", pattern)


def _min_len_for_entropy(limit: float) -> int:
    # Shannon entropy of n characters is at most log2(n): below 2**limit characters it cannot exceed it.
    return max(1, math.floor(2**limit))


@dataclass
class PluginGate:
    plugin: object
    regexes: tuple[re.Pattern, ...]  # Python regexes; empty tuple = always run this plugin
    lower: bool = False  # match against the lower-cased line
    set_patterns: tuple[str, ...] = ()  # the same gates, RE2 syntax (look-arounds removed)


class Gate:
    """The combined file-level pattern and the per-line plugin gates for the active plugins."""

    def __init__(self, plugins) -> None:
        import detect_secrets.plugins.keyword as kw
        from detect_secrets.plugins.base import RegexBasedDetector
        from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

        parts: list[str] = []
        self.plugin_gates: list[PluginGate] = []
        self.always_scan = False
        for p in plugins:
            if isinstance(p, RegexBasedDetector):
                pyr, setp = [], []
                for r in p.denylist:
                    pat = r.pattern
                    if r.flags & re.X:
                        pat = flatten_verbose(pat)
                    pat = widen_repeats(strip_lookarounds(pat))
                    flags = "i" if r.flags & re.I else ""
                    parts.append(f"(?{flags}:{pat})" if flags else f"(?:{pat})")
                    setp.append(parts[-1])
                    pyr.append(r)
                self.plugin_gates.append(PluginGate(p, tuple(pyr), set_patterns=tuple(setp)))
            elif isinstance(p, HighEntropyStringsPlugin):
                charset = p.regex.pattern
                m = re.search(r"\[([^\]]+)\]\+", charset)
                cls = m.group(1) if m else r"\w+/=\-"
                n = _min_len_for_entropy(float(p.entropy_limit))
                pat = f"""["'][{cls}]{{{n},}}["']"""
                parts.append(f"(?:{pat})")
                self.plugin_gates.append(PluginGate(p, (re.compile(pat),), set_patterns=(parts[-1],)))
            elif type(p).__name__ == "KeywordDetector":
                words = "|".join(kw.DENYLIST)
                parts.append(f"(?i:{words})")
                self.plugin_gates.append(PluginGate(p, (re.compile(words),), lower=True, set_patterns=(parts[-1],)))
            else:
                self.always_scan = True
                self.plugin_gates.append(PluginGate(p, ()))
        combined = "|".join(parts) if parts else "(?!)"
        self.engine = "python-re"
        self.pattern = None
        self.plugin_set = None
        if _re2 is not None:
            try:
                opts = _re2.Options()
                opts.max_mem = 256 << 20
                opts.log_errors = False
                opts.never_capture = True
                self.pattern = _re2.compile(combined, opts)
                self.bytes_pattern = _re2.compile(combined.encode(), opts)
                # One RE2 set of every plugin's gate patterns: which plugins can match a line, in one pass.
                pset = _re2.Set.SearchSet(opts)
                self._set_owner: list[int] = []
                for i, g in enumerate(self.plugin_gates):
                    for pat in g.set_patterns:
                        pset.Add(pat)
                        self._set_owner.append(i)
                pset.Compile()
                self.plugin_set = pset
                self.engine = "re2"
            except Exception:  # noqa: BLE001 - a pattern RE2 cannot take: fall back to Python's re, still correct
                self.pattern = None
                self.plugin_set = None
        if self.pattern is None:
            self.pattern = re.compile(combined)
            self.bytes_pattern = re.compile(combined.encode())

    def may_hold_secret(self, data: bytes) -> bool:
        """False when no plugin can match anywhere in ``data`` (raw file bytes; the patterns are ASCII)."""
        if self.always_scan:
            return True
        return self.bytes_pattern.search(data) is not None

    def candidate_lines(self, data: bytes) -> list[int]:
        """1-based numbers of the lines of ``data`` (newlines normalised to ``\\n``) that may hold a
        secret (all lines if a plugin cannot be gated)."""
        if self.always_scan:
            return list(range(1, data.count(b"\n") + 2))
        lines: set[int] = set()
        pos, line = 0, 1  # newlines are counted incrementally: matches come in order
        for m in self.bytes_pattern.finditer(data):
            start, end = m.start(), max(m.start(), m.end() - 1)
            line += data.count(b"\n", pos, start)
            last = line + data.count(b"\n", start, end)
            lines.update(range(line, last + 1))
            pos, line = end, last
        return sorted(lines)

    def confirmed(self, line: str) -> list[BasePlugin]:
        """The plugins that will report something on ``line`` before detect-secrets' filters run: the
        gated plugins, narrowed by each plugin's own ``analyze_string`` (and, for the entropy plugins,
        their own entropy limit) — the exact test ``analyze_line`` applies first. The keyword plugin
        (whose regexes depend on the file type) is passed through."""
        from detect_secrets.plugins.base import RegexBasedDetector
        from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin

        out: list[BasePlugin] = []
        for p in self.plugins_for(line):
            if isinstance(p, HighEntropyStringsPlugin):
                # k distinct characters carry at most log2(k) bits each: fewer than 2**limit cannot pass,
                # and counting them is far cheaper than detect-secrets' entropy sum
                need = 2 ** float(p.entropy_limit)
                if any(
                    len(set(v)) > need and p.calculate_shannon_entropy(v) > p.entropy_limit
                    for v in p.analyze_string(line)
                ):
                    out.append(p)
            elif isinstance(p, RegexBasedDetector):
                if next(iter(p.analyze_string(line)), None) is not None:
                    out.append(p)
            else:
                out.append(p)
        return out

    def plugins_for(self, line: str) -> list:
        """The plugins that can match ``line`` (each plugin's own gate), in plugin order."""
        if self.plugin_set is not None:
            hit = self.plugin_set.Match(line.encode("utf-8", "surrogateescape")) or ()
            chosen = {self._set_owner[i] for i in hit}
            return [g.plugin for i, g in enumerate(self.plugin_gates) if i in chosen or not g.set_patterns]
        low = None
        out = []
        for g in self.plugin_gates:
            if not g.regexes:
                out.append(g.plugin)
                continue
            s = line
            if g.lower:
                if low is None:
                    low = line.lower()
                s = low
            if any(r.search(s) for r in g.regexes):
                out.append(g.plugin)
        return out
