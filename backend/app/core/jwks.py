"""A JWKS cache with the behaviour Supabase key rotation needs (PyJWKClient lacks both halves).

* Keys already fetched keep verifying while the JWKS endpoint is down.
* An unknown ``kid`` triggers at most one refetch per cooldown interval, so a flood of random
  ``kid`` values cannot become a flood of requests to the JWKS endpoint.
* A successful refetch after the TTL replaces the key set, so a revoked key stops working.
* While one thread refetches, others holding a known (stale) key keep verifying with it instead
  of queueing behind a fetch that may take the whole timeout; so a key being revoked verifies for
  up to that timeout past the TTL.

Fetching is synchronous (httpx) and guarded by a lock; callers run it from a worker thread
(app/api/deps.get_current_user), never on the event loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import structlog

log = structlog.get_logger(__name__)

# Only the signature algorithms Supabase issues; the algorithm is bound to the key, never taken
# from the token header alone.
_ALG_FOR_KEY: dict[tuple[str, str | None], str] = {
    ("EC", "P-256"): "ES256",
    ("RSA", None): "RS256",
}


class JWKSUnavailable(Exception):
    """The JWKS could not be fetched and no cached key matches the token."""


class UnknownKeyError(Exception):
    """The JWKS was fetched but holds no usable key with this ``kid``."""


@dataclass(frozen=True)
class VerificationKey:
    kid: str
    algorithm: str
    key: Any  # a cryptography public key object


def _expected_algorithm(jwk: dict[str, Any]) -> str | None:
    kty = jwk.get("kty")
    crv = jwk.get("crv") if kty == "EC" else None
    alg = _ALG_FOR_KEY.get((str(kty), crv))
    if alg is None:
        return None
    declared = jwk.get("alg")
    if declared is not None and declared != alg:
        return None
    if jwk.get("use") not in (None, "sig"):
        return None
    return alg


def parse_jwks(document: Any) -> dict[str, VerificationKey]:
    """Usable verification keys by ``kid``; keys of other types or uses are skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("JWKS document has no 'keys' list")
    keys: dict[str, VerificationKey] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict) or not isinstance(jwk.get("kid"), str):
            continue
        alg = _expected_algorithm(jwk)
        if alg is None:
            continue
        try:
            key = jwt.PyJWK(jwk, algorithm=alg).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            log.warning("jwks_key_skipped", kid=jwk.get("kid"))
            continue
        keys[jwk["kid"]] = VerificationKey(kid=jwk["kid"], algorithm=alg, key=key)
    return keys


def http_fetcher(url: str, timeout: float) -> Callable[[], Any]:
    def fetch() -> Any:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.get(url, headers={"Accept": "application/json"})
            response.raise_for_status()
            return response.json()

    return fetch


class JWKSCache:
    def __init__(
        self,
        fetch: Callable[[], Any],
        *,
        ttl_seconds: float,
        cooldown_seconds: float,
        source: str,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._cooldown = cooldown_seconds
        self._clock = clock
        self.source = source
        self._lock = threading.Lock()
        self._keys: dict[str, VerificationKey] = {}
        self._fetched_at: float | None = None
        self._last_attempt_at: float | None = None
        self._last_error: str | None = None
        self.fetch_count = 0

    def _stale(self, now: float) -> bool:
        return self._fetched_at is None or now - self._fetched_at >= self._ttl

    def _may_attempt(self, now: float) -> bool:
        return self._last_attempt_at is None or now - self._last_attempt_at >= self._cooldown

    def _refresh_locked(self) -> bool:
        now = self._clock()
        self._last_attempt_at = now
        self.fetch_count += 1
        try:
            keys = parse_jwks(self._fetch())
        except Exception as exc:  # any network/parse failure keeps the old keys
            self._last_error = type(exc).__name__
            log.warning("jwks_fetch_failed", source=self.source, error=self._last_error)
            return False
        self._keys = keys
        self._fetched_at = now
        self._last_error = None
        return True

    def get_key(self, kid: str) -> VerificationKey:
        now = self._clock()
        key = self._keys.get(kid)
        if key is not None and not self._stale(now):
            return key
        if key is None:
            self._lock.acquire()
        elif not self._lock.acquire(blocking=False):
            return key  # stale but known, and another thread is already refreshing
        try:
            return self._get_key_locked(kid)
        finally:
            self._lock.release()

    def _get_key_locked(self, kid: str) -> VerificationKey:
        # Another thread may have refreshed while we waited for the lock.
        now = self._clock()
        key = self._keys.get(kid)
        if key is not None and not self._stale(now):
            return key
        refreshed = False
        if self._may_attempt(now):
            refreshed = self._refresh_locked()
            key = self._keys.get(kid)
        if key is not None:
            # Fresh, or stale but the endpoint is down: a known key keeps working.
            return key
        if refreshed or (self._last_error is None and self._fetched_at is not None):
            raise UnknownKeyError(kid)
        raise JWKSUnavailable(self.source)

    def status(self) -> dict[str, Any]:
        now = self._clock()
        return {
            "source": self.source,
            "keys": len(self._keys),
            "fetched": self._fetched_at is not None,
            "age_seconds": None if self._fetched_at is None else round(now - self._fetched_at, 1),
            "last_error": self._last_error,
        }
