"""Loading, step 1 (read): the pickle at ``MODEL_PATH``, its sha256 and the model card beside it.

joblib/pickle executes code from the file: ``MODEL_PATH`` must point at a file the operators
trust, never at an upload.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import sklearn

from app.ml.card import CardError, ModelCard, find_card, load_card
from app.ml.errors import ModelLoadError


@dataclass(frozen=True)
class ModelFile:
    path: Path
    sha256: str
    estimator: Any
    card: ModelCard | None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_card_for(model_path: Path, model_sha: str | None, notes: list[str]) -> ModelCard | None:
    """The card beside the model, or None (with a note) when it is absent, broken or stale."""
    card_path = find_card(model_path)
    if card_path is None:
        return None
    try:
        card = load_card(card_path)
    except CardError as exc:
        notes.append(f"model card ignored: {exc}")
        return None
    if card.model_sha256 and model_sha and card.model_sha256 != model_sha:
        notes.append(f"model card {card_path.name} ignored: it describes another model file (sha256 mismatch)")
        return None
    return card


def _unpickle(path: Path, notes: list[str]) -> Any:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            estimator = joblib.load(path)
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means "cannot serve"
            raise ModelLoadError(f"cannot unpickle {path.name}: {type(exc).__name__}: {exc}") from exc
    for warning in caught:
        if "Version" in type(warning.message).__name__ or "version" in str(warning.message):
            notes.append(f"pickled with another scikit-learn than {sklearn.__version__}: {warning.message}")
    return estimator


def read_model_file(path: Path, notes: list[str]) -> ModelFile:
    """Reads the file (hash, unpickle) and its card; problems that still let it serve go to ``notes``."""
    if not path.is_file():
        raise ModelLoadError(f"model file not found: {path}")
    try:
        sha = file_sha256(path)
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}") from exc
    estimator = _unpickle(path, notes)
    return ModelFile(path=path, sha256=sha, estimator=estimator, card=read_card_for(path, sha, notes))
