"""Per-user rate limit on /predict + /whatif: 429 in the error shape with Retry-After, shared by
replicas (Redis or the database), atomic under concurrency, no row for a limited request, and a
Redis outage fails open instead of taking the API down."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

import anyio
import pytest
import redis

from app.api.state import app_state, install_app_state
from app.core.config import Settings, parse_rate
from app.db.engine import create_db_engine
from app.db.rate_limits import DatabaseBackend
from app.services.rate_limiting import REDIS_PREFIX
from servicekit.counters import MemoryCounter, RedisBackend
from servicekit.ratelimit import RateLimited, RateLimiter
from testkit.clocks import ManualClock, without_hanging

from .conftest import TcpProxy, assert_error_shape
from authkit import bearer, make_token
from students import STUDENT

PREDICT = {"cod_persona": 1, "cod_curso": "CS2H1", "features": STUDENT}
WHATIF = {**PREDICT, "deltas": {"AVG_NG": 1}}


def _headers(user: uuid.UUID) -> dict[str, str]:
    return bearer(make_token(user=user))


@pytest.fixture(params=["database", "redis"])
def backend_settings(request) -> dict[str, object]:
    if request.param == "redis":
        return {"rate_limit_backend": "auto", "redis_url": request.getfixturevalue("redis_url")}
    return {"rate_limit_backend": "auto", "redis_url": None}


async def test_over_the_limit_is_429_with_retry_after_and_stores_nothing(
    make_client, backend_settings, fresh_user, count_rows
):
    headers = _headers(fresh_user)
    async with make_client(rate_limit_predict="3/hour", **backend_settings) as client:
        expected = "redis" if backend_settings["redis_url"] else "database"
        # predict and whatif share one budget
        for path, body in (("/predict", PREDICT), ("/whatif", WHATIF), ("/predict", PREDICT)):
            assert (await client.post(f"/api/v1{path}", json=body, headers=headers)).status_code == 200
        assert app_state(client.app).rate_limiter.backend.name == expected
        for path, body in (("/predict", PREDICT), ("/whatif", WHATIF)):
            response = await client.post(f"/api/v1{path}", json=body, headers=headers)
            assert_error_shape(response, 429, "rate_limited")
            assert 1 <= int(response.headers["retry-after"]) <= 3600
            assert response.headers["x-ratelimit-limit"] == "3"
        # Other users and other endpoints are not affected.
        other = _headers(uuid.uuid4())
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=other)).status_code == 200
        assert (await client.get("/api/v1/history", headers=headers)).status_code == 200
    assert count_rows() == 4


async def test_replicas_share_one_budget(make_client, backend_settings, fresh_user, count_rows):
    headers = _headers(fresh_user)
    settings = {"rate_limit_predict": "4/hour", **backend_settings}
    async with make_client(**settings) as replica_a, make_client(**settings) as replica_b:
        assert replica_a.app is not replica_b.app
        statuses = []
        for client in (replica_a, replica_b, replica_a, replica_b, replica_a, replica_b):
            statuses.append((await client.post("/api/v1/predict", json=PREDICT, headers=headers)).status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert count_rows() == 4


async def test_concurrent_requests_never_exceed_the_limit(make_client, backend_settings, fresh_user, count_rows):
    headers = _headers(fresh_user)
    async with make_client(rate_limit_predict="10/hour", **backend_settings) as client:
        responses = await asyncio.gather(
            *(client.post("/api/v1/predict", json=PREDICT, headers=headers) for _ in range(40))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) == 10 and statuses.count(429) == 30, statuses
    assert count_rows() == 10


async def test_a_redis_outage_fails_open_and_asks_redis_once_per_fail_open_period(
    make_client, redis_url, fresh_user, count_rows, count_calls
):
    proxy = TcpProxy("127.0.0.1", 6379)
    clock = ManualClock()  # the fail-open period ends when the test says so, not after a sleep
    asked = count_calls(redis.client.Pipeline, "execute")  # one call per request sent to Redis
    try:
        url = f"redis://127.0.0.1:{proxy.start()}/15"
        headers = _headers(fresh_user)
        async with make_client(rate_limit_predict="2/hour", redis_url=url) as client:
            # The limiter the app would build from these settings, with a clock the test controls.
            backend = RedisBackend.from_url(url, timeout=0.2, fail_open_seconds=30, prefix=REDIS_PREFIX, clock=clock)
            install_app_state(client.app, replace(app_state(client.app), rate_limiter=RateLimiter(backend, 2, 3600)))
            post = lambda: client.post("/api/v1/predict", json=PREDICT, headers=headers)  # noqa: E731
            assert [(await post()).status_code for _ in range(3)] == [200, 200, 429]

            for mode in (proxy.blackhole, proxy.cut):  # hung Redis, then refused connections
                mode()
                before = asked["n"]
                statuses = [(await without_hanging(post(), mode.__name__)).status_code for _ in range(5)]
                assert statuses == [200] * 5, statuses  # fail open: the API stays up
                # One Redis attempt (one timeout at most) per fail-open period, not one per request.
                assert asked["n"] - before == 1, (mode.__name__, asked["n"] - before)
                proxy.restore()
                clock.advance(31)  # the fail-open period ends

            # Limiting resumes with the same counter.
            assert (await post()).status_code == 429
    finally:
        proxy.stop()
    assert count_rows() == 12


@pytest.mark.postgres  # the count is part of the write only on PostgreSQL
async def test_on_postgres_the_write_itself_counts_and_a_limited_request_changes_nothing(
    make_client, fresh_user, clean_db, count_rows
):
    from sqlalchemy import text

    async with make_client(rate_limit_predict="2/hour", redis_url=None) as client:
        first = bearer(make_token(user=fresh_user, email="old@example.com"))
        # A malformed body is rejected before anything is counted.
        bad = {**PREDICT, "features": {**STUDENT, "AVG_NG": "twelve"}}
        assert (await client.post("/api/v1/predict", json=bad, headers=first)).status_code == 422
        for _ in range(2):
            assert (await client.post("/api/v1/predict", json=PREDICT, headers=first)).status_code == 200
        assert app_state(client.app).rate_limiter.counts_in_write
        renamed = bearer(make_token(user=fresh_user, email="new@example.com"))
        response = await client.post("/api/v1/whatif", json=WHATIF, headers=renamed)
        assert_error_shape(response, 429, "rate_limited")
    with clean_db.connect() as conn:
        email = conn.execute(text("SELECT email FROM users WHERE id = :id"), {"id": fresh_user}).scalar_one()
        counted = conn.execute(text("SELECT count FROM rate_limits")).scalar_one()
    assert email == "old@example.com"  # the limited request did not refresh the user either
    assert counted == 3 and count_rows() == 2


async def test_limit_zero_disables_it(make_client, fresh_user):
    async with make_client(rate_limit_predict="0") as client:
        for _ in range(5):
            response = await client.post("/api/v1/predict", json=PREDICT, headers=_headers(fresh_user))
            assert response.status_code == 200
        assert app_state(client.app).rate_limiter is None


async def test_a_burst_over_the_limit_is_all_429_even_with_a_tiny_pool(
    make_client, backend_settings, fresh_user, count_rows
):
    # A limited request must give its pooled connection back as soon as its statement is done:
    # with one connection and 80 concurrent limited requests, anything else queues into pool
    # timeouts (503).
    headers = _headers(fresh_user)
    tiny_pool = {"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_seconds": 3}
    async with make_client(rate_limit_predict="1/hour", **tiny_pool, **backend_settings) as client:
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=headers)).status_code == 200
        burst = asyncio.gather(*(client.post("/api/v1/predict", json=PREDICT, headers=headers) for _ in range(80)))
        responses = await without_hanging(burst, "80 limited requests")
    # A limited request that kept its connection would leave the others to the pool timeout: 503.
    assert sorted({r.status_code for r in responses}) == [429], [r.status_code for r in responses]
    assert count_rows() == 1


@pytest.mark.postgres  # the early refusal follows a count made by the write (PostgreSQL)
async def test_once_over_the_limit_later_requests_are_refused_before_any_work(
    make_client, fresh_user, clean_db, count_rows, count_calls
):
    from sqlalchemy import text

    from app.services.inference import ModelEngine

    headers = _headers(fresh_user)
    async with make_client(rate_limit_predict="1/hour", redis_url=None) as client:
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=headers)).status_code == 200
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=headers)).status_code == 429
        scored = count_calls(ModelEngine, "predict")
        for _ in range(5):
            response = await client.post("/api/v1/predict", json=PREDICT, headers=headers)
            assert_error_shape(response, 429, "rate_limited")
            assert 1 <= int(response.headers["retry-after"]) <= 3600
    with clean_db.connect() as conn:
        counted = conn.execute(text("SELECT count FROM rate_limits")).scalar_one()
    assert scored["n"] == 0  # no inference for a caller known to be over the limit
    assert counted == 2 and count_rows() == 1  # and no round trip to count them either


def test_a_key_seen_over_the_limit_is_refused_until_its_window_ends():
    now = {"t": 1_000_000.0}  # a window of 60 s starts at 999,960
    limiter = RateLimiter(MemoryCounter(), 2, 60, clock=lambda: now["t"])
    limiter.quota("s", "u").enforce(2)  # at the limit: fine, nothing remembered
    assert limiter.quota("s", "u").key == "s:u"
    with pytest.raises(RateLimited):
        limiter.quota("s", "u").enforce(3)
    now["t"] += 10
    with pytest.raises(RateLimited) as refused:
        limiter.quota("s", "u")  # refused before any counting
    assert refused.value.headers["Retry-After"] == "10"
    assert limiter.quota("s", "other").key == "s:other"
    now["t"] += 10  # the next window
    assert limiter.quota("s", "u").window_start == 1_000_020


# -- the backends directly -----------------------------------------------------------------------


async def test_database_backend_counts_atomically_and_resets_per_window(clean_db, settings_factory):
    engine = create_db_engine(settings_factory())
    backend = DatabaseBackend(engine, fail_open_seconds=1)

    async def hit(key: str, window_start: int) -> int | None:  # as the limiter calls it: from a worker thread
        return await anyio.to_thread.run_sync(backend.hit, key, window_start, 60)

    assert [await hit("k", 600) for _ in range(3)] == [1, 2, 3]
    assert await hit("k", 660) == 1  # next window: same row, reset
    assert await hit("k", 600) == 2  # a replica with a slower clock counts in the newest window
    assert await hit("other", 660) == 1
    await engine.dispose()
    with clean_db.connect() as conn:
        from sqlalchemy import text

        assert conn.execute(text("SELECT count(*) FROM rate_limits")).scalar_one() == 2


def test_limiter_windows_and_retry_after():
    now = {"t": 1_000_000.25}
    limiter = RateLimiter(MemoryCounter(), 2, 60, clock=lambda: now["t"])
    first, second, third = (limiter.check("s", "u") for _ in range(3))
    assert first.allowed and second.allowed and not third.allowed
    assert third.retry_after == 60 - int(1_000_000.25 % 60)  # until the window ends, rounded up
    now["t"] += 60
    assert limiter.check("s", "u").allowed


def test_redis_backend_fails_open_on_a_dead_server_and_retries_after_the_period(count_calls):
    clock = ManualClock()
    asked = count_calls(redis.client.Pipeline, "execute")
    backend = RedisBackend.from_url(
        "redis://127.0.0.1:1/0", timeout=0.2, fail_open_seconds=5, prefix=REDIS_PREFIX, clock=clock
    )
    assert backend.hit("k", 0, 60) is None
    assert backend.hit("k", 0, 60) is None  # inside the fail-open period: not even tried
    assert asked["n"] == 1
    clock.advance(5)
    assert backend.hit("k", 0, 60) is None  # the period is over: tried again, still down
    assert asked["n"] == 2


def test_rate_settings_parse_and_refuse_bad_values(settings_factory):
    assert parse_rate("60/minute") == (60, 60)
    assert parse_rate("100/30s") == (100, 30)
    assert parse_rate("off") is None and parse_rate("0") is None
    for bad in ("60/min", "sixty/minute", "10/0s"):
        with pytest.raises(ValueError):
            parse_rate(bad)
    with pytest.raises(ValueError):
        settings_factory(rate_limit_predict="lots")
    with pytest.raises(ValueError):
        settings_factory(rate_limit_backend="redis", redis_url=None)
    settings: Settings = settings_factory(rate_limit_predict="5/second")
    assert settings.rate_limit == (5, 1)
    assert "redis://" not in repr(settings_factory(redis_url="redis://:secret@host:6379/0"))
