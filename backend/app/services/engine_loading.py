"""Builds the ``ModelEngine`` for ``MODEL_PATH``: the loaded model (app/ml/model_loader.py), or a mock
(or, in production, unavailable) engine when the file cannot be served. Never raises."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from app.ml.errors import ModelLoadError
from app.ml.model_file import file_sha256, read_card_for
from app.ml.model_loader import load_model
from app.ml.runtime.runtime import CompileOptions
from app.services.inference import ModelEngine
from app.services.inference_results import MOCK_SCORE

logger = logging.getLogger(__name__)


def _mock_engine(path: Path, reason: str, allow_mock: bool = True) -> ModelEngine:
    notes: list[str] = []
    try:
        sha = file_sha256(path) if path.is_file() else None
    except OSError:
        sha = None
    card = read_card_for(path, sha, notes)
    if allow_mock:
        logger.warning("model serving in MOCK mode (score fixed at %.1f): %s", MOCK_SCORE, reason)
    else:
        logger.error("no model can be served; predict and what-if answer 503: %s", reason)
    for note in notes:
        logger.warning("model %s: %s", path.name, note)
    return ModelEngine(path, None, reason=reason, mock_card=card, allow_mock=allow_mock)


def build_engine(model_path: Path, options: CompileOptions | None = None, allow_mock: bool = True) -> ModelEngine:
    """Uncached: loads the model at ``model_path`` or falls back to a mock (or unavailable) engine."""
    try:
        loaded = load_model(model_path, options)
    except ModelLoadError as exc:
        return _mock_engine(model_path, exc.reason, allow_mock)
    except Exception as exc:  # noqa: BLE001 - start-up must survive any broken model file
        return _mock_engine(model_path, f"unexpected error loading the model: {type(exc).__name__}: {exc}", allow_mock)
    logger.info(
        "model loaded: version=%s estimator=%s scoring=%s positive_class=%r (%s) features=%s",
        loaded.version,
        type(loaded.estimator).__name__,
        loaded.scorer.method,
        loaded.scorer.positive_class,
        loaded.inspected.positive_class_source,
        loaded.schema.names,
    )
    return ModelEngine(model_path, loaded)


_ENGINES: dict[tuple[Path, CompileOptions | None, bool], ModelEngine] = {}
_ENGINES_LOCK = threading.Lock()


def load_engine(model_path: Path | str, options: CompileOptions | None = None, allow_mock: bool = True) -> ModelEngine:
    """The process-wide engine for ``model_path`` (loaded once per resolved path); never raises."""
    try:
        path = Path(model_path).expanduser().resolve()
    except (OSError, RuntimeError, TypeError, ValueError) as exc:
        return _mock_engine(Path(str(model_path)), f"invalid model path: {exc}", allow_mock)
    key = (path, options, allow_mock)
    engine = _ENGINES.get(key)
    if engine is not None:
        return engine
    with _ENGINES_LOCK:
        # Double-checked: another thread may have loaded it while we waited for the lock.
        engine = _ENGINES.get(key)
        if engine is None:
            engine = build_engine(path, options, allow_mock)
            _ENGINES[key] = engine
        return engine


def clear_engine_cache() -> None:
    """Forgets loaded engines (tests, or a deliberate reload after replacing the model file)."""
    with _ENGINES_LOCK:
        _ENGINES.clear()
