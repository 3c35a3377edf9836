"""A TCP proxy the test controls, to put between the API and PostgreSQL and then break.

Modes:

* ``up``        forwards bytes both ways.
* ``refuse``    (:meth:`TCPProxy.cut`) closes every open connection and the listening socket, so
                new connections get ECONNREFUSED, like a database host that went away.
* ``blackhole`` (:meth:`TCPProxy.blackhole`) keeps every connection open and accepts new ones, but
                never forwards a byte either way, like a hung server or a silently dropped path.

:meth:`TCPProxy.restore` goes back to ``up`` on the same port; connections that were black-holed
are closed then (their clients have given up by that time anyway).
Plain threads, so it works the same for sync and async code under test.
"""

from __future__ import annotations

import socket
import threading
from typing import Literal

Mode = Literal["up", "refuse", "blackhole"]


class TCPProxy:
    def __init__(self, upstream_host: str, upstream_port: int, host: str = "127.0.0.1", port: int = 0):
        self.upstream = (upstream_host, upstream_port)
        self.host = host
        self.mode: Mode = "up"
        self.accepted = 0
        self._lock = threading.Lock()
        self._conns: set[socket.socket] = set()
        self._closed = False
        self._listener: socket.socket | None = None
        self.port = port
        self._listen()

    # -- control -----------------------------------------------------------------------------

    def cut(self) -> None:
        """Close every connection and stop listening: new connections are refused."""
        with self._lock:
            self.mode = "refuse"
            listener, self._listener = self._listener, None
            conns, self._conns = self._conns, set()
        if listener is not None:
            _close(listener)
        for sock in conns:
            _close(sock)

    def blackhole(self) -> None:
        """Keep connections open and accept new ones, but forward nothing."""
        with self._lock:
            self.mode = "blackhole"
        if self._listener is None:
            self._listen()

    def restore(self) -> None:
        with self._lock:
            previous, self.mode = self.mode, "up"
            conns = set(self._conns) if previous == "blackhole" else set()
            self._conns -= conns
        for sock in conns:
            _close(sock)
        if self._listener is None:
            self._listen()

    def close(self) -> None:
        self._closed = True
        self.cut()

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._conns)

    # -- plumbing ----------------------------------------------------------------------------

    def _listen(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept_loop, args=(listener,), daemon=True).start()

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # listener closed by cut()/close()
            with self._lock:
                if self._listener is not listener or self.mode == "refuse":
                    _close(client)
                    continue
                self.accepted += 1
                self._conns.add(client)
                mode = self.mode
            if mode == "blackhole":
                continue  # hold it open, never answer
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
                upstream.settimeout(None)
            except OSError:
                self._drop(client)
                continue
            with self._lock:
                self._conns.add(upstream)
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if self.mode == "blackhole":
                    continue  # swallow: the other side waits forever
                dst.sendall(data)
        except OSError:
            pass
        # One side finished: in black-hole mode keep the other end hanging, otherwise close both.
        if self.mode != "blackhole":
            self._drop(src)
            self._drop(dst)

    def _drop(self, sock: socket.socket) -> None:
        with self._lock:
            self._conns.discard(sock)
        _close(sock)


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
