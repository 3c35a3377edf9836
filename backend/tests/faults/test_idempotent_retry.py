"""The database cut under load, then every refused write retried with its Idempotency-Key: each user ends
with exactly one row, including those whose commit reached the database while their answer was lost
(PostgreSQL only: the cut is a TCP proxy)."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from testkit.clocks import without_hanging

from .test_db_outage import FAST
from authkit import bearer, make_token
from students import STUDENT

USERS = [uuid.UUID(int=0x4000_0000_0000_4000_8000_0000_0000_0000 + n) for n in range(40)]
PREDICT = {"cod_persona": 1, "cod_curso": "CS2H1", "features": STUDENT}


async def test_retrying_every_refused_write_with_its_key_leaves_exactly_one_row_per_user(
    make_client, pg_proxy, clean_db
):
    headers = {user: {**bearer(make_token(user=user, email=None)), "Idempotency-Key": f"plan-{user}"} for user in USERS}
    async with make_client(database_url=pg_proxy.url, **FAST) as client:

        async def send(user: uuid.UUID):
            return await without_hanging(client.post("/api/v1/predict", json=PREDICT, headers=headers[user]), str(user))

        pending = {asyncio.create_task(send(user)): user for user in USERS}
        first_done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        pg_proxy.cut()  # under load: some requests answered, some mid-statement, some not yet sent
        answers = dict(zip(pending.values(), await asyncio.gather(*pending), strict=True))
        refused = [user for user, response in answers.items() if response.status_code != 200]
        assert refused, "the cut refused nothing: the test did not test a retry"
        print(f"{len(refused)} of {len(USERS)} refused by the cut")
        assert all(answers[user].status_code == 503 for user in refused)
        pg_proxy.restore()

        ids = {user: response.json()["id"] for user, response in answers.items() if response.status_code == 200}
        for user in USERS:  # a careful client retries what failed; a retry of a success is a replay
            for _ in range(5):
                response = await send(user)
                if response.status_code == 200:
                    break
            assert response.status_code == 200, response.text
            assert ids.setdefault(user, response.json()["id"]) == response.json()["id"]

    with clean_db.connect() as conn:
        rows = dict(conn.execute(text("SELECT user_id, count(*) FROM inferences GROUP BY user_id")).all())
        stored_ids = {str(i) for i in conn.execute(text("SELECT id FROM inferences")).scalars()}
    assert {uuid.UUID(str(u)) for u in rows} == set(USERS) and set(rows.values()) == {1}
    assert stored_ids == set(ids.values())  # every answered id is the user's one row
