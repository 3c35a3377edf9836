"""Forecast reads over one run snapshot: each returns the response schema, or its JSON for a bare list
(the router answers through the response cache, api/services/response_cache.py)."""

from __future__ import annotations

from pydantic import TypeAdapter

from api.schemas.forecasts import ConsensusResponse, ForecastDashboard, ForecastListResponse, ForecastResponse
from api.services.errors import HorizonNotFound, ModelNotFound
from api.services.results import Snapshot

FORECAST_LIST = TypeAdapter(list[ForecastResponse])


def _sorted(forecasts: list[ForecastResponse]) -> list[ForecastResponse]:
    return sorted(forecasts, key=lambda f: (f.horizon, f.model))


def require_horizon(snapshot: Snapshot, horizon: int) -> int:
    horizons = snapshot.bundle.summary.horizons
    if horizon not in horizons:
        raise HorizonNotFound(
            f"Horizon {horizon} is not in run {snapshot.run_id}; available horizons: "
            + ", ".join(str(h) for h in sorted(horizons))
        )
    return horizon


def require_model(snapshot: Snapshot, model_name: str) -> str:
    names = [m.model_name for m in snapshot.bundle.models]
    if model_name not in names:
        raise ModelNotFound(
            f"Model {model_name!r} is not in run {snapshot.run_id}; available models: " + ", ".join(names)
        )
    return model_name


def default_horizon(snapshot: Snapshot, preferred: int) -> int:
    """The configured default horizon, or the run's closest one when the run lacks it."""
    horizons = snapshot.bundle.summary.horizons
    if preferred in horizons:
        return preferred
    return min(horizons, key=lambda h: (abs(h - preferred), h))


def list_forecasts(
    snapshot: Snapshot, *, model: str | None, horizon: int | None, page: int, page_size: int
) -> ForecastListResponse:
    if model is not None:
        require_model(snapshot, model)
    if horizon is not None:
        require_horizon(snapshot, horizon)
    rows = [
        f
        for f in snapshot.bundle.forecasts
        if (model is None or f.model == model) and (horizon is None or f.horizon == horizon)
    ]
    rows = _sorted(rows)
    start = (page - 1) * page_size
    return ForecastListResponse(
        forecasts=rows[start : start + page_size], total=len(rows), page=page, page_size=page_size
    )


def latest_forecasts(snapshot: Snapshot, *, limit: int) -> bytes:
    rows = sorted(snapshot.bundle.forecasts, key=lambda f: (-f.generated_at.timestamp(), f.horizon, f.model))
    return FORECAST_LIST.dump_json(rows[:limit])


def _consensus(snapshot: Snapshot, horizon: int) -> ConsensusResponse:
    require_horizon(snapshot, horizon)
    return next(c for c in snapshot.bundle.consensus if c.horizon == horizon)


def consensus(snapshot: Snapshot, *, horizon: int | None, preferred: int) -> ConsensusResponse:
    return _consensus(snapshot, horizon if horizon is not None else default_horizon(snapshot, preferred))


def by_horizon(snapshot: Snapshot, horizon: int) -> bytes:
    require_horizon(snapshot, horizon)
    return FORECAST_LIST.dump_json(_sorted([f for f in snapshot.bundle.forecasts if f.horizon == horizon]))


def dashboard(snapshot: Snapshot, *, preferred: int) -> ForecastDashboard:
    bundle, summary = snapshot.bundle, snapshot.bundle.summary
    h = default_horizon(snapshot, preferred)
    best = next(m for m in bundle.models if m.model_name == summary.best_model_overall)
    return ForecastDashboard(
        latest_forecasts=_sorted([f for f in bundle.forecasts if f.horizon == h]),
        consensus=_consensus(snapshot, h),
        best_model=best.model_name,
        best_model_da=best.avg_da_test,
        avg_da_all_models=sum(m.avg_da_test for m in bundle.models) / len(bundle.models),
        last_actual_price=summary.data.last_price,
        last_actual_date=summary.data.last_date,
        generated_at=summary.generated_at,
        baseline_da=best.avg_always_up_da,
        best_model_edge=best.avg_edge_vs_always_up,
        best_model_holdout_edge=summary.best_model_holdout_edge,
        beats_baseline=summary.beats_baseline,
        verdict=summary.verdict,
    )
