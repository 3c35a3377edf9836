"""The databases both suites run on: every test that uses the database runs on SQLite and on
PostgreSQL (the session fixture ``database_url`` is parametrised with :func:`selected_backends`).

PostgreSQL is the server named by ``TEST_DATABASE_URL``, or 127.0.0.1:5432 when that answers; each
run creates a uniquely named database there, migrates it and drops it at the end. No server: the
PostgreSQL half is skipped on a developer's machine and fails under ``CI=true``
(:func:`testkit.services.missing`). ``TEST_DB=sqlite`` or ``TEST_DB=postgres`` runs one half only.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from testkit.services import missing, port_open

BACKENDS = ("sqlite", "postgres")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


def selected_backends() -> list[str]:
    only = os.environ.get("TEST_DB", "").strip().lower()
    if not only:
        return list(BACKENDS)
    if only not in BACKENDS:
        raise ValueError(f"TEST_DB must be one of {BACKENDS} or unset, not {only!r}")
    return [only]


def postgres_admin_url() -> str | None:
    """The server to create test databases on, or None when there is none."""
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        return explicit
    return DEFAULT_PG_URL if port_open("127.0.0.1", 5432) else None


def _sqlalchemy_url(url: str):
    from sqlalchemy.engine import make_url

    from servicekit.database import normalise_database_url

    # The spellings Railway and Heroku hand out, mapped onto psycopg2 as both apps map them.
    return make_url(normalise_database_url(url, Path.cwd()))


def _admin_execute(admin_url: str, sql: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(_sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()


def terminate_backends(conn: Any, condition: str, **params: Any) -> int:
    """Does to this database's connections matching ``condition`` (SQL on ``pg_stat_activity``, with
    bound ``params``) what a restart or an idle timeout does: the server ends them. Returns how many."""
    from sqlalchemy import text

    sql = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND "
    return int(conn.execute(text(sql + condition), params).scalar_one())


def create_postgres_database(admin_url: str, prefix: str) -> str:
    """A new, empty database next to ``admin_url``'s; its URL (psycopg2 driver)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    _admin_execute(admin_url, f'CREATE DATABASE "{name}"')
    return _sqlalchemy_url(admin_url).set(database=name).render_as_string(hide_password=False)


def named_postgres_database(admin_url: str, name: str, *, fresh: bool = False) -> str:
    """The database ``name`` next to ``admin_url``'s, created when missing, dropped and created empty
    first when ``fresh``; its URL (psycopg2 driver). For the fixed-name databases the scripts under
    bench/ keep between runs."""
    from sqlalchemy import create_engine, text

    engine = create_engine(_sqlalchemy_url(admin_url), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if fresh:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return _sqlalchemy_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, url: str) -> None:
    name = _sqlalchemy_url(url).database
    _admin_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def postgres_database(prefix: str, migrate: Callable[[str], None]) -> Iterator[str]:
    """A uniquely named database on the test server, migrated by ``migrate(url)``, dropped afterwards."""
    admin_url = postgres_admin_url()
    if admin_url is None:
        missing("no PostgreSQL reachable (TEST_DATABASE_URL unset and 127.0.0.1:5432 closed)")
    url = create_postgres_database(admin_url, prefix)
    try:
        migrate(url)
        yield url
    finally:
        drop_postgres_database(admin_url, url)


@contextmanager
def migrated_database(kind: str, directory: Path, prefix: str, migrate: Callable[[str], None]) -> Iterator[str]:
    """A migrated database of ``kind`` (one of :data:`BACKENDS`): a file under ``directory`` for
    SQLite, a database of its own on the test server for PostgreSQL."""
    if kind == "postgres":
        with postgres_database(prefix, migrate) as url:
            yield url
        return
    url = f"sqlite:///{directory / f'{prefix}_{uuid.uuid4().hex[:8]}.db'}"
    migrate(url)
    yield url
