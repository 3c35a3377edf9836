import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from api.schemas.forecasts import ConsensusResponse, ForecastResponse
from api.schemas.models import ModelComparison
from runcontract.run import RunBundle
from servicekit.errors import ErrorResponse
from tests.support.runs import build_bundle


def test_forecast_response_valid():  # the spec's own test
    data = {
        "model": "ridge",
        "horizon": 5,
        "prediction": 0.0023,
        "direction": "up",
        "confidence": 0.65,
        "prediction_date": "2026-01-20",
        "generated_at": "2026-01-15T10:30:00",
    }
    response = ForecastResponse(**data)
    assert response.model == "ridge"
    assert response.direction == "up"


def _forecast(**overrides):
    data = dict(
        model="ridge",
        horizon=5,
        prediction=0.1,
        direction="up",
        confidence=0.5,
        prediction_date="2026-01-20",
        generated_at="2026-01-15T10:30:00",
    )
    data.update(overrides)
    return ForecastResponse(**data)


def test_naive_datetimes_are_taken_as_utc_and_serialised_with_z():
    body = json.loads(_forecast().model_dump_json())
    assert body["generated_at"] == "2026-01-15T10:30:00.000000Z"
    assert body["prediction_date"] == "2026-01-20"


def test_offset_datetimes_are_converted_to_utc():
    moment = datetime(2026, 1, 15, 12, 30, tzinfo=timezone(timedelta(hours=2)))
    assert json.loads(_forecast(generated_at=moment).model_dump_json())["generated_at"] == "2026-01-15T10:30:00.000000Z"


@pytest.mark.parametrize("field,value", [("horizon", 0), ("horizon", 31), ("confidence", 1.5), ("direction", "flat")])
def test_forecast_constraints_are_enforced(field, value):
    with pytest.raises(ValidationError):
        _forecast(**{field: value})


def test_prediction_price_is_optional_and_nullable():
    assert _forecast().prediction_price is None


def test_model_comparison_serialises_horizon_keys_as_strings():
    bundle, _ = build_bundle("r")
    skill = bundle.summary.skill_by_horizon[1]
    comparison = ModelComparison(
        models=bundle.models,
        metrics_by_horizon={5: bundle.metrics[:1]},
        best_model_overall="ridge",
        best_model_by_horizon={5: "ridge"},
        generated_at=datetime.now(UTC),
        best_model_overall_edge=-1.0,
        best_model_overall_holdout_edge=-0.5,
        skill_by_horizon={5: skill},
        beats_baseline=False,
        verdict="none",
    )
    body = json.loads(comparison.model_dump_json())
    assert list(body["metrics_by_horizon"]) == ["5"] and body["best_model_by_horizon"] == {"5": "ridge"}
    assert list(body["skill_by_horizon"]) == ["5"]


def test_consensus_must_name_the_likelier_direction_and_say_when_it_has_no_edge():
    bundle, _ = build_bundle("r")
    skilled = next(c for c in bundle.consensus if c.signal == "skill")
    data = skilled.model_dump()
    with pytest.raises(ValidationError, match=">= 0.5"):
        ConsensusResponse(**(data | {"confidence": 0.45}))
    with pytest.raises(ValidationError, match="no_edge exactly when"):
        ConsensusResponse(**(data | {"signal": "no_edge"}))
    with pytest.raises(ValidationError, match="no_edge exactly when"):
        ConsensusResponse(**(data | {"weights": {}, "models_used": []}))


def test_error_response_timestamp_ends_with_z():
    body = json.loads(
        ErrorResponse(error="x", message="y", status_code=404, timestamp=datetime.now(UTC)).model_dump_json()
    )
    assert body["timestamp"].endswith("Z") and body["details"] is None


def test_run_bundle_round_trips_through_json():
    bundle, _ = build_bundle("r")
    assert RunBundle.model_validate_json(bundle.model_dump_json()) == bundle


@pytest.mark.parametrize(
    "mutate,reason",
    [
        (lambda d: d["forecasts"][0].update(model="ghost"), "forecast for unknown"),
        (lambda d: d["consensus"].pop(), "one consensus per horizon"),
        (lambda d: d["summary"].update(best_model_overall="ghost"), "best_model_overall"),
        (lambda d: d["images"].append(d["images"][0]), "unique"),
        (lambda d: d.update(models=[], metrics=[], forecasts=[], feature_importance=[]), "at least one model"),
    ],
)
def test_run_bundle_refuses_inconsistent_runs(mutate, reason):
    bundle, _ = build_bundle("r")
    data = json.loads(bundle.model_dump_json())
    mutate(data)
    with pytest.raises(ValidationError, match=reason):
        RunBundle.model_validate(data)
