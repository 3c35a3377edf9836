"""POST /predict/batch: a semester in one call, checked whole, scored in one model call, stored all or
nothing, counted per item by the rate limit (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from authkit import USER_B, bearer, make_token
from students import STUDENT

BATCH = "/api/v1/predict/batch"
COURSES = ["CS2H1", "MA101", "FI201", "QU110", "HU100", "ES120", "IN300", "MA202"]


def _batch(n: int = 8, **features_override) -> dict:
    return {
        "cod_persona": 8839,
        "items": [
            {"cod_curso": c, "features": {**STUDENT, "EDAD": 18 + i, **features_override}}
            for i, c in enumerate(COURSES[:n])
        ],
    }


async def test_a_batch_answers_each_item_in_order_as_predict_would_and_stores_them(
    make_client, auth_headers, model_file, count_rows
):
    from app.services.engine_loading import load_engine

    async with make_client(engine=load_engine(model_file)) as client:
        body = _batch()
        batch = await client.post(BATCH, json=body, headers=auth_headers)
        assert batch.status_code == 200, batch.text
        items = batch.json()["items"]
        singles = [
            await client.post("/api/v1/predict", json={"cod_persona": 8839, **item}, headers=auth_headers)
            for item in body["items"]
        ]
        history = (await client.get("/api/v1/history?limit=50", headers=auth_headers)).json()
    assert len(items) == 8 and len({i["id"] for i in items}) == 8
    for item, single in zip(items, singles, strict=True):  # same scores and explanations as one by one
        expected = single.json()
        assert item["prediction"] == expected["prediction"] and item["explain"] == expected["explain"]
    assert count_rows() == 16
    stored = {row["id"]: row for row in history["items"]}
    assert [stored[i["id"]]["cod_curso"] for i in items] == COURSES
    assert all(stored[i["id"]]["output"]["prediction"] == i["prediction"] for i in items)


async def test_a_batch_with_one_bad_item_is_a_422_naming_it_and_stores_nothing(
    make_client, auth_headers, model_file, count_rows
):
    from app.services.engine_loading import load_engine

    body = _batch()
    body["items"][5]["features"]["EDAD"] = "not a number"
    async with make_client(engine=load_engine(model_file)) as client:
        response = await client.post(BATCH, json=body, headers=auth_headers)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["details"]] == ["items.5.features.EDAD"]
    assert count_rows() == 0


@pytest.mark.parametrize("items", [0, 51])
async def test_an_empty_or_oversized_batch_is_a_422(client, auth_headers, count_rows, items):
    body = {"cod_persona": 1, "items": [{"cod_curso": "CS2H1", "features": {"EDAD": 20}}] * items}
    response = await client.post(BATCH, json=body, headers=auth_headers)
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "items"
    assert count_rows() == 0


async def test_a_batch_that_meets_the_rate_limit_part_way_stores_nothing(make_client, auth_headers, count_rows):
    async with make_client(rate_limit_predict="10/minute") as client:
        first = await client.post(BATCH, json=_batch(8), headers=auth_headers)  # 8 of 10 used
        second = await client.post(BATCH, json=_batch(3), headers=auth_headers)  # would need 11
        other_user = bearer(make_token(user=USER_B, email="b@example.com"))
        theirs = await client.post(BATCH, json=_batch(3), headers=other_user)  # their own budget
    assert first.status_code == 200, first.text
    assert second.status_code == 429 and second.json()["error"] == "rate_limited" and "retry-after" in second.headers
    assert theirs.status_code == 200
    assert count_rows() == 8 + 3  # nothing of the refused batch
