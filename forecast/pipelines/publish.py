"""Atomic publication of a run directory (layout: runcontract/run.py).

1. The run is written into ``runs/.tmp-<run_id>/`` (``staging_dir``); readers never look there.
2. ``publish_run`` fsyncs every file and directory, renames the staging directory to ``runs/<run_id>/``
   (atomic on one filesystem), then points ``LATEST`` at it by writing a temp file and ``os.replace``-ing
   it over ``LATEST``. A reader that resolves LATEST sees either the previous or the new complete run.
3. Old runs beyond ``keep`` are pruned, never the published one.

A crash at any point before step 2's ``os.replace`` leaves LATEST naming the previous complete run.

``publish`` sends a staged run to where ``--publish`` points: ``dir`` (this folder store, the default)
or a PostgreSQL URL (the shared run store, pipelines/publish_postgres.py). Its default comes from the
environment the API reads too: ``RUN_STORE=postgres`` publishes into ``DATABASE_URL``.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from pipelines.publish_postgres import is_postgres_target, publish_to_postgres
from runcontract.run import LATEST_POINTER, RUN_BUNDLE_FILE, RUNS_DIRNAME

TMP_PREFIX = ".tmp-"
STALE_TMP_SECONDS = 6 * 3600  # staging dirs older than this belong to crashed runs


def new_run_id(now: datetime | None = None) -> str:
    # Sortable by time, unique across concurrent runs.
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"


def staging_dir(results_dir: str | Path, run_id: str) -> Path:
    d = Path(results_dir) / RUNS_DIRNAME / f"{TMP_PREFIX}{run_id}"
    d.mkdir(parents=True, exist_ok=False)
    return d


def _fsync_path(path: Path) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirnames, filenames in os.walk(root):
        for name in filenames:
            _fsync_path(Path(dirpath) / name)
        _fsync_path(Path(dirpath))


def read_latest_run_id(results_dir: str | Path) -> str | None:
    p = Path(results_dir) / LATEST_POINTER
    try:
        run_id = p.read_text().strip()
    except FileNotFoundError:
        return None
    return run_id or None


def write_latest(results_dir: str | Path, run_id: str) -> None:
    results_dir = Path(results_dir)
    tmp = results_dir / f"{LATEST_POINTER}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "w") as fh:
        fh.write(run_id + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, results_dir / LATEST_POINTER)
    _fsync_path(results_dir)


def list_runs(results_dir: str | Path) -> list[str]:
    runs = Path(results_dir) / RUNS_DIRNAME
    if not runs.is_dir():
        return []
    return sorted(
        p.name for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / RUN_BUNDLE_FILE).is_file()
    )


def prune_runs(results_dir: str | Path, keep: int) -> list[str]:
    """Delete the oldest complete runs beyond ``keep`` (never the published one) and stale staging dirs."""
    results_dir = Path(results_dir)
    latest = read_latest_run_id(results_dir)
    runs = list_runs(results_dir)
    doomed = [r for r in runs[: max(len(runs) - max(keep, 1), 0)] if r != latest]
    for r in doomed:
        shutil.rmtree(results_dir / RUNS_DIRNAME / r, ignore_errors=True)
    now = time.time()
    for p in (results_dir / RUNS_DIRNAME).glob(f"{TMP_PREFIX}*"):
        if now - p.stat().st_mtime > STALE_TMP_SECONDS:
            shutil.rmtree(p, ignore_errors=True)
    return doomed


def publish_run(results_dir: str | Path, staged: Path, run_id: str, keep: int = 5) -> Path:
    results_dir = Path(results_dir)
    if not (staged / RUN_BUNDLE_FILE).is_file():
        raise RuntimeError(f"refusing to publish {staged}: no {RUN_BUNDLE_FILE}")
    final = results_dir / RUNS_DIRNAME / run_id
    _fsync_tree(staged)
    os.rename(staged, final)
    _fsync_path(final.parent)
    write_latest(results_dir, run_id)
    prune_runs(results_dir, keep)
    return final


def discard_staging(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


DIR_TARGET = "dir"


def default_target(environ: Mapping[str, str] | None = None) -> str:
    """``dir``, or the API's own database when the API runs the PostgreSQL store (RUN_STORE=postgres)."""
    env = os.environ if environ is None else environ
    if env.get("RUN_STORE", DIR_TARGET).strip().lower() == "postgres":
        return env.get("DATABASE_URL", "").strip()  # checked by check_target with the rest of the config
    return DIR_TARGET


def default_keep(environ: Mapping[str, str] | None = None) -> int:
    env = os.environ if environ is None else environ
    return int(env.get("RUN_STORE_KEEP", "5"))


def check_target(target: str) -> str:
    if target != DIR_TARGET and not is_postgres_target(target):
        shown = target.split("://")[0] if "://" in target else target  # never echo credentials
        raise ValueError(
            f"--publish (or RUN_STORE=postgres with DATABASE_URL) takes 'dir' or a postgres:// URL, not {shown!r}"
        )
    return target


def publish(target: str, results_dir: str | Path, staged: Path, run_id: str, keep: int = 5) -> Path | str:
    """Publishes the staged run into the folder store (``dir``) or the PostgreSQL store at ``target``;
    returns where it went: the run's directory, or the store's address without credentials."""
    if target == DIR_TARGET:
        return publish_run(results_dir, staged, run_id, keep=keep)
    where = publish_to_postgres(check_target(target), staged, run_id, keep=keep)
    discard_staging(staged)
    return where
