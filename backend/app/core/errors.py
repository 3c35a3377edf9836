"""The single error shape, shared with the forecast service, and the handlers that produce it.

Every 4xx/5xx leaves the API as
``{error, message, details[{field, message, code}] | null, status_code, timestamp}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.timestamps import utc_timestamp

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


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    code: str


class ErrorResponse(BaseModel):
    error: str
    message: str
    details: list[ErrorDetail] | None = None
    status_code: int
    timestamp: str


class APIError(Exception):
    """An error with a stable code that handlers turn into the error shape."""

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
) -> dict[str, Any]:
    return {
        "error": error or ERROR_CODES.get(status_code, "error"),
        "message": message,
        "details": [d.model_dump() for d in details] if details is not None else None,
        "status_code": status_code,
        "timestamp": utc_timestamp(),
    }


def error_response(
    status_code: int,
    message: str,
    *,
    error: str | None = None,
    details: Iterable[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(status_code, message, error=error, details=details),
        status_code=status_code,
        headers=headers,
    )


def _default_message(status_code: int) -> str:
    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def _loc_to_field(loc: Sequence[Any]) -> str | None:
    # ("body", "features", "EDAD") -> "features.EDAD"; ("query", "limit") -> "limit"
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or None


async def _api_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, APIError)
    return error_response(
        exc.status_code, exc.message, error=exc.error, details=exc.details, headers=exc.headers
    )


async def _http_exception_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else _default_message(exc.status_code)
    if exc.status_code >= 500:
        message = _default_message(exc.status_code)
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))


async def _validation_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = []
    for err in exc.errors():
        code = str(err.get("type", "invalid"))
        field = _loc_to_field(err.get("loc", ()))
        if code == "json_invalid":
            field = None
            message = "Request body is not valid JSON"
        else:
            message = str(err.get("msg", "Invalid value"))
        details.append(ErrorDetail(field=field, message=message, code=code))
    return error_response(422, "Request validation failed", details=details)


def install_base_error_handlers(app: FastAPI) -> None:
    """The framework's own errors; the domain errors are mapped in app/api/errors.py."""
    app.add_exception_handler(APIError, _api_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
