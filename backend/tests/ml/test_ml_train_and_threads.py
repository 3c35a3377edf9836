"""The demo model from train.py serves end to end; engines are singletons and thread-safe."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from sklearn.ensemble import GradientBoostingClassifier

from app.services.engine_loading import load_engine

from .conftest import REPO_ROOT, STUDENT

TRAIN_SCRIPT = REPO_ROOT / "ml_models" / "src" / "train.py"


def _train_module():
    spec = importlib.util.spec_from_file_location("unitrack_train", TRAIN_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("demo")
    assert _train_module().main(["--out-dir", str(out_dir), "--n-rows", "3000", "--seed", "5"]) == 0
    return out_dir


def test_train_output_loads_and_predicts(demo_dir):
    card = json.loads((demo_dir / "model.json").read_text())
    assert card["synthetic"] is True and "SYNTHETIC" in card["description"]
    engine = load_engine(demo_dir / "model.pkl")
    assert not engine.is_mock and engine.version == "demo-synthetic-v1"
    assert engine.runtime.compile_now().kind == "onnx"  # the demo model compiles and verifies
    # The spec's example body: the card's defaults fill in the other features.
    result = engine.predict({"PTJE_INGRESO": 133.0, "EDAD": 21, "CREDITOS": 3})
    assert result.label == ("Aprobar" if result.score >= 0.5 else "Desaprobar")
    assert set(result.features) == {feature["name"] for feature in card["features"]}
    assert engine.whatif({"AVG_NG": 10}, {"AVG_NG": 4}).prediction.score > engine.predict({"AVG_NG": 10}).score
    assert engine.whatif({"AVG_NG": 10}, {"horas_estudio": 5}).applied_deltas == {"horas_estudio": 5.0}


def test_train_is_deterministic(demo_dir, tmp_path):
    _train_module().main(["--out-dir", str(tmp_path), "--n-rows", "3000", "--seed", "5"])
    assert (tmp_path / "model.pkl").read_bytes() == (demo_dir / "model.pkl").read_bytes()


def test_train_runs_as_a_script_from_ml_models(tmp_path):
    completed = subprocess.run(
        [sys.executable, "src/train.py", "--out-dir", str(tmp_path), "--n-rows", "500"],
        cwd=REPO_ROOT / "ml_models",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    assert "accuracy" in completed.stdout and (tmp_path / "model.pkl").is_file()


def test_load_engine_is_a_singleton_per_path(demo_dir):
    with ThreadPoolExecutor(max_workers=8) as pool:
        engines = list(pool.map(lambda _: load_engine(demo_dir / "model.pkl"), range(32)))
    assert all(engine is engines[0] for engine in engines)
    assert load_engine(demo_dir / "." / "model.pkl") is engines[0]


@pytest.mark.parametrize("use_sklearn_path", [False, True], ids=["compiled_path", "sklearn_path"])
def test_concurrent_predictions_are_identical(demo_dir, students, serve, use_sklearn_path):
    if use_sklearn_path:
        frame, passed = students
        engine = serve(GradientBoostingClassifier(n_estimators=20, random_state=0).fit(frame, passed))
        inputs = [{**STUDENT, "AVG_NG": 5.0 + i % 10} for i in range(10)]
    else:
        engine = load_engine(demo_dir / "model.pkl")
        assert engine.runtime.compile_now().kind == "onnx"
        inputs = [{"AVG_NG": 5.0 + i % 10, "EDAD": 18 + i} for i in range(10)]
    expected = [engine.predict(features) for features in inputs]
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(lambda i: (i % 10, engine.predict(inputs[i % 10])), range(400)))
    assert all(result == expected[index] for index, result in results)
