"""Oversized and malformed bodies: 413 in the error shape, every other abuse a 4xx, never a 5xx,
and nothing stored."""

from __future__ import annotations

import json

from .conftest import assert_error_shape
from students import STUDENT

GOOD = {"cod_persona": 1, "cod_curso": "CS2H1", "features": STUDENT}
JSON = {"Content-Type": "application/json"}


def _body(**changes: object) -> bytes:
    return json.dumps({**GOOD, **changes}).encode()


def _raw(template: str, value: str) -> bytes:
    """GOOD with one field spliced in as raw JSON text (for literals json.dumps cannot write)."""
    return template.replace("@", value).encode()


FEATURE_VALUE = '{"cod_persona": 1, "cod_curso": "CS2H1", "features": {"EDAD": @}}'
PERSONA_VALUE = '{"cod_persona": @, "cod_curso": "CS2H1", "features": {"EDAD": 20}}'

MALFORMED: dict[str, bytes] = {
    "truncated": b'{"cod_persona": 1,',
    "empty": b"",
    "not_utf8": b'{"cod_persona": 1, "cod_curso": "\xff\xfe", "features": {}}',
    "bom_and_garbage": b"\xef\xbb\xbf\x00\x01",
    "top_level_array": b"[1, 2, 3]",
    "top_level_string": b'"predict"',
    "top_level_null": b"null",
    "top_level_number": b"1e400",
    "nested_arrays_40k": b"[" * 30_000 + b"]" * 30_000,
    "nested_objects_in_features": _raw(FEATURE_VALUE, '{"a":' * 5_000 + "1" + "}" * 5_000),
    "nested_arrays_in_features": _raw(FEATURE_VALUE, "[" * 900 + "]" * 900),
    "float_overflow_feature": _raw(FEATURE_VALUE, "1e400"),
    "negative_float_overflow_feature": _raw(FEATURE_VALUE, "-1e400"),
    "huge_int_feature": _raw(FEATURE_VALUE, "1" + "0" * 1000),
    "too_many_digits_int_feature": _raw(FEATURE_VALUE, "9" * 5000),
    "huge_int_persona": _raw(PERSONA_VALUE, "1" + "0" * 1000),
    "float_overflow_persona": _raw(PERSONA_VALUE, "1e400"),
    "float_persona": _raw(PERSONA_VALUE, "1.5"),
    "nan_literal": _raw(FEATURE_VALUE, "NaN"),
    "infinity_literal": _raw(FEATURE_VALUE, "-Infinity"),
    "huge_string_cod_curso": _body(cod_curso="A" * 60_000),
    "unicode_cod_curso": _body(cod_curso="CS2H1\u202e"),
    "nul_in_cod_curso": _body(cod_curso="CS\u00002H1"),
    "features_list": _body(features=[1, 2, 3]),
    "features_string": _body(features="EDAD=20"),
    "features_null": _body(features=None),
    "features_number": _body(features=20),
    "feature_key_with_nul": _body(features={"ED\u0000AD": 1}),
    "feature_key_huge": _body(features={"E" * 10_000: 1}),
    "feature_value_string": _body(features={"EDAD": "20"}),
    "feature_value_object": _body(features={"EDAD": {"value": 20}}),
    "too_many_features": _body(features={f"F{i}": i for i in range(300)}),
    "max_float_feature": _body(features={**STUDENT, "EDAD": 1.7976931348623157e308}),
    "lone_surrogate": b'{"cod_persona": 1, "cod_curso": "\\ud800", "features": {}}',
}

WHATIF_MALFORMED: dict[str, bytes] = {
    # Finite inputs whose sum overflows to inf.
    "delta_overflow": _body(features={**STUDENT, "EDAD": 1.7e308}, deltas={"EDAD": 1.7e308}),
    "delta_float_overflow": _raw(
        '{"cod_persona": 1, "cod_curso": "CS2H1", "features": {"EDAD": 20}, "deltas": {"EDAD": @}}',
        "1e400",
    ),
    "delta_huge_int": _raw(
        '{"cod_persona": 1, "cod_curso": "CS2H1", "features": {"EDAD": 20}, "deltas": {"EDAD": @}}',
        "1" + "0" * 1000,
    ),
    "deltas_list": _body(deltas=[1]),
    "deltas_missing": _body(),
}


def _assert_4xx(response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    assert_error_shape(response, response.status_code)


def _failures(responses: dict[str, object]) -> list[str]:
    failures = []
    for name, response in responses.items():
        try:
            _assert_4xx(response)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    return failures


async def _post_all(client, path: str, bodies: dict[str, bytes], headers: dict[str, str]):
    return {name: await client.post(path, content=body, headers={**headers, **JSON}) for name, body in bodies.items()}


async def test_malformed_predict_and_whatif_bodies_are_4xx_and_store_nothing(
    make_client, real_engine, auth_headers, count_rows
):
    # One app for all cases (a real model, so the featurizer and scorer see every value).
    async with make_client(engine=real_engine) as client:
        responses = await _post_all(client, "/api/v1/predict", MALFORMED, auth_headers)
        responses |= {
            f"whatif:{k}": v
            for k, v in (await _post_all(client, "/api/v1/whatif", WHATIF_MALFORMED, auth_headers)).items()
        }
    assert not _failures(responses), "\n".join(_failures(responses))
    assert count_rows() == 0 and count_rows("users") == 0


CONTENT_TYPES = [
    None,
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz",
    "application/xml",
    "application/jsonp",
    "*/*",
]


async def test_wrong_content_types_are_4xx_and_store_nothing(client, auth_headers, count_rows):
    responses = {}
    for content_type in CONTENT_TYPES:
        headers = dict(auth_headers)
        if content_type is not None:
            headers["Content-Type"] = content_type
        responses[str(content_type)] = await client.post("/api/v1/predict", content=_body(), headers=headers)
    assert not _failures(responses), "\n".join(_failures(responses))
    assert count_rows() == 0


async def test_nested_json_just_under_the_body_limit_is_4xx(make_client, auth_headers):
    # 100,000 nested arrays need 200 kB: allow it through the body limit and make the parser face it.
    deep = b"[" * 100_000 + b"]" * 100_000
    async with make_client(max_body_bytes=512 * 1024) as client:
        response = await client.post("/api/v1/predict", content=deep, headers={**auth_headers, **JSON})
    _assert_4xx(response)


async def test_deep_nesting_over_the_body_limit_is_413(client, auth_headers):
    deep = b"[" * 100_000 + b"]" * 100_000
    response = await client.post("/api/v1/predict", content=deep, headers={**auth_headers, **JSON})
    assert_error_shape(response, 413, "payload_too_large")


async def test_chunked_body_over_the_limit_without_content_length_is_413_and_stores_nothing(
    client, auth_headers, count_rows
):
    sent = {"bytes": 0}

    async def chunks():
        # A valid JSON prefix, then padding: the limit must trip on bytes, not on parse errors.
        yield b'{"cod_persona": 1, "cod_curso": "CS2H1", "features": {"EDAD": 20}, "pad": "'
        for _ in range(100):
            sent["bytes"] += 4096
            yield b"x" * 4096
        yield b'"}'

    response = await client.post("/api/v1/predict", content=chunks(), headers={**auth_headers, **JSON})
    assert "content-length" not in response.request.headers
    assert_error_shape(response, 413, "payload_too_large")
    assert count_rows() == 0


async def test_chunked_body_under_the_limit_is_accepted(client, auth_headers, count_rows):
    payload = _body()

    async def chunks():
        for i in range(0, len(payload), 7):
            yield payload[i : i + 7]

    response = await client.post("/api/v1/predict", content=chunks(), headers={**auth_headers, **JSON})
    assert response.status_code == 200, response.text
    assert count_rows() == 1


async def test_a_lying_content_length_is_4xx(client, auth_headers):
    for value in ("-1", "abc", "1e3", "99999999999999999999999"):
        response = await client.post(
            "/api/v1/predict", content=_body(), headers={**auth_headers, **JSON, "Content-Length": value}
        )
        assert 400 <= response.status_code < 500, (value, response.status_code)
