"""Guessing one account's password from many addresses: the account backs off exponentially (1, 2, 4 …
seconds, capped), whatever the address; its owner gets in after a short wait, not a long lockout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
from sqlalchemy import update

from api.db.models import LoginFailure
from api.main import create_app
from api.services.throttle import account_backoff_seconds, account_lock_key
from api.state import app_state
from servicekit.timestamps import utc_now
from tests.conftest import PASSWORD

LOGIN = "/api/v1/auth/login"


@asynccontextmanager
async def _from_addresses(app) -> AsyncIterator:
    """``post(address, body)``: a login as sent from that client address."""
    async with app.router.lifespan_context(app):
        clients: dict[str, httpx.AsyncClient] = {}

        async def post(address: str, body: dict) -> httpx.Response:
            if address not in clients:
                clients[address] = httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, client=(address, 40000)), base_url="http://test"
                )
            return await clients[address].post(LOGIN, json=body)

        try:
            yield post
        finally:
            for client in clients.values():
                await client.aclose()


def _wait_is_over(app, username: str) -> None:
    """What time would do: the account's current wait has run out (no sleeping in tests)."""
    with app_state(app).session_factory() as session, session.begin():
        session.execute(
            update(LoginFailure)
            .where(LoginFailure.key == account_lock_key(username))
            .values(locked_until=utc_now() - timedelta(seconds=1))
        )


def test_the_account_wait_doubles_past_the_threshold_and_is_capped():
    assert [account_backoff_seconds(n, after=5, cap=8) for n in range(3, 11)] == [None, None, 1, 2, 4, 8, 8, 8]


async def test_guesses_spread_over_many_addresses_are_slowed_and_the_owner_still_gets_in(make_settings, user):
    app = create_app(make_settings(login_account_backoff_after=5, login_account_backoff_max_seconds=60))
    wrong = {"username": "alice", "password": "guess"}
    async with _from_addresses(app) as post:
        statuses = [(await post(f"203.0.113.{n}", wrong)).status_code for n in range(20)]
        # Four failures pass; the fifth starts a 1 s wait that every address then meets.
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}, statuses

        owner = await post("198.51.100.7", {"username": "alice", "password": PASSWORD})
        assert owner.status_code == 429 and int(owner.headers["retry-after"]) <= 1  # a short wait

        _wait_is_over(app, "alice")
        assert (await post("203.0.113.99", wrong)).status_code == 401  # the sixth failure: a 2 s wait
        retried = await post("198.51.100.7", {"username": "alice", "password": PASSWORD})
        assert retried.status_code == 429 and 1 <= int(retried.headers["retry-after"]) <= 2

        _wait_is_over(app, "alice")
        assert (await post("198.51.100.7", {"username": "alice", "password": PASSWORD})).status_code == 200
        # The owner's login cleared the count: the next guess is the first again, no wait.
        assert (await post("203.0.113.50", wrong)).status_code == 401
        assert (await post("203.0.113.51", wrong)).status_code == 401
