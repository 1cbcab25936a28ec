"""`lokifi patterns scan` reads a traceback as part of the event that logged it, named by its exception."""

from __future__ import annotations

import logging

from analytics.patterns.log_scan import scan_paths
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


def test_a_real_pip_log_that_stamps_every_line_folds_its_traceback(tmp_path):
    """pip's --log stamps every line, the traceback's frames included: the chained traceback is one event,
    named by the exception finally raised (its class name ends in neither Error nor Exception)."""
    import subprocess
    import sys

    log = tmp_path / "pip.log"
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-index", "--log", str(log), "nonexistent-lokifi-test-pkg"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert r.returncode != 0 and "Traceback (most recent call last):" in log.read_text()
    events, _ = fold_multiline(log.read_text().splitlines())
    named = [e for e in events if " | " in e]
    assert len(named) == 1 and named[0].split(" | ")[1].startswith("pip._internal.exceptions.DistributionNotFound: ")
    assert not any(e.split(" ", 1)[1].lstrip().startswith(("Traceback", "File ", "raise ", "^")) for e in events)
    result = scan_paths([str(log)], errors_only=True)
    texts = [p["example"] for p in result["patterns"]]
    assert texts and not any("Traceback" in t or t.lstrip().startswith(("File ", "raise ")) for t in texts), texts


def test_stamped_lines_fold_only_tracebacks_and_stack_traces():
    lines = [
        "Nov 21 10:00:00 host app[12]: ERROR request failed",
        "Nov 21 10:00:00 host app[12]: Traceback (most recent call last):",
        'Nov 21 10:00:00 host app[12]:   File "app.py", line 3, in handler',
        "Nov 21 10:00:00 host app[12]:     raise NotFound(x)",
        "Nov 21 10:00:00 host app[12]: app.errors.NotFound: no user 7",
        "Nov 21 10:00:01 host app[12]:   indented, and not in a traceback",
        "2026-11-21T10:00:02.0Z stderr F ERROR handler failed",
        "2026-11-21T10:00:02.1Z stderr F java.lang.IllegalStateException: bad state",
        "2026-11-21T10:00:02.1Z stderr F \tat com.x.Y.z(Y.java:10)",
        "2026-11-21T10:00:02.1Z stderr F Caused by: java.io.IOException: disk",
        "2026-11-21T10:00:02.1Z stderr F \t... 12 more",
        "2026-11-21T10:00:02.2Z stderr F ",
        "2026-11-21T10:00:03.0Z stdout F started",
    ]
    texts, starts = fold_multiline(lines)
    assert texts == [
        "Nov 21 10:00:00 host app[12]: ERROR request failed | app.errors.NotFound: no user 7",
        "Nov 21 10:00:01 host app[12]:   indented, and not in a traceback",
        "2026-11-21T10:00:02.0Z stderr F ERROR handler failed | java.lang.IllegalStateException: bad state",
        "2026-11-21T10:00:03.0Z stdout F started",
    ]
    assert starts == [0, 5, 6, 12]
