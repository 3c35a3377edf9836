"""What Hansen's SPA test costs the default run: 7 horizons x 9 models x 1,000 replications on ~2,000
test points, through the pipeline's own ``pipelines.skill.spa_p_value``.

    .venv/bin/python bench/forecast_pipeline/bench_spa.py
"""

from __future__ import annotations

import time

import numpy as np

from pipelines import skill
from pipelines.config import DEFAULT_HORIZONS


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
