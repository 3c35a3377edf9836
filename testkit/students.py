"""Synthetic UniTrack students: the backend's API and model-engine tests and the UniTrack benchmarks (bench/unitrack)
train and query models on them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FEATURES = ["PTJE_INGRESO", "EDAD", "CREDITOS", "AVG_NG", "PRCTJE-NPC-S"]
# A typical student; every value inside the synthetic ranges below.
STUDENT = {"PTJE_INGRESO": 130.0, "EDAD": 20.0, "CREDITOS": 4.0, "AVG_NG": 12.0, "PRCTJE-NPC-S": 20.0}


def make_students(n_rows: int = 800, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Passing depends strongly and positively on AVG_NG, negatively on PRCTJE-NPC-S."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "PTJE_INGRESO": rng.uniform(80, 180, n_rows),
            "EDAD": rng.uniform(16, 40, n_rows),
            "CREDITOS": rng.integers(1, 7, n_rows).astype(float),
            "AVG_NG": rng.uniform(0, 20, n_rows),
            "PRCTJE-NPC-S": rng.uniform(0, 100, n_rows),
        }
    )
    logit = 0.8 * (frame["AVG_NG"] - 11) - 0.05 * (frame["PRCTJE-NPC-S"] - 40) + rng.normal(0, 0.3, n_rows)
    return frame, (logit > 0).to_numpy().astype(int)


def save_student_model(path: Path, n_rows: int = 600, seed: int = 3) -> Path:
    """A real scikit-learn model (scaler + logistic regression) fitted on the synthetic students,
    saved with joblib at ``path``, the way UniTrack loads its model.pkl."""
    import joblib
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    frame, target = make_students(n_rows=n_rows, seed=seed)
    pipeline = Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=500))])
    pipeline.fit(frame, target)
    joblib.dump(pipeline, path)
    return path
