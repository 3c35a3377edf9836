"""Where the walk-forward tasks run: ``local`` joblib processes (the default) or a Dask cluster.

The unit of work is one ``WalkForwardTask``: one asset, one model, one horizon. Both executors yield one
``TaskResult`` per task as it finishes (the progress bar counts them), so a run either gets every result or
stops with an exception before anything is written or published (run.py).

With ``dask`` the tasks run on ``dask.distributed``: a running scheduler (``PipelineConfig.scheduler``) or a
``LocalCluster`` of ``PipelineConfig.workers`` processes started for the run. Each asset's arrays go to the
cluster once, as a task of their own, so a worker that dies holds nothing the scheduler cannot recompute.
A task whose worker dies is rescheduled on another worker by the scheduler (up to
``distributed.scheduler.allowed-failures`` deaths, 3 by default; then ``KilledWorker``); a task that
raises is retried ``DASK_RETRIES`` times. A task that still fails stops the run with ``TaskFailed``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
from joblib import Parallel, delayed

from pipelines import walkforward
from pipelines.config import PipelineConfig

if TYPE_CHECKING:
    from distributed import Client

# Retries of a task that raised (a worker that dies is covered by the scheduler's allowed-failures).
DASK_RETRIES = 2
# Seconds to wait for a remote scheduler to answer before the run fails.
SCHEDULER_CONNECT_TIMEOUT_S = 10

AssetArrays = tuple[np.ndarray, np.ndarray]  # (feature matrix X, price)


class WalkForwardTask(NamedTuple):
    """One walk-forward: ``model`` at ``horizon`` on ``asset`` (a key of the arrays passed to run_tasks)."""

    asset: str
    model: str
    horizon: int

    def label(self) -> str:
        return f"{self.model} at h={self.horizon} on {self.asset}"


class ExecutorError(RuntimeError):
    """The tasks could not all run: the cluster could not be reached, or a task failed for good."""


class TaskFailed(ExecutorError):
    def __init__(self, task: WalkForwardTask, cause: BaseException) -> None:
        super().__init__(
            f"walk-forward task {task.label()} failed on the Dask cluster "
            f"(after up to {DASK_RETRIES} retries): {type(cause).__name__}: {cause}"
        )
        self.task = task


def run_tasks(
    config: PipelineConfig, tasks: Sequence[WalkForwardTask], assets: Mapping[str, AssetArrays]
) -> Iterator[walkforward.TaskResult]:
    """Every task's result, in the order they finish, on the executor ``config`` names. ``tasks`` come in
    the order to start them (slowest first)."""
    if config.executor == "dask":
        return _run_on_dask(config, tasks, assets)
    return _run_locally(config, tasks, assets)


def _run_one(
    task: WalkForwardTask, arrays: AssetArrays, seed: int, folds: int, cost_per_turnover: float
) -> walkforward.TaskResult:
    X, price = arrays
    result = walkforward.run_task(task.model, task.horizon, X, price, seed, folds, cost_per_turnover=cost_per_turnover)
    result.asset = task.asset
    return result


def _asset_arrays(X: np.ndarray, price: np.ndarray) -> AssetArrays:
    # A task, not a scatter: the scheduler keeps its inputs, so it recomputes the arrays if their worker dies.
    return X, price


def _run_locally(
    config: PipelineConfig, tasks: Sequence[WalkForwardTask], assets: Mapping[str, AssetArrays]
) -> Iterator[walkforward.TaskResult]:
    jobs = max(1, min(config.jobs, len(tasks)))
    results = Parallel(n_jobs=jobs, return_as="generator_unordered")(
        delayed(_run_one)(t, assets[t.asset], config.seed, config.folds, config.cost_per_turnover) for t in tasks
    )
    return iter(results)  # a generator at run time (return_as); joblib's stubs say list


@contextmanager
def dask_client(config: PipelineConfig) -> Iterator[Client]:
    """A client of the scheduler ``config`` names, or of a LocalCluster started (and closed) for the run."""
    from distributed import Client, LocalCluster

    if config.scheduler is not None:
        try:
            client = Client(config.scheduler, timeout=SCHEDULER_CONNECT_TIMEOUT_S)
        except OSError as exc:
            raise ExecutorError(f"cannot reach the Dask scheduler at {config.scheduler}: {exc}") from exc
        with client:
            yield client
        return
    n_workers = config.workers or config.jobs
    # One thread per worker process: the models are pinned to one thread each (models/__init__.py).
    with (
        LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        yield client


def _run_on_dask(
    config: PipelineConfig, tasks: Sequence[WalkForwardTask], assets: Mapping[str, AssetArrays]
) -> Iterator[walkforward.TaskResult]:
    from distributed import as_completed

    run_token = uuid.uuid4().hex[:8]  # keeps this run's keys apart from another run's on a shared cluster
    with dask_client(config) as client:
        arrays = {
            name: client.submit(_asset_arrays, X, price, key=f"asset-{name}-{run_token}", pure=False)
            for name, (X, price) in assets.items()
        }
        futures = {
            client.submit(
                _run_one,
                task,
                arrays[task.asset],
                config.seed,
                config.folds,
                config.cost_per_turnover,
                key=f"walk-forward-{task.asset}-{task.model}-h{task.horizon}-{run_token}",
                retries=DASK_RETRIES,
                priority=len(tasks) - i,  # the scheduler starts higher priorities first: keep the slowest first
                pure=False,
            ): task
            for i, task in enumerate(tasks)
        }
        try:
            for future in as_completed(futures):
                if future.status == "error":
                    cause = future.exception()
                    raise TaskFailed(futures[future], cause) from cause
                yield future.result()
        finally:
            client.cancel([*futures, *arrays.values()])
