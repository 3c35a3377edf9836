"""Client-side deadlines for PostgreSQL, and the test for "the database is unavailable".

libpq's ``connect_timeout`` and the server's ``statement_timeout`` do not cover a server (or a
proxy, or a half-open TCP path) that accepts bytes and then never answers: a blocking psycopg2
call would wait until TCP keepalives give up, minutes later, holding a worker thread and a pooled
connection. So psycopg2 runs in its "green" mode with a wait callback that polls the socket with a
deadline: ``DB_CONNECT_TIMEOUT_SECONDS`` for the whole handshake, ``DB_QUERY_TIMEOUT_SECONDS`` for
any single round trip (a query, a commit, the pool's pre-ping). On expiry the callback raises, which
makes psycopg2 close the connection; SQLAlchemy sees a closed connection, treats the error as a
disconnect and invalidates it, and the handlers answer 503 ``database_unavailable``.

The wait callback is process-wide (a psycopg2 limitation), but the deadlines are per connection:
connections created without :class:`GuardedConnection` (Alembic, tests) wait without a deadline,
as before. The callback adds roughly 10-15 microseconds per query.
"""

from __future__ import annotations

import select
import threading
import time
from typing import Any

import psycopg2
import psycopg2.extensions as ext
from sqlalchemy import exc as sa_exc

_installed = False
_install_lock = threading.Lock()
_HAS_POLL = hasattr(select, "poll")


class DatabaseTimeout(psycopg2.OperationalError):
    """The database did not answer within the client-side deadline (the connection is closed)."""


def _wait(fd: int, state: int, timeout: float | None) -> bool:
    if _HAS_POLL:
        poller = select.poll()
        poller.register(fd, select.POLLIN if state == ext.POLL_READ else select.POLLOUT)
        return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))
    readers, writers = ([fd], []) if state == ext.POLL_READ else ([], [fd])
    ready = select.select(readers, writers, [], timeout)
    return bool(ready[0] or ready[1])


def wait_with_deadline(conn: Any) -> None:
    """psycopg2 wait callback: like ``psycopg2.extras.wait_select``, with a per-connection deadline."""
    timeout: float | None = getattr(conn, "db_wait_timeout", None)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        state = conn.poll()
        if state == ext.POLL_OK:
            return
        if state not in (ext.POLL_READ, ext.POLL_WRITE):
            raise psycopg2.OperationalError(f"bad state from poll: {state}")
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0 or not _wait(conn.fileno(), state, remaining):
            raise DatabaseTimeout(f"no answer from the database within {timeout:g}s")


def install_wait_callback() -> None:
    global _installed
    with _install_lock:
        if not _installed:
            ext.set_wait_callback(wait_with_deadline)
            _installed = True


def guarded_connection_class(connect_timeout: float, query_timeout: float) -> type:
    """A psycopg2 connection class carrying its own deadlines (pass as ``connection_factory``)."""
    install_wait_callback()

    class GuardedConnection(ext.connection):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            # Set before the base __init__, which performs the (asynchronous) handshake.
            self.db_wait_timeout = float(connect_timeout)
            super().__init__(*args, **kwargs)
            self.db_wait_timeout = float(query_timeout)

    return GuardedConnection


class DatabaseUnavailableError(Exception):
    """The asyncpg pool (app/db/pg_pool.py) could not reach or hear from the database.

    The message is only the driver's exception class name: nothing of the connection string.
    """


def driver_error_name(exc: BaseException) -> str:
    """The class name of the driver's own error behind ``exc`` (for logs: no message, no DSN)."""
    return type(getattr(exc, "orig", None) or exc.__cause__ or exc).__name__


def is_database_unavailable(exc: BaseException) -> bool:
    """True for errors that mean "cannot reach / no answer from the database", not bad SQL."""
    if isinstance(exc, DatabaseUnavailableError):
        return True
    if isinstance(exc, sa_exc.TimeoutError):  # pool exhausted for DB_POOL_TIMEOUT_SECONDS
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        return isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError))
    return False
