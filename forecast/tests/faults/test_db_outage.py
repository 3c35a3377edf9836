"""Database outage: the API's Postgres sits behind a TCP proxy the test cuts, blackholes and restores.

DB-backed requests (login, /auth/me, reads whose token must be re-checked: AUTH_CACHE_SECONDS=0) get a
503 ErrorResponse instead of hanging, readiness says unhealthy, a logout or refresh that could not
commit leaves nothing half-revoked, and the same app instance recovers once the proxy is back.

No assertion here is on a duration: which bound ended a wait is shown by behaviour (the watchdog's
cut count, a query seen waiting on a lock), and HANG_BOUND_SECONDS only turns a hang into a failure.
How fast the 503s come is a benchmark's question.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import create_engine, select, text

from api.db.models import RevokedToken
from api.main import create_app
from api.security import decode_access_token
from api.state import app_state
from servicekit.errors import ErrorResponse
from tests.conftest import PASSWORD
from tests.faults.conftest import plain_client
from tests.support.runs import publish_fixture_run

# The configured bounds (connect 1 s, hard timeout 2 s, pool wait 1 s) end a wait in seconds; a
# blackholed socket without them waits forever. This deadline only tells the two apart.
HANG_BOUND_SECONDS = 60.0


@pytest.fixture
async def outage_app(pg_clean, proxy, fault_settings, results_dir):
    publish_fixture_run(results_dir, "run-a")
    app = create_app(fault_settings(pg_clean.set(host="127.0.0.1", port=proxy.port)))
    from api.bootstrap import create_user

    with app_state(app).session_factory() as session, session.begin():
        create_user(session, "alice", "alice@example.com", PASSWORD)
    async for client in plain_client(app):
        yield app, client


async def answered(coro):
    """The response, failing (instead of hanging the suite) if none comes."""
    return await asyncio.wait_for(coro, HANG_BOUND_SECONDS)


def assert_unavailable(response) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    ErrorResponse.model_validate(body)
    assert body["error"] == "database_unavailable" and body["status_code"] == 503
    assert "postgres" not in response.text.lower() and "127.0.0.1" not in response.text


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
    """Every DB-backed request, concurrently: each answered, with a 503 in the error shape."""
    calls = [
        answered(client.request(method, path, json=body, headers=auth if needs_auth else None))
        for method, path, body, needs_auth in DB_REQUESTS
    ]
    for response in await asyncio.gather(*calls):
        assert_unavailable(response)
    ready = await answered(client.get("/api/v1/health/ready"))
    assert ready.status_code == 503
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
    assert jti(app_state(app).settings, auth) not in revoked_jtis(pg_url)
    # The token whose logout and refresh failed is still valid here (not half-revoked in this process).
    assert (await client.get("/api/v1/auth/me", headers=auth)).status_code == 200
    assert (await client.get("/api/v1/forecasts/dashboard", headers=auth)).status_code == 200
    fresh = await login(client)
    refreshed = await client.post("/api/v1/auth/refresh", headers=fresh)
    assert refreshed.status_code == 200
    assert (await client.post("/api/v1/auth/logout", headers=auth)).status_code == 200
    assert {jti(app_state(app).settings, auth), jti(app_state(app).settings, fresh)} <= revoked_jtis(pg_url)
    assert (await client.get("/api/v1/auth/me", headers=auth)).status_code == 401


async def test_cut_gives_bounded_503s_and_recovers_without_restart(outage_app, proxy, pg_url):
    app, client = outage_app
    auth = await login(client)
    assert (await client.get("/api/v1/forecasts/dashboard", headers=auth)).status_code == 200
    proxy.cut()
    await _during_outage(client, auth)
    # Still down a while later (nothing cached a success), then back.
    assert_unavailable(await answered(client.get("/api/v1/auth/me", headers=auth)))
    proxy.restore()
    await _after_restore(app, client, auth, pg_url)


async def test_blackhole_fails_within_the_timeouts_instead_of_hanging(outage_app, proxy, pg_url):
    app, client = outage_app
    auth = await login(client)
    await client.get("/api/v1/auth/me", headers=auth)  # pooled connections exist: they will hang, not fail
    proxy.blackhole()
    await _during_outage(client, auth)
    assert app_state(app).engine.connection_watchdog.cuts >= 1  # a pooled connection was cut by the watchdog
    proxy.restore()
    await _after_restore(app, client, auth, pg_url)


def waiting_for_the_users_lock(conn) -> int:
    """Sessions queued behind a lock on the users table (pg_locks is read live, not snapshotted)."""
    return conn.scalar(
        text(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'users' AND NOT l.granted"
        )
    )


async def test_statement_timeout_cancels_a_query_blocked_behind_a_lock(pg_clean, fault_settings, results_dir):
    """The login is seen queued behind the lock and answers 503 while the lock is still held: the server
    cancelled it (statement_timeout), and the watchdog, the other bound, never had to cut."""
    # A hard timeout far above the statement timeout, so only statement_timeout can end the wait.
    app = create_app(fault_settings(pg_clean, db_statement_timeout_ms=3000, db_hard_timeout_seconds=30))
    payload = {"username": "alice", "password": PASSWORD}
    locker = create_engine(pg_clean)
    try:
        async for client in plain_client(app):
            with locker.connect() as conn:
                conn.execute(text("LOCK TABLE users IN ACCESS EXCLUSIVE MODE"))
                login = asyncio.ensure_future(client.post("/api/v1/auth/login", json=payload))
                deadline = time.monotonic() + HANG_BOUND_SECONDS
                while not waiting_for_the_users_lock(conn) and not login.done():
                    assert time.monotonic() < deadline, "the login never reached the lock"
                    await asyncio.sleep(0.02)  # polling step
                assert not login.done(), login.result().text  # it failed before it ever waited
                response = await answered(login)
                conn.rollback()  # the lock is released only now, after the answer
            assert_unavailable(response)
            assert app_state(app).engine.connection_watchdog.cuts == 0
            assert (await client.post("/api/v1/auth/login", json=payload)).status_code == 401
    finally:
        locker.dispose()
