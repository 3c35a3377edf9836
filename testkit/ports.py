"""Loopback ports for servers the tests start themselves."""

from __future__ import annotations

import socket
from collections.abc import Iterable


def free_port(candidates: Iterable[int]) -> int | None:
    """The first port in ``candidates`` that can be bound on 127.0.0.1 now, or None."""
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return None


def any_free_port() -> int:
    """A port the kernel just handed out on 127.0.0.1 (free now; bind it soon)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_free_port(candidates: range) -> int:
    """The first free port in ``candidates``; none free is a missing service (skipped on a developer's
    machine, a failure under ``CI=true``)."""
    from testkit.services import missing

    port = free_port(candidates)
    if port is None:
        missing(f"no free port in {candidates.start}-{candidates.stop - 1}")
    return port
