"""Start-up and CLI user management: the first admin and the dev demo user."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from api import repository as repo
from api.config import Settings
from api.security import hash_password, verify_password
from servicekit.logging import get_logger

log = get_logger(__name__)


def create_user(session: Session, username: str, email: str, password: str, *, is_admin: bool = False) -> int:
    if repo.get_user_by_username(session, username) is not None:
        raise ValueError(f"user {username!r} already exists")
    user = repo.add_user(
        session, username=username, email=email, hashed_password=hash_password(password), is_admin=is_admin
    )
    return user.id


def ensure_admin(settings: Settings, session_factory: sessionmaker[Session]) -> None:
    """Creates ADMIN_USERNAME when it is configured and absent; never changes an existing user."""
    if not (settings.admin_username and settings.admin_password):
        return
    with session_factory() as session, session.begin():
        if repo.get_user_by_username(session, settings.admin_username) is not None:
            return
        email = settings.admin_email or f"{settings.admin_username}@localhost"
        create_user(session, settings.admin_username, email, settings.admin_password.get_secret_value(), is_admin=True)
    log.info("admin_created", username=settings.admin_username)


def ensure_user_with_password(session: Session, username: str, email: str, password: str) -> None:
    """Creates the user, or resets its password and re-activates it (dev demo user only)."""
    user = repo.get_user_by_username(session, username)
    if user is None:
        create_user(session, username, email, password)
        return
    if not verify_password(password, user.hashed_password):
        user.hashed_password = hash_password(password)
    user.is_active = True
