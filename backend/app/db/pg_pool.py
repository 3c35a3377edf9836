"""asyncpg's own pool for the statements on the request's hot path (PostgreSQL only).

Why next to SQLAlchemy's async engine, which runs on the same driver: measured in one run
(bench/README.md), SQLAlchemy's session, checkout and commit machinery cost /predict about half
again its CPU per request, far more than the 10% the hot path may give up. So /predict's and
/whatif's write, /history's reads and deletes and the Idempotency-Key lookups run here: each one
statement, written with SQLAlchemy (``text()`` in app/db/pg_statements.py, Core in
app/db/history_queries.py) and compiled by SQLAlchemy once (:meth:`PgStatement.from_core`), sent as
an autocommit statement, atomic on its own. Everything else (/auth/me, /courses, readiness, the
SQLite store) runs on the engine (app/db/engine.py).

The guarantees of the engine hold here too:
- ``DB_CONNECT_TIMEOUT_SECONDS`` bounds the handshake, ``DB_QUERY_TIMEOUT_SECONDS`` every
  statement on the client (asyncpg's ``command_timeout``), ``DB_STATEMENT_TIMEOUT_MS`` the server,
  and ``DB_POOL_TIMEOUT_SECONDS`` the wait for a connection;
- any failure to get a connection, and any connection lost or timed out mid-statement, is
  :class:`DatabaseUnavailableError` (503); a connection that failed or was interrupted is closed,
  never reused;
- instead of a ping's round trip before every checkout: a connection the server closed
  while idle is replaced on checkout once the event loop has read the close, and a statement that
  finds the server's goodbye first is sent again on a new connection (see ``_run``).

Nothing else runs on these connections, and each statement is a single autocommit statement that
changes no session state, so the pool skips asyncpg's per-release ``RESET ALL`` round trip. Behind a
transaction-mode pooler (port 6543) asyncpg's statement cache is off, so it sends unnamed statements
that live only as long as their one round trip.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

import asyncpg
import structlog
from sqlalchemy import ClauseElement
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.sql.compiler import SQLCompiler

from app.core.config import Settings
from app.db.engine import connect_kwargs, statement_cache_size
from app.db.errors import DatabaseUnavailableError, did_not_run

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

log = structlog.get_logger("unitrack.db")

# Tells this pool's sessions from the engine's in pg_stat_activity (a URL application_name wins).
APPLICATION_NAME = "unitrack-api-asyncpg"

# Server-side and network failures that mean "the database cannot serve this now".
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # statement timeout, shutdown, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
)
_ASYNCPG_DIALECT = PGDialect_asyncpg()  # type: ignore[no-untyped-call]


class PgStatement:
    """A SQLAlchemy statement compiled once by SQLAlchemy's asyncpg dialect (:meth:`from_core`), run
    with asyncpg's ``$n`` and its arguments by name."""

    sql: str
    names: tuple[str, ...]
    constants: Mapping[str, Any] = {}  # values the statement holds itself

    def args(self, params: Mapping[str, Any]) -> list[Any]:
        return [params[name] if name in params else self.constants[name] for name in self.names]

    @classmethod
    def from_core(cls, statement: ClauseElement) -> PgStatement:
        """A SQLAlchemy Core statement, compiled once by SQLAlchemy's asyncpg dialect (``$n``
        placeholders, each cast to its column's type); values it holds itself (a JSON key, say)
        are kept as constants, the rest are bound by name."""
        compiled = cast(SQLCompiler, statement.compile(dialect=_ASYNCPG_DIALECT))
        pg_statement = cls.__new__(cls)
        pg_statement.sql = compiled.string
        pg_statement.names = tuple(compiled.positiontup or ())
        pg_statement.constants = {k: v for k, v in compiled.params.items() if v is not None}
        return pg_statement


def pool_connect_kwargs(settings: Settings) -> dict[str, Any]:
    """The engine's asyncpg arguments (app/db/engine.py), with asyncpg's own statement cache, which
    this pool's calls use (none on the transaction pooler's port)."""
    kwargs = connect_kwargs(settings, application_name=APPLICATION_NAME)
    kwargs["statement_cache_size"] = statement_cache_size(settings, make_url(settings.sqlalchemy_url).port)
    return kwargs


def _is_lost(connection: PoolConnectionProxy[asyncpg.Record]) -> bool:
    try:
        return connection.is_closed()
    except asyncpg.InterfaceError:  # asyncpg already gave a connection that died back to the pool
        return True


async def _keep_session(_: asyncpg.Connection) -> None:
    """Release hook: nothing to reset (single statements, no session state; see module doc)."""


class PgPool:
    """The app's asyncpg pool: created on first use (or by the app's lifespan), closed by the lifespan."""

    def __init__(self, settings: Settings):
        self._settings = settings
        self._pool: asyncpg.Pool | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._opening = asyncio.Lock()

    async def open(self) -> asyncpg.Pool:
        if self._pool is None:
            async with self._opening:
                if self._closed:
                    raise DatabaseUnavailableError("the pool is closed (shutting down)")
                if self._pool is None:
                    settings = self._settings
                    # min_size=0: no connection at start-up, so the API starts (and /healthz
                    # answers) while the database is down, as with SQLAlchemy's lazy pool.
                    self._pool = await asyncpg.create_pool(
                        min_size=0,
                        max_size=settings.db_pool_size + settings.db_max_overflow,
                        max_inactive_connection_lifetime=300,
                        reset=_keep_session,
                        **pool_connect_kwargs(settings),
                    )
                    self._loop = asyncio.get_running_loop()
        return self._pool

    async def close(self, timeout: float = 10) -> None:
        async with self._opening:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            await asyncio.wait_for(pool.close(), timeout)
        except Exception:  # noqa: BLE001 - whatever stopped the graceful close, drop the rest
            pool.terminate()

    def in_use(self) -> int:
        pool = self._pool
        return 0 if pool is None else pool.get_size() - pool.get_idle_size()

    def terminate(self) -> None:
        """Drop every connection now, from any thread (teardown code with no loop to await on)."""
        self._closed = True
        pool, self._pool = self._pool, None
        if pool is None or self._loop is None:
            return
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(pool.terminate)
        else:
            pool.terminate()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[PoolConnectionProxy[asyncpg.Record]]:
        """A pooled connection; failures that mean "no database" become :class:`DatabaseUnavailableError`."""
        try:
            pool = await self.open()
            connection = await pool.acquire(timeout=self._settings.db_pool_timeout_seconds)
        except DatabaseUnavailableError:
            raise
        except Exception as exc:
            # Nothing has been sent yet, so whatever the cause (refused, timed out, bad password,
            # missing database, a pooler's "max clients reached"), the database cannot serve us.
            raise DatabaseUnavailableError(type(exc).__name__) from exc
        try:
            yield connection
        except BaseException as exc:
            # Interrupted or failed mid-statement (cancellation included): the connection's state
            # is unknown, so it is closed rather than handed to the next request.
            lost = _is_lost(connection)
            if not lost:
                connection.terminate()
            if isinstance(exc, Exception) and (lost or isinstance(exc, _UNAVAILABLE)):
                raise DatabaseUnavailableError(type(exc).__name__) from exc
            raise
        finally:
            await pool.release(connection)

    async def fetchval(self, statement: PgStatement, params: Mapping[str, Any], *, idempotent: bool) -> Any:
        return await self._run("fetchval", statement, params, idempotent)

    async def fetch(
        self, statement: PgStatement, params: Mapping[str, Any], *, idempotent: bool
    ) -> list[asyncpg.Record]:
        rows: list[asyncpg.Record] = await self._run("fetch", statement, params, idempotent)
        return rows

    async def fetchrow(
        self, statement: PgStatement, params: Mapping[str, Any], *, idempotent: bool
    ) -> asyncpg.Record | None:
        record: asyncpg.Record | None = await self._run("fetchrow", statement, params, idempotent)
        return record

    async def execute(self, statement: PgStatement, params: Mapping[str, Any], *, idempotent: bool) -> str:
        """The server's status line (``DELETE 3``)."""
        return str(await self._run("execute", statement, params, idempotent))

    async def _run(self, method: str, statement: PgStatement, params: Mapping[str, Any], idempotent: bool) -> Any:
        """Runs the statement; once more on a new connection when the pooled one turns out to
        have been dropped by the server before the statement could run (a database restart or
        ``pg_terminate_backend`` leaves that goodbye on every idle connection, and the event loop
        may not have read it yet). A statement that may have run is retried only when
        ``idempotent``; a write carries its primary key, so even a wrong guess could not store
        it twice."""
        for attempt in (1, 2):
            try:
                async with self.connection() as connection:
                    return await getattr(connection, method)(statement.sql, *statement.args(params))
            except DatabaseUnavailableError as exc:
                if attempt == 2 or not _did_not_run(exc.__cause__, idempotent):
                    raise
                log.warning("database_connection_replaced", error=type(exc.__cause__).__name__)
                if self._pool is not None:
                    # The server went away for every idle connection, not only this one.
                    await self._pool.expire_connections()
        raise AssertionError("unreachable")


def _did_not_run(error: BaseException | None, idempotent: bool) -> bool:
    if error is None:
        return False
    # Closed mid-round-trip for another reason: the statement may or may not have committed.
    return did_not_run(error) or (idempotent and isinstance(error, asyncpg.ConnectionDoesNotExistError))
