"""Synthetic series with known predictability, shared by the pipeline tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def synthetic_prices(n: int = 1200, phi: float = 0.0, sigma: float = 0.01, seed: int = 7,
                     drift: float = 0.0) -> pd.DataFrame:
    """Prices whose daily log returns follow r_t = drift + phi * r_{t-1} + e_t (phi=0: a random walk)."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0.0, sigma, n)
    r = np.empty(n)
    r[0] = e[0]
    for t in range(1, n):
        r[t] = drift + phi * r[t - 1] + e[t]
    price = 100.0 * np.exp(np.cumsum(r))
    dates = pd.bdate_range("2010-01-04", periods=n)
    return pd.DataFrame({"price": price}, index=pd.DatetimeIndex(dates, name="date"))


def write_csv(frame: pd.DataFrame, path: Path, price_col: str = "Close") -> Path:
    out = frame.rename(columns={"price": price_col}).reset_index().rename(columns={"date": "Date"})
    out.to_csv(path, index=False)
    return path
