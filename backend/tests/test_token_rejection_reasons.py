"""Why a token is turned away, as the 401/503 body says it, and how the verified-token cache makes
room. Written against the security mutants that survived `make mutants` (docs/mutation.md): the
suites checked the status codes, not which check fired, nor which cached tokens an eviction keeps."""

from __future__ import annotations

import json
import uuid
from types import SimpleNamespace

import jwt
import pytest

from app.api.state import app_state
from app.core import security
from app.core.jwks import JWKSUnavailable, UnknownKeyError, VerificationKey
from app.core.security import AuthError, Principal, TokenVerifier, VerifiedTokenCache
from servicekit.errors import APIError

from authkit import make_token


class StubJWKS:
    """One RSA key, "rsa-key"; every other kid is unknown, or the JWKS endpoint is down."""

    def __init__(self, down: bool = False):
        self.down = down

    def get_key(self, kid: str):
        if self.down:
            raise JWKSUnavailable()
        if kid == "rsa-key":
            return VerificationKey(kid, "RS256", key=None)
        raise UnknownKeyError(kid)


def _token(alg: str = "ES256", **header) -> str:
    # Only the header matters: the key is chosen before any signature or claim is checked.
    parts = [{"alg": alg, "typ": "JWT", **header}, {"sub": "x"}]
    encoded = [jwt.utils.base64url_encode(json.dumps(p).encode()).decode() for p in parts]
    return ".".join([*encoded, "c2ln"])


@pytest.fixture
def verifier(settings_factory):
    def make(*, hs_secret: bool = False, jwks_down: bool = False) -> TokenVerifier:
        settings = settings_factory(**({} if hs_secret else {"supabase_jwt_secret": None}))
        return TokenVerifier(settings, StubJWKS(down=jwks_down))

    return make


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (_token("none"), "Token algorithm is not accepted"),
        (_token("HS256"), "Token algorithm is not accepted"),  # no legacy secret configured
        (_token(), "Token has no valid key id"),
        (_token(kid=""), "Token has no valid key id"),
        (_token(kid="k" * 257), "Token has no valid key id"),
        (_token(kid="k" * 256), "Token was signed by an unknown key"),  # the longest kid we look up
        (_token("ES256", kid="rsa-key"), "Token algorithm does not match its key"),
    ],
    ids=["alg-none", "hs256-without-secret", "no-kid", "empty-kid", "kid-257", "kid-256", "es256-on-rsa-key"],
)
def test_a_rejected_token_says_which_check_it_failed(verifier, token, reason):
    with pytest.raises(AuthError) as caught:
        verifier().verify(token)
    assert caught.value.status_code == 401 and caught.value.message == reason


def test_signing_keys_that_cannot_be_fetched_are_a_503_with_a_retry_hint(verifier):
    with pytest.raises(APIError) as caught:
        verifier(jwks_down=True).verify(_token(kid="some-key"))
    err = caught.value
    assert (err.status_code, err.error, err.message) == (
        503,
        "auth_unavailable",
        "Signing keys are temporarily unavailable",
    )
    assert err.headers == {"Retry-After": "30"}  # the default refetch cooldown


async def test_verify_serves_a_recently_verified_token_from_its_cache(client, count_calls):
    # The request path asks cached() first, so only a direct caller of verify() relies on this.
    verifier: TokenVerifier = app_state(client.app).verifier
    calls = count_calls(TokenVerifier, "_verify")
    token = make_token()
    assert verifier.verify(token) is verifier.verify(token)
    assert calls["n"] == 1


def _principal(exp: float) -> Principal:
    return Principal(id=uuid.uuid4(), email=None, claims={"exp": exp})


def test_a_sub_second_max_age_still_caches():
    now = {"t": 1_000.0}
    cache = VerifiedTokenCache(0.5, clock=lambda: now["t"])
    cache.put("token", _principal(exp=10_000))
    now["t"] += 0.4
    assert cache.get("token") is not None


def test_a_full_cache_never_holds_more_than_max_entries():
    cache = VerifiedTokenCache(60, max_entries=10)
    for i in range(25):
        cache.put(f"token-{i}", _principal(exp=4_000_000_000))
        assert len(cache._entries) <= 10


def test_a_full_cache_of_live_tokens_keeps_the_newer_half():
    cache = VerifiedTokenCache(60, max_entries=10, clock=lambda: 1_000.0)
    for i in range(11):
        cache.put(f"token-{i}", _principal(exp=10_000))
    kept = [i for i in range(11) if cache.get(f"token-{i}") is not None]
    assert kept == [5, 6, 7, 8, 9, 10]


def test_a_full_cache_with_some_expired_tokens_drops_only_those():
    now = {"t": 1_000.0}
    cache = VerifiedTokenCache(60, max_entries=10, clock=lambda: now["t"])
    cache.put("token-0", _principal(exp=1_001))
    for i in range(1, 10):
        cache.put(f"token-{i}", _principal(exp=10_000))
    now["t"] = 1_002.0  # token-0 has expired: 9 live tokens, not "mostly live" (> 9 of 10)
    cache.put("token-10", _principal(exp=10_000))
    assert [i for i in range(11) if cache.get(f"token-{i}") is not None] == list(range(1, 11))


def _token_of_length(n: int) -> str:
    """A valid token padded with a claim to exactly ``n`` characters. base64 skips one length in four,
    so an ES256 or an HS256 token (signatures of different lengths) is used, whichever reaches ``n``."""
    for alg in ("ES256", "HS256"):
        base = len(make_token(alg, pad=""))
        for extra in range(max(0, (n - base) * 3 // 4 - 8), (n - base) * 3 // 4 + 8):
            token = make_token(alg, pad="x" * extra)
            if len(token) == n:
                return token
    raise AssertionError(f"no token of {n} characters")


async def test_the_8192_character_cap_keeps_a_valid_token_one_character_over_it_out(client):
    verifier: TokenVerifier = app_state(client.app).verifier
    assert verifier.verify(_token_of_length(8192)).claims["pad"]
    with pytest.raises(AuthError) as caught:
        verifier.verify(_token_of_length(8193))
    assert caught.value.message == "Invalid or missing bearer token"


async def test_malformed_and_expired_tokens_say_so_and_other_failures_are_logged_by_class(client, monkeypatch):
    verifier: TokenVerifier = app_state(client.app).verifier
    for token, reason in [("not-a-jwt", "Malformed token"), (make_token(exp=1_000), "Token has expired")]:
        with pytest.raises(AuthError) as caught:
            verifier.verify(token)
        assert caught.value.message == reason
    # Any other failed check is one generic 401; the log names the check by its exception class.
    # The module's logger is replaced, not captured: structlog caches loggers on first use, so
    # capture_logs would miss it after other tests have logged.
    logged: list[tuple[str, dict]] = []
    monkeypatch.setattr(security, "log", SimpleNamespace(info=lambda event, **kw: logged.append((event, kw))))
    with pytest.raises(AuthError):
        verifier.verify(make_token(aud="anon"))
    assert logged == [("token_rejected", {"reason": "InvalidAudienceError"})]


@pytest.mark.parametrize(
    ("claims", "reason"),
    [({"role": "anon"}, "Token role is not accepted"), ({"sub": "not-a-uuid"}, "Token subject is not a user id")],
    ids=["anon-role", "sub-not-a-uuid"],
)
async def test_a_signed_token_for_someone_else_than_a_user_says_why(client, claims, reason):
    with pytest.raises(AuthError) as caught:
        app_state(client.app).verifier.verify(make_token(**claims))
    assert caught.value.message == reason


@pytest.mark.parametrize(
    ("email", "kept"),
    [("a" * 308 + "@example.com", True), ("a" * 309 + "@example.com", False), ("", False), (12345, False)],
    ids=["320-chars", "321-chars", "empty", "not-a-string"],
)
async def test_only_a_non_empty_email_of_at_most_320_characters_reaches_the_principal(client, email, kept):
    principal = app_state(client.app).verifier.verify(make_token(email=email))
    assert principal.email == (email if kept else None)
