"""Test database provisioning.

PostgreSQL is used when ``TEST_DATABASE_URL`` is set or 127.0.0.1:5432 answers: a dedicated,
uniquely named database is created on that server, migrated with Alembic and dropped at the end.
Otherwise SQLite. ``UNITRACK_TEST_DB=sqlite`` forces SQLite; ``UNITRACK_TEST_DB=postgres`` (or
``CI=true``) makes a missing PostgreSQL a failure instead of a fallback.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.core.config import normalize_database_url

PROBE_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@dataclass
class DatabaseTarget:
    kind: str  # "postgresql" | "sqlite"
    admin_url: str | None = None
    reason: str = ""


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def choose_target() -> DatabaseTarget:
    mode = os.environ.get("UNITRACK_TEST_DB", "auto").strip().lower()
    if mode == "sqlite":
        return DatabaseTarget("sqlite", reason="UNITRACK_TEST_DB=sqlite")
    required = mode == "postgres" or _truthy(os.environ.get("CI"))
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        return DatabaseTarget("postgresql", admin_url=explicit, reason="TEST_DATABASE_URL")
    if _port_open("127.0.0.1", 5432):
        return DatabaseTarget("postgresql", admin_url=PROBE_URL, reason="127.0.0.1:5432 answers")
    if required:
        raise RuntimeError(
            "PostgreSQL is required (CI=true or UNITRACK_TEST_DB=postgres) but TEST_DATABASE_URL "
            "is unset and 127.0.0.1:5432 does not answer"
        )
    return DatabaseTarget("sqlite", reason="no PostgreSQL found")


def create_postgres_database(admin_url: str, prefix: str = "unitrack_test") -> str:
    """Create a uniquely named database next to ``admin_url``'s and return its URL."""
    admin = make_url(normalize_database_url(admin_url))
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    engine = create_engine(make_url(normalize_database_url(admin_url)), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / f'unitrack_test_{uuid.uuid4().hex[:8]}.db'}"
