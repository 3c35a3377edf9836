"""Every query the API runs.

The functions take a SQLAlchemy Session and never commit: their caller owns the transaction.
The ``PG_*`` statements are the PostgreSQL hot path of /predict, /whatif and /history, run through
asyncpg by app/db/inference_store.py; they are written with ``%(name)s`` parameters and cast every
one, since asyncpg sends parameters separately and the server must know their types.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.models import Course, Inference, User


def _insert_for(session: Session, table: Any) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def ensure_user(session: Session, user_id: uuid.UUID, email: str | None) -> None:
    """Create the user on first sight; keep the stored email in step with the token's."""
    if _is_postgres(session):
        session.connection().exec_driver_sql(_PG_ENSURE_USER, _user_params(user_id, email))
        return
    stmt = _insert_for(session, User).values(id=user_id, email=email)
    stmt = stmt.on_conflict_do_update(
        index_elements=[User.id],
        set_={"email": stmt.excluded.email},
        where=User.email.is_distinct_from(stmt.excluded.email),
    )
    session.execute(stmt)


def get_user(session: Session, user_id: uuid.UUID) -> User | None:
    return session.get(User, user_id)


# PostgreSQL: create-or-refresh the user with ``INSERT ... ON CONFLICT DO NOTHING`` plus an UPDATE
# that only matches when the email really changed. Unlike ``ON CONFLICT DO UPDATE ... WHERE``, which
# locks the user's row even when it updates nothing (and so serialises a user's concurrent requests
# until commit), this takes no row lock in the common case. Both sub-statements see the same
# snapshot: for a new user the UPDATE matches nothing and the INSERT stores the email.
def _pg_user_ctes(allowed: str) -> str:
    return (
        "ins_user AS (INSERT INTO users (id, email) "
        f"SELECT %(user_id)s::uuid, %(email)s::text WHERE {allowed} ON CONFLICT (id) DO NOTHING), "
        "upd_user AS (UPDATE users SET email = %(email)s::text "
        f"WHERE id = %(user_id)s::uuid AND email IS DISTINCT FROM %(email)s::text AND {allowed})"
    )


_PG_ENSURE_USER = f"WITH {_pg_user_ctes('TRUE')} SELECT 1"
# The fixed-window counter of app/core/ratelimit.DatabaseBackend, as a CTE: same window (or a
# replica with a slower clock) counts up, a newer window starts again at 1.
_PG_QUOTA_CTE = (
    "quota AS (INSERT INTO rate_limits (key, window_start, count) "
    "VALUES (%(rl_key)s::text, %(rl_window_start)s::bigint, 1) ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN rate_limits.window_start >= EXCLUDED.window_start "
    "THEN rate_limits.count + 1 ELSE 1 END, "
    "window_start = GREATEST(rate_limits.window_start, EXCLUDED.window_start) RETURNING count)"
)
_PG_WITHIN_QUOTA = "(SELECT count FROM quota) <= %(rl_limit)s::bigint"


def _pg_add_inference_sql(*, with_quota: bool) -> str:
    """One statement for a whole /predict or /whatif write: the rate-limit count (optional), the
    user (created on first sight, email kept in step) and the inference, the last two skipped when
    the count is over the limit. The foreign key check runs at the end of the statement, after the
    user CTE, so a first-time user's row is visible to it. With a quota it returns the count."""
    allowed = _PG_WITHIN_QUOTA if with_quota else "TRUE"
    ctes = ([_PG_QUOTA_CTE] if with_quota else []) + [_pg_user_ctes(allowed)]
    insert = (
        "INSERT INTO inferences (id, user_id, kind, cod_curso, input, output, version, created_at) "
        "SELECT %(id)s::uuid, %(user_id)s::uuid, %(kind)s::text, %(cod_curso)s::text, "
        "%(input)s::jsonb, %(output)s::jsonb, %(version)s::text, %(created_at)s::timestamptz "
        f"WHERE {allowed}"
    )
    if with_quota:
        return f"WITH {', '.join([*ctes, f'ins AS ({insert})'])} SELECT count FROM quota"
    return f"WITH {', '.join(ctes)} {insert}"


PG_ADD_INFERENCE = {with_quota: _pg_add_inference_sql(with_quota=with_quota) for with_quota in (False, True)}


def _user_params(user_id: uuid.UUID, email: str | None) -> dict[str, Any]:
    return {"user_id": str(user_id), "email": email}


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
    created_at: datetime | None = None,
) -> None:
    """Insert one inference row (in the caller's transaction)."""
    session.execute(
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
        )
    )


def list_inferences(session: Session, user_id: uuid.UUID, *, limit: int, offset: int) -> tuple[list[Inference], int]:
    total = session.scalar(select(func.count()).select_from(Inference).where(Inference.user_id == user_id))
    rows = session.scalars(
        select(Inference)
        .where(Inference.user_id == user_id)
        .order_by(Inference.created_at.desc(), Inference.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), int(total or 0)


# PostgreSQL /history in one round trip: the count (an index-only scan of ix_inferences_user_id_created_at
# once autovacuum has marked the pages all-visible) and the page (a backward scan of the same index,
# newest first; rows with the same created_at are ordered by id). input/output come back as JSON
# text, not decoded: the service splices them into the response without a decode/encode round trip.
PG_HISTORY_PAGE = (
    "SELECT t.total, p.id::text, p.kind, p.cod_curso, p.cod_persona, p.input, p.output, p.version, "
    "p.created_at "
    "FROM (SELECT count(*) AS total FROM inferences WHERE user_id = %(user_id)s::uuid) t "
    "LEFT JOIN LATERAL ("
    " SELECT id, kind, cod_curso, input->>'cod_persona' AS cod_persona, input::text AS input,"
    " output::text AS output, version, created_at"
    " FROM inferences WHERE user_id = %(user_id)s::uuid"
    " ORDER BY created_at DESC, id DESC LIMIT %(limit)s::int OFFSET %(offset)s::int"
    ") p ON true"
)


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
