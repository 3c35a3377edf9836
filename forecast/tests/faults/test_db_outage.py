"""Database outage: the API's Postgres sits behind a TCP proxy the test cuts, blackholes and restores.

DB-backed requests (login, /auth/me, reads whose token must be re-checked: AUTH_CACHE_SECONDS=0) get a
503 ErrorResponse within a bounded time, readiness says unhealthy, a logout or refresh that could not
commit leaves nothing half-revoked, and the same app instance recovers once the proxy is back.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import create_engine, select, text

from api.db.models import RevokedToken
from api.main import create_app
from servicekit.errors import ErrorResponse
from api.security import decode_access_token
from tests.conftest import PASSWORD
from tests.faults.conftest import plain_client
from tests.support.runs import publish_fixture_run

BOUND_SECONDS = 5.0  # connect 1 s + hard timeout 2 s + pool wait 1 s, plus scheduling slack


@pytest.fixture
async def outage_app(pg_clean, proxy, fault_settings, results_dir):
    publish_fixture_run(results_dir, "run-a")
    app = create_app(fault_settings(pg_clean.set(host="127.0.0.1", port=proxy.port)))
    from api.bootstrap import create_user

    with app.state.session_factory() as session, session.begin():
        create_user(session, "alice", "alice@example.com", PASSWORD)
    async for client in plain_client(app):
        yield app, client


async def timed(coro):
    started = time.perf_counter()
    response = await coro
    return response, time.perf_counter() - started


def assert_unavailable(response, elapsed: float) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    ErrorResponse.model_validate(body)
    assert body["error"] == "database_unavailable" and body["status_code"] == 503
    assert "postgres" not in response.text.lower() and "127.0.0.1" not in response.text
    assert elapsed < BOUND_SECONDS, f"took {elapsed:.1f}s"


async def login(client) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"username": "alice", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def revoked_jtis(pg_url) -> set[str]:
    engine = create_engine(pg_url)
    try:
        with engine.connect() as conn:
            return set(conn.scalars(select(RevokedToken.jti)))
    finally:
        engine.dispose()


def jti(settings, headers: dict[str, str]) -> str:
    return decode_access_token(settings, headers["Authorization"].split()[1]).jti


DB_REQUESTS = [
    ("POST", "/api/v1/auth/login", {"username": "alice", "password": PASSWORD}, False),
    ("GET", "/api/v1/auth/me", None, True),
    ("GET", "/api/v1/forecasts/dashboard", None, True),
    ("GET", "/api/v1/models/comparison", None, True),
    ("POST", "/api/v1/auth/refresh", None, True),
    ("POST", "/api/v1/auth/logout", None, True),
]


async def _during_outage(client, auth: dict[str, str]) -> None:
    """Every DB-backed request, concurrently: each a 503 in the error shape, each within the bound."""
    calls = [
        timed(client.request(method, path, json=body, headers=auth if needs_auth else None))
        for method, path, body, needs_auth in DB_REQUESTS
    ]
    for response, elapsed in await asyncio.gather(*calls):
        assert_unavailable(response, elapsed)
    ready, elapsed = await timed(client.get("/api/v1/health/ready"))
    assert ready.status_code == 503 and elapsed < BOUND_SECONDS
    body = ready.json()
    assert body["status"] == "unhealthy" and body["services"]["database"]["status"] == "unhealthy"
    assert body["services"]["results"]["status"] == "healthy"
    health = await client.get("/api/v1/health")
    assert health.status_code == 200 and health.json()["services"]["database"]["status"] == "unhealthy"
    assert (await client.get("/api/v1/health/live")).status_code == 200


async def _after_restore(app, client, auth: dict[str, str], pg_url) -> None:
    """Same app, no restart: everything answers again, and the failed logout/refresh left no trace."""
    ready = await client.get("/api/v1/health/ready")
    assert ready.status_code == 200, ready.text
    assert jti(app.state.settings, auth) not in revoked_jtis(pg_url)
    # The token whose logout and refresh failed is still valid here (not half-revoked in this process).
    assert (await client.get("/api/v1/auth/me", headers=auth)).status_code == 200
    assert (await client.get("/api/v1/forecasts/dashboard", headers=auth)).status_code == 200
    fresh = await login(client)
    refreshed = await client.post("/api/v1/auth/refresh", headers=fresh)
    assert refreshed.status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=auth)).status_code == 200
    assert {jti(app.state.settings, auth), jti(app.state.settings, fresh)} <= revoked_jtis(pg_url)
    assert (await client.get("/api/v1/auth/me", headers=auth)).status_code == 401


async def test_cut_gives_bounded_503s_and_recovers_without_restart(outage_app, proxy, pg_url):
    app, client = outage_app
    auth = await login(client)
    assert (await client.get("/api/v1/forecasts/dashboard", headers=auth)).status_code == 200
    proxy.cut()
    await _during_outage(client, auth)
    # Still down a while later (nothing cached a success), then back.
    assert_unavailable(*await timed(client.get("/api/v1/auth/me", headers=auth)))
    proxy.restore()
    await _after_restore(app, client, auth, pg_url)


async def test_blackhole_fails_within_the_timeouts_instead_of_hanging(outage_app, proxy, pg_url):
    app, client = outage_app
    auth = await login(client)
    await client.get("/api/v1/auth/me", headers=auth)  # pooled connections exist: they will hang, not fail
    proxy.blackhole()
    await _during_outage(client, auth)
    assert app.state.engine.connection_watchdog.cuts >= 1  # a pooled connection was cut by the watchdog
    proxy.restore()
    await _after_restore(app, client, auth, pg_url)


async def test_statement_timeout_gives_a_503(pg_clean, fault_settings, results_dir):
    """A query blocked behind a lock is cancelled by statement_timeout (1 s), not waited on."""
    app = create_app(fault_settings(pg_clean))
    locker = create_engine(pg_clean)
    try:
        async for client in plain_client(app):
            with locker.connect() as conn:
                conn.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
                payload = {"username": "alice", "password": PASSWORD}
                response, elapsed = await timed(client.post("/api/v1/auth/login", json=payload))
                conn.rollback()
            assert_unavailable(response, elapsed)
            assert elapsed >= 0.9
            assert (await client.post("/api/v1/auth/login", json=payload)).status_code == 401
    finally:
        locker.dispose()
