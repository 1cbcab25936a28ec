"""A loopback server speaking Loki's HTTP API for the fleet-source tests.

:class:`LokiServer` runs :func:`loki_standin` in a child process: a loopback server that speaks the subset
of Loki's HTTP API Lokifi uses (``/ready``, ``/loki/api/v1/push`` JSON, ``/loki/api/v1/query_range`` with
stream selectors, line filters, ``limit``, ``direction``, the 5000-entry limit, ``[start, end)`` ranges)
and keeps its data on disk across restarts. Grafana Loki itself is AGPL and is not run here, even when one
is installed. Also here: the ground truth of a query straight from it, and a ``[[sources]]`` entry for it.

Run ``python tests/loki_server.py loki-standin PORT DATA_DIR`` to start the stand-in by hand.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from loopback_support import QuietHandler, QuietServer, free_port, http_get, start_server, stop_process

from analytics.common.signal_relay import relay_signals


class LokiServer:
    """The stand-in below (never Grafana Loki); data kept in ``workdir`` across restarts."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = Path(workdir)
        self.data = self.workdir / "loki-data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LokiServer:
        cmd = [sys.executable, str(Path(__file__).resolve()), "loki-standin", str(self.port), str(self.data)]
        self.proc = start_server(cmd, self.workdir / "loki.log", self.url + "/ready", "loki")
        return self

    def push(self, streams: list[tuple[dict[str, str], list[tuple[int, str]]]]) -> None:
        """Push entries through Loki's push API: [(labels, [(ts_ns, line), ...]), ...]."""
        body = json.dumps(
            {
                "streams": [
                    {"stream": labels, "values": [[str(ts), line] for ts, line in values]} for labels, values in streams
                ]
            }
        ).encode()
        req = urllib.request.Request(
            self.url + "/loki/api/v1/push", data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            if r.status not in (200, 204):
                raise RuntimeError(f"push failed: HTTP {r.status}")

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.workdir / "loki.log").read_text(errors="replace")[-2000:]
        return ""


# The stand-in ---------------------------------------------------------------------------------------

_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*(,|$)')
_FILTER = re.compile(r'\s*(\|=|!=|\|~|!~)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)')
MAX_ENTRIES = 5000


class LogQLError(ValueError):
    pass


def _unquote(s: str) -> str:
    if s.startswith("`"):
        return s[1:-1]
    return json.loads(s)


def parse_logql(query: str):
    """(matchers, filters) for ``{a="b", c=~"d"} |= "x" != "y" |~ "re"``; anything else is an error."""
    q = query.strip()
    if not q.startswith("{") or "}" not in q:
        raise LogQLError(f"parse error : syntax error: unexpected input, expecting {{ in {query!r}")
    inner, rest = q[1:].split("}", 1)
    matchers = []
    pos = 0
    while pos < len(inner.strip()) and inner[pos:].strip():
        m = _MATCHER.match(inner, pos)
        if not m:
            raise LogQLError(f"parse error : syntax error in selector {inner!r}")
        matchers.append((m.group(1), m.group(2), _unquote(m.group(3))))
        pos = m.end()
    if not matchers:
        raise LogQLError("parse error : queries require at least one regexp or equality matcher")
    filters = []
    pos = 0
    while rest[pos:].strip():
        m = _FILTER.match(rest, pos)
        if not m:
            raise LogQLError(f"parse error : unsupported pipeline stage at {rest[pos:].strip()!r}")
        filters.append((m.group(1), _unquote(m.group(2))))
        pos = m.end()
    return matchers, filters


def _parse_loki_time(v: str | None, default_ns: int) -> int:
    if v is None or v == "":
        return default_ns
    if re.fullmatch(r"\d+", v):
        n = int(v)
        return n if n > 10**15 else n * 10**9  # ns, or seconds
    if re.fullmatch(r"\d+\.\d*", v):
        return int(float(v) * 1e9)
    from datetime import datetime

    return int(datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp() * 1e9)


def loki_standin(port: int, data_dir: str) -> None:
    """Serve the Loki API subset on 127.0.0.1:port until SIGTERM; entries persist in data_dir."""
    store_path = Path(data_dir) / "entries.jsonl"
    lock = threading.Lock()
    streams: dict[str, dict[str, Any]] = {}  # key -> {"labels":..., "entries": {(ts, line)}}

    def add(labels: dict[str, str], ts: int, line: str, persist: bool) -> bool:
        key = json.dumps(labels, sort_keys=True)
        st = streams.setdefault(key, {"labels": labels, "entries": set()})
        if (ts, line) in st["entries"]:
            return False  # Loki drops exact duplicates within a stream
        st["entries"].add((ts, line))
        return True

    if store_path.exists():
        for raw in store_path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, KeyError):
                rec = json.loads(raw)
                add(rec["l"], int(rec["t"]), rec["s"], False)
    out = open(store_path, "a", encoding="utf-8")

    def matches(labels: dict[str, str], matchers) -> bool:
        for name, op, val in matchers:
            have = labels.get(name, "")
            if op == "=" and have != val:
                return False
            if op == "!=" and have == val:
                return False
            if op == "=~" and not re.fullmatch(val, have):
                return False
            if op == "!~" and re.fullmatch(val, have):
                return False
        return True

    def keep(line: str, filters) -> bool:
        for op, val in filters:
            if op == "|=" and val not in line:
                return False
            if op == "!=" and val in line:
                return False
            if op == "|~" and not re.search(val, line):
                return False
            if op == "!~" and re.search(val, line):
                return False
        return True

    class Handler(QuietHandler):
        def _send(self, code: int, obj: Any | None = None, text: str | None = None) -> None:
            body = json.dumps(obj).encode() if obj is not None else (text or "").encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if obj is not None else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            u = urllib.parse.urlsplit(self.path)
            qs = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
            if u.path == "/ready":
                self._send(200, text="ready\n")
            elif u.path == "/loki/api/v1/labels":
                with lock:
                    names = sorted({k for s in streams.values() for k in s["labels"]})
                self._send(200, {"status": "success", "data": names})
            elif u.path == "/loki/api/v1/query_range":
                self._query_range(qs)
            else:
                self._send(404, text="404 page not found\n")

        def _query_range(self, qs: dict[str, str]) -> None:
            now = time.time_ns()
            try:
                matchers, filters = parse_logql(qs.get("query", ""))
                end = _parse_loki_time(qs.get("end"), now)
                start = _parse_loki_time(qs.get("start"), end - 3600 * 10**9)
                limit = int(qs.get("limit", "100"))
            except (LogQLError, ValueError) as exc:
                self._send(400, text=str(exc))
                return
            if limit > MAX_ENTRIES:
                self._send(
                    400,
                    text=f"max entries limit per query exceeded, limit > max_entries_limit ({limit} > {MAX_ENTRIES})",
                )
                return
            if end < start:
                self._send(400, text="end timestamp must not be before or equal to start time")
                return
            forward = qs.get("direction", "backward").lower() == "forward"
            picked = []
            with lock:
                for st in streams.values():
                    if not matches(st["labels"], matchers):
                        continue
                    for ts, line in st["entries"]:
                        if start <= ts < end and keep(line, filters):
                            picked.append((ts, line, json.dumps(st["labels"], sort_keys=True)))
            picked.sort(key=lambda e: (e[0], e[2], e[1]), reverse=not forward)
            picked = picked[:limit]
            by_stream: dict[str, list] = {}
            for ts, line, key in picked:
                by_stream.setdefault(key, []).append([str(ts), line])
            result = [{"stream": json.loads(k), "values": v} for k, v in by_stream.items()]
            self._send(
                200,
                {
                    "status": "success",
                    "data": {
                        "resultType": "streams",
                        "result": result,
                        "stats": {"summary": {"totalEntriesReturned": len(picked)}},
                    },
                },
            )

        def do_POST(self) -> None:
            if self.path.split("?")[0] != "/loki/api/v1/push":
                self._send(404, text="404 page not found\n")
                return
            n = int(self.headers.get("Content-Length") or 0)
            try:
                payload = json.loads(self.rfile.read(n))
                with lock:
                    for s in payload["streams"]:
                        labels = {str(k): str(v) for k, v in s["stream"].items()}
                        for ts, line in s["values"]:
                            if add(labels, int(ts), str(line), True):
                                out.write(json.dumps({"l": labels, "t": str(ts), "s": line}) + "\n")
                    out.flush()
                    os.fsync(out.fileno())
            except (ValueError, KeyError, TypeError) as exc:
                self._send(400, text=f"error parsing push request: {exc}")
                return
            self._send(204, text="")

    server = QuietServer(("127.0.0.1", port), Handler)

    # shutdown() is called from the relay's thread: a handler that started a thread could deadlock on the
    # threading module's lock, held by the main thread starting a request's thread.
    relay_signals({signal.SIGTERM: server.shutdown})
    try:
        server.serve_forever()
    finally:
        server.server_close()
        out.close()


def loki_truth(url: str, query: str, start_ns: int, end_ns: int) -> list[tuple[int, str, str]]:
    """Every (ts_ns, host, line) the query matches in [start, end), paged forward."""
    out = []
    seen = set()
    t = start_ns
    while True:
        q = urllib.parse.urlencode(
            {"query": query, "start": str(t), "end": str(end_ns), "limit": "1000", "direction": "forward"}
        )
        code, body = http_get(f"{url}/loki/api/v1/query_range?{q}", 10)
        assert code == 200, body[:300]
        page = []
        for st in json.loads(body)["data"]["result"]:
            for ts, line in st["values"]:
                page.append((int(ts), st["stream"].get("host", ""), line, json.dumps(st["stream"], sort_keys=True)))
        page.sort()
        for e in page:
            if e not in seen:
                seen.add(e)
                out.append(e[:3])
        if len(page) < 1000:
            return sorted(out)
        t = page[-1][0]


def loki_source(url: str, query: str, *, name: str = "logs", component: str = "api", **kw: Any) -> dict:
    """A ``[[sources]]`` entry for a Loki source on ``url`` reading ``query`` as ``component``, with the short
    lag, overlap and retries the tests use; ``kw`` sets or overrides any other key."""
    d = {
        "name": name,
        "type": "loki",
        "url": url,
        "lag": "1s",
        "overlap": "30s",
        "backfill": "10m",
        "interval": 0.2,
        "max_backoff": 0,
        "retries": 1,
        "timeout": 5,
        "queries": [{"query": query, "component": component}],
    }
    d.update(kw)
    return d


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "loki-standin":
        loki_standin(int(sys.argv[2]), sys.argv[3])
    else:
        print(__doc__)
        sys.exit(2)
