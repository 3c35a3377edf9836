"""Fixtures for the model-serving tests.

They need only the installed ``app`` and ``students`` (backend/tests, on pytest.ini's pythonpath),
and build every model they serve inside the test, "sight unseen".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import pytest

from app.services.engine_loading import clear_engine_cache, load_engine
from app.services.inference import ModelEngine

from students import FEATURES, STUDENT, make_students  # noqa: F401 - re-exported to tests/ml

BACKEND_DIR = Path(__file__).resolve().parents[2]
REPO_ROOT = BACKEND_DIR.parent


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
