"""Every query the API runs. Functions take a Session and never commit: the request's session
dependency owns the transaction, so a request either stores everything or nothing."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db.models import Course, Inference, User

if TYPE_CHECKING:
    from app.core.ratelimit import Quota


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
        f"SELECT %(user_id)s::uuid, %(email)s WHERE {allowed} ON CONFLICT (id) DO NOTHING), "
        "upd_user AS (UPDATE users SET email = %(email)s "
        f"WHERE id = %(user_id)s::uuid AND email IS DISTINCT FROM %(email)s AND {allowed})"
    )


_PG_ENSURE_USER = f"WITH {_pg_user_ctes('TRUE')} SELECT 1"
# The fixed-window counter of app/core/ratelimit.DatabaseBackend, as a CTE: same window (or a
# replica with a slower clock) counts up, a newer window starts again at 1.
_PG_QUOTA_CTE = (
    "quota AS (INSERT INTO rate_limits (key, window_start, count) "
    "VALUES (%(rl_key)s, %(rl_window_start)s, 1) ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN rate_limits.window_start >= EXCLUDED.window_start "
    "THEN rate_limits.count + 1 ELSE 1 END, "
    "window_start = GREATEST(rate_limits.window_start, EXCLUDED.window_start) RETURNING count)"
)
_PG_WITHIN_QUOTA = "(SELECT count FROM quota) <= %(rl_limit)s"


def _pg_add_inference_sql(*, with_user: bool, with_quota: bool) -> str:
    """One statement for a whole /predict or /whatif write: the rate-limit count (optional), the
    user (optional) and the inference, which are skipped when the count is over the limit.
    The foreign key check runs at the end of the statement, after the user CTE, so a first-time
    user's row is visible to it."""
    allowed = _PG_WITHIN_QUOTA if with_quota else "TRUE"
    ctes = ([_PG_QUOTA_CTE] if with_quota else []) + ([_pg_user_ctes(allowed)] if with_user else [])
    insert = (
        "INSERT INTO inferences (id, user_id, kind, cod_curso, input, output, version, created_at) "
        "SELECT %(id)s::uuid, %(user_id)s::uuid, %(kind)s, %(cod_curso)s, %(input)s::jsonb, "
        f"%(output)s::jsonb, %(version)s, %(created_at)s WHERE {allowed}"
    )
    if with_quota:
        return f"WITH {', '.join([*ctes, f'ins AS ({insert})'])} SELECT count FROM quota"
    return f"WITH {', '.join(ctes)} {insert}" if ctes else insert


_PG_ADD_INFERENCE = {
    (with_user, with_quota): _pg_add_inference_sql(with_user=with_user, with_quota=with_quota)
    for with_user in (False, True)
    for with_quota in (False, True)
}


def _user_params(user_id: uuid.UUID, email: str | None) -> dict[str, Any]:
    return {"user_id": str(user_id), "email": email}


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False)


def use_autocommit(session: Session) -> None:
    """Run the session's statements in autocommit (PostgreSQL; a no-op elsewhere).

    For use cases that send a single statement, which is atomic on its own: BEGIN and COMMIT
    would only add two round trips. Call it before the session's first statement.
    """
    if _is_postgres(session):
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


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
    ensure_user_email: str | None | bool = False,
    quota: Quota | None = None,
) -> int | None:
    """Insert one inference row (in the caller's transaction).

    ``ensure_user_email`` (a string or None) also creates the user / refreshes its email, as
    :func:`ensure_user` does; on PostgreSQL that happens in the same statement, so recording a
    prediction is a single round trip. ``False`` (the default) leaves the users table alone.

    ``quota`` (PostgreSQL only) counts the request in the same statement and returns this
    window's count; when it is over ``quota.limit`` nothing else is written. Without a quota the
    result is None.
    """
    inference_id = inference_id or uuid.uuid4()
    # Set here rather than by the server: SQLite's CURRENT_TIMESTAMP has 1 s resolution, which
    # would make "newest first" ambiguous.
    created_at = datetime.now(UTC)
    with_user = ensure_user_email is not False
    if _is_postgres(session):
        params = {
            "id": str(inference_id),
            "user_id": str(user_id),
            "email": ensure_user_email if with_user else None,
            "kind": kind,
            "cod_curso": cod_curso,
            "input": _json(input),
            "output": _json(output),
            "version": version,
            "created_at": created_at,
        }
        if quota is not None:
            params.update(rl_key=quota.key, rl_window_start=quota.window_start, rl_limit=quota.limit)
        result = session.connection().exec_driver_sql(
            _PG_ADD_INFERENCE[with_user, quota is not None], params
        )
        return int(result.scalar_one()) if quota is not None else None
    if quota is not None:
        raise ValueError("a rate-limit quota is only counted in the write on PostgreSQL")
    if with_user:
        ensure_user(session, user_id, ensure_user_email or None)  # type: ignore[arg-type]
    session.execute(
        insert(Inference).values(
            id=inference_id,
            user_id=user_id,
            kind=kind,
            cod_curso=cod_curso,
            input=input,
            output=output,
            version=version,
            created_at=created_at,
        )
    )
    return None


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


# PostgreSQL /history in one round trip: the count (an index-only scan of ix_inferences_user_id_created_at
# once autovacuum has marked the pages all-visible) and the page (a backward scan of the same index,
# newest first; rows with the same created_at are ordered by id). input/output come back as JSON
# text, not decoded: the service splices them into the response without a decode/encode round trip.
_PG_HISTORY_PAGE = (
    "SELECT t.total, p.id::text, p.kind, p.cod_curso, p.cod_persona, p.input, p.output, p.version, "
    "p.created_at "
    "FROM (SELECT count(*) AS total FROM inferences WHERE user_id = %(user_id)s::uuid) t "
    "LEFT JOIN LATERAL ("
    " SELECT id, kind, cod_curso, input->>'cod_persona' AS cod_persona, input::text AS input,"
    " output::text AS output, version, created_at"
    " FROM inferences WHERE user_id = %(user_id)s::uuid"
    " ORDER BY created_at DESC, id DESC LIMIT %(limit)s OFFSET %(offset)s"
    ") p ON true"
)


def history_page_raw(
    session: Session, user_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[tuple[Any, ...]], int] | None:
    """PostgreSQL only (None elsewhere): ``(rows, total)`` with rows as
    ``(id, kind, cod_curso, cod_persona_text, input_json_text, output_json_text, version, created_at)``."""
    if not _is_postgres(session):
        return None
    result = session.connection().exec_driver_sql(
        _PG_HISTORY_PAGE, {"user_id": str(user_id), "limit": limit, "offset": offset}
    )
    fetched = result.fetchall()
    total = int(fetched[0][0]) if fetched else 0
    return [tuple(r[1:]) for r in fetched if r[1] is not None], total


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
