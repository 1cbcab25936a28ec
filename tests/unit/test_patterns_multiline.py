"""`lokifi patterns scan` reads a traceback as part of the event that logged it, named by its exception."""

from __future__ import annotations

import logging

from analytics.patterns.logread import scan_paths
from analytics.patterns.templates import fold_multiline


def test_python_tracebacks_from_logging_are_one_event_each(tmp_path):
    path = tmp_path / "app.log"
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger("lokifi-test-multiline")
    log.addHandler(handler)
    try:
        for i in range(12):
            try:
                if i % 3 == 0:
                    {}[f"user_{i}"]
                elif i % 3 == 1:
                    int(f"x{i}")
                else:
                    open(f"/nonexistent/{i}")
            except Exception:
                log.exception("request %d failed", i)
    finally:
        handler.close()
        log.removeHandler(handler)
    result = scan_paths([str(path)], errors_only=True)
    examples = sorted(p["example"].split(" | ")[1].split(":")[0] for p in result["patterns"])
    assert examples == ["FileNotFoundError", "KeyError", "ValueError"]
    assert all(p["count"] == 4 for p in result["patterns"])
    assert result["lines"] > result["events"] == 12


def test_java_exceptions_and_plain_lines():
    lines = [
        "2026-11-21 10:00:02 ERROR boom",
        "java.lang.IllegalStateException: bad",
        "\tat com.x.Y.z(Y.java:10)",
        "Caused by: java.io.IOException: disk",
        "\tat com.x.Y.w(Y.java:5)",
        "next line",
        "another line",
    ]
    events, starts = fold_multiline(lines)
    assert events == [
        "2026-11-21 10:00:02 ERROR boom | java.lang.IllegalStateException: bad",
        "next line",
        "another line",
    ]
    assert starts == [0, 5, 6]
    assert fold_multiline(["a", "b"]) == (["a", "b"], [0, 1])
