"""The tmux notice of a HIGH prediction carries text from log lines (its component, host and message). It
reaches tmux as plain text: a format (``#(cmd)`` runs cmd where tmux expands formats, as
``display-message`` does) stays text, and control characters -- terminal escapes (OSC 52 sets the
clipboard, CSI clears the screen) -- are spaces; a very long host or component is cut. Checked through a
real tmux server: the text is handed to ``display-message -p``, which expands it as the notice is."""

from __future__ import annotations

import shutil
import subprocess
import types

import pytest

from analytics.alerts import deliver

HOSTILE = "db #(echo ran) #{host} #[fg=red] \x1b]52;c;SGVsbG8=\x07 \x1b[2J\x1b[31m \x9b31m \u202egnp.exe \x00\x01;"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_log_text_reaches_tmux_as_plain_text(tmp_path, monkeypatch):
    run = subprocess.run
    sent: list[list[str]] = []
    monkeypatch.setenv("TMUX", "/nonexistent,1,0")
    monkeypatch.setattr(deliver.subprocess, "run", lambda argv, **kw: sent.append(argv))
    row = (1, "web\x1b[2J" + "c" * 5000, "h\x1b]0;title\x07" + "o" * 100_000, HOSTILE)
    deliver._ring(types.SimpleNamespace(bell=False, tmux=True), [row], "/dev/null")
    (argv,) = sent
    assert argv[:2] == ["tmux", "display-message"]
    sock = str(tmp_path / "tmux.sock")
    shown = run(
        ["tmux", "-S", sock, "-f", "/dev/null", "new-session", "-d", ";", "display-message", "-p", argv[2]],
        capture_output=True,
        text=True,
        timeout=20,
    ).stdout
    run(["tmux", "-S", sock, "kill-server"], capture_output=True)
    assert shown.startswith("Lokifi: HIGH web [2Jccc")
    assert not any(ch < " " or "\x7f" <= ch <= "\x9f" or ch == "\u202e" for ch in shown.rstrip("\n"))
    assert "db #(echo ran) #{host} " in shown and " ]52;c;SGVsbG8= " in shown  # as text, run and sent never
    assert len(shown) < 300
