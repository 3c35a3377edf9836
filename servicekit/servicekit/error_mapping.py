"""Domain errors mapped to HTTP, as one table per service.

Services raise their own exceptions (a run that is not published, a login that is throttled) and know
nothing of status codes; each service lists, in one place, what every such exception looks like to a
client, and :func:`install_error_mappings` turns that list into exception handlers answering in the one
error shape (:func:`servicekit.errors.error_response`)::

    install_error_mappings(app, [
        ErrorMapping(RunNotPublished, 503, error="no_run_published"),
        ErrorMapping(LoginThrottled, 429, headers=lambda exc: {"Retry-After": str(exc.retry_after)}),
    ])

Starlette picks the handler of the nearest class in the exception's MRO, so a subclass may have its own
row or fall back to its parent's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import FastAPI, Request
from starlette.responses import Response

from servicekit.errors import ErrorDetail, error_response

E = TypeVar("E", bound=Exception)


@dataclass(frozen=True, slots=True)
class ErrorMapping(Generic[E]):
    """How a client sees one kind of domain error."""

    error_type: type[E]
    status_code: int
    # The stable code clients branch on; None: the status's own code (servicekit.errors.ERROR_CODES).
    error: str | None = None
    # A fixed message, or one made from the exception; None: str(exc).
    message: str | Callable[[E], str] | None = None
    headers: Mapping[str, str] | Callable[[E], Mapping[str, str]] | None = None
    details: Callable[[E], Iterable[ErrorDetail]] | None = None
    # Called before answering, e.g. to log a server-side fault the answer does not reveal.
    report: Callable[[E], None] | None = None

    def response(self, exc: E) -> Response:
        if self.report is not None:
            self.report(exc)
        if self.message is None:
            message = str(exc)
        elif isinstance(self.message, str):
            message = self.message
        else:
            message = self.message(exc)
        headers = self.headers(exc) if callable(self.headers) else self.headers
        return error_response(
            self.status_code,
            message,
            error=self.error,
            details=self.details(exc) if self.details is not None else None,
            headers=dict(headers) if headers is not None else None,
        )


def _handler(mapping: ErrorMapping[Any]) -> Callable[[Request, Exception], Any]:
    async def handle(_: Request, exc: Exception) -> Response:
        return mapping.response(exc)

    return handle


def install_error_mappings(app: FastAPI, mappings: Iterable[ErrorMapping[Any]]) -> None:
    """One exception handler per row; a type listed twice is a mistake in the table."""
    seen: set[type[Exception]] = set()
    for mapping in mappings:
        if mapping.error_type in seen:
            raise ValueError(f"{mapping.error_type.__name__} is mapped twice")
        seen.add(mapping.error_type)
        app.add_exception_handler(mapping.error_type, _handler(mapping))
