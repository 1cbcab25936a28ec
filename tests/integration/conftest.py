"""Fixtures the integration tests share (tests/conftest.py holds those of every test)."""

from __future__ import annotations

import pytest
from alert_servers import Recorder


@pytest.fixture
def recorder():
    """A loopback HTTP server that keeps the body of every post made to it (``alert_servers.Recorder``)."""
    r = Recorder()
    yield r
    r.close()
