"""The one database engine: SQLAlchemy 2's async engine, asyncpg on PostgreSQL, aiosqlite on SQLite.

``DATABASE_URL`` is normalised in settings onto the sync psycopg2 spelling, which only Alembic uses
(app/db/migrations/env.py); the API maps it onto ``postgresql+asyncpg`` or ``sqlite+aiosqlite`` here.

The deadlines on PostgreSQL:
- ``DB_CONNECT_TIMEOUT_SECONDS`` bounds the handshake (asyncpg's ``timeout``);
- ``DB_QUERY_TIMEOUT_SECONDS`` every round trip on the client (asyncpg's ``command_timeout``), which
  catches a server or network that accepts bytes and never answers;
- ``DB_STATEMENT_TIMEOUT_MS`` the server (``statement_timeout``), so it cancels a slow query first;
- ``DB_POOL_TIMEOUT_SECONDS`` the wait for a pooled connection.
A connection that timed out, was cut or was interrupted is invalidated (closed, never reused), and
so is every connection then idle in the pool (see :func:`_invalidate_lost_connections`); the error
handlers answer 503 ``database_unavailable`` (app/db/errors.py).

There is no ``pool_pre_ping``: its round trip (three, in a transaction) on every checkout costs more
than /predict's own statement. A connection the server dropped while idle shows up on its first
statement; app/db/session.py runs the request's first statement again on a new connection then.

Behind a transaction-mode pooler (Supabase's on port 6543, PgBouncer) a statement prepared on one
server connection is unknown on the next: there SQLAlchemy's prepared-statement cache is off and
every statement gets a unique name, as SQLAlchemy's asyncpg documentation asks.
"""

from __future__ import annotations

import re
import uuid
from functools import partial
from typing import Any

import asyncpg
import structlog
from sqlalchemy import event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import Pool

from app.core.config import Settings
from app.db.errors import is_lost_connection_error

log = structlog.get_logger("unitrack.db")

# The Supabase transaction pooler (Supavisor, port 6543) hands each transaction to any server connection.
TRANSACTION_POOLER_PORT = 6543
# Tells the API's sessions apart in pg_stat_activity (a URL application_name wins).
APPLICATION_NAME = "unitrack-api"
DEFAULT_STATEMENT_CACHE_SIZE = 256


def create_db_engine(settings: Settings, *, pool_class: type[Pool] | None = None) -> AsyncEngine:
    """The app's engine. ``pool_class=NullPool`` for callers that use it from several event loops
    (a pooled asyncpg or aiosqlite connection belongs to the loop that opened it)."""
    url = make_url(settings.sqlalchemy_url)
    pooling: dict[str, Any] = {"poolclass": pool_class} if pool_class is not None else {}
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url.set(drivername="sqlite+aiosqlite"), connect_args={"timeout": 15}, **pooling)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    cache_size = statement_cache_size(settings, url.port)
    connect_args: dict[str, Any] = {
        # SQLAlchemy's asyncpg dialect connects through this (the ``async_creator`` mechanism), so
        # libpq's URL options (sslmode, sslrootcert, target_session_attrs) reach asyncpg's DSN parser.
        "async_creator_fn": partial(asyncpg.connect, **connect_kwargs(settings)),
        "prepared_statement_cache_size": cache_size,
    }
    if cache_size == 0:
        connect_args["prepared_statement_name_func"] = _unique_statement_name
    engine = create_async_engine(
        # Host, credentials and options travel in the creator's DSN: nothing of them is in the engine's URL.
        URL.create("postgresql+asyncpg"),
        connect_args=connect_args,
        **(
            pooling
            or {
                "pool_size": settings.db_pool_size,
                "max_overflow": settings.db_max_overflow,
                "pool_timeout": settings.db_pool_timeout_seconds,
                "pool_recycle": 1800,
            }
        ),
    )
    event.listen(engine.sync_engine, "handle_error", _invalidate_lost_connections)
    return engine


def make_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, autoflush=False, expire_on_commit=False)


def _unique_statement_name() -> str:
    return f"__asyncpg_{uuid.uuid4()}__"


def _invalidate_lost_connections(context: ExceptionContext) -> None:
    """A timeout, a cut or a goodbye from the server leaves the connection in an unknown state:
    treat it as a disconnect, so SQLAlchemy closes it and every connection idle in the pool (they
    share the server, or the network path, that just failed)."""
    if is_lost_connection_error(context.original_exception):
        context.is_disconnect = True


def connect_kwargs(settings: Settings, *, application_name: str = APPLICATION_NAME) -> dict[str, Any]:
    """asyncpg arguments for ``DATABASE_URL``.

    asyncpg reads libpq's ssl options, ``target_session_attrs`` and the like from the URL itself;
    ``options`` (``-c name=value``) and ``application_name`` become server settings, with
    ``DB_STATEMENT_TIMEOUT_MS`` on top. libpq-only options that asyncpg would send to the server as
    settings are dropped, with a warning naming them (never their values).
    """
    url = make_url(settings.sqlalchemy_url)
    query = url_query(url)
    server_settings = {"application_name": query.pop("application_name", application_name)}
    server_settings.update(_options_settings(query.pop("options", "")))
    if settings.db_statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
    dropped = sorted(key for key in query if key in _LIBPQ_ONLY)
    if dropped:
        log.warning("database_url_options_ignored", options=dropped)
    dsn = url.set(
        drivername="postgresql", query={k: v for k, v in query.items() if k not in _LIBPQ_ONLY}
    ).render_as_string(hide_password=False)
    return {
        "dsn": dsn,
        "server_settings": server_settings,
        "timeout": settings.db_connect_timeout_seconds,
        "command_timeout": settings.db_query_timeout_seconds,
        # SQLAlchemy prepares its statements itself (and caches them, see create_db_engine).
        "statement_cache_size": 0,
    }


# libpq connection options asyncpg does not know (it would pass them to the server as settings,
# which refuses them). connect_timeout: DB_CONNECT_TIMEOUT_SECONDS is the one that counts.
_LIBPQ_ONLY = frozenset(
    {
        "connect_timeout",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "fallback_application_name",
        "gssencmode",
        "channel_binding",
        "require_auth",
        "sslcompression",
        "sslsni",
        "requirepeer",
        "sslcertmode",
        "load_balance_hosts",
        "hostaddr",
    }
)


def statement_cache_size(settings: Settings, port: int | None) -> int:
    """Prepared statements SQLAlchemy keeps per connection: none behind the transaction pooler."""
    if settings.db_statement_cache_size != "auto":
        return settings.db_statement_cache_size
    return 0 if port == TRANSACTION_POOLER_PORT else DEFAULT_STATEMENT_CACHE_SIZE


def url_query(url: URL) -> dict[str, str]:
    """The URL's query options, one value each (the last, as libpq takes a repeated option)."""
    return {key: (value[-1] if isinstance(value, tuple) else value) for key, value in url.query.items()}


def _options_settings(options: str) -> dict[str, str]:
    """``-c name=value`` pairs of a libpq ``options`` string."""
    return dict(re.findall(r"-c\s*([\w.]+)=(\S+)", options))


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()
