"""Synthetic series with known predictability, shared by the pipeline tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def synthetic_prices(
    n: int = 1200, phi: float = 0.0, sigma: float = 0.01, seed: int = 7, drift: float = 0.0
) -> pd.DataFrame:
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


def evaluate(frame: pd.DataFrame, config):
    """The pipeline's walk-forward and verdict on ``frame`` (no files written), as the CLI computes them."""
    from datetime import UTC, datetime

    from pipelines.assemble import assemble
    from pipelines.features import model_frame
    from pipelines.run import walk_forward

    feats, aligned = model_frame(frame)
    results = walk_forward(config, feats.to_numpy(float), aligned["price"].to_numpy(float))
    return assemble(results, config, aligned["price"], list(feats.columns), datetime.now(UTC))


def shuffled_sp500(seed: int, n: int) -> pd.DataFrame:
    """The last n daily S&P 500 log returns (arch's bundled data) in a random order: the same drift and
    distribution, no predictability."""
    from arch.data import sp500

    close = sp500.load()["Adj Close"].to_numpy(float)[-(n + 1) :]
    r = np.random.default_rng(seed).permutation(np.diff(np.log(close)))
    price = close[0] * np.exp(np.concatenate([[0.0], np.cumsum(r)]))
    return pd.DataFrame(
        {"price": price}, index=pd.DatetimeIndex(pd.bdate_range("2005-01-03", periods=n + 1), name="date")
    )
