"""Trains the UniTrack *demo* model on SYNTHETIC data and writes models/model.pkl + models/model.json.

The data is invented by ``generate_students`` below; no real student is in it. The model only lets
the API run end to end before the team's real ``model.pkl`` is dropped in (see ../README.md).

Usage (from the repository root or from ml_models/):

    python ml_models/src/train.py [--out-dir DIR] [--seed 42] [--n-rows 20000]

The generator, one row per (student, course) enrolment:

==============  ========================================================  ============
column          meaning and distribution                                   valid range
==============  ========================================================  ============
PTJE_INGRESO    admission exam score, Normal(125, 20) clipped to 80-180    0-200
EDAD            age in years, 16 + Gamma(2, 2.2) clipped to 16-40          14-80
CREDITOS        course credits, integer 1-6 (3 and 4 most common)         0-10
AVG_NG          average grade so far on the Peruvian 0-20 scale,          0-20
                11 + 0.03 * (PTJE_INGRESO - 125) + Normal(0, 2.5)
PRCTJE-NPC-S    percent (0-100) of courses taken and not passed,          0-100
                25 - 4 * (AVG_NG - 11) + Normal(0, 10), clipped
N_MATRICULA     attempt number at this course, 1 (75%), 2 (20%), 3 (5%)  1-10
horas_estudio   self-reported weekly study hours, Gamma(2, 4) clipped     0-100
==============  ========================================================  ============

Pass probability (1 = passed) is a logistic of

    z = 0.4 + 0.55 * (AVG_NG - 11) + 0.015 * (PTJE_INGRESO - 125) - 0.03 * (PRCTJE-NPC-S - 25)
        - 0.25 * (CREDITOS - 3.5) - 0.04 * (EDAD - 20) - 0.35 * (N_MATRICULA - 1)
        + 0.08 * (horas_estudio - 8) + Normal(0, 0.5)

and the label is a Bernoulli draw of that probability, so even a perfect model errs sometimes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

DEFAULT_OUT_DIR = Path(__file__).resolve().parents[1] / "models"
MODEL_VERSION = "demo-synthetic-v1"
TARGET = "APROBO"

# Valid domain of each feature (what the API accepts), and what it means; see the table above.
FEATURE_DOMAIN: dict[str, tuple[float, float, str]] = {
    "PTJE_INGRESO": (0.0, 200.0, "Admission exam score"),
    "EDAD": (14.0, 80.0, "Age in years"),
    "CREDITOS": (0.0, 10.0, "Credits of the course"),
    "AVG_NG": (0.0, 20.0, "Average grade so far, Peruvian 0-20 scale"),
    "PRCTJE-NPC-S": (0.0, 100.0, "Percent (0-100) of courses taken and not passed"),
    "N_MATRICULA": (1.0, 10.0, "Attempt number at this course (1 = first time)"),
    "horas_estudio": (0.0, 100.0, "Self-reported weekly study hours"),
}


def generate_students(n_rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """The documented synthetic generator (see the module docstring); returns features + APROBO."""
    ptje = np.clip(rng.normal(125.0, 20.0, n_rows), 80.0, 180.0)
    edad = np.clip(16.0 + rng.gamma(2.0, 2.2, n_rows), 16.0, 40.0).round()
    creditos = rng.choice([1, 2, 3, 4, 5, 6], size=n_rows, p=[0.05, 0.15, 0.35, 0.3, 0.1, 0.05]).astype(float)
    avg_ng = np.clip(11.0 + 0.03 * (ptje - 125.0) + rng.normal(0.0, 2.5, n_rows), 0.0, 20.0).round(2)
    npc = np.clip(25.0 - 4.0 * (avg_ng - 11.0) + rng.normal(0.0, 10.0, n_rows), 0.0, 100.0).round(1)
    matricula = rng.choice([1, 2, 3], size=n_rows, p=[0.75, 0.2, 0.05]).astype(float)
    horas = np.clip(rng.gamma(2.0, 4.0, n_rows), 0.0, 60.0).round(1)

    logit = (
        0.4
        + 0.55 * (avg_ng - 11.0)
        + 0.015 * (ptje - 125.0)
        - 0.03 * (npc - 25.0)
        - 0.25 * (creditos - 3.5)
        - 0.04 * (edad - 20.0)
        - 0.35 * (matricula - 1.0)
        + 0.08 * (horas - 8.0)
        + rng.normal(0.0, 0.5, n_rows)
    )
    passed = rng.random(n_rows) < 1.0 / (1.0 + np.exp(-logit))
    return pd.DataFrame(
        {
            "PTJE_INGRESO": ptje.round(1),
            "EDAD": edad,
            "CREDITOS": creditos,
            "AVG_NG": avg_ng,
            "PRCTJE-NPC-S": npc,
            "N_MATRICULA": matricula,
            "horas_estudio": horas,
            TARGET: passed.astype(int),
        }
    )


def train(data: pd.DataFrame, seed: int) -> tuple[Pipeline, dict[str, float]]:
    features = data.drop(columns=[TARGET])
    x_train, x_test, y_train, y_test = train_test_split(
        features, data[TARGET], test_size=0.2, random_state=seed, stratify=data[TARGET]
    )
    model = Pipeline([("scaler", StandardScaler()), ("classifier", LogisticRegression(max_iter=1000))])
    model.fit(x_train, y_train)  # fit on a DataFrame so feature_names_in_ records the column order
    probabilities = model.predict_proba(x_test)[:, list(model.classes_).index(1)]
    metrics = {
        "accuracy": round(float(accuracy_score(y_test, probabilities >= 0.5)), 4),
        "roc_auc": round(float(roc_auc_score(y_test, probabilities)), 4),
        "n_train": int(len(x_train)),
        "n_test": int(len(x_test)),
        "pass_rate": round(float(data[TARGET].mean()), 4),
    }
    return model, metrics


def build_card(model: Pipeline, data: pd.DataFrame, metrics: dict, sha256: str, seed: int) -> dict:
    medians = data.drop(columns=[TARGET]).median()
    return {
        "version": MODEL_VERSION,
        "model_sha256": sha256,
        "synthetic": True,
        "description": (
            "DEMO model trained on SYNTHETIC data generated by ml_models/src/train.py; it says nothing "
            "about real students. The team's real model.pkl replaces it (see ml_models/README.md)."
        ),
        "positive_class": 1,
        "classes": [int(label) for label in model.classes_],
        "label_names": {"positive": "Aprobar", "negative": "Desaprobar"},
        "features": [
            {
                "name": name,
                "default": float(medians[name]),
                "min": low,
                "max": high,
                "description": description,
            }
            for name, (low, high, description) in FEATURE_DOMAIN.items()
        ],
        "metrics_held_out": metrics,
        "training": {"seed": seed, "n_rows": int(len(data)), "scikit_learn": sklearn.__version__},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="default: ml_models/models")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--n-rows", type=int, default=20_000)
    args = parser.parse_args(argv)
    if args.n_rows < 100:
        parser.error("--n-rows must be at least 100")

    data = generate_students(args.n_rows, np.random.default_rng(args.seed))
    model, metrics = train(data, args.seed)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    model_path = args.out_dir / "model.pkl"
    joblib.dump(model, model_path)
    sha256 = hashlib.sha256(model_path.read_bytes()).hexdigest()
    card = build_card(model, data, metrics, sha256, args.seed)
    (args.out_dir / "model.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")

    print(f"SYNTHETIC demo model {MODEL_VERSION} written to {model_path} (+ model.json)")
    print(
        f"held-out accuracy={metrics['accuracy']:.3f} roc_auc={metrics['roc_auc']:.3f} "
        f"(n_test={metrics['n_test']}, pass rate={metrics['pass_rate']:.2f})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
