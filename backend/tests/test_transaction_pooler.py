"""Behind a transaction-mode pooler (Supabase's on port 6543 runs PgBouncer's way): /predict, /whatif,
/history, /auth/me and /courses through Debian's PgBouncer, with fewer server connections than the app's pool, so each
transaction may land on another server connection than the one that prepared its statements.

PostgreSQL only. PgBouncer refuses startup options it does not know, ``statement_timeout`` among them,
so the API runs with DB_STATEMENT_TIMEOUT_MS=0 here, as it must behind such a pooler.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import normalize_database_url
from testkit.pgbouncer import transaction_pooler

from authkit import bearer, make_token
from students import STUDENT

PREDICT = {"cod_persona": 1, "cod_curso": "CS2H1", "features": STUDENT}
WHATIF = {**PREDICT, "deltas": {"AVG_NG": 1}}
USERS = [uuid.uuid4() for _ in range(4)]
# Enough waves for transactions to land on another server connection than the one that prepared their
# statements: with the engine's statement cache left on, this fails within them.
WAVES = 8


@pytest.fixture
def pooled_url(db_kind, database_url) -> Iterator[str]:
    url = make_url(normalize_database_url(database_url))
    with transaction_pooler(url.host or "127.0.0.1", url.port or 5432, url.username or "postgres") as port:
        yield url.set(host="127.0.0.1", port=port).render_as_string(hide_password=False)


@pytest.mark.postgres
async def test_predict_and_history_through_a_transaction_pooler_store_every_acknowledged_row_once(
    make_client, pooled_url, clean_db
):
    headers = [bearer(make_token(user=user)) for user in USERS]
    # DB_STATEMENT_CACHE_SIZE=0 is what "auto" picks on port 6543; this PgBouncer listens elsewhere.
    async with make_client(
        database_url=pooled_url, db_statement_cache_size=0, db_statement_timeout_ms=0, db_pool_size=8
    ) as client:
        for wave in range(WAVES):  # later waves reuse pooled client connections on other server connections
            requests = []
            for n in range(24):
                path, body = ("/api/v1/whatif", WHATIF) if n % 4 == 3 else ("/api/v1/predict", PREDICT)
                extra = {"Idempotency-Key": f"wave-{wave}-{n}"} if n % 3 == 0 else {}
                requests.append(client.post(path, json=body, headers={**headers[n % len(USERS)], **extra}))
            requests += [client.get("/api/v1/history?limit=5", headers=h) for h in headers]
            # The engine's path too (SQLAlchemy's asyncpg dialect): /auth/me writes, /courses reads.
            requests += [
                client.get(path, headers=h) for h in headers * 3 for path in ("/api/v1/auth/me", "/api/v1/courses")
            ]
            answers = await asyncio.gather(*requests)
            assert [a.status_code for a in answers] == [200] * len(answers), [
                a.text for a in answers if a.status_code != 200
            ]
        acknowledged = [a.json()["id"] for a in answers[:24]]
        pages = [(await client.get("/api/v1/history?limit=200", headers=h)).json() for h in headers]

    assert sum(page["total"] for page in pages) == 24 * WAVES
    listed = [item["id"] for page in pages for item in page["items"]]
    assert len(listed) == len(set(listed)) == 24 * WAVES and set(acknowledged) <= set(listed)
    with clean_db.connect() as conn:
        stored = conn.execute(text("SELECT id::text, count(*) FROM inferences GROUP BY id")).all()
        keys = conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar_one()
    assert len(stored) == 24 * WAVES and {count for _, count in stored} == {1}
    assert set(listed) == {id_ for id_, _ in stored}
    assert keys == 8 * WAVES  # n % 3 == 0: 8 of each wave's 24
