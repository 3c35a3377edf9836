"""Oversized and malformed request bodies: always a 4xx in the ErrorResponse shape, never a 5xx.

Runs on SQLite and Postgres (the ``client`` fixture): some inputs (a NUL character) only break one of
them. Complements tests/api/test_errors.py (413 by Content-Length and chunked, basic malformed JSON).
"""

from __future__ import annotations

import json

import pytest

from servicekit.errors import ErrorResponse

LOGIN = "/api/v1/auth/login"
JSON = {"Content-Type": "application/json"}


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def with_body(value) -> bytes:
    return json.dumps({"username": "alice", "password": value}).encode()


BAD_BODIES = {
    "empty": (b"", JSON),
    "truncated": (b'{"username": "alice", "pass', JSON),
    "not_an_object": (b'["alice", "pw"]', JSON),
    "null": (b"null", JSON),
    "trailing_garbage": (b'{"username": "a", "password": "b"} xx', JSON),
    "invalid_utf8": (b'{"username": "\xff\xfe", "password": "b"}', JSON),
    "utf16_bom": ('{"username": "a", "password": "b"}'.encode("utf-16"), JSON),
    "nested_10k_array": (nested(10_000), JSON),
    "nested_20k_in_field": (b'{"username": ' + nested(20_000) + b', "password": "x"}', JSON),
    "nested_objects": (b'{"a":' * 5000 + b"1" + b"}" * 5000, JSON),
    "huge_integer": (b'{"username": "alice", "password": ' + b"9" * 50_000 + b"}", JSON),
    "huge_float": (b'{"username": "alice", "password": 1e999999}', JSON),
    "nan": (b'{"username": NaN, "password": Infinity}', JSON),
    "huge_string": (with_body("x" * 60_000), JSON),
    "huge_username": (json.dumps({"username": "u" * 60_000, "password": "x"}).encode(), JSON),
    "nul_in_username": (json.dumps({"username": "ali\u0000ce", "password": "x"}).encode(), JSON),
    "nul_in_password": (with_body("pw\u0000"), JSON),
    "lone_surrogate": (b'{"username": "\\ud800", "password": "x"}', JSON),
    "many_keys": (json.dumps({f"k{i}": i for i in range(5000)}).encode(), JSON),
    "text_plain": (with_body("x"), {"Content-Type": "text/plain"}),
    "form": (b"username=alice&password=x", {"Content-Type": "application/x-www-form-urlencoded"}),
    "multipart": (
        b'--b\r\nContent-Disposition: form-data; name="username"\r\n\r\na\r\n--b--\r\n',
        {"Content-Type": "multipart/form-data; boundary=b"},
    ),
    "no_content_type": (with_body("x"), {}),
    "bogus_content_type": (with_body("x"), {"Content-Type": "application/json; charset=klingon"}),
}


def assert_4xx(response) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    ErrorResponse.model_validate(body)
    assert body["status_code"] == response.status_code
    return body


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
async def test_malformed_login_bodies_are_4xx(client, user, case):
    content, headers = BAD_BODIES[case]
    assert_4xx(await client.post(LOGIN, content=content, headers=headers))


@pytest.mark.parametrize("path", ["/api/v1/auth/refresh", "/api/v1/auth/logout"])
async def test_bodies_on_token_endpoints_are_ignored_or_4xx(client, auth, path):
    """Endpoints without a body model: garbage is ignored (or refused), never a 5xx."""
    response = await client.post(path, content=nested(10_000), headers={**JSON, **auth})
    assert response.status_code < 500


async def test_oversized_body_is_413_whatever_the_content_type(client, settings):
    big = b"x" * (settings.max_body_bytes + 1)
    for headers in (JSON, {"Content-Type": "text/plain"}, {}):
        body = assert_4xx(await client.post(LOGIN, content=big, headers=headers))
        assert body["status_code"] == 413 and body["error"] == "payload_too_large"


async def test_chunked_body_without_content_length_is_413_even_with_tiny_chunks(client, settings):
    async def chunks():
        for _ in range(settings.max_body_bytes // 100 + 2):
            yield b"1" * 100

    response = await client.post(LOGIN, content=chunks(), headers=JSON)
    assert "content-length" not in {k.lower() for k in response.request.headers}
    assert assert_4xx(response)["status_code"] == 413


async def test_a_body_exactly_at_the_limit_is_not_refused_as_too_large(client, user, settings):
    payload = with_body("")
    padded = payload[:-1] + b" " * (settings.max_body_bytes - len(payload)) + b"}"
    assert len(padded) == settings.max_body_bytes
    response = await client.post(LOGIN, content=padded, headers=JSON)
    assert response.status_code == 422  # an empty password, not a 413


async def test_invalid_content_length_is_refused(client):
    response = await client.post(LOGIN, content=b"{}", headers={**JSON, "Content-Length": "-1"})
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "query",
    [
        "page=" + "9" * 5000,
        "page=-1",
        "page_size=1e309",
        "horizon=NaN",
        "model=%00",
        "model=" + "m" * 10_000,
        "page=1&page=2&page=x",
    ],
)
async def test_hostile_query_strings_are_4xx_or_ignored(client, auth, published, query):
    response = await client.get(f"/api/v1/forecasts/?{query}", headers=auth)
    assert response.status_code < 500, response.text[:300]


@pytest.mark.parametrize("token", ["\u0000", "a" * 20_000, "x.y.z", "e30.e30.", "Bearer"])
async def test_hostile_tokens_are_401(client, token):
    response = await client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text[:300]
