"""Fixtures the integration tests share (tests/conftest.py holds those of every test)."""

from __future__ import annotations

import pytest
from alert_servers import Alertmanager, Recorder
from loki_server import LokiServer


@pytest.fixture
def recorder():
    """A loopback HTTP server that keeps the body of every post made to it (``alert_servers.Recorder``)."""
    r = Recorder()
    yield r
    r.close()


@pytest.fixture
def am(tmp_path):
    """Debian's real Alertmanager on loopback (``alert_servers.Alertmanager``), its files in ``tmp_path``,
    started for the test and stopped after it (a test may stop and start it again meanwhile). The test
    module skips when it is not installed (``alert_servers.AM``)."""
    a = Alertmanager(tmp_path).start()
    try:
        yield a
    finally:
        a.stop()


@pytest.fixture
def lokifi():
    """``lokifi(store, cfg, *args)``: the command line on ``store`` with the config file ``cfg``, run
    in-process on a wide terminal; its output, once it exited 0."""
    from click.testing import CliRunner

    from lokifi_tui.cli.main import cli

    def run(store, cfg, *args: str) -> str:
        r = CliRunner().invoke(cli, ["--db", str(store.path), "--config", str(cfg), *args], env={"COLUMNS": "300"})
        assert r.exit_code == 0, r.output
        return r.output

    return run


@pytest.fixture(scope="module")
def loki(tmp_path_factory):
    """A loopback server speaking Loki's HTTP API (``loki_server.LokiServer``), one per test module."""
    srv = LokiServer(tmp_path_factory.mktemp("loki"))
    try:
        srv.start()
        yield srv
    finally:
        srv.stop()
