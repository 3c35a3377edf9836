"""Every database query of the service. Functions take a Session and never commit: the request's
session dependency (or the CLI) is the single commit point."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, select, text
from sqlalchemy.orm import Session

from api.db.models import LoginFailure, RevokedToken, User


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user_by_username(session: Session, username: str) -> User | None:
    if "\x00" in username:  # no stored name has one, and PostgreSQL cannot even be sent one
        return None
    return session.scalars(select(User).where(User.username == username)).first()


def add_user(session: Session, *, username: str, email: str, hashed_password: str, is_admin: bool) -> User:
    user = User(username=username, email=email, hashed_password=hashed_password, is_admin=is_admin)
    session.add(user)
    session.flush()
    return user


def is_token_revoked(session: Session, jti: str) -> bool:
    return bool(session.scalar(select(exists().where(RevokedToken.jti == jti))))


def revoke_token(session: Session, jti: str, expires_at: datetime) -> None:
    """Adds the jti to the deny-list; raises IntegrityError (at flush) when it is already there."""
    session.add(RevokedToken(jti=jti, expires_at=expires_at))
    session.flush()


def prune_revoked_tokens(session: Session, now: datetime) -> int:
    result = session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def get_login_failure(session: Session, key: str, *, for_update: bool = False) -> LoginFailure | None:
    stmt = select(LoginFailure).where(LoginFailure.key == key)
    if for_update:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def add_login_failure(session: Session, key: str, now: datetime) -> LoginFailure:
    row = LoginFailure(key=key, failures=0, window_started_at=now, locked_until=None)
    session.add(row)
    session.flush()
    return row


def delete_login_failure(session: Session, key: str) -> None:
    session.execute(delete(LoginFailure).where(LoginFailure.key == key))


def prune_login_failures(session: Session, older_than: datetime) -> None:
    session.execute(
        delete(LoginFailure).where(
            LoginFailure.window_started_at < older_than,
            (LoginFailure.locked_until.is_(None)) | (LoginFailure.locked_until < older_than),
        )
    )


def ping(session: Session) -> None:
    session.execute(text("SELECT 1"))
