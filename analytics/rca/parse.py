"""Parsing and validating a model's root-cause answer.

Owns the answer's shape (:class:`RcaAnswer`), the JSON schema sent to servers that support
structured output (:data:`ANSWER_SCHEMA`), and :func:`parse_answer`, a tolerant parser for
servers that do not: it accepts the JSON inside code fences, after a ``<think>`` block or
surrounded by prose, common key spellings (``root_cause``, ``commands``...), a confidence given
as a percentage, and commands given as objects or one multi-line string. What it will not do is
guess: an answer without an analysis, a root cause, a confidence in 0-1 or reasoning raises
:class:`MalformedAnswer`, and a malformed answer is never stored as an analysis.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

MAX_COMMANDS = 10
MAX_COMMAND_CHARS = 500
MAX_TEXT_CHARS = 4000

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "analysis": {"type": "string"},
        "probable_root_cause": {"type": "string"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "reasoning": {"type": "string"},
        "recommended_commands": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["analysis", "probable_root_cause", "confidence", "reasoning", "recommended_commands"],
    "additionalProperties": False,
}

_ALIASES: dict[str, tuple[str, ...]] = {
    "analysis": ("analysis", "summary", "explanation", "diagnosis"),
    "probable_root_cause": (
        "probable_root_cause",
        "root_cause",
        "rootcause",
        "probable_cause",
        "likely_root_cause",
        "cause",
    ),
    "confidence": ("confidence", "confidence_score", "certainty"),
    "reasoning": ("reasoning", "rationale", "reason", "evidence"),
    "recommended_commands": (
        "recommended_commands",
        "commands",
        "suggested_commands",
        "recommendations",
        "recommended_actions",
        "fix_commands",
        "actions",
    ),
}


class MalformedAnswer(ValueError):
    """The model answered, but not with a usable analysis. ``excerpt`` is the start of the answer."""

    def __init__(self, reason: str, excerpt: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.excerpt = excerpt


@dataclass(frozen=True)
class RcaAnswer:
    analysis: str
    probable_root_cause: str
    confidence: float
    reasoning: str
    recommended_commands: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "analysis": self.analysis,
            "probable_root_cause": self.probable_root_cause,
            "confidence": self.confidence,
            "reasoning": self.reasoning,
            "recommended_commands": list(self.recommended_commands),
        }


def _norm_key(k: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", k.strip().lower()).strip("_")


def _clean_text(value: Any, field: str, limit: int = MAX_TEXT_CHARS) -> str:
    if not isinstance(value, str):
        raise MalformedAnswer(f"field '{field}' is {type(value).__name__}, expected text")
    # keep newlines/tabs; drop other control characters (terminal escapes included)
    text = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    text = text.strip()
    if not text:
        raise MalformedAnswer(f"field '{field}' is empty")
    return text[:limit]


def _confidence(value: Any) -> float:
    if isinstance(value, bool):
        raise MalformedAnswer("field 'confidence' is true/false, expected a number in 0-1")
    if isinstance(value, str):
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", value)
        if not m:
            raise MalformedAnswer(f"field 'confidence' is {value[:30]!r}, expected a number in 0-1")
        number = float(m.group(1))
        if m.group(2):
            number /= 100
        value = number
    if not isinstance(value, (int, float)) or value != value:  # NaN
        raise MalformedAnswer("field 'confidence' is not a number")
    value = float(value)
    if 1 < value <= 100:  # a percentage without the sign
        value /= 100
    if not 0 <= value <= 1:
        raise MalformedAnswer(f"field 'confidence' is {value}, outside 0-1")
    return round(value, 4)


def _commands(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[Any] = [line for line in value.splitlines() if line.strip()]
    elif isinstance(value, list):
        items = value
    else:
        raise MalformedAnswer("field 'recommended_commands' is not a list")
    out: list[str] = []
    for item in items:
        if isinstance(item, dict):
            item = next((item[k] for k in ("command", "cmd", "shell", "run") if isinstance(item.get(k), str)), None)
        if not isinstance(item, str):
            continue
        cmd = re.sub(r"^\s*(?:\d+[.)]\s*|[-*]\s+|\$\s+)", "", item).strip().strip("`").strip()
        cmd = "".join(ch for ch in cmd if unicodedata.category(ch)[0] != "C")
        if cmd and cmd not in out:
            out.append(cmd[:MAX_COMMAND_CHARS])
        if len(out) >= MAX_COMMANDS:
            break
    return tuple(out)


def _json_candidates(text: str) -> list[str]:
    """Balanced ``{...}`` spans in ``text``, outermost first, in order of appearance."""
    spans: list[str] = []
    depth = 0
    start = -1
    in_str = False
    escape = False
    for i, ch in enumerate(text):
        if in_str:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"' and depth > 0:
            in_str = True
        elif ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}" and depth > 0:
            depth -= 1
            if depth == 0:
                spans.append(text[start : i + 1])
    return spans


def _loads(candidate: str) -> Any:
    try:
        return json.loads(candidate)
    except ValueError:
        pass
    # the two mistakes small local models make most: trailing commas and smart quotes
    fixed = re.sub(r",\s*([}\]])", r"\1", candidate)
    fixed = fixed.replace("\u201c", '"').replace("\u201d", '"')
    try:
        return json.loads(fixed)
    except ValueError:
        return None


def _pick(obj: dict[str, Any], field: str) -> Any:
    normalised = {_norm_key(k): v for k, v in obj.items() if isinstance(k, str)}
    for alias in _ALIASES[field]:
        if alias in normalised:
            return normalised[alias]
    return None


def validate(obj: Any, excerpt: str = "") -> RcaAnswer:
    """Validate an already-decoded JSON object."""
    if not isinstance(obj, dict):
        raise MalformedAnswer("the answer is not a JSON object", excerpt)
    if len(obj) == 1 and isinstance(next(iter(obj.values())), dict):
        obj = next(iter(obj.values()))  # {"result": {...}}
    try:
        answer = RcaAnswer(
            analysis=_clean_text(_pick(obj, "analysis"), "analysis"),
            probable_root_cause=_clean_text(_pick(obj, "probable_root_cause"), "probable_root_cause"),
            confidence=_confidence(_pick(obj, "confidence")),
            reasoning=_clean_text(_pick(obj, "reasoning"), "reasoning"),
            recommended_commands=_commands(_pick(obj, "recommended_commands")),
        )
    except MalformedAnswer as exc:
        raise MalformedAnswer(exc.reason, excerpt) from None
    return answer


def parse_answer(content: str | None) -> RcaAnswer:
    """Parse a model's reply into an :class:`RcaAnswer` or raise :class:`MalformedAnswer`."""
    if content is None or not content.strip():
        raise MalformedAnswer("the model returned an empty answer")
    text = content.strip()
    excerpt = text[:300]
    text = re.sub(r"(?is)<think>.*?</think>", "", text).strip()
    fenced = re.findall(r"```(?:json|JSON)?\s*(.*?)```", text, flags=re.DOTALL)
    candidates = [f.strip() for f in fenced] + _json_candidates(text)
    if not candidates:
        raise MalformedAnswer("the answer is not JSON", excerpt)
    last_error: MalformedAnswer | None = None
    decoded_any = False
    for candidate in candidates:
        obj = _loads(candidate)
        if obj is None:
            continue
        decoded_any = True
        try:
            return validate(obj, excerpt)
        except MalformedAnswer as exc:
            last_error = exc
    if last_error is not None:
        raise last_error
    if not decoded_any:
        raise MalformedAnswer("the answer is not valid JSON", excerpt)
    raise MalformedAnswer("the answer has no usable analysis", excerpt)  # pragma: no cover
