"""A TCP relay that a test controls: forward, cut, blackhole, restore.

    with TcpProxy("127.0.0.1", 5432) as proxy:      # or proxy.start() ... proxy.stop()
        url = f"postgresql://postgres@127.0.0.1:{proxy.port}/db"
        ...
        proxy.cut()         # live connections closed (RST), new ones reset as soon as accepted
        proxy.blackhole()   # connections accepted, bytes swallowed, nothing forwarded or answered
        proxy.restore()     # forwarding again; connections that were blackholed are closed

Threads only (one accept loop, one relay thread per connection), standard library only.
"""

from __future__ import annotations

import contextlib
import select
import socket
import struct
import threading
from typing import Literal

Mode = Literal["forward", "cut", "blackhole"]
_CHUNK = 65536
_TICK = 0.05


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a crashed server or a dropped pooler would."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()


class _Pipe:
    def __init__(self, client: socket.socket, upstream: socket.socket | None, blackholed: bool) -> None:
        self.client = client
        self.upstream = upstream
        self.blackholed = blackholed  # once set, the connection never forwards again
        self.closed = threading.Event()

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        _reset(self.client)
        if self.upstream is not None:
            _reset(self.upstream)


class TcpProxy:
    def __init__(
        self,
        upstream_host: str,
        upstream_port: int,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
        connect_timeout: float = 2.0,
    ) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.connect_timeout = connect_timeout
        self.mode: Mode = "forward"
        self.accepted = 0  # connections accepted since start (whatever the mode)
        self._pipes: set[_Pipe] = set()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._listener is None:
            raise RuntimeError("the proxy is not started")
        return self._listener.getsockname()[1]

    def start(self) -> int:
        """Starts listening; returns the port to connect to."""
        if self._listener is not None:
            return self.port
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.listen_host, self.listen_port))
        listener.listen(128)
        listener.settimeout(_TICK)
        self._listener = listener
        self._stopping.clear()
        self._thread = threading.Thread(target=self._accept_loop, name=f"tcp-proxy-{self.port}", daemon=True)
        self._thread.start()
        return self.port

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._close_all()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        self._listener, self._thread = None, None

    def __enter__(self) -> TcpProxy:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- faults ------------------------------------------------------------------------------------
    def cut(self) -> None:
        """Close every live connection and reset every new one until restore()."""
        self.mode = "cut"
        self._close_all()

    def blackhole(self) -> None:
        """Keep every connection open but forward nothing and answer nothing, until restore()."""
        with self._lock:
            self.mode = "blackhole"
            for pipe in self._pipes:
                pipe.blackholed = True

    def restore(self) -> None:
        """Forward again. Connections that were blackholed lost bytes, so they are closed."""
        with self._lock:
            self.mode = "forward"
            stale = [p for p in self._pipes if p.blackholed]
        for pipe in stale:
            pipe.close()

    @property
    def live_connections(self) -> int:
        with self._lock:
            return sum(1 for p in self._pipes if not p.closed.is_set())

    # -- internals ---------------------------------------------------------------------------------
    def _close_all(self) -> None:
        with self._lock:
            pipes = list(self._pipes)
        for pipe in pipes:
            pipe.close()

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            client.setblocking(True)
            mode = self.mode
            if mode == "cut":
                _reset(client)
                continue
            upstream = None
            if mode == "forward":
                try:
                    upstream = socket.create_connection(self.upstream, timeout=self.connect_timeout)
                except OSError:
                    _reset(client)
                    continue
            pipe = _Pipe(client, upstream, blackholed=mode == "blackhole")
            with self._lock:
                self._pipes.add(pipe)
            threading.Thread(target=self._relay, args=(pipe,), daemon=True).start()

    def _relay(self, pipe: _Pipe) -> None:
        try:
            while not pipe.closed.is_set() and not self._stopping.is_set():
                sockets = [pipe.client] if pipe.upstream is None else [pipe.client, pipe.upstream]
                try:
                    readable, _, _ = select.select(sockets, [], [], _TICK)
                except (OSError, ValueError):
                    break
                if pipe.blackholed:
                    # Swallow what the client sends (so it never blocks on a full buffer); answer nothing.
                    if pipe.client in readable and not self._drain(pipe.client):
                        break
                    if pipe.upstream is not None and pipe.upstream in readable and not self._drain(pipe.upstream):
                        _reset(pipe.upstream)
                        pipe.upstream = None
                    continue
                done = False
                for source in readable:
                    target = pipe.upstream if source is pipe.client else pipe.client
                    try:
                        data = source.recv(_CHUNK)
                        if not data:
                            done = True
                            break
                        assert target is not None
                        target.sendall(data)
                    except OSError:
                        done = True
                        break
                if done:
                    break
        finally:
            pipe.close()
            with self._lock:
                self._pipes.discard(pipe)

    @staticmethod
    def _drain(sock: socket.socket) -> bool:
        try:
            return bool(sock.recv(_CHUNK))
        except OSError:
            return False
