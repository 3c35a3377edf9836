"""Fixtures for the fault-injection tests: a controllable TCP proxy in front of PostgreSQL/Redis."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from app.core.config import normalize_database_url

# testkit/ (repository root) holds the test-only helpers both services' suites share.
REPO_ROOT = Path(__file__).resolve().parents[3]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
from testkit.tcp_proxy import TcpProxy  # noqa: E402

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
def pg_proxy(db_target, database_url) -> Iterator[TcpProxy]:
    """A proxy in front of the test PostgreSQL; ``proxy.url`` is the database URL through it."""
    if db_target.kind != "postgresql":
        pytest.skip("needs PostgreSQL (CI=true always has it)")
    url = make_url(normalize_database_url(database_url))
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    port = proxy.start()
    proxy.url = url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)  # type: ignore[attr-defined]
    yield proxy
    proxy.stop()


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
