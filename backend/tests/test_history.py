"""GET /history: per-user isolation, newest first, pagination bounds (on SQLite and PostgreSQL,
whose queries are separate code: SQLAlchemy and asyncpg)."""

from __future__ import annotations

import pytest

from authkit import USER_B, bearer, make_token

PAYLOAD = {"cod_persona": 1, "cod_curso": "MA101", "features": {"EDAD": 20}}


async def _predict(client, headers, course: str) -> str:
    response = await client.post("/api/v1/predict", json={**PAYLOAD, "cod_curso": course}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["id"]


async def test_history_only_returns_own_inferences(client, auth_headers):
    # Both users' rows are in the table; each caller sees, and counts, only their own.
    other = bearer(make_token(user=USER_B, email="b@example.com"))
    a1 = await _predict(client, auth_headers, "A1")
    b1 = await _predict(client, other, "B1")
    a2 = await _predict(client, auth_headers, "A2")

    mine = (await client.get("/api/v1/history", headers=auth_headers)).json()
    theirs = (await client.get("/api/v1/history", headers=other)).json()
    assert {i["id"] for i in mine["items"]} == {a1, a2} and mine["total"] == 2
    assert [i["id"] for i in theirs["items"]] == [b1] and theirs["total"] == 1


async def test_history_lists_newest_first_with_default_paging(client, auth_headers):
    first, second, third = [await _predict(client, auth_headers, course) for course in ("A1", "A2", "A3")]
    page = (await client.get("/api/v1/history", headers=auth_headers)).json()
    assert [i["id"] for i in page["items"]] == [third, second, first]
    assert page["total"] == 3 and page["limit"] == 50 and page["offset"] == 0


async def test_history_paginates_with_limit_and_offset(client, auth_headers):
    ids = [await _predict(client, auth_headers, f"C{n}") for n in range(5)]
    page = (await client.get("/api/v1/history?limit=2&offset=1", headers=auth_headers)).json()
    assert [i["id"] for i in page["items"]] == list(reversed(ids))[1:3]
    assert page["total"] == 5 and page["limit"] == 2 and page["offset"] == 1
    past_end = (await client.get("/api/v1/history?limit=200&offset=50", headers=auth_headers)).json()
    assert past_end["items"] == [] and past_end["total"] == 5


@pytest.mark.parametrize(
    "query, field",
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=-1", "limit"),
        ("limit=abc", "limit"),
        ("limit=1.5", "limit"),
        ("offset=-1", "offset"),
        ("offset=x", "offset"),
        ("offset=99999999999999999999999", "offset"),
    ],
)
async def test_out_of_range_pagination_is_422_naming_the_field(client, auth_headers, query, field):
    response = await client.get(f"/api/v1/history?{query}", headers=auth_headers)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_error"
    assert [d["field"] for d in body["details"]] == [field]


async def test_history_requires_a_token(client):
    assert (await client.get("/api/v1/history")).status_code == 401
