"""Engine and session factory.

``DATABASE_URL`` is normalised in settings (postgres:// and postgresql:// -> postgresql+psycopg2://).
Postgres connections get a connect timeout and a statement timeout so a stuck database turns into
an error instead of a hung worker.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.db.guard import guarded_connection_class

# Unbound; the app binds it per engine with SessionLocal(bind=engine) via make_session_factory().
SessionLocal = sessionmaker(autoflush=False, expire_on_commit=False)


def create_db_engine(settings: Settings, *, url: str | None = None) -> Engine:
    url = url or settings.sqlalchemy_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, pool_pre_ping=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args: dict[str, Any] = {
        "connect_timeout": settings.db_connect_timeout_seconds,
        "application_name": "unitrack-api",
    }
    if settings.db_statement_timeout_ms:
        # connect_args replace the URL's own options, so keep those (a search_path, say) in front.
        url_options = url_query(make_url(url)).get("options", "")
        connect_args["options"] = f"{url_options} -c statement_timeout={settings.db_statement_timeout_ms}".strip()
    # Client-side deadlines for a database that accepts but never answers (app/db/guard.py).
    connect_args["connection_factory"] = guarded_connection_class(
        settings.db_connect_timeout_seconds, settings.db_query_timeout_seconds
    )
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=1800,
        connect_args=connect_args,
    )


def url_query(url: URL) -> dict[str, str]:
    """The URL's query options, one value each (the last, as libpq takes a repeated option)."""
    return {key: (value[-1] if isinstance(value, tuple) else value) for key, value in url.query.items()}


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker[Session](autoflush=False, expire_on_commit=False)
    factory.configure(bind=engine)
    return factory


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()
