"""testkit.tcp_proxy on its own, against a tiny echo server: forward, cut, blackhole, restore."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from tests.faults.conftest import TcpProxy


@pytest.fixture
def echo_port():
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            while data := conn.recv(4096):
                conn.sendall(data)

    def accept() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(1)
    server.close()


def roundtrip(port: int, payload: bytes = b"ping", timeout: float = 1.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(payload)
        return sock.recv(4096)


def test_forward_cut_blackhole_restore(echo_port):
    with TcpProxy("127.0.0.1", echo_port) as proxy:
        assert roundtrip(proxy.port) == b"ping"
        live = socket.create_connection(("127.0.0.1", proxy.port), timeout=1)
        live.sendall(b"a")
        assert live.recv(10) == b"a"

        proxy.cut()
        with pytest.raises(OSError):  # the live connection is reset...
            live.sendall(b"b")
            if not live.recv(10):
                raise ConnectionResetError
        with pytest.raises(OSError):  # ...and new ones too
            if not roundtrip(proxy.port):
                raise ConnectionResetError

        proxy.restore()
        assert roundtrip(proxy.port) == b"ping"

        held = socket.create_connection(("127.0.0.1", proxy.port), timeout=1)
        held.sendall(b"x")
        assert held.recv(10) == b"x"
        proxy.blackhole()
        held.sendall(b"y")
        with pytest.raises(TimeoutError):  # accepted, never answered: the client must time out itself
            held.settimeout(0.3)
            held.recv(10)
        with pytest.raises(TimeoutError):
            roundtrip(proxy.port, timeout=0.3)

        proxy.restore()
        assert roundtrip(proxy.port) == b"ping"
        held.settimeout(1)
        with pytest.raises(OSError):  # a blackholed connection lost bytes: closed on restore
            if not held.recv(10):
                raise ConnectionResetError
        live.close()
        held.close()
    assert proxy.live_connections == 0
