"""Fixtures for the model-serving tests.

They need only ``backend/`` on ``sys.path`` (added here so the suite also runs without the
project's pytest.ini) and build every model they serve inside the test, "sight unseen".
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

BACKEND_DIR = Path(__file__).resolve().parents[2]
REPO_ROOT = BACKEND_DIR.parent
if str(BACKEND_DIR) not in sys.path:
    sys.path.insert(0, str(BACKEND_DIR))

from app.services.inference import ModelEngine, clear_engine_cache, load_engine  # noqa: E402

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


@pytest.fixture(scope="session")
def students() -> tuple[pd.DataFrame, np.ndarray]:
    return make_students()


@pytest.fixture(autouse=True)
def _fresh_engine_cache():
    clear_engine_cache()
    yield
    clear_engine_cache()


def write_card(model_path: Path, card: dict[str, Any]) -> Path:
    card_path = model_path.parent / "model.json"
    card_path.write_text(json.dumps(card), encoding="utf-8")
    return card_path


@pytest.fixture
def serve(tmp_path: Path) -> Callable[..., ModelEngine]:
    """``serve(estimator, card=None)``: pickle it like a team would, then load it like the API."""

    def _serve(estimator: Any, card: dict[str, Any] | None = None, name: str = "model.pkl") -> ModelEngine:
        model_path = tmp_path / name
        joblib.dump(estimator, model_path)
        if card is not None:
            write_card(model_path, card)
        return load_engine(model_path)

    return _serve
