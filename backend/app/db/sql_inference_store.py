"""The SQLite store (the quick start): the portable repository on the app's async engine (aiosqlite),
one transaction per call (app/db/session.transaction), committed when the call returns and rolled
back when it raises. Same interface as app/db/inference_store.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import history_queries, repository
from app.db.history_queries import EVERYTHING, HistoryFilter, HistoryRow, after_params, history_row
from app.db.inference_store import (
    KeyAlreadyStored,
    NewInference,
    StoredUnderKey,
    is_key_conflict,
)
from app.db.session import execute, transaction
from servicekit.ratelimit import Quota


class SqlInferenceStore:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]):
        self._session_factory = session_factory

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def terminate(self) -> None:
        return None

    def connections_in_use(self) -> int:
        return 0  # the engine's pool, which the app's gauge reads itself

    async def ping(self) -> None:
        return None  # the same engine as the session readiness already pings

    async def add(self, inference: NewInference, quota: Quota | None = None) -> int | None:
        return await self.add_batch([inference], quota)

    async def add_batch(self, inferences: list[NewInference], quota: Quota | None = None) -> int | None:
        """One user's rows (one for /predict and /whatif), with their idempotency keys, in one
        transaction: all or none."""
        if quota is not None:
            raise ValueError("a rate-limit quota is only counted in the write on PostgreSQL")
        try:
            async with transaction(self._session_factory) as session:
                await _add_batch(session, inferences)
        except IntegrityError as exc:
            if is_key_conflict(exc) or "idempotency_keys" in str(exc.orig):
                raise KeyAlreadyStored from exc
            raise
        return None

    async def find_key(self, user_id: uuid.UUID, key: str) -> StoredUnderKey | None:
        async with transaction(self._session_factory) as session:
            found = await repository.find_idempotency_key(session, user_id, key)
        return None if found is None else StoredUnderKey(*found)

    async def prune_keys(self, cutoff: datetime) -> int:
        async with transaction(self._session_factory) as session:
            return await repository.delete_expired_idempotency_keys(session, cutoff)

    async def history_page(
        self, user_id: uuid.UUID, *, limit: int, offset: int, where: HistoryFilter = EVERYTHING
    ) -> tuple[list[HistoryRow], int]:
        params = {**where.params(user_id), "limit": limit, "offset": offset}
        async with transaction(self._session_factory) as session:
            total = (await execute(session, history_queries.count(where.shape), params)).scalar_one()
            rows = (await execute(session, history_queries.page(where.shape), params)).all()
        return [history_row(row) for row in rows], int(total)

    async def history_chunk(
        self, user_id: uuid.UUID, where: HistoryFilter, *, after: HistoryRow | None, limit: int
    ) -> list[HistoryRow]:
        params = {**where.params(user_id), "limit": limit, **(after_params(after) if after else {})}
        async with transaction(self._session_factory) as session:
            rows = (await execute(session, history_queries.chunk(where.shape, after=after is not None), params)).all()
        return [history_row(row) for row in rows]

    async def delete_inference(self, user_id: uuid.UUID, inference_id: uuid.UUID) -> bool:
        params = {"user_id": user_id, "inference_id": inference_id}
        return await self._delete(history_queries.DELETE_ONE, params) > 0

    async def delete_history(self, user_id: uuid.UUID) -> int:
        return await self._delete(history_queries.DELETE_ALL, {"user_id": user_id})

    async def _delete(self, statement: Delete, params: dict[str, Any]) -> int:
        # The idempotency keys go by ON DELETE CASCADE: the engine turns on PRAGMA foreign_keys.
        async with transaction(self._session_factory) as session:
            result = await execute(session, statement, params)
            return int(getattr(result, "rowcount", 0) or 0)


async def _add_batch(session: AsyncSession, inferences: list[NewInference]) -> None:
    started = datetime.now(UTC)
    await repository.ensure_user(session, inferences[0].user_id, inferences[0].email)
    for n, inference in enumerate(inferences):
        created_at = started + timedelta(microseconds=n)  # a batch lists newest (last) first
        await repository.add_inference(
            session,
            inference_id=inference.id,
            user_id=inference.user_id,
            kind=inference.kind,
            cod_curso=inference.cod_curso,
            input=inference.input,
            output=inference.output,
            version=inference.version,
            created_at=created_at,
        )
        if inference.idempotency is not None:
            await repository.add_idempotency_key(
                session,
                user_id=inference.user_id,
                key=inference.idempotency.key,
                request_hash=inference.idempotency.request_hash,
                inference_id=inference.id,
                created_at=created_at,
            )
