"""One error shape (ErrorResponse) for every 4xx/5xx, produced by global handlers."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.logging import get_logger
from api.schemas.common import utc_now
from api.schemas.errors import ErrorDetail, ErrorResponse

log = get_logger(__name__)

ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "internal_error",
    503: "service_unavailable",
}
_LOCATIONS = {"body", "query", "path", "header", "cookie"}


class ApiError(Exception):
    """Raised by services; rendered as an ErrorResponse."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error: str | None = None,
        headers: dict[str, str] | None = None,
        details: list[ErrorDetail] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.error = error or ERROR_CODES.get(status_code, "error")
        self.headers = headers
        self.details = details


def error_body(
    status_code: int, message: str, *, error: str | None = None, details: list[ErrorDetail] | None = None
) -> bytes:
    payload = ErrorResponse(
        error=error or ERROR_CODES.get(status_code, "error"),
        message=message,
        details=details,
        status_code=status_code,
        timestamp=utc_now(),
    )
    return payload.model_dump_json().encode()


def error_response(
    status_code: int,
    message: str,
    *,
    error: str | None = None,
    details: list[ErrorDetail] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        error_body(status_code, message, error=error, details=details),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def _field_name(loc: tuple[Any, ...]) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    return ".".join(parts) or None


def validation_details(errors: list[dict[str, Any]]) -> list[ErrorDetail]:
    """One detail per field: the first error reported for a location wins."""
    by_field: dict[str | None, ErrorDetail] = {}
    for err in errors:
        field = _field_name(tuple(err.get("loc", ())))
        if field not in by_field:
            by_field[field] = ErrorDetail(field=field, message=str(err.get("msg", "invalid")), code=err["type"])
    return list(by_field.values())


async def _api_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.message, error=exc.error, details=exc.details, headers=exc.headers)


async def _http_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    if isinstance(exc.detail, str) and exc.detail:
        message = exc.detail
    else:
        message = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    if status == 404 and message == "Not Found":
        message = "The requested resource does not exist"
    return error_response(status, message, headers=dict(exc.headers) if exc.headers else None)


async def _validation_error(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in errors):
        return error_response(400, "The request body is not valid JSON", error="malformed_json")
    return error_response(422, "The request is not valid", details=validation_details(errors))


def is_database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or did not answer in time (not a bug in a query)."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, sa_exc.InvalidRequestError) and "connection is closed" in str(exc)


async def _database_error(request: Request, exc: Exception) -> Response:
    if not is_database_unavailable(exc):
        return await _unhandled(request, exc)
    # Class name only: a driver message can carry the host, the database or a statement.
    log.error("database_unavailable", path=request.url.path, exc_type=type(exc).__name__,
              cause=type(exc.__cause__ or exc).__name__)
    return error_response(503, "The database is unavailable; retry shortly", error="database_unavailable",
                          headers={"Retry-After": "2"})


async def _unhandled(request: Request, exc: Exception) -> Response:
    log.error("unhandled_exception", path=request.url.path, exc_type=type(exc).__name__, exc_info=exc)
    return error_response(500, "An internal error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(sa_exc.SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unhandled)
