"""The forecast service's own Prometheus metrics, beside the shared HTTP ones (servicekit/metrics.py)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

LOGIN_FAILURES = Counter("forecast_login_failures_total", "Failed logins: a wrong password or an unknown user")
LOGIN_THROTTLED = Counter("forecast_login_throttled_total", "Logins refused with 429 by the login throttle")
RUN_AGE_SECONDS = Gauge(
    "forecast_published_run_age_seconds", "Age of the published run being served (NaN while none is)"
)
DB_POOL_IN_USE = Gauge("forecast_db_pool_connections_in_use", "Database connections checked out of the pool")
