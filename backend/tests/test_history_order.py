"""GET /history's order and counts over many rows, rows stored with the same created_at included (on
SQLite and PostgreSQL, whose queries are separate code). test_history.py checks a few rows made by
/predict, whose times always differ; these rows are written with chosen times and ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from app.api.state import app_state
from app.db import repository

from authkit import USER_A

# Ids out of insertion order, so that neither "by id" nor "as inserted" gives the expected order.
PERMUTATION = [5, 11, 2, 8, 0, 9, 3, 6, 10, 1, 7, 4]
START = datetime(2026, 1, 1, tzinfo=UTC)


async def _store(db_session, rows: list[tuple[uuid.UUID, datetime, dict]]) -> None:
    async with db_session() as session:
        await repository.ensure_user(session, USER_A, "a@example.com")
        for n, (id_, created_at, input_) in enumerate(rows):
            await repository.add_inference(
                session,
                inference_id=id_,
                user_id=USER_A,
                kind="predict",
                cod_curso=f"C{n}",
                input=input_,
                output={"n": n},
                version="v",
                created_at=created_at,
            )


def _twelve_rows_three_per_time() -> list[tuple[uuid.UUID, datetime, dict]]:
    return [
        (uuid.UUID(f"00000000-0000-4000-8000-{p:012d}"), START + timedelta(minutes=n // 3), {"cod_persona": n})
        for n, p in enumerate(PERMUTATION)
    ]


async def test_history_lists_newest_first_across_many_rows_with_ties_broken_by_the_larger_id(
    client, auth_headers, db_session
):
    rows = _twelve_rows_three_per_time()
    await _store(db_session, rows)
    expected = [str(id_) for id_, created_at, _ in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)]
    page = (await client.get("/api/v1/history", headers=auth_headers)).json()
    assert [item["id"] for item in page["items"]] == expected and page["total"] == 12
    # Pages cut through the groups of equal times and still line up, none lost or repeated.
    pages = [(await client.get(f"/api/v1/history?limit=4&offset={o}", headers=auth_headers)).json() for o in (0, 4, 8)]
    assert [item["id"] for p in pages for item in p["items"]] == expected


async def test_a_user_with_no_inferences_has_an_empty_history_with_total_zero(client, auth_headers):
    page = (await client.get("/api/v1/history", headers=auth_headers)).json()
    assert page["items"] == [] and page["total"] == 0


async def test_a_row_stored_without_a_cod_persona_lists_none_not_the_string_none(client, auth_headers, db_session):
    await _store(db_session, [(uuid.uuid4(), START, {})])
    # The store's row says None (HistoryRow: text or None); the page renders that as null.
    [row], total = await app_state(client.app).inference_store.history_page(USER_A, limit=5, offset=0)
    assert row[3] is None and total == 1
    [item] = (await client.get("/api/v1/history", headers=auth_headers)).json()["items"]
    assert item["cod_persona"] is None
