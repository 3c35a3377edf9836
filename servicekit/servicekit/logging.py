"""Both services' logging: JSON lines in production, readable console lines in development, the same keys.

Every line carries ``timestamp`` (ISO 8601, UTC), ``level``, ``logger`` and ``event``, and inside a
request ``request_id`` (and ``trace_id``/``span_id`` when tracing; servicekit/middleware.py binds them).
structlog's loggers and the standard library's (uvicorn, SQLAlchemy, Alembic, modules that use
``logging.getLogger``) go through the same processors to the same handler, so the two never mix
styles. A processor masks what must never reach a log: values under sensitive keys, bearer tokens, JWTs
and connection strings anywhere.

Call :func:`configure_logging` once per process, when the app is built. Tests must not configure
production (JSON) logging in their own process: run such a check in a subprocess.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "token",
        "access_token",
        "password",
        "hashed_password",
        "secret",
        "secret_key",
        "database_url",
    }
)
REDACTED = "[redacted]"
_BEARER = re.compile(r"(?i)bearer\s+[A-Za-z0-9._~+/=-]+")
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_DSN = re.compile(r"(?i)((?:postgres(?:ql)?|redis|rediss)(?:\+\w+)?://)[^\s'\"]+")


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        value = _BEARER.sub("Bearer [redacted]", value)
        value = _JWT.sub("[redacted-jwt]", value)
        return _DSN.sub(r"\1[redacted]", value)
    return value


def scrub_secrets(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: masks sensitive keys, and tokens and connection strings in any value."""
    for key in list(event_dict):
        if key.lower() in SENSITIVE_KEYS:
            event_dict[key] = REDACTED
        else:
            event_dict[key] = _scrub_value(event_dict[key])
    return event_dict


class _StdoutHandler(logging.Handler):
    """Writes to whatever ``sys.stdout`` is when a line is written (not when logging was configured),
    so a logger configured earlier still reaches a test's captured output or a redirected stream."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stdout.write(self.format(record) + "\n")
            sys.stdout.flush()
        except Exception:  # pragma: no cover - logging must never take a request down
            self.handleError(record)


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO


def configure_logging(level: str = "INFO", *, json_logs: bool = False) -> None:
    """Routes structlog and the standard library to one stdout handler: JSON lines when ``json_logs``
    (production), otherwise console lines (coloured only on a terminal). Safe to call again."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        scrub_secrets,
    ]
    renderer: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json_logs
        else [
            structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty(), exception_formatter=structlog.dev.plain_traceback)
        ]
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # The chain above is the same in both modes and the handler finds stdout when it writes, so a
        # cached logger stays right when a later app configures logging again.
        cache_logger_on_first_use=True,
    )
    handler = _StdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
        )
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _StdoutHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(_level(level))
    # The request middleware writes the one access line per request; uvicorn's would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
