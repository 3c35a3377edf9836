"""JWKS faults through the real loopback JWKS server (counting its fetches): floods of random kids,
an outage during a flood, and rotation after a flood. The single-request cases (outage, rotation
with no cooldown, cooldown arithmetic) live in tests/test_jwks_cache.py."""

from __future__ import annotations

import asyncio
import time
import uuid

from authkit import ES_ROTATED_KEY, ROTATED_KID, bearer, default_jwks, make_token, public_jwk

from .conftest import assert_error_shape

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
        started = time.perf_counter()
        statuses = await _flood(client, 500)
        elapsed = time.perf_counter() - started
        # Real tokens keep working throughout.
        assert (await client.get(ME, headers=bearer(make_token()))).status_code == 200
    assert set(statuses) == {401}
    # One fetch to learn the keys; every unknown kid after that is inside the cooldown.
    assert jwks_server.fetches <= 2, jwks_server.fetches
    print(f"500 random kids: {jwks_server.fetches} JWKS fetches, {elapsed:.2f}s")


async def test_a_flood_while_the_jwks_is_down_keeps_cached_keys_and_does_not_hammer_it(
    make_client, jwks_server
):
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


async def test_a_rotated_key_is_accepted_once_published_even_after_a_flood(make_client, jwks_server):
    cooldown = 0.5
    async with make_client(jwks_refetch_cooldown_seconds=cooldown) as client:
        await _flood(client, 100)
        rotated = make_token(kid=ROTATED_KID, key=ES_ROTATED_KEY)
        # Not published yet: an unknown key.
        time.sleep(cooldown + 0.05)
        assert_error_shape(await client.get(ME, headers=bearer(rotated)), 401, "unauthorized")

        jwks_server.document = {"keys": [*default_jwks()["keys"], public_jwk(ES_ROTATED_KEY, ROTATED_KID)]}
        fetches_at_publish = jwks_server.fetches
        # Accepted at the latest one cooldown after publication.
        deadline = time.monotonic() + cooldown + 1.0
        while True:
            response = await client.get(ME, headers=bearer(rotated))
            if response.status_code == 200 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        assert response.status_code == 200, response.text
        assert (await client.get(ME, headers=bearer(make_token()))).status_code == 200  # old key too
    assert jwks_server.fetches - fetches_at_publish <= 2
