"""Alertmanagers on loopback for the alert tests.

* :class:`Recorder` -- an HTTP server that keeps the body of every POST to its own Alertmanager path and
  answers with the status it is set to (200 unless told otherwise): what an alert carries off the host,
  byte for byte, an Alertmanager that refuses, and one that takes a post but answers ``delay`` seconds
  late. Its URL has a random path prefix: a post from a stranger (a collector another test left, posting
  to a port the kernel has since handed to this server) gets 404 and is neither kept nor counted.
* :class:`Alertmanager` -- Debian's real ``prometheus-alertmanager`` with one null receiver, stopped and
  started again on the same port (the ``am`` fixture of ``tests/integration/conftest.py`` starts one per
  test and stops it after).
* :func:`alerts_config` -- writes the ``[alerts]`` configuration that points Lokifi at one of them;
  :func:`checked` loads it and asserts the loader found no problem in it.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from loopback_support import free_port

AM = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


class Recorder:
    """An HTTP server on loopback that keeps the body of every POST to ``url`` + ``/api/v2/alerts`` (the
    path Lokifi posts alerts to) and answers ``status``; any other request gets 404, not counted."""

    def __init__(self) -> None:
        bodies: list[bytes] = []
        self.status = 200
        self.delay = 0.0  # seconds before the answer, the body kept
        self.requests = 0  # POSTs received on its own path, refused ones too
        self.prefix = f"/{uuid.uuid4().hex}"
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != recorder.prefix + "/api/v2/alerts":
                    self.send_response(404)
                    self.end_headers()
                    return
                recorder.requests += 1
                if recorder.status < 300:
                    bodies.append(body)
                time.sleep(recorder.delay)
                self.send_response(recorder.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.bodies = bodies
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{self.prefix}"

    def text(self) -> str:
        return b"".join(self.bodies).decode()

    def alerts(self) -> list[dict]:
        return [a for body in self.bodies for a in json.loads(body)]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Alertmanager:
    def __init__(self, workdir: Path) -> None:
        self.workdir, self.port, self.proc = workdir, free_port(), None
        (workdir / "am.yml").write_text("route:\n  receiver: 'null'\n  group_wait: 1s\nreceivers:\n  - name: 'null'\n")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Alertmanager:
        assert AM is not None
        data = self.workdir / "data"
        data.mkdir(exist_ok=True)
        self.proc = subprocess.Popen(
            [
                AM,
                f"--config.file={self.workdir / 'am.yml'}",
                f"--storage.path={data}",
                f"--web.listen-address=127.0.0.1:{self.port}",
                "--cluster.listen-address=",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(200):
            try:
                urllib.request.urlopen(self.url + "/-/ready", timeout=1)
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("alertmanager did not start")

    def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def alerts(self) -> list[dict]:
        with urllib.request.urlopen(self.url + "/api/v2/alerts", timeout=5) as r:
            return json.load(r)


def alerts_config(
    where: Path,
    url: str,
    *,
    min_severity: str | None = "MEDIUM",
    resend_seconds: float | None = 30,
    timeout: float | None = 3.0,
    extra: str = "",
) -> Path:
    """Write an ``[alerts]`` configuration delivering to ``url`` at ``where`` (a directory: its
    ``lokifi.toml``) and return the file's path. A setting given as None is left out (its default applies);
    ``extra`` is appended as it is (more sections)."""
    path = where / "lokifi.toml" if where.is_dir() else where
    text = "[alerts]\n"
    if min_severity is not None:
        text += f'min_severity = "{min_severity}"\n'
    if resend_seconds is not None:
        text += f"resend_seconds = {resend_seconds}\n"
    text += f'[alerts.alertmanager]\nurl = "{url}"\n'
    if timeout is not None:
        text += f"timeout = {timeout}\n"
    path.write_text(text + extra)
    return path


def checked(path: Path) -> Any:
    """The configuration at ``path``, loaded; the loader found no problem in it."""
    from analytics.config.settings import load_config

    cfg = load_config(path)
    assert not cfg.problems, cfg.problems
    return cfg
