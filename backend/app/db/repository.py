"""Every query the API runs. Functions take a Session and never commit: the request's session
dependency owns the transaction, so a request either stores everything or nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.models import Course, Inference, User


def _insert_for(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def ensure_user(session: Session, user_id: uuid.UUID, email: str | None) -> None:
    """Create the user on first sight; keep the stored email in step with the token's."""
    stmt = _insert_for(session, User).values(id=user_id, email=email)
    stmt = stmt.on_conflict_do_update(
        index_elements=[User.id],
        set_={"email": stmt.excluded.email},
        where=User.email.is_distinct_from(stmt.excluded.email),
    )
    session.execute(stmt)


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


def add_inference(
    session: Session,
    *,
    user_id: uuid.UUID,
    kind: str,
    cod_curso: str,
    input: dict[str, Any],
    output: dict[str, Any],
    version: str,
    inference_id: uuid.UUID | None = None,
) -> Inference:
    row = Inference(
        id=inference_id or uuid.uuid4(),
        user_id=user_id,
        kind=kind,
        cod_curso=cod_curso,
        input=input,
        output=output,
        version=version,
        # Set here rather than by the server: SQLite's CURRENT_TIMESTAMP has 1 s resolution,
        # which would make "newest first" ambiguous.
        created_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    return row


def list_inferences(
    session: Session, user_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[Inference], int]:
    total = session.scalar(
        select(func.count()).select_from(Inference).where(Inference.user_id == user_id)
    )
    rows = session.scalars(
        select(Inference)
        .where(Inference.user_id == user_id)
        .order_by(Inference.created_at.desc(), Inference.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total or 0)


def count_inferences(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Inference)) or 0)


def list_courses(session: Session) -> list[Course]:
    return list(session.scalars(select(Course).order_by(Course.cod_curso)).all())


def upsert_courses(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
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
    session.execute(stmt)
    return len(values)


def ping(session: Session) -> None:
    session.execute(select(1))
