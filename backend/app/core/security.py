"""Verification of Supabase access tokens (and of local dev tokens, through the same path).

ES256/RS256 keys come from the JWKS cache and the algorithm is bound to the key's type, so
``alg: none``, HMAC signed with a public key and unknown ``kid`` values all fail. HS256 is only
accepted when the legacy ``SUPABASE_JWT_SECRET`` is configured.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import jwt
import structlog

from app.core.config import Settings
from app.core.jwks import JWKSCache, JWKSUnavailable, UnknownKeyError, http_fetcher
from app.core.local_auth import LocalSigner
from servicekit.errors import APIError

log = structlog.get_logger(__name__)

_MAX_TOKEN_CHARS = 8192
_ASYMMETRIC = ("ES256", "RS256")
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "iss"]


@dataclass(frozen=True)
class Principal:
    id: uuid.UUID
    email: str | None
    claims: Mapping[str, Any]  # read-only: a cached principal is shared by many requests


class AuthError(APIError):
    def __init__(self, message: str = "Invalid or missing bearer token"):
        super().__init__(401, message, headers={"WWW-Authenticate": "Bearer"})


class VerifiedTokenCache:
    """Tokens that passed every check, trusted again until ``min(exp, verified_at + max_age)``.

    Keyed by the token's SHA-256, so a different token (one changed byte, a forged signature)
    never matches and memory stays small however long tokens are. ``max_age`` bounds how long a
    key removed from the JWKS keeps being honoured for tokens already seen; the JWKS itself is
    trusted for longer (``JWKS_CACHE_TTL_SECONDS``).
    """

    def __init__(self, max_age: float, *, max_entries: int = 10_000, clock: Callable[[], float] = time.time):
        self._max_age = max_age
        self._max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[bytes, tuple[float, Principal]] = {}

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(self._key(token))
        if entry is None or self._clock() >= entry[0]:
            return None
        return entry[1]

    def put(self, token: str, principal: Principal) -> None:
        if self._max_age <= 0:
            return
        now = self._clock()
        expires_at = min(float(principal.claims["exp"]), now + self._max_age)
        if expires_at <= now:
            return
        with self._lock:
            if len(self._entries) >= self._max_entries:
                live = [(k, v) for k, v in self._entries.items() if v[0] > now]
                # Mostly live tokens: keep the newer half (dicts keep insertion order), so the
                # next puts do not rescan a cache that is still nearly full.
                if len(live) > self._max_entries * 9 // 10:
                    live = live[len(live) // 2 :]
                self._entries = dict(live)
            self._entries[self._key(token)] = (expires_at, principal)


class TokenVerifier:
    def __init__(self, settings: Settings, jwks: JWKSCache):
        self._jwks = jwks
        self._verified = VerifiedTokenCache(settings.token_cache_seconds)
        self._audience = settings.supabase_audience
        self._issuer = settings.issuer
        self._leeway = settings.jwt_leeway_seconds
        # The JWKS is refetched at most once per cooldown, so asking again sooner is pointless.
        self._retry_after = str(max(1, math.ceil(settings.jwks_refetch_cooldown_seconds)))
        secret = settings.supabase_jwt_secret
        self._hs_secret = secret.get_secret_value() if secret and secret.get_secret_value() else None

    @property
    def jwks(self) -> JWKSCache:
        return self._jwks

    def _key_for(self, header: dict[str, Any]) -> tuple[Any, str]:
        alg = header.get("alg")
        if alg == "HS256":
            if self._hs_secret is None:
                raise AuthError("Token algorithm is not accepted")
            return self._hs_secret, "HS256"
        if alg not in _ASYMMETRIC:
            raise AuthError("Token algorithm is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 256:
            raise AuthError("Token has no valid key id")
        try:
            key = self._jwks.get_key(kid)
        except UnknownKeyError:
            raise AuthError("Token was signed by an unknown key") from None
        except JWKSUnavailable:
            raise APIError(
                503,
                "Signing keys are temporarily unavailable",
                error="auth_unavailable",
                headers={"Retry-After": self._retry_after},
            ) from None
        if key.algorithm != alg:
            raise AuthError("Token algorithm does not match its key")
        return key.key, key.algorithm

    def cached(self, token: str) -> Principal | None:
        """The principal of a token verified recently (no I/O, cheap enough for the event loop)."""
        if not token or len(token) > _MAX_TOKEN_CHARS:
            return None
        return self._verified.get(token)

    def verify(self, token: str) -> Principal:
        """Full verification (may fetch the JWKS, so call it off the event loop)."""
        principal = self.cached(token)
        if principal is None:
            principal = self._verify(token)
            self._verified.put(token, principal)
        return principal

    def _verify(self, token: str) -> Principal:
        if not token or len(token) > _MAX_TOKEN_CHARS:
            raise AuthError()
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("Malformed token") from None
        key, algorithm = self._key_for(header)
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=self._audience,
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("Token has expired") from None
        except jwt.PyJWTError as exc:
            log.info("token_rejected", reason=type(exc).__name__)
            raise AuthError() from None
        # Only signed-in users (anonymous sign-ins included) call this API; Supabase's anon and
        # service_role keys are for other services.
        if claims.get("role") != "authenticated":
            raise AuthError("Token role is not accepted")
        sub = claims.get("sub")
        try:
            user_id = uuid.UUID(sub) if isinstance(sub, str) else None
        except ValueError:
            user_id = None
        # uuid.UUID also parses 'urn:uuid:...' and undashed hex; one user must have one spelling.
        if user_id is None or str(user_id) != sub:
            raise AuthError("Token subject is not a user id")
        email = claims.get("email")
        if not isinstance(email, str) or not email or len(email) > 320:
            email = None
        return Principal(id=user_id, email=email, claims=MappingProxyType(claims))


def build_auth(settings: Settings) -> tuple[TokenVerifier, LocalSigner | None]:
    """The verifier for the configured mode, plus the dev signer in local mode."""
    if settings.auth_mode == "local":
        signer = LocalSigner(settings)
        jwks = JWKSCache(
            signer.jwks,
            ttl_seconds=settings.jwks_cache_ttl_seconds,
            cooldown_seconds=settings.jwks_refetch_cooldown_seconds,
            source="local",
        )
        return TokenVerifier(settings, jwks), signer
    assert settings.supabase_jwks_url is not None
    jwks = JWKSCache(
        http_fetcher(settings.supabase_jwks_url, settings.jwks_fetch_timeout_seconds),
        ttl_seconds=settings.jwks_cache_ttl_seconds,
        cooldown_seconds=settings.jwks_refetch_cooldown_seconds,
        source="supabase",
    )
    return TokenVerifier(settings, jwks), None
