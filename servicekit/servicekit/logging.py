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
import threading
from typing import Any

import structlog
from structlog.typing import EventDict

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


# One cheap search first: most values hold none of the three, and a log line must stay cheap.
_SUSPECT = re.compile(r"(?i)bearer|eyJ|://")


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str) and _SUSPECT.search(value):
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


# Both ways to a line (structlog's own loggers and the standard library's handler) write under one lock,
# so lines from two threads never interleave.
_WRITE_LOCK = threading.Lock()


def _write_line(line: str) -> None:
    # ``sys.stdout`` as it is now (not when logging was configured): a test's captured output, a
    # redirected stream.
    with _WRITE_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class _StdoutLogger:
    """structlog's output for its own loggers: the rendered line to the current stdout."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or ""

    def msg(self, message: str) -> None:
        _write_line(message)

    debug = info = warning = warn = error = critical = exception = fatal = msg


class _StdoutHandler(logging.Handler):
    """The standard library's records (uvicorn, SQLAlchemy, Alembic, ``logging.getLogger`` modules),
    rendered by the same processors, to the same stdout."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _write_line(self.format(record))
        except Exception:  # pragma: no cover - logging must never take a request down
            self.handleError(record)


class _Settings:
    """What :func:`configure_logging` may change later. structlog caches each logger with its processor
    chain on first use, so the chain stays the same object and reads these at each line."""

    level = logging.INFO
    render: list[Any] = []


def _drop_below_level(_: Any, method_name: str, event_dict: EventDict) -> EventDict:
    if _LEVELS.get(method_name, logging.INFO) < _Settings.level:
        raise structlog.DropEvent
    return event_dict


def _render(logger: Any, method_name: str, event_dict: EventDict) -> Any:
    rendered: Any = event_dict
    for processor in _Settings.render:
        rendered = processor(logger, method_name, rendered)
    return rendered


_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}
_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.ExtraAdder(),
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    scrub_secrets,
]


def _level(name: str) -> int:
    level = logging.getLevelName(name.upper())
    return level if isinstance(level, int) else logging.INFO


def configure_logging(level: str = "INFO", *, json_logs: bool = False) -> None:
    """Routes structlog and the standard library to stdout through the same processors: JSON lines
    when ``json_logs`` (production), otherwise console lines (coloured only on a terminal). Safe to
    call again (a second app in the same process): loggers already in use follow the new settings."""
    _Settings.level = _level(level)
    _Settings.render = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json_logs
        else [
            structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty(), exception_formatter=structlog.dev.plain_traceback)
        ]
    )
    structlog.configure(
        processors=[_drop_below_level, *_SHARED, _render],
        logger_factory=_StdoutLogger,
        # The levels are filtered by _drop_below_level, which reads the level configured last.
        wrapper_class=structlog.make_filtering_bound_logger(logging.NOTSET),
        cache_logger_on_first_use=True,
    )
    handler = _StdoutHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=_SHARED,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, _render],
        )
    )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, _StdoutHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(_Settings.level)
    # The request middleware writes the one access line per request; uvicorn's would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)
