"""Both services' pure ASGI middleware: the request id with its access line, and the guard (the body size
limit and the last-resort 500).

Pure ASGI rather than BaseHTTPMiddleware: request bodies stream through unbuffered, and the contextvars
bound here are visible to the endpoint. The stack, outermost first, is ``RequestContextMiddleware`` →
CORS → ``GuardMiddleware`` → the app, so a 413 or a 500 still carries CORS headers and the request id.
"""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from servicekit.errors import INTERNAL_ERROR_MESSAGE, error_body
from servicekit.tracing import current_trace_ids, tag_request

# A client's own id is echoed only when it is short and plain (a UUID, 32 hex digits, a traceparent):
# it goes into every log line of the request.
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = structlog.get_logger("access")
log = structlog.get_logger(__name__)


def request_id_for(incoming: str | None) -> str:
    """The client's X-Request-ID when it is sane, else a fresh one (32 hex digits)."""
    return incoming if incoming and REQUEST_ID_PATTERN.match(incoming) else uuid.uuid4().hex


class RequestContextMiddleware:
    """Gives every request an id (a sane incoming X-Request-ID, or a fresh one), binds it and the trace
    ids to every log line of the request, tags the span with it, echoes it as X-Request-ID and writes
    one access line per request (method, path, status, duration, client; never headers or bodies)."""

    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(header(scope, b"x-request-id"))
        scope.setdefault("state", {})["request_id"] = request_id
        # A worker's context may still hold the previous request's keys: start from nothing.
        structlog.contextvars.clear_contextvars()
        tag_request(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id, **current_trace_ids())
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status, response_started = message["status"], True
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            # The guard inside CORS answers the app's own failures; this catches what fails between
            # the two, so even that 500 is in the error shape with the request id and an access line.
            _log_unhandled(scope, exc)
            if response_started:
                raise
            await _send_error(send_with_id, 500, INTERNAL_ERROR_MESSAGE)
        finally:
            if self.access_log:
                access_log.info(
                    "request",
                    method=scope.get("method"),
                    path=scope.get("path"),
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                    client=(scope.get("client") or (None,))[0],
                )
            structlog.contextvars.clear_contextvars()


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_message(limit))


def too_large_message(limit: int) -> str:
    return f"Request body exceeds the {limit} byte limit"


class GuardMiddleware:
    """413 for a body over ``max_body_bytes`` (at once from Content-Length, or while a chunked body
    streams in), 400 for a Content-Length that is not a number, and the last-resort 500 in the error
    shape for any exception the app let through (its body reveals nothing of the failure)."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _send_error(send, 400, "Invalid Content-Length header")
                return
            if int(declared) > limit:
                await _send_error(send, 413, too_large_message(limit))
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await _send_error(send, 413, too_large_message(limit))
        except Exception as exc:
            _log_unhandled(scope, exc)
            # Once the response has started the server can only close the connection.
            if not response_started:
                await _send_error(send, 500, INTERNAL_ERROR_MESSAGE)


def _log_unhandled(scope: Scope, exc: Exception) -> None:
    log.error("unhandled_exception", path=scope.get("path"), exc_type=type(exc).__name__, exc_info=exc)


async def _send_error(send: Send, status: int, message: str) -> None:
    body = error_body(status, message)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower-case bytes), or None."""
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return None
