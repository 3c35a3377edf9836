"""One model call, in process: the reference scikit-learn scorer against the compiled, verified scorer (the
ONNX graph, or Treelite where ONNX is not exact), for the model families of the issue's matrix and a
HistGradientBoosting with a categorical feature, on the explanation block /predict scores (one student plus
one row per feature). Also prints what compiling and verifying cost at load.

    cd backend && ../.venv/bin/python ../bench/unitrack/bench_model_call.py [--calls 300]

This is the model alone: no HTTP, auth or database (bench/unitrack/run.py measures the endpoint).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import joblib
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from app.ml.runtime.runtime import CompileOptions
from app.services.engine_loading import build_engine
from testkit.students import STUDENT, make_students


def families() -> dict[str, object]:
    out: dict[str, object] = {
        "logistic_regression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
        "random_forest_200": RandomForestClassifier(200, random_state=0, n_jobs=1),
        "hist_gradient_boosting_200": HistGradientBoostingClassifier(max_iter=200, random_state=0),
        # CREDITOS (column 2) as a category: ONNX scores these splits wrong, Treelite serves.
        "hgb_200_categorical": HistGradientBoostingClassifier(max_iter=200, categorical_features=[2], random_state=0),
    }
    try:
        from xgboost import XGBClassifier

        out["xgboost_200"] = XGBClassifier(n_estimators=200, max_depth=4, n_jobs=1, random_state=0)
    except ImportError:
        pass
    try:
        from lightgbm import LGBMClassifier

        out["lightgbm_200"] = LGBMClassifier(n_estimators=200, n_jobs=1, random_state=0, verbose=-1)
    except ImportError:
        pass
    return out


def per_call_ms(score, block, calls: int) -> float:
    score(block)
    started = time.perf_counter()
    for _ in range(calls):
        score(block)
    return 1e3 * (time.perf_counter() - started) / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    frame, passed = make_students(n_rows=3000)
    print(
        f"{'family':<28}{'path':<10}{'load->served s':>15}{'max|diff|':>11}{'rows':>7}"
        f"{'sklearn ms':>12}{'compiled ms':>13}{'speed-up':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, model in families().items():
            path = Path(tmp) / f"{name}.pkl"
            joblib.dump(model.fit(frame, passed), path)
            started = time.perf_counter()
            engine = build_engine(path, CompileOptions())
            serving = engine.runtime.compile_now()
            load_s = time.perf_counter() - started
            block = engine._explanation_block(dict(STUDENT))
            reference = per_call_ms(engine.runtime.reference.scores, block, args.calls)
            compiled = (
                per_call_ms(engine.runtime._compiled.scores, block, args.calls) if engine.runtime.compiled else None
            )
            v = serving.verification
            print(
                f"{name:<28}{serving.kind:<10}{load_s:>15.1f}{(v.max_abs_diff if v else float('nan')):>11.1e}"
                f"{(v.rows if v else 0):>7}{reference:>12.3f}"
                f"{(f'{compiled:.3f}' if compiled else '-'):>13}"
                f"{(f'{reference / compiled:.0f}x' if compiled else '-'):>10}"
            )
            engine.runtime.close()


if __name__ == "__main__":
    main()
