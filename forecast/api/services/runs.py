"""The runs the store keeps, and their files (CSV, JSON, PNG), read from the store itself."""

from __future__ import annotations

from api.schemas.runs import RunListResponse
from api.services.results import RunStore


def list_runs(store: RunStore) -> RunListResponse:
    runs = store.list_runs()
    latest = next((r.run_id for r in runs if r.latest), None)
    return RunListResponse(runs=runs, total=len(runs), latest_run_id=latest)


def run_file(store: RunStore, run_id: str, path: str) -> tuple[bytes, str]:
    return store.read_file(run_id, path)
