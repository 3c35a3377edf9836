"""Every query the API runs.

The functions take a SQLAlchemy Session and never commit: their caller owns the transaction.
The ``PG_*`` statements are the PostgreSQL hot path of /predict and /whatif, run through
asyncpg by app/db/inference_store.py; they are written with ``%(name)s`` parameters and cast every
one, since asyncpg sends parameters separately and the server must know their types.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.models import Course, IdempotencyKey, Inference, User


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
# The fixed-window counter of app/db/rate_limits.DatabaseBackend, as a CTE: same window (or a
# replica with a slower clock) counts up, a newer window starts again at 1.
_PG_QUOTA_CTE = (
    "quota AS (INSERT INTO rate_limits (key, window_start, count) "
    "VALUES (%(rl_key)s::text, %(rl_window_start)s::bigint, %(rl_amount)s::int) ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN rate_limits.window_start >= EXCLUDED.window_start "
    "THEN rate_limits.count + EXCLUDED.count ELSE EXCLUDED.count END, "
    "window_start = GREATEST(rate_limits.window_start, EXCLUDED.window_start) RETURNING count)"
)
_PG_WITHIN_QUOTA = "(SELECT count FROM quota) <= %(rl_limit)s::bigint"


def _pg_allowed(with_quota: bool) -> str:
    return _PG_WITHIN_QUOTA if with_quota else "TRUE"


def _pg_guarded_write(with_quota: bool, extra_ctes: list[str], insert: str) -> str:
    """The count (with a quota), the user and ``extra_ctes``, then ``insert``, all in one statement;
    every write in it is conditioned on the count staying within the limit. With a quota it returns
    the count."""
    ctes = ([_PG_QUOTA_CTE] if with_quota else []) + [_pg_user_ctes(_pg_allowed(with_quota)), *extra_ctes]
    if with_quota:
        return f"WITH {', '.join([*ctes, f'ins AS ({insert})'])} SELECT count FROM quota"
    return f"WITH {', '.join(ctes)} {insert}"


def _pg_add_inference_sql(*, with_quota: bool, with_key: bool = False) -> str:
    """One statement for a whole /predict or /whatif write: the rate-limit count (optional), the
    user (created on first sight, email kept in step), the inference and its idempotency key
    (optional), the last three skipped when the count is over the limit. Foreign keys are checked at
    the end of the statement, after the user and inference CTEs, so the rows they insert are visible
    to those checks. A key another request stored first is a unique violation: nothing is stored.
    With a quota it returns the count."""
    allowed = _pg_allowed(with_quota)
    ctes = []
    if with_key:
        ctes.append(
            "ins_key AS (INSERT INTO idempotency_keys (user_id, key, request_hash, inference_id, created_at) "
            "SELECT %(user_id)s::uuid, %(idem_key)s::text, %(idem_hash)s::text, %(id)s::uuid, "
            f"%(created_at)s::timestamptz WHERE {allowed})"
        )
    insert = (
        "INSERT INTO inferences (id, user_id, kind, cod_curso, input, output, version, created_at) "
        "SELECT %(id)s::uuid, %(user_id)s::uuid, %(kind)s::text, %(cod_curso)s::text, "
        "%(input)s::jsonb, %(output)s::jsonb, %(version)s::text, %(created_at)s::timestamptz "
        f"WHERE {allowed}"
    )
    return _pg_guarded_write(with_quota, ctes, insert)


def _pg_add_batch_sql(*, with_quota: bool) -> str:
    """A batch of /predict rows in one statement: the count goes up by the batch's size, and the user
    and every row are stored only when the count stays within the limit: all of them or none."""
    allowed = _pg_allowed(with_quota)
    insert = (
        "INSERT INTO inferences (id, user_id, kind, cod_curso, input, output, version, created_at) "
        "SELECT b.id, %(user_id)s::uuid, %(kind)s::text, b.cod_curso, b.input, b.output, %(version)s::text, "
        "b.created_at FROM unnest(%(ids)s::uuid[], %(cod_cursos)s::text[], %(inputs)s::jsonb[], "
        "%(outputs)s::jsonb[], %(created_ats)s::timestamptz[]) AS b(id, cod_curso, input, output, created_at) "
        f"WHERE {allowed}"
    )
    return _pg_guarded_write(with_quota, [], insert)


PG_ADD_BATCH = {with_quota: _pg_add_batch_sql(with_quota=with_quota) for with_quota in (False, True)}

PG_ADD_INFERENCE = {
    (with_quota, with_key): _pg_add_inference_sql(with_quota=with_quota, with_key=with_key)
    for with_quota in (False, True)
    for with_key in (False, True)
}

# An idempotency key with the inference it stored (output as JSON text), expired or not.
PG_FIND_IDEMPOTENCY_KEY = (
    "SELECT k.request_hash, k.created_at, i.id, i.output::text FROM idempotency_keys k "
    "JOIN inferences i ON i.id = k.inference_id "
    "WHERE k.user_id = %(user_id)s::uuid AND k.key = %(idem_key)s::text"
)
PG_DELETE_EXPIRED_IDEMPOTENCY_KEYS = "DELETE FROM idempotency_keys WHERE created_at < %(cutoff)s::timestamptz"


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


def add_idempotency_key(
    session: Session,
    *,
    user_id: uuid.UUID,
    key: str,
    request_hash: str,
    inference_id: uuid.UUID,
    created_at: datetime,
) -> None:
    """In the caller's transaction, after the inference: both commit or neither does."""
    session.add(
        IdempotencyKey(
            user_id=user_id, key=key, request_hash=request_hash, inference_id=inference_id, created_at=created_at
        )
    )
    session.flush()  # a key another request stored first fails here, inside the transaction


def find_idempotency_key(
    session: Session, user_id: uuid.UUID, key: str
) -> tuple[str, datetime, uuid.UUID, dict[str, Any]] | None:
    row = session.execute(
        select(IdempotencyKey.request_hash, IdempotencyKey.created_at, Inference.id, Inference.output)
        .join(Inference, Inference.id == IdempotencyKey.inference_id)
        .where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    ).first()
    return None if row is None else (row[0], row[1], row[2], row[3])


def delete_expired_idempotency_keys(session: Session, cutoff: datetime) -> int:
    result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


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
