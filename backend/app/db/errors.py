"""What counts as "the database is unavailable" (a 503, never a 500), for any statement of the API.

Errors come through SQLAlchemy's async engine (app/db/engine.py): the driver's own exception is
wrapped in a ``DBAPIError`` when asyncpg's class maps onto one, and travels as it is otherwise
(``TimeoutError`` from asyncpg's ``command_timeout``, ``OSError`` from a refused connect):
:func:`database_errors` gives those a class of the database's own, so that only they, and no
``OSError`` from elsewhere, are answered as a database outage.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
from sqlalchemy import exc as sa_exc

from servicekit.database import is_database_unavailable as kit_is_database_unavailable

# Server-side and network failures that mean "the database cannot serve this now".
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,  # asyncpg found the connection closed (or busy with a cancelled call)
    asyncpg.exceptions.OperatorInterventionError,  # statement timeout, shutdown, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,  # login refused
    asyncpg.exceptions.InvalidCatalogNameError,  # no such database
)
# Errors after which the connection itself cannot be trusted any more (closed, or mid-round-trip).
_LOST: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.IdleSessionTimeoutError,
)


class DatabaseUnavailableError(Exception):
    """Raised by the API itself when it cannot use the database (the engine is disposed, say).

    The message is only a class name: nothing of the connection string.
    """


def driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception behind a SQLAlchemy one (or ``exc`` itself)."""
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        # SQLAlchemy's asyncpg adapter wraps asyncpg's exception once more; its cause is asyncpg's.
        return orig.__cause__ or orig
    return exc


def driver_error_name(exc: BaseException) -> str:
    """The class name of the driver's own error behind ``exc`` (for logs: no message, no DSN)."""
    return type(driver_error(exc)).__name__


def is_lost_connection_error(exc: BaseException | None) -> bool:
    return exc is not None and isinstance(driver_error(exc), _LOST)


def is_database_unavailable(exc: BaseException) -> bool:
    """True for errors that mean "cannot reach / no answer from the database", not bad SQL: the kit's
    test (servicekit.database), the API's own :class:`DatabaseUnavailableError`, and asyncpg's errors
    that SQLAlchemy passes on unwrapped."""
    if isinstance(exc, DatabaseUnavailableError) or kit_is_database_unavailable(exc):
        return True
    return isinstance(driver_error(exc), _UNAVAILABLE)


@contextmanager
def database_errors() -> Iterator[None]:
    """Around database calls: the driver's unwrapped network errors become :class:`DatabaseUnavailableError`."""
    try:
        yield
    except (sa_exc.SQLAlchemyError, DatabaseUnavailableError):
        raise
    except Exception as exc:
        if isinstance(exc, _UNAVAILABLE):
            raise DatabaseUnavailableError(type(exc).__name__) from exc
        raise


# The server ended the session instead of running the statement (a backend that is exiting rolls
# back whatever it had begun), or asyncpg found the connection closed before sending anything.
_DROPPED_BEFORE_RUNNING = (
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.IdleSessionTimeoutError,
    asyncpg.InterfaceError,
)


def did_not_run(error: BaseException) -> bool:
    """True when the driver's error says the server dropped the connection before running anything.

    asyncpg reports the server's goodbye as ``ConnectionDoesNotExistError`` caused by it; a
    connection closed mid-round-trip for another reason (a cut) may have run the statement."""
    return isinstance(error, _DROPPED_BEFORE_RUNNING) or isinstance(error.__cause__, _DROPPED_BEFORE_RUNNING)
