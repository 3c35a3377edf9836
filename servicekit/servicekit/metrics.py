"""Prometheus metrics both services expose at ``/metrics``: requests and their latency by route template.

The route label is the template (``/api/v1/models/{name}/metrics``), never the raw path, so a client
cannot grow the label set; a request that matched no route is ``unmatched``. Metric objects live at
module level in the default registry, as prometheus-client expects (one service per process);
tests compare counts before and after.

In production ``/metrics`` answers only to ``Authorization: Bearer <METRICS_TOKEN>``, and is absent
(404) when no token is set; elsewhere it is open.
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import SecretStr
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import APIError

REQUESTS = Counter("http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time from the request's arrival to its last byte",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)


def route_template(scope: Scope) -> str:
    """The matched route's full template. FastAPI leaves the route as declared in its router
    (``/models/{name}/metrics``), without the prefix it was included under, so the prefix is taken
    from the request's own path: the segments before the ones the template covers."""
    template = str(getattr(scope.get("route"), "path", None) or "")
    if not template:
        return "unmatched"
    path, depth = str(scope.get("path", "")), template.count("/")
    prefix = path.rsplit("/", depth)[0] if path.count("/") >= depth else ""
    return prefix + template


class MetricsMiddleware:
    """Pure ASGI: counts and times every HTTP request once its response has started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method, route = scope.get("method", "GET"), route_template(scope)
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


def metrics_router(*, production: bool, token: SecretStr | None) -> APIRouter:
    """``GET /metrics``; in production only with the token (and not at all without one)."""
    router = APIRouter()
    if production and token is None:
        return router

    @router.get("/metrics", include_in_schema=False)
    async def metrics(request: Request) -> Response:
        if token is not None:
            sent = request.headers.get("authorization", "")
            expected = f"Bearer {token.get_secret_value()}"
            if not hmac.compare_digest(sent.encode(), expected.encode()):
                raise APIError(401, "Metrics need the metrics token", headers={"WWW-Authenticate": "Bearer"})
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def scrape_value(text: str, name: str, **labels: Any) -> float:
    """A sample's value from a /metrics body (0 when absent): for tests and the bench."""
    from prometheus_client.parser import text_string_to_metric_families

    wanted = {k: str(v) for k, v in labels.items()}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in wanted.items()):
                return float(sample.value)
    return 0.0
