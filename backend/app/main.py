"""Application factory.

``uvicorn app.main:app`` works as the spec asks, but the app is built lazily (module
``__getattr__``), so importing this module in tests or the CLI has no side effects such as reading
the environment or creating the local dev key.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from app.api.errors import install_error_handlers
from app.api.state import AppState, install_app_state
from app.api.v1 import api_router
from app.api.v1.auth import local_router
from app.core.config import Settings, get_settings
from app.core.metrics import DB_POOL_IN_USE
from app.core.security import build_auth
from app.db.engine import create_db_engine, make_session_factory
from app.db.inference_store import InferenceStore, build_inference_store
from app.ml.runtime.runtime import CompileOptions
from app.services.engine_loading import load_engine
from app.services.idempotency import IdempotencyGuard
from app.services.inference import ModelEngine
from app.services.model_reload import ModelReloader
from app.services.rate_limiting import build_rate_limiter
from servicekit.docs import serve_docs
from servicekit.logging import configure_logging
from servicekit.metrics import metrics_router
from servicekit.wiring import CorsPolicy, install_middleware

log = structlog.get_logger("unitrack")


def _on_sighup(handler: Callable[[], object]) -> Callable[[], None]:
    """SIGHUP reloads the model (``kill -HUP <pid>``); returns the function that removes the handler.
    Where the loop cannot take signal handlers (another thread, Windows) there is none."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, handler)
    except (NotImplementedError, RuntimeError, ValueError, AttributeError):
        return lambda: None

    def remove() -> None:
        loop.remove_signal_handler(signal.SIGHUP)

    return remove


def _connections_in_use(db_engine: Any, store: InferenceStore) -> float:
    checked_out = getattr(db_engine.pool, "checkedout", lambda: 0)()  # the engine's pool
    return float(store.connections_in_use() + checked_out)


def create_app(settings: Settings | None = None, *, model_engine: ModelEngine | None = None) -> FastAPI:
    """``model_engine``: serve this engine instead of loading ``settings.model_path`` (tests)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, json_logs=settings.is_prod)
    verifier, signer = build_auth(settings)
    db_engine = create_db_engine(settings)
    session_factory = make_session_factory(db_engine)
    inference_store = build_inference_store(settings, session_factory)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        options = CompileOptions(
            enabled=settings.model_compile,
            timeout_s=settings.model_compile_timeout_seconds,
            max_bytes=settings.model_compile_max_mb * 2**20,
            max_memory_bytes=settings.model_compile_max_memory_mb * 2**20,
        )
        engine = model_engine
        if engine is None:
            engine = await run_in_threadpool(load_engine, settings.model_path, options, settings.mock_model_allowed)
        # The reference scorer serves at once; a compiled, verified graph takes over when ready.
        engine.start()
        reloader = ModelReloader(engine, settings.model_path, options)
        install_app_state(
            app,
            AppState(
                settings=settings,
                verifier=verifier,
                local_signer=signer,
                db_engine=db_engine,
                session_factory=session_factory,
                inference_store=inference_store,
                idempotency=IdempotencyGuard(settings.idempotency_key_ttl_seconds),
                rate_limiter=build_rate_limiter(settings, db_engine),
                model_reloader=reloader,
            ),
        )
        watcher = (
            asyncio.create_task(reloader.watch(settings.model_watch_seconds), name="model-watch")
            if settings.model_watch_seconds > 0
            else None
        )
        sighup = _on_sighup(lambda: asyncio.ensure_future(reloader.areload("SIGHUP")))
        status = engine.status()
        if status.get("mode") != "real":
            log.warning("model_mock_mode", reason=status.get("reason"), path=status.get("path"))
        log.info(
            "startup",
            env=settings.app_env,
            auth_mode=settings.auth_mode,
            db_dialect=db_engine.dialect.name,
            model_mode=status.get("mode"),
            model_version=status.get("version"),
        )
        await inference_store.open()
        try:
            yield
        finally:
            sighup()
            if watcher is not None:
                watcher.cancel()
            await inference_store.close()
            await db_engine.dispose()

    prefix = settings.api_prefix
    app = FastAPI(
        title=settings.app_name,
        version="1.0.0",
        lifespan=lifespan,
        openapi_url=f"{prefix}/openapi.json",
        docs_url=None,  # served by serve_docs below, without a CDN
        redoc_url=None,
    )
    # One service per process: the gauge reads this app's pools (asyncpg's when on PostgreSQL).
    DB_POOL_IN_USE.set_function(lambda: _connections_in_use(db_engine, inference_store))

    install_error_handlers(app)
    cors = CorsPolicy(
        origins=settings.cors_origins,
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID"],
        methods=("GET", "POST", "DELETE", "OPTIONS"),  # DELETE: /history/{id} and /history
    )
    install_middleware(app, service_name="unitrack-api", max_body_bytes=settings.max_body_bytes, cors=cors)

    app.include_router(api_router, prefix=prefix)
    serve_docs(app, f"{prefix}/docs")
    app.include_router(metrics_router(production=settings.is_prod, token=settings.metrics_token))
    if signer is not None:
        app.include_router(local_router, prefix=prefix)
    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
