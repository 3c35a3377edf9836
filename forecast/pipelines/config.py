"""The pipeline's typed configuration: the CLI builds one, the tests and the bench build their own."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from pipelines import backtest, data, models, publish, walkforward

DEFAULT_HORIZONS = (1, 5, 10, 15, 20, 25, 30)
DEFAULT_RESULTS = Path(__file__).resolve().parent / "results"
# Where the walk-forward tasks run (executors.py): joblib processes on this machine, or dask.distributed.
Executor = Literal["local", "dask"]
EXECUTORS: tuple[Executor, ...] = get_args(Executor)


@dataclass(frozen=True)
class PipelineConfig:
    # The run's assets, the default one first: bundled names (data.BUNDLED) and CSV paths. A string is
    # read as --data is: comma-separated, or a .toml list (data.parse_sources).
    data: tuple[str, ...] = (data.DEFAULT_DATA,)
    price_column: str | None = None
    models: tuple[str, ...] = models.MODEL_NAMES
    horizons: tuple[int, ...] = DEFAULT_HORIZONS
    results_dir: Path = field(default_factory=lambda: Path(os.environ.get("RESULTS_DIR", str(DEFAULT_RESULTS))))
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    seed: int = 0
    keep: int = field(default_factory=publish.default_keep)  # RUN_STORE_KEEP, else 5
    # Where the run goes: "dir" (results_dir) or a postgres:// URL (the API's run store); RUN_STORE=postgres
    # makes DATABASE_URL the default.
    publish: str = field(default_factory=publish.default_target)
    folds: int = walkforward.N_FOLDS
    progress: bool = True
    executor: Executor = "local"
    # Dask only: the address of a running scheduler (tcp://host:8786), or the number of worker processes of
    # a LocalCluster started for the run (default: ``jobs``). One or the other, not both.
    scheduler: str | None = None
    workers: int | None = None
    # Cost of trading one unit of capital (in basis points), charged on every change of the book's
    # position; it turns `sharpe` into `sharpe_after_costs`.
    cost_bps: float = backtest.DEFAULT_COST_BPS
    # Share of the pooled walk-forward test points, at the end, kept out of every choice (consensus
    # weights, calibration, best model) and used only to score those choices.
    holdout_fraction: float = 0.2
    # Significance level for "beats the baseline" (consensus membership and the verdict).
    alpha: float = 0.05
    # Bootstrap replications of Hansen's SPA test, per horizon.
    spa_reps: int = 1000

    def __post_init__(self) -> None:
        publish.check_target(self.publish)
        sources: object = self.data
        if isinstance(sources, str):
            object.__setattr__(self, "data", data.parse_sources(sources))
        elif not isinstance(sources, tuple) or not sources:
            raise ValueError("data must name at least one data set")
        data.asset_names(self.data)  # two sources with one name are refused here, before any work
        if not 0.0 < self.holdout_fraction < 0.5:
            raise ValueError("holdout_fraction must be between 0 and 0.5")
        if self.cost_bps < 0:
            raise ValueError("cost_bps must be >= 0")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must be between 0 and 1")
        if self.spa_reps < 100:
            raise ValueError("spa_reps must be at least 100")
        if self.executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}")
        if self.executor != "dask" and (self.scheduler is not None or self.workers is not None):
            raise ValueError("--scheduler and --workers need --executor dask")
        if self.scheduler is not None and self.workers is not None:
            raise ValueError("give --scheduler (a running cluster) or --workers (a local one), not both")
        if self.workers is not None and self.workers < 1:
            raise ValueError("workers must be >= 1")

    @property
    def asset_names(self) -> list[str]:
        return data.asset_names(self.data)

    @property
    def cost_per_turnover(self) -> float:
        return self.cost_bps / 10_000.0
