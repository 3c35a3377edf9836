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
