"""Live forecasts and their confidence.

Confidence is the estimated probability that the forecast direction is right, calibrated on the model's
own walk-forward predictions in the selection block, before the hold-out (Platt scaling): a logistic
regression of 1{y > 0} on the prediction gives P(up | pred); confidence = P(up | pred) for an up call and
1 - P(up | pred) for a down call. A model whose predictions carry no information gets a flat curve, so its confidence is the base
rate of the direction it calls (e.g. ~0.54 up / ~0.46 down for daily S&P 500), not a high number; an
anti-skilled model can get a confidence below 0.5, which is the honest reading.
An earlier design read the probability off the residual distribution (P(e > -pred)); it assumes the
errors do not depend on the prediction, which over-states confidence for skill-less models.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from runcontract.forecasts import Direction


def direction(pred: float) -> Direction:
    return "up" if pred > 0 else "down"  # same convention as metrics.is_up


def platt(oos_pred: np.ndarray, oos_true: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """P(realised > 0 | prediction) as a function of the prediction, Platt-scaled on out-of-sample pairs."""
    x, up = np.asarray(oos_pred, float), np.asarray(oos_true, float) > 0
    if len(x) == 0:
        return lambda p: np.full(np.shape(p), 0.5)
    sd = float(np.std(x))
    if up.all() or not up.any() or sd == 0:
        # One realised class, or constant forecasts that carry no information: the base rate is all there is.
        rate = float(up.mean())
        return lambda p: np.full(np.shape(p), rate)
    from sklearn.linear_model import LogisticRegression

    # Scaled inputs keep the fit well-conditioned; the mild default L2 only matters on tiny samples.
    clf = LogisticRegression(C=1.0).fit((x / sd).reshape(-1, 1), up)
    return lambda p: clf.predict_proba((np.asarray(p, float) / sd).reshape(-1, 1))[:, 1]


def prob_up(pred: float, oos_pred: np.ndarray, oos_true: np.ndarray) -> float:
    """P(realised > 0 | prediction), Platt-scaled on out-of-sample pairs."""
    return float(platt(oos_pred, oos_true)(np.array([pred]))[0])


def confidence(pred: float, oos_pred: np.ndarray, oos_true: np.ndarray) -> float:
    p_up = prob_up(pred, oos_pred, oos_true)
    p = p_up if pred > 0 else 1.0 - p_up
    return float(min(max(p, 0.0), 1.0))


def prediction_date(last_date: pd.Timestamp, h: int) -> date:
    # Business days, not exchange holidays: the contract asks for last date + h business days.
    return (pd.Timestamp(last_date) + pd.offsets.BDay(h)).date()


def prediction_price(last_price: float, pred: float) -> float:
    return float(last_price * np.exp(pred))
