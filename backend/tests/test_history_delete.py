"""DELETE /history/{id} and DELETE /history, on SQLite and PostgreSQL: a user deletes their own rows
(with their idempotency keys), never another user's, learns nothing about ids that are not theirs, and
may send the same delete again."""

from __future__ import annotations

import uuid

import pytest

from authkit import USER_B, bearer, make_token

PREDICT = {"cod_persona": 1, "cod_curso": "MA101", "features": {"EDAD": 20}}


@pytest.fixture
def other_headers() -> dict[str, str]:
    return bearer(make_token(user=USER_B, email="b@example.com"))


async def _predict(client, headers, course: str = "MA101", key: str | None = None) -> str:
    if key is not None:
        headers = {**headers, "Idempotency-Key": key}
    response = await client.post("/api/v1/predict", json={**PREDICT, "cod_curso": course}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["id"]


async def _history_ids(client, headers) -> list[str]:
    response = await client.get("/api/v1/history", headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _assert_not_found(response) -> dict:
    assert response.status_code == 404, response.text
    body = response.json()
    assert body["error"] == "not_found" and body["status_code"] == 404 and body["details"] is None
    return body


async def test_deleting_an_own_inference_answers_204_and_removes_only_it(client, auth_headers, count_rows):
    keep, gone = await _predict(client, auth_headers, "A1"), await _predict(client, auth_headers, "A2")
    response = await client.delete(f"/api/v1/history/{gone}", headers=auth_headers)
    assert response.status_code == 204 and response.content == b""
    assert await _history_ids(client, auth_headers) == [keep] and count_rows() == 1


async def test_deleting_the_same_inference_again_is_404(client, auth_headers):
    inference_id = await _predict(client, auth_headers)
    assert (await client.delete(f"/api/v1/history/{inference_id}", headers=auth_headers)).status_code == 204
    _assert_not_found(await client.delete(f"/api/v1/history/{inference_id}", headers=auth_headers))


async def test_another_users_inference_is_404_like_one_that_never_existed_and_stays(
    client, auth_headers, other_headers, count_rows
):
    theirs = await _predict(client, other_headers, "B1")
    someone_elses = _assert_not_found(await client.delete(f"/api/v1/history/{theirs}", headers=auth_headers))
    nobodys = _assert_not_found(await client.delete(f"/api/v1/history/{uuid.uuid4()}", headers=auth_headers))
    assert someone_elses["message"] == nobodys["message"]  # nothing tells the two apart
    assert await _history_ids(client, other_headers) == [theirs] and count_rows() == 1


async def test_deleting_an_inference_deletes_its_idempotency_key_so_the_key_can_store_again(
    client, auth_headers, count_rows
):
    first = await _predict(client, auth_headers, key="plan-1")
    assert count_rows("idempotency_keys") == 1
    assert (await client.delete(f"/api/v1/history/{first}", headers=auth_headers)).status_code == 204
    assert count_rows("idempotency_keys") == 0 and count_rows() == 0
    # The key no longer names a stored answer: the same request is served, and stored, anew.
    again = await _predict(client, auth_headers, key="plan-1")
    assert again != first and count_rows() == 1 and count_rows("idempotency_keys") == 1


async def test_a_malformed_id_is_a_422_naming_it(client, auth_headers):
    response = await client.delete("/api/v1/history/not-a-uuid", headers=auth_headers)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["details"]] == ["inference_id"]


async def test_deleting_all_removes_every_own_row_and_key_and_no_one_elses(
    client, auth_headers, other_headers, count_rows
):
    for n in range(3):
        await _predict(client, auth_headers, f"A{n}", key=f"mine-{n}")
    theirs = await _predict(client, other_headers, "B1", key="theirs-1")
    response = await client.delete("/api/v1/history", headers=auth_headers)
    assert response.status_code == 204 and response.content == b""
    assert await _history_ids(client, auth_headers) == []
    assert await _history_ids(client, other_headers) == [theirs]
    assert count_rows() == 1 and count_rows("idempotency_keys") == 1


async def test_deleting_all_twice_and_with_no_history_is_204_each_time(client, auth_headers, other_headers):
    await _predict(client, auth_headers)
    for headers in (auth_headers, auth_headers, other_headers):  # again, and a user with no rows at all
        assert (await client.delete("/api/v1/history", headers=headers)).status_code == 204
    assert await _history_ids(client, auth_headers) == []


@pytest.mark.parametrize(
    "method, path",
    [
        ("DELETE", "/api/v1/history"),
        ("DELETE", "/api/v1/history/00000000-0000-4000-8000-000000000000"),
        ("GET", "/api/v1/history/export"),
    ],
)
async def test_the_new_history_endpoints_require_a_token(client, method, path):
    response = await client.request(method, path)
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"
