"""Atomic publication: a run that dies before LATEST is replaced leaves the previous run published."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipelines import outputs, publish
from pipelines.run import main
from runcontract.run import RUN_BUNDLE_FILE, RUNS_DIRNAME

FORECAST_DIR = Path(__file__).resolve().parents[2]
SMALL = ["--models", "ridge", "--horizons", "1,3", "--jobs", "1", "--no-progress", "--folds", "3", "--keep", "2"]


def _run(csv: Path, results: Path, *extra: str) -> str:
    assert main(["--data", str(csv), "--results-dir", str(results), *SMALL, *extra]) == 0
    return publish.read_latest_run_id(results)


def test_publish_and_prune_keep_latest(tmp_path):
    results = tmp_path / "res"
    ids = []
    for i in range(4):
        staged = publish.staging_dir(results, f"2020010{i}T000000Z-aaaaaa")
        (staged / RUN_BUNDLE_FILE).write_text("{}")
        publish.publish_run(results, staged, staged.name.removeprefix(".tmp-"), keep=2)
        ids.append(staged.name.removeprefix(".tmp-"))
        assert publish.read_latest_run_id(results) == ids[-1]
    assert publish.list_runs(results) == ids[-2:]
    assert not list((results / RUNS_DIRNAME).glob(".tmp-*"))
    # Even with keep smaller than the number of newer runs, the published one survives.
    (results / "LATEST").write_text(ids[-2])
    publish.prune_runs(results, keep=1)
    assert ids[-2] in publish.list_runs(results)


def test_publish_refuses_incomplete_dir(tmp_path):
    staged = publish.staging_dir(tmp_path, "x")
    with pytest.raises(RuntimeError):
        publish.publish_run(tmp_path, staged, "x")
    assert publish.read_latest_run_id(tmp_path) is None


def test_exception_midway_keeps_previous_run(rw_csv, tmp_path, monkeypatch):
    results = tmp_path / "res"
    first = _run(rw_csv, results)

    def boom(*args, **kwargs):
        raise RuntimeError("injected crash while writing charts")

    monkeypatch.setattr(outputs, "write_charts", boom)
    with pytest.raises(RuntimeError, match="injected"):
        main(["--data", str(rw_csv), "--results-dir", str(results), *SMALL])
    assert publish.read_latest_run_id(results) == first
    assert publish.list_runs(results) == [first]
    assert (results / RUNS_DIRNAME / first / RUN_BUNDLE_FILE).is_file()
    assert not list((results / RUNS_DIRNAME).glob(".tmp-*"))


@pytest.mark.parametrize("where", ["outputs.write_charts", "publish.write_latest"])
def test_sigkill_midway_keeps_previous_run(rw_csv, tmp_path, where):
    """SIGKILL gives no chance to clean up: the process dies while charts are written, or after the run
    directory was renamed into place but before LATEST moved."""
    results = tmp_path / "res"
    first = _run(rw_csv, results)
    module, func = where.split(".")
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pipelines import {module} as target
        def die(*a, **k):
            os.kill(os.getpid(), signal.SIGKILL)
        target.{func} = die
        from pipelines.run import main
        main(sys.argv[1:])
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script, "--data", str(rw_csv), "--results-dir", str(results), *SMALL],
        cwd=FORECAST_DIR,
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(FORECAST_DIR)},
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert publish.read_latest_run_id(results) == first
    assert (results / RUNS_DIRNAME / first / RUN_BUNDLE_FILE).is_file()
    # The next successful run publishes normally and still keeps the old published run until pruned.
    second = _run(rw_csv, results)
    assert second != first and publish.read_latest_run_id(results) == second
