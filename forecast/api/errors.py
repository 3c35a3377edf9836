"""Forecast's errors in the one error shape of the shared kit (servicekit/errors.py): the kit handles the
framework's errors; this adds the database and the last-resort handler."""

from __future__ import annotations

from fastapi import FastAPI, Request
from sqlalchemy import exc as sa_exc
from starlette.responses import Response

from api.logging import get_logger
from servicekit.errors import database_unavailable_response, internal_error_response
from servicekit.errors import install_error_handlers as install_base_error_handlers

log = get_logger(__name__)


def is_database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or did not answer in time (not a bug in a query)."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.InvalidRequestError) and "connection is closed" in str(exc)


async def _database_error(request: Request, exc: Exception) -> Response:
    if not is_database_unavailable(exc):
        return await _unhandled(request, exc)
    # Class name only: a driver message can carry the host, the database or a statement.
    log.error(
        "database_unavailable",
        path=request.url.path,
        exc_type=type(exc).__name__,
        cause=type(exc.__cause__ or exc).__name__,
    )
    return database_unavailable_response()


async def _unhandled(request: Request, exc: Exception) -> Response:
    log.error("unhandled_exception", path=request.url.path, exc_type=type(exc).__name__, exc_info=exc)
    return internal_error_response()


def install_error_handlers(app: FastAPI) -> None:
    install_base_error_handlers(app)
    app.add_exception_handler(sa_exc.SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unhandled)
