"""Forecast's errors in the one error shape of the shared kit (servicekit/errors.py), in one place: the
kit handles the framework's errors; this maps the services' domain errors (api/services/errors.py) to
HTTP and adds the database and the last-resort handler."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import exc as sa_exc
from starlette.responses import Response

from api.services.errors import (
    AssetNotFound,
    FeatureImportanceNotFound,
    HorizonNotFound,
    ImageNotFound,
    InactiveUser,
    InvalidCredentials,
    LoginThrottled,
    ModelNotFound,
    NoRunPublished,
    RunFileNotFound,
    RunNotFound,
    RunStoreUnavailable,
)
from servicekit.database import is_database_unavailable
from servicekit.error_mapping import ErrorMapping, install_error_mappings
from servicekit.errors import database_unavailable_response, internal_error_response
from servicekit.errors import install_error_handlers as install_base_error_handlers
from servicekit.logging import get_logger

log = get_logger(__name__)

BEARER = {"WWW-Authenticate": "Bearer"}
RETRY_SOON = {"Retry-After": "5"}


def _retry_after(exc: LoginThrottled) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


DOMAIN_ERRORS: list[ErrorMapping[Any]] = [
    ErrorMapping(InvalidCredentials, 401, headers=BEARER),  # TokenRevoked too
    ErrorMapping(InactiveUser, 403, error="inactive_user"),
    ErrorMapping(LoginThrottled, 429, headers=_retry_after),
    ErrorMapping(NoRunPublished, 503, error="no_run_published"),
    ErrorMapping(RunStoreUnavailable, 503, error="run_store_unavailable", headers=RETRY_SOON),
    ErrorMapping(RunNotFound, 404, error="run_not_found"),
    ErrorMapping(RunFileNotFound, 404, error="run_file_not_found"),
    ErrorMapping(AssetNotFound, 404, error="asset_not_found"),
    ErrorMapping(HorizonNotFound, 404, error="horizon_not_found"),
    ErrorMapping(ModelNotFound, 404, error="model_not_found"),
    ErrorMapping(ImageNotFound, 404, error="image_not_found"),
    ErrorMapping(FeatureImportanceNotFound, 404, error="feature_importance_not_found"),
]


async def _database_error(request: Request, exc: Exception) -> Response:
    if not is_database_unavailable(exc):
        return await _unhandled(request, exc)
    # Class name only: a driver message can carry the host, the database or a statement.
    log.error(
        "database_unavailable",
        path=request.url.path,
        exc_type=type(exc).__name__,
        cause=type(exc.__cause__ or exc).__name__,
    )
    return database_unavailable_response()


async def _unhandled(request: Request, exc: Exception) -> Response:
    log.error("unhandled_exception", path=request.url.path, exc_type=type(exc).__name__, exc_info=exc)
    return internal_error_response()


def install_error_handlers(app: FastAPI) -> None:
    install_base_error_handlers(app)
    install_error_mappings(app, DOMAIN_ERRORS)
    app.add_exception_handler(sa_exc.SQLAlchemyError, _database_error)
    app.add_exception_handler(Exception, _unhandled)
