"""Discovery beyond sockets: running systemd services (through `systemctl`, here a stand-in first on PATH:
this machine runs no systemd) and containers from a Docker-API unix socket (a loopback server speaking
`GET /containers/json`, as dockerd and podman answer it)."""

from __future__ import annotations

import json
import os
import socketserver
import stat
import sys
import threading
from http.server import BaseHTTPRequestHandler

from analytics.config import starter as config_init
from analytics.config.discover import containers, systemd_services

UNITS = """\
nginx.service                 loaded active running A high performance web server
postgresql@15-main.service    loaded active running PostgreSQL Cluster 15-main
systemd-journald.service      loaded active running Journal Service
ssh.service                   loaded active running OpenBSD Secure Shell server
myapp.service                 loaded active running My application
"""

CONTAINERS = [
    {
        "Id": "abc123",
        "Names": ["/shop-api"],
        "Image": "shop/api:1.4",
        "Ports": [
            {"IP": "0.0.0.0", "PrivatePort": 8000, "PublicPort": 18080, "Type": "tcp"},  # noqa: S104 - as docker reports a port
            {"PrivatePort": 9000, "Type": "tcp"},
        ],
    },
    {"Id": "def456", "Names": ["/redis"], "Image": "redis:7", "Ports": []},
]


def fake_systemctl(tmp_path, monkeypatch):
    d = tmp_path / "bin"
    d.mkdir()
    exe = d / "systemctl"
    exe.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write({UNITS!r})\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{d}{os.pathsep}{os.environ['PATH']}")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps(CONTAINERS if self.path.startswith("/containers/json") else {"message": "no"}).encode()
        self.send_response(200 if self.path.startswith("/containers/json") else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self):
        return "unix"

    def log_message(self, *a):
        pass


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def docker_socket(tmp_path, monkeypatch):
    path = str(tmp_path / "docker.sock")
    srv = _UnixServer(path, _Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    monkeypatch.setenv("DOCKER_HOST", f"unix://{path}")
    return srv


def test_systemd_services_without_the_plumbing(tmp_path, monkeypatch):
    fake_systemctl(tmp_path, monkeypatch)
    assert systemd_services() == ["nginx", "postgresql", "myapp"]


def test_containers_from_the_api_socket(tmp_path, monkeypatch):
    srv = docker_socket(tmp_path, monkeypatch)
    try:
        got = containers()
    finally:
        srv.shutdown()
    assert [(c.name, c.image, c.ports) for c in got] == [
        ("shop-api", "shop/api:1.4", [18080]),
        ("redis", "redis:7", []),
    ]


def test_no_socket_no_systemd_is_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/absent.sock")
    monkeypatch.setattr("analytics.config.discover.SOCKETS", ())
    monkeypatch.setenv("PATH", str(tmp_path))
    assert containers() == [] and systemd_services() == []


def test_the_proposal_joins_units_containers_and_logs(tmp_path, monkeypatch):
    fake_systemctl(tmp_path, monkeypatch)
    srv = docker_socket(tmp_path, monkeypatch)
    (tmp_path / "log" / "postgresql").mkdir(parents=True)
    (tmp_path / "log" / "postgresql" / "postgresql-15-main.log").write_text("x\n")
    monkeypatch.setattr(config_init, "detect", lambda *a, **k: [])
    monkeypatch.setattr(config_init, "prometheus_on_loopback", lambda *a, **k: None)
    try:
        found, _ = config_init.discover([str(tmp_path / "log")])
    finally:
        srv.shutdown()
    by = {f.name: f for f in found}
    assert by["shop-api"].tcp == [("127.0.0.1", 18080)] and "container" in by["shop-api"].note
    assert by["postgres"].logs and "myapp" in by and "nginx" in by and "ssh" not in by
    text = config_init.render(found)
    assert 'name = "myapp"        # systemd service myapp.service' in text
    from analytics.config.settings import load_config

    p = tmp_path / "c.toml"
    p.write_text(text)
    assert not load_config(p).problems
