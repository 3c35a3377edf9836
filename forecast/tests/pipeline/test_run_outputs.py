"""End-to-end runs: files validate through the contracts, the manifest matches the PNGs."""

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from pipelines import publish
from pipelines.run import main
from runcontract.run import RUN_BUNDLE_FILE, RUNS_DIRNAME, RunBundle, RunSummary


def _load(results: Path) -> tuple[Path, RunBundle]:
    run_dir = results / RUNS_DIRNAME / publish.read_latest_run_id(results)
    return run_dir, RunBundle.model_validate_json((run_dir / RUN_BUNDLE_FILE).read_text())


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    from tests.pipeline.helpers import synthetic_prices, write_csv

    tmp = tmp_path_factory.mktemp("e2e")
    frame = synthetic_prices(900, phi=0.3, seed=4)
    frame["volume"] = np.random.default_rng(0).uniform(1e6, 2e6, len(frame))
    csv_path = write_csv(frame, tmp / "ar.csv", price_col="Adj Close")
    results = tmp / "res"
    assert (
        main(
            [
                "--data",
                str(csv_path),
                "--results-dir",
                str(results),
                "--models",
                "ridge,lightgbm",
                "--horizons",
                "1,5",
                "--jobs",
                "2",
                "--folds",
                "4",
                "--no-progress",
            ]
        )
        == 0
    )
    return _load(results)


def test_bundle_validates_and_is_consistent(small_run):
    run_dir, b = small_run
    assert {m.model_name for m in b.models} == {"ridge", "lightgbm"}
    assert len(b.metrics) == 4 and len(b.forecasts) == 4 and len(b.feature_importance) == 4
    assert [c.horizon for c in b.consensus] == [1, 5]
    s = RunSummary.model_validate_json((run_dir / "summary.json").read_text())
    assert s.run_id == run_dir.name and s.data.has_volume
    assert len(s.baselines) == 2 and len(s.significance) == 4
    assert {"confidence", "sharpe", "direction", "purging"} <= set(s.methodology)
    # Numbers agree across files.
    da = {(m.model_name, m.horizon): m.da_test for m in b.metrics}
    for sig in s.significance:
        assert sig.da_test == da[(sig.model_name, sig.horizon)]
    assert s.avg_da_by_model["ridge"] == pytest.approx((da[("ridge", 1)] + da[("ridge", 5)]) / 2, abs=1e-3)
    with open(run_dir / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:7] == ["model", "horizon", "da_train", "da_test", "variance_ratio", "rmse", "mae"]
    assert {(r["model"], int(r["horizon"])): float(r["da_test"]) for r in rows} == da
    with open(run_dir / "forecasts.csv") as fh:
        assert list(next(csv.DictReader(fh)))[:6] == [
            "date",
            "model",
            "horizon",
            "prediction",
            "direction",
            "confidence",
        ]
    for f in b.forecasts:
        assert (f.prediction > 0) == (f.direction == "up") and 0 <= f.confidence <= 1
    assert json.loads((run_dir / "summary.json").read_text())["n_models"] == 2


def test_consensus_weights_sum_to_one_or_the_consensus_says_it_has_no_edge(small_run):
    _, b = small_run
    for c in b.consensus:
        assert c.confidence >= 0.5
        assert set(c.models_used) == set(c.weights)
        if c.signal == "skill":
            assert sum(c.weights.values()) == pytest.approx(1.0, abs=1e-5)
        else:
            assert c.weights == {} and c.models_used == []
    # phi = 0.3 at h=1 is real skill: the weighted consensus is used there.
    assert next(c for c in b.consensus if c.horizon == 1).signal == "skill"


def test_ar_series_is_skilled_at_h1(small_run):
    _, b = small_run
    ridge1 = next(m for m in b.metrics if m.model_name == "ridge" and m.horizon == 1)
    assert ridge1.da_test > 55


def test_image_manifest_matches_files(small_run):
    run_dir, b = small_run
    kinds = {"model_ranking", "metrics_heatmap", "forecast_fan_chart"}
    assert {i.metadata.image_type for i in b.images} == kinds | {
        "backtest_equity",
        "backtest_drawdown",
        "feature_importance",
    }
    assert len(b.images) == 3 + 3 * 4
    assert "backtest_equity__ridge__h5" in {i.metadata.image_id for i in b.images}
    for img in b.images:
        p = run_dir / img.file
        with Image.open(p) as im:
            assert im.format == "PNG" and im.size == tuple(img.metadata.dimensions)
        assert p.stat().st_size == img.metadata.file_size_bytes


def test_cli_reports_data_errors(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("Date,Close\n2020-01-01,1\n2020-01-01,2\n")
    assert main(["--data", str(bad), "--results-dir", str(tmp_path / "r")]) == 2
    assert "duplicate date" in capsys.readouterr().err


@pytest.mark.slow
def test_real_data_end_to_end(tmp_path):
    """The bundled S&P 500 series, two models, two horizons: the documented command on real data."""
    results = tmp_path / "res"
    assert (
        main(["--results-dir", str(results), "--models", "ridge,lightgbm", "--horizons", "1,5", "--no-progress"]) == 0
    )
    run_dir, b = _load(results)
    s = b.summary
    assert s.data.source == "arch:sp500" and s.data.n_rows == 5031 and s.data.last_date.isoformat() == "2018-12-31"
    for m in b.metrics:  # daily index returns: no model should look like a money machine
        assert 40 < m.da_test < 65
    base = {x.horizon: x for x in s.baselines}
    assert 50 < base[1].always_up_da < 58
    assert (run_dir / "backtest_series.csv").stat().st_size > 0
