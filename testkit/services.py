"""Services a test needs but does not start itself (PostgreSQL, Redis, a free loopback port, an
optional package the dev requirements install).

On a developer's machine a missing service skips the test, so the rest of the suite still runs.
Under ``CI=true`` it fails the test instead: CI starts every service before the suites run
(``.ci/run``), so a missing one is a broken setup, and a skip there would pass silently.
Every such check in both suites goes through :func:`missing`.
"""

from __future__ import annotations

import importlib
import os
import socket
from types import ModuleType
from typing import NoReturn


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes", "on")


def missing(what: str) -> NoReturn:
    """Skip (developer machine) or fail (``CI=true``) the current test: ``what`` is not available."""
    import pytest

    if in_ci():
        pytest.fail(f"CI=true, so this is a failure and not a skip: {what}", pytrace=False)
    pytest.skip(what)


def require_module(name: str) -> ModuleType:
    """``import name``; a missing package is :func:`missing` (pytest.importorskip would skip in CI too)."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        missing(f"{name} is not installed ({exc}); the dev requirements install it")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_redis(url: str) -> str:
    """``url`` once its Redis answers PING; otherwise :func:`missing`."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        client.ping()
    except Exception as exc:  # any failure to reach it: refused, timeout, auth
        missing(f"Redis at {url} is not reachable ({type(exc).__name__}: {exc})")
    finally:
        client.close()
    return url
