"""Where /predict, /whatif and /history write and read inferences.

Two implementations of one async interface, chosen by ``DATABASE_URL``:

* :class:`PgInferenceStore` (PostgreSQL): each call is one statement on the event loop through
  asyncpg (app/db/pg_pool.py). A write stores the user, the inference and, with the database
  rate limiter, the request's count in one autocommit statement: all or nothing, and nothing when
  the count is over the limit.
* :class:`SqlInferenceStore` (SQLite, the quick start): the SQLAlchemy repository in a worker
  thread, one transaction per call, committed there or rolled back on any error.

A history page comes back as :data:`HistoryRow` tuples with ``input``/``output`` as JSON text
(PostgreSQL sends it as such, so those documents are never decoded on the way out), and the
service renders one page format for both stores.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import anyio
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.ratelimit import Quota
from app.db import repository
from app.db.models import Inference
from app.db.pg_pool import PgPool, PgStatement

_PING = PgStatement("SELECT 1")
# id, kind, cod_curso, cod_persona (text or None), input JSON, output JSON, version, created_at
HistoryRow = tuple[str, str, str, str | None, str, str, str, datetime]


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


class InferenceStore(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    def terminate(self) -> None:
        """Drop any connection at once (teardown without an event loop)."""

    async def ping(self) -> None:
        """Raise when the store cannot reach its database (readiness)."""

    async def add(self, inference: NewInference, quota: Quota | None = None) -> int | None:
        """Store the inference; with a quota, count it too and return this window's count
        (over ``quota.limit``, nothing is stored)."""

    async def history_page(self, user_id: uuid.UUID, *, limit: int, offset: int) -> tuple[list[HistoryRow], int]:
        """The user's rows, newest first, and how many the user has in all."""


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


class PgInferenceStore:
    _ADD = {with_quota: PgStatement(sql) for with_quota, sql in repository.PG_ADD_INFERENCE.items()}
    _HISTORY = PgStatement(repository.PG_HISTORY_PAGE)

    def __init__(self, settings: Settings):
        self._pool = PgPool(settings)

    async def open(self) -> None:
        await self._pool.open()

    async def close(self) -> None:
        await self._pool.close()

    def terminate(self) -> None:
        self._pool.terminate()

    async def ping(self) -> None:
        await self._pool.fetchval(_PING, {}, idempotent=True)

    async def add(self, inference: NewInference, quota: Quota | None = None) -> int | None:
        params: dict[str, Any] = {
            "id": inference.id,
            "user_id": inference.user_id,
            "email": inference.email,
            "kind": inference.kind,
            "cod_curso": inference.cod_curso,
            "input": _json(inference.input),
            "output": _json(inference.output),
            "version": inference.version,
            # Set here rather than by the server, as the SQLite store does (see repository).
            "created_at": datetime.now(UTC),
        }
        if quota is not None:
            params.update(rl_key=quota.key, rl_window_start=quota.window_start, rl_limit=quota.limit)
        count = await self._pool.fetchval(self._ADD[quota is not None], params, idempotent=False)
        return int(count) if quota is not None else None

    async def history_page(self, user_id: uuid.UUID, *, limit: int, offset: int) -> tuple[list[HistoryRow], int]:
        records = await self._pool.fetch(
            self._HISTORY, {"user_id": user_id, "limit": limit, "offset": offset}, idempotent=True
        )
        total = int(records[0][0]) if records else 0
        # The LEFT JOIN gives one row of NULLs when the page is empty.
        return [tuple(r[1:]) for r in records if r[1] is not None], total


class SqlInferenceStore:
    def __init__(self, session_factory: sessionmaker[Session]):
        self._session_factory = session_factory

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def terminate(self) -> None:
        return None

    async def ping(self) -> None:
        return None  # the same SQLAlchemy engine as the session readiness already pings

    async def add(self, inference: NewInference, quota: Quota | None = None) -> int | None:
        if quota is not None:
            raise ValueError("a rate-limit quota is only counted in the write on PostgreSQL")
        await anyio.to_thread.run_sync(self._add, inference)
        return None

    def _add(self, inference: NewInference) -> None:
        with self._session_factory() as session, session.begin():
            repository.ensure_user(session, inference.user_id, inference.email)
            repository.add_inference(
                session,
                inference_id=inference.id,
                user_id=inference.user_id,
                kind=inference.kind,
                cod_curso=inference.cod_curso,
                input=inference.input,
                output=inference.output,
                version=inference.version,
            )

    async def history_page(self, user_id: uuid.UUID, *, limit: int, offset: int) -> tuple[list[HistoryRow], int]:
        return await anyio.to_thread.run_sync(self._history_page, user_id, limit, offset)

    def _history_page(self, user_id: uuid.UUID, limit: int, offset: int) -> tuple[list[HistoryRow], int]:
        with self._session_factory() as session:
            rows, total = repository.list_inferences(session, user_id, limit=limit, offset=offset)
            return [_history_row(row) for row in rows], total


def _history_row(row: Inference) -> HistoryRow:
    cod_persona = row.input.get("cod_persona") if isinstance(row.input, dict) else None
    return (
        str(row.id),
        row.kind,
        row.cod_curso,
        None if cod_persona is None else str(cod_persona),
        _json(row.input),
        _json(row.output),
        row.version,
        row.created_at,
    )


def build_inference_store(settings: Settings, session_factory: sessionmaker[Session]) -> InferenceStore:
    if settings.sqlalchemy_url.startswith("postgresql"):
        return PgInferenceStore(settings)
    return SqlInferenceStore(session_factory)
