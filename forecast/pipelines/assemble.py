"""Turn walk-forward task results into the contract objects (runcontract): metrics with their baselines
and uncertainty, forecasts, consensus, importances, significance and the verdict. Pure data in,
Pydantic models out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from pipelines import consensus as cons
from pipelines import forecast as fc
from pipelines import metrics, skill, verdict
from pipelines.config import PipelineConfig
from pipelines.importance import TOP_N, top_features
from pipelines.models import capabilities_of
from pipelines.verdict import HorizonData
from pipelines.walkforward import TaskResult
from runcontract.forecasts import ConsensusResponse, ForecastResponse
from runcontract.models import FeatureImportance, HorizonSkill, ModelMetrics, ModelSummary
from runcontract.run import DirectionalSignificance, HorizonBaseline

FAN_QUANTILES = ((0.05, 0.95), (0.25, 0.75))


def _f(x: float | None, nd: int = 6) -> float | None:
    if x is None or not np.isfinite(x):
        return None
    return round(float(x), nd)


def _interval(hit: np.ndarray, h: int) -> tuple[float, float]:
    low, high = skill.da_interval(hit, h)
    return round(low, 4), round(high, 4)


@dataclass
class Assembled:
    metrics: list[ModelMetrics]
    summaries: list[ModelSummary]
    forecasts: list[ForecastResponse]
    consensus: list[ConsensusResponse]
    importances: list[FeatureImportance]
    baselines: list[HorizonBaseline]
    significance: list[DirectionalSignificance]
    skill_by_horizon: list[HorizonSkill]
    avg_da_by_model: dict[str, float]
    best_model_overall: str
    best_model_edge: float  # same points as avg_da_test
    best_model_holdout_edge: float
    beats_baseline: bool
    verdict: str
    fan: dict[int, dict[str, Any]]  # per-horizon consensus prediction and OOS error quantiles, for the fan chart


def horizon_data(
    results: dict[tuple[str, int], TaskResult], models: list[str], h: int, holdout_fraction: float
) -> HorizonData:
    first = results[(models[0], h)]
    for m in models:
        if not np.array_equal(results[(m, h)].test_rows, first.test_rows):
            raise RuntimeError(f"{m} h={h} was scored on different test rows")
    return HorizonData(
        h=h,
        test_rows=first.test_rows,
        y_test=first.y_test,
        preds={m: results[(m, h)].pred_test for m in models},
        split=skill.selection_holdout(first.test_rows, h, holdout_fraction),
    )


def _metrics_rows(
    d: HorizonData, results: dict[tuple[str, int], TaskResult], logp: np.ndarray
) -> tuple[list[ModelMetrics], list[float]]:
    h, rows = d.h, d.test_rows
    naive = metrics.baselines(d.y_test, logp[rows] - logp[rows - h])
    always_up, last_sign = naive["always_up_da"], naive["last_sign_da"]
    out, p_values = [], []
    for m in d.preds:
        mm, hit = results[(m, h)].metrics, d.model_hits[m]
        p = skill.p_value_vs_baseline(hit, d.base_hits, h)
        low, high = _interval(hit, h)
        p_values.append(p)
        out.append(
            ModelMetrics(
                model_name=m,
                model_type=capabilities_of(m).model_type,
                horizon=h,
                da_train=round(mm["da_train"], 4),
                da_test=round(mm["da_test"], 4),
                variance_ratio=_f(mm["variance_ratio"]) or 0.0,
                rmse=_f(mm["rmse"], 8),
                mae=_f(mm["mae"], 8),
                r2=_f(mm["r2"]),
                sharpe=_f(mm["sharpe"], 4),
                max_drawdown=_f(mm["max_drawdown"]),
                overfitting_gap=round(mm["overfitting_gap"], 4),
                always_up_da=round(always_up, 4),
                last_sign_da=round(last_sign, 4),
                edge_vs_always_up=round(mm["da_test"] - always_up, 4),
                da_ci_low=low,
                da_ci_high=high,
                p_value_vs_always_up=round(p, 6),
                p_value_adjusted=1.0,
                buy_hold_sharpe=_f(mm["buy_hold_sharpe"], 4),
                sharpe_after_costs=_f(mm["sharpe_after_costs"], 4),
            )
        )
    return out, p_values


def _consensus(
    d: HorizonData,
    results: dict[tuple[str, int], TaskResult],
    y_all: np.ndarray,
    config: PipelineConfig,
    generated_at: datetime,
) -> tuple[ConsensusResponse, cons.Consensus]:
    c = cons.build(
        y_all,
        d.test_rows,
        d.y_test,
        d.preds,
        {m: results[(m, d.h)].live_prediction for m in d.preds},
        d.split,
        d.h,
        config.alpha,
    )
    hold = d.split.holdout
    hit = skill.hits(d.y_test[hold], c.holdout_up)  # holdout_up: the direction called, True = up
    low, high = _interval(hit, d.h)
    response = ConsensusResponse(
        consensus_prediction=round(c.prediction, 8),
        consensus_direction=c.direction,
        confidence=round(c.confidence, 4),
        models_used=[m for m in d.preds if m in c.weights],
        weights={m: round(w, 6) for m, w in c.weights.items()},
        horizon=d.h,
        generated_at=generated_at,
        signal="skill" if c.weights else "no_edge",
        consensus_holdout_da=round(100.0 * hit.mean(), 4),
        holdout_always_up_da=round(d.da(None, hold), 4),
        holdout_da_ci_low=low,
        holdout_da_ci_high=high,
        n_holdout=len(hold),
    )
    return response, c


def assemble(
    results: dict[tuple[str, int], TaskResult],
    config: PipelineConfig,
    prices: pd.Series,
    feature_names: list[str],
    generated_at: datetime,
) -> Assembled:
    models, horizons = list(config.models), list(config.horizons)
    last_date, last_price = prices.index[-1], float(prices.iloc[-1])
    logp = np.log(prices.to_numpy(float))
    data = [horizon_data(results, models, h, config.holdout_fraction) for h in horizons]
    out_metrics, p_values, out_fc, out_cons, out_imp, out_base, out_sig = [], [], [], [], [], [], []
    fan = {}
    for d in data:
        h = d.h
        rows, ps = _metrics_rows(d, results, logp)
        out_metrics += rows
        p_values += ps
        out_base.append(
            HorizonBaseline(
                horizon=h, n_test=len(d.test_rows), always_up_da=rows[0].always_up_da, last_sign_da=rows[0].last_sign_da
            )
        )
        sel = d.split.selection
        for m in models:
            r = results[(m, h)]
            s = r.significance
            out_sig.append(
                DirectionalSignificance(
                    model_name=m,
                    horizon=h,
                    da_test=round(r.metrics["da_test"], 4),
                    n_test=len(d.test_rows),
                    test=s["test"],
                    statistic=_f(s["statistic"], 4),
                    p_value=_f(s["p_value"], 6),
                    note=s.get("note"),
                )
            )
            out_fc.append(
                ForecastResponse(
                    model=m,
                    horizon=h,
                    prediction=round(r.live_prediction, 8),
                    prediction_price=round(fc.prediction_price(last_price, r.live_prediction), 6),
                    direction=fc.direction(r.live_prediction),
                    confidence=round(fc.confidence(r.live_prediction, r.pred_test[sel], r.y_test[sel]), 4),
                    prediction_date=fc.prediction_date(last_date, h),
                    generated_at=generated_at,
                )
            )
            out_imp.append(
                FeatureImportance(
                    model_name=m, horizon=h, top_n=TOP_N, features=top_features(r.importance, feature_names)
                )
            )
        response, c = _consensus(d, results, logp[h:] - logp[:-h], config, generated_at)
        out_cons.append(response)
        resid = d.y_test - c.oos
        fan[h] = {
            "prediction": c.prediction,
            "date": fc.prediction_date(last_date, h),
            "quantiles": {q: float(np.quantile(resid, q)) for pair in FAN_QUANTILES for q in pair},
        }

    # Holm over the run's whole family of model x horizon tests.
    out_metrics = [
        row.model_copy(update={"p_value_adjusted": round(p, 6)})
        for row, p in zip(out_metrics, skill.holm(p_values), strict=True)
    ]
    skills = verdict.horizon_skills(data, config.alpha, config.spa_reps, config.seed)
    best, holdout_edge = verdict.best_model_overall(data)
    avg = {m: float(np.mean([x.da_test for x in out_metrics if x.model_name == m])) for m in models}
    summaries = _summaries(out_metrics, models, avg)
    best_edge = next(s.avg_edge_vs_always_up for s in summaries if s.model_name == best)
    return Assembled(
        out_metrics,
        summaries,
        out_fc,
        out_cons,
        out_imp,
        out_base,
        out_sig,
        skills,
        {m: round(v, 4) for m, v in avg.items()},
        best,
        best_edge,
        round(holdout_edge, 4),
        any(s.beats_baseline for s in skills),
        verdict.sentence(skills),
        fan,
    )


def _summaries(rows: list[ModelMetrics], models: list[str], avg: dict[str, float]) -> list[ModelSummary]:
    out = []
    for m in models:
        rows_m = [x for x in rows if x.model_name == m]
        best = max(rows_m, key=lambda x: x.da_test)
        avg_up = round(float(np.mean([x.always_up_da for x in rows_m])), 4)
        info = capabilities_of(m)
        out.append(
            ModelSummary(
                model_name=m,
                model_type=info.model_type,
                avg_da_test=round(avg[m], 4),
                best_horizon=best.horizon,
                best_da=best.da_test,
                requires_scaling=info.requires_scaling,
                supports_early_stopping=info.supports_early_stopping,
                avg_always_up_da=avg_up,
                # From the published (rounded) averages, so the two fields reconcile to the last digit.
                avg_edge_vs_always_up=round(round(avg[m], 4) - avg_up, 4),
                best_horizon_edge=best.edge_vs_always_up,
            )
        )
    return out
