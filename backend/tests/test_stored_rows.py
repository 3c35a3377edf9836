"""What a write stores besides the answer: the user's email, kept in step with the token's, and a UTC
``created_at`` whatever the host's time zone; and what the stores refuse to write. On SQLite and
PostgreSQL, whose write paths are separate code (make mutants found these unchecked: docs/mutation.md)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from app.api.state import app_state
from app.core.config import Settings
from app.db import repository
from app.db.engine import create_db_engine, make_session_factory
from app.db.inference_store import IdempotencyKeyUse, NewInference, PgInferenceStore, to_json
from app.db.models import IdempotencyKey, Inference
from app.db.sql_inference_store import SqlInferenceStore
from servicekit.ratelimit import Quota
from servicekit.timestamps import as_utc

from authkit import USER_A, bearer, make_token

PREDICT = {"cod_persona": 1, "cod_curso": "MA101", "features": {"EDAD": 20}}


def _stored_emails(engine) -> list[str | None]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT email FROM users")).scalars())


@pytest.fixture
def far_from_utc() -> Iterator[None]:
    """The process' local time 14 hours ahead of UTC (a POSIX TZ string: no tz database needed), so a
    naive local ``now()`` is told apart from UTC; CI and the dev machines run in UTC."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "XYZ-14"
    time.tzset()
    try:
        yield
    finally:  # restored here, not by monkeypatch's undo, which would also undo other fixtures' patches
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/predict", PREDICT),
        ("GET", "/api/v1/auth/me", None),  # the other caller of ensure_user, on both databases
    ],
)
@pytest.mark.parametrize(
    "emails", [("a@example.com", "new@example.com"), (None, "b@example.com")], ids=["changed", "first_seen_without_one"]
)
async def test_a_users_email_is_stored_on_first_sight_and_follows_the_tokens(
    client, clean_db, method, path, body, emails
):
    for email in emails:  # the same user, whose token's email changes
        response = await client.request(method, path, json=body, headers=bearer(make_token(email=email)))
        assert response.status_code == 200, response.text
        assert _stored_emails(clean_db) == [email]


@pytest.mark.postgres
async def test_refreshing_an_unchanged_email_leaves_the_users_row_unlocked(clean_db, db_session):
    # Every /auth/me refreshes the user through ensure_user (/predict does it in its own statement). ON
    # CONFLICT DO UPDATE ... WHERE locks the row even when it updates nothing, which would queue a user's
    # concurrent requests until each commits.
    async with db_session() as session:
        await repository.ensure_user(session, USER_A, "a@example.com")
    async with db_session() as holder:
        await repository.ensure_user(holder, USER_A, "a@example.com")
        with clean_db.connect() as other:  # NOWAIT: fails at once if the holder locked the row
            locked = other.execute(
                text("SELECT email FROM users WHERE id = CAST(:id AS uuid) FOR UPDATE NOWAIT"), {"id": str(USER_A)}
            ).scalar_one()
            other.rollback()
    assert locked == "a@example.com"


async def test_created_at_is_the_utc_time_of_the_write_whatever_the_hosts_time_zone(client, auth_headers, far_from_utc):
    before = datetime.now(UTC)
    assert (await client.post("/api/v1/predict", json=PREDICT, headers=auth_headers)).status_code == 200
    after = datetime.now(UTC)
    [item] = (await client.get("/api/v1/history", headers=auth_headers)).json()["items"]
    assert before <= datetime.fromisoformat(item["created_at"]) <= after


async def test_an_inference_added_without_a_time_is_stamped_with_utc_now(clean_db, db_session, far_from_utc):
    # repository.add_inference's own default, for callers that do not pass created_at.
    before = datetime.now(UTC)
    async with db_session() as session:
        await repository.ensure_user(session, USER_A, None)
        await repository.add_inference(
            session, user_id=USER_A, kind="predict", cod_curso="MA101", input={"cod_persona": 1}, output={}, version="v"
        )
    after = datetime.now(UTC)
    with clean_db.connect() as conn:
        [row] = conn.execute(select(Inference.created_at).where(Inference.user_id == USER_A)).all()
    # SQLite gives back a naive datetime (stored as UTC), PostgreSQL an aware one.
    assert before <= as_utc(row.created_at) <= after


async def test_the_sqlite_store_refuses_a_quota_instead_of_storing_an_uncounted_request(settings_factory, count_rows):
    # The database rate limiter counts inside the PostgreSQL write only; given a quota, the SQLite store
    # must fail loudly rather than store a request nobody counted.
    engine = create_db_engine(settings_factory())
    store = SqlInferenceStore(make_session_factory(engine))
    inference = _inference()
    # No over-limit marker: the store must refuse before anything would be counted or marked.
    quota = Quota(
        scope="predict", subject=str(USER_A), window_start=0, window=60, limit=5, retry_after=60, over_limit=None
    )  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^a rate-limit quota is only counted in the write on PostgreSQL$"):
        await store.add(inference, quota)
    await engine.dispose()
    assert count_rows() == 0 and count_rows("users") == 0


def test_a_nan_in_a_stored_document_is_refused_not_written_as_invalid_json():
    # PostgreSQL's jsonb and every JSON client reject NaN: fail in Python, before anything is sent.
    with pytest.raises(ValueError, match="JSON compliant"):
        to_json({"probability": float("nan")})


def _inference(output: dict | None = None) -> NewInference:
    return NewInference(
        id=uuid.uuid4(),
        user_id=USER_A,
        email=None,
        kind="predict",
        cod_curso="MA101",
        input=PREDICT,
        output=output or {},
        version="v",
    )


def _keyed(key: str, output: dict) -> NewInference:
    return replace(_inference(output), idempotency=IdempotencyKeyUse(key, f"hash-{key}"))


async def test_a_stored_key_gives_back_its_hash_inference_output_and_utc_time(client):
    store = app_state(client.app).inference_store
    inference = _keyed("k", {"probability": 0.25, "label": "pasa"})
    before = datetime.now(UTC)
    await store.add(inference)
    after = datetime.now(UTC)
    found = await store.find_key(USER_A, "k")
    assert (found.request_hash, found.inference_id, found.output) == ("hash-k", inference.id, inference.output)
    assert before <= as_utc(found.created_at) <= after
    assert await store.find_key(USER_A, "another") is None


async def test_pruning_deletes_only_the_keys_stored_before_the_cutoff_and_says_how_many(client, clean_db, count_rows):
    store = app_state(client.app).inference_store
    for key in ("old-1", "old-2", "at-cutoff", "new"):
        await store.add(_keyed(key, {}))
    cutoff = datetime(2026, 1, 2, tzinfo=UTC)
    keys = IdempotencyKey.__table__
    with clean_db.begin() as conn:  # through the column type, so SQLite stores its own format
        conn.execute(keys.update().where(keys.c.key.like("old-%")).values(created_at=datetime(2026, 1, 1, tzinfo=UTC)))
        conn.execute(keys.update().where(keys.c.key == "at-cutoff").values(created_at=cutoff))
    assert await store.prune_keys(cutoff) == 2
    # A key stored exactly at the cutoff is still live, as the replay check (created_at < cutoff) says.
    assert count_rows("idempotency_keys") == 2 and await store.find_key(USER_A, "at-cutoff") is not None
    assert await store.prune_keys(cutoff) == 0
    assert count_rows() == 4  # the inferences stay: only the keys expire


class _RecordingPool:
    """Stands in for PgPool and records whether each statement was declared safe to send again."""

    def __init__(self) -> None:
        self.idempotent: dict[str, object] = {}

    async def fetchval(self, statement, params, *, idempotent):
        self.idempotent["fetchval"] = idempotent
        return None

    async def fetch(self, statement, params, *, idempotent):
        self.idempotent["fetch"] = idempotent
        return [(0, None, None, None, None, None, None, None, None)]  # an empty page's row of NULLs

    async def fetchrow(self, statement, params, *, idempotent):
        self.idempotent["fetchrow"] = idempotent
        return None

    async def execute(self, statement, params, *, idempotent):
        self.idempotent["execute"] = idempotent
        return "DELETE 0"


async def test_the_postgresql_store_resends_reads_after_a_cut_connection_but_never_its_write():
    # PgPool sends a statement again after a connection cut mid-flight only when it is declared
    # idempotent (app/db/pg_pool.py). The write may have committed before the cut: sent again it would
    # fail on its own primary key, a server error for a stored request instead of the 503 that tells
    # the client to retry with its Idempotency-Key. Reads and the prune can simply run again.
    store = PgInferenceStore(
        Settings(_env_file=None, app_env="test", auth_mode="local", database_url="postgresql://u@h/db")
    )
    pool = _RecordingPool()
    store._pool = pool  # type: ignore[assignment]
    await store.add(_keyed("k", {}))
    assert await store.history_page(USER_A, limit=5, offset=0) == ([], 0)
    assert await store.find_key(USER_A, "k") is None
    assert await store.prune_keys(datetime.now(UTC)) == 0
    assert not pool.idempotent.pop("fetchval")  # the write
    assert pool.idempotent == {"fetch": True, "fetchrow": True, "execute": True}
