"""Password hashing (argon2 through pwdlib) and HS256 access tokens with a jti."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from api.config import Settings

_password_hash = PasswordHash((Argon2Hasher(),))
# Verified against when the username is unknown, so both failures cost one argon2 verification.
_DUMMY_HASH = _password_hash.hash("dummy-password-for-constant-time-login")


def hash_password(password: str) -> str:
    return _password_hash.hash(password)


def verify_password(password: str, hashed: str | None) -> bool:
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
    return jwt.encode(payload, settings.secret_key, algorithm=settings.jwt_algorithm), claims


def decode_access_token(settings: Settings, token: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[settings.jwt_algorithm],
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("token expired") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken("invalid token") from exc
    if payload.get("typ") != "access" or not isinstance(payload.get("uid"), int):
        raise InvalidToken("invalid token")
    return TokenClaims(
        subject=str(payload["sub"]),
        user_id=payload["uid"],
        jti=str(payload["jti"]),
        issued_at=datetime.fromtimestamp(payload["iat"], UTC),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
    )
