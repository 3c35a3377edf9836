"""The CLI only parses argv into the typed PipelineConfig that run_pipeline takes; tests and the bench
build the same config themselves."""

from __future__ import annotations

import pytest

from pipelines import publish
from pipelines.config import PipelineConfig
from pipelines.run import parse_args, run_pipeline
from runcontract.run import RUN_BUNDLE_FILE, RunBundle


def test_the_cli_parses_argv_into_the_typed_config(tmp_path):
    argv = ["--models", "ridge,huber,ridge", "--horizons", "5,1", "--folds", "3", "--holdout", "0.3"]
    argv += ["--cost-bps", "2.5", "--spa-reps", "200", "--seed", "4", "--jobs", "1", "--keep", "2"]
    argv += ["--no-progress", "--results-dir", str(tmp_path), "--data", "sp500", "--price-column", "Close"]
    assert parse_args(argv) == PipelineConfig(
        data="sp500",
        price_column="Close",
        models=("ridge", "huber"),
        horizons=(1, 5),
        results_dir=tmp_path,
        jobs=1,
        seed=4,
        keep=2,
        folds=3,
        progress=False,
        cost_bps=2.5,
        holdout_fraction=0.3,
        spa_reps=200,
    )


@pytest.mark.parametrize(
    ("argv", "scheduler", "workers"),
    [
        (["--executor", "dask", "--scheduler", "tcp://scheduler.internal:8786"], "tcp://scheduler.internal:8786", None),
        (["--executor", "dask", "--workers", "3"], None, 3),
        (["--executor", "dask"], None, None),
    ],
)
def test_the_cli_picks_the_dask_executor_with_a_scheduler_or_a_local_cluster(argv, scheduler, workers):
    config = parse_args(argv)
    assert (config.executor, config.scheduler, config.workers) == ("dask", scheduler, workers)


def test_without_arguments_the_cli_gives_the_configs_defaults(monkeypatch, tmp_path):
    monkeypatch.setenv("RESULTS_DIR", str(tmp_path))
    assert parse_args([]) == PipelineConfig()


@pytest.mark.parametrize(
    "argv",
    [
        ["--models", "ridge,arima"],
        ["--horizons", "0,5"],
        ["--holdout", "0.7"],
        ["--spa-reps", "10"],
        ["--executor", "ray"],
        ["--scheduler", "tcp://127.0.0.1:8786"],
        ["--workers", "2"],
        ["--executor", "dask", "--workers", "0"],
        ["--executor", "dask", "--workers", "2", "--scheduler", "tcp://127.0.0.1:8786"],
    ],
)
def test_a_setting_the_config_refuses_is_a_usage_error(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse_args(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_run_pipeline_publishes_a_run_from_a_config_built_in_code(rw_csv, tmp_path):
    config = PipelineConfig(
        data=str(rw_csv), models=("ridge",), horizons=(1, 3), folds=3, jobs=1, progress=False, results_dir=tmp_path
    )
    run_id, run_dir = run_pipeline(config)
    assert publish.read_latest_run_id(tmp_path) == run_id and run_dir.is_dir()
    bundle = RunBundle.model_validate_json((run_dir / RUN_BUNDLE_FILE).read_text())
    assert bundle.summary.horizons == [1, 3] and [m.model_name for m in bundle.models] == ["ridge"]
