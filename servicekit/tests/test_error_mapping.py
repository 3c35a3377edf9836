"""A service's table of domain errors answers each one in the one error shape, with its code and headers."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from servicekit.error_mapping import ErrorMapping, install_error_mappings
from servicekit.errors import ErrorDetail, ErrorResponse


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("Slow down")
        self.retry_after = retry_after


class NotFound(Exception):
    pass


class ThingNotFound(NotFound):
    pass


class Unmapped(Exception):
    pass


class Invalid(Exception):
    pass


def _app(reported: list[Exception]) -> FastAPI:
    app = FastAPI()
    install_error_mappings(
        app,
        [
            ErrorMapping(Throttled, 429, headers=lambda exc: {"Retry-After": str(exc.retry_after)}),
            ErrorMapping(NotFound, 404, error="thing_not_found"),
            ErrorMapping(
                Invalid,
                422,
                message="Invalid thing",
                details=lambda exc: [ErrorDetail(field="size", message=str(exc), code="too_big")],
                report=reported.append,
            ),
        ],
    )
    errors = {
        "throttled": Throttled(7),
        "thing": ThingNotFound("No thing 'x' here"),
        "invalid": Invalid("size is over 10"),
    }

    @app.get("/{kind}")
    async def fail(kind: str) -> None:
        raise errors[kind]

    return app


async def _get(app: FastAPI, path: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get(path)


@pytest.mark.asyncio
async def test_a_mapped_error_answers_its_status_code_message_and_headers() -> None:
    response = await _get(_app([]), "/throttled")
    body = ErrorResponse.model_validate_json(response.content)
    assert (response.status_code, response.headers["retry-after"]) == (429, "7")
    assert (body.error, body.message, body.details, body.status_code) == ("rate_limited", "Slow down", None, 429)


@pytest.mark.asyncio
async def test_a_subclass_without_its_own_row_answers_as_its_parent_with_its_own_message() -> None:
    response = await _get(_app([]), "/thing")
    body = ErrorResponse.model_validate_json(response.content)
    assert (response.status_code, body.error, body.message) == (404, "thing_not_found", "No thing 'x' here")


@pytest.mark.asyncio
async def test_fixed_message_details_and_report_are_used() -> None:
    reported: list[Exception] = []
    response = await _get(_app(reported), "/invalid")
    body = ErrorResponse.model_validate_json(response.content)
    assert (response.status_code, body.error, body.message) == (422, "validation_error", "Invalid thing")
    assert body.details == [ErrorDetail(field="size", message="size is over 10", code="too_big")]
    assert [str(exc) for exc in reported] == ["size is over 10"]


def test_a_type_mapped_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="NotFound is mapped twice"):
        install_error_mappings(FastAPI(), [ErrorMapping(NotFound, 404), ErrorMapping(NotFound, 410)])
