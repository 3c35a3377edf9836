"""Skill-weighted consensus per horizon.

Weight of a model = (da_test - 50) if its one-sided Pesaran-Timmermann p-value is below SKILL_ALPHA and
da_test > 50, else 0: a model whose directional accuracy is indistinguishable from chance contributes
nothing. If every weight is zero the consensus falls back to equal weights. Weights sum to 1.
The weights are chosen on the same out-of-sample period they are judged on, so the consensus' own OOS
numbers are mildly optimistic; the individual models' numbers are not affected.
"""

from __future__ import annotations

import numpy as np

SKILL_ALPHA = 0.05


def skill(da_test: float, p_value: float | None, alpha: float = SKILL_ALPHA) -> float:
    if p_value is None or not np.isfinite(da_test) or p_value >= alpha or da_test <= 50.0:
        return 0.0
    return float(da_test - 50.0)


def consensus_weights(skills: dict[str, float]) -> dict[str, float]:
    if not skills:
        raise ValueError("no models to weight")
    total = sum(max(s, 0.0) for s in skills.values())
    if total <= 0:
        return {m: 1.0 / len(skills) for m in skills}
    return {m: max(s, 0.0) / total for m, s in skills.items()}


def weighted(values: dict[str, np.ndarray | float], weights: dict[str, float]):
    return sum(weights[m] * np.asarray(values[m], float) for m in weights)
