"""Backtest of "hold sign(prediction) for h days" with overlapping positions.

A signal issued at the close of day t is live for the h daily returns t->t+1, ..., t+h-1->t+h. Each
signal gets 1/h of the capital, so the position held over day d->d+1 is the average of the h signals
issued at d-h+1..d (signals before the first test point count as 0, so the book ramps up over the first
h days). This gives one strategy return per day, which is annualised by sqrt(252): annualising
overlapping h-day returns by sqrt(252) would overstate the Sharpe ratio.
"""

from __future__ import annotations

import numpy as np

TRADING_DAYS = 252
# Cost of trading one unit of capital, in basis points: the pipeline's default (PipelineConfig.cost_bps).
DEFAULT_COST_BPS = 5.0


def signals(pred: np.ndarray) -> np.ndarray:
    # Same convention as metrics.is_up: > 0 is long, everything else short.
    return np.where(np.asarray(pred) > 0, 1.0, -1.0)


def overlapping_positions(sig: np.ndarray, h: int) -> np.ndarray:
    """Daily positions for days first_t .. last_t + h - 1 (len(sig) + h - 1 values)."""
    padded = np.concatenate([sig, np.zeros(h - 1)])
    csum = np.concatenate([[0.0], np.cumsum(padded)])
    idx = np.arange(len(padded))
    lo = np.maximum(idx - h + 1, 0)
    positions: np.ndarray = (csum[idx + 1] - csum[lo]) / h
    return positions


def strategy_returns(pred: np.ndarray, daily_simple_returns: np.ndarray, h: int) -> np.ndarray:
    """Simple returns of the overlapping book; ``daily_simple_returns[k]`` is the asset return over day
    first_t + k -> first_t + k + 1, and must have len(pred) + h - 1 entries."""
    pos = overlapping_positions(signals(pred), h)
    if len(daily_simple_returns) != len(pos):
        raise ValueError("need one daily return per position day")
    returns: np.ndarray = pos * np.asarray(daily_simple_returns, float)
    return returns


def after_costs(returns: np.ndarray, positions: np.ndarray, cost_per_turnover: float) -> np.ndarray:
    """Daily returns net of ``cost_per_turnover`` times each day's change of position (|delta|, entering
    from a flat book on the first day)."""
    pos = np.asarray(positions, float)
    turnover = np.abs(np.diff(np.concatenate([[0.0], pos])))
    return np.asarray(returns, float) - cost_per_turnover * turnover


def sharpe_ratio(returns: np.ndarray) -> float | None:
    r = np.asarray(returns, float)
    sd = float(np.std(r, ddof=1)) if len(r) > 1 else 0.0
    if sd == 0 or not np.isfinite(sd):
        return None
    return float(np.mean(r) / sd * np.sqrt(TRADING_DAYS))


def equity_curve(returns: np.ndarray) -> np.ndarray:
    return np.cumprod(1.0 + np.asarray(returns, float))


def drawdown_series(equity: np.ndarray) -> np.ndarray:
    """(W_t - max_{s<=t} W_s) / max_{s<=t} W_s with W_0 = 1 before the first return: a negative fraction."""
    w = np.concatenate([[1.0], np.asarray(equity, float)])
    peak = np.maximum.accumulate(w)
    return ((w - peak) / peak)[1:]


def max_drawdown(equity: np.ndarray) -> float:
    dd = drawdown_series(equity)
    return float(dd.min()) if len(dd) else 0.0
