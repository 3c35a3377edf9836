"""Every common model family, trained here, pickled, loaded through the runtime: the serving path is
the one expected (onnx for most, treelite for categorical HistGradientBoosting, the reference scorer
for the rest) and every score equals the estimator's own predict_proba within 1e-5."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    StackingClassifier,
    VotingClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, OneHotEncoder, StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

from app.ml.runtime.verify import TOLERANCE
from testkit.services import require_module

from .conftest import FEATURES


def _lr_column_transformer():
    columns = ColumnTransformer(
        [
            (
                "scaled",
                make_pipeline(SimpleImputer(), StandardScaler()),
                ["PTJE_INGRESO", "EDAD", "AVG_NG", "PRCTJE-NPC-S"],
            ),
            ("credits", MinMaxScaler(), ["CREDITOS"]),
        ]
    )
    return Pipeline([("columns", columns), ("model", LogisticRegression(max_iter=500))])


def _one_hot_on_a_number():
    """onnxruntime's OneHotEncoder reads a float input as an integer level (2.1 -> level 2) where
    scikit-learn sees an unknown level: the compiled graph is wrong for such inputs."""
    columns = ColumnTransformer(
        [
            ("scaled", StandardScaler(), ["PTJE_INGRESO", "EDAD", "AVG_NG", "PRCTJE-NPC-S"]),
            ("credits", OneHotEncoder(handle_unknown="ignore"), ["CREDITOS"]),
        ]
    )
    return Pipeline([("columns", columns), ("model", LogisticRegression(max_iter=500))])


def _xgboost():
    xgboost = require_module("xgboost")
    return xgboost.XGBClassifier(n_estimators=60, max_depth=3, n_jobs=1, random_state=0)


def _lightgbm():
    lightgbm = require_module("lightgbm")
    return lightgbm.LGBMClassifier(n_estimators=60, num_leaves=8, n_jobs=1, random_state=0, verbose=-1)


def _catboost():
    catboost = require_module("catboost")
    return catboost.CatBoostClassifier(
        iterations=80, depth=4, verbose=0, thread_count=1, random_seed=0, allow_writing_files=False
    )


COMPILED = {
    "logistic_regression": lambda: make_pipeline(StandardScaler(), LogisticRegression()),
    "lr_column_transformer": _lr_column_transformer,
    "random_forest": lambda: RandomForestClassifier(n_estimators=40, random_state=0),
    "extra_trees": lambda: ExtraTreesClassifier(n_estimators=40, random_state=0),
    "gradient_boosting": lambda: GradientBoostingClassifier(n_estimators=50, random_state=0),
    "decision_tree": lambda: DecisionTreeClassifier(max_depth=6, random_state=0),
    "svc_probability": lambda: make_pipeline(StandardScaler(), SVC(probability=True, random_state=0)),
    "mlp": lambda: make_pipeline(StandardScaler(), MLPClassifier((16,), max_iter=400, random_state=0)),
    "gaussian_nb": GaussianNB,
    "calibrated_linear_svc": lambda: make_pipeline(StandardScaler(), CalibratedClassifierCV(LinearSVC())),
    "xgboost": _xgboost,
    "lightgbm": _lightgbm,
    "catboost": _catboost,  # CatBoost's own ONNX export
    "soft_voting": lambda: VotingClassifier(
        [
            ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
            ("rf", RandomForestClassifier(n_estimators=20, random_state=0)),
        ],
        voting="soft",
    ),
    "stacking": lambda: StackingClassifier(
        [
            ("lr", make_pipeline(StandardScaler(), LogisticRegression())),
            ("tree", DecisionTreeClassifier(max_depth=4, random_state=0)),
        ],
        final_estimator=LogisticRegression(),
    ),
}

REFERENCE = {
    "knn": lambda: make_pipeline(StandardScaler(), KNeighborsClassifier(15)),
    "one_hot_on_a_number": _one_hot_on_a_number,
    "function_transformer": lambda: make_pipeline(FunctionTransformer(np.log1p), LogisticRegression(max_iter=500)),
}


def fresh_rows(n: int = 500, seed: int = 99) -> np.ndarray:
    """Rows the model never saw, a third of them integers and a third rounded to one decimal."""
    rng = np.random.default_rng(seed)
    rows = np.column_stack(
        [
            rng.uniform(80, 180, n),
            rng.uniform(16, 40, n),
            rng.integers(1, 7, n),
            rng.uniform(0, 20, n),
            rng.uniform(0, 100, n),
        ]
    ).astype(float)
    rows[: n // 3] = np.round(rows[: n // 3])
    rows[n // 3 : 2 * n // 3] = np.round(rows[n // 3 : 2 * n // 3], 1)
    return rows


def _served(serve, students, make):
    frame, passed = students
    model = make().fit(frame, passed)
    engine = serve(model)
    assert not engine.is_mock, engine.status()["reason"]
    path = engine.runtime.compile_now()
    return model, engine, path


def _assert_exact(model, engine):
    rows = fresh_rows()
    expected = model.predict_proba(pd.DataFrame(rows, columns=FEATURES))[:, 1]
    served = engine.runtime.scores(rows)
    assert np.max(np.abs(served - expected)) <= TOLERANCE


@pytest.mark.parametrize("family", list(COMPILED))
def test_common_families_are_compiled_and_exact(serve, students, family):
    model, engine, path = _served(serve, students, COMPILED[family])
    assert path.kind == "onnx", path.reason
    assert path.verification.rows >= 2000 and path.verification.max_abs_diff <= TOLERANCE
    assert engine.status()["serving"]["path"] == "onnx"
    _assert_exact(model, engine)


@pytest.mark.parametrize("family", list(REFERENCE))
def test_families_onnx_cannot_serve_well_stay_on_the_reference_scorer(serve, students, family):
    model, engine, path = _served(serve, students, REFERENCE[family])
    assert path.kind == "sklearn" and path.reason.startswith("not compiled"), path.reason
    _assert_exact(model, engine)


def _categorical_hist_gradient_boosting(students):
    frame, passed = students
    frame = frame.assign(CREDITOS=np.random.default_rng(0).integers(0, 12, len(frame)).astype(float))
    passed = np.where(frame["CREDITOS"].isin([1, 4, 7, 9]), 1, passed)  # the category matters
    return HistGradientBoostingClassifier(max_iter=60, categorical_features=[2], random_state=0).fit(frame, passed)


def _categorical_rows() -> np.ndarray:
    rows = fresh_rows()
    rows[:, 2] = np.random.default_rng(1).integers(0, 12, len(rows))
    return rows


def test_categorical_hist_gradient_boosting_is_refused_by_onnx_and_served_by_treelite(serve, students):
    """ONNX scores HistGradientBoosting's categorical splits wrong (|diff| up to 0.93 in a prototype):
    verification must refuse the graph; Treelite, fed float64, is the verified second candidate."""
    model = _categorical_hist_gradient_boosting(students)
    engine = serve(model)
    path = engine.runtime.compile_now()
    assert path.kind == "treelite", path.reason
    assert path.details["onnx_refused"].startswith("float: verification failed"), path.details
    assert path.verification.rows >= 2000 and path.verification.max_abs_diff <= TOLERANCE
    assert engine.status()["serving"]["path"] == "treelite"
    rows = _categorical_rows()
    expected = model.predict_proba(pd.DataFrame(rows, columns=FEATURES))[:, 1]
    assert np.max(np.abs(engine.runtime.scores(rows) - expected)) <= TOLERANCE


def test_categorical_hist_gradient_boosting_stays_on_the_reference_scorer_when_treelite_is_wrong(
    serve, students, monkeypatch
):
    """Treelite's candidate goes through the same verification: a wrong one is refused and the
    estimator serves, exactly."""
    from app.ml.runtime import treelite_scorer

    exact = treelite_scorer.TreeliteScorer.scores
    monkeypatch.setattr(
        treelite_scorer.TreeliteScorer, "scores", lambda self, rows: np.clip(exact(self, rows) + 0.01, 0.0, 1.0)
    )
    model = _categorical_hist_gradient_boosting(students)
    engine = serve(model)
    path = engine.runtime.compile_now()
    assert path.kind == "sklearn", path.reason
    assert path.reason.startswith("not compiled: onnx float: verification failed"), path.reason
    assert "treelite: verification failed" in path.reason
    rows = _categorical_rows()
    expected = model.predict_proba(pd.DataFrame(rows, columns=FEATURES))[:, 1]
    assert np.max(np.abs(engine.runtime.scores(rows) - expected)) <= TOLERANCE


def test_hist_gradient_boosting_is_served_exactly_whichever_path_wins(serve, students):
    """ONNX is not exact for HistGradientBoosting: verification must catch it, or it must be exact."""
    model, engine, path = _served(serve, students, lambda: HistGradientBoostingClassifier(max_iter=60, random_state=0))
    assert path.kind in ("onnx", "treelite", "sklearn")
    _assert_exact(model, engine)


class _Tampered:
    """A compiled scorer that is exact except where ``wrong`` says, by ``by``."""

    def __init__(self, exact, wrong, by: float):
        self._exact, self._wrong, self._by = exact, wrong, by

    def scores(self, rows: np.ndarray) -> np.ndarray:
        scores = self._exact(rows).copy()
        scores[self._wrong(rows)] += self._by
        return np.clip(scores, 0.0, 1.0)


def test_a_deliberately_wrong_compiled_graph_is_rejected_at_verification(serve, students):
    frame, passed = students
    engine = serve(RandomForestClassifier(n_estimators=30, random_state=0).fit(frame, passed))
    runtime = engine.runtime
    assert runtime.compile_now().kind == "onnx"
    good = runtime._compiled
    # Wrong by 2e-5, and only for rows whose credit count sits exactly on a float32 tree threshold:
    # the verification rows put values there on purpose.
    thresholds = {
        float(np.float32(t))
        for tree in engine._loaded.estimator.estimators_
        for f, t in zip(tree.tree_.feature, tree.tree_.threshold, strict=True)
        if f == 2
    }
    on_a_split = lambda rows: np.isin(rows[:, 2], list(thresholds))  # noqa: E731
    path = runtime.install(_Tampered(good.scores, on_a_split, 2e-5))
    assert path.kind == "sklearn" and "verification failed" in path.reason and path.verification.label_flips == 0
    assert path.verification.max_abs_diff == pytest.approx(2e-5, abs=1e-6)
    flips = runtime.install(_Tampered(good.scores, lambda rows: rows[:, 3] > 15, -0.6))
    assert flips.kind == "sklearn" and flips.verification.label_flips > 0


def test_the_shadow_check_switches_back_when_the_compiled_scorer_starts_to_disagree(serve, students):
    from app.ml.runtime import runtime as runtime_module

    frame, passed = students
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, passed)
    engine = serve(model)
    runtime = engine.runtime
    assert runtime.compile_now().kind == "onnx"
    exact, calls = runtime._compiled.scores, {"n": 0}

    def drifting(rows):
        calls["n"] += 1
        return exact(rows) + (0.01 if calls["n"] > 50 else 0.0)  # fine at first, then wrong

    runtime._compiled.scores = drifting
    block = fresh_rows(6)
    for _ in range(runtime_module.SHADOW_FIRST):
        runtime.scores(block)
        if not runtime.compiled:
            break
    runtime.reference.submit(block).result(timeout=30)  # the reference thread has caught up
    assert not runtime.compiled and runtime.path.kind == "sklearn"
    assert runtime.path.reason.startswith("shadow check") and runtime.path.shadow_checked >= 50
    expected = model.predict_proba(pd.DataFrame(block, columns=FEATURES))[:, 1]
    assert np.max(np.abs(runtime.scores(block) - expected)) <= TOLERANCE  # the reference serves again


def test_a_label_flip_is_counted_the_way_the_label_is_served():
    from app.ml.runtime.verify import compare

    # A forest's exact 0.5 that a float32 sum gives as 0.49999997 is served as 0.5, "Aprobar", both ways.
    assert compare(np.array([0.5, 0.2]), np.array([0.49999997, 0.2])).label_flips == 0
    # Rounded to six decimals these straddle 0.5: a real change of the served label.
    result = compare(np.array([0.4999994]), np.array([0.5000006]))
    assert result.label_flips == 1 and not result.passed
