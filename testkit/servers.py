"""Waiting for, and stopping, the API servers the load scripts under bench/ start themselves."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request


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
