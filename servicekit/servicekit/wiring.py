"""The middleware stack both services run, in one order.

Added innermost first: ``GuardMiddleware`` (body limit, last-resort 500) < CORS < ``RequestContextMiddleware``
(request id, access line) < ``MetricsMiddleware``, so even a 413 or a 500 carries CORS headers and a
request id, and the metrics time every request, errors included. A service adds its own innermost
middleware before calling this. Tracing is on only with OTEL_EXPORTER_OTLP_ENDPOINT set."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from servicekit.metrics import MetricsMiddleware
from servicekit.middleware import GuardMiddleware, RequestContextMiddleware
from servicekit.tracing import enable_tracing


@dataclass(frozen=True)
class CorsPolicy:
    """What browsers from ``origins`` may send and read. ``methods`` must name every method a browser
    calls: one missing is refused at the preflight, before the request reaches the route."""

    origins: Sequence[str]
    allow_headers: Sequence[str]
    expose_headers: Sequence[str]
    allow_credentials: bool = False
    methods: Sequence[str] = ("GET", "POST", "OPTIONS")


def install_middleware(
    app: FastAPI, *, service_name: str, max_body_bytes: int, cors: CorsPolicy, access_log: bool = True
) -> None:
    app.add_middleware(GuardMiddleware, max_body_bytes=max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(cors.origins),
        allow_credentials=cors.allow_credentials,
        allow_methods=list(cors.methods),
        allow_headers=list(cors.allow_headers),
        expose_headers=list(cors.expose_headers),
        max_age=600,
    )
    app.add_middleware(RequestContextMiddleware, access_log=access_log)
    app.add_middleware(MetricsMiddleware)
    enable_tracing(app, service_name)
