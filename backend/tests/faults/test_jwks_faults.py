"""JWKS faults through the real loopback JWKS server (counting its fetches): floods of random kids,
an outage during a flood, and rotation after a flood. The single-request cases (outage, rotation
with no cooldown, cooldown arithmetic) live in tests/test_jwks_cache.py."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

from app.api.state import app_state, install_app_state
from app.core.jwks import JWKSCache, http_fetcher
from app.core.security import TokenVerifier
from testkit.clocks import ManualClock

from .conftest import assert_error_shape
from authkit import ES_ROTATED_KEY, ROTATED_KID, bearer, default_jwks, make_token, public_jwk

ME = "/api/v1/auth/me"


async def _flood(client, n: int, concurrency: int = 50) -> list[int]:
    statuses: list[int] = []
    for start in range(0, n, concurrency):
        batch = [
            client.get(ME, headers=bearer(make_token(kid=f"random-{uuid.uuid4()}", key=ES_ROTATED_KEY)))
            for _ in range(min(concurrency, n - start))
        ]
        statuses += [r.status_code for r in await asyncio.gather(*batch)]
    return statuses


async def test_a_flood_of_random_kids_is_at_most_one_fetch_per_cooldown(make_client, jwks_server):
    async with make_client(jwks_refetch_cooldown_seconds=30) as client:
        statuses = await _flood(client, 500)
        # Real tokens keep working throughout.
        assert (await client.get(ME, headers=bearer(make_token()))).status_code == 200
    assert set(statuses) == {401}
    # One fetch to learn the keys; every unknown kid after that is inside the cooldown.
    assert jwks_server.fetches <= 2, jwks_server.fetches


async def test_a_flood_while_the_jwks_is_down_keeps_cached_keys_and_does_not_hammer_it(make_client, jwks_server):
    # TTL ~0: every request would like a refresh; the cooldown must still bound the attempts.
    async with make_client(jwks_cache_ttl_seconds=0.001, jwks_refetch_cooldown_seconds=30) as client:
        assert (await client.get(ME, headers=bearer(make_token()))).status_code == 200
        jwks_server.up = False
        statuses = await _flood(client, 300)
        good = await asyncio.gather(*(client.get(ME, headers=bearer(make_token())) for _ in range(20)))
    # Unknown kids during an outage: we cannot tell a new key from garbage, so 503 or 401, never 5xx
    # other than the documented auth_unavailable, and never a 200.
    assert set(statuses) <= {401, 503}
    assert all(r.status_code == 200 for r in good)
    assert jwks_server.fetches <= 2, jwks_server.fetches


async def test_a_rotated_key_is_accepted_one_cooldown_after_publication_even_after_a_flood(make_client, jwks_server):
    cooldown, clock = 30.0, ManualClock()  # the cooldown passes when the test says so
    async with make_client(jwks_refetch_cooldown_seconds=cooldown) as client:
        # The app's verifier, with its JWKS cache on the test's clock.
        settings = app_state(client.app).settings
        cache = JWKSCache(
            http_fetcher(jwks_server.url, settings.jwks_fetch_timeout_seconds),
            ttl_seconds=settings.jwks_cache_ttl_seconds,
            cooldown_seconds=cooldown,
            source="supabase",
            clock=clock,
        )
        install_app_state(client.app, replace(app_state(client.app), verifier=TokenVerifier(settings, cache)))
        await _flood(client, 100)
        rotated = bearer(make_token(kid=ROTATED_KID, key=ES_ROTATED_KEY))
        clock.advance(cooldown)
        # Not published yet: refetched once the cooldown is over, and still an unknown key.
        assert_error_shape(await client.get(ME, headers=rotated), 401, "unauthorized")
        fetches_before_publication = jwks_server.fetches

        jwks_server.document = {"keys": [*default_jwks()["keys"], public_jwk(ES_ROTATED_KEY, ROTATED_KID)]}
        # Inside the cooldown the JWKS is not asked again, so the new key is not known yet.
        assert_error_shape(await client.get(ME, headers=rotated), 401, "unauthorized")
        assert jwks_server.fetches == fetches_before_publication
        clock.advance(cooldown)
        assert (await client.get(ME, headers=rotated)).status_code == 200
        assert (await client.get(ME, headers=bearer(make_token()))).status_code == 200  # old key too
    assert jwks_server.fetches == fetches_before_publication + 1
