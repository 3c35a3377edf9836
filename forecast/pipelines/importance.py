"""Feature importance: native gain for boosting, |coef| x std for linear, a blend for hybrids (see
models/). Reported as each feature's share of the total importance, top 15 kept."""

from __future__ import annotations

import numpy as np

TOP_N = 15


def top_features(raw: np.ndarray, names: list[str], top_n: int = TOP_N) -> dict[str, float]:
    v = np.nan_to_num(np.abs(np.asarray(raw, float)))
    total = v.sum()
    share = v / total if total > 0 else np.zeros_like(v)
    order = np.argsort(-share, kind="stable")[:top_n]
    return {names[i]: round(float(share[i]), 6) for i in order}
