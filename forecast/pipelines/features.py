"""Features and targets.

Every feature at row t is a function of prices (and volume) at rows <= t only: rolling windows are
trailing and nothing is shifted backwards. The leakage test in tests/pipeline checks this by perturbing
prices after t. Targets are the only forward-looking quantities and are built separately.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

RET_LAGS = (1, 2, 3, 4, 5, 10)
MOMENTUM = (5, 10, 20, 60)
VOL_WINDOWS = (5, 20, 60)
MA_WINDOWS = (5, 20, 50)


def build_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Feature matrix indexed like ``frame``; the warm-up rows contain NaN and are dropped by the caller."""
    logp = np.log(frame["price"])
    r = logp.diff()
    f: dict[str, pd.Series] = {}
    for lag in RET_LAGS:
        f[f"ret_lag_{lag}"] = r.shift(lag - 1)  # ret_lag_1 is today's return, known at the close of t
    for w in MOMENTUM:
        f[f"mom_{w}"] = logp - logp.shift(w)
    for w in VOL_WINDOWS:
        f[f"vol_{w}"] = r.rolling(w).std()
    f["vol_ratio_5_20"] = f["vol_5"] / f["vol_20"]
    f["vol_ratio_20_60"] = f["vol_20"] / f["vol_60"]
    for w in MA_WINDOWS:
        f[f"ma_gap_{w}"] = logp - np.log(frame["price"].rolling(w).mean())
    hi = frame["price"].rolling(20).max()
    lo = frame["price"].rolling(20).min()
    f["range_pos_20"] = (frame["price"] - lo) / (hi - lo).replace(0.0, np.nan)
    # Sharpe-like trend strength: momentum scaled by its own volatility.
    f["mom_z_20"] = f["mom_20"] / (f["vol_20"] * np.sqrt(20))
    up = r.clip(lower=0).rolling(14).mean()
    down = (-r).clip(lower=0).rolling(14).mean()
    f["rsi_14"] = up / (up + down)
    idx = pd.DatetimeIndex(frame.index)
    f["day_of_week"] = pd.Series(idx.day_of_week, index=frame.index, dtype=float)
    f["month_sin"] = pd.Series(np.sin(2 * np.pi * idx.month / 12), index=frame.index)
    f["month_cos"] = pd.Series(np.cos(2 * np.pi * idx.month / 12), index=frame.index)
    f["turn_of_month"] = pd.Series((idx.day <= 3) | (idx.day >= 27), index=frame.index, dtype=float)
    if "volume" in frame.columns:
        # A ufunc on a Series returns a Series; pandas-stubs types np.log1p's result as an ndarray.
        lv = cast(pd.Series, np.log1p(frame["volume"].astype(float)))
        f["volume_chg_1"] = lv.diff()
        f["volume_z_20"] = (lv - lv.rolling(20).mean()) / lv.rolling(20).std()
        f["volume_ratio_5_60"] = lv.rolling(5).mean() - lv.rolling(60).mean()
    out = pd.DataFrame(f, index=frame.index)
    return out.replace([np.inf, -np.inf], np.nan)


def build_target(frame: pd.DataFrame, h: int) -> pd.Series:
    """y(t, h) = ln P(t+h) - ln P(t); NaN for the last h rows."""
    logp: pd.Series = np.log(frame["price"])
    return logp.shift(-h) - logp


def past_return(frame: pd.DataFrame, h: int) -> pd.Series:
    """ln P(t) - ln P(t-h): known at t, used by the 'sign of the last h-day return' baseline."""
    logp: pd.Series = np.log(frame["price"])
    return logp - logp.shift(h)


def model_frame(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(features without warm-up rows, the price frame aligned to them)."""
    feats = build_features(frame)
    # A feature that is never defined (e.g. volume z-score of a constant volume column) is dropped rather
    # than allowed to wipe out every row; the run's feature list records what was actually used.
    feats = feats.loc[:, feats.notna().any(axis=0)]
    keep = feats.notna().all(axis=1).to_numpy()
    # Drop only the leading warm-up; a NaN later (e.g. flat 20-day range) is filled rather than dropped so
    # rows stay contiguous, which the purge arithmetic in walkforward.py relies on.
    first = int(np.argmax(keep)) if keep.any() else len(keep)
    feats = feats.iloc[first:].ffill().fillna(0.0)
    return feats, frame.iloc[first:]
