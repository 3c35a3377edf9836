"""Fast path for repeated reads: a pure ASGI layer, just outside FastAPI's router, that answers a GET
from the response cache (api/services/response_cache.py) without routing it.

It runs inside the request-id/access-log, CORS and body-limit middleware, so those still apply. A
request is served here only when its token is in the auth cache (verified within AUTH_CACHE_SECONDS,
not revoked) and the cache holds the answer of the current run for exactly this path and query; every
other request goes through FastAPI unchanged, whose routers fill the same cache. A new run starts with
an empty cache, so an answer never outlives its run.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from api.services.errors import InvalidCredentials
from api.state import app_state

CACHEABLE_PREFIXES = (
    "/api/v1/forecasts",
    "/api/v1/models",
    "/api/v1/images",
    "/api/v1/methodology",
    "/api/v1/assets",
)
_MAX_ROUTES = 4096


class FastReadMiddleware:
    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...] = CACHEABLE_PREFIXES) -> None:
        self.app = app
        self.prefixes = prefixes
        self._routes: dict[str, Any] = {}  # path -> the FastAPI route that answered it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        state = app_state(scope["app"])
        store = state.run_store
        snapshot = store.snapshot
        token = _bearer(scope)
        try:
            principal = state.auth_cache.get(token) if token else None
        except InvalidCredentials:  # revoked: let the router produce the 401
            principal = None
        body = None
        if snapshot is not None and principal is not None:
            body = store.responses.get(snapshot.run_id, scope["path"], scope["query_string"])
        if body is None:
            await self.app(scope, receive, send)
            if scope.get("route") is not None and len(self._routes) < _MAX_ROUTES:
                self._routes[scope["path"]] = scope["route"]
            return
        # The route FastAPI matched when the answer was first built: metrics label by its template.
        scope["route"] = self._routes.get(scope["path"])
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None
