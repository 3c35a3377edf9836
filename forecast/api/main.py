"""The forecast API: ``uvicorn api.main:app`` from forecast/."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from api.bootstrap import ensure_admin
from api.config import Settings, get_settings
from api.db.session import build_engine, build_session_factory
from api.errors import install_error_handlers
from api.fastpath import FastReadMiddleware
from api.metrics import DB_POOL_IN_USE, RUN_AGE_SECONDS
from api.routers import assets, auth, forecasts, health, images, methodology, models, runs
from api.security import limit_password_verifications
from api.services.auth import AuthCache
from api.services.postgres_runs import PostgresRunSource
from api.services.results import RunStore
from api.services.throttle import build_throttle
from api.state import AppState, app_state, install_app_state
from servicekit.docs import serve_docs
from servicekit.logging import configure_logging, get_logger
from servicekit.metrics import metrics_router
from servicekit.timestamps import utc_now
from servicekit.wiring import CorsPolicy, install_middleware

API_PREFIX = "/api/v1"
log = get_logger(__name__)


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    state = app_state(app)
    settings = state.settings
    await run_in_threadpool(state.run_store.refresh)
    try:
        await run_in_threadpool(ensure_admin, settings, state.session_factory)
    except Exception as exc:  # a down database must not stop health and readiness from answering
        log.error("admin_bootstrap_failed", exc_type=type(exc).__name__)
    poller = asyncio.create_task(state.run_store.poll_forever(), name="run-poller")
    log.info(
        "startup",
        env=settings.app_env,
        run_store=state.run_store.source.describe(),
        run_id=state.run_store.snapshot.run_id if state.run_store.snapshot else None,
    )
    try:
        yield
    finally:
        poller.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await poller
        state.run_store.close()
        state.engine.dispose()


def _patched_openapi(app: FastAPI) -> dict[str, Any]:
    """422 is documented as ErrorResponse (what the service sends, not FastAPI's HTTPValidationError),
    and every operation that can answer 401 declares the bearer scheme."""
    schema = FastAPI.openapi(app)
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            response = operation.get("responses", {}).get("422")
            if response:
                response["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
        for operation in path.values():
            # Read endpoints authenticate inside their snapshot dependency: document the bearer scheme.
            if "401" in operation.get("responses", {}) and "security" not in operation:
                operation["security"] = [{"HTTPBearer": []}]
    components = schema.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    return schema


def build_run_store(settings: Settings, engine: Engine) -> RunStore:
    if settings.run_store == "postgres":
        source = PostgresRunSource(engine, settings.db_connect_timeout_seconds)
        return RunStore(source, settings.run_store_poll_seconds)
    return RunStore(settings.results_dir, settings.results_poll_seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, json_logs=settings.json_logs)
    limit_password_verifications(settings.password_hash_concurrency)
    app = FastAPI(
        title="Forecast API",
        version=settings.app_version,
        description="Forecasts, model metrics and charts of the latest published pipeline run.",
        lifespan=lifespan,
        redirect_slashes=False,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by serve_docs below, without a CDN
        redoc_url=None,
    )
    engine = build_engine(settings)
    session_factory = build_session_factory(engine)
    install_app_state(
        app,
        AppState(
            settings=settings,
            engine=engine,
            session_factory=session_factory,
            run_store=build_run_store(settings, engine),
            login_throttle=build_throttle(settings, session_factory),
            auth_cache=AuthCache(settings.auth_cache_seconds),
        ),
    )

    install_error_handlers(app)
    routers = (auth, forecasts, models, images, methodology, runs, assets, health)
    for router in (r.router for r in routers):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(metrics_router(production=settings.is_prod, token=settings.metrics_token))
    serve_docs(app, "/docs")

    app.add_middleware(FastReadMiddleware)  # innermost: just outside FastAPI's router
    cors = CorsPolicy(
        origins=settings.cors_origins,
        allow_headers=["Authorization", "Content-Type", "If-None-Match", "X-Request-ID"],
        expose_headers=["ETag", "Retry-After", "X-Request-ID"],
        allow_credentials=True,
    )
    install_middleware(
        app,
        service_name="forecast-api",
        max_body_bytes=settings.max_body_bytes,
        cors=cors,
        access_log=settings.access_log,
    )
    _bind_gauges(app)
    app.openapi = lambda: app.openapi_schema or _cache_openapi(app)  # type: ignore[method-assign]
    return app


def _bind_gauges(app: FastAPI) -> None:
    """One service per process: the gauges read this app's run store and pool."""
    store = app_state(app).run_store
    engine = app_state(app).engine

    def run_age() -> float:
        snapshot = store.snapshot
        return math.nan if snapshot is None else (utc_now() - snapshot.bundle.summary.generated_at).total_seconds()

    RUN_AGE_SECONDS.set_function(run_age)
    DB_POOL_IN_USE.set_function(lambda: float(getattr(engine.pool, "checkedout", lambda: 0)()))


def _cache_openapi(app: FastAPI) -> dict[str, Any]:
    app.openapi_schema = _patched_openapi(app)
    return app.openapi_schema


app = create_app()
