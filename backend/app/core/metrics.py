"""UniTrack's own Prometheus metrics, beside the shared HTTP ones (servicekit/metrics.py)."""

from __future__ import annotations

from prometheus_client import Gauge, Histogram

MODEL_SCORE_SECONDS = Histogram(
    "unitrack_model_score_seconds",
    "One model call (a prediction and its explanation rows), by serving path",
    ["path"],
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
DB_POOL_IN_USE = Gauge("unitrack_db_pool_connections_in_use", "Database connections checked out of the pools")
