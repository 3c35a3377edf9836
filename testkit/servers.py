"""Starting, waiting for and stopping the API servers the load scripts under bench/ and the replica tests
start themselves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

# How every load script serves an app: one worker on uvloop and httptools, as in production, with no
# access log and quiet uvicorn logs so the server spends its CPU on requests.
UVICORN_FLAGS = [
    "--host",
    "127.0.0.1",
    "--workers",
    "1",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--no-access-log",
    "--log-level",
    "warning",
]


def start_uvicorn(
    app: str, port: int, *, cwd: Path, env: Mapping[str, str], log_path: Path, extra: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    """``app`` served by uvicorn (:data:`UVICORN_FLAGS` plus ``extra``) on 127.0.0.1:``port``, run from
    ``cwd`` in a process group of its own (so :func:`stop` ends it and its children), its output in
    ``log_path``."""
    with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", app, "--port", str(port), *UVICORN_FLAGS, *extra],
            cwd=cwd,
            env=dict(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_up(url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    """Return once ``url`` answers 200; exit the script if ``proc`` dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server for {url} exited early (see its log)")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} not up")


def stop(proc: subprocess.Popen, grace: float = 15) -> int | None:
    """SIGTERM the server's process group (started with ``start_new_session=True``), SIGKILL it
    after ``grace`` seconds; the exit code."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return proc.returncode


@contextmanager
def serving_replicas(
    app: str, count: int, *, cwd: Path, env: Mapping[str, str], log_dir: Path, ready_path: str, timeout: float = 90
) -> Iterator[list[str]]:
    """``count`` replicas of ``app`` (each its own uvicorn process on a free loopback port, one shared
    ``env``), yielded as their base URLs once each answers 200 on ``ready_path``; all stopped on exit.
    A replica that dies or never answers raises RuntimeError with the end of its log."""
    from testkit.ports import any_free_port

    procs: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    try:
        for i in range(count):
            port = any_free_port()
            log_path = log_dir / f"replica-{i}.log"
            procs.append(start_uvicorn(app, port, cwd=cwd, env=env, log_path=log_path))
            bases.append(f"http://127.0.0.1:{port}")
        for i, (base, proc) in enumerate(zip(bases, procs, strict=True)):
            try:
                wait_up(base + ready_path, proc, timeout)
            except SystemExit as exc:  # wait_up ends a script; a test wants an error it can show
                tail = (log_dir / f"replica-{i}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{exc}; its log ends:\n{tail}") from None
        yield bases
    finally:
        for proc in procs:
            stop(proc)
