"""Hot reload: a new ``model.pkl`` is loaded, compiled and verified in the background, then swapped in.

Three triggers share one code path: the file changing on disk (polled every MODEL_WATCH_SECONDS), an
admin's ``POST /api/v1/model/reload``, and SIGHUP. The new engine is built and compiled entirely off
the serving path; the swap is one assignment of ``ModelReloader.engine``, so a request that already
holds the old engine finishes on it and none is dropped. A file that cannot be served leaves the old model serving,
and readiness says why until a good file arrives.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import structlog

from app.ml.model_file import file_sha256
from app.ml.runtime.runtime import CompileOptions
from app.services.engine_loading import build_engine
from app.services.inference import ModelEngine

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ReloadOutcome:
    outcome: str  # reloaded | unchanged | refused
    trigger: str
    at: str
    version: str
    previous_version: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ModelReloader:
    """Holds the engine that serves now (:attr:`engine`, read once per request) and swaps it on a reload."""

    def __init__(self, engine: ModelEngine, path: Path, options: CompileOptions):
        self.engine = engine
        self.path = path
        self.options = options
        self.last: ReloadOutcome | None = None
        self._lock = threading.Lock()

    @property
    def refused(self) -> bool:
        return self.last is not None and self.last.outcome == "refused"

    def _file_sha(self) -> str | None:
        try:
            return file_sha256(self.path)
        except OSError:
            return None

    def reload(self, trigger: str) -> ReloadOutcome:
        """Blocking (call it in a thread): load, compile and verify the file, then swap."""
        with self._lock:  # one reload at a time; a second trigger waits and then finds it unchanged
            current = self.engine
            sha = self._file_sha()
            at = datetime.now(UTC).isoformat()
            if sha is not None and sha == current.file_sha256 and not self.refused:
                return self._record(ReloadOutcome("unchanged", trigger, at, current.version))
            started = time.perf_counter()
            # Probed with the mock allowed: a file that cannot be served is refused, never swapped in.
            candidate = build_engine(self.path, self.options, allow_mock=True)
            if candidate.is_mock:
                return self._record(
                    ReloadOutcome(
                        "refused",
                        trigger,
                        at,
                        current.version,
                        reason=f"the new model file cannot be served: {candidate.reason}",
                    )
                )
            if candidate.runtime is not None:
                candidate.runtime.compile_now()  # verified before it serves anyone
            # The swap. The old engine is not closed: a request that already holds it may still hand
            # its rows to the old reference thread, which exits by itself once the last such request
            # has dropped the engine (ThreadPoolExecutor's workers stop when it is collected).
            self.engine = candidate
            outcome = ReloadOutcome("reloaded", trigger, at, candidate.version, previous_version=current.version)
            log.info(
                "model_reloaded",
                trigger=trigger,
                previous_version=current.version,
                version=candidate.version,
                seconds=round(time.perf_counter() - started, 1),
                serving=candidate.status()["serving"]["path"],
            )
            return self._record(outcome)

    def _record(self, outcome: ReloadOutcome) -> ReloadOutcome:
        self.last = outcome
        if outcome.outcome == "refused":
            log.error("model_reload_refused", trigger=outcome.trigger, reason=outcome.reason)
        return outcome

    async def areload(self, trigger: str) -> ReloadOutcome:
        return await anyio.to_thread.run_sync(self.reload, trigger)

    def _stamp(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return stat.st_mtime_ns, stat.st_size

    async def watch(self, interval: float) -> None:
        """Reloads when the file changed and then stayed the same for one more interval (a copy that
        is still being written is not loaded half-way)."""
        seen = self._stamp()
        pending: tuple[int, int] | None = None
        while True:
            await asyncio.sleep(interval)
            stamp = self._stamp()
            if stamp is None or stamp == seen:
                pending = None
                continue
            if stamp != pending:
                pending = stamp
                continue
            seen, pending = stamp, None
            try:
                await self.areload("file changed")
            except Exception:  # the watcher must never die
                log.exception("model_reload_failed", trigger="file changed")

    def public_status(self) -> dict[str, Any] | None:
        """The last outcome for clients (readiness, the reload endpoint): the file's name, not its path."""
        if self.last is None:
            return None
        status = self.last.as_dict()
        if status["reason"]:
            status["reason"] = status["reason"].replace(str(self.path), self.path.name)
        return status
