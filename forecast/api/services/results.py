"""The published run, held in memory.

A background task checks the LATEST pointer every RESULTS_POLL_SECONDS; a new run is loaded and
validated in a worker thread and then swapped in with one reference assignment. A request takes one
Snapshot at its start and reads only from it, so a response never mixes two runs. A new run that fails
to load is refused: the previous snapshot keeps serving and health reports "degraded" with the reason.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from api.schemas.health import HealthStatus
from api.services.errors import NoRunPublished
from api.services.response_cache import ResponseCache
from runcontract.run import (
    BUNDLE_SCHEMA_VERSION,
    LATEST_POINTER,
    RUN_BUNDLE_FILE,
    RUNS_DIRNAME,
    RunBundle,
    RunImage,
)
from servicekit.logging import get_logger
from servicekit.timestamps import utc_now

log = get_logger(__name__)

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class RunLoadError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class StoredImage:
    entry: RunImage
    content: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One validated run plus read indexes; never changes once built."""

    run_id: str
    run_dir: Path
    bundle: RunBundle
    loaded_at: datetime
    images: dict[str, StoredImage]


def _png_dimensions(content: bytes) -> tuple[int, int]:
    if len(content) < 24 or not content.startswith(_PNG_SIGNATURE) or content[12:16] != b"IHDR":
        raise RunLoadError("not a PNG file")
    return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")


def _schema_version(raw: bytes) -> object:
    """The bundle's schema_version, or None when the document is not a JSON object (validation says why)."""
    try:
        document = json.loads(raw)
    except ValueError:
        return None
    return document.get("schema_version") if isinstance(document, dict) else None


def load_run(results_dir: Path, run_id: str) -> Snapshot:
    """Reads and validates one run directory; raises RunLoadError with a readable reason."""
    if not _RUN_ID.match(run_id):
        raise RunLoadError(f"LATEST names an invalid run id {run_id!r}")
    run_dir = (results_dir / RUNS_DIRNAME / run_id).resolve()
    bundle_path = run_dir / RUN_BUNDLE_FILE
    try:
        raw = bundle_path.read_bytes()
    except OSError as exc:
        raise RunLoadError(f"run {run_id}: cannot read {RUN_BUNDLE_FILE} ({exc.strerror or exc})") from exc
    version = _schema_version(raw)
    if version is not None and version != BUNDLE_SCHEMA_VERSION:
        raise RunLoadError(
            f"run {run_id}: {RUN_BUNDLE_FILE} has bundle schema {version}, this API reads {BUNDLE_SCHEMA_VERSION}; "
            "run the pipeline again to publish a run it can serve"
        )
    try:
        bundle = RunBundle.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise RunLoadError(
            f"run {run_id}: {RUN_BUNDLE_FILE} fails validation ({exc.error_count()} errors; "
            f"first: {where or 'document'}: {first.get('msg')})"
        ) from exc
    if bundle.summary.run_id != run_id:
        raise RunLoadError(f"run {run_id}: summary.run_id is {bundle.summary.run_id!r}")
    images: dict[str, StoredImage] = {}
    for entry in bundle.images:
        path = (run_dir / entry.file).resolve()
        if not path.is_relative_to(run_dir):
            raise RunLoadError(f"run {run_id}: image {entry.metadata.image_id} points outside the run")
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise RunLoadError(f"run {run_id}: image {entry.file} is missing") from exc
        try:
            width, height = _png_dimensions(content)
        except RunLoadError as exc:
            raise RunLoadError(f"run {run_id}: image {entry.file} is not a PNG") from exc
        meta = entry.metadata
        if meta.dimensions != (width, height) or meta.file_size_bytes != len(content):
            log.warning("image_metadata_corrected", run_id=run_id, image_id=meta.image_id)
            meta = meta.model_copy(update={"dimensions": (width, height), "file_size_bytes": len(content)})
            entry = entry.model_copy(update={"metadata": meta})
        etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        images[meta.image_id] = StoredImage(entry=entry, content=content, etag=etag)
    if images:
        bundle = bundle.model_copy(update={"images": [img.entry for img in images.values()]})
    return Snapshot(run_id=run_id, run_dir=run_dir, bundle=bundle, loaded_at=utc_now(), images=images)


@dataclass(frozen=True, slots=True)
class ResultsStatus:
    state: HealthStatus
    message: str
    run_id: str | None
    generated_at: datetime | None


class RunStore:
    def __init__(self, results_dir: Path, poll_seconds: float = 1.0) -> None:
        self.results_dir = results_dir
        self.poll_seconds = poll_seconds
        self.snapshot: Snapshot | None = None
        self.last_error: str | None = None
        self._rejected: tuple[str, float] | None = None  # (run_id, run.json mtime) not to retry
        self._lock = threading.Lock()
        self.responses = ResponseCache()  # the one response cache, emptied for each new run

    # -- reading -----------------------------------------------------------------------------------
    def require(self) -> Snapshot:
        snapshot = self.snapshot
        if snapshot is None:
            message = "No forecast run is published yet; run the pipeline (python -m pipelines.run)"
            if self.last_error:
                message = f"No valid forecast run is available: {self.last_error}"
            raise NoRunPublished(message)
        return snapshot

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
    def _read_pointer(self) -> str | None:
        try:
            return (self.results_dir / LATEST_POINTER).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None

    def refresh(self) -> bool:
        """Checks the pointer and loads a new run if it changed. Returns True when a new run was swapped in."""
        with self._lock:
            try:
                run_id = self._read_pointer()
            except OSError as exc:
                self.last_error = f"cannot read the LATEST pointer ({exc})"
                return False
            current = self.snapshot
            if not run_id:
                self.last_error = None if current is None else "the LATEST pointer disappeared"
                return False
            if current is not None and current.run_id == run_id:
                self.last_error = None
                return False
            mtime = self._bundle_mtime(run_id)
            if self._rejected == (run_id, mtime):
                return False
            try:
                snapshot = load_run(self.results_dir, run_id)
            except RunLoadError as exc:
                self._rejected = (run_id, mtime)
                self.last_error = str(exc)
                log.error("run_refused", run_id=run_id, reason=str(exc))
                return False
            self.responses.reset(snapshot.run_id)  # before the swap: no answer of the old run is kept
            self.snapshot = snapshot  # the single swap
            self.last_error = None
            self._rejected = None
            log.info("run_loaded", run_id=run_id, previous=current.run_id if current else None)
            return True

    def _bundle_mtime(self, run_id: str) -> float:
        try:
            return (self.results_dir / RUNS_DIRNAME / run_id / RUN_BUNDLE_FILE).stat().st_mtime
        except (OSError, ValueError):
            return -1.0

    async def poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds)
            started = time.perf_counter()
            try:
                await asyncio.to_thread(self.refresh)
            except Exception as exc:  # the poller must never die
                log.error("run_poll_failed", exc_type=type(exc).__name__)
            if time.perf_counter() - started > 5:
                log.warning("run_poll_slow", seconds=round(time.perf_counter() - started, 2))
