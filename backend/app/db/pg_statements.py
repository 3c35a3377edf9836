"""The PostgreSQL statements of the hot path: /predict's and /whatif's write, /history's read.

Each is one round trip, run as an autocommit statement on asyncpg's pool (app/db/pg_pool.py). They
are SQLAlchemy ``text()`` constructs, compiled by SQLAlchemy once to asyncpg's ``$n``
(``pg_pool.CompiledStatement``). Every parameter is cast, since asyncpg sends parameters separately
and the server must know their types.

The write is atomic on its own: the rate-limit count, the user, the inference and its idempotency
key, all or nothing, and nothing but the count when the count is over the limit.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text


# Create-or-refresh the user with ``INSERT ... ON CONFLICT DO NOTHING`` plus an UPDATE that only
# matches when the email really changed. Unlike ``ON CONFLICT DO UPDATE ... WHERE``, which locks the
# user's row even when it updates nothing (and so serialises a user's concurrent requests until
# commit), this takes no row lock in the common case. Both sub-statements see the same snapshot: for
# a new user the UPDATE matches nothing and the INSERT stores the email.
def _user_ctes(allowed: str) -> str:
    return (
        "ins_user AS (INSERT INTO users (id, email) "
        f"SELECT CAST(:user_id AS uuid), CAST(:email AS text) WHERE {allowed} ON CONFLICT (id) DO NOTHING), "
        "upd_user AS (UPDATE users SET email = CAST(:email AS text) "
        f"WHERE id = CAST(:user_id AS uuid) AND email IS DISTINCT FROM CAST(:email AS text) AND {allowed})"
    )


# The fixed-window counter of app/db/rate_limits.DatabaseBackend, as a CTE: same window (or a
# replica with a slower clock) counts up, a newer window starts again at the request's amount.
_QUOTA_CTE = (
    "quota AS (INSERT INTO rate_limits (key, window_start, count) "
    "VALUES (CAST(:rl_key AS text), CAST(:rl_window_start AS bigint), CAST(:rl_amount AS int)) "
    "ON CONFLICT (key) DO UPDATE SET "
    "count = CASE WHEN rate_limits.window_start >= EXCLUDED.window_start "
    "THEN rate_limits.count + EXCLUDED.count ELSE EXCLUDED.count END, "
    "window_start = GREATEST(rate_limits.window_start, EXCLUDED.window_start) RETURNING count)"
)
_WITHIN_QUOTA = "(SELECT count FROM quota) <= CAST(:rl_limit AS bigint)"


def _allowed(with_quota: bool) -> str:
    return _WITHIN_QUOTA if with_quota else "TRUE"


def _guarded_write(with_quota: bool, extra_ctes: list[str], insert: str) -> str:
    """The count (with a quota), the user and ``extra_ctes``, then ``insert``, all in one statement;
    every write in it is conditioned on the count staying within the limit. With a quota it returns
    the count."""
    ctes = ([_QUOTA_CTE] if with_quota else []) + [_user_ctes(_allowed(with_quota)), *extra_ctes]
    if with_quota:
        return f"WITH {', '.join([*ctes, f'ins AS ({insert})'])} SELECT count FROM quota"
    return f"WITH {', '.join(ctes)} {insert}"


def _add_inference_sql(*, with_quota: bool, with_key: bool) -> str:
    """One statement for a whole /predict or /whatif write: the rate-limit count (optional), the
    user (created on first sight, email kept in step), the inference and its idempotency key
    (optional), the last three skipped when the count is over the limit. Foreign keys are checked at
    the end of the statement, after the user and inference CTEs, so the rows they insert are visible
    to those checks. A key another request stored first is a unique violation: nothing is stored."""
    allowed = _allowed(with_quota)
    ctes = []
    if with_key:
        ctes.append(
            "ins_key AS (INSERT INTO idempotency_keys (user_id, key, request_hash, inference_id, created_at) "
            "SELECT CAST(:user_id AS uuid), CAST(:idem_key AS text), CAST(:idem_hash AS text), CAST(:id AS uuid), "
            f"CAST(:created_at AS timestamptz) WHERE {allowed})"
        )
    insert = (
        "INSERT INTO inferences (id, user_id, kind, cod_curso, input, output, version, created_at) "
        "SELECT CAST(:id AS uuid), CAST(:user_id AS uuid), CAST(:kind AS text), CAST(:cod_curso AS text), "
        "CAST(:input AS jsonb), CAST(:output AS jsonb), CAST(:version AS text), CAST(:created_at AS timestamptz) "
        f"WHERE {allowed}"
    )
    return _guarded_write(with_quota, ctes, insert)


def _add_batch_sql(*, with_quota: bool) -> str:
    """A batch of /predict rows in one statement: the count goes up by the batch's size, and the user
    and every row are stored only when the count stays within the limit: all of them or none."""
    insert = (
        "INSERT INTO inferences (id, user_id, kind, cod_curso, input, output, version, created_at) "
        "SELECT b.id, CAST(:user_id AS uuid), CAST(:kind AS text), b.cod_curso, b.input, b.output, "
        "CAST(:version AS text), b.created_at FROM unnest(CAST(:ids AS uuid[]), CAST(:cod_cursos AS text[]), "
        "CAST(:inputs AS jsonb[]), CAST(:outputs AS jsonb[]), CAST(:created_ats AS timestamptz[])) "
        f"AS b(id, cod_curso, input, output, created_at) WHERE {_allowed(with_quota)}"
    )
    return _guarded_write(with_quota, [], insert)


ADD_INFERENCE: dict[tuple[bool, bool], TextClause] = {
    (with_quota, with_key): text(_add_inference_sql(with_quota=with_quota, with_key=with_key))
    for with_quota in (False, True)
    for with_key in (False, True)
}
ADD_BATCH: dict[bool, TextClause] = {
    with_quota: text(_add_batch_sql(with_quota=with_quota)) for with_quota in (False, True)
}

# An idempotency key with the inference it stored (output as JSON text), expired or not.
FIND_IDEMPOTENCY_KEY = text(
    "SELECT k.request_hash, k.created_at, i.id, i.output::text FROM idempotency_keys k "
    "JOIN inferences i ON i.id = k.inference_id "
    "WHERE k.user_id = CAST(:user_id AS uuid) AND k.key = CAST(:idem_key AS text)"
)

# /auth/me's create-or-refresh of the user, without the row lock (see _user_ctes).
ENSURE_USER = text(f"WITH {_user_ctes('TRUE')} SELECT 1")

DELETE_EXPIRED_IDEMPOTENCY_KEYS = text("DELETE FROM idempotency_keys WHERE created_at < CAST(:cutoff AS timestamptz)")

DELETE_EXPIRED_IDEMPOTENCY_KEYS = text("DELETE FROM idempotency_keys WHERE created_at < CAST(:cutoff AS timestamptz)")
PING = text("SELECT 1")
