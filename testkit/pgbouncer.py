"""Debian's PgBouncer in transaction mode on a loopback port: the kind of pooler Supabase runs on port
6543, where each transaction may land on another server connection.

``make test`` installs the ``pgbouncer`` package when it is missing and it runs as root (Makefile);
without it a test that needs it is :func:`testkit.services.missing` (a skip on a developer's machine,
a failure under ``CI=true``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from testkit.ports import any_free_port
from testkit.servers import stop
from testkit.services import missing, port_open

# Debian installs it under /usr/sbin, which is not on every user's PATH.
_SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer", path=_SEARCH_PATH)


@contextmanager
def transaction_pooler(
    upstream_host: str, upstream_port: int, user: str, *, server_connections: int = 2
) -> Iterator[int]:
    """PgBouncer (``pool_mode = transaction``) in front of ``upstream_host:upstream_port``, every
    database passed through, trusting ``user``; yields its port. ``server_connections`` per database
    and user: fewer than the app's pool, so its transactions move between server connections."""
    binary = pgbouncer_binary()
    if binary is None:
        missing("pgbouncer is not installed (Debian package pgbouncer; make test installs it as root)")
    port = any_free_port()
    # Its own folder under the system's temp dir: pytest's are closed to the user PgBouncer runs as.
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    (folder / "userlist.txt").write_text(f'"{user}" ""\n')
    config = folder / "pgbouncer.ini"
    config.write_text(
        "[databases]\n"
        f"* = host={upstream_host} port={upstream_port}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = trust\nauth_file = {folder / 'userlist.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {server_connections}\nmax_client_conn = 200\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
    )
    command = [binary, str(config)]
    if os.geteuid() == 0:  # PgBouncer refuses to run as root
        shutil.chown(folder, "postgres")
        for path in folder.iterdir():
            shutil.chown(path, "postgres")
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not port_open("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise RuntimeError(f"pgbouncer did not start: {output[-2000:]}")
            time.sleep(0.05)
        yield port
    finally:
        stop(process)
        shutil.rmtree(folder, ignore_errors=True)
