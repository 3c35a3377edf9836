"""Turn walk-forward task results into the contract objects (api/schemas): metrics, forecasts,
consensus, importances, baselines and significance. Pure data in, Pydantic models out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from api.schemas.forecasts import ConsensusResponse, ForecastResponse
from api.schemas.models import FeatureImportance, ModelMetrics, ModelSummary
from api.schemas.run import DirectionalSignificance, HorizonBaseline
from pipelines import consensus as cons
from pipelines import forecast as fc
from pipelines import metrics
from pipelines.importance import TOP_N, top_features
from pipelines.models import model_info
from pipelines.walkforward import TaskResult

FAN_QUANTILES = ((0.05, 0.95), (0.25, 0.75))


def _f(x: float | None, nd: int = 6) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    return round(float(x), nd)


@dataclass
class Assembled:
    metrics: list[ModelMetrics]
    summaries: list[ModelSummary]
    forecasts: list[ForecastResponse]
    consensus: list[ConsensusResponse]
    importances: list[FeatureImportance]
    baselines: list[HorizonBaseline]
    significance: list[DirectionalSignificance]
    avg_da_by_model: dict[str, float]
    best_model_overall: str
    fan: dict  # per-horizon consensus prediction and OOS error quantiles, for the fan chart


def assemble(results: dict[tuple[str, int], TaskResult], models: list[str], horizons: list[int],
             prices: pd.Series, feature_names: list[str], generated_at: datetime) -> Assembled:
    last_date, last_price = prices.index[-1], float(prices.iloc[-1])
    logp = np.log(prices.to_numpy(float))
    out_metrics, out_fc, out_cons, out_imp, out_base, out_sig = [], [], [], [], [], []
    fan = {}
    for h in horizons:
        first = results[(models[0], h)]
        rows, y_test = first.test_rows, first.y_test
        past = logp[rows] - logp[rows - h]  # rows >= h always: the first test row is far past warm-up
        b = metrics.baselines(y_test, past)
        out_base.append(HorizonBaseline(horizon=h, n_test=len(rows), always_up_da=round(b["always_up_da"], 4),
                                        last_sign_da=round(b["last_sign_da"], 4)))
        skills = {}
        for m in models:
            r = results[(m, h)]
            if not np.array_equal(r.test_rows, rows):
                raise RuntimeError(f"{m} h={h} was scored on different test rows")
            mm = r.metrics
            out_metrics.append(ModelMetrics(
                model_name=m, model_type=model_info(m).model_type, horizon=h,
                da_train=round(mm["da_train"], 4), da_test=round(mm["da_test"], 4),
                variance_ratio=_f(mm["variance_ratio"]) or 0.0, rmse=_f(mm["rmse"], 8), mae=_f(mm["mae"], 8),
                r2=_f(mm["r2"]), sharpe=_f(mm["sharpe"], 4), max_drawdown=_f(mm["max_drawdown"]),
                overfitting_gap=round(mm["overfitting_gap"], 4)))
            s = r.significance
            out_sig.append(DirectionalSignificance(
                model_name=m, horizon=h, da_test=round(mm["da_test"], 4), n_test=len(rows), test=s["test"],
                statistic=_f(s["statistic"], 4), p_value=_f(s["p_value"], 6), note=s.get("note")))
            skills[m] = cons.skill(mm["da_test"], s["p_value"])
            out_fc.append(ForecastResponse(
                model=m, horizon=h, prediction=round(r.live_prediction, 8),
                prediction_price=round(fc.prediction_price(last_price, r.live_prediction), 6),
                direction=fc.direction(r.live_prediction),
                confidence=round(fc.confidence(r.live_prediction, r.pred_test, r.y_test), 4),
                prediction_date=fc.prediction_date(last_date, h), generated_at=generated_at))
            out_imp.append(FeatureImportance(model_name=m, horizon=h, top_n=TOP_N,
                                             features=top_features(r.importance, feature_names)))
        weights = cons.consensus_weights(skills)
        live = float(cons.weighted({m: results[(m, h)].live_prediction for m in models}, weights))
        oos = cons.weighted({m: results[(m, h)].pred_test for m in models}, weights)
        resid = y_test - oos
        out_cons.append(ConsensusResponse(
            consensus_prediction=round(live, 8), consensus_direction=fc.direction(live),
            confidence=round(fc.confidence(live, oos, y_test), 4),
            models_used=[m for m in models if weights[m] > 0],
            weights={m: round(w, 6) for m, w in weights.items()}, horizon=h, generated_at=generated_at))
        fan[h] = {"prediction": live, "date": fc.prediction_date(last_date, h),
                  "quantiles": {q: float(np.quantile(resid, q)) for pair in FAN_QUANTILES for q in pair},
                  "consensus_da_test": metrics.directional_accuracy(y_test, oos)}

    avg = {m: float(np.mean([x.da_test for x in out_metrics if x.model_name == m])) for m in models}
    summaries = []
    for m in models:
        rows_m = [x for x in out_metrics if x.model_name == m]
        best = max(rows_m, key=lambda x: x.da_test)
        info = model_info(m)
        summaries.append(ModelSummary(model_name=m, model_type=info.model_type, avg_da_test=round(avg[m], 4),
                                      best_horizon=best.horizon, best_da=best.da_test,
                                      requires_scaling=info.requires_scaling,
                                      supports_early_stopping=info.supports_early_stopping))
    best_overall = max(models, key=lambda m: avg[m])
    return Assembled(out_metrics, summaries, out_fc, out_cons, out_imp, out_base, out_sig,
                     {m: round(v, 4) for m, v in avg.items()}, best_overall, fan)
