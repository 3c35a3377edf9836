"""Model summaries, metrics, comparison and feature importance over one run snapshot."""

from __future__ import annotations

from pydantic import TypeAdapter

from api.schemas.models import FeatureImportance, ModelComparison, ModelMetrics, ModelSummary
from api.services.errors import FeatureImportanceNotFound
from api.services.forecasts import require_horizon, require_model
from api.services.results import Snapshot

SUMMARY_LIST = TypeAdapter(list[ModelSummary])
METRICS_LIST = TypeAdapter(list[ModelMetrics])


def list_models(snapshot: Snapshot) -> bytes:
    return SUMMARY_LIST.dump_json(snapshot.bundle.models)


def get_model(snapshot: Snapshot, model_name: str) -> ModelSummary:
    require_model(snapshot, model_name)
    return next(m for m in snapshot.bundle.models if m.model_name == model_name)


def model_metrics(snapshot: Snapshot, model_name: str) -> bytes:
    require_model(snapshot, model_name)
    rows = sorted((m for m in snapshot.bundle.metrics if m.model_name == model_name), key=lambda m: m.horizon)
    return METRICS_LIST.dump_json(rows)


def comparison(snapshot: Snapshot) -> ModelComparison:
    bundle, summary = snapshot.bundle, snapshot.bundle.summary
    by_horizon: dict[int, list[ModelMetrics]] = {}
    for row in sorted(bundle.metrics, key=lambda m: (m.horizon, m.model_name)):
        by_horizon.setdefault(row.horizon, []).append(row)
    skills = {s.horizon: s for s in sorted(summary.skill_by_horizon, key=lambda s: s.horizon)}
    return ModelComparison(
        models=bundle.models,
        metrics_by_horizon=by_horizon,
        best_model_overall=summary.best_model_overall,
        best_model_by_horizon={h: s.best_model for h, s in skills.items()},
        generated_at=summary.generated_at,
        best_model_overall_edge=summary.best_model_edge,
        best_model_overall_holdout_edge=summary.best_model_holdout_edge,
        skill_by_horizon=skills,
        beats_baseline=summary.beats_baseline,
        verdict=summary.verdict,
    )


def feature_importance(snapshot: Snapshot, model_name: str, horizon: int | None) -> FeatureImportance:
    require_model(snapshot, model_name)
    summary = next(m for m in snapshot.bundle.models if m.model_name == model_name)
    h = summary.best_horizon if horizon is None else require_horizon(snapshot, horizon)
    found = next(
        (fi for fi in snapshot.bundle.feature_importance if fi.model_name == model_name and fi.horizon == h), None
    )
    if found is None:
        raise FeatureImportanceNotFound(
            f"Run {snapshot.run_id} has no feature importance for {model_name!r} at horizon {h}"
        )
    return found
