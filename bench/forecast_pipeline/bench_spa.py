"""What Hansen's SPA test costs the default run: 7 horizons x 9 models x 1,000 replications on ~2,000
test points, through the pipeline's own ``pipelines.skill.spa_p_value``.

    .venv/bin/python bench/forecast_pipeline/bench_spa.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "forecast"))

from pipelines import skill  # noqa: E402
from pipelines.config import DEFAULT_HORIZONS  # noqa: E402


def main() -> None:
    rng = np.random.default_rng(0)
    n = 1988  # the default run's test points at h=1
    base = (rng.random(n) < 0.6).astype(float)
    models = np.column_stack([(rng.random(n) < 0.55).astype(float) for _ in range(9)])
    started = time.perf_counter()
    for h in DEFAULT_HORIZONS:
        skill.spa_p_value(base, models, h, 1000, h)
    print(f"SPA, {len(DEFAULT_HORIZONS)} horizons x 9 models x 1000 reps, T={n}: {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
