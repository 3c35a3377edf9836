"""Password hashing (argon2 through pwdlib) and HS256 access tokens with a jti."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeGuard

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.config import Settings

_password_hash = PasswordHash((Argon2Hasher(),))
# Verified against when the username is unknown, so both failures cost one argon2 verification.
_DUMMY_HASH = _password_hash.hash("dummy-password-for-constant-time-login")


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


_verification_slots = threading.BoundedSemaphore(2)


def limit_password_verifications(concurrency: int) -> None:
    """Each argon2 verification takes 64 MiB; a flood of logins must not take the process down."""
    global _verification_slots
    _verification_slots = threading.BoundedSemaphore(concurrency)


def verify_password(password: str, hashed: str | None) -> bool:
    with _verification_slots:
        if hashed is None:
            _password_hash.verify(password, _DUMMY_HASH)
            return False
        try:
            return _password_hash.verify(password, hashed)
        except Exception:  # a malformed stored hash is a failed login, not a 500
            return False


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    user_id: int
    jti: str
    issued_at: datetime
    expires_at: datetime


_MAX_TIMESTAMP = 253402300800  # 10000-01-01: the first value datetime cannot hold


def _is_timestamp(value: object) -> TypeGuard[int]:
    # bool is an int in Python, so the type is compared exactly.
    return type(value) is int and 0 <= value < _MAX_TIMESTAMP


class InvalidToken(Exception):
    pass


def create_access_token(settings: Settings, user_id: int, username: str) -> tuple[str, TokenClaims]:
    now = datetime.now(UTC).replace(microsecond=0)
    claims = TokenClaims(
        subject=username,
        user_id=user_id,
        jti=uuid.uuid4().hex,
        issued_at=now,
        expires_at=now + timedelta(minutes=settings.access_token_expire_minutes),
    )
    payload = {
        "sub": claims.subject,
        "uid": claims.user_id,
        "jti": claims.jti,
        "iat": int(claims.issued_at.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
        "typ": "access",
    }
    return jwt.encode(payload, settings.secret_key.get_secret_value(), algorithm=settings.jwt_algorithm), claims


def decode_access_token(settings: Settings, token: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[settings.jwt_algorithm],
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("invalid token") from exc
    uid, iat, exp = payload.get("uid"), payload.get("iat"), payload.get("exp")
    # bool is an int in Python, and out-of-range numbers would overflow the database or datetime.
    if (
        payload.get("typ") != "access"
        or type(uid) is not int
        or not 0 < uid < 2**63
        or not _is_timestamp(iat)
        or not _is_timestamp(exp)
    ):
        raise InvalidToken("invalid token")
    return TokenClaims(
        subject=str(payload["sub"]),
        user_id=uid,
        jti=str(payload["jti"]),
        issued_at=datetime.fromtimestamp(iat, UTC),
        expires_at=datetime.fromtimestamp(exp, UTC),
    )
