"""GET /auth/me and token verification (real ES256/RS256/HS256 tokens, and forged ones)."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from authkit import (
    ES_KEY,
    ES_ROTATED_KEY,
    HS_SECRET,
    RS_KEY,
    USER_A,
    bearer,
    make_token,
    public_jwk,
)


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _alg_none_token() -> str:
    claims = {"sub": str(USER_A), "aud": "authenticated", "iss": "x", "exp": int(time.time()) + 60}
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def _hmac_with_public_key_token() -> str:
    # The classic confusion attack: HS256 keyed with the published EC public key (PEM).
    pem = ES_KEY.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": "es-key-1"})
    payload = _b64(
        {
            "sub": str(USER_A),
            "aud": "authenticated",
            "iss": "https://testref.supabase.co/auth/v1",
            "iat": int(time.time()),
            "exp": int(time.time()) + 60,
        }
    )
    import hashlib
    import hmac

    signature = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


def _tampered() -> str:
    head, payload, sig = make_token().split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["sub"] = str(uuid.uuid4())
    return f"{head}.{_b64(claims)}.{sig}"


def _legacy_anon_key() -> str:
    claims = {"iss": "supabase", "ref": "testref", "role": "anon", "iat": 1700000000, "exp": 4000000000}
    return jwt.encode(claims, HS_SECRET, algorithm="HS256")


FORGED = {
    "alg_none": _alg_none_token,
    "hmac_signed_with_public_key": _hmac_with_public_key_token,
    "wrong_audience": lambda: make_token(aud="anon"),
    "wrong_issuer": lambda: make_token(iss="https://evil.supabase.co/auth/v1"),
    "expired": lambda: make_token(exp=int(time.time()) - 120, iat=int(time.time()) - 900),
    "not_yet_valid": lambda: make_token(nbf=int(time.time()) + 600),
    "issued_in_the_future": lambda: make_token(iat=int(time.time()) + 600, exp=int(time.time()) + 1200),
    "missing_sub": lambda: make_token(drop=("sub",)),
    "non_uuid_sub": lambda: make_token(sub="not-a-uuid"),
    "undashed_uuid_sub": lambda: make_token(sub=str(USER_A).replace("-", "")),
    "urn_uuid_sub": lambda: make_token(sub=f"urn:uuid:{USER_A}"),
    "service_role_with_a_sub": lambda: make_token(role="service_role"),
    "anon_role_with_a_sub": lambda: make_token(role="anon"),
    "missing_role": lambda: make_token(drop=("role",)),
    "missing_exp": lambda: make_token(drop=("exp",)),
    "unknown_kid": lambda: make_token(kid="nobody-knows", key=ES_ROTATED_KEY),
    "signed_by_unpublished_key_with_known_kid": lambda: make_token(key=ES_ROTATED_KEY),
    "tampered_signature": _tampered,
    "hs256_wrong_secret": lambda: make_token("HS256", key="x" * 48),
    "legacy_anon_api_key": _legacy_anon_key,
    "rs256_header_with_ec_kid": lambda: make_token("RS256", kid="es-key-1"),
    "garbage": lambda: "not.a.jwt",
}


@pytest.mark.parametrize("alg", ["ES256", "RS256", "HS256"])
async def test_valid_token_returns_the_caller_and_creates_the_user_once(client, count_rows, alg):
    for _ in range(2):
        response = await client.get("/api/v1/auth/me", headers=bearer(make_token(alg)))
        assert response.status_code == 200
        assert response.json() == {"id": str(USER_A), "email": "a@example.com"}
    assert count_rows("users") == 1


async def test_audience_may_be_a_list(client):
    token = make_token(aud=["authenticated", "other"])
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 200


async def test_small_clock_skew_is_tolerated(client):
    token = make_token(exp=int(time.time()) - 3)
    assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 200


@pytest.mark.parametrize("name", sorted(FORGED))
async def test_forged_or_invalid_tokens_are_401_with_www_authenticate(client, count_rows, name):
    response = await client.get("/api/v1/auth/me", headers=bearer(FORGED[name]()))
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["error"] == "unauthorized" and body["status_code"] == 401
    assert count_rows("users") == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer " + "a" * 9000},
    ],
)
async def test_missing_or_malformed_authorization_is_401(client, headers):
    response = await client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_hs256_is_refused_when_no_legacy_secret_is_configured(make_client):
    async with make_client(supabase_jwt_secret=None) as client:
        response = await client.get("/api/v1/auth/me", headers=bearer(make_token("HS256")))
        ok = await client.get("/api/v1/auth/me", headers=bearer(make_token("ES256")))
    assert response.status_code == 401
    assert ok.status_code == 200


async def test_jwks_with_only_a_hs256_project_publishes_no_keys(make_client, jwks_server):
    jwks_server.document = {"keys": []}
    async with make_client() as client:
        assert (await client.get("/api/v1/auth/me", headers=bearer(make_token("HS256")))).status_code == 200
        assert (await client.get("/api/v1/auth/me", headers=bearer(make_token("ES256")))).status_code == 401


async def test_rs256_key_cannot_be_used_with_an_es256_header(make_client, jwks_server):
    jwks_server.document = {"keys": [public_jwk(RS_KEY, "shared-kid")]}
    async with make_client() as client:
        token = make_token("ES256", kid="shared-kid")
        assert (await client.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401
