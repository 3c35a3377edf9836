"""The verified-token cache: a token that passed every check is trusted again for a short while
(never past its exp); anything else, one changed byte included, goes through full verification."""

from __future__ import annotations

import uuid

import jwt
import pytest

from app.api.state import app_state
from app.core.security import AuthError, Principal, TokenVerifier, VerifiedTokenCache

from authkit import bearer, make_token


def _principal(exp: float) -> Principal:
    return Principal(id=uuid.uuid4(), email=None, claims={"exp": exp})


def test_cached_token_is_trusted_until_max_age_then_forgotten():
    now = {"t": 1_000.0}
    cache = VerifiedTokenCache(60, clock=lambda: now["t"])
    principal = _principal(exp=10_000)
    cache.put("token", principal)
    assert cache.get("token") is principal
    now["t"] += 59.9
    assert cache.get("token") is principal
    now["t"] += 0.2
    assert cache.get("token") is None


def test_cached_token_is_never_trusted_past_its_exp():
    now = {"t": 1_000.0}
    cache = VerifiedTokenCache(600, clock=lambda: now["t"])
    cache.put("token", _principal(exp=1_010))
    assert cache.get("token") is not None
    now["t"] = 1_010
    assert cache.get("token") is None
    cache.put("late", _principal(exp=999))  # already expired: not stored at all
    assert cache.get("late") is None


def test_a_token_differing_by_one_byte_is_not_a_cache_hit():
    cache = VerifiedTokenCache(60)
    cache.put("header.payload.signature", _principal(exp=4_000_000_000))
    assert cache.get("header.payload.signaturf") is None
    assert cache.get("header.payload.signature ") is None


def test_max_age_zero_disables_the_cache():
    cache = VerifiedTokenCache(0)
    cache.put("token", _principal(exp=4_000_000_000))
    assert cache.get("token") is None


def test_a_full_cache_keeps_the_newest_tokens_and_stays_bounded():
    cache = VerifiedTokenCache(60, max_entries=10)
    for i in range(25):
        cache.put(f"token-{i}", _principal(exp=4_000_000_000))
    assert cache.get("token-24") is not None
    assert cache.get("token-0") is None
    assert len(cache._entries) <= 10


async def test_a_repeated_token_is_verified_once(client, count_calls):
    verifier: TokenVerifier = app_state(client.app).verifier
    calls = count_calls(TokenVerifier, "_verify")
    headers = bearer(make_token())
    for _ in range(3):
        assert (await client.get("/api/v1/auth/me", headers=headers)).status_code == 200
    assert calls["n"] == 1
    assert verifier.cached(headers["Authorization"].split()[1]) is not None


async def test_rejected_tokens_are_never_cached(client):
    token = make_token(aud="anon")
    for _ in range(2):
        response = await client.get("/api/v1/auth/me", headers=bearer(token))
        assert response.status_code == 401
    assert app_state(client.app).verifier.cached(token) is None


async def test_a_forged_token_with_a_cached_tokens_claims_is_rejected(client):
    token = make_token()
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 200
    head, payload, _ = token.split(".")
    forged = f"{head}.{payload}.{jwt.utils.base64url_encode(b'x' * 64).decode()}"
    response = await client.get("/api/v1/auth/me", headers=bearer(forged))
    assert response.status_code == 401


def test_verify_raises_for_an_empty_token_without_touching_the_cache(settings_factory):
    from app.core.security import build_auth

    verifier, _ = build_auth(settings_factory(auth_mode="local"))
    assert verifier.cached("") is None
    with pytest.raises(AuthError):
        verifier.verify("")
