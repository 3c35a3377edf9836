"""Redis cut in the middle of a login flood: no login becomes a 500, throttling goes on in-process, and
Redis is asked again once the fallback period is over."""

from __future__ import annotations

import secrets
from dataclasses import replace

import redis

from api.bootstrap import create_user
from api.main import create_app
from api.services.throttle import FallbackThrottle, MemoryThrottle, RedisThrottle, throttle_key
from api.state import app_state, install_app_state
from servicekit import counters
from testkit.clocks import ManualClock
from testkit.services import require_redis
from testkit.tcp_proxy import TcpProxy
from tests.conftest import PASSWORD, _client_for

REDIS = "redis://127.0.0.1:6379/15"
PERIOD = 30.0


class _Warnings:
    """Stands in for the logger of the kit's counters, which warns of the outage. (structlog.testing.capture_logs would leave loggers
    first used inside it cached with its processors, and later tests' log lines would go nowhere.)"""

    def __init__(self) -> None:
        self.events: list[str] = []

    def warning(self, event: str, **_: object) -> None:
        self.events.append(event)


async def test_a_redis_cut_mid_run_degrades_to_the_in_process_throttle_and_never_to_a_500(
    make_settings, recorder, monkeypatch
):
    require_redis(REDIS)  # skipped without one, except under CI=true: a failure
    username = f"cut-{secrets.token_hex(4)}"
    key = throttle_key(username, "127.0.0.1")
    with TcpProxy("127.0.0.1", 6379) as proxy:
        settings = make_settings(redis_url=f"redis://127.0.0.1:{proxy.port}/15", login_max_failures=3)
        app = create_app(settings)
        with app_state(app).session_factory() as session, session.begin():
            create_user(session, username, f"{username}@example.com", PASSWORD)
        clock = ManualClock()
        throttle = FallbackThrottle(
            RedisThrottle(settings, settings.redis_url.get_secret_value()),
            MemoryThrottle(settings, clock),
            PERIOD,
            clock=clock,
        )
        install_app_state(app, replace(app_state(app), login_throttle=throttle))
        direct = redis.Redis.from_url(REDIS)

        async def login(password: str) -> int:
            response = await client.post("/api/v1/auth/login", json={"username": username, "password": password})
            return response.status_code

        try:
            async for client in _client_for(app, recorder):
                assert await login("wrong") == 401
                assert int(direct.get(f"login:fail:{key}")) == 1  # counted in Redis while it answers

                proxy.cut()
                warnings = _Warnings()
                monkeypatch.setattr(counters, "log", warnings)
                assert [await login("wrong"), await login(PASSWORD)] == [401, 200]  # not 500
                statuses = [await login("wrong") for _ in range(4)]
                assert statuses[:3] == [401, 401, 401] and statuses[3] == 429  # counted in-process
                # Once per period, not once per login.
                assert warnings.events.count("login_throttle_store_unavailable") == 1

                proxy.restore()
                clock.advance(PERIOD + 1)
                app_state(app).login_throttle.fallback.reset(key)
                assert await login("wrong") == 401
                assert int(direct.get(f"login:fail:{key}")) == 2  # Redis is asked again after the period
        finally:
            direct.delete(f"login:fail:{key}", f"login:lock:{key}")
            direct.close()
