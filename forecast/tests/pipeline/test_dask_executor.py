"""The Dask executor on a real 2-worker dask.distributed LocalCluster: the same results as the local joblib
executor, a task whose worker dies is retried and the run publishes complete, and a task that keeps
failing fails the run whole, with nothing published."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from distributed import Client, LocalCluster

from pipelines import executors, models, publish
from pipelines.assemble import assemble
from pipelines.config import PipelineConfig
from pipelines.features import model_frame
from pipelines.run import main, run_pipeline, walk_forward
from runcontract.run import RUN_BUNDLE_FILE, RUNS_DIRNAME, RunBundle
from tests.pipeline.dask_standins import STAND_INS, RegisterStandIns, register_stand_ins
from tests.pipeline.helpers import synthetic_prices, write_csv

SMALL = {"horizons": (1, 5), "folds": 3, "spa_reps": 200, "progress": False}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("stand-ins")
    register_stand_ins(folder)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        client.register_plugin(RegisterStandIns(folder))
        yield cluster, folder
    for cls in STAND_INS:
        models.REGISTRY.pop(cls.name, None)


@pytest.fixture(scope="module")
def prices_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_csv(synthetic_prices(900, phi=0.3, seed=4), tmp_path_factory.mktemp("dask-data") / "ar.csv")


def assert_same(local: Any, dask: Any, where: str = "") -> None:
    """Equal structures; floats (and float arrays) equal to 1e-9."""
    if isinstance(local, dict):
        assert local.keys() == dask.keys(), where
        for k in local:
            assert_same(local[k], dask[k], f"{where}.{k}")
    elif isinstance(local, list | tuple):
        assert len(local) == len(dask), where
        for i, (x, y) in enumerate(zip(local, dask)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(local, np.ndarray):
        np.testing.assert_allclose(dask, local, rtol=0, atol=1e-9, err_msg=where)
    elif isinstance(local, float) and not isinstance(dask, bool):
        assert math.isclose(local, dask, rel_tol=0, abs_tol=1e-9) or (math.isnan(local) and math.isnan(dask)), where
    else:
        assert local == dask, where


def test_a_two_worker_dask_run_equals_the_local_run(cluster, prices_csv):
    local_cfg = PipelineConfig(data=str(prices_csv), models=("ridge", "lightgbm"), jobs=1, **SMALL)
    dask_cfg = PipelineConfig(
        data=str(prices_csv),
        models=("ridge", "lightgbm"),
        executor="dask",
        scheduler=cluster[0].scheduler_address,
        **SMALL,
    )
    feats, aligned = model_frame(synthetic_prices(900, phi=0.3, seed=4))
    X, price = feats.to_numpy(float), aligned["price"].to_numpy(float)
    local, dask = walk_forward(local_cfg, X, price), walk_forward(dask_cfg, X, price)

    assert local.keys() == dask.keys() == {(m, h) for m in ("ridge", "lightgbm") for h in (1, 5)}
    for key in local:
        a, b = local[key], dask[key]
        assert_same(a.metrics, b.metrics, f"{key} metrics")
        assert_same(a.significance, b.significance, f"{key} significance")
        for field in ("test_rows", "pred_test", "strategy_returns", "positions", "importance"):
            assert_same(getattr(a, field), getattr(b, field), f"{key} {field}")
        assert_same(a.live_prediction, b.live_prediction, f"{key} live_prediction")
        assert a.folds == b.folds and a.best_iterations == b.best_iterations
    now = datetime.now(UTC)
    forecasts = [
        [f.model_dump() for f in assemble(r, cfg, aligned["price"], list(feats.columns), now).forecasts]
        for r, cfg in ((local, local_cfg), (dask, dask_cfg))
    ]
    assert_same(forecasts[0], forecasts[1], "forecasts")


def test_a_task_whose_worker_dies_is_retried_and_the_run_publishes_complete(cluster, prices_csv, tmp_path):
    scheduler, folder = cluster[0].scheduler_address, cluster[1]
    config = PipelineConfig(
        data=str(prices_csv),
        models=("ridge", "dies_once"),
        executor="dask",
        scheduler=scheduler,
        results_dir=tmp_path,
        **SMALL,
    )
    run_id, run_dir = run_pipeline(config)

    assert (folder / "dies_once.marker").exists(), "the stand-in's first fit did not run"
    assert publish.read_latest_run_id(tmp_path) == run_id
    bundle = RunBundle.model_validate_json((run_dir / RUN_BUNDLE_FILE).read_text())
    da = {(m.model_name, m.horizon): m.da_test for m in bundle.metrics}
    assert set(da) == {(m, h) for m in ("ridge", "dies_once") for h in (1, 5)}
    # The retried stand-in fits a ridge: its numbers are ridge's.
    assert all(da[("dies_once", h)] == da[("ridge", h)] for h in (1, 5))


def test_a_task_that_keeps_failing_fails_the_run_whole_and_publishes_nothing(
    cluster, prices_csv, tmp_path, monkeypatch, capsys
):
    scheduler, folder = cluster[0].scheduler_address, cluster[1]
    monkeypatch.setattr(models, "MODEL_NAMES", (*models.MODEL_NAMES, "always_fails"))
    argv = ["--data", str(prices_csv), "--results-dir", str(tmp_path), "--models", "ridge,always_fails"]
    argv += ["--horizons", "1", "--folds", "3", "--spa-reps", "200", "--no-progress"]
    argv += ["--executor", "dask", "--scheduler", scheduler]

    assert main(argv) == 1

    err = capsys.readouterr().err
    assert "error: walk-forward task always_fails at h=1" in err
    assert "RuntimeError: the always_fails stand-in refuses to fit" in err and "nothing was published" in err
    assert len(list((folder / "always_fails.attempts").iterdir())) == 1 + executors.DASK_RETRIES
    assert publish.read_latest_run_id(tmp_path) is None
    assert not (tmp_path / RUNS_DIRNAME).exists() or not any((tmp_path / RUNS_DIRNAME).iterdir())


def test_an_unreachable_scheduler_fails_the_run_with_a_clear_error(prices_csv, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(executors, "SCHEDULER_CONNECT_TIMEOUT_S", 1)
    argv = ["--data", str(prices_csv), "--results-dir", str(tmp_path), "--models", "ridge", "--horizons", "1"]
    argv += ["--folds", "3", "--no-progress", "--executor", "dask", "--scheduler", "tcp://127.0.0.1:1"]

    assert main(argv) == 1

    assert "error: cannot reach the Dask scheduler at tcp://127.0.0.1:1" in capsys.readouterr().err
    assert publish.read_latest_run_id(tmp_path) is None
