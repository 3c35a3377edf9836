"""The one error shape of both services, and the handlers for the framework's own errors.

Every 4xx/5xx leaves either API as
``{"error", "message", "details": [{"field", "message", "code"}] | null, "status_code", "timestamp"}``,
rendered by :func:`error_body`, so the same failure gives the same bytes (but the timestamp) in both.
Each service maps its domain errors (a model that cannot score, a login throttle) with
:class:`APIError` or its own handlers, always through :func:`error_response`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from servicekit.timestamps import UtcDatetime, utc_now

ERROR_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}
INTERNAL_ERROR_MESSAGE = "Internal server error"
INVALID_JSON_MESSAGE = "Request body is not valid JSON"
# A client told "the database is unavailable" may retry after this long; both services' pools
# reconnect on their own once it is back.
DATABASE_RETRY_AFTER_SECONDS = 5
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    code: str


class ErrorResponse(BaseModel):
    """The single error shape: every 4xx and 5xx of both services uses it."""

    error: str
    message: str
    details: list[ErrorDetail] | None = None
    status_code: int
    timestamp: UtcDatetime


class APIError(Exception):
    """An error with a stable code, raised anywhere, rendered in the error shape."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error: str | None = None,
        details: Sequence[ErrorDetail] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.error = error or ERROR_CODES.get(status_code, "error")
        self.details = list(details) if details is not None else None
        self.headers = headers


def error_body(
    status_code: int,
    message: str,
    *,
    error: str | None = None,
    details: Iterable[ErrorDetail] | None = None,
) -> bytes:
    return (
        ErrorResponse(
            error=error or ERROR_CODES.get(status_code, "error"),
            message=message,
            details=list(details) if details is not None else None,
            status_code=status_code,
            timestamp=utc_now(),
        )
        .model_dump_json()
        .encode()
    )


def error_response(
    status_code: int,
    message: str,
    *,
    error: str | None = None,
    details: Iterable[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        error_body(status_code, message, error=error, details=details),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def database_unavailable_response() -> Response:
    """503 for a database that cannot be reached: nothing was stored, the request may be retried."""
    return error_response(
        503,
        "The database is temporarily unavailable",
        error="database_unavailable",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def internal_error_response() -> Response:
    return error_response(500, INTERNAL_ERROR_MESSAGE)


def _default_message(status_code: int) -> str:
    if status_code == 404:
        return "The requested resource does not exist"
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def field_name(loc: Sequence[Any]) -> str | None:
    """("body", "features", "EDAD") -> "features.EDAD"; ("query", "limit") -> "limit"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or None


def validation_details(errors: Iterable[dict[str, Any]]) -> list[ErrorDetail]:
    """One detail per field: the first error reported for a location wins (a union type would
    otherwise report one error per member)."""
    by_field: dict[str | None, ErrorDetail] = {}
    for err in errors:
        code = str(err.get("type", "invalid"))
        if code == "json_invalid":
            by_field.setdefault(None, ErrorDetail(field=None, message=INVALID_JSON_MESSAGE, code=code))
            continue
        field = field_name(err.get("loc", ()))
        by_field.setdefault(field, ErrorDetail(field=field, message=str(err.get("msg", "Invalid value")), code=code))
    return list(by_field.values())


async def _api_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, APIError)
    return error_response(exc.status_code, exc.message, error=exc.error, details=exc.details, headers=exc.headers)


async def _http_exception_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else ""
    if status == 500:
        message = INTERNAL_ERROR_MESSAGE
    elif status > 500 or not detail or (status == 404 and detail == "Not Found"):
        message = _default_message(status)  # a 5xx never echoes internals
    else:
        message = detail
    return error_response(status, message, headers=dict(exc.headers) if exc.headers else None)


async def _validation_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(422, "Request validation failed", details=validation_details(exc.errors()))


def install_error_handlers(app: FastAPI) -> None:
    """The framework's own errors; each service adds its domain errors beside these."""
    app.add_exception_handler(APIError, _api_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
