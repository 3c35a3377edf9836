"""The published run, held in memory, from the run store the settings choose (RUN_STORE).

The store is a folder (api/services/folder_runs.py, the default) or the API's PostgreSQL database
(api/services/postgres_runs.py). A background task waits for a change (the folder is polled every
RESULTS_POLL_SECONDS; PostgreSQL notifies, with a slow poll as the fallback); a new run is loaded and
validated in a worker thread and then swapped in with one reference assignment. A request takes one
Snapshot at its start and reads only from it, so a response never mixes two runs. A new run that fails
to load is refused: the previous snapshot keeps serving and health reports "degraded" with the reason.
An older kept run (``?run_id=``) is loaded on demand and a few are kept in memory until the next swap.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from api.schemas.health import HealthStatus
from api.schemas.runs import RunInfo
from api.services.errors import NoRunPublished, RunNotFound, RunStoreUnavailable
from api.services.folder_runs import FolderRunSource, load_run
from api.services.response_cache import ResponseCache
from api.services.run_snapshot import RunLoadError, Snapshot, StoredImage
from servicekit.logging import get_logger
from servicekit.timestamps import utc_now

__all__ = ["ResultsStatus", "RunLoadError", "RunSource", "RunStore", "Snapshot", "StoredImage", "load_run"]

log = get_logger(__name__)
OLDER_RUNS_IN_MEMORY = 3


class RunSource(Protocol):
    """Where published runs live; every method but ``wait_for_change`` blocks (called in a worker thread)."""

    def describe(self) -> str: ...

    def latest_run_id(self) -> str | None:
        """The run to serve by default; raises RunStoreUnavailable when the store cannot be read."""

    def fingerprint(self, run_id: str) -> object:
        """Changes when a run of this id is rewritten (a refused run is not re-read until then)."""

    def load(self, run_id: str) -> Snapshot:
        """Raises RunLoadError with a readable reason."""

    def load_kept(self, run_id: str) -> Snapshot:
        """As ``load``, but RunNotFound for a run the store does not keep."""

    def list_runs(self) -> list[RunInfo]: ...

    def read_file(self, run_id: str, path: str) -> tuple[bytes, str]:
        """A file of the run (content, media type); RunFileNotFound when it has none."""

    async def wait_for_change(self, seconds: float) -> None:
        """Returns when a new run may have been published, at the latest after ``seconds``."""

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class ResultsStatus:
    state: HealthStatus
    message: str
    run_id: str | None
    generated_at: datetime | None


class RunStore:
    def __init__(self, source: RunSource | Path, poll_seconds: float = 1.0) -> None:
        self.source: RunSource = FolderRunSource(source) if isinstance(source, Path) else source
        self.poll_seconds = poll_seconds
        self.snapshot: Snapshot | None = None
        self.last_error: str | None = None
        self._rejected: tuple[str, object] | None = None  # (run_id, fingerprint) not to retry
        self._lock = threading.Lock()
        self.responses = ResponseCache()  # the one response cache, emptied for each new run
        # Older kept runs read by id, until the next swap (which may have pruned them); the generation
        # keeps a load that started before a swap from being cached after it.
        self._older: OrderedDict[str, Snapshot] = OrderedDict()
        self._generation = 0

    # -- reading -----------------------------------------------------------------------------------
    def require(self) -> Snapshot:
        snapshot = self.snapshot
        if snapshot is None:
            message = "No forecast run is published yet; run the pipeline (python -m pipelines.run)"
            if self.last_error:
                message = f"No valid forecast run is available: {self.last_error}"
            raise NoRunPublished(message)
        return snapshot

    def in_memory(self, run_id: str) -> Snapshot | None:
        """The run of this id when it is held in memory (the latest, or an older one read recently)."""
        snapshot = self.snapshot
        if snapshot is not None and snapshot.run_id == run_id:
            return snapshot
        return self._older.get(run_id)

    def require_run(self, run_id: str) -> Snapshot:
        """A kept run by id (blocking: call it in a worker thread); RunNotFound when the store lacks it."""
        snapshot = self.in_memory(run_id)
        if snapshot is not None:
            return snapshot
        generation = self._generation
        try:
            snapshot = self.source.load_kept(run_id)
        except RunLoadError as exc:
            raise RunNotFound(f"Run {run_id!r} cannot be served: {exc}") from exc
        with self._lock:
            if generation == self._generation:
                self._older[run_id] = snapshot
                while len(self._older) > OLDER_RUNS_IN_MEMORY:
                    self._older.popitem(last=False)
        return snapshot

    def list_runs(self) -> list[RunInfo]:
        return self.source.list_runs()

    def read_file(self, run_id: str, path: str) -> tuple[bytes, str]:
        return self.source.read_file(run_id, path)

    def status(self) -> ResultsStatus:
        snapshot, error = self.snapshot, self.last_error
        if snapshot is None:
            return ResultsStatus("unhealthy", error or "no run published yet", None, None)
        generated = snapshot.bundle.summary.generated_at
        age_h = (utc_now() - generated).total_seconds() / 3600
        message = f"run {snapshot.run_id}, generated {age_h:.1f} h ago"
        if error:
            return ResultsStatus(
                "degraded", f"serving {message}; newer run refused: {error}", snapshot.run_id, generated
            )
        return ResultsStatus("healthy", message, snapshot.run_id, generated)

    # -- loading -----------------------------------------------------------------------------------
    def refresh(self) -> bool:
        """Checks the latest run and loads it if it changed. Returns True when a new run was swapped in."""
        with self._lock:
            try:
                run_id = self.source.latest_run_id()
            except RunStoreUnavailable as exc:
                self.last_error = str(exc)
                return False
            current = self.snapshot
            if not run_id:
                self.last_error = None if current is None else "the LATEST pointer disappeared"
                return False
            if current is not None and current.run_id == run_id:
                self.last_error = None
                return False
            fingerprint = self.source.fingerprint(run_id)
            if self._rejected == (run_id, fingerprint):
                return False
            try:
                snapshot = self.source.load(run_id)
            except RunStoreUnavailable as exc:  # not the run's fault: tried again at the next change or poll
                self.last_error = str(exc)
                return False
            except RunLoadError as exc:
                self._rejected = (run_id, fingerprint)
                self.last_error = str(exc)
                log.error("run_refused", run_id=run_id, reason=str(exc))
                return False
            self.responses.reset(snapshot.run_id)  # before the swap: no answer of the old run is kept
            self.snapshot = snapshot  # the single swap
            self._generation += 1
            self._older = OrderedDict()  # the publish that made this run latest may have pruned them
            self.last_error = None
            self._rejected = None
            log.info("run_loaded", run_id=run_id, previous=current.run_id if current else None)
            return True

    async def poll_forever(self) -> None:
        while True:
            try:
                await self.source.wait_for_change(self.poll_seconds)
            except Exception as exc:  # the poller must never die
                log.error("run_wait_failed", exc_type=type(exc).__name__)
                await asyncio.sleep(self.poll_seconds)
            started = time.perf_counter()
            try:
                await asyncio.to_thread(self.refresh)
            except Exception as exc:  # the poller must never die
                log.error("run_poll_failed", exc_type=type(exc).__name__)
            if time.perf_counter() - started > 5:
                log.warning("run_poll_slow", seconds=round(time.perf_counter() - started, 2))

    def close(self) -> None:
        self.source.close()
