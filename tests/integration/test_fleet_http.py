"""Auth and TLS of the fleet sources, through a real HTTPS/auth reverse proxy in front of Loki on loopback.

Also: the secret never reaches the database, the stored status or a message.
"""

from __future__ import annotations

import base64
import time

import pytest
from fault_proxy import FaultProxy
from fleet_puller import Puller
from loki_server import LokiServer
from loopback_support import self_signed_cert

from analytics.store.database import Store

pytestmark = [pytest.mark.servers, pytest.mark.slow]  # measured: 5 s in all
TOKEN = "tok-3f9a-not-for-logs"


@pytest.fixture(scope="module")
def loki(tmp_path_factory):
    srv = LokiServer(tmp_path_factory.mktemp("loki"))
    try:
        srv.start()
        srv.push([({"job": "auth", "host": "web-1"}, [(time.time_ns() - 5_000_000_000, "ERROR behind a proxy")])])
        yield srv
    finally:
        srv.stop()


def cfg(url: str, **kw) -> dict:
    d = {
        "name": "logs",
        "type": "loki",
        "url": url,
        "lag": "1s",
        "retries": 0,
        "timeout": 5,
        "max_backoff": 0,
        "queries": [{"query": '{job="auth"} |= "ERROR"', "component": "api"}],
    }
    d.update(kw)
    return d


def everything_stored(store: Store) -> str:
    parts = []
    for table in ("source_checkpoints", "source_status", "error_events", "metrics"):
        try:
            parts.append(store.query(f"SELECT * FROM {table}").write_csv())
        except Exception:  # noqa: BLE001 - a table another issue has not created yet
            continue
    return "\n".join(parts)


def pull_once(store: Store, c: dict):
    p = Puller(store, c)
    try:
        return p.pull()
    finally:
        p.close()


def test_bearer_token_from_env(migrated, loki, tmp_path, monkeypatch):
    proxy = FaultProxy(loki.url, require_auth=f"Bearer {TOKEN}").start()
    try:
        store = migrated(tmp_path / "db.duckdb")
        h = pull_once(store, cfg(proxy.url))
        assert h.state == "4xx" and "auth" in h.message  # no token: refused, and it says to check auth

        monkeypatch.setenv("LOKIFI_TEST_LOKI_TOKEN", TOKEN)
        h = pull_once(store, cfg(proxy.url, auth={"type": "bearer", "token_env": "LOKIFI_TEST_LOKI_TOKEN"}))
        assert h.state == "up", h.message
        assert store.scalar("SELECT count(*) FROM error_events") == 1
        assert TOKEN not in everything_stored(store)
    finally:
        proxy.stop()


def test_basic_auth_password_file(migrated, loki, tmp_path):
    secret = "pw-7c1d-hidden"
    proxy = FaultProxy(loki.url, require_auth="Basic " + base64.b64encode(f"ops:{secret}".encode()).decode()).start()
    try:
        pw = tmp_path / "pw"
        pw.write_text(secret + "\n")
        store = migrated(tmp_path / "db.duckdb")
        h = pull_once(store, cfg(proxy.url, auth={"type": "basic", "username": "ops", "password_file": str(pw)}))
        assert h.state == "up", h.message
        wrong = tmp_path / "wrong"
        wrong.write_text("nope")
        h = pull_once(
            migrated(tmp_path / "db2.duckdb"),
            cfg(proxy.url, auth={"type": "basic", "username": "ops", "password_file": str(wrong)}),
        )
        assert h.state == "4xx" and "401" in h.message
        assert secret not in everything_stored(store) and secret not in h.message
    finally:
        proxy.stop()


def test_tls_ca_file_and_verification_failure(migrated, loki, tmp_path):
    pair = self_signed_cert(tmp_path)
    if pair is None:
        pytest.skip("openssl is not installed")
    proxy = FaultProxy(loki.url, tls=pair).start()
    try:
        assert proxy.url.startswith("https://")
        h = pull_once(migrated(tmp_path / "a.duckdb"), cfg(proxy.url))
        assert h.state == "tls", (h.state, h.message)  # an unknown CA is refused, with the reason
        assert "certificate" in h.message.lower() or "tls" in h.message.lower()

        h = pull_once(migrated(tmp_path / "b.duckdb"), cfg(proxy.url, tls={"ca_file": pair[0]}))
        assert h.state == "up", h.message

        h = pull_once(migrated(tmp_path / "c.duckdb"), cfg(proxy.url, tls={"insecure_skip_verify": True}))
        assert h.state == "up", h.message
    finally:
        proxy.stop()
