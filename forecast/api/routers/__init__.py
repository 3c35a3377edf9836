"""Thin routers: parse the request, call a service, return its result."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from servicekit.errors import ErrorResponse


class JSONBytes(Response):
    """A response whose body is already serialised (the response cache, api/services/response_cache.py)."""

    media_type = "application/json"


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        401: "Missing, invalid, expired or revoked token",
        403: "User account disabled",
        404: "Not found (unknown model, horizon, image, asset or run)",
        413: "Request body too large",
        422: "Invalid parameters (one detail per field)",
        429: "Too many failed login attempts (see Retry-After)",
        503: "No forecast run is published yet, or the run store cannot be read",
    }
    return {code: {"model": ErrorResponse, "description": descriptions.get(code, "Error")} for code in codes}


AUTHED = errors(401, 403, 404, 503)
