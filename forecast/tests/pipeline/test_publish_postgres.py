"""--publish: the folder store by default, or the API's PostgreSQL run store (a URL, or RUN_STORE=postgres
with DATABASE_URL, the settings the API reads)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, select

from pipelines import publish
from pipelines.config import PipelineConfig
from pipelines.run import main, parse_args
from runcontract.run import RUNS_DIRNAME, RunBundle
from runcontract.store import run_files, run_latest, runs
from tests.conftest import migrated_postgres_database

SMALL = ["--models", "ridge", "--horizons", "1,3", "--jobs", "1", "--no-progress", "--folds", "3"]


def test_publish_defaults_to_the_folder_and_follows_the_apis_run_store_setting(monkeypatch):
    monkeypatch.delenv("RUN_STORE", raising=False)
    monkeypatch.delenv("RUN_STORE_KEEP", raising=False)
    assert parse_args([]).publish == "dir" and parse_args([]).keep == 5
    monkeypatch.setenv("RUN_STORE", "postgres")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:pw@db.example/forecast")
    monkeypatch.setenv("RUN_STORE_KEEP", "3")
    assert parse_args([]) == PipelineConfig(publish="postgresql://u:pw@db.example/forecast", keep=3)
    assert parse_args(["--publish", "dir", "--keep", "7"]).publish == "dir"


def test_a_publish_target_that_is_neither_is_a_usage_error_that_echoes_no_credentials(monkeypatch, capsys):
    monkeypatch.delenv("RUN_STORE", raising=False)
    with pytest.raises(SystemExit) as exit_info:
        parse_args(["--publish", "mysql://user:hunter2@db/x"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "--publish" in err and "hunter2" not in err


@pytest.fixture
def store_url() -> Iterator[str]:
    with migrated_postgres_database("forecast_publish") as url:
        yield url.render_as_string(hide_password=False)


@pytest.mark.postgres
def test_the_pipeline_publishes_a_whole_run_into_postgres(store_url, rw_csv, tmp_path, monkeypatch):
    monkeypatch.delenv("RUN_STORE", raising=False)
    results = tmp_path / "res"
    argv = ["--data", str(rw_csv), "--results-dir", str(results), "--publish", store_url, *SMALL]
    assert main(argv) == 0
    assert main([*argv, "--keep", "1"]) == 0
    engine = create_engine(store_url)
    with engine.connect() as conn:
        (run_id, document), *others = conn.execute(select(runs.c.run_id, runs.c.bundle)).all()
        latest = conn.execute(select(run_latest.c.run_id)).scalar()
        files = {r.path: r.media_type for r in conn.execute(select(run_files.c.path, run_files.c.media_type))}
    engine.dispose()
    assert others == [] and latest == run_id  # --keep 1 pruned the first run
    bundle = RunBundle.model_validate(document)
    assert bundle.summary.run_id == run_id and "publish" not in bundle.summary.parameters  # no URL in the run
    assert {img.file for img in bundle.images} <= set(files)
    assert files["metrics.csv"] == "text/csv" and "summary.json" in files
    assert not list((results / RUNS_DIRNAME).glob("*"))  # nothing staged or published on disk
    assert publish.read_latest_run_id(results) is None
