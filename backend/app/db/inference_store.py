"""Where /predict, /whatif and /history write and read inferences.

Two implementations of one async interface, chosen by ``DATABASE_URL``:

* :class:`PgInferenceStore` (PostgreSQL): each call is one autocommit statement, written with
  SQLAlchemy and compiled by it once (app/db/pg_statements.py), on asyncpg's pool (app/db/pg_pool.py,
  which says why that pool). A write stores the user, the inference and, with the database rate
  limiter, the request's count in one statement: all or nothing, and nothing when the count is over
  the limit. With an ``Idempotency-Key`` the key is stored by the same statement.
* :class:`~app.db.sql_inference_store.SqlInferenceStore` (SQLite, the quick start): the portable
  repository on the app's async engine, one transaction per call, committed there or rolled back.

The history's reads and deletes are the Core statements of app/db/history_queries.py on both (compiled
once for asyncpg on PostgreSQL). A history page comes back as :data:`HistoryRow` tuples with
``input``/``output`` as JSON text (the database sends it as such, so those documents are never
decoded on the way out), and the service renders one page format for both stores.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any, Protocol

from asyncpg.exceptions import UniqueViolationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.config import Settings
from app.db import history_queries, pg_statements
from app.db.history_queries import EVERYTHING, HistoryFilter, HistoryRow, after_params, history_row
from app.db.pg_pool import PgPool, PgStatement
from servicekit.ratelimit import Quota

_PING = PgStatement.from_core(pg_statements.PING)


@dataclass(frozen=True)
class IdempotencyKeyUse:
    key: str
    request_hash: str  # tells a retry (same request) from the key reused for another one


@dataclass(frozen=True)
class NewInference:
    id: uuid.UUID
    user_id: uuid.UUID
    email: str | None  # the token's; creates the user on first sight and keeps it in step
    kind: str
    cod_curso: str
    input: dict[str, Any]
    output: dict[str, Any]
    version: str
    idempotency: IdempotencyKeyUse | None = None


@dataclass(frozen=True)
class StoredUnderKey:
    """What an earlier request stored under the same user and key."""

    request_hash: str
    created_at: datetime
    inference_id: uuid.UUID
    output: dict[str, Any]


class KeyAlreadyStored(Exception):
    """Another request (on another replica, say) stored this user's key first; nothing was stored."""


def is_key_conflict(exc: BaseException) -> bool:
    return "pk_idempotency_keys" in str(getattr(exc, "constraint_name", None) or exc)


class InferenceStore(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def terminate(self) -> None:
        """Drop any connection at once (teardown without an event loop)."""

    async def ping(self) -> None:
        """Raise when the store cannot reach its database (readiness)."""

    def connections_in_use(self) -> int:
        """Connections of the store's own pool now in use (a metric)."""

    async def add(self, inference: NewInference, quota: Quota | None = None) -> int | None:
        """Store the inference; with a quota, count it too and return this window's count
        (over ``quota.limit``, nothing is stored)."""

    async def history_page(
        self, user_id: uuid.UUID, *, limit: int, offset: int, where: HistoryFilter = EVERYTHING
    ) -> tuple[list[HistoryRow], int]:
        """The user's rows that ``where`` selects, in its order (newest first by default), and how
        many it selects in all."""

    async def history_chunk(
        self, user_id: uuid.UUID, where: HistoryFilter, *, after: HistoryRow | None, limit: int
    ) -> list[HistoryRow]:
        """Up to ``limit`` of those rows, in order, past ``after`` (the previous chunk's last row)."""

    async def delete_inference(self, user_id: uuid.UUID, inference_id: uuid.UUID) -> bool:
        """Delete the user's own row and its idempotency key; False when the user has no such row."""

    async def delete_history(self, user_id: uuid.UUID) -> int:
        """Delete every row of the user's (and their idempotency keys); how many went."""

    async def find_key(self, user_id: uuid.UUID, key: str) -> StoredUnderKey | None:
        """The inference stored under this user's ``Idempotency-Key``, however old."""

    async def add_batch(self, inferences: list[NewInference], quota: Quota | None = None) -> int | None:
        """Store one user's batch, all rows or none (``quota.amount`` is the batch's size)."""

    async def prune_keys(self, cutoff: datetime) -> int:
        """Delete every idempotency key stored before ``cutoff``; how many went."""


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class PgInferenceStore:
    _ADD = {variant: PgStatement.from_core(sql) for variant, sql in pg_statements.ADD_INFERENCE.items()}
    _DELETE_ONE = PgStatement.from_core(history_queries.DELETE_ONE)
    _DELETE_ALL = PgStatement.from_core(history_queries.DELETE_ALL)
    _FIND_KEY = PgStatement.from_core(pg_statements.FIND_IDEMPOTENCY_KEY)
    _ADD_BATCH = {with_quota: PgStatement.from_core(sql) for with_quota, sql in pg_statements.ADD_BATCH.items()}
    _PRUNE_KEYS = PgStatement.from_core(pg_statements.DELETE_EXPIRED_IDEMPOTENCY_KEYS)

    def __init__(self, settings: Settings):
        self._pool = PgPool(settings)

    async def open(self) -> None:
        await self._pool.open()

    async def close(self) -> None:
        await self._pool.close()

    def terminate(self) -> None:
        self._pool.terminate()

    def connections_in_use(self) -> int:
        return self._pool.in_use()

    async def ping(self) -> None:
        await self._pool.fetchval(_PING, {}, idempotent=True)

    async def add(self, inference: NewInference, quota: Quota | None = None) -> int | None:
        params: dict[str, Any] = {
            "id": inference.id,
            "user_id": inference.user_id,
            "email": inference.email,
            "kind": inference.kind,
            "cod_curso": inference.cod_curso,
            "input": to_json(inference.input),
            "output": to_json(inference.output),
            "version": inference.version,
            # Set here rather than by the server, as the SQLite store does (see repository).
            "created_at": datetime.now(UTC),
        }
        if quota is not None:
            params.update(
                rl_key=quota.key, rl_window_start=quota.window_start, rl_limit=quota.limit, rl_amount=quota.amount
            )
        if inference.idempotency is not None:
            params.update(idem_key=inference.idempotency.key, idem_hash=inference.idempotency.request_hash)
        statement = self._ADD[(quota is not None, inference.idempotency is not None)]
        try:
            count = await self._pool.fetchval(statement, params, idempotent=False)
        except UniqueViolationError as exc:
            if is_key_conflict(exc):
                raise KeyAlreadyStored from exc
            raise
        return int(count) if quota is not None else None

    async def add_batch(self, inferences: list[NewInference], quota: Quota | None = None) -> int | None:
        first = inferences[0]
        started = datetime.now(UTC)
        params: dict[str, Any] = {
            "user_id": first.user_id,
            "email": first.email,
            "kind": first.kind,
            "version": first.version,
            "ids": [i.id for i in inferences],
            "cod_cursos": [i.cod_curso for i in inferences],
            "inputs": [to_json(i.input) for i in inferences],
            "outputs": [to_json(i.output) for i in inferences],
            # A microsecond apart, in order: history lists the batch's items newest (last) first.
            "created_ats": [started + timedelta(microseconds=n) for n in range(len(inferences))],
        }
        if quota is not None:
            params.update(
                rl_key=quota.key, rl_window_start=quota.window_start, rl_limit=quota.limit, rl_amount=quota.amount
            )
        count = await self._pool.fetchval(self._ADD_BATCH[quota is not None], params, idempotent=False)
        return int(count) if quota is not None else None

    async def find_key(self, user_id: uuid.UUID, key: str) -> StoredUnderKey | None:
        record = await self._pool.fetchrow(self._FIND_KEY, {"user_id": user_id, "idem_key": key}, idempotent=True)
        if record is None:
            return None
        return StoredUnderKey(record[0], record[1], record[2], json.loads(record[3]))

    async def prune_keys(self, cutoff: datetime) -> int:
        return _deleted(await self._pool.execute(self._PRUNE_KEYS, {"cutoff": cutoff}, idempotent=True))

    async def history_page(
        self, user_id: uuid.UUID, *, limit: int, offset: int, where: HistoryFilter = EVERYTHING
    ) -> tuple[list[HistoryRow], int]:
        # The count and the page in one round trip (history_queries.page_with_total).
        statement = _compiled(history_queries.page_with_total(where.shape))
        params = {**where.params(user_id), "limit": limit, "offset": offset}
        records = await self._pool.fetch(statement, params, idempotent=True)
        total = int(records[0][0]) if records else 0
        # The LEFT JOIN gives one row of NULLs when the page is empty.
        return [history_row(r[1:]) for r in records if r[1] is not None], total

    async def history_chunk(
        self, user_id: uuid.UUID, where: HistoryFilter, *, after: HistoryRow | None, limit: int
    ) -> list[HistoryRow]:
        statement = _compiled(history_queries.chunk(where.shape, after=after is not None))
        params = {**where.params(user_id), "limit": limit, **(after_params(after) if after else {})}
        return [history_row(r) for r in await self._pool.fetch(statement, params, idempotent=True)]

    async def delete_inference(self, user_id: uuid.UUID, inference_id: uuid.UUID) -> bool:
        # Safe to send again: a second run deletes nothing.
        params = {"user_id": user_id, "inference_id": inference_id}
        return _deleted(await self._pool.execute(self._DELETE_ONE, params, idempotent=True)) > 0

    async def delete_history(self, user_id: uuid.UUID) -> int:
        return _deleted(await self._pool.execute(self._DELETE_ALL, {"user_id": user_id}, idempotent=True))


@cache
def _compiled(statement: Any) -> PgStatement:
    """Each filter shape's statement, compiled once (history_queries caches the statements themselves)."""
    return PgStatement.from_core(statement)


def _deleted(status: str) -> int:
    """How many rows a ``DELETE n`` status line says went."""
    return int(status.rsplit(" ", 1)[-1]) if status else 0


def build_inference_store(settings: Settings, session_factory: async_sessionmaker[AsyncSession]) -> InferenceStore:
    from app.db.sql_inference_store import SqlInferenceStore  # the SQLite store imports this module

    if settings.sqlalchemy_url.startswith("postgresql"):
        return PgInferenceStore(settings)
    return SqlInferenceStore(session_factory)
