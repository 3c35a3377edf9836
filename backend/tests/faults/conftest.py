"""Fixtures for the fault-injection tests: a controllable TCP proxy in front of PostgreSQL/Redis."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url

from app.core.config import normalize_database_url
from testkit.services import require_redis
from testkit.tcp_proxy import TcpProxy

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
REDIS_URL = "redis://127.0.0.1:6379/15"


def assert_error_shape(response, status: int, error: str | None = None) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) >= {"error", "message", "details", "status_code", "timestamp"}, body
    if error is not None:
        assert body["error"] == error, body
    assert body["status_code"] == status
    assert isinstance(body["message"], str) and body["message"]
    assert TIMESTAMP.match(body["timestamp"])
    return body


@pytest.fixture
def pg_proxy(db_kind, database_url) -> Iterator[TcpProxy]:
    """A proxy in front of the test PostgreSQL; ``proxy.url`` is the database URL through it.

    Tests that use it are collected for the [postgres] backend only (tests/conftest.py)."""
    assert db_kind == "postgres", db_kind
    url = make_url(normalize_database_url(database_url))
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    port = proxy.start()
    proxy.url = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)  # type: ignore[attr-defined]
    yield proxy
    proxy.stop()


@pytest.fixture
def redis_url() -> str:
    """The local Redis (database 15); skipped without one, except under CI=true, where it fails."""
    return require_redis(REDIS_URL)


@pytest.fixture
def fresh_user() -> uuid.UUID:
    """A user id no other test (or earlier run sharing the Redis) has counted requests for."""
    return uuid.uuid4()
