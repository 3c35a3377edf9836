"""Engine and session factory. SQLite gets WAL; Postgres gets bounded waits everywhere.

Postgres: ``connect_timeout`` bounds a new connection (the whole handshake), ``statement_timeout`` a
query the server is running, ``pool_timeout`` the wait for a free pooled connection. None of them
bounds a server or pooler that accepts bytes and never answers (a hung PgBouncer, a half-open TCP
path): libpq would wait on its socket forever. So every pooled connection is watched from checkout to
checkin by ``ConnectionWatchdog``: past DB_HARD_TIMEOUT_SECONDS its socket is shut down, the blocked
call fails with an OperationalError (a 503 for the client) and the pool discards the connection. The
pre-ping is done inside that watch too (instead of SQLAlchemy's ``pool_pre_ping``, which runs before
any checkout hook).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from api.config import Settings
from servicekit.logging import get_logger

log = get_logger(__name__)


class ConnectionWatchdog:
    """Cuts the socket of a connection held past its deadline. One daemon thread per engine."""

    def __init__(self, limit_seconds: float, tick: float = 0.1) -> None:
        self.limit = limit_seconds
        self.tick = min(tick, limit_seconds / 4)
        self._armed: dict[int, tuple[float, int]] = {}  # id(connection record) -> (deadline, fd)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.cuts = 0

    def arm(self, key: int, fd: int) -> None:
        with self._lock:
            self._armed[key] = (time.monotonic() + self.limit, fd)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="db-watchdog", daemon=True)
                self._thread.start()

    def disarm(self, key: int) -> None:
        with self._lock:  # also waits for a cut in progress, so a closed fd is never touched after
            self._armed.pop(key, None)

    def _run(self) -> None:
        while True:
            time.sleep(self.tick)
            now = time.monotonic()
            with self._lock:
                if not self._armed:  # idle: the thread ends, the next arm() starts another
                    self._thread = None
                    return
                overdue = [k for k, (deadline, _) in self._armed.items() if deadline <= now]
                for key in overdue:
                    _, fd = self._armed.pop(key)
                    self._cut(fd)

    def _cut(self, fd: int) -> None:
        self.cuts += 1
        log.warning("db_connection_cut", reason="held past DB_HARD_TIMEOUT_SECONDS", seconds=self.limit)
        with contextlib.suppress(OSError):
            sock = socket.socket(fileno=os.dup(fd))
            try:
                sock.shutdown(socket.SHUT_RDWR)
            finally:
                sock.close()


def _install_watchdog(engine: Engine, limit_seconds: float) -> ConnectionWatchdog:
    watchdog = ConnectionWatchdog(limit_seconds)

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        watchdog.arm(id(record), dbapi_connection.fileno())
        if not record.info.pop("fresh", False):  # a connection that waited in the pool: ping it
            try:
                cursor = dbapi_connection.cursor()
                try:
                    cursor.execute("SELECT 1")
                finally:
                    cursor.close()
            except Exception as error:  # the pool replaces it with a new connection (connect_timeout)
                watchdog.disarm(id(record))
                raise exc.DisconnectionError(f"pre-ping failed ({type(error).__name__})") from error

    @event.listens_for(engine, "connect")
    def _connect(_dbapi_connection: Any, record: Any) -> None:
        record.info["fresh"] = True

    for name in ("checkin", "close", "detach"):
        event.listen(engine, name, lambda _conn, record, *_: watchdog.disarm(id(record)))
    event.listen(engine, "invalidate", lambda _conn, record, *_: watchdog.disarm(id(record)))
    return watchdog


def build_engine(settings: Settings) -> Engine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    postgres = url.startswith("postgresql")
    connect_args: dict[str, Any] = {}
    if postgres:
        connect_args = {
            "connect_timeout": settings.db_connect_timeout_seconds,
            "options": f"-c statement_timeout={settings.db_statement_timeout_ms}",
        }
    engine = create_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=not postgres,  # Postgres: pinged under the watchdog instead
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_seconds,
    )
    if postgres:
        engine.connection_watchdog = _install_watchdog(engine, settings.db_hard_timeout_seconds)  # type: ignore[attr-defined]
    return engine


def build_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)
