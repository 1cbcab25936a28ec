"""Reading a fleet source's ``[[sources]]`` table (Prometheus, Loki): the checks both share, each
failure a :class:`ConfigProblem` that names the setting (``sources[0].queries[1].component: …``), and
:class:`FleetSettings`, the settings both hold and the one reading of their tables."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from analytics.sources.fleet.client import ConfigProblem, HttpSettings, label_list, parse_duration


def as_dict(source: Any) -> dict[str, Any]:
    """A source given as a dict or as an :class:`analytics.config.settings.Source` (its options flattened)."""
    if isinstance(source, dict):
        return dict(source)
    d = dict(getattr(source, "options", {}) or {})
    for k in ("name", "url", "type"):
        d[k] = getattr(source, k, "")
    return d


def head(source: Any, where: str, known: frozenset[str]) -> tuple[dict[str, Any], str, HttpSettings, list[str]]:
    """The table, its required name, its HTTP settings and the unknown keys (reported, then ignored)."""
    d = as_dict(source)
    name = str(d.get("name") or "")
    if not name:
        raise ConfigProblem(f"{where}.name: a name is required")
    problems = [f"{where}.{k}: unknown setting (ignored)" for k in d if k not in known | {"name", "type"}]
    return d, name, HttpSettings.from_dict(d, where), problems


def set_durations(settings: Any, d: dict[str, Any], keys: Iterable[str], where: str) -> None:
    for key in keys:
        if key in d:
            setattr(settings, key, parse_duration(d[key], f"{where}.{key}"))


def whole_number(value: Any, where: str, lo: int, hi: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
        raise ConfigProblem(
            f"{where}: expected a whole number " + (f"from {lo} to {hi}" if hi is not None else f">= {lo}")
        )
    return value


def set_whole_numbers(settings: Any, d: dict[str, Any], keys: Iterable[str], where: str, lo: int) -> None:
    for key in keys:
        if key in d:
            setattr(settings, key, whole_number(d[key], f"{where}.{key}", lo))


def query_tables(
    d: dict[str, Any], where: str, required: tuple[str, ...], default_labels: tuple[str, ...]
) -> Iterator[tuple[dict[str, Any], str, tuple[str, ...]]]:
    """Each ``[[sources.queries]]`` table with its place (for messages) and its host labels (its own,
    else the source's); the ``required`` keys are checked to be non-empty strings."""
    hl = label_list(d.get("host_labels", list(default_labels)), where)
    queries = d.get("queries")
    fields = ", ".join(required[:-1]) + f" and {required[-1]}" if len(required) > 1 else required[0]
    if not isinstance(queries, list) or not queries:
        raise ConfigProblem(f"{where}.queries: at least one [[sources.queries]] with {fields}")
    for i, q in enumerate(queries):
        qw = f"{where}.queries[{i}]"
        if not isinstance(q, dict):
            raise ConfigProblem(f"{qw}: expected a table with {fields}")
        for k in required:
            if not isinstance(q.get(k), str) or not q[k].strip():
                raise ConfigProblem(f"{qw}.{k}: required (a non-empty string)")
        yield q, qw, tuple(label_list(q.get("host_labels", q.get("host_label", hl)), qw))


def unique_keys(queries: list[Any], where: str, what: str) -> None:
    keys = [q.key for q in queries]
    if len(set(keys)) != len(keys):
        raise ConfigProblem(f"{where}.queries: the same {what} is listed twice")


#: The keys every fleet source's table may carry besides ``name`` and ``type`` (each source adds its own).
COMMON_KEYS = frozenset(
    {
        "url",
        "auth",
        "tls",
        "headers",
        "timeout",
        "retries",
        "lag",
        "backfill",
        "interval",
        "host_labels",
        "queries",
        "max_rows_per_poll",
        "max_backoff",
        "default_host",
    }
)


@dataclass
class FleetSettings:
    """What a fleet source's settings hold, read from its ``[[sources]]`` table by :meth:`from_config`.

    A source's settings subclass this with their own fields and defaults (where they differ from these),
    name their keys in the class constants below, check their own limits in :meth:`_check` and build one
    query in :meth:`_query`."""

    name: str
    http: HttpSettings
    queries: list[Any]
    lag: float = 30.0
    backfill: float = 3600.0
    interval: float = 30.0
    max_rows_per_poll: int = 50_000
    max_backoff: float = 300.0
    default_host: str = ""
    problems: list[str] = field(default_factory=list)

    #: the source's own keys (beside :data:`COMMON_KEYS`)
    OWN_KEYS: ClassVar[frozenset[str]] = frozenset()
    #: the settings read as durations (``"30s"``, ``"2h"``, seconds)
    DURATIONS: ClassVar[tuple[str, ...]] = ()
    #: the settings read as whole numbers of at least WHOLE_MIN
    WHOLE_NUMBERS: ClassVar[tuple[str, ...]] = ()
    WHOLE_MIN: ClassVar[int] = 0
    #: each query table's required keys, the host labels when neither it nor the source names any, and
    #: what two queries with the same key repeat (for the message)
    QUERY_KEYS: ClassVar[tuple[str, ...]] = ("query",)
    HOST_LABELS: ClassVar[tuple[str, ...]] = ("host",)
    SAME_QUERY: ClassVar[str] = "query"

    @classmethod
    def from_config(cls, source: Any, where: str = "sources[?]") -> Self:
        """From an :class:`analytics.config.settings.Source` (or a plain dict with ``name``/``url``/options)."""
        d, name, http, problems = head(source, where, COMMON_KEYS | cls.OWN_KEYS)
        s = cls(name=name, http=http, queries=[], problems=problems)
        set_durations(s, d, cls.DURATIONS, where)
        s._check(d, where)
        set_whole_numbers(s, d, cls.WHOLE_NUMBERS, where, cls.WHOLE_MIN)
        s.default_host = str(d.get("default_host") or "")
        for q, qw, labels in query_tables(d, where, cls.QUERY_KEYS, cls.HOST_LABELS):
            s.queries.append(s._query(q, qw, labels))
        unique_keys(s.queries, where, cls.SAME_QUERY)
        return s

    def _check(self, d: dict[str, Any], where: str) -> None:
        """The source's own checks and bounded settings, after the durations are read."""

    def _query(self, q: dict[str, Any], where: str, host_labels: tuple[str, ...]) -> Any:
        """One query from its table (its required keys are non-empty strings)."""
        raise NotImplementedError
