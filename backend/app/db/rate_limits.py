"""The rate limiter's ``database`` backend: one upsert on the ``rate_limits`` table (app/services/rate_limiting.py
describes the fixed windows and the other backends).

On PostgreSQL the count is part of the statement that stores the inference (app/db/pg_statements.py),
so this runs only on SQLite (and for direct calls). The limiter calls :meth:`DatabaseBackend.hit` from
a worker thread (app/api/deps.py); the upsert itself runs on the event loop, on the app's one async
engine, in its own short autocommit transaction.
"""

from __future__ import annotations

import anyio.from_thread
from sqlalchemy import Table, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from app.db.errors import database_errors, is_database_unavailable
from app.db.models import RateLimitCounter
from servicekit.counters import FailOpen


class DatabaseBackend:
    name = "database"

    def __init__(self, engine: AsyncEngine, *, fail_open_seconds: float):
        self.dialect = engine.dialect.name
        self.counts_in_write = self.dialect == "postgresql"
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._fail_open = FailOpen(fail_open_seconds)
        table = RateLimitCounter.__table__
        assert isinstance(table, Table)  # a mapped class's __table__ is typed as the wider FromClause
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        stmt = insert(table)
        # Same window (or a replica with a slower clock): count up; a newer window: start afresh.
        same_window = table.c.window_start >= stmt.excluded.window_start
        self._stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((same_window, table.c.count + stmt.excluded.count), else_=stmt.excluded.count),
                "window_start": case((same_window, table.c.window_start), else_=stmt.excluded.window_start),
            },
        ).returning(table.c.count)

    def hit(self, key: str, window_start: int, window: int, amount: int = 1) -> int | None:
        """From a worker thread of the event loop (``anyio.to_thread``)."""
        if self._fail_open.active:
            return None
        try:
            return anyio.from_thread.run(self._upsert, key, window_start, amount)
        except Exception as exc:
            if is_database_unavailable(exc):
                raise  # the request needs the database anyway: 503, not a silent pass
            self._fail_open.trip(self.name, exc)
            return None

    async def _upsert(self, key: str, window_start: int, amount: int) -> int:
        # One upsert is atomic on its own: autocommit spares the BEGIN and COMMIT round trips.
        with database_errors():
            async with self._autocommit.connect() as conn:
                result = await conn.execute(self._stmt, {"key": key, "window_start": window_start, "count": amount})
                return int(result.scalar_one())
