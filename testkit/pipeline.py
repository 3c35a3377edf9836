"""The forecast pipeline's command line, as the tests and the benches run it for a small real run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


def pipeline_command(
    python: str,
    *,
    models: Sequence[str],
    horizons: Sequence[int],
    folds: int = 2,
    results_dir: Path | None = None,
) -> list[str]:
    """``python -m pipelines.run`` on ``models`` x ``horizons``, one job, no progress bar; run it from
    the forecast folder. Without ``results_dir`` the run is published where the settings say."""
    command = [
        python,
        "-m",
        "pipelines.run",
        "--models",
        ",".join(models),
        "--horizons",
        ",".join(str(h) for h in horizons),
        "--folds",
        str(folds),
        "--jobs",
        "1",
        "--no-progress",
    ]
    return command if results_dir is None else [*command, "--results-dir", str(results_dir)]
