"""The single error shape, shared with the forecast service, and the handlers that produce it.

Every 4xx/5xx leaves the API as
``{error, message, details[{field, message, code}] | null, status_code, timestamp}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from asyncpg import PostgresError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

import structlog

from app.db.guard import DatabaseUnavailableError, driver_error_name, is_database_unavailable
from app.services.inference import FeatureValidationError, InferenceError, ModelUnavailableError

log = structlog.get_logger(__name__)

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


def utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


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


async def _feature_error_handler(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FeatureValidationError)
    details = [ErrorDetail(field=e.field, message=e.message, code=e.code) for e in exc.errors]
    return error_response(422, "Invalid features", details=details)


async def _inference_error_handler(_: Request, exc: Exception) -> JSONResponse:
    # The model rejected input the featurizer accepted: a server-side fault, logged with its cause but
    # answered without internals. Raised before anything is persisted, so no row is written.
    log.error("inference_failed", reason=str(exc))
    return error_response(500, "The model could not score this request", error="inference_failed")


async def _model_unavailable_handler(_: Request, exc: Exception) -> JSONResponse:
    # Production with no servable model: a clear 503, never a made-up score. Nothing was stored.
    log.error("model_unavailable", reason=str(exc))
    return error_response(503, "No model can be served right now", error="model_unavailable")


# Clients may retry after this long; the pool re-connects on its own once the database is back.
DB_RETRY_AFTER_SECONDS = 5


async def _database_error_handler(_: Request, exc: Exception) -> JSONResponse:
    # The request's transaction was rolled back (or died with its connection): nothing was stored.
    if is_database_unavailable(exc):
        log.warning("database_unavailable", error=driver_error_name(exc))
        return error_response(
            503,
            "The database is temporarily unavailable",
            error="database_unavailable",
            headers={"Retry-After": str(DB_RETRY_AFTER_SECONDS)},
        )
    log.error("database_error", error=type(exc).__name__)
    return error_response(500, "Internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(APIError, _api_error_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(FeatureValidationError, _feature_error_handler)
    app.add_exception_handler(InferenceError, _inference_error_handler)
    app.add_exception_handler(ModelUnavailableError, _model_unavailable_handler)
    for database_error in (SQLAlchemyError, PostgresError, DatabaseUnavailableError):
        app.add_exception_handler(database_error, _database_error_handler)
