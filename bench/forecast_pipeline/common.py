"""Shared settings for the pipeline-vs-skforecast benchmark: same data, models, horizons and folds."""

HORIZONS = (1, 5, 10, 15, 20, 25, 30)
N_FOLDS = 10
TEST_FRACTION = 0.4
# Same hyperparameters as forecast/pipelines/models/base.py (BOOST_PARAMS, RIDGE_ALPHA).
RIDGE_ALPHA = 10.0
LGBM = dict(
    n_estimators=300,
    learning_rate=0.05,
    max_depth=3,
    num_leaves=8,
    subsample=0.8,
    subsample_freq=1,
    colsample_bytree=0.8,
    min_child_samples=50,
    n_jobs=1,
    random_state=0,
    verbose=-1,
)
