"""What GET /model tells a front end about the served model, so its form follows the model: each feature
with its type, range, levels, default, the explanation's baseline and its description (from the model
card where it has one), plus the labels and the positive class."""

from __future__ import annotations

from typing import Any

from app.services.inference import ModelEngine


def describe_features(engine: ModelEngine) -> list[dict[str, Any]]:
    baselines = engine.status().get("baselines") or {}
    described = []
    for spec in engine.schema.specs:
        baseline = baselines.get(spec.name) or {}
        described.append(
            {
                "name": spec.name,
                "type": "categorical" if spec.is_categorical else "number",
                "minimum": spec.minimum,
                "maximum": spec.maximum,
                "levels": list(spec.levels) if spec.levels is not None else None,
                "accepts_unknown_level": spec.accepts_unknown_level if spec.is_categorical else None,
                "default": spec.default,
                "baseline": baseline.get("value"),
                "baseline_source": baseline.get("source"),
                "description": spec.description,
            }
        )
    return described


def describe_model(engine: ModelEngine) -> dict[str, Any]:
    status = engine.status(public=True)
    return {
        "mode": status["mode"],
        "version": status["version"],
        "estimator": status.get("estimator"),
        "features": status["features"],
        "reason": status["reason"],
        "serving": status.get("serving"),
        "loaded_at": engine.loaded_at,
        "scoring_method": status.get("scoring_method"),
        "labels": status["labels"],
        "positive_class": status.get("positive_class"),
        "feature_specs": describe_features(engine),
    }
