"""Rows written straight to the inferences table with chosen users, courses, kinds and times, for the
/history tests (one bulk insert, so 10,000 rows take a moment, not a /predict each)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert
from sqlalchemy.dialects import postgresql, sqlite

from app.db.models import Inference, User

START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    user_id: uuid.UUID
    created_at: datetime
    cod_curso: str = "MA101"
    kind: str = "predict"
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    input: dict[str, Any] = field(default_factory=lambda: {"cod_persona": 7, "features": {"EDAD": 20}})


def store_rows(engine: Engine, rows: list[Row]) -> None:
    users = sorted({row.user_id for row in rows})
    values = [
        {
            "id": row.id,
            "user_id": row.user_id,
            "kind": row.kind,
            "cod_curso": row.cod_curso,
            "input": row.input,
            "output": {"prediction": {"label": "aprobado", "score": 0.5}, "version": "v"},
            "version": "v",
            "created_at": row.created_at,
        }
        for row in rows
    ]
    dialect_insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    with engine.begin() as conn:
        conn.execute(dialect_insert(User).on_conflict_do_nothing(), [{"id": user, "email": None} for user in users])
        conn.execute(insert(Inference), values)


def ids(rows: list[Row]) -> list[str]:
    return [str(row.id) for row in rows]


def newest_first(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda row: (row.created_at, row.id), reverse=True)
