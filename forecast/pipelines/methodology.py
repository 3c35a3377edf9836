"""Methodology strings stored in summary.json, so every published number carries its definition."""

METHODOLOGY = {
    "target": "y(t,h) = ln P(t+h) - ln P(t); one direct model per horizon h (trading days).",
    "features": "Lagged daily log returns, momentum, rolling volatility and ratios, moving-average gaps, "
                "20-day range position, RSI-14, calendar (weekday, month sin/cos, turn of month) and volume "
                "features when the data has volume. Trailing windows only: every feature at t uses rows <= t.",
    "walk_forward": "Expanding window; the last 40% of rows are split into n_folds contiguous test blocks and the "
                    "models are refit before each block. Test rows start at the same date for every horizon.",
    "purging": "Training rows for a block starting at row a are i < a - h: the last training target ends at "
               "row a-1, before the first test point (gap of h rows; Lopez de Prado, AFML ch. 7). Scalers sit "
               "inside the estimator's Pipeline and see the training window only.",
    "early_stopping": "Boosting stops on the last 15% of the training window (time-ordered), with a further "
                      "h-row purge between the rows it fits and that tail; the early-stopped model is used as is.",
    "direction": "'up' means > 0; zero (realised or predicted) counts as 'down'. This matches statsmodels' "
                 "Pesaran-Timmermann classification, so DA and p-values use the same rule.",
    "da": "da_test: % of out-of-sample points (all folds pooled) with the right direction. da_train: in-sample DA "
          "of each fold's model on its own training window, pooled weighted by window size. "
          "overfitting_gap = da_train - da_test.",
    "regression_metrics": "rmse, mae on log-returns; r2 is out-of-sample against the test-period mean; "
                          "variance_ratio = std(pred)/std(true).",
    "backtest": "Hold sign(prediction) for h days. Each daily signal gets 1/h of capital, so each day's position "
                "is the average of the h live signals (the book ramps up over the first h days). Daily simple "
                "returns of that book, no costs.",
    "sharpe": "mean/std of the daily strategy returns x sqrt(252). Overlapping h-day returns are never "
              "annualised directly.",
    "max_drawdown": "min over t of (W_t - max_{s<=t} W_s)/max_{s<=t} W_s on compounded wealth, W_0 = 1; a "
                    "negative fraction.",
    "baselines": "Over the same test points: always-up DA, and DA of the sign of the last h-day return.",
    "significance": "One-sided Pesaran-Timmermann test (statsmodels) of predicted vs realised direction on "
                    "non-overlapping test points (every h-th), because overlapping h-day targets are serially "
                    "correlated (MA(h-1)). p_value is null when the test is undefined, e.g. a forecast that never "
                    "changes sign. n_test in the significance rows is the full test count; the note gives the "
                    "subsample used.",
    "confidence": "Probability the live direction is right, calibrated on the model's out-of-sample walk-forward "
                  "predictions: logistic regression (Platt scaling) of 1{y>0} on the OOS prediction gives P(up|pred); "
                  "confidence = P(up|pred) for an up call, 1 - P(up|pred) for a down call. A skill-less model gets "
                  "the base rate of the direction it calls. The consensus is calibrated on its own OOS predictions.",
    "consensus": "Weighted mean of the models' live forecasts. Weight = da_test - 50 for models with PT p < 0.05 "
                 "and da_test > 50, else 0; all zero -> equal weights; normalised to sum to 1. Weights are chosen "
                 "on the same OOS period, so the consensus' own OOS accuracy is mildly optimistic.",
    "feature_importance": "From the live (all-data) fit. Boosting: native gain (CatBoost: PredictionValuesChange). "
                          "Linear: |coef| x feature std. Hybrid: normalised linear and boosting importances "
                          "weighted by the in-sample std of each part's prediction. Values are shares of the total; "
                          "the top 15 are kept.",
    "live_forecast": "Each model is refit on every row with a realised target and predicts from the last date; "
                     "prediction_date = last date + h business days (weekends skipped, holidays not).",
    "fan_chart": "Consensus price path with bands from the 5/25/75/95% quantiles of the consensus' "
                 "out-of-sample errors at each horizon.",
}
