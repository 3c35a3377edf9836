"""The request's transaction, its statements, and the one retry a pooled connection may need.

The engine does not ping a connection before handing it out (app/db/engine.py). A connection the
server closed while it sat idle (a database restart, ``pg_terminate_backend``, an idle timeout) is
found out by the first statement of the request's transaction: the server's goodbye arrives instead
of an answer, before anything ran. SQLAlchemy then invalidates that connection and every connection
idle beside it, and :func:`execute` rolls the empty transaction back and sends the statement again on
a new connection. Anything else (a cut in the middle of a statement, a timeout, a statement that is
not the transaction's first) is not sent again: the request fails with 503 and its transaction is
rolled back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any, Unpack

import anyio
import structlog
from sqlalchemy import Executable, Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.errors import database_errors, did_not_run, driver_error, driver_error_name

log = structlog.get_logger("unitrack.db")


async def execute(
    session: AsyncSession, statement: Executable, params: Mapping[str, Any] | None = None
) -> Result[Unpack[tuple[Any, ...]]]:
    """``session.execute``, sent once more on a new connection when the transaction's first
    statement finds that the server had already dropped the pooled connection."""
    first = not session.in_transaction()
    with database_errors():
        try:
            return await session.execute(statement, params)
        except DBAPIError as exc:
            if not (first and exc.connection_invalidated and did_not_run(driver_error(exc))):
                raise
            log.warning("database_connection_replaced", error=driver_error_name(exc))
            await session.rollback()
            return await session.execute(statement, params)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed when the block ends and rolled back when it raises: the
    request's one commit point (app/api/deps.py). The session connects on its first statement, so a
    block that never reaches the database takes no connection and sends nothing. The commit and the
    rollback are shielded from cancellation: a request cut off mid-commit still ends its transaction.
    """
    session = factory()
    try:
        yield session
        if session.in_transaction():
            with anyio.CancelScope(shield=True), database_errors():
                await session.commit()
    except BaseException:
        with anyio.CancelScope(shield=True):
            await session.rollback()
        raise
    finally:
        with anyio.CancelScope(shield=True):
            await session.close()
