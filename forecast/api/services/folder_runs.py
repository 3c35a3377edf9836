"""The folder run store (RUN_STORE=dir, the embedded default): runs under RESULTS_DIR, layout in
runcontract/run.py, published by the pipeline with an atomic rename and the LATEST pointer
(pipelines/publish.py). The API only reads it, polling LATEST every RESULTS_POLL_SECONDS."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import NamedTuple

from api.schemas.runs import RunInfo
from api.services.errors import RunFileNotFound, RunNotFound, RunStoreUnavailable
from api.services.run_snapshot import RUN_ID, RunLoadError, Snapshot, build_snapshot
from runcontract.run import LATEST_POINTER, RUN_BUNDLE_FILE, RUNS_DIRNAME, RunSummary, asset_name
from runcontract.store import media_type_of


def load_run(results_dir: Path, run_id: str) -> Snapshot:
    """Reads and validates one run directory; raises RunLoadError with a readable reason."""
    if not RUN_ID.match(run_id):
        raise RunLoadError(f"LATEST names an invalid run id {run_id!r}")
    run_dir = (results_dir / RUNS_DIRNAME / run_id).resolve()
    try:
        raw = (run_dir / RUN_BUNDLE_FILE).read_bytes()
    except OSError as exc:
        raise RunLoadError(f"run {run_id}: cannot read {RUN_BUNDLE_FILE} ({exc.strerror or exc})") from exc

    def read_file(relative: str) -> bytes:
        path = (run_dir / relative).resolve()
        if not path.is_relative_to(run_dir):
            raise RunLoadError(f"run {run_id}: image {relative} points outside the run")
        try:
            return path.read_bytes()
        except OSError as exc:
            raise RunLoadError(f"run {run_id}: image {relative} is missing") from exc

    return build_snapshot(run_id, raw, read_file, run_dir=run_dir)


class FolderRunSource:
    def __init__(self, results_dir: Path) -> None:
        self.results_dir = results_dir
        # Run directories never change once published: a summary is read once per (run, run.json mtime).
        self._summaries: dict[str, tuple[object, Listed | None]] = {}

    def describe(self) -> str:
        return str(self.results_dir)

    def latest_run_id(self) -> str | None:
        try:
            return (self.results_dir / LATEST_POINTER).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise RunStoreUnavailable(f"cannot read the LATEST pointer ({exc})") from exc

    def fingerprint(self, run_id: str) -> object:
        try:
            return (self._run_dir(run_id) / RUN_BUNDLE_FILE).stat().st_mtime
        except (OSError, ValueError):
            return -1.0

    def _run_dir(self, run_id: str) -> Path:
        return self.results_dir / RUNS_DIRNAME / run_id

    def load(self, run_id: str) -> Snapshot:
        return load_run(self.results_dir, run_id)

    def load_kept(self, run_id: str) -> Snapshot:
        """A run asked for by id (?run_id=): RunNotFound when the store does not keep it."""
        if not RUN_ID.match(run_id) or not (self._run_dir(run_id) / RUN_BUNDLE_FILE).is_file():
            raise RunNotFound(f"Run {run_id!r} is not kept by this store; GET /api/v1/runs lists the runs")
        return load_run(self.results_dir, run_id)

    def _summary(self, run_id: str) -> Listed | None:
        mtime = self.fingerprint(run_id)
        cached = self._summaries.get(run_id)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        listed: Listed | None
        try:
            document = json.loads((self._run_dir(run_id) / RUN_BUNDLE_FILE).read_bytes())
            summary = RunSummary.model_validate(document["summary"])
            assets = document.get("assets") or []
            names = [str(a["name"]) for a in assets] or [asset_name(summary.data.source)]
            sources = [str(a["summary"]["data"]["source"]) for a in assets] or [summary.data.source]
            listed = Listed(summary, names, sources)
        except (OSError, ValueError, KeyError, TypeError):
            listed = None  # not a run this API can list (a refused run, say)
        self._summaries[run_id] = (mtime, listed)
        return listed

    def list_runs(self) -> list[RunInfo]:
        runs_dir = self.results_dir / RUNS_DIRNAME
        try:
            ids = [p.name for p in runs_dir.iterdir() if p.is_dir() and RUN_ID.match(p.name)]
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise RunStoreUnavailable(f"cannot list the runs ({exc.strerror or exc})") from exc
        latest = self.latest_run_id()
        self._summaries = {k: v for k, v in self._summaries.items() if k in ids}  # forget pruned runs
        infos = []
        for run_id in ids:
            listed = self._summary(run_id)
            if listed is not None and listed.summary.run_id == run_id:
                infos.append(_info(listed, latest))
        return sorted(infos, key=lambda i: (i.generated_at, i.run_id), reverse=True)

    def read_file(self, run_id: str, path: str) -> tuple[bytes, str]:
        run_dir = self._run_dir(run_id).resolve()
        target = (run_dir / path).resolve()
        if not RUN_ID.match(run_id) or not target.is_relative_to(run_dir) or target.name == RUN_BUNDLE_FILE:
            raise RunFileNotFound(f"Run {run_id!r} has no file {path!r}")
        try:
            return target.read_bytes(), media_type_of(path)
        except OSError as exc:
            raise RunFileNotFound(f"Run {run_id!r} has no file {path!r}") from exc

    async def wait_for_change(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def close(self) -> None:
        pass


class Listed(NamedTuple):
    """What GET /runs shows of a run: its summary and its assets' names and sources."""

    summary: RunSummary
    names: list[str]
    sources: list[str]


def _info(listed: Listed, latest: str | None) -> RunInfo:
    summary = listed.summary
    return RunInfo(
        run_id=summary.run_id,
        generated_at=summary.generated_at,
        data_source=", ".join(listed.sources),
        assets=listed.names,
        horizons=summary.horizons,
        verdict=summary.verdict,
        latest=summary.run_id == latest,
    )
