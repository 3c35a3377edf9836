"""Idempotency-Key on /predict and /whatif: a retry gets the first stored result and stores nothing new
(on SQLite and PostgreSQL, whose write paths are separate code)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.api.state import app_state
from app.db.inference_store import IdempotencyKeyUse, KeyAlreadyStored, NewInference

from authkit import USER_A, USER_B, bearer, make_token

PREDICT = {"cod_persona": 1, "cod_curso": "MA101", "features": {"EDAD": 20}}
WHATIF = {**PREDICT, "deltas": {"EDAD": 1}}


def _with_key(headers: dict[str, str], key: str) -> dict[str, str]:
    return {**headers, "Idempotency-Key": key}


@pytest.mark.parametrize(("path", "body"), [("/api/v1/predict", PREDICT), ("/api/v1/whatif", WHATIF)])
async def test_a_retry_with_the_same_key_returns_the_first_result_and_stores_nothing_new(
    client, auth_headers, count_rows, path, body
):
    first = await client.post(path, json=body, headers=_with_key(auth_headers, "retry-1"))
    again = await client.post(path, json=body, headers=_with_key(auth_headers, "retry-1"))
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json()  # same id, same body
    assert count_rows() == 1 and count_rows("idempotency_keys") == 1


async def test_a_quoted_key_is_the_same_key(client, auth_headers, count_rows):
    first = await client.post("/api/v1/predict", json=PREDICT, headers=_with_key(auth_headers, "k-7"))
    again = await client.post("/api/v1/predict", json=PREDICT, headers=_with_key(auth_headers, '"k-7"'))
    assert again.json()["id"] == first.json()["id"] and count_rows() == 1


async def test_the_same_key_with_another_body_is_a_422_and_stores_nothing(client, auth_headers, count_rows):
    await client.post("/api/v1/predict", json=PREDICT, headers=_with_key(auth_headers, "reused"))
    other = {**PREDICT, "features": {"EDAD": 30}}
    reused = await client.post("/api/v1/predict", json=other, headers=_with_key(auth_headers, "reused"))
    assert reused.status_code == 422 and reused.json()["error"] == "idempotency_key_reused"
    assert count_rows() == 1


async def test_keys_belong_to_their_user(client, auth_headers, count_rows):
    mine = await client.post("/api/v1/predict", json=PREDICT, headers=_with_key(auth_headers, "shared"))
    other_user = bearer(make_token(user=USER_B, email="b@example.com"))
    theirs = await client.post("/api/v1/predict", json=PREDICT, headers=_with_key(other_user, "shared"))
    assert theirs.status_code == 200 and theirs.json()["id"] != mine.json()["id"]
    assert count_rows() == 2


async def test_without_a_key_every_request_is_stored(client, auth_headers, count_rows):
    for _ in range(2):
        assert (await client.post("/api/v1/predict", json=PREDICT, headers=auth_headers)).status_code == 200
    assert count_rows() == 2 and count_rows("idempotency_keys") == 0


async def test_a_key_still_in_flight_is_a_409(client, auth_headers, count_rows):
    app = client.app
    async with app_state(app).idempotency.claim(app_state(app).inference_store, USER_A, "busy", "another-request"):
        busy = await client.post("/api/v1/predict", json=PREDICT, headers=_with_key(auth_headers, "busy"))
    assert busy.status_code == 409 and busy.json()["error"] == "idempotency_key_in_flight"
    assert busy.headers["retry-after"] == "1" and count_rows() == 0


async def test_an_expired_key_is_forgotten(client, auth_headers, count_rows, clean_db):
    first = await client.post("/api/v1/predict", json=PREDICT, headers=_with_key(auth_headers, "old"))
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    with clean_db.begin() as conn:
        conn.execute(text("UPDATE idempotency_keys SET created_at = :t"), {"t": two_days_ago})
    again = await client.post("/api/v1/predict", json=PREDICT, headers=_with_key(auth_headers, "old"))
    assert again.status_code == 200 and again.json()["id"] != first.json()["id"]
    assert count_rows() == 2 and count_rows("idempotency_keys") == 1


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "ünïcode"])
async def test_a_malformed_key_is_a_422_in_the_error_shape(client, auth_headers, count_rows, key):
    # Sent as raw bytes: a client can put non-ASCII on the wire even where httpx's str headers cannot.
    response = await client.post(
        "/api/v1/predict", json=PREDICT, headers={**auth_headers, "Idempotency-Key": key.encode()}
    )
    assert response.status_code == 422 and response.json()["details"][0]["field"] == "Idempotency-Key"
    assert count_rows() == 0


async def test_a_key_stored_first_by_another_replica_stores_nothing_more(client, count_rows):
    """Two replicas racing on one key: the database's unique key lets one write through."""
    store = app_state(client.app).inference_store

    def twin() -> NewInference:
        return NewInference(
            id=uuid.uuid4(),
            user_id=USER_A,
            email="a@example.com",
            kind="predict",
            cod_curso="MA101",
            input=PREDICT,
            output={"version": "v"},
            version="v",
            idempotency=IdempotencyKeyUse("raced", "fingerprint"),
        )

    await store.add(twin())
    with pytest.raises(KeyAlreadyStored):
        await store.add(twin())
    assert count_rows() == 1 and count_rows("idempotency_keys") == 1
    assert (await store.find_key(USER_A, "raced")).request_hash == "fingerprint"
