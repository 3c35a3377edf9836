"""The PostgreSQL run store (RUN_STORE=postgres): runs in the API's own database (tables:
runcontract/store.py), published by the pipeline in one transaction (pipelines/publish_postgres.py).

Every replica reads the same rows. A new run is noticed through LISTEN on a dedicated connection (the
pipeline's NOTIFY arrives at its commit), and by a poll every RUN_STORE_POLL_SECONDS as the fallback for
a lost notification or a pooler that cannot LISTEN. Reads go through the app's engine (its bounded
waits apply); a database that does not answer is RunStoreUnavailable, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import psycopg2
import psycopg2.extensions
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from api.schemas.runs import RunInfo
from api.services.errors import RunFileNotFound, RunNotFound, RunStoreUnavailable
from api.services.run_snapshot import RUN_ID, RunLoadError, RunMissing, Snapshot, build_snapshot
from runcontract.store import LATEST_SLOT, NOTIFY_CHANNEL, run_files, run_latest, runs
from servicekit.logging import get_logger

log = get_logger(__name__)


def _unavailable(what: str, exc: Exception) -> RunStoreUnavailable:
    # The class name only: a driver message can carry the host or the database.
    return RunStoreUnavailable(f"the run store cannot {what} right now ({type(exc).__name__})")


class RunNotifications:
    """LISTEN on a dedicated autocommit connection, read by the event loop (no thread of its own)."""

    def __init__(self, connect_kwargs: dict[str, Any]) -> None:
        self._connect_kwargs = connect_kwargs
        self._conn: psycopg2.extensions.connection | None = None
        # The socket the loop watches, kept apart: a broken connection's fileno() raises, and a reader
        # left registered would make the loop refuse the next connection's socket.
        self._fd: int | None = None
        self._event: asyncio.Event | None = None
        self._failed_once = False

    def _connect(self) -> psycopg2.extensions.connection:
        conn: psycopg2.extensions.connection = psycopg2.connect(**self._connect_kwargs)
        conn.set_session(autocommit=True)
        with conn.cursor() as cursor:
            cursor.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return conn

    async def wait(self, seconds: float) -> None:
        """Returns on a notification, after a (re)connection (one may have been missed), or after ``seconds``."""
        loop = asyncio.get_running_loop()
        if self._event is None:
            self._event = asyncio.Event()
        if self._conn is None:
            try:
                self._conn = await asyncio.to_thread(self._connect)
            except psycopg2.Error as exc:
                if not self._failed_once:
                    log.warning("run_listen_unavailable", exc_type=type(exc).__name__, fallback_poll_s=seconds)
                    self._failed_once = True
                await asyncio.sleep(seconds)
                return
            self._failed_once = False
            self._fd = self._conn.fileno()
            loop.add_reader(self._fd, self._on_readable)
            return  # check the store now: a run may have been published while we were not listening
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        self._event.clear()

    def _on_readable(self) -> None:
        conn = self._conn
        if conn is None:
            return
        try:
            conn.poll()
        except psycopg2.Error as exc:
            log.warning("run_listen_lost", exc_type=type(exc).__name__)
            self.close()
        else:
            if not conn.notifies:
                return
            conn.notifies.clear()
        if self._event is not None:
            self._event.set()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing is watching it
                asyncio.get_running_loop().remove_reader(fd)
        if conn is not None:
            with contextlib.suppress(psycopg2.Error):
                conn.close()


class PostgresRunSource:
    def __init__(self, engine: Engine, connect_timeout_seconds: int = 5) -> None:
        self.engine = engine
        args, kwargs = engine.dialect.create_connect_args(engine.url)
        kwargs = {**dict(zip(("dsn",), args, strict=False)), **kwargs}
        kwargs.update(connect_timeout=connect_timeout_seconds, keepalives=1, keepalives_idle=30)
        self.notifications = RunNotifications(kwargs)

    def describe(self) -> str:
        return f"postgres:{self.engine.url.database}"

    def latest_run_id(self) -> str | None:
        try:
            with self.engine.connect() as conn:
                return conn.execute(select(run_latest.c.run_id).where(run_latest.c.slot == LATEST_SLOT)).scalar()
        except SQLAlchemyError as exc:
            raise _unavailable("read the latest run", exc) from exc

    def fingerprint(self, run_id: str) -> object:
        return 0  # a published run's rows never change

    def load(self, run_id: str) -> Snapshot:
        try:
            # One snapshot of the database: a prune between the two reads cannot take the images away.
            with self.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn, conn.begin():
                document = conn.execute(select(runs.c.bundle).where(runs.c.run_id == run_id)).scalar()
                images = conn.execute(
                    select(run_files.c.path, run_files.c.content).where(
                        run_files.c.run_id == run_id, run_files.c.media_type == "image/png"
                    )
                )
                files = {row.path: bytes(row.content) for row in images}
        except SQLAlchemyError as exc:
            raise _unavailable(f"read run {run_id}", exc) from exc
        if document is None:
            raise RunMissing(f"run {run_id}: not in the run store")

        def read_file(relative: str) -> bytes:
            try:
                return files[relative]
            except KeyError:
                raise RunLoadError(f"run {run_id}: image {relative} is missing") from None

        return build_snapshot(run_id, document, read_file)

    def load_kept(self, run_id: str) -> Snapshot:
        try:
            if not RUN_ID.match(run_id):
                raise RunMissing(run_id)
            return self.load(run_id)
        except RunMissing as exc:
            raise RunNotFound(f"Run {run_id!r} is not kept by this store; GET /api/v1/runs lists the runs") from exc

    def list_runs(self) -> list[RunInfo]:
        columns = (
            runs.c.run_id,
            runs.c.generated_at,
            runs.c.data_source,
            runs.c.assets,
            runs.c.horizons,
            runs.c.verdict,
        )
        try:
            with self.engine.connect() as conn, conn.begin():
                latest = conn.execute(select(run_latest.c.run_id).where(run_latest.c.slot == LATEST_SLOT)).scalar()
                rows = conn.execute(select(*columns).order_by(runs.c.published_at.desc(), runs.c.run_id.desc())).all()
        except SQLAlchemyError as exc:
            raise _unavailable("list the runs", exc) from exc
        return [
            RunInfo(
                run_id=row.run_id,
                generated_at=row.generated_at,
                data_source=row.data_source,
                assets=row.assets,
                horizons=row.horizons,
                verdict=row.verdict,
                latest=row.run_id == latest,
            )
            for row in rows
        ]

    def read_file(self, run_id: str, path: str) -> tuple[bytes, str]:
        query = select(run_files.c.content, run_files.c.media_type).where(
            run_files.c.run_id == run_id, run_files.c.path == path
        )
        try:
            with self.engine.connect() as conn:
                row = conn.execute(query).first()
        except SQLAlchemyError as exc:
            raise _unavailable(f"read run {run_id}", exc) from exc
        if row is None:
            raise RunFileNotFound(f"Run {run_id!r} has no file {path!r}")
        return bytes(row.content), row.media_type

    async def wait_for_change(self, seconds: float) -> None:
        await self.notifications.wait(seconds)

    def close(self) -> None:
        self.notifications.close()
