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
for path in (BACKEND_DIR, BACKEND_DIR / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from app.services.inference import ModelEngine, clear_engine_cache, load_engine  # noqa: E402

from students import FEATURES, STUDENT, make_students  # noqa: E402,F401 - re-exported to tests/ml


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
