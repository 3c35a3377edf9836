"""The portable queries of the API (SQLite and PostgreSQL), on an AsyncSession.

The functions never commit: their caller owns the transaction (the request's session dependency,
app/api/deps.py, or the SQLite store's own, app/db/sql_inference_store.py). PostgreSQL's
one-statement hot path is in app/db/pg_statements.py, the history's statements in
app/db/history_queries.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import pg_statements
from app.db.models import Course, IdempotencyKey, Inference, User
from app.db.session import execute


def is_postgres(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "postgresql"


def _insert_for(session: AsyncSession, table: Any) -> Any:
    return (postgresql.insert if is_postgres(session) else sqlite.insert)(table)


async def ensure_user(session: AsyncSession, user_id: uuid.UUID, email: str | None) -> None:
    """Create the user on first sight; keep the stored email in step with the token's."""
    if is_postgres(session):
        await execute(session, pg_statements.ENSURE_USER, {"user_id": user_id, "email": email})
        return
    stmt = _insert_for(session, User).values(id=user_id, email=email)
    stmt = stmt.on_conflict_do_update(
        index_elements=[User.id],
        set_={"email": stmt.excluded.email},
        where=User.email.is_distinct_from(stmt.excluded.email),
    )
    await execute(session, stmt)


async def add_inference(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    kind: str,
    cod_curso: str,
    input: dict[str, Any],
    output: dict[str, Any],
    version: str,
    inference_id: uuid.UUID | None = None,
    created_at: datetime | None = None,
) -> None:
    """Insert one inference row (in the caller's transaction)."""
    await execute(
        session,
        insert(Inference).values(
            id=inference_id or uuid.uuid4(),
            user_id=user_id,
            kind=kind,
            cod_curso=cod_curso,
            input=input,
            output=output,
            version=version,
            # Set here rather than by the server: SQLite's CURRENT_TIMESTAMP has 1 s resolution,
            # which would make "newest first" ambiguous.
            created_at=created_at or datetime.now(UTC),
        ),
    )


async def add_idempotency_key(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    key: str,
    request_hash: str,
    inference_id: uuid.UUID,
    created_at: datetime,
) -> None:
    """In the caller's transaction, after the inference: both commit or neither does. A key another
    request stored first fails here, inside the transaction."""
    await execute(
        session,
        insert(IdempotencyKey).values(
            user_id=user_id, key=key, request_hash=request_hash, inference_id=inference_id, created_at=created_at
        ),
    )


async def find_idempotency_key(
    session: AsyncSession, user_id: uuid.UUID, key: str
) -> tuple[str, datetime, uuid.UUID, dict[str, Any]] | None:
    row = (
        await execute(
            session,
            select(IdempotencyKey.request_hash, IdempotencyKey.created_at, Inference.id, Inference.output)
            .join(Inference, Inference.id == IdempotencyKey.inference_id)
            .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key),
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


async def delete_expired_idempotency_keys(session: AsyncSession, cutoff: datetime) -> int:
    result = await execute(session, delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


async def list_courses(session: AsyncSession) -> list[Course]:
    return list((await execute(session, select(Course).order_by(Course.cod_curso))).scalars().all())


async def upsert_courses(session: AsyncSession, rows: Iterable[Mapping[str, Any]]) -> int:
    values = [dict(row) for row in rows]
    if not values:
        return 0
    stmt = _insert_for(session, Course).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[Course.cod_curso],
        set_={
            "nombre": stmt.excluded.nombre,
            "creditos": stmt.excluded.creditos,
            "familia": stmt.excluded.familia,
            "nivel": stmt.excluded.nivel,
        },
    )
    await execute(session, stmt)
    return len(values)


async def ping(session: AsyncSession) -> None:
    await execute(session, select(1))
