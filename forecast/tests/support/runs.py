"""Small, valid published runs for the API tests: a RunBundle with real PNG charts, published with the
pipeline's own atomic layout (pipelines.publish)."""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from PIL import Image, ImageDraw

from pipelines.publish import publish, publish_run, staging_dir
from runcontract.forecasts import ConsensusResponse, ForecastResponse
from runcontract.images import ImageMetadata
from runcontract.models import FeatureImportance, HorizonSkill, ModelMetrics, ModelSummary
from runcontract.run import ASSETS_DIRNAME, RUN_BUNDLE_FILE, AssetResult, DataInfo, RunBundle, RunImage, RunSummary

GENERATED_AT = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
LAST_DATE = date(2026, 1, 14)
LAST_PRICE = 2650.0
MODELS = {"ridge": "linear", "lightgbm": "boosting", "hybrid_xgboost": "hybrid"}
HORIZONS = (1, 5, 10)
FEATURES = ("ret_1", "ret_5", "vol_20", "rsi_14", "ma_ratio_50")


def png_bytes(width: int, height: int, seed: int = 0) -> bytes:
    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    points = [(x, height / 2 + height / 3 * math.sin((x + seed * 7) / 15)) for x in range(0, width, 4)]
    draw.line(points, fill=(30, 90, 200), width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _da(model_index: int, horizon: int) -> float:
    return round(52.0 + 2.5 * model_index + horizon * 0.4, 2)


def _always_up(horizon: int) -> float:
    return round(53.0 + horizon * 0.5, 2)


def _skill(horizon: int, names: list[str]) -> HorizonSkill:
    """The last model beats always-up at the shortest horizons only (h < 5)."""
    beats = horizon < 5
    return HorizonSkill(
        horizon=horizon,
        baseline_da=_always_up(horizon),
        best_model=names[-1],
        best_edge=3.1 if beats else -1.2,
        best_holdout_da=58.0,
        baseline_holdout_da=54.9 if beats else 59.2,
        spa_p_value=0.004 if beats else 0.41,
        spa_p_value_adjusted=0.012 if beats else 0.82,
        beats_baseline=beats,
        n_test=2000,
        n_holdout=400,
    )


def build_bundle(
    run_id: str,
    *,
    horizons: tuple[int, ...] = HORIZONS,
    models: dict[str, str] | None = None,
    generated_at: datetime = GENERATED_AT,
    last_price: float = LAST_PRICE,
    source: str = "fixture",
    chart_seed: int = 0,
    assets: dict[str, float] | None = None,
) -> tuple[RunBundle, dict[str, bytes]]:
    """The bundle plus the PNG files it references (path relative to the run dir -> bytes). With ``assets``
    (name -> last price, the first is the default), a run of several assets, each from source ``name``."""
    if assets is not None:
        return _multi_asset_bundle(run_id, assets, horizons=horizons, models=models, generated_at=generated_at)
    models = models or MODELS
    names = list(models)
    metrics: list[ModelMetrics] = []
    forecasts: list[ForecastResponse] = []
    importances: list[FeatureImportance] = []
    for i, (name, kind) in enumerate(models.items()):
        for h in horizons:
            da_test, up = _da(i, h), _always_up(h)
            p_value = 0.004 if da_test > up else 0.7
            metrics.append(
                ModelMetrics(
                    model_name=name,
                    model_type=kind,
                    horizon=h,
                    da_train=da_test + 4.0,
                    da_test=da_test,
                    variance_ratio=0.8 + 0.1 * i,
                    rmse=0.01 * h,
                    mae=0.008 * h,
                    r2=0.01,
                    sharpe=0.5 + i / 10,
                    max_drawdown=-0.12,
                    overfitting_gap=4.0,
                    always_up_da=up,
                    last_sign_da=50.5,
                    edge_vs_always_up=round(da_test - up, 4),
                    da_ci_low=da_test - 2.5 - h / 5,
                    da_ci_high=da_test + 2.5 + h / 5,
                    p_value_vs_always_up=p_value,
                    p_value_adjusted=min(1.0, p_value * 9),
                    buy_hold_sharpe=0.61,
                    sharpe_after_costs=0.4 + i / 10,
                )
            )
            prediction = (0.002 if (i + h) % 2 == 0 else -0.0015) * math.sqrt(h)
            forecasts.append(
                ForecastResponse(
                    model=name,
                    horizon=h,
                    prediction=prediction,
                    prediction_price=round(last_price * math.exp(prediction), 2),
                    direction="up" if prediction > 0 else "down",
                    confidence=round(da_test / 100, 4),
                    prediction_date=LAST_DATE + timedelta(days=h),
                    generated_at=generated_at,
                )
            )
            importances.append(
                FeatureImportance(
                    model_name=name,
                    horizon=h,
                    features={f: round(1 / (k + 1 + i), 4) for k, f in enumerate(FEATURES)},
                    top_n=len(FEATURES),
                )
            )
    summaries = []
    for i, (name, kind) in enumerate(models.items()):
        das = {h: _da(i, h) for h in horizons}
        best_h = max(das, key=lambda h: das[h])
        avg = round(sum(das.values()) / len(das), 4)
        avg_up = round(sum(_always_up(h) for h in horizons) / len(horizons), 4)
        summaries.append(
            ModelSummary(
                model_name=name,
                model_type=kind,
                avg_da_test=round(avg, 4),
                best_horizon=best_h,
                best_da=das[best_h],
                requires_scaling=kind == "linear",
                supports_early_stopping=kind != "linear",
                avg_always_up_da=round(avg_up, 4),
                avg_edge_vs_always_up=round(avg - avg_up, 4),
                best_horizon_edge=round(das[best_h] - _always_up(best_h), 4),
            )
        )
    skills = [_skill(h, names) for h in horizons]
    consensus = []
    for h, verdict in zip(horizons, skills, strict=True):
        if verdict.beats_baseline:
            rows = [f for f in forecasts if f.horizon == h and f.model == verdict.best_model]
            weights, value, signal = {rows[0].model: 1.0}, rows[0].prediction, "skill"
        else:
            weights, value, signal = {}, 0.0004 * h, "no_edge"
        consensus.append(
            ConsensusResponse(
                consensus_prediction=value,
                consensus_direction="up" if value > 0 else "down",
                confidence=0.6,
                models_used=list(weights),
                weights=weights,
                horizon=h,
                generated_at=generated_at,
                signal=signal,
                consensus_holdout_da=57.5,
                holdout_always_up_da=verdict.baseline_holdout_da,
                holdout_da_ci_low=52.1,
                holdout_da_ci_high=62.9,
                n_holdout=400,
            )
        )
    files: dict[str, bytes] = {}
    images: list[RunImage] = []

    def add_image(image_id: str, image_type: str, width: int, height: int, model: str | None, h: int | None) -> None:
        content = png_bytes(width, height, seed=len(files) + chart_seed)
        rel = f"images/{image_id}.png"
        files[rel] = content
        images.append(
            RunImage(
                file=rel,
                metadata=ImageMetadata(
                    image_id=image_id,
                    image_type=image_type,
                    model_name=model,
                    horizon=h,
                    generated_at=generated_at,
                    file_size_bytes=len(content),
                    dimensions=(width, height),
                ),
            )
        )

    add_image("model_ranking", "model_ranking", 320, 200, None, None)
    add_image("metrics_heatmap", "metrics_heatmap", 300, 180, None, None)
    add_image("forecast_fan_chart", "forecast_fan_chart", 280, 160, None, None)
    for i, name in enumerate(names):
        add_image(f"backtest_equity_{name}_h{horizons[-1]}", "backtest_equity", 240 + 10 * i, 150, name, horizons[-1])
    add_image(f"feature_importance_{names[0]}_h{horizons[0]}", "feature_importance", 200, 120, names[0], horizons[0])

    best = max(summaries, key=lambda s: s.avg_da_test)
    beats = [s for s in skills if s.beats_baseline]
    summary = RunSummary(
        run_id=run_id,
        generated_at=generated_at,
        best_model_overall=best.model_name,
        avg_da_by_model={s.model_name: s.avg_da_test for s in summaries},
        horizons=list(horizons),
        n_models=len(models),
        data=DataInfo(
            source=source,
            price_column="close",
            start_date=date(2020, 1, 1),
            end_date=LAST_DATE,
            n_rows=1500,
            last_price=last_price,
            last_date=LAST_DATE,
        ),
        feature_names=list(FEATURES),
        best_model_edge=best.avg_edge_vs_always_up,
        best_model_holdout_edge=1.4,
        beats_baseline=bool(beats),
        skill_by_horizon=skills,
        verdict=(
            f"{names[-1]} beats always-up at h={beats[0].horizon} by +3.1 pp on the hold-out (SPA p = 0.004)."
            if beats
            else "No model beats always-up at any horizon on this data."
        ),
        methodology={"verdict": "Hansen's SPA test per horizon against always-up."},
        parameters={"cost_bps": 5.0},
    )
    bundle = RunBundle(
        summary=summary,
        models=summaries,
        metrics=metrics,
        forecasts=forecasts,
        consensus=consensus,
        feature_importance=importances,
        images=images,
    )
    return bundle, files


def _multi_asset_bundle(run_id: str, assets: dict[str, float], **kwargs) -> tuple[RunBundle, dict[str, bytes]]:
    sections: list[AssetResult] = []
    files: dict[str, bytes] = {}
    for i, (name, last_price) in enumerate(assets.items()):
        single, single_files = build_bundle(run_id, last_price=last_price, source=name, chart_seed=100 * i, **kwargs)
        prefix = "" if i == 0 else f"{ASSETS_DIRNAME}/{name}/"
        files.update({prefix + rel: content for rel, content in single_files.items()})
        sections.append(
            AssetResult(
                name=name,
                summary=single.summary,
                models=single.models,
                metrics=single.metrics,
                forecasts=single.forecasts,
                consensus=single.consensus,
                feature_importance=single.feature_importance,
                images=[img.model_copy(update={"file": prefix + img.file}) for img in single.images],
            )
        )
    bundle = RunBundle.of_assets(sections)
    return bundle, files


FIXTURE_CSV = b"model,horizon,da_test\nridge,1,52.4\n"


def stage_fixture_run(results_dir: Path, run_id: str, *, raw_bundle: bytes | None = None, **kwargs) -> Path:
    """A valid run (or ``raw_bundle`` as its run.json) with its charts and a metrics.csv, in a staging dir."""
    bundle, files = build_bundle(run_id, **kwargs)
    staged = staging_dir(results_dir, run_id)
    for rel, content in {**files, "metrics.csv": FIXTURE_CSV}.items():
        (staged / rel).parent.mkdir(parents=True, exist_ok=True)
        (staged / rel).write_bytes(content)
    (staged / RUN_BUNDLE_FILE).write_bytes(raw_bundle if raw_bundle is not None else bundle.model_dump_json().encode())
    return staged


def publish_fixture_run(results_dir: Path, run_id: str, *, raw_bundle: bytes | None = None, **kwargs) -> Path:
    """Publishes a valid run (or ``raw_bundle`` as its run.json) through pipelines.publish."""
    staged = stage_fixture_run(results_dir, run_id, raw_bundle=raw_bundle, **kwargs)
    return publish_run(results_dir, staged, run_id, keep=10)


def publish_fixture_run_to_postgres(
    database_url: str, staging_root: Path, run_id: str, *, keep: int = 10, **kwargs
) -> str:
    """Publishes a valid run into the PostgreSQL run store, as ``python -m pipelines.run --publish`` does."""
    staging_root.mkdir(parents=True, exist_ok=True)
    staged = stage_fixture_run(staging_root, run_id, **kwargs)
    return publish(database_url, staging_root, staged, run_id, keep=keep)


def corrupt_bundle(run_id: str) -> bytes:
    """A run.json that parses as JSON but fails RunBundle validation (a confidence above 1)."""
    bundle, _ = build_bundle(run_id)
    data = json.loads(bundle.model_dump_json())
    data["forecasts"][0]["confidence"] = 7.5
    return json.dumps(data).encode()
