"""Domain errors mapped to HTTP, in one place: services and stores raise, this answers.

Every answer is the one error shape of the shared kit (servicekit/errors.py).
"""

from __future__ import annotations

from typing import Any

import structlog
from asyncpg import PostgresError
from fastapi import FastAPI, Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.responses import Response

from app.db.errors import DatabaseUnavailableError, driver_error_name, is_database_unavailable
from app.services.history import InferenceNotFound
from app.services.idempotency import IdempotencyKeyReused, IdempotentRequestInFlight
from app.services.inference import FeatureValidationError, InferenceError, ModelUnavailableError
from servicekit.error_mapping import ErrorMapping, install_error_mappings
from servicekit.errors import ErrorDetail, database_unavailable_response, internal_error_response
from servicekit.errors import install_error_handlers as install_base_error_handlers

log = structlog.get_logger(__name__)


def _feature_details(exc: FeatureValidationError) -> list[ErrorDetail]:
    return [ErrorDetail(field=e.field, message=e.message, code=e.code) for e in exc.errors]


def _inference_failed(exc: InferenceError) -> None:
    # The model rejected input the featurizer accepted: a server-side fault, logged with its cause but
    # answered without internals. Raised before anything is persisted, so no row is written.
    log.error("inference_failed", reason=str(exc))


def _model_unavailable(exc: ModelUnavailableError) -> None:
    # Production with no servable model: a clear 503, never a made-up score. Nothing was stored.
    log.error("model_unavailable", reason=str(exc))


DOMAIN_ERRORS: list[ErrorMapping[Any]] = [
    ErrorMapping(FeatureValidationError, 422, message="Invalid features", details=_feature_details),
    ErrorMapping(
        InferenceError,
        500,
        error="inference_failed",
        message="The model could not score this request",
        report=_inference_failed,
    ),
    ErrorMapping(
        ModelUnavailableError,
        503,
        error="model_unavailable",
        message="No model can be served right now",
        report=_model_unavailable,
    ),
    # The same answer for another user's id as for one that never existed: nothing to learn from it.
    ErrorMapping(InferenceNotFound, 404, error="not_found", message="No such inference in your history"),
    ErrorMapping(
        IdempotencyKeyReused,
        422,
        error="idempotency_key_reused",
        message="This Idempotency-Key was already used for a different request",
    ),
    ErrorMapping(
        IdempotentRequestInFlight,
        409,
        error="idempotency_key_in_flight",
        message="A request with this Idempotency-Key is still in progress; retry shortly",
        headers={"Retry-After": "1"},
    ),
]


async def _database_error_handler(_: Request, exc: Exception) -> Response:
    # The request's transaction was rolled back (or died with its connection): nothing was stored.
    if is_database_unavailable(exc):
        log.warning("database_unavailable", error=driver_error_name(exc))
        return database_unavailable_response()
    log.error("database_error", error=type(exc).__name__)
    return internal_error_response()


def install_error_handlers(app: FastAPI) -> None:
    install_base_error_handlers(app)
    install_error_mappings(app, DOMAIN_ERRORS)
    for database_error in (SQLAlchemyError, PostgresError, DatabaseUnavailableError):
        app.add_exception_handler(database_error, _database_error_handler)
