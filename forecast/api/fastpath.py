"""Fast path for repeated reads: a pure ASGI layer, just outside FastAPI's router, that answers a GET
whose JSON response it has already seen for the same run snapshot, path and query string.

It runs inside the request-id/access-log, CORS and body-limit middleware, so those still apply. A
request is served here only when its token is in the auth cache (verified within AUTH_CACHE_SECONDS,
not revoked) and the current snapshot holds a response recorded for exactly this path and query; every
other request goes through FastAPI unchanged, and the first 200 JSON answer for a data path is
recorded in that snapshot. A new run starts with an empty record, so a response never outlives its run.
"""

from __future__ import annotations

from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.services.results import RunStore, Snapshot
from servicekit.errors import APIError

CACHEABLE_PREFIXES = ("/api/v1/forecasts", "/api/v1/models", "/api/v1/images", "/api/v1/methodology")
_MAX_ENTRIES = 4096


class FastReadMiddleware:
    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...] = CACHEABLE_PREFIXES) -> None:
        self.app = app
        self.prefixes = prefixes
        self._routes: dict[str, Any] = {}  # path -> the FastAPI route that answered it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        store: RunStore = state.run_store
        snapshot = store.snapshot
        token = _bearer(scope)
        try:
            principal = state.auth_cache.get(token) if token else None
        except APIError:  # revoked: let the router produce the 401
            principal = None
        if snapshot is None or principal is None:
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope["query_string"])
        body = snapshot.http_cache.get(key)
        if body is not None:
            # The route FastAPI matched when the answer was recorded: metrics label by its template.
            scope["route"] = self._routes.get(scope["path"])
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self._record(scope, receive, send, snapshot, key)

    async def _record(
        self, scope: Scope, receive: Receive, send: Send, snapshot: Snapshot, key: tuple[str, bytes]
    ) -> None:
        status, is_json, chunks = 0, False, []

        async def capture(message: Message) -> None:
            nonlocal status, is_json
            if message["type"] == "http.response.start":
                status = message["status"]
                is_json = any(k == b"content-type" and v == b"application/json" for k, v in message.get("headers", []))
            elif message["type"] == "http.response.body" and status == 200 and is_json:
                chunks.append(message.get("body", b""))
                if not message.get("more_body") and len(snapshot.http_cache) < _MAX_ENTRIES:
                    snapshot.http_cache[key] = b"".join(chunks)
            await send(message)

        await self.app(scope, receive, capture)
        if scope.get("route") is not None and len(self._routes) < _MAX_ENTRIES:
            self._routes[scope["path"]] = scope["route"]


def _bearer(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    return None
