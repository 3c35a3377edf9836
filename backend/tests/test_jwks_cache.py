"""JWKS caching: outages, key rotation and the unknown-kid refetch cooldown."""

from __future__ import annotations

import threading
import uuid

import pytest

from app.core.jwks import JWKSCache, JWKSUnavailable, UnknownKeyError
from testkit.clocks import ManualClock

from authkit import ES_ROTATED_KEY, ROTATED_KID, bearer, default_jwks, make_token, public_jwk


async def test_cached_keys_keep_working_while_the_jwks_endpoint_is_down(make_client, jwks_server):
    # A TTL of ~0 forces a refetch attempt on every request; the outage must not wipe the cache.
    async with make_client(jwks_cache_ttl_seconds=0.001, jwks_refetch_cooldown_seconds=0) as client:
        assert (await client.get("/api/v1/auth/me", headers=bearer(make_token()))).status_code == 200
        jwks_server.up = False
        for _ in range(3):
            response = await client.get("/api/v1/auth/me", headers=bearer(make_token()))
            assert response.status_code == 200
    assert jwks_server.fetches >= 2


async def test_unreachable_jwks_without_a_cached_key_is_503(make_client, jwks_server):
    jwks_server.up = False
    async with make_client() as client:
        response = await client.get("/api/v1/auth/me", headers=bearer(make_token()))
    assert response.status_code == 503
    assert response.json()["error"] == "auth_unavailable"
    assert response.json()["status_code"] == 503
    assert int(response.headers["retry-after"]) >= 1


async def test_refused_connection_without_a_cached_key_is_503(make_client):
    async with make_client(supabase_jwks_url="http://127.0.0.1:9/auth/v1/.well-known/jwks.json") as client:
        response = await client.get("/api/v1/auth/me", headers=bearer(make_token()))
    assert response.status_code == 503


async def test_unknown_kids_trigger_at_most_one_refetch_per_cooldown(make_client, jwks_server):
    async with make_client(jwks_refetch_cooldown_seconds=60) as client:
        assert (await client.get("/api/v1/auth/me", headers=bearer(make_token()))).status_code == 200
        for _ in range(10):
            token = make_token(kid=f"random-{uuid.uuid4()}", key=ES_ROTATED_KEY)
            assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401
    assert jwks_server.fetches == 1


async def test_a_rotated_key_is_picked_up_by_refetching_after_the_cooldown(make_client, jwks_server):
    async with make_client(jwks_refetch_cooldown_seconds=0) as client:
        assert (await client.get("/api/v1/auth/me", headers=bearer(make_token()))).status_code == 200
        jwks_server.document = {"keys": [*default_jwks()["keys"], public_jwk(ES_ROTATED_KEY, ROTATED_KID)]}
        rotated = make_token(kid=ROTATED_KID, key=ES_ROTATED_KEY)
        assert (await client.get("/api/v1/auth/me", headers=bearer(rotated))).status_code == 200
        # The old key is still valid during rotation.
        assert (await client.get("/api/v1/auth/me", headers=bearer(make_token()))).status_code == 200
    assert jwks_server.fetches == 2


def _cache(fetch, clock, ttl=600.0, cooldown=30.0) -> JWKSCache:
    return JWKSCache(fetch, ttl_seconds=ttl, cooldown_seconds=cooldown, source="test", clock=clock)


def test_cooldown_limits_refetches_and_then_allows_one():
    clock, calls = ManualClock(), []

    def fetch():
        calls.append(clock.now)
        return default_jwks()

    cache = _cache(fetch, clock)
    assert cache.get_key("es-key-1").algorithm == "ES256"
    for _ in range(5):
        with pytest.raises(UnknownKeyError):
            cache.get_key("rotated")
    assert len(calls) == 1
    clock.now += 31
    with pytest.raises(UnknownKeyError):
        cache.get_key("rotated")
    assert len(calls) == 2


def test_revoked_keys_disappear_after_the_ttl_refresh():
    clock = ManualClock()
    documents = [default_jwks(), {"keys": [public_jwk(ES_ROTATED_KEY, ROTATED_KID)]}]
    cache = _cache(lambda: documents[0], clock, ttl=60)
    cache.get_key("es-key-1")
    documents[0] = documents[1]
    clock.now += 61
    with pytest.raises(UnknownKeyError):
        cache.get_key("es-key-1")
    assert cache.get_key(ROTATED_KID).algorithm == "ES256"


def test_a_slow_refresh_does_not_hold_up_tokens_signed_by_a_known_key():
    clock, release, started = ManualClock(), threading.Event(), threading.Event()
    fetches = {"n": 0}

    def fetch():
        fetches["n"] += 1
        if fetches["n"] > 1:  # the TTL refresh hangs until the test lets it finish
            started.set()
            release.wait(60)  # only bounds a hang if the test fails before releasing it
        return default_jwks()

    cache = _cache(fetch, clock, ttl=60, cooldown=0)
    cache.get_key("es-key-1")
    clock.now += 61
    refresher = threading.Thread(target=cache.get_key, args=("es-key-1",))
    refresher.start()
    assert started.wait(30)
    assert cache.get_key("es-key-1").algorithm == "ES256"  # the stale key, at once
    assert cache.get_key("rs-key-1").algorithm == "RS256"
    # Served while the refresh is still in flight: had they queued behind it, they would have
    # returned only once the fetch gave up (60 s) and the refresher had finished.
    assert refresher.is_alive() and fetches["n"] == 2
    release.set()
    refresher.join(30)
    assert not refresher.is_alive()


def test_failed_first_fetch_is_unavailable_not_unknown():
    def fetch():
        raise OSError("down")

    cache = _cache(fetch, ManualClock())
    with pytest.raises(JWKSUnavailable):
        cache.get_key("es-key-1")
    with pytest.raises(JWKSUnavailable):  # within the cooldown: no new attempt, still 503
        cache.get_key("es-key-1")


def test_unusable_keys_are_skipped():
    from app.core.jwks import parse_jwks

    keys = parse_jwks(
        {
            "keys": [
                {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
                {**public_jwk(ES_ROTATED_KEY, "enc"), "use": "enc"},
                {**public_jwk(ES_ROTATED_KEY, "lying"), "alg": "RS256"},
                {"kty": "EC", "crv": "P-256", "x": "bad", "y": "bad", "kid": "broken"},
                public_jwk(ES_ROTATED_KEY, "good"),
            ]
        }
    )
    assert list(keys) == ["good"]
