"""Methodology text stored in summary.json and served by GET /api/v1/methodology, so every published number
carries its definition. Built from the run's configuration, so the numbers in the text are the run's."""

from __future__ import annotations

from pipelines.config import PipelineConfig


def methodology(config: PipelineConfig) -> dict[str, str]:
    hold = f"{config.holdout_fraction:.0%}"
    alpha = f"{config.alpha:g}"
    return {
        "target": "y(t,h) = ln P(t+h) - ln P(t); one direct model per horizon h (trading days).",
        "features": "Lagged daily log returns, momentum, rolling volatility and ratios, moving-average gaps, "
        "20-day range position, RSI-14, calendar (weekday, month sin/cos, turn of month) and volume "
        "features when the data has volume. Trailing windows only: every feature at t uses rows <= t.",
        "walk_forward": "Expanding window; the last 40% of rows are split into n_folds contiguous test blocks and "
        "the models are refit before each block. Test rows start at the same date for every horizon.",
        "purging": "Training rows for a block starting at row a are i < a - h: the last training target ends at "
        "row a-1, before the first test point (gap of h rows; Lopez de Prado, AFML ch. 7). Scalers sit "
        "inside the estimator's Pipeline and see the training window only.",
        "early_stopping": "Boosting stops on the last 15% of the training window (time-ordered), with a further "
        "h-row purge between the rows it fits and that tail; the early-stopped model is used as is.",
        "direction": "'up' means > 0; zero (realised or predicted) counts as 'down'. DA, baselines and every test "
        "use this one rule.",
        "da": "da_test: % of out-of-sample points (all folds pooled) with the right direction. da_train: in-sample "
        "DA of each fold's model on its own training window, pooled weighted by window size. "
        "overfitting_gap = da_train - da_test.",
        "regression_metrics": "rmse, mae on log-returns; r2 is out-of-sample against the test-period mean; "
        "variance_ratio = std(pred)/std(true).",
        "baselines": "Over the same test points as da_test: always_up_da (always predict up) and last_sign_da "
        "(predict the sign of the last h-day return). edge_vs_always_up = da_test - always_up_da, in "
        "percentage points. A DA only means something beside these.",
        "uncertainty": "da_ci_low/da_ci_high: 95% interval for da_test from the mean of the 0/1 hit series with a "
        "Newey-West (HAC, Bartlett) standard error with h-1 lags, because overlapping h-day targets "
        "make the hits MA(h-1)-correlated; every test point is used (no every-h-th subsample). "
        "With fewer than 10 points per lag (10h) there is no meaningful error: the interval is "
        "[0, 100] and every p-value 1.",
        "p_value_vs_always_up": "One-sided Diebold-Mariano test on the directional loss (1 - hit): H1 is that the "
        "model's hit rate is above always-up's. The mean hit difference over a Newey-West "
        "standard error with h-1 lags, normal reference. A model behind always-up gets "
        "p > 0.5; a model identical to always-up gets p = 0.5.",
        "p_value_adjusted": "p_value_vs_always_up after Holm's step-down adjustment over every model x horizon of "
        "the run (statsmodels multipletests).",
        "significance": "Per model x horizon in summary.json: a one-sided Pesaran-Timmermann test in its regression "
        "form (slope of 1{y>0} on 1{pred>0}) with a Newey-West standard error with h-1 lags, on all "
        "test points. It asks whether predicted and realised directions are related, not whether DA "
        "beats always-up: on an up-trending index a mostly-long model can pass it without skill. "
        "p_value is null when the test is undefined (a forecast that never changes sign).",
        "holdout": f"The last {hold} of the pooled test points are the hold-out block. Every choice (consensus "
        f"membership and weights, the calibration behind confidence, the best model) is made on the "
        f"selection block: the test points before it, less the last h (their targets would overlap "
        f"the hold-out's). Those choices are scored on the hold-out alone.",
        "verdict": f"Per horizon, Hansen's SPA test as arch 8 implements it (unstudentised statistic, "
        f"{config.spa_reps} stationary-bootstrap replications, mean block 2h, directional loss, "
        f"benchmark always-up) asks whether any model beats always-up on all test points, pricing in "
        f"the search over models; models that never beat always-up at any point are left out (they "
        f"cannot, and arch would count a model identical to always-up as a tie it cannot price); "
        f"when every model trails always-up the p-value sits near 0.5, not 1. spa_p_value is its "
        f"consistent p-value, "
        f"spa_p_value_adjusted the Holm adjustment across the run's horizons. best_model: highest DA on "
        f"the selection block; best_edge: its DA minus always-up's on the hold-out. beats_baseline: "
        f"spa_p_value_adjusted < {alpha} and best_edge > 0. The verdict sentence names a model only "
        f"where it beats always-up.",
        "best_model_overall": "Highest mean DA over horizons on the selection block. best_model_edge (the "
        "comparison's best_model_overall_edge, the dashboard's best_model_edge): its "
        "avg_da_test minus always-up's average on the same points, so best_model_da - "
        "baseline_da. best_model_holdout_edge: its DA minus always-up's on the hold-out "
        "block, which played no part in choosing it, averaged over horizons.",
        "backtest": "Hold sign(prediction) for h days. Each daily signal gets 1/h of capital, so each day's position "
        "is the average of the h live signals (the book ramps up over the first h days). Daily simple "
        "returns of that book.",
        "sharpe": "mean/std of the daily strategy returns x sqrt(252), before costs. Overlapping h-day returns are "
        "never annualised directly. buy_hold_sharpe: the same for holding the asset on the same days.",
        "sharpe_after_costs": f"sharpe after charging {config.cost_bps:g} bp per unit of turnover: each day's "
        f"return less {config.cost_bps:g} bp x |change of position| (entering from a flat "
        f"book).",
        "max_drawdown": "min over t of (W_t - max_{s<=t} W_s)/max_{s<=t} W_s on compounded wealth, W_0 = 1; a "
        "negative fraction.",
        "confidence": "A model's confidence: the probability its own direction is right, from a logistic regression "
        "(Platt scaling) of 1{y>0} on its prediction, fitted on the selection block: P(up|pred) for "
        "an up call, 1 - P(up|pred) for a down call. A skill-less model gets the base rate of the "
        "direction it calls, and a model can honestly get less than 0.5.",
        "consensus": f"Models count when their one-sided p against always-up on the selection block, Holm-adjusted "
        f"over the horizon's models, is < {alpha} and their edge there is positive; weight = that "
        f"edge, normalised to sum to 1. The consensus' P(up) is Platt-calibrated on the selection "
        f"block and it calls the direction that probability favours, so its confidence is >= 0.5. "
        f"With no such model, signal = no_edge: the drift forecast (the mean h-day return over the "
        f"fitting history, confidence = how often the more frequent direction occurred; where the "
        f"mean's sign disagrees with that direction, the median), no models, no weights. "
        f"consensus_holdout_da: its DA on the hold-out alone (the drift is re-estimated at each "
        f"hold-out point from the targets realised by then), with always-up's on the same points and a "
        f"Newey-West 95% interval.",
        "feature_importance": "From the live (all-data) fit. Boosting: native gain (CatBoost: "
        "PredictionValuesChange). Linear: |coef| x feature std. Hybrid: normalised linear and "
        "boosting importances weighted by the in-sample std of each part's prediction. Values "
        "are shares of the total; the top 15 are kept.",
        "live_forecast": "Each model is refit on every row with a realised target and predicts from the last date; "
        "prediction_date = last date + h business days (weekends skipped, holidays not).",
        "fan_chart": "Consensus price path with bands from the 5/25/75/95% quantiles of the consensus' "
        "out-of-sample errors at each horizon.",
    }
