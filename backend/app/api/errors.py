"""Domain errors mapped to HTTP, in one place: services and stores raise, this answers.

Every answer is the one error shape of the shared kit (servicekit/errors.py).
"""

from __future__ import annotations

import structlog
from asyncpg import PostgresError
from fastapi import FastAPI, Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from app.db.guard import DatabaseUnavailableError, driver_error_name
from app.services.idempotency import IdempotencyKeyReused, IdempotentRequestInFlight
from app.services.inference import FeatureValidationError, InferenceError, ModelUnavailableError
from servicekit.database import is_database_unavailable
from servicekit.errors import ErrorDetail, database_unavailable_response, error_response, internal_error_response
from servicekit.errors import install_error_handlers as install_base_error_handlers

log = structlog.get_logger(__name__)


async def _feature_error_handler(_: Request, exc: Exception) -> Response:
    assert isinstance(exc, FeatureValidationError)
    details = [ErrorDetail(field=e.field, message=e.message, code=e.code) for e in exc.errors]
    return error_response(422, "Invalid features", details=details)


async def _inference_error_handler(_: Request, exc: Exception) -> Response:
    # The model rejected input the featurizer accepted: a server-side fault, logged with its cause but
    # answered without internals. Raised before anything is persisted, so no row is written.
    log.error("inference_failed", reason=str(exc))
    return error_response(500, "The model could not score this request", error="inference_failed")


async def _model_unavailable_handler(_: Request, exc: Exception) -> Response:
    # Production with no servable model: a clear 503, never a made-up score. Nothing was stored.
    log.error("model_unavailable", reason=str(exc))
    return error_response(503, "No model can be served right now", error="model_unavailable")


async def _database_error_handler(_: Request, exc: Exception) -> Response:
    # The request's transaction was rolled back (or died with its connection): nothing was stored.
    if isinstance(exc, DatabaseUnavailableError) or is_database_unavailable(exc):
        log.warning("database_unavailable", error=driver_error_name(exc))
        return database_unavailable_response()
    log.error("database_error", error=type(exc).__name__)
    return internal_error_response()


async def _idempotency_key_reused_handler(_: Request, exc: Exception) -> Response:
    return error_response(
        422, "This Idempotency-Key was already used for a different request", error="idempotency_key_reused"
    )


async def _idempotency_in_flight_handler(_: Request, exc: Exception) -> Response:
    return error_response(
        409,
        "A request with this Idempotency-Key is still in progress; retry shortly",
        error="idempotency_key_in_flight",
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI) -> None:
    install_base_error_handlers(app)
    app.add_exception_handler(FeatureValidationError, _feature_error_handler)
    app.add_exception_handler(InferenceError, _inference_error_handler)
    app.add_exception_handler(ModelUnavailableError, _model_unavailable_handler)
    app.add_exception_handler(IdempotencyKeyReused, _idempotency_key_reused_handler)
    app.add_exception_handler(IdempotentRequestInFlight, _idempotency_in_flight_handler)
    for database_error in (SQLAlchemyError, PostgresError, DatabaseUnavailableError):
        app.add_exception_handler(database_error, _database_error_handler)
