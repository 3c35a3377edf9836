"""Login, token verification, refresh and logout."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api import repository as repo
from api.config import Settings
from api.metrics import LOGIN_FAILURES, LOGIN_THROTTLED
from api.schemas.auth import TokenResponse, UserResponse
from api.security import InvalidToken, TokenClaims, create_access_token, decode_access_token, verify_password
from api.services.errors import InactiveUser, InvalidCredentials, LoginThrottled, TokenRevoked
from api.services.throttle import (
    NEVER_LOCK,
    LoginThrottle,
    account_backoff_seconds,
    account_key,
    account_lock_key,
    address_key,
    throttle_key,
)
from servicekit.logging import get_logger
from servicekit.timestamps import utc_now

log = get_logger(__name__)

BAD_CREDENTIALS = "Incorrect username or password"


@dataclass(frozen=True, slots=True)
class Principal:
    user: UserResponse
    claims: TokenClaims


class AuthCache:
    """Per-process memory of verified tokens (trusted for ``ttl`` seconds) and of tokens revoked here.

    Keyed by the raw token, so a hit skips JWT decoding as well as the database. Revocations made by
    this process apply at once; those made by another replica apply within ``ttl`` (default 1 s).
    """

    def __init__(self, ttl: float, max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._verified: dict[str, tuple[Principal, float, float]] = {}  # token -> (principal, until, exp)
        self._revoked: dict[str, float] = {}  # jti -> exp timestamp
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        hit = self._verified.get(token)
        if hit is None:
            return None
        principal, until, exp = hit
        if principal.claims.jti in self._revoked:
            raise TokenRevoked()
        if until < time.monotonic() or exp <= time.time():
            return None
        return principal

    def check_not_revoked(self, claims: TokenClaims) -> None:
        if claims.jti in self._revoked:
            raise TokenRevoked()

    def put(self, token: str, principal: Principal) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._verified) >= self.max_entries:
                self._verified.clear()
            self._verified[token] = (principal, time.monotonic() + self.ttl, principal.claims.expires_at.timestamp())

    def revoke(self, claims: TokenClaims) -> None:
        with self._lock:
            if len(self._revoked) >= self.max_entries:
                now = time.time()
                self._revoked = {j: exp for j, exp in self._revoked.items() if exp > now}
            self._revoked[claims.jti] = claims.expires_at.timestamp()


def _token_response(settings: Settings, user_id: int, username: str) -> TokenResponse:
    token, claims = create_access_token(settings, user_id, username)
    return TokenResponse(access_token=token, expires_at=claims.expires_at)


def login(
    session: Session, settings: Settings, throttle: LoginThrottle, username: str, password: str, client_ip: str
) -> TokenResponse:
    key = throttle_key(username, client_ip)
    per_address = address_key(client_ip)
    account, account_wait = account_key(username), account_lock_key(username)
    retry_after = throttle.retry_after(key) or throttle.retry_after(per_address) or throttle.retry_after(account_wait)
    if retry_after is not None:
        LOGIN_THROTTLED.inc()
        log.warning("login_throttled", client_ip=client_ip)
        raise LoginThrottled(retry_after)
    user = repo.get_user_by_username(session, username)
    # A read: end it now, so the connection is back in the pool during the argon2 verification and the
    # throttle's own transaction below (one request never holds two connections: no pool deadlock).
    session.commit()
    # An unknown user is checked against a dummy hash, so both failures take one argon2 verification.
    if not verify_password(password, user.hashed_password if user else None) or user is None:
        throttle.record_failure(key)
        throttle.record_failure(per_address, settings.login_max_failures_per_ip)
        wait = account_backoff_seconds(
            throttle.record_failure(account, NEVER_LOCK),
            settings.login_account_backoff_after,
            settings.login_account_backoff_max_seconds,
        )
        if wait is not None:
            throttle.lock(account_wait, wait)
        LOGIN_FAILURES.inc()
        # No username in the log: people type passwords into that field.
        log.info("login_failed", client_ip=client_ip)
        raise InvalidCredentials(BAD_CREDENTIALS)
    if not user.is_active:
        raise InactiveUser()
    throttle.reset(key)
    throttle.reset(account)  # the owner is in: the guesses against the account stop counting
    log.info("login_succeeded", user_id=user.id)
    return _token_response(settings, user.id, user.username)


def verify_token(settings: Settings, cache: AuthCache, session_factory: sessionmaker[Session], token: str) -> Principal:
    """Slow path, run in a worker thread: signature, expiry, local and database deny-lists, the user."""
    claims = decode(settings, token)
    cache.check_not_revoked(claims)
    with session_factory() as session:  # read-only look-up: nothing to commit
        principal = verify_in_db(session, claims)
    cache.put(token, principal)
    return principal


def parse_bearer(authorization: str | None) -> str:
    if not authorization:
        raise InvalidCredentials("Not authenticated: send 'Authorization: Bearer <token>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidCredentials("Invalid authorization header; expected 'Bearer <token>'")
    return token.strip()


def decode(settings: Settings, token: str) -> TokenClaims:
    try:
        return decode_access_token(settings, token)
    except InvalidToken as exc:
        raise InvalidCredentials(f"Could not validate credentials: {exc}") from exc


def verify_in_db(session: Session, claims: TokenClaims) -> Principal:
    if repo.is_token_revoked(session, claims.jti):
        raise TokenRevoked()
    user = repo.get_user(session, claims.user_id)
    if user is None or user.username != claims.subject:
        raise InvalidCredentials("Could not validate credentials: unknown user")
    if not user.is_active:
        raise InactiveUser()
    return Principal(user=UserResponse.model_validate(user, from_attributes=True), claims=claims)


AFTER_COMMIT = "after_commit"  # session.info key: callbacks the request's session runs once committed


def _revoke(session: Session, cache: AuthCache, claims: TokenClaims) -> None:
    # The local deny-list is updated only once the row is committed: a revocation whose commit fails
    # (database outage) must not leave the token refused here yet accepted by every other replica.
    session.info.setdefault(AFTER_COMMIT, []).append(lambda: cache.revoke(claims))
    try:
        with session.begin_nested():
            repo.revoke_token(session, claims.jti, claims.expires_at)
    except IntegrityError as exc:  # already revoked (and committed), e.g. by a concurrent refresh
        cache.revoke(claims)
        raise TokenRevoked() from exc
    repo.prune_revoked_tokens(session, utc_now())


def refresh(session: Session, settings: Settings, cache: AuthCache, principal: Principal) -> TokenResponse:
    _revoke(session, cache, principal.claims)
    return _token_response(settings, principal.user.id, principal.user.username)


def logout(session: Session, cache: AuthCache, principal: Principal) -> None:
    _revoke(session, cache, principal.claims)
    log.info("logout", user_id=principal.user.id)
