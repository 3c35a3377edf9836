"""Fixtures for the fault-injection tests: a controllable TCP proxy in front of PostgreSQL/Redis."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import make_url
from .tcp_proxy import TCPProxy

from app.core.config import normalize_database_url

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
def pg_proxy(db_target, database_url) -> Iterator[TCPProxy]:
    """A proxy in front of the test PostgreSQL; ``proxy.url`` is the database URL through it."""
    if db_target.kind != "postgresql":
        pytest.skip("needs PostgreSQL (CI=true always has it)")
    url = make_url(normalize_database_url(database_url))
    proxy = TCPProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)  # type: ignore[attr-defined]
    yield proxy
    proxy.close()


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=0.5).ping()
    except Exception as exc:  # pragma: no cover - depends on the machine
        pytest.skip(f"Redis at {REDIS_URL} is not reachable: {exc}")
    return REDIS_URL


@pytest.fixture
def fresh_user() -> uuid.UUID:
    """A user id no other test (or earlier run sharing the Redis) has counted requests for."""
    return uuid.uuid4()
